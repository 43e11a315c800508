use super::Svc;
use crate::services::{CmdResult, MailStatus};
use casebook::mail::secrets::{self, Login};
use casebook::mail::{FetchReport, MailIdentity, MailLogLine, MailboxSettings, MessageMail, OutboxItem};
use std::path::PathBuf;

/// Settings → Email: the workspace's address, this laptop's mailbox (the passwords are never
/// sent to the window: only whether the keyring has them), and how the mailbox is doing.
#[derive(serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct MailSettingsView {
    pub identity: MailIdentity,
    pub mailbox: Option<MailboxSettings>,
    pub imap_password_set: bool,
    pub smtp_password_set: bool,
    pub status: MailStatus,
}

#[tauri::command]
pub async fn mail_settings(svc: Svc<'_>) -> CmdResult<MailSettingsView> {
    let status = svc.mail_status();
    svc.read(move |ws| {
        let mailbox = ws.mailbox_settings()?;
        let has = |login, m: &Option<MailboxSettings>| m.as_ref().and_then(|m| secrets::get(login, m).ok().flatten()).is_some();
        Ok(MailSettingsView {
            identity: ws.mail_identity()?,
            imap_password_set: has(Login::Imap, &mailbox),
            smtp_password_set: has(Login::Smtp, &mailbox),
            mailbox,
            status,
        })
    })
    .await
}

#[tauri::command]
pub async fn save_mail_identity(svc: Svc<'_>, identity: MailIdentity) -> CmdResult<()> {
    svc.write(vec![], move |ws| ws.set_mail_identity(&identity)).await
}

/// Saves this laptop's mailbox; a password given goes to the keyring (none: the one there
/// stays). The watcher reconnects and a pass runs at once.
#[tauri::command]
pub async fn save_mailbox(svc: Svc<'_>, mailbox: MailboxSettings, imap_password: Option<String>, smtp_password: Option<String>) -> CmdResult<()> {
    svc.read(move |ws| {
        ws.set_mailbox_settings(&mailbox)?;
        let saved = ws.mailbox_settings()?.unwrap_or(mailbox);
        if let Some(p) = imap_password.filter(|p| !p.is_empty()) {
            secrets::set(Login::Imap, &saved, &p)?;
        }
        if let Some(p) = smtp_password.filter(|p| !p.is_empty()) {
            secrets::set(Login::Smtp, &saved, &p)?;
        }
        Ok(())
    })
    .await?;
    svc.mail_settings_saved();
    Ok(())
}

/// Fetches and sends now ("Check now"), and says how it went.
#[tauri::command]
pub async fn mail_check_now(svc: Svc<'_>) -> CmdResult<MailStatus> {
    let me = svc.inner().clone();
    tauri::async_runtime::spawn_blocking(move || me.mail_pass_now()).await.map_err(|e| casebook::ErrorPayload {
        code: "internal".into(),
        message: e.to_string(),
        field: None,
        problem: None,
    })
}

#[tauri::command]
pub async fn mail_status(svc: Svc<'_>) -> CmdResult<MailStatus> {
    Ok(svc.mail_status())
}

#[tauri::command]
pub async fn mail_log(svc: Svc<'_>, query: Option<String>, limit: usize) -> CmdResult<Vec<MailLogLine>> {
    svc.read(move |ws| ws.mail_log(None, query.as_deref().filter(|q| !q.trim().is_empty()), limit)).await
}

#[tauri::command]
pub async fn mail_outbox(svc: Svc<'_>, limit: usize) -> CmdResult<Vec<OutboxItem>> {
    svc.read(move |ws| ws.outbox(limit)).await
}

#[tauri::command]
pub async fn ticket_mail(svc: Svc<'_>, number: i64) -> CmdResult<Vec<MessageMail>> {
    svc.read(move |ws| ws.ticket_mail(number)).await
}

/// Imports .eml and .mbox files (dropped on the window) and Maildir folders.
#[tauri::command]
pub async fn mail_import(svc: Svc<'_>, paths: Vec<String>) -> CmdResult<FetchReport> {
    svc.write(vec![], move |ws| {
        let mut total = FetchReport::default();
        for p in paths {
            total.add(&ws.import_mail(&PathBuf::from(p))?);
        }
        Ok(total)
    })
    .await
}

/// A received mail's HTML, sanitised (None: it has none).
#[tauri::command]
pub async fn message_html(svc: Svc<'_>, message_id: String) -> CmdResult<Option<casebook::mail::MessageHtml>> {
    let id = casebook::Uuid::parse_str(&message_id).map_err(|e| crate::services::err(casebook::Error::validation("message_id", e.to_string())))?;
    svc.read(move |ws| ws.message_html(id)).await
}

/// Opens a link of a mail in the system browser (the window has asked first, showing where
/// it goes); only web and mail addresses.
#[tauri::command]
pub async fn open_link(app: tauri::AppHandle, url: String) -> CmdResult<()> {
    use tauri_plugin_opener::OpenerExt;
    let lower = url.trim().to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:")) {
        return Err(crate::services::err(casebook::Error::validation("url", format!("{url} is not a web or mail address"))));
    }
    app.opener().open_url(url.trim(), None::<&str>).map_err(|e| casebook::ErrorPayload {
        code: "io".into(),
        message: format!("could not open the link: {e}"),
        field: None,
        problem: None,
    })
}
