//! What rules read about a ticket: one row of `tickets` (with the instants rules measure
//! from), plus its tags and texts loaded only when a condition asks for them. A time-rule
//! pass reads one such row per open ticket; the thread itself is never read.

use casebook_core::error::Result;
use casebook_core::model::{Channel, Priority, Status, Tier};
use casebook_core::sla::SlaState;
use rusqlite::{Connection, OptionalExtension};

/// A ticket as the rules see it. Times are Unix milliseconds.
#[derive(Debug, Clone)]
pub struct Facts {
    pub id: String,
    pub number: i64,
    pub subject: String,
    pub ticket_type: String,
    pub priority: Priority,
    pub status: Status,
    pub requester_id: String,
    pub tier: Tier,
    pub assignee_id: Option<String>,
    pub assignee_email: Option<String>,
    pub team_id: Option<String>,
    pub team: Option<String>,
    pub channel: Channel,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_agent_reply_at: Option<i64>,
    pub last_customer_at: Option<i64>,
    pub status_changed_at: i64,
    pub awaiting_reply_since: Option<i64>,
    pub sla_cycle: i64,
    pub frt_due_at: Option<i64>,
    pub frt_risk_at: Option<i64>,
    pub res_due_at: Option<i64>,
    pub res_risk_at: Option<i64>,
    tags: Option<Vec<String>>,
    description: Option<String>,
    latest_customer_message: Option<String>,
}

const SELECT: &str = "SELECT t.id, t.number, t.subject, t.type, t.priority, t.status, t.requester_id, c.tier, t.assignee_id, a.email,
        t.team_id, tm.name, t.channel, t.created_at, t.updated_at, t.last_agent_reply_at, t.last_customer_at,
        coalesce(t.status_changed_at, t.created_at), t.awaiting_reply_since, t.sla_cycle, t.frt_due_at, t.frt_risk_at, t.res_due_at, t.res_risk_at
    FROM tickets t JOIN customers c ON c.id = t.requester_id
    LEFT JOIN agents a ON a.id = t.assignee_id LEFT JOIN teams tm ON tm.id = t.team_id";

fn row_to_facts(r: &rusqlite::Row<'_>) -> rusqlite::Result<Facts> {
    Ok(Facts {
        id: r.get(0)?,
        number: r.get(1)?,
        subject: r.get(2)?,
        ticket_type: r.get(3)?,
        priority: Priority::from_rank(r.get(4)?),
        status: Status::parse(&r.get::<_, String>(5)?).unwrap_or(Status::Open),
        requester_id: r.get(6)?,
        tier: Tier::parse(&r.get::<_, String>(7)?).unwrap_or(Tier::Normal),
        assignee_id: r.get(8)?,
        assignee_email: r.get(9)?,
        team_id: r.get(10)?,
        team: r.get(11)?,
        channel: Channel::parse(&r.get::<_, String>(12)?).unwrap_or(Channel::Manual),
        created_at: r.get(13)?,
        updated_at: r.get(14)?,
        last_agent_reply_at: r.get(15)?,
        last_customer_at: r.get(16)?,
        status_changed_at: r.get(17)?,
        awaiting_reply_since: r.get(18)?,
        sla_cycle: r.get(19)?,
        frt_due_at: r.get(20)?,
        frt_risk_at: r.get(21)?,
        res_due_at: r.get(22)?,
        res_risk_at: r.get(23)?,
        tags: None,
        description: None,
        latest_customer_message: None,
    })
}

/// Every ticket that is not closed, in number order; with `only`, those the SQL condition
/// admits (a pre-filter the caller guarantees loses no ticket a rule could act on).
pub fn load_open(conn: &Connection, only: Option<&str>) -> Result<Vec<Facts>> {
    let only = only.map(|c| format!(" AND ({c})")).unwrap_or_default();
    let mut stmt = conn.prepare(&format!("{SELECT} WHERE t.status <> 'closed'{only} ORDER BY t.number"))?;
    let rows = stmt.query_map([], row_to_facts)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The column an "hours since" counts from, in the `SELECT` above.
pub fn since_column(since: crate::Since) -> &'static str {
    use crate::Since as S;
    match since {
        S::Created => "t.created_at",
        S::Updated => "t.updated_at",
        S::LastAgentReply => "t.last_agent_reply_at",
        S::LastCustomerReply => "t.last_customer_at",
        S::StatusChange => "coalesce(t.status_changed_at, t.created_at)",
        S::PendingSince => "(CASE WHEN t.status = 'pending' THEN coalesce(t.status_changed_at, t.created_at) END)",
        S::AwaitingReply => "t.awaiting_reply_since",
    }
}

pub fn load_one(conn: &Connection, ticket_id: &str) -> Result<Option<Facts>> {
    Ok(conn.prepare_cached(&format!("{SELECT} WHERE t.id = ?1"))?.query_row([ticket_id], row_to_facts).optional()?)
}

impl Facts {
    pub fn tags(&mut self, conn: &Connection) -> Result<&[String]> {
        if self.tags.is_none() {
            let mut stmt = conn.prepare_cached("SELECT tag FROM ticket_tags WHERE ticket_id = ?1 ORDER BY tag")?;
            self.tags = Some(stmt.query_map([&self.id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?);
        }
        Ok(self.tags.as_deref().unwrap_or_default())
    }

    /// Keeps the texts already read from `old` (same ticket, re-read after a write).
    pub fn inherit_texts(&mut self, old: &mut Facts) {
        self.description = old.description.take();
        self.latest_customer_message = old.latest_customer_message.take();
    }

    pub fn set_tags(&mut self, tags: Vec<String>) {
        self.tags = Some(tags);
    }

    pub fn description(&mut self, conn: &Connection) -> Result<&str> {
        if self.description.is_none() {
            self.description = Some(conn.prepare_cached("SELECT description FROM tickets WHERE id = ?1")?.query_row([&self.id], |r| r.get(0))?);
        }
        Ok(self.description.as_deref().unwrap_or_default())
    }

    pub fn latest_customer_message(&mut self, conn: &Connection) -> Result<&str> {
        if self.latest_customer_message.is_none() {
            let body: Option<String> = conn
                .prepare_cached("SELECT body FROM messages WHERE ticket_id = ?1 AND kind = 'customer' ORDER BY created_at DESC, id DESC LIMIT 1")?
                .query_row([&self.id], |r| r.get(0))
                .optional()?;
            self.latest_customer_message = Some(body.unwrap_or_default());
        }
        Ok(self.latest_customer_message.as_deref().unwrap_or_default())
    }

    /// The SLA as the stored instants say at `now` (kept current on every change).
    pub fn sla_state(&self, now: i64) -> SlaState {
        match self.status {
            Status::Pending => return SlaState::Paused,
            Status::Resolved | Status::Closed => return SlaState::Met,
            _ => {}
        }
        let past = |t: Option<i64>| t.is_some_and(|t| t <= now);
        if past(self.frt_due_at) || past(self.res_due_at) {
            SlaState::Breached
        } else if past(self.frt_risk_at) || past(self.res_risk_at) {
            SlaState::AtRisk
        } else if self.frt_due_at.is_none() && self.res_due_at.is_none() {
            SlaState::Met
        } else {
            SlaState::Ok
        }
    }

    /// What last happened to the ticket, for a dry run of a trigger over existing tickets.
    pub fn last_event(&self) -> crate::TriggerEvent {
        use crate::TriggerEvent as E;
        if self.updated_at == self.created_at {
            return E::Created;
        }
        let candidates = [
            (self.last_customer_at, E::CustomerMessage),
            (self.last_agent_reply_at, E::AgentReply),
            (Some(self.status_changed_at), E::StatusChanged),
        ];
        candidates.into_iter().find(|(at, _)| *at == Some(self.updated_at)).map(|(_, e)| e).unwrap_or(E::FieldChanged)
    }
}
