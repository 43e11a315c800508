//! The email channel (PRODUCT C1): mail that arrives becomes tickets and replies, a public
//! reply on a mail ticket goes out as mail, and every message that passes leaves a line in
//! the mail log. Reading a message is `casebook_mail`'s; what it means for the tickets is here.
//!
//! The support address, the name mail is signed with and the acknowledgement are the
//! workspace's (replicated to every laptop, so a reply written anywhere is addressed right).
//! The mailbox connection is this laptop's: the one laptop that has it fetches and sends.

mod fetch;
mod outbox;
mod receive;
pub mod secrets;

pub use fetch::{fetch_new, FetchPlan, FetchReport, Fetched};
pub use outbox::{send_one, SendReport, Sending};
pub use receive::Received;

use crate::events::MailMeta;
use crate::problem::AdminArea;
use crate::store::get_setting;
use crate::workspace::{put_setting, Workspace};
use crate::{Error, Result};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The workspace's mail identity: shared by every laptop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct MailIdentity {
    /// The support address customers write to, and replies come from.
    pub address: String,
    /// The name on our mail ("Acme Support").
    pub name: String,
    /// Where customers' replies should go, when not the address itself.
    #[serde(default)]
    pub reply_to: Option<String>,
    /// More addresses of ours (aliases that deliver to the same mailbox): never a customer.
    #[serde(default)]
    pub other_addresses: Vec<String>,
    /// An automatic acknowledgement on new mail tickets, and its text.
    #[serde(default)]
    pub acknowledge: bool,
    #[serde(default)]
    pub acknowledgement: String,
}

/// How a connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Security {
    #[default]
    Tls,
    Starttls,
    /// Plain text: only for a server on this machine (127.0.0.1, a local relay).
    None,
}

/// This laptop's mailbox: where it fetches and sends. The passwords are in the OS keyring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct MailboxSettings {
    pub imap_host: String,
    pub imap_port: u16,
    pub imap_security: Security,
    pub imap_user: String,
    pub imap_folder: String,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_security: Security,
    pub smtp_user: String,
    /// A PEM certificate to trust besides the system's (a company's own CA, a test server).
    #[serde(default)]
    pub extra_ca_pem: Option<String>,
}

/// One line of the mail log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct MailLogLine {
    pub id: i64,
    pub at: crate::clock::Timestamp,
    pub source: String,
    pub message_id: Option<String>,
    pub from: Option<String>,
    pub subject: Option<String>,
    /// new_ticket | threaded | duplicate | suppressed | bounce | refused | sent | send_failed
    pub outcome: String,
    pub ticket_number: Option<i64>,
    pub detail: String,
}

/// A reply in the outbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct OutboxItem {
    pub message_id: Uuid,
    pub ticket_number: i64,
    pub to: String,
    pub subject: String,
    /// queued | sent | failed | bounced
    pub status: String,
    pub queued_at: crate::clock::Timestamp,
    pub done_at: Option<crate::clock::Timestamp>,
    pub attempts: i64,
    pub next_attempt_at: Option<crate::clock::Timestamp>,
    pub error: Option<String>,
}

/// The mail behind a message, for its page: who it was from and to, what could not be read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct MessageMail {
    pub message_id: Uuid,
    pub direction: String,
    pub header_id: String,
    pub from: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: String,
    pub quoted: Option<String>,
    pub notes: Vec<String>,
    pub automatic: Option<String>,
    pub reused_id: bool,
    /// The .eml as received, relative to the data folder.
    pub raw_path: Option<String>,
    /// The outbox status of a reply going out.
    pub outbox_status: Option<String>,
    /// It has an HTML part: `message_html` shows it sanitised.
    pub has_html: bool,
}

/// A received mail's HTML, sanitised, with its inline images in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct MessageHtml {
    pub html: String,
    /// Remote images left out (loading them would tell the sender the mail was read).
    pub blocked_images: u32,
}

/// The mailbox as this laptop keeps it: with the device it was set up on.
#[derive(Serialize, Deserialize)]
struct LocalMailbox {
    device: String,
    settings: MailboxSettings,
}

pub(crate) const IDENTITY_KEY: &str = "mail";
const MAILBOX_KEY: &str = "mailbox";

pub(crate) fn identity(conn: &Connection) -> Result<Option<MailIdentity>> {
    Ok(get_setting::<MailIdentity>(conn, IDENTITY_KEY)?.filter(|m| !m.address.is_empty()))
}

/// Every address that is ours, lower-cased.
pub(crate) fn our_addresses(id: &MailIdentity) -> Vec<String> {
    let mut all = vec![id.address.to_lowercase()];
    all.extend(id.reply_to.iter().map(|a| a.to_lowercase()));
    all.extend(id.other_addresses.iter().map(|a| a.to_lowercase()));
    all
}

/// The domain our Message-IDs are made in.
fn id_domain(id: &MailIdentity) -> String {
    id.address.rsplit('@').next().filter(|d| !d.is_empty()).unwrap_or("casebook.invalid").to_string()
}

/// The mail a public reply on a mail ticket goes out as (None: not a mail ticket, or no
/// support address yet). An automatic reply (no author) is not sent to mail that was itself
/// automatic, nor to a sender who had one from us in the last 24 hours (no loops).
pub(crate) fn outgoing(conn: &Connection, ticket_id: &str, message_id: &Uuid, author_agent: Option<&str>, now_ms: i64) -> Result<Option<MailMeta>> {
    let Some(me) = identity(conn)? else { return Ok(None) };
    let (channel, number, subject, requester): (String, i64, String, String) = conn.query_row(
        "SELECT t.channel, t.number, t.subject, c.email FROM tickets t JOIN customers c ON c.id = t.requester_id WHERE t.id = ?1",
        [ticket_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    if channel != "email" {
        return Ok(None);
    }
    let ours = our_addresses(&me);
    // The thread so far, oldest first: what this reply answers and refers to.
    let thread: Vec<(String, String, String, String, Option<String>)> = conn
        .prepare_cached(
            "SELECT mm.header_id, mm.direction, mm.from_addr, mm.cc_addrs, mm.automatic FROM mail_messages mm JOIN messages m ON m.id = mm.message_id
             WHERE mm.ticket_id = ?1 OR mm.ticket_id IN (SELECT id FROM tickets WHERE duplicate_of = ?1) ORDER BY m.created_at, m.id",
        )?
        .query_map([ticket_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let last_in = thread.iter().rev().find(|m| m.1 == "in");
    if author_agent.is_none() {
        if let Some((_, _, _, _, Some(_))) = last_in {
            return Ok(None);
        }
        let recent: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM mail_messages mm JOIN messages m ON m.id = mm.message_id
              WHERE mm.direction = 'out' AND mm.automatic IS NOT NULL AND mm.to_addrs = json_array(?1) AND m.created_at > ?2)",
            params![requester, now_ms - 24 * 3_600_000],
            |r| r.get(0),
        )?;
        if recent || ours.contains(&requester.to_lowercase()) {
            return Ok(None);
        }
    }
    let mut cc: Vec<String> = Vec::new();
    for (_, dir, from, ccs, _) in &thread {
        if dir != "in" {
            continue;
        }
        let listed: Vec<String> = serde_json::from_str(ccs).unwrap_or_default();
        for a in listed.into_iter().chain(std::iter::once(from.clone())) {
            let a = a.to_lowercase();
            if a != requester.to_lowercase() && !ours.contains(&a) && !cc.contains(&a) && a.contains('@') {
                cc.push(a);
            }
        }
    }
    let mut references: Vec<String> = thread.iter().map(|m| m.0.clone()).collect();
    if references.len() > 20 {
        // The first (the thread's root) and the latest: what clients need to thread.
        let tail = references.split_off(references.len() - 19);
        references.truncate(1);
        references.extend(tail);
    }
    let base = subject.trim_start_matches("Re: ").trim_start_matches("RE: ");
    let tag = format!("[#{number}]");
    let subject = if base.contains(&tag) { format!("Re: {base}") } else { format!("Re: {base} {tag}") };
    Ok(Some(MailMeta {
        direction: "out".into(),
        header_id: format!("casebook.{}@{}", message_id.simple(), id_domain(&me)),
        fingerprint: None,
        from: me.address.clone(),
        to: vec![requester],
        cc,
        subject,
        in_reply_to: last_in.map(|m| m.0.clone()),
        references,
        raw_sha256: None,
        quoted: None,
        notes: vec![],
        automatic: author_agent.is_none().then(|| "auto-replied".to_string()),
        reused_id: false,
        has_html: false,
    }))
}

impl Workspace {
    pub fn mail_identity(&self) -> Result<MailIdentity> {
        Ok(get_setting::<MailIdentity>(&self.conn, IDENTITY_KEY)?.unwrap_or_default())
    }

    /// Sets the workspace's support address and what goes with it (admins only).
    pub fn set_mail_identity(&mut self, identity: &MailIdentity) -> Result<()> {
        self.require_admin(AdminArea::SupportAddress)?;
        let mut id = identity.clone();
        id.address = crate::validate::email("address", &id.address)?;
        id.name = id.name.trim().to_string();
        id.reply_to = id.reply_to.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(|s| crate::validate::email("reply_to", s)).transpose()?;
        id.other_addresses = id
            .other_addresses
            .iter()
            .map(|a| a.trim())
            .filter(|a| !a.is_empty())
            .map(|a| crate::validate::email("other_addresses", a))
            .collect::<Result<_>>()?;
        if id.acknowledge && id.acknowledgement.trim().is_empty() {
            return Err(Error::validation("acknowledgement", "An acknowledgement needs its text"));
        }
        let ctx = self.ctx();
        let tx = self.begin()?;
        put_setting(&tx, &ctx, IDENTITY_KEY, &id)?;
        tx.commit()?;
        Ok(())
    }

    /// This laptop's mailbox connection (None: this laptop does not fetch or send).
    /// A copy of the database on another laptop is another device: it does not fetch this
    /// laptop's mailbox (two fetchers would make every mail a ticket twice).
    pub fn mailbox_settings(&self) -> Result<Option<MailboxSettings>> {
        let v: Option<String> = self.conn.query_row("SELECT value FROM mail_local WHERE key = ?1", [MAILBOX_KEY], |r| r.get(0)).optional()?;
        let Some(stored) = v.and_then(|v| serde_json::from_str::<LocalMailbox>(&v).ok()) else { return Ok(None) };
        Ok((stored.device == self.device().device_id).then_some(stored.settings))
    }

    /// Sets this laptop's mailbox (the passwords go to the OS keyring separately).
    pub fn set_mailbox_settings(&mut self, s: &MailboxSettings) -> Result<()> {
        let mut s = s.clone();
        for (field, what, v) in [
            ("imap_host", "The IMAP server", &mut s.imap_host),
            ("imap_user", "The IMAP user", &mut s.imap_user),
            ("smtp_host", "The SMTP server", &mut s.smtp_host),
        ] {
            *v = v.trim().to_string();
            if v.is_empty() {
                return Err(Error::validation(field, format!("{what} is needed to reach the mailbox")));
            }
        }
        s.smtp_user = s.smtp_user.trim().to_string();
        s.imap_folder = if s.imap_folder.trim().is_empty() { "INBOX".into() } else { s.imap_folder.trim().to_string() };
        if s.imap_port == 0 || s.smtp_port == 0 {
            return Err(Error::validation(if s.imap_port == 0 { "imap_port" } else { "smtp_port" }, "A port is a number from 1 to 65535"));
        }
        if let Some(pem) = s.extra_ca_pem.as_deref().filter(|p| !p.trim().is_empty()) {
            casebook_mail::tls::roots_with(Some(pem)).map_err(|e| Error::validation("extra_ca_pem", e))?;
        }
        self.conn.execute(
            "INSERT INTO mail_local (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![MAILBOX_KEY, serde_json::to_string(&LocalMailbox { device: self.device().device_id.clone(), settings: s })?],
        )?;
        Ok(())
    }

    /// The mail log, newest first; `query` matches sender, subject, Message-ID or detail.
    pub fn mail_log(&self, since: Option<crate::clock::Timestamp>, query: Option<&str>, limit: usize) -> Result<Vec<MailLogLine>> {
        let like = query.map(|q| format!("%{}%", q.trim().replace('%', "\\%").replace('_', "\\_")));
        let mut stmt = self.conn.prepare(
            "SELECT id, at, source, header_id, from_addr, subject, outcome, ticket_number, detail FROM mail_log
             WHERE at >= ?1 AND (?2 IS NULL OR from_addr LIKE ?2 ESCAPE '\\' OR subject LIKE ?2 ESCAPE '\\' OR header_id LIKE ?2 ESCAPE '\\'
                   OR detail LIKE ?2 ESCAPE '\\' OR outcome LIKE ?2 ESCAPE '\\')
             ORDER BY id DESC LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![since.map(crate::clock::to_ms).unwrap_or(0), like, limit as i64], |r| {
            Ok(MailLogLine {
                id: r.get(0)?,
                at: crate::clock::from_ms(r.get(1)?),
                source: r.get(2)?,
                message_id: r.get(3)?,
                from: r.get(4)?,
                subject: r.get(5)?,
                outcome: r.get(6)?,
                ticket_number: r.get(7)?,
                detail: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How many replies wait in the outbox.
    pub fn outbox_queued(&self) -> Result<i64> {
        Ok(self.conn.query_row("SELECT count(*) FROM mail_outbox WHERE status = 'queued'", [], |r| r.get(0))?)
    }

    /// The outbox: what waits to be sent first, then what was sent, newest first.
    pub fn outbox(&self, limit: usize) -> Result<Vec<OutboxItem>> {
        let mut stmt = self.conn.prepare(
            "SELECT o.message_id, t.number, mm.to_addrs, mm.subject, o.status, o.queued_at, o.done_at, coalesce(a.attempts, 0), a.next_at, coalesce(o.error, a.last_error)
             FROM mail_outbox o JOIN tickets t ON t.id = o.ticket_id JOIN mail_messages mm ON mm.message_id = o.message_id
             LEFT JOIN mail_send_attempts a ON a.message_id = o.message_id
             ORDER BY o.status != 'queued', coalesce(o.done_at, o.queued_at) DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            let to: String = r.get(2)?;
            Ok(OutboxItem {
                message_id: Uuid::parse_str(&r.get::<_, String>(0)?).unwrap_or_default(),
                ticket_number: r.get(1)?,
                to: serde_json::from_str::<Vec<String>>(&to).unwrap_or_default().join(", "),
                subject: r.get(3)?,
                status: r.get(4)?,
                queued_at: crate::clock::from_ms(r.get(5)?),
                done_at: r.get::<_, Option<i64>>(6)?.map(crate::clock::from_ms),
                attempts: r.get(7)?,
                next_attempt_at: r.get::<_, Option<i64>>(8)?.map(crate::clock::from_ms),
                error: r.get(9)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The HTML of a received mail, sanitised (no script, handlers, forms or remote images;
    /// inline `cid:` images embedded), read again from its .eml. None: it has no HTML.
    pub fn message_html(&self, message_id: Uuid) -> Result<Option<MessageHtml>> {
        let sha: Option<Option<String>> = self
            .conn
            .query_row(
                &format!(
                    "SELECT mm.raw_sha256 FROM mail_messages mm JOIN tickets t ON t.id = mm.ticket_id WHERE mm.message_id = ?1 AND {}",
                    crate::store::VISIBLE
                ),
                [message_id.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        let sha = sha.ok_or_else(|| Error::NotFound { what: "mail message", key: message_id.to_string() })?;
        let Some(sha) = sha else { return Ok(None) };
        let raw = std::fs::read(self.data_dir().join(crate::attachments::relative_path(&sha)))?;
        Ok(casebook_mail::html::of_message(&raw).map(|s| MessageHtml { html: s.html, blocked_images: s.blocked_images as u32 }))
    }

    /// The mail behind each message of a ticket that has one.
    pub fn ticket_mail(&self, number: i64) -> Result<Vec<MessageMail>> {
        let t = crate::tickets::load_ticket(&self.conn, number)?;
        mail_of_ticket(&self.conn, &t.id.to_string())
    }
}

/// Appends a line to the mail log.
#[allow(clippy::too_many_arguments)] // one column each
pub(crate) fn log(
    conn: &Connection,
    at: i64,
    source: &str,
    header_id: Option<&str>,
    from: Option<&str>,
    subject: Option<&str>,
    outcome: &str,
    ticket: Option<i64>,
    detail: &str,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO mail_log (at, source, header_id, from_addr, subject, outcome, ticket_number, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![at, source, header_id, from, subject, outcome, ticket, detail])?;
    Ok(())
}

/// The mail behind each message of ticket `ticket_id` (and of tickets merged into it).
pub(crate) fn mail_of_ticket(conn: &Connection, ticket_id: &str) -> Result<Vec<MessageMail>> {
    // Cached: every ticket page asks.
    let mut stmt = conn.prepare_cached(
        "SELECT mm.message_id, mm.direction, mm.header_id, mm.from_addr, mm.to_addrs, mm.cc_addrs, mm.subject, mm.quoted, mm.notes, mm.automatic,
                mm.reused_id, mm.raw_sha256, o.status, mm.has_html
         FROM mail_messages mm LEFT JOIN mail_outbox o ON o.message_id = mm.message_id
         WHERE mm.ticket_id = ?1 OR mm.ticket_id IN (SELECT id FROM tickets WHERE duplicate_of = ?1)",
    )?;
    let list = |s: String| serde_json::from_str::<Vec<String>>(&s).unwrap_or_default();
    let rows = stmt.query_map([ticket_id], |r| {
        Ok(MessageMail {
            message_id: Uuid::parse_str(&r.get::<_, String>(0)?).unwrap_or_default(),
            direction: r.get(1)?,
            header_id: r.get(2)?,
            from: r.get(3)?,
            to: list(r.get(4)?),
            cc: list(r.get(5)?),
            subject: r.get(6)?,
            quoted: r.get(7)?,
            notes: list(r.get(8)?),
            automatic: r.get(9)?,
            reused_id: r.get::<_, i64>(10)? != 0,
            raw_path: r.get::<_, Option<String>>(11)?.map(|s| crate::attachments::relative_path(&s)),
            outbox_status: r.get(12)?,
            has_html: r.get::<_, i64>(13)? != 0,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
