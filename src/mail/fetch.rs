//! One pass over the mailbox's folder: every message with a UID above the last one taken in
//! becomes a ticket or a reply, and the folder's bookmark moves in the same transaction as
//! the ticket it made, so a crash at any moment neither loses nor repeats mail. A new
//! UIDVALIDITY (the server forgot its UIDs) starts over from the first message; what was
//! stored already is known by its fingerprint and skipped.

use super::MailboxSettings;
use crate::workspace::Workspace;
use crate::{Error, Result};
use casebook_mail::imap;
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FetchReport {
    pub fetched: u32,
    pub new_tickets: u32,
    pub threaded: u32,
    pub duplicates: u32,
    /// Bounces, suppressed and refused mail.
    pub other: u32,
    /// The server's UIDVALIDITY changed: the folder was read again from the start.
    pub uidvalidity_reset: bool,
}

pub(crate) fn imap_config(s: &MailboxSettings, password: &str) -> imap::ImapConfig {
    imap::ImapConfig {
        host: s.imap_host.clone(),
        port: s.imap_port,
        security: s.imap_security.into(),
        user: s.imap_user.clone(),
        password: password.to_string(),
        folder: s.imap_folder.clone(),
        extra_ca_pem: s.extra_ca_pem.clone(),
    }
}

impl From<super::Security> for casebook_mail::smtp::Security {
    fn from(s: super::Security) -> Self {
        match s {
            super::Security::Tls => casebook_mail::smtp::Security::Tls,
            super::Security::Starttls => casebook_mail::smtp::Security::Starttls,
            super::Security::None => casebook_mail::smtp::Security::None,
        }
    }
}

impl Workspace {
    /// Fetches what is new in the mailbox (`password`: the IMAP password from the keyring).
    pub fn fetch_mail(&mut self, password: &str) -> Result<FetchReport> {
        let s = self.mailbox_settings()?.ok_or_else(not_set_up)?;
        let cfg = imap_config(&s, password);
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let mut session = rt.block_on(imap::connect(&cfg)).map_err(Error::MailServer)?;
        let state = rt.block_on(imap::select(&mut session, &cfg.folder)).map_err(Error::MailServer)?;
        let known: Option<(i64, i64)> = self
            .conn
            .query_row("SELECT uidvalidity, last_uid FROM mail_folders WHERE folder = ?1", [&cfg.folder], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let mut report = FetchReport::default();
        let after = match known {
            Some((v, last)) if v == state.uidvalidity as i64 => last as u32,
            Some(_) => {
                report.uidvalidity_reset = true;
                0
            }
            None => 0,
        };
        let uids = rt.block_on(imap::new_uids(&mut session, after)).map_err(Error::MailServer)?;
        for chunk in uids.chunks(50) {
            let fetched = rt.block_on(imap::fetch(&mut session, chunk)).map_err(Error::MailServer)?;
            for m in fetched {
                let source = format!("imap {} uid {}", cfg.folder, m.uid);
                let (folder, validity, uid) = (cfg.folder.clone(), state.uidvalidity as i64, m.uid as i64);
                let got = self.receive_mail_then(&m.bytes, &source, move |tx| {
                    tx.execute(
                        "INSERT INTO mail_folders (folder, uidvalidity, last_uid) VALUES (?1, ?2, ?3)
                         ON CONFLICT(folder) DO UPDATE SET uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid",
                        params![folder, validity, uid],
                    )?;
                    Ok(())
                })?;
                report.fetched += 1;
                match got.outcome.as_str() {
                    "new_ticket" => report.new_tickets += 1,
                    "threaded" => report.threaded += 1,
                    "duplicate" => report.duplicates += 1,
                    _ => report.other += 1,
                }
            }
        }
        if uids.is_empty() && known.map(|k| k.0) != Some(state.uidvalidity as i64) {
            // An empty folder (or one forgotten by the server): remember its UIDVALIDITY.
            self.conn.execute(
                "INSERT INTO mail_folders (folder, uidvalidity, last_uid) VALUES (?1, ?2, 0)
                 ON CONFLICT(folder) DO UPDATE SET uidvalidity = excluded.uidvalidity, last_uid = 0",
                params![cfg.folder, state.uidvalidity as i64],
            )?;
        }
        rt.block_on(imap::logout(session));
        Ok(report)
    }
}

pub(crate) fn not_set_up() -> Error {
    Error::validation("mailbox", "No mailbox is set up on this laptop (Settings → Email, or `casebook mail setup`)")
}
