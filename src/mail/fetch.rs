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

/// What a fetch needs from the workspace, taken before the network is touched, so the
/// desktop holds the workspace only to read the bookmark and to store what came.
pub struct FetchPlan {
    cfg: imap::ImapConfig,
    known: Option<(i64, i64)>,
}

/// What came from the server in one pass.
pub struct Fetched {
    folder: String,
    uidvalidity: u32,
    reset: bool,
    messages: Vec<imap::Fetched>,
    /// More is waiting than one pass takes: fetch again.
    pub more: bool,
}

/// How many messages one pass takes in (a first fetch of a big mailbox comes in passes).
const PASS_LIMIT: usize = 200;

/// Connects, selects the folder and takes the messages above the bookmark (no workspace).
pub fn fetch_new(plan: &FetchPlan) -> Result<Fetched> {
    let cfg = &plan.cfg;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async {
        let mut session = imap::connect(cfg).await?;
        let state = imap::select(&mut session, &cfg.folder).await?;
        let (reset, after) = match plan.known {
            Some((v, last)) if v == state.uidvalidity as i64 => (false, last as u32),
            Some(_) => (true, 0),
            None => (false, 0),
        };
        let uids = imap::new_uids(&mut session, after).await?;
        let take = &uids[..uids.len().min(PASS_LIMIT)];
        let messages = imap::fetch(&mut session, take).await?;
        imap::logout(session).await;
        Ok::<_, String>(Fetched { folder: cfg.folder.clone(), uidvalidity: state.uidvalidity, reset, messages, more: uids.len() > take.len() })
    })
    .map_err(Error::MailServer)
}

impl Workspace {
    /// The IMAP connection of this laptop's mailbox, for the desktop's IDLE watcher.
    pub fn imap_config(&self, password: &str) -> Result<imap::ImapConfig> {
        Ok(imap_config(&self.mailbox_settings()?.ok_or_else(not_set_up)?, password))
    }

    pub fn fetch_plan(&self, password: &str) -> Result<FetchPlan> {
        let s = self.mailbox_settings()?.ok_or_else(not_set_up)?;
        let cfg = imap_config(&s, password);
        let known = self
            .conn
            .query_row("SELECT uidvalidity, last_uid FROM mail_folders WHERE folder = ?1", [&cfg.folder], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(FetchPlan { cfg, known })
    }

    /// Stores what a pass fetched, each message with the folder's bookmark in its transaction.
    pub fn store_fetched(&mut self, fetched: Fetched) -> Result<FetchReport> {
        let mut report = FetchReport { uidvalidity_reset: fetched.reset, ..Default::default() };
        let validity = fetched.uidvalidity as i64;
        let bookmark = |folder: &str, uid: i64| {
            let folder = folder.to_string();
            move |tx: &rusqlite::Connection| -> Result<()> {
                tx.execute(
                    "INSERT INTO mail_folders (folder, uidvalidity, last_uid) VALUES (?1, ?2, ?3)
                     ON CONFLICT(folder) DO UPDATE SET uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid",
                    params![folder, validity, uid],
                )?;
                Ok(())
            }
        };
        if fetched.messages.is_empty() {
            // Nothing above the bookmark; a folder the server forgot starts again from 0.
            let known: Option<i64> =
                self.conn.query_row("SELECT uidvalidity FROM mail_folders WHERE folder = ?1", [&fetched.folder], |r| r.get(0)).optional()?;
            if known != Some(validity) {
                bookmark(&fetched.folder, 0)(&self.conn)?;
            }
        }
        // One transaction for the pass, with the bookmark at its last message.
        if let Some(last) = fetched.messages.last().map(|m| m.uid as i64) {
            let items: Vec<(&[u8], String)> =
                fetched.messages.iter().map(|m| (m.bytes.as_slice(), format!("imap {} uid {}", fetched.folder, m.uid))).collect();
            for got in self.receive_batch(&items, bookmark(&fetched.folder, last))? {
                report.fetched += 1;
                report.count(&got.outcome);
            }
        }
        if report.fetched > 0 || report.uidvalidity_reset {
            tracing::info!(
                folder = fetched.folder.as_str(),
                fetched = report.fetched,
                new_tickets = report.new_tickets,
                threaded = report.threaded,
                duplicates = report.duplicates,
                other = report.other,
                folder_read_again = report.uidvalidity_reset,
                "mail was fetched"
            );
        }
        Ok(report)
    }

    /// Fetches what is new in the mailbox (`password`: the IMAP password from the keyring),
    /// all of it, pass after pass.
    pub fn fetch_mail(&mut self, password: &str) -> Result<FetchReport> {
        let mut total = FetchReport::default();
        loop {
            let fetched = fetch_new(&self.fetch_plan(password)?)?;
            let more = fetched.more;
            let r = self.store_fetched(fetched)?;
            total.add(&r);
            if !more {
                return Ok(total);
            }
        }
    }
}

impl FetchReport {
    pub(crate) fn count(&mut self, outcome: &str) {
        match outcome {
            "new_ticket" => self.new_tickets += 1,
            "threaded" => self.threaded += 1,
            "duplicate" => self.duplicates += 1,
            _ => self.other += 1,
        }
    }

    /// Adds another pass's (or file's) counts to these.
    pub fn add(&mut self, o: &FetchReport) {
        self.fetched += o.fetched;
        self.new_tickets += o.new_tickets;
        self.threaded += o.threaded;
        self.duplicates += o.duplicates;
        self.other += o.other;
        self.uidvalidity_reset |= o.uidvalidity_reset;
    }
}

pub(crate) fn not_set_up() -> Error {
    Error::validation("mailbox", "No mailbox is set up on this laptop (Settings → Email, or `casebook mail setup`)")
}
