//! Tickets brought in with their past (PRODUCT C2): when they were created, the status and
//! resolution they reached, and the fix that closed them, so that "similar solved tickets"
//! works on the first day. The spreadsheet import and the JSON import both come here. Every
//! ticket goes through the one writer: created at its own time, the fix as an agent's reply
//! marked as the solution, and its status reached the way the status machine allows. No rule
//! and no alert reacts: this is history, not news.

use crate::clock::Timestamp;
use crate::events::{self, EventCtx};
use crate::model::{MessageKind, NewTicket, Resolution, Status};
use crate::{people, tickets, Error, Result, Workspace};
use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// A ticket and what happened to it before it came here.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HistoricTicket {
    #[serde(flatten)]
    pub ticket: NewTicket,
    /// When it was created (default: now).
    #[serde(default)]
    pub created_at: Option<Timestamp>,
    /// The status it reached (default: New).
    #[serde(default)]
    pub status: Option<Status>,
    /// Why it was solved (default: solved).
    #[serde(default)]
    pub resolution: Option<Resolution>,
    /// The reply that fixed it, shown as the fix of the solved ticket.
    #[serde(default)]
    pub fix: Option<String>,
    /// When it was solved (default: the creation time).
    #[serde(default)]
    pub solved_at: Option<Timestamp>,
}

/// Reads a time as spreadsheets write it: RFC 3339, or `YYYY-MM-DD HH:MM[:SS]` and
/// `YYYY-MM-DD` taken as UTC.
pub fn parse_time(s: &str) -> std::result::Result<Timestamp, String> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Ok(Utc.from_utc_datetime(&t));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight exists")));
    }
    Err(format!("'{s}' is not a time (e.g. 2026-03-02 09:30, 2026-03-02 or 2026-03-02T09:30:00Z)"))
}

/// The first words of a body, as a subject for a row that has none.
pub fn subject_from_body(body: &str) -> String {
    let first_line = body.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    let mut subject = String::new();
    for word in first_line.split_whitespace() {
        if subject.chars().count() + word.chars().count() + 1 > 80 || subject.split(' ').count() >= 10 {
            subject.push('…');
            break;
        }
        if !subject.is_empty() {
            subject.push(' ');
        }
        subject.push_str(word);
    }
    subject
}

impl Workspace {
    /// Imports tickets with their past, all or nothing; errors name the record as `label` says.
    pub fn import_history(&mut self, tickets: &[HistoricTicket], label: &dyn Fn(usize) -> String) -> Result<Vec<i64>> {
        let base = self.ctx();
        let settings = self.sla.clone();
        let data_dir = self.data_dir();
        let now = self.now();
        let fallback_agent = self.acting_agent().map(|a| a.email.clone());
        let tx = self.begin()?;
        let mut numbers = Vec::with_capacity(tickets.len());
        for (i, h) in tickets.iter().enumerate() {
            let named = |e: Error| match e {
                Error::IllegalTransition { to, .. } => Error::validation("status", format!("{}: the status {to} cannot be reached", label(i))),
                other => tickets::name_record(other, &label(i)),
            };
            let created = h.created_at.unwrap_or(now);
            if created > now {
                return Err(named(Error::validation("created", "the creation time is in the future")));
            }
            let solved = h.solved_at.unwrap_or(created).max(created);
            if solved > now {
                return Err(named(Error::validation("solved", "the time it was solved is in the future")));
            }
            let ctx = EventCtx { at: created, ..base.with_actor("import") };
            let new = NewTicket { channel: Some(h.ticket.channel.unwrap_or(crate::model::Channel::Import)), ..h.ticket.clone() };
            let number = tickets::insert_ticket(&tx, &ctx, &settings, None, &data_dir, &new).map_err(named)?;
            let ticket = tickets::load_ticket(&tx, number)?;
            let id = ticket.id.to_string();
            if let Some(fix) = h.fix.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
                // The fix is the assignee's reply (or the importing agent's), marked as the fix.
                let author = ticket.assignee.as_ref().map(|a| a.email.clone()).or_else(|| fallback_agent.clone());
                let author = author.ok_or_else(|| named(Error::validation("fix", "a fix needs an agent to have written it: add one first")))?;
                let agent_id = people::agent_id(&tx, &author).map_err(named)?;
                let body = crate::validate::body("fix", fix, false).map_err(named)?;
                let reply_ctx = EventCtx { actor: format!("agent:{author}"), at: solved, ..ctx.clone() };
                let message = tickets::insert_message(&tx, &reply_ctx, &data_dir, &id, MessageKind::Public, Some(&agent_id), None, &body, &[])?;
                events::record(&tx, &reply_ctx, Some(&id), events::Change::SolutionMarked { message_id: message.to_string() })?;
            }
            let target = h.status.unwrap_or(Status::New);
            let status_ctx = EventCtx { at: solved, ..ctx.clone() };
            tickets::reach_status(&tx, &status_ctx, number, target, h.resolution).map_err(named)?;
            numbers.push(number);
        }
        events::commit(tx, &settings)?;
        Ok(numbers)
    }
}
