//! `casebook mail …`: the email channel.

use crate::args::{Command, MailCmd, SecurityArg};
use crate::shared::*;
use casebook::mail::secrets::{self, Login};
use casebook::mail::{FetchReport, MailIdentity, MailboxSettings, Security};
use serde_json::json;

fn security(s: SecurityArg) -> Security {
    match s {
        SecurityArg::Tls => Security::Tls,
        SecurityArg::Starttls => Security::Starttls,
        SecurityArg::None => Security::None,
    }
}

fn report_text(what: &str, r: &FetchReport) -> String {
    let mut t = format!(
        "{what} {} message(s): {} new ticket(s), {} threaded, {} duplicate(s), {} other.",
        r.fetched, r.new_tickets, r.threaded, r.duplicates, r.other
    );
    if r.uidvalidity_reset {
        t.push_str("\nThe server had forgotten its message ids (UIDVALIDITY changed): the folder was read again; nothing was stored twice.");
    }
    t
}

pub(crate) fn run(cx: &Ctx, command: Command) -> anyhow::Result<()> {
    let Command::Mail { action } = command else { unreachable!("dispatched by main") };
    let (db, clock, as_agent, out) = cx.parts();
    let mut ws = open(&db, clock, as_agent)?;
    match action {
        MailCmd::Identity { address, name, reply_to, also, acknowledge } => {
            let id = MailIdentity {
                address,
                name,
                reply_to,
                other_addresses: also,
                acknowledge: acknowledge.is_some(),
                acknowledgement: acknowledge.unwrap_or_default(),
            };
            ws.set_mail_identity(&id)?;
            let id = ws.mail_identity()?;
            out(json!(id), format!("Customers write to {}; replies come from \"{}\" <{}>.", id.address, id.name, id.address));
        }
        MailCmd::Setup {
            imap_host,
            imap_port,
            imap_security,
            imap_user,
            folder,
            smtp_host,
            smtp_port,
            smtp_security,
            smtp_user,
            ca_file,
            password_stdin,
        } => {
            let extra_ca_pem = ca_file.map(std::fs::read_to_string).transpose()?;
            let s = MailboxSettings {
                imap_host,
                imap_port,
                imap_security: security(imap_security),
                imap_user,
                imap_folder: folder,
                smtp_host,
                smtp_port,
                smtp_security: security(smtp_security),
                smtp_user,
                extra_ca_pem,
            };
            let (imap_pw, smtp_pw) = if password_stdin {
                let mut lines = std::io::stdin().lines();
                let imap = lines.next().transpose()?.unwrap_or_default();
                let smtp = lines.next().transpose()?.unwrap_or_default();
                (imap, smtp)
            } else {
                (std::env::var("CASEBOOK_IMAP_PASSWORD").unwrap_or_default(), std::env::var("CASEBOOK_SMTP_PASSWORD").unwrap_or_default())
            };
            if imap_pw.is_empty() {
                anyhow::bail!("the IMAP password is needed: CASEBOOK_IMAP_PASSWORD=… or --password-stdin");
            }
            ws.set_mailbox_settings(&s)?;
            let s = ws.mailbox_settings()?.unwrap_or(s);
            secrets::set(Login::Imap, &s, &imap_pw)?;
            if !s.smtp_user.is_empty() {
                secrets::set(Login::Smtp, &s, &smtp_pw)?;
            }
            out(
                json!(s),
                format!(
                    "This laptop fetches {}@{}:{} ({}) and sends through {}:{}; the passwords are in the system keyring.",
                    s.imap_user, s.imap_host, s.imap_port, s.imap_folder, s.smtp_host, s.smtp_port
                ),
            );
        }
        MailCmd::Fetch => {
            let r = ws.fetch_mail_now()?;
            out(json!(r), report_text("Fetched", &r));
        }
        MailCmd::Send => {
            let r = ws.send_outbox_now()?;
            out(json!(r), format!("Sent {}, gave up on {}, {} waiting for another try.", r.sent, r.failed, r.waiting));
        }
        MailCmd::Import { path } => {
            let r = ws.import_mail(&path)?;
            out(json!(r), report_text("Imported", &r));
        }
        MailCmd::Log { since, search, limit } => {
            let since = since.as_deref().map(parse_date).transpose()?;
            let lines = ws.mail_log(since, search.as_deref(), limit)?;
            let mut text = String::new();
            for l in &lines {
                let on = l.ticket_number.map(|n| format!("#{n}")).unwrap_or_default();
                let from = l.from.as_deref().unwrap_or("?");
                text.push_str(&format!(
                    "{}  {:<10} {on:<6} {from}  \"{}\"  {}\n",
                    l.at.format("%Y-%m-%d %H:%M:%S"),
                    l.outcome,
                    truncate(l.subject.as_deref().unwrap_or(""), 50),
                    l.detail
                ));
            }
            if lines.is_empty() {
                text = "No mail in the log.".into();
            }
            out(json!(lines), text.trim_end().to_string());
        }
        MailCmd::Outbox { limit } => {
            let items = ws.outbox(limit)?;
            let mut text = String::new();
            for o in &items {
                let extra = match (&o.error, o.status.as_str()) {
                    (Some(e), "queued") => format!(" (try {}: {e})", o.attempts),
                    (Some(e), _) => format!(" ({e})"),
                    _ => String::new(),
                };
                text.push_str(&format!(
                    "{}  {:<7} #{:<5} to {}  \"{}\"{extra}\n",
                    o.queued_at.format("%Y-%m-%d %H:%M"),
                    o.status,
                    o.ticket_number,
                    o.to,
                    truncate(&o.subject, 60)
                ));
            }
            if items.is_empty() {
                text = "The outbox is empty.".into();
            }
            out(json!(items), text.trim_end().to_string());
        }
    }
    Ok(())
}
