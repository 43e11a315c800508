//! Mail in the background, on the laptop that has the mailbox: a pass (fetch what is new,
//! send what is due) when IDLE says mail arrived, right after a reply is written here, and
//! every minute anyway; an IDLE watcher on its own connection, renewed every 45 s (which also
//! proves the connection alive) and opened again with backoff when it dies. The network is
//! touched without holding the workspace: it is locked only to read the bookmark and to store
//! what came. The window hears `mail_changed` with the new status, and `entities_changed`
//! (source "mail") when tickets changed.

use super::Services;
use casebook::mail::secrets::{self, Login};
use casebook::mail::{FetchReport, SendReport};
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;
use tauri::Emitter;

/// A pass runs at least this often (servers without IDLE, missed pushes).
const POLL_EVERY: Duration = Duration::from_secs(60);
/// One IDLE lasts this long before it is renewed (DONE, which must answer within 10 s): a
/// connection that died while idle is noticed within a minute.
const IDLE_SLICE: Duration = Duration::from_secs(45);

/// What the window shows about the mailbox.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct MailStatus {
    /// off (no mailbox on this laptop) | ok | error
    pub state: String,
    /// The IDLE watcher is connected: new mail shows within seconds.
    pub idle: bool,
    pub last_pass_at: Option<casebook::Timestamp>,
    pub last_error: Option<String>,
    pub last_fetch: Option<FetchReport>,
    pub last_send: Option<SendReport>,
    /// Replies waiting in the outbox.
    pub queued: i64,
}

impl Services {
    pub fn start_mail(self: &Arc<Self>) {
        let me = self.clone();
        tauri::async_runtime::spawn(async move {
            loop {
                loop {
                    let pass = me.clone();
                    let Ok(more) = tauri::async_runtime::spawn_blocking(move || pass.mail_pass()).await else { break };
                    if !more {
                        break;
                    }
                }
                let _ = tokio::time::timeout(POLL_EVERY, me.mail_wake.notified()).await;
            }
        });
        let me = self.clone();
        tauri::async_runtime::spawn(async move { me.watch_mailbox().await });
    }

    /// A pass now, on the caller's (blocking) thread; the status it leaves.
    pub fn mail_pass_now(self: &Arc<Self>) -> MailStatus {
        while self.mail_pass() {}
        self.mail_status()
    }

    pub fn mail_status(&self) -> MailStatus {
        self.mail_status.lock().unwrap().clone()
    }

    fn set_mail_status(&self, f: impl FnOnce(&mut MailStatus)) {
        let changed = {
            let mut s = self.mail_status.lock().unwrap();
            let before = s.clone();
            f(&mut s);
            (*s != before).then(|| s.clone())
        };
        if let Some(s) = changed {
            let _ = self.app.emit("mail_changed", &s);
        }
    }

    /// The mailbox and its IMAP and SMTP passwords, if this laptop has one (None also when the
    /// keyring cannot be read: the status says so).
    fn mailbox(&self) -> Option<(casebook::mail::MailboxSettings, Option<String>, Option<String>)> {
        let settings = self.workspace.lock().unwrap().as_ref()?.mailbox_settings().ok()??;
        let imap = secrets::get(Login::Imap, &settings);
        let smtp = if settings.smtp_user.is_empty() { Ok(None) } else { secrets::get(Login::Smtp, &settings) };
        match (imap, smtp) {
            (Ok(i), Ok(s)) => Some((settings, i, s)),
            (Err(e), _) | (_, Err(e)) => {
                self.set_mail_status(|st| {
                    st.state = "error".into();
                    st.last_error = Some(e.to_string());
                });
                None
            }
        }
    }

    /// One pass; true when more mail waits than one pass takes.
    fn mail_pass(self: &Arc<Self>) -> bool {
        let Some((_, imap_pw, smtp_pw)) = self.mailbox() else {
            let off = self.workspace.lock().unwrap().as_ref().is_some_and(|ws| ws.mailbox_settings().ok().flatten().is_none());
            if off {
                self.set_mail_status(|st| *st = MailStatus { state: "off".into(), ..Default::default() });
            }
            return false;
        };
        let Some(imap_pw) = imap_pw else {
            self.set_mail_status(|st| {
                st.state = "error".into();
                st.last_error = Some("The IMAP password is not in the keyring: enter it in Settings → Email".into());
            });
            return false;
        };
        let mut errors = Vec::new();
        let mut more = false;
        let mut tickets_changed = false;
        // In: the bookmark under the lock, the server without it, the mail under it again.
        let plan = self.workspace.lock().unwrap().as_ref().map(|ws| ws.fetch_plan(&imap_pw));
        let fetched = match plan {
            Some(Ok(plan)) => casebook::mail::fetch_new(&plan).map_err(|e| errors.push(e.to_string())).ok(),
            Some(Err(e)) => {
                errors.push(e.to_string());
                None
            }
            None => return false,
        };
        let mut fetch_report = None;
        if let Some(f) = fetched {
            more = f.more;
            if let Some(ws) = self.workspace.lock().unwrap().as_mut() {
                match ws.store_fetched(f) {
                    Ok(r) => {
                        tickets_changed |= r.new_tickets + r.threaded + r.other > 0;
                        fetch_report = Some(r);
                    }
                    Err(e) => errors.push(e.to_string()),
                }
            }
        }
        // Out: the same, reply by reply.
        let mut send = SendReport::default();
        let due = self.workspace.lock().unwrap().as_mut().map(|ws| ws.outbox_due(smtp_pw.as_deref()));
        match due {
            Some(Ok(due)) => {
                for s in due {
                    let result = casebook::mail::send_one(&s);
                    if let Err(e) = &result {
                        errors.push(format!("sending: {}", e.message));
                    }
                    if let Some(ws) = self.workspace.lock().unwrap().as_mut() {
                        if let Err(e) = ws.record_send(&s, result, &mut send) {
                            errors.push(e.to_string());
                        }
                    }
                }
            }
            Some(Err(e)) => errors.push(e.to_string()),
            None => {}
        }
        tickets_changed |= send.sent + send.failed > 0;
        let (queued, now) = {
            let guard = self.workspace.lock().unwrap();
            (guard.as_ref().and_then(|ws| ws.outbox_queued().ok()).unwrap_or(0), guard.as_ref().map(|ws| ws.now()))
        };
        if tickets_changed {
            self.changed("mail", vec![]);
        }
        // Passes repeat: an error is logged when it first appears or changes.
        let last_error = self.mail_status.lock().unwrap().last_error.clone();
        if let Some(e) = errors.first().filter(|e| Some(*e) != last_error.as_ref()) {
            tracing::warn!(error = e.as_str(), more = errors.len() - 1, "the mail pass had a problem");
        }
        self.set_mail_status(|st| {
            st.state = if errors.is_empty() { "ok".into() } else { "error".into() };
            st.last_error = errors.first().cloned();
            st.last_pass_at = now;
            if fetch_report.is_some() {
                st.last_fetch = fetch_report;
            }
            st.last_send = Some(send);
            st.queued = queued;
        });
        more
    }

    /// Keeps an IDLE connection to the mailbox while there is one, and wakes the pass when
    /// the server says mail arrived.
    async fn watch_mailbox(self: Arc<Self>) {
        let mut backoff = Duration::from_secs(5);
        loop {
            let me = self.clone();
            let cfg = tauri::async_runtime::spawn_blocking(move || {
                let (_, imap_pw, _) = me.mailbox()?;
                me.workspace.lock().unwrap().as_ref()?.imap_config(&imap_pw?).ok()
            })
            .await
            .ok()
            .flatten();
            let Some(cfg) = cfg else {
                // No mailbox (yet): look again when the settings change, or in a while.
                let _ = tokio::time::timeout(Duration::from_secs(30), self.mail_settings_changed.notified()).await;
                continue;
            };
            let generation = self.mail_generation();
            let session = async {
                let mut session = casebook_mail::imap::connect(&cfg).await?;
                casebook_mail::imap::select(&mut session, &cfg.folder).await?;
                Ok::<_, String>(session)
            }
            .await;
            let mut session = match session {
                Ok(s) => s,
                Err(e) => {
                    self.set_mail_status(|st| st.idle = false);
                    tracing::warn!(error = e.as_str(), again_in_s = backoff.as_secs(), "the mailbox could not be reached");
                    let _ = tokio::time::timeout(backoff, self.mail_settings_changed.notified()).await;
                    backoff = (backoff * 2).min(Duration::from_secs(300));
                    continue;
                }
            };
            backoff = Duration::from_secs(5);
            self.set_mail_status(|st| st.idle = true);
            // Mail may have come while we were connecting.
            self.mail_wake.notify_one();
            while self.mail_generation() == generation {
                match casebook_mail::imap::wait_for_mail(session, IDLE_SLICE, IDLE_SLICE).await {
                    Ok((s, news)) => {
                        session = s;
                        if news {
                            self.mail_wake.notify_one();
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "the mailbox's waiting connection (IDLE) dropped; opening it again");
                        self.set_mail_status(|st| st.idle = false);
                        break;
                    }
                }
            }
        }
    }

    fn mail_generation(&self) -> u64 {
        self.mail_generation.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The mailbox settings changed: the watcher reconnects and a pass runs now.
    pub fn mail_settings_saved(&self) {
        self.mail_generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.mail_settings_changed.notify_one();
        self.mail_wake.notify_one();
    }
}
