//! What the statistics read: one row per ticket the filters admit, and what hangs off a
//! ticket (SLA pauses, tags, ratings) joined to those rows in memory.
//!
//! The dashboard reads every ticket of two periods (100k and more), so this reads numbers, not
//! text: types and assignees become small indexes, and the side tables are joined by the
//! ticket's id parsed once into a `u128`, instead of a B-tree lookup on a text key per row.

use crate::clock::from_ms;
use crate::model::{Priority, Resolution, Status};
use crate::sla::Pause;
use crate::{Error, Result};
use rusqlite::types::ValueRef;
use rusqlite::{params, Connection};
use rustc_hash::FxHashMap;
use std::collections::HashMap;

/// One ticket as the statistics read it (times in ms).
pub(super) struct Row {
    pub number: i64,
    pub status: Status,
    pub priority: Priority,
    /// Index into `Tickets::types`.
    pub type_ix: usize,
    /// Index into `Tickets::agents`.
    pub agent_ix: Option<usize>,
    pub created: i64,
    pub first_response: Option<i64>,
    pub resolved: Option<i64>,
    pub cycle_start: i64,
    pub reopened: bool,
    pub status_changed: i64,
    pub frt_due: Option<i64>,
    pub res_due: Option<i64>,
    pub frt_risk: Option<i64>,
    pub res_risk: Option<i64>,
    pub duplicate: bool,
}

impl Row {
    pub fn unsolved(&self) -> bool {
        !self.status.is_solved()
    }

    /// Solved for real (a duplicate closed in a minute is no resolution time).
    pub fn solved_at(&self) -> Option<i64> {
        if self.status.is_solved() && !self.duplicate {
            self.resolved
        } else {
            None
        }
    }
}

pub(super) struct Agent {
    pub email: String,
    pub name: String,
}

/// The admitted tickets, and how to find one of them by its id.
pub(super) struct Tickets {
    pub rows: Vec<Row>,
    pub types: Vec<String>,
    pub agents: Vec<Agent>,
    by_id: FxHashMap<u128, usize>,
    /// Row index → its SLA pauses (few tickets have any).
    pub pauses: FxHashMap<usize, Vec<Pause>>,
}

/// A text column, borrowed from the row.
fn text(v: ValueRef<'_>) -> rusqlite::Result<&str> {
    Ok(v.as_str()?)
}

/// A ticket id as stored (UUID text) → the key of the in-memory join.
fn id_key(v: ValueRef<'_>) -> rusqlite::Result<u128> {
    uuid::Uuid::try_parse(text(v)?).map(|u| u.as_u128()).map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

/// The index of `text` in `names`, adding it when new (no allocation for a known one).
fn intern(names: &mut Vec<String>, index: &mut HashMap<String, usize>, text: &str) -> usize {
    if let Some(i) = index.get(text) {
        return *i;
    }
    names.push(text.to_string());
    index.insert(text.to_string(), names.len() - 1);
    names.len() - 1
}

impl Tickets {
    /// Every ticket the filters admit (`None` admits all), with the pauses of those created
    /// since `pauses_since` (the only ones whose SLA the figures compute).
    pub fn load(conn: &Connection, priority: Option<Priority>, ticket_type: Option<&str>, team: Option<&str>, agent: Option<&str>, pauses_since: i64) -> Result<Tickets> {
        let mut agents = Vec::new();
        let mut agent_by_id: HashMap<String, usize> = HashMap::new();
        let mut stmt = conn.prepare_cached("SELECT id, email, name FROM agents ORDER BY email")?;
        let mut q = stmt.query([])?;
        while let Some(r) = q.next()? {
            agent_by_id.insert(r.get(0)?, agents.len());
            agents.push(Agent { email: r.get(1)?, name: r.get(2)? });
        }
        drop(q);

        let mut types = Vec::new();
        let mut type_index = HashMap::new();
        let mut by_id = FxHashMap::default();
        let mut rows = Vec::new();
        // Team and agent are resolved to their ids once, so the scan joins nothing.
        let mut stmt = conn.prepare_cached(
            "SELECT t.id, t.number, t.status, t.priority, t.type, t.assignee_id, t.created_at, t.first_response_at,
                    t.resolved_at, t.sla_cycle_start, t.sla_cycle, coalesce(t.status_changed_at, t.created_at),
                    t.frt_due_at, t.res_due_at, t.frt_risk_at, t.res_risk_at, t.resolution
             FROM tickets t
             WHERE (?1 IS NULL OR t.priority = ?1) AND (?2 IS NULL OR t.type = ?2 COLLATE NOCASE)
               AND (?3 IS NULL OR t.team_id IN (SELECT id FROM teams WHERE name = ?3 COLLATE NOCASE))
               AND (?4 IS NULL OR t.assignee_id IN (SELECT id FROM agents WHERE email = ?4 COLLATE NOCASE))",
        )?;
        let mut q = stmt.query(params![priority.map(|p| p.rank()), ticket_type, team, agent])?;
        while let Some(r) = q.next()? {
            let status_text = text(r.get_ref(2)?)?;
            let status = Status::ALL.iter().copied().find(|s| s.as_str() == status_text).ok_or_else(|| Error::validation("status", format!("unknown status '{status_text}'")))?;
            let agent_ix = match r.get_ref(5)? {
                ValueRef::Null => None,
                v => agent_by_id.get(text(v)?).copied(),
            };
            let resolution = r.get_ref(16)?;
            by_id.insert(id_key(r.get_ref(0)?)?, rows.len());
            rows.push(Row {
                number: r.get(1)?,
                status,
                priority: Priority::from_rank(r.get(3)?),
                type_ix: intern(&mut types, &mut type_index, text(r.get_ref(4)?)?),
                agent_ix,
                created: r.get(6)?,
                first_response: r.get(7)?,
                resolved: r.get(8)?,
                cycle_start: r.get(9)?,
                reopened: r.get::<_, i64>(10)? > 0,
                status_changed: r.get(11)?,
                frt_due: r.get(12)?,
                res_due: r.get(13)?,
                frt_risk: r.get(14)?,
                res_risk: r.get(15)?,
                duplicate: !matches!(resolution, ValueRef::Null) && text(resolution)? == Resolution::Duplicate.as_str(),
            });
        }
        drop(q);

        let mut tickets = Tickets { rows, types, agents, by_id, pauses: FxHashMap::default() };
        let mut stmt = conn.prepare_cached("SELECT ticket_id, started_at, ended_at FROM sla_pauses")?;
        let mut q = stmt.query([])?;
        while let Some(r) = q.next()? {
            let Some(ix) = tickets.find(r.get_ref(0)?)? else { continue };
            if tickets.rows[ix].created < pauses_since {
                continue;
            }
            let pause = Pause { start: from_ms(r.get(1)?), end: r.get::<_, Option<i64>>(2)?.map(from_ms) };
            tickets.pauses.entry(ix).or_default().push(pause);
        }
        Ok(tickets)
    }

    /// The row of the ticket with this stored id, if the filters admitted it.
    pub fn find(&self, id: ValueRef<'_>) -> rusqlite::Result<Option<usize>> {
        Ok(self.by_id.get(&id_key(id)?).copied())
    }

    /// Every (row, tag) of the admitted tickets.
    pub fn tags(&self, conn: &Connection, mut each: impl FnMut(usize, &str)) -> Result<()> {
        let mut stmt = conn.prepare_cached("SELECT ticket_id, tag FROM ticket_tags")?;
        let mut q = stmt.query([])?;
        while let Some(r) = q.next()? {
            if let Some(ix) = self.find(r.get_ref(0)?)? {
                each(ix, text(r.get_ref(1)?)?);
            }
        }
        Ok(())
    }

    /// The ratings given in [from, to) to admitted tickets: (row, good, rated at).
    pub fn ratings(&self, conn: &Connection, from: i64, to: i64) -> Result<Vec<(usize, bool, i64)>> {
        let mut stmt = conn.prepare_cached("SELECT ticket_id, good, rated_at FROM csat WHERE rated_at >= ?1 AND rated_at < ?2")?;
        let mut q = stmt.query([from, to])?;
        let mut out = Vec::new();
        while let Some(r) = q.next()? {
            if let Some(ix) = self.find(r.get_ref(0)?)? {
                out.push((ix, r.get::<_, i64>(1)? != 0, r.get(2)?));
            }
        }
        Ok(out)
    }
}
