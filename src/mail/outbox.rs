//! The outbox: replies wait here until the SMTP server has accepted them, across restarts and
//! without network. Each is sent with the Message-ID it was given when it was written, so a
//! retry after a crash mid-send is the same mail again (receivers drop it by that id), never a
//! second, different one. A failure that retrying cannot mend (a 5xx, a bad address) stops at
//! once; others back off from 30 s to an hour, and give up after 10 tries.

use super::{identity, log, MailIdentity};
use crate::clock::to_ms;
use crate::events::{self, Change};
use crate::workspace::Workspace;
use crate::{Error, Result};
use casebook_mail::smtp;
use rusqlite::params;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SendReport {
    pub sent: u32,
    pub failed: u32,
    /// Left queued for a later try.
    pub waiting: u32,
}

const MAX_ATTEMPTS: i64 = 10;

fn backoff_ms(attempts: i64) -> i64 {
    (30_000i64 << attempts.clamp(0, 7)).min(3_600_000)
}

/// A queued reply's mail as stored (lists as JSON).
struct Queued {
    header_id: String,
    to: String,
    cc: String,
    subject: String,
    in_reply_to: Option<String>,
    refs: String,
    automatic: bool,
    body: String,
    agent: Option<String>,
}

struct Due {
    message_id: String,
    ticket_id: String,
    number: i64,
    attempts: i64,
}

/// A reply about to be sent: the mail and the server, taken from the workspace before the
/// network is touched (the desktop holds the workspace only around the send).
pub struct Sending {
    due: Due,
    cfg: smtp::SmtpConfig,
    out: smtp::Outgoing,
}

/// Hands one reply to the SMTP server (no workspace).
pub fn send_one(s: &Sending) -> std::result::Result<(), smtp::SendError> {
    smtp::build(&s.out).and_then(|m| smtp::send(&s.cfg, &m))
}

impl Workspace {
    /// The replies due now, each marked as being sent (`password`: the SMTP password from the
    /// keyring, if the server wants one).
    pub fn outbox_due(&mut self, password: Option<&str>) -> Result<Vec<Sending>> {
        let s = self.mailbox_settings()?.ok_or_else(super::fetch::not_set_up)?;
        let me = identity(&self.conn)?.ok_or_else(|| Error::validation("address", "The workspace has no support address yet (Settings → Email)"))?;
        let cfg = smtp::SmtpConfig {
            host: s.smtp_host.clone(),
            port: s.smtp_port,
            security: s.smtp_security.into(),
            user: s.smtp_user.clone(),
            password: password.map(str::to_string),
            extra_ca_pem: s.extra_ca_pem.clone(),
        };
        let now = to_ms(self.now());
        let due: Vec<Due> = self
            .conn
            .prepare(
                "SELECT o.message_id, o.ticket_id, t.number, coalesce(a.attempts, 0) FROM mail_outbox o JOIN tickets t ON t.id = o.ticket_id
                 LEFT JOIN mail_send_attempts a ON a.message_id = o.message_id
                 WHERE o.status = 'queued' AND coalesce(a.next_at, 0) <= ?1 ORDER BY o.queued_at, o.message_id",
            )?
            .query_map([now], |r| Ok(Due { message_id: r.get(0)?, ticket_id: r.get(1)?, number: r.get(2)?, attempts: r.get(3)? }))?
            .collect::<rusqlite::Result<_>>()?;
        let mut out = Vec::with_capacity(due.len());
        for d in due {
            let mail = self.outgoing_mail(&d.message_id, &me)?;
            self.conn.execute(
                "INSERT INTO mail_send_attempts (message_id, attempts, next_at, started_at) VALUES (?1, ?2, ?3, ?3)
                 ON CONFLICT(message_id) DO UPDATE SET started_at = excluded.started_at",
                params![d.message_id, d.attempts, now],
            )?;
            out.push(Sending { due: d, cfg: cfg.clone(), out: mail });
        }
        Ok(out)
    }

    /// Records how a send went: sent, given up on, or to be tried again after a backoff.
    pub fn record_send(&mut self, s: &Sending, result: std::result::Result<(), smtp::SendError>, report: &mut SendReport) -> Result<()> {
        let (d, out) = (&s.due, &s.out);
        let now = to_ms(self.now());
        let to = out.to.join(", ");
        let ctx = self.ctx().with_actor("mail");
        let settings = self.sla.clone();
        let tx = self.begin()?;
        match result {
            Ok(()) => {
                events::record(&tx, &ctx, Some(&d.ticket_id), Change::MailSent { message_id: d.message_id.clone(), error: None })?;
                tx.execute("DELETE FROM mail_send_attempts WHERE message_id = ?1", [&d.message_id])?;
                log(&tx, now, "outbox", Some(&out.message_id), Some(&out.from), Some(&out.subject), "sent", Some(d.number), &format!("to {to}"))?;
                tracing::info!(ticket = d.number, to = to.as_str(), "a reply was sent");
                report.sent += 1;
            }
            Err(e) if e.permanent || d.attempts + 1 >= MAX_ATTEMPTS => {
                let why = if e.permanent { e.message.clone() } else { format!("{} (gave up after {MAX_ATTEMPTS} tries)", e.message) };
                events::record(&tx, &ctx, Some(&d.ticket_id), Change::MailSent { message_id: d.message_id.clone(), error: Some(why.clone()) })?;
                tx.execute(
                    "UPDATE mail_send_attempts SET attempts = attempts + 1, last_error = ?2, started_at = NULL WHERE message_id = ?1",
                    params![d.message_id, why],
                )?;
                log(
                    &tx,
                    now,
                    "outbox",
                    Some(&out.message_id),
                    Some(&out.from),
                    Some(&out.subject),
                    "send_failed",
                    Some(d.number),
                    &format!("to {to}: {why}"),
                )?;
                tracing::error!(ticket = d.number, to = to.as_str(), error = why.as_str(), "a reply could not be sent and will not be tried again");
                report.failed += 1;
            }
            Err(e) => {
                let next = now + backoff_ms(d.attempts);
                tx.execute(
                    "UPDATE mail_send_attempts SET attempts = attempts + 1, next_at = ?2, last_error = ?3, started_at = NULL WHERE message_id = ?1",
                    params![d.message_id, next, e.message],
                )?;
                let detail = format!("to {to}: {}; tries again in {} s", e.message, (next - now) / 1000);
                tracing::warn!(
                    ticket = d.number,
                    to = to.as_str(),
                    error = e.message.as_str(),
                    again_in_s = (next - now) / 1000,
                    "a reply could not be sent yet"
                );
                log(&tx, now, "outbox", Some(&out.message_id), Some(&out.from), Some(&out.subject), "send_failed", Some(d.number), &detail)?;
                report.waiting += 1;
            }
        }
        events::commit(tx, &settings)?;
        Ok(())
    }

    /// Sends what is due in the outbox.
    pub fn send_outbox(&mut self, password: Option<&str>) -> Result<SendReport> {
        let mut report = SendReport::default();
        for s in self.outbox_due(password)? {
            let result = send_one(&s);
            self.record_send(&s, result, &mut report)?;
        }
        Ok(report)
    }

    /// A queued reply as the mail it is sent as.
    fn outgoing_mail(&self, message_id: &str, me: &MailIdentity) -> Result<smtp::Outgoing> {
        let q = self.conn.query_row(
            "SELECT mm.header_id, mm.to_addrs, mm.cc_addrs, mm.subject, mm.in_reply_to, mm.refs, mm.automatic, m.body, a.name
             FROM mail_messages mm JOIN messages m ON m.id = mm.message_id LEFT JOIN agents a ON a.id = m.author_agent WHERE mm.message_id = ?1",
            [message_id],
            |r| {
                Ok(Queued {
                    header_id: r.get(0)?,
                    to: r.get(1)?,
                    cc: r.get(2)?,
                    subject: r.get(3)?,
                    in_reply_to: r.get(4)?,
                    refs: r.get(5)?,
                    automatic: r.get::<_, Option<String>>(6)?.is_some(),
                    body: r.get(7)?,
                    agent: r.get(8)?,
                })
            },
        )?;
        let list = |s: &str| serde_json::from_str::<Vec<String>>(s).unwrap_or_default();
        let mut attachments = Vec::new();
        let files: Vec<(String, String)> = self
            .conn
            .prepare("SELECT filename, sha256 FROM attachments WHERE message_id = ?1 ORDER BY created_at, id")?
            .query_map([message_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (name, sha) in files {
            let bytes = std::fs::read(self.data_dir().join(crate::attachments::relative_path(&sha)))?;
            attachments.push((name, bytes));
        }
        // "Ana at Acme Support": the agent's name on the team's address.
        let from_name = match (q.agent, me.name.is_empty()) {
            (Some(a), false) => format!("{a} at {}", me.name),
            (Some(a), true) => a,
            (None, _) => me.name.clone(),
        };
        Ok(smtp::Outgoing {
            from_name,
            from: me.address.clone(),
            reply_to: me.reply_to.clone(),
            to: list(&q.to),
            cc: list(&q.cc),
            subject: q.subject,
            message_id: q.header_id,
            in_reply_to: q.in_reply_to,
            references: list(&q.refs),
            automatic: q.automatic,
            body: q.body,
            attachments,
        })
    }
}
