//! Folding in events made on other laptops (team sync). The state is the fold of every event
//! in the log's order, (clock, device, id), whichever laptop made it and whenever it arrived:
//! so laptops that hold the same events hold the same state. An event that sorts after
//! everything already applied is simply applied (the common case: a colleague's new work);
//! one that sorts before something already applied (work done while two laptops were apart)
//! makes the state be folded again from the log (`refold`). Rules and alerts never run here:
//! they ran on the laptop where the change was made, and their actions are events too.

use super::apply::{self, STATE_TABLES};
use super::{hlc, Change, StoredEvent, FORMAT};
use crate::sla::SlaSettings;
use crate::{Error, Result};
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Folded {
    /// Events new to this workspace.
    pub new: u64,
    /// Events it already had (delivered twice, or its own coming back).
    pub duplicates: u64,
    /// Whether a late event made the whole state be folded again.
    pub refolded: bool,
    /// Tickets rebuilt alone for late events that concern only them (no whole refold).
    pub rebuilt_tickets: u64,
}

fn refuse(e: &StoredEvent, message: String) -> Error {
    Error::BadEvent { id: e.id.clone(), kind: e.kind.clone(), message }
}

/// The change an event carries, or why it cannot be applied here.
pub fn decode(e: &StoredEvent) -> Result<Option<Change>> {
    if e.format == 0 {
        return Ok(None);
    }
    if e.format > FORMAT {
        return Err(refuse(e, format!("format {} was written by a newer Casebook (this one reads up to {FORMAT})", e.format)));
    }
    Change::from_parts(&e.kind, &e.payload).map(Some).map_err(|m| refuse(e, m))
}

/// Adds `events` (received from the share folder of `received_from`) to the log and the state,
/// in the caller's transaction. All or nothing: an event that cannot be applied refuses them
/// all. The caller commits with `commit` (derived columns).
pub fn ingest(conn: &Connection, events: &[StoredEvent], received_from: &str) -> Result<Folded> {
    // History kept from before typed events names tickets its batch creates later.
    conn.execute_batch("PRAGMA defer_foreign_keys = ON")?;
    let mut report = Folded::default();
    let applied_up_to = hlc::last(conn)?;
    let mut fresh: Vec<(&StoredEvent, Option<Change>)> = Vec::new();
    let mut known = conn.prepare_cached("SELECT 1 FROM events WHERE id = ?1")?;
    let mut seen = std::collections::HashSet::with_capacity(events.len());
    for e in events {
        if !seen.insert(e.id.as_str()) || known.query_row([&e.id], |_| Ok(())).optional()?.is_some() {
            report.duplicates += 1;
            continue;
        }
        fresh.push((e, decode(e)?));
    }
    drop(known);
    fresh.sort_by(|(a, _), (b, _)| (a.hlc, &a.device, &a.id).cmp(&(b.hlc, &b.device, &b.id)));
    let in_order = fresh.first().is_none_or(|(e, _)| e.hlc > applied_up_to);
    for (e, _) in &fresh {
        e.insert(conn, None, Some(received_from))?;
    }
    report.new = fresh.len() as u64;
    if in_order {
        for (e, change) in &fresh {
            if let Some(change) = change {
                apply::apply(conn, e.ticket_id.as_deref(), e.at, change, e.origin()).map_err(|x| refuse(e, x.to_string()))?;
            }
        }
    } else {
        match refold_tickets(conn, &fresh.iter().map(|(e, _)| *e).collect::<Vec<_>>())? {
            Some(n) => report.rebuilt_tickets = n,
            None => {
                refold(conn)?;
                report.refolded = true;
            }
        }
    }
    Ok(report)
}

/// Kinds of event that change only the ticket they are stored with (no other ticket, no
/// numbering, no settings or people): a late one of these rebuilds just its ticket.
const TICKET_LOCAL: &[&str] = &[
    "message.added",
    "mail.sent",
    "message.marked_solution",
    "ticket.status_changed",
    "ticket.field_changed",
    "ticket.rated",
    "ticket.snoozed",
    "ticket.follow_up_set",
    "rule.fired",
    "rule.notified",
    "rules.stopped",
];

/// Rebuilds only the tickets the late `events` are about, from their own events in the log's
/// order, when that gives what a whole refold would: every late event is ticket-local, and
/// none of those tickets takes part in a merge or a link (whose rows other tickets' events
/// write). Returns how many it rebuilt, or None, having changed nothing, when that does not
/// hold.
pub fn refold_tickets(conn: &Connection, events: &[&StoredEvent]) -> Result<Option<u64>> {
    let mut tickets: Vec<&str> = Vec::new();
    for e in events {
        match (&e.ticket_id, TICKET_LOCAL.contains(&e.kind.as_str()) || e.format == 0) {
            (Some(t), true) => {
                if !tickets.contains(&t.as_str()) {
                    tickets.push(t.as_str());
                }
            }
            _ => return Ok(None),
        }
    }
    for t in &tickets {
        let tangled: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM tickets WHERE id = ?1 AND duplicate_of IS NOT NULL)
                 OR EXISTS (SELECT 1 FROM tickets WHERE duplicate_of = ?1)
                 OR EXISTS (SELECT 1 FROM ticket_links WHERE from_ticket = ?1 OR to_ticket = ?1)
                 OR NOT EXISTS (SELECT 1 FROM tickets WHERE id = ?1)",
            [t],
            |r| r.get(0),
        )?;
        if tangled {
            return Ok(None);
        }
    }
    for t in &tickets {
        refold_one(conn, t)?;
    }
    Ok(Some(tickets.len() as u64))
}

/// Applies the log's typed events that match `filter` (SQL on `events e`), in the log's order,
/// each after `adjust` has seen its change. Returns how many it applied.
fn apply_logged<P: rusqlite::Params>(conn: &Connection, filter: &str, params: P, mut adjust: impl FnMut(&mut Change)) -> Result<u64> {
    let mut read =
        conn.prepare(&format!("SELECT {} FROM events e WHERE e.format > 0 AND {filter} ORDER BY {}", StoredEvent::COLUMNS, super::ORDER))?;
    let mut rows = read.query(params)?;
    let mut applied = 0;
    while let Some(r) = rows.next()? {
        let e = StoredEvent::from_row(r, 0)?;
        let Some(mut change) = decode(&e)? else { continue };
        adjust(&mut change);
        apply::apply(conn, e.ticket_id.as_deref(), e.at, &change, e.origin()).map_err(|x| refuse(&e, x.to_string()))?;
        applied += 1;
    }
    Ok(applied)
}

/// One ticket's rows emptied and its own events applied again in order. Its number (which
/// depends on every ticket's creation, not on its own events) and a conflict about that
/// number are kept; so is this desktop's alert progress while its SLA instants stay put.
fn refold_one(conn: &Connection, ticket_id: &str) -> Result<()> {
    let (number, attention, alert_at): (i64, Option<i64>, Option<i64>) =
        conn.query_row("SELECT number, sla_attention_at, sla_alert_at FROM tickets WHERE id = ?1", [ticket_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
    let number_conflict: Option<Vec<rusqlite::types::Value>> = conn
        .query_row(
            "SELECT event_id, ticket_id, kind, field, kept, lost, device, actor, at FROM conflicts WHERE ticket_id = ?1 AND kind = 'number'",
            [ticket_id],
            |r| (0..9).map(|i| r.get(i)).collect(),
        )
        .optional()?;
    conn.execute_batch("PRAGMA defer_foreign_keys = ON")?;
    for sql in [
        "DELETE FROM attachments WHERE message_id IN (SELECT id FROM messages WHERE ticket_id = ?1)",
        "DELETE FROM mail_messages WHERE ticket_id = ?1",
        "DELETE FROM mail_outbox WHERE ticket_id = ?1",
        "DELETE FROM messages WHERE ticket_id = ?1",
        "DELETE FROM ticket_tags WHERE ticket_id = ?1",
        "DELETE FROM sla_pauses WHERE ticket_id = ?1",
        "DELETE FROM rule_firings WHERE ticket_id = ?1",
        "DELETE FROM csat WHERE ticket_id = ?1",
        "DELETE FROM conflicts WHERE ticket_id = ?1",
        "DELETE FROM tickets WHERE id = ?1",
    ] {
        conn.execute(sql, [ticket_id])?;
    }
    apply_logged(conn, "e.ticket_id = ?1", [ticket_id], |change| {
        if let Change::TicketCreated { number: n, .. } = change {
            *n = number;
        }
    })?;
    // A rule deleted later in the log took its firings with it (ON DELETE CASCADE).
    conn.execute("DELETE FROM rule_firings WHERE ticket_id = ?1 AND rule_id NOT IN (SELECT id FROM rules)", [ticket_id])?;
    if let Some(values) = number_conflict {
        conn.execute("INSERT OR REPLACE INTO conflicts (event_id, ticket_id, kind, field, kept, lost, device, actor, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", rusqlite::params_from_iter(values))?;
    }
    let sla: SlaSettings = crate::store::get_setting(conn, "sla")?.unwrap_or_default();
    apply::flush_derived(conn, &sla)?;
    conn.execute("UPDATE tickets SET sla_alert_at = ?2 WHERE id = ?1 AND sla_attention_at IS ?3", rusqlite::params![ticket_id, alert_at, attention])?;
    Ok(())
}

/// Folds the whole state again from the log, in the caller's transaction: every state table
/// emptied and every typed event applied in the log's order. This device's own columns (how
/// far its SLA alert scan has got) are kept for the tickets whose SLA instants did not move.
pub fn refold(conn: &Connection) -> Result<u64> {
    conn.execute_batch(
        "PRAGMA defer_foreign_keys = ON;
         DROP TABLE IF EXISTS temp.refold_keep;
         CREATE TEMP TABLE refold_keep AS SELECT id, sla_attention_at, sla_alert_at FROM tickets;",
    )?;
    for (table, _) in STATE_TABLES.iter().rev() {
        conn.execute(&format!("DELETE FROM \"{table}\""), [])?;
    }
    conn.execute("DELETE FROM temp.derived_pending", [])?;
    let applied = apply_logged(conn, "1 = 1", [], |_| {})?;
    let sla: SlaSettings = crate::store::get_setting(conn, "sla")?.unwrap_or_default();
    apply::flush_derived(conn, &sla)?;
    conn.execute_batch(
        "UPDATE tickets SET sla_alert_at = k.sla_alert_at FROM temp.refold_keep k
          WHERE k.id = tickets.id AND k.sla_attention_at IS tickets.sla_attention_at;
         DROP TABLE temp.refold_keep;",
    )?;
    Ok(applied)
}
