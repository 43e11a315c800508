//! A message that arrived (fetched or imported): stored once, on the right ticket, with its
//! line in the mail log. Threading trusts headers, never the subject alone: In-Reply-To or any
//! References id against every Message-ID stored for a ticket (received and sent); a `[#N]`
//! tag only for someone already on ticket N.

use super::{identity, log, our_addresses};
use crate::clock::to_ms;
use crate::events::{self, AttachmentRef, Change, EventCtx, MailMeta};
use crate::model::{Channel, MessageKind, NewTicket, Status};
use crate::tickets::{self, StoredMessage};
use crate::workspace::Workspace;
use crate::{attachments, people, Result};
use casebook_mail::ParsedMail;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What became of a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Received {
    /// new_ticket | threaded | duplicate | suppressed | bounce | refused
    pub outcome: String,
    pub ticket_number: Option<i64>,
    pub detail: String,
}

/// How many imported messages share a transaction (a crash loses at most one batch's work,
/// which the next import of the same file adds again).
const IMPORT_BATCH: usize = 200;

/// The requester of mail whose sender cannot be read: the ticket is still made.
const UNKNOWN_SENDER: &str = "unknown-sender@mail.invalid";

impl Workspace {
    /// Takes in one message as raw bytes; `source` says where it came from for the mail log.
    /// Never refuses mail for what is in it: a message that cannot be read in part becomes a
    /// ticket with a note, and its .eml is kept.
    pub fn receive_mail(&mut self, raw: &[u8], source: &str) -> Result<Received> {
        let mut got = self.receive_batch(&[(raw, source.to_string())], |_| Ok(()))?;
        Ok(got.remove(0))
    }

    /// Takes in messages in one transaction (each sees those before it: a reply in the same
    /// batch threads), running `then` in it too (the fetch's bookmark). The files they carry
    /// are flushed to disk once, before the commit that names them.
    pub(crate) fn receive_batch(&mut self, messages: &[(&[u8], String)], then: impl FnOnce(&Connection) -> Result<()>) -> Result<Vec<Received>> {
        let ctx = self.ctx().with_actor("mail");
        let data_dir = self.data_dir();
        let settings = self.sla.clone();
        let hooks = self.hooks.clone();
        let tx = self.begin()?;
        let mut out = Vec::with_capacity(messages.len());
        for (raw, source) in messages {
            let parsed = casebook_mail::parse(raw);
            let intake = Intake { tx: &tx, ctx: &ctx, data_dir: &data_dir, hooks: &hooks, settings: &settings };
            // A message the engine refuses (what it holds breaks a rule no parser note
            // foresaw) is logged with its .eml kept, and the others go on: one bad mail never
            // stops the mailbox.
            tx.execute_batch("SAVEPOINT one_mail")?;
            let got = match crate::store::seeing_everything(&tx, || receive(intake, &parsed, raw)) {
                Ok(got) => {
                    tx.execute_batch("RELEASE one_mail")?;
                    got
                }
                Err(e @ crate::Error::Validation { .. }) => {
                    tx.execute_batch("ROLLBACK TO one_mail; RELEASE one_mail")?;
                    let kept = attachments::store_bytes_unsynced(&data_dir, "message.eml", raw)?;
                    received("refused", None, format!("{e}; the message is kept as {}", attachments::relative_path(&kept.sha256)))
                }
                Err(e) => return Err(e),
            };
            let from = parsed.from.as_ref().map(|f| f.address.as_str());
            log(&tx, to_ms(ctx.at), source, parsed.message_id.as_deref(), from, Some(&parsed.subject), &got.outcome, got.ticket_number, &got.detail)?;
            out.push(got);
        }
        then(&tx)?;
        attachments::sync_store(&data_dir)?;
        events::commit(tx, &settings)?;
        Ok(out)
    }
}

fn received(outcome: &str, ticket_number: Option<i64>, detail: impl Into<String>) -> Received {
    Received { outcome: outcome.into(), ticket_number, detail: detail.into() }
}

/// What taking in a message works with: the transaction and its context.
#[derive(Clone, Copy)]
struct Intake<'a> {
    tx: &'a Connection,
    ctx: &'a EventCtx,
    data_dir: &'a std::path::Path,
    hooks: &'a crate::hooks::Hooks,
    settings: &'a crate::sla::SlaSettings,
}

fn receive(intake: Intake<'_>, p: &ParsedMail, raw: &[u8]) -> Result<Received> {
    let Intake { tx, ctx, data_dir, hooks, settings } = intake;
    // Stored already: the same message fetched again, from another folder or address.
    let seen: Option<i64> = tx
        .prepare_cached("SELECT t.number FROM mail_messages mm JOIN tickets t ON t.id = mm.ticket_id WHERE mm.fingerprint = ?1 LIMIT 1")?
        .query_row([&p.fingerprint], |r| r.get(0))
        .optional()?;
    if let Some(n) = seen {
        return Ok(received("duplicate", Some(n), format!("already stored on #{n}")));
    }
    let mut reused = false;
    if let Some(id) = &p.message_id {
        let (out, any): (bool, bool) =
            tx.query_row("SELECT coalesce(max(direction = 'out'), 0), count(*) > 0 FROM mail_messages WHERE header_id = ?1", [id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        if out {
            let n = number_of_header(tx, id)?;
            return Ok(received("duplicate", n, "our own reply (its sent copy)"));
        }
        reused = any;
    }
    let me = identity(tx)?;
    let ours = me.as_ref().map(our_addresses).unwrap_or_default();
    let mut notes = p.notes.clone();
    // An address mail accepts but a customer record cannot hold (user@localhost): the ticket
    // is made for an unknown sender, and the note says who wrote.
    let from_addr = match p.from.as_ref().map(|f| f.address.clone()) {
        Some(a) if crate::validate::email("from", &a).is_err() => {
            notes.push(format!("The sender's address <{a}> cannot be kept as a customer's; the ticket is under an unknown sender."));
            None
        }
        other => other,
    };
    if reused {
        notes.push(format!("Another message was stored before under the same Message-ID <{}>.", p.message_id.as_deref().unwrap_or("")));
    }

    let raw_file = attachments::store_bytes_unsynced(data_dir, "message.eml", raw)?;
    let mut files = Vec::new();
    for a in &p.attachments {
        if a.bytes.len() as u64 > attachments::MAX_ATTACHMENT_BYTES {
            notes.push(format!("{} is larger than 50 MiB: it is only in the .eml.", a.filename));
            continue;
        }
        let s = attachments::store_bytes_unsynced(data_dir, &a.filename, &a.bytes)?;
        files.push(AttachmentRef { id: Uuid::now_v7().to_string(), filename: s.filename, sha256: s.sha256, size: s.size });
    }
    let meta = MailMeta {
        direction: "in".into(),
        header_id: p.message_id.clone().unwrap_or_else(|| format!("no-message-id.{}", &p.fingerprint[..32])),
        fingerprint: Some(p.fingerprint.clone()),
        from: from_addr.clone().unwrap_or_else(|| UNKNOWN_SENDER.into()),
        to: p.to.iter().map(|m| m.address.clone()).collect(),
        cc: p.cc.iter().map(|m| m.address.clone()).collect(),
        subject: p.subject.clone(),
        in_reply_to: p.in_reply_to.last().cloned(),
        references: p.references.clone(),
        raw_sha256: Some(raw_file.sha256),
        quoted: p.quoted.clone(),
        notes,
        automatic: p.automatic.clone(),
        reused_id: reused,
        has_html: p.has_html,
    };

    if let Some(b) = &p.bounce {
        return bounce(tx, ctx, p, b, meta, files);
    }
    if from_addr.as_deref().is_some_and(|f| ours.iter().any(|o| o == f)) {
        // Mail from our own address that is not our sent copy: a forwarding loop or a spoof.
        return Ok(received("refused", None, "sent from our own address; kept in the log only"));
    }

    let body = body_text(p);
    let thread = find_thread(tx, p, from_addr.as_deref())?;
    match thread {
        Thread::Into { ticket_id, number, why } => {
            let t = tickets::load_ticket(tx, number)?;
            if t.status == Status::Closed {
                let (n, _) = new_ticket(intake, p, &body, files, meta, Some(number), &me)?;
                return Ok(received("new_ticket", Some(n), format!("a follow-up of closed #{number} ({why}); linked to it")));
            }
            let author = people::upsert_customer(tx, ctx, from_addr.as_deref().unwrap_or(UNKNOWN_SENDER), display_name(p).as_deref(), None)?;
            let cctx = ctx.with_actor(format!("customer:{}", from_addr.as_deref().unwrap_or(UNKNOWN_SENDER)));
            if let Some(why_auto) = &p.automatic {
                // An out-of-office or a list's mail: kept on the ticket, answering nothing.
                let text = format!("Automatic mail from {} ({why_auto}):\n\n{body}", meta.from);
                let m = StoredMessage {
                    kind: MessageKind::System,
                    author_agent: None,
                    author_customer: None,
                    body: &text,
                    attachments: files,
                    mail: Some(meta),
                };
                tickets::insert_stored_message(tx, &cctx, &ticket_id, m)?;
                events::flush_derived(tx, settings)?;
                return Ok(received("threaded", Some(number), format!("into #{number} ({why}); automatic mail, no reopen, no answer")));
            }
            let m = StoredMessage {
                kind: MessageKind::Customer,
                author_agent: None,
                author_customer: Some(&author),
                body: &body,
                attachments: files,
                mail: Some(meta),
            };
            let message_id = tickets::insert_stored_message(tx, &cctx, &ticket_id, m)?;
            if matches!(t.status, Status::Pending | Status::Resolved) {
                tickets::change_status(tx, &cctx, &t, Status::Open, None)?;
            }
            events::flush_derived(tx, settings)?;
            let message_id = message_id.to_string();
            let happened = crate::hooks::Happened::CustomerMessage { message_id: &message_id, body: &body };
            hooks.run(tx, &crate::hooks::HookCtx { ctx: &cctx, sla: settings, data_dir }, &ticket_id, happened)?;
            Ok(received("threaded", Some(number), format!("into #{number} by {why}")))
        }
        Thread::Linked { number, why } => {
            let (n, _) = new_ticket(intake, p, &body, files, meta, Some(number), &me)?;
            Ok(received("new_ticket", Some(n), format!("{why}; a new ticket linked to #{number}")))
        }
        Thread::New => {
            let (n, _) = new_ticket(intake, p, &body, files, meta, None, &me)?;
            let mut detail = "a new thread".to_string();
            if let Some(a) = &p.automatic {
                detail.push_str(&format!("; automatic mail ({a}), no acknowledgement"));
            }
            Ok(received("new_ticket", Some(n), detail))
        }
    }
}

fn display_name(p: &ParsedMail) -> Option<String> {
    let name = p.from.as_ref()?.name.as_deref()?;
    crate::validate::name("requester name", name).ok()
}

/// The text stored as the message: what the sender wrote now; NUL bytes removed.
fn body_text(p: &ParsedMail) -> String {
    let b = p.body.replace('\0', "");
    if b.trim().is_empty() {
        "(no text)".into()
    } else {
        b
    }
}

enum Thread {
    Into {
        ticket_id: String,
        number: i64,
        why: String,
    },
    /// A `[#N]` from someone not on N: a new ticket, linked.
    Linked {
        number: i64,
        why: String,
    },
    New,
}

fn number_of_header(conn: &Connection, header_id: &str) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT t.number FROM mail_messages mm JOIN tickets t ON t.id = mm.ticket_id WHERE mm.header_id = ?1 LIMIT 1")?
        .query_row([header_id], |r| r.get(0))
        .optional()?)
}

fn find_thread(conn: &Connection, p: &ParsedMail, from: Option<&str>) -> Result<Thread> {
    let by_header = |id: &str| -> Result<Option<(String, i64)>> {
        // A ticket merged away: its replies land in the one it was merged into.
        Ok(conn
            .prepare_cached(
                "SELECT coalesce(s.id, t.id), coalesce(s.number, t.number) FROM mail_messages mm JOIN tickets t ON t.id = mm.ticket_id
                 LEFT JOIN tickets s ON s.id = t.duplicate_of WHERE mm.header_id = ?1 LIMIT 1",
            )?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    };
    for id in &p.in_reply_to {
        if let Some((ticket_id, number)) = by_header(id)? {
            return Ok(Thread::Into { ticket_id, number, why: format!("In-Reply-To <{id}>") });
        }
    }
    for id in p.references.iter().rev() {
        if let Some((ticket_id, number)) = by_header(id)? {
            return Ok(Thread::Into { ticket_id, number, why: format!("References <{id}>") });
        }
    }
    let Some(number) = subject_tag(&p.subject) else { return Ok(Thread::New) };
    let found: Option<(String, Option<String>, String)> = conn
        .query_row(
            "SELECT t.id, t.duplicate_of, c.email FROM tickets t JOIN customers c ON c.id = t.requester_id WHERE t.number = ?1",
            [number],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((ticket_id, merged_into, requester)) = found else { return Ok(Thread::New) };
    let Some(from) = from else { return Ok(Thread::Linked { number, why: format!("[#{number}] from an unreadable sender") }) };
    let on_ticket = requester.eq_ignore_ascii_case(from)
        || conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM mail_messages WHERE ticket_id = ?1 AND (from_addr = ?2
                OR EXISTS (SELECT 1 FROM json_each(cc_addrs) WHERE value = ?2) OR EXISTS (SELECT 1 FROM json_each(to_addrs) WHERE value = ?2)))",
            params![ticket_id, from],
            |r| r.get::<_, bool>(0),
        )?;
    if !on_ticket {
        return Ok(Thread::Linked { number, why: format!("[#{number}] in the subject from {from}, who is not on #{number}") });
    }
    let (ticket_id, number) = match merged_into {
        Some(s) => conn.query_row("SELECT id, number FROM tickets WHERE id = ?1", [&s], |r| Ok((r.get(0)?, r.get(1)?)))?,
        None => (ticket_id, number),
    };
    Ok(Thread::Into { ticket_id, number, why: format!("the [#{number}] tag from {from}, who is on the ticket") })
}

/// The number in a `[#1042]` tag of a subject.
pub(crate) fn subject_tag(subject: &str) -> Option<i64> {
    let mut rest = subject;
    while let Some(i) = rest.find("[#") {
        rest = &rest[i + 2..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if !digits.is_empty() && rest[digits.len()..].starts_with(']') {
            return digits.parse().ok();
        }
    }
    None
}

fn new_ticket(
    intake: Intake<'_>,
    p: &ParsedMail,
    body: &str,
    files: Vec<AttachmentRef>,
    meta: MailMeta,
    linked_to: Option<i64>,
    me: &Option<super::MailIdentity>,
) -> Result<(i64, String)> {
    let Intake { tx, ctx, data_dir, hooks, settings } = intake;
    let subject: String = p.subject.chars().map(|c| if c.is_control() { ' ' } else { c }).take(crate::validate::MAX_SUBJECT_CHARS).collect();
    let subject = if subject.trim().is_empty() { "(no subject)".to_string() } else { subject };
    let requester = meta.from.clone();
    let new = NewTicket {
        subject,
        description: body.to_string(),
        requester_email: requester.clone(),
        requester_name: display_name(p),
        channel: Some(Channel::Email),
        ..Default::default()
    };
    let (number, id) = tickets::insert_ticket_with(tx, ctx, settings, Some(hooks), data_dir, &new, files, Some(meta))?;
    if let Some(other) = linked_to {
        let other_id: String = tx.query_row("SELECT id FROM tickets WHERE number = ?1", [other], |r| r.get(0))?;
        if other_id != id {
            events::record(tx, ctx, Some(&id), Change::Linked { to_id: other_id, to_number: other })?;
        }
    }
    // The acknowledgement: an automatic reply, so `outgoing` holds it back for automatic
    // mail and for a sender who had one from us in the last day.
    if let Some(me) = me.as_ref().filter(|m| m.acknowledge && p.automatic.is_none() && requester != UNKNOWN_SENDER) {
        let text = me.acknowledgement.replace("{{ticket.number}}", &number.to_string());
        let m = StoredMessage { kind: MessageKind::Public, author_agent: None, author_customer: None, body: &text, attachments: vec![], mail: None };
        tickets::insert_stored_message(tx, &ctx.with_actor("system"), &id, m)?;
        events::flush_derived(tx, settings)?;
    }
    Ok((number, id))
}

fn bounce(tx: &Connection, ctx: &EventCtx, p: &ParsedMail, b: &casebook_mail::Bounce, meta: MailMeta, files: Vec<AttachmentRef>) -> Result<Received> {
    let ours = |id: &str| -> Result<Option<(String, i64, String)>> {
        Ok(tx
            .prepare_cached(
                "SELECT t.id, t.number, mm.message_id FROM mail_messages mm JOIN tickets t ON t.id = mm.ticket_id WHERE mm.header_id = ?1 AND mm.direction = 'out'",
            )?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?)
    };
    let mut found = None;
    for id in b.original_message_id.iter().chain(p.in_reply_to.iter()).chain(p.references.iter().rev()) {
        if let Some(f) = ours(id)? {
            found = Some(f);
            break;
        }
    }
    let recipient = b.recipient.clone().unwrap_or_else(|| "the recipient".into());
    let Some((ticket_id, number, message_id)) = found else {
        return Ok(received("bounce", None, format!("delivery to {recipient} failed ({}); it matches no mail of ours", b.reason)));
    };
    // On the ticket as a note of the system: it never reopens it nor tells the customer.
    let text = format!("Delivery failed to {recipient}: {}", b.reason);
    let sys = ctx.with_actor("system");
    let m = StoredMessage { kind: MessageKind::System, author_agent: None, author_customer: None, body: &text, attachments: files, mail: Some(meta) };
    tickets::insert_stored_message(tx, &sys, &ticket_id, m)?;
    if b.recipient.is_some() {
        events::record(
            tx,
            &sys,
            Some(&ticket_id),
            Change::MailBounced { message_id: Some(message_id), recipient: recipient.clone(), reason: b.reason.clone() },
        )?;
    }
    Ok(received("bounce", Some(number), format!("delivery to {recipient} failed ({}); noted on #{number}", b.reason)))
}

impl Workspace {
    /// Imports an .eml, an mbox or a Maildir through the same path as fetched mail: a second
    /// import of the same file adds nothing.
    pub fn import_mail(&mut self, path: &std::path::Path) -> Result<super::FetchReport> {
        let messages =
            casebook_mail::source::read(path).map_err(|e| crate::Error::validation("path", format!("cannot read {}: {e}", path.display())))?;
        let mut report = super::FetchReport::default();
        for batch in messages.chunks(IMPORT_BATCH) {
            let items: Vec<(&[u8], String)> = batch.iter().map(|m| (m.bytes.as_slice(), format!("import {}", m.origin))).collect();
            for got in self.receive_batch(&items, |_| Ok(()))? {
                report.fetched += 1;
                report.count(&got.outcome);
            }
        }
        Ok(report)
    }
}
