//! The event log (PRODUCT T4, DESIGN "One writer, a replayable log"): every change is a typed
//! event (`vocabulary`), appended and applied in the same transaction by `record`, the one
//! path that writes the state tables (`apply`). The history page, the rules, the alerts, the
//! dashboard's cache and later sync all read this one log; `replay` rebuilds the state from it
//! alone and proves that it can.

mod apply;
pub mod fold;
pub mod hlc;
mod new_ticket;
pub mod replay;
mod vocabulary;

pub use vocabulary::{AttachmentRef, Change, FieldChange, MailMeta, Verdict, FORMAT};

pub use apply::{commit, flush_derived, refresh_all_sla, sla_facts};
pub use new_ticket::{record_new_ticket, Written};

use casebook_core::clock::{from_ms, to_ms, Timestamp};
use casebook_core::model::Event;
use casebook_core::Result;
// The paths the modules below name things by.
use casebook_core::{clock, model, sla, Error};
use casebook_store as store;
use rusqlite::{params, Connection, OptionalExtension};
use uuid::Uuid;

/// Who did it, from which device, and when: the same for every event of one action.
#[derive(Debug, Clone)]
pub struct EventCtx {
    pub actor: String,
    pub device: String,
    pub at: Timestamp,
}

impl EventCtx {
    pub fn with_actor(&self, actor: impl Into<String>) -> EventCtx {
        EventCtx { actor: actor.into(), ..self.clone() }
    }
}

/// Applies one change and appends its event, in the caller's transaction; returns the event's
/// sequence number. The change is applied first, so the event can name the ticket it creates.
pub fn record(conn: &Connection, ctx: &EventCtx, ticket_id: Option<&str>, change: Change) -> Result<i64> {
    let id = Uuid::now_v7().to_string();
    apply::apply(conn, ticket_id, to_ms(ctx.at), &change, apply::Origin { event_id: &id, device: &ctx.device, actor: &ctx.actor })?;
    append(conn, &id, ctx, ticket_id, &change)
}

/// Appends an event without applying it: only for a baseline of state that is already there.
fn append(conn: &Connection, id: &str, ctx: &EventCtx, ticket_id: Option<&str>, change: &Change) -> Result<i64> {
    let clock = hlc::next(conn, to_ms(ctx.at))?;
    append_with_clock(conn, id, ctx, ticket_id, change, clock)
}

/// Appends an event whose clock value the caller worked out (`new_ticket`, which reads the
/// log's clock once for a whole history).
fn append_with_clock(conn: &Connection, id: &str, ctx: &EventCtx, ticket_id: Option<&str>, change: &Change, clock: i64) -> Result<i64> {
    let (kind, payload) = change.to_parts()?;
    let at = to_ms(ctx.at);
    let mut stmt = conn.prepare_cached(
        "INSERT INTO events (id, ticket_id, actor, kind, payload, at, device, format, hlc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    stmt.execute(params![id, ticket_id, ctx.actor, kind, payload, at, ctx.device, FORMAT, clock])?;
    Ok(conn.last_insert_rowid())
}

/// An event as it is stored: what replay copies and what a sync segment carries to another
/// laptop, byte for byte (the payload stays the JSON text it was written as).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredEvent {
    pub id: String,
    pub ticket_id: Option<String>,
    pub actor: String,
    pub kind: String,
    pub payload: String,
    pub at: i64,
    /// The device the change was made on.
    pub device: String,
    pub format: i64,
    pub hlc: i64,
}

impl StoredEvent {
    pub fn origin(&self) -> apply::Origin<'_> {
        apply::Origin { event_id: &self.id, device: &self.device, actor: &self.actor }
    }

    /// The columns `from_row` reads, from `events e`.
    pub const COLUMNS: &'static str = "e.id, e.ticket_id, e.actor, e.kind, e.payload, e.at, e.device, e.format, coalesce(e.hlc, 0)";

    pub fn from_row(r: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<StoredEvent> {
        Ok(StoredEvent {
            id: r.get(first)?,
            ticket_id: r.get(first + 1)?,
            actor: r.get(first + 2)?,
            kind: r.get(first + 3)?,
            payload: r.get(first + 4)?,
            at: r.get(first + 5)?,
            device: r.get(first + 6)?,
            format: r.get(first + 7)?,
            hlc: r.get(first + 8)?,
        })
    }

    /// Appends it to the log as it is (`seq` given to keep a copy's numbering; `received_from`:
    /// the share folder it was ingested from).
    pub fn insert(&self, conn: &Connection, seq: Option<i64>, received_from: Option<&str>) -> Result<()> {
        conn.prepare_cached(
            "INSERT INTO events (seq, id, ticket_id, actor, kind, payload, at, device, format, hlc, received_from)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?
        .execute(params![
            seq,
            self.id,
            self.ticket_id,
            self.actor,
            self.kind,
            self.payload,
            self.at,
            self.device,
            self.format,
            self.hlc,
            received_from
        ])?;
        Ok(())
    }
}

fn row_to_event(row: &rusqlite::Row<'_>) -> rusqlite::Result<Event> {
    let payload: String = row.get(5)?;
    let id: String = row.get(1)?;
    Ok(Event {
        seq: row.get(0)?,
        id: Uuid::parse_str(&id).unwrap_or_default(),
        ticket_number: row.get(2)?,
        actor: row.get(3)?,
        kind: row.get(4)?,
        payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
        at: from_ms(row.get(6)?),
        device: row.get(7)?,
    })
}

/// The log's order: by clock, then device, then event id (the same on every laptop).
pub const ORDER: &str = "e.hlc, e.device, e.id";

const SELECT: &str = "SELECT e.seq, e.id, t.number, e.actor, e.kind, e.payload, e.at, e.device
                      FROM events e LEFT JOIN tickets t ON t.id = e.ticket_id";

/// The history of one ticket, oldest first (in the log's order, which is the order of its
/// clock across laptops).
pub fn for_ticket(conn: &Connection, ticket_id: &str) -> Result<Vec<Event>> {
    let mut stmt = conn.prepare_cached(&format!("{SELECT} WHERE e.ticket_id = ?1 ORDER BY {ORDER}"))?;
    let rows = stmt.query_map([ticket_id], row_to_event)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Events after `seq` in the order this workspace received them, oldest first, at most `limit` (the feed for derived data).
pub fn since(conn: &Connection, seq: i64, limit: usize) -> Result<Vec<Event>> {
    let mut stmt = conn.prepare_cached(&format!("{SELECT} WHERE e.seq > ?1 ORDER BY e.seq LIMIT ?2"))?;
    let rows = stmt.query_map(params![seq, limit as i64], row_to_event)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn last_seq(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT seq FROM events ORDER BY seq DESC LIMIT 1", [], |r| r.get(0)).optional()?.unwrap_or(0))
}
