//! The tickets as the statistics read them, kept in memory between dashboard calls.
//!
//! The dashboard counts every ticket of two periods (100k and more). Reading them from SQLite
//! costs a few hundred milliseconds, most of it decoding rows; the counting itself is a
//! fraction of that. So the rows are read once and then brought up to date from the event
//! log: every change to a ticket appends an event in its own transaction (DESIGN), and
//! `events.seq` only grows, so the events after the last one seen name exactly the tickets
//! to read again. An event without a ticket (settings, agents, teams) or a large batch of
//! changes reads everything again. Like the search index, this is derived from SQLite and
//! can always be thrown away (`Workspace::forget_stats_snapshot`).
//!
//! Rows hold numbers, not text: types, tags, teams and assignees are small indexes, and the
//! side tables (tags, pauses, ratings) are joined by the ticket's id parsed into a `u128`.

use casebook_core::clock::from_ms;
use casebook_core::error::{Error, Result};
use casebook_core::model::{Priority, Resolution, Status};
use casebook_core::sla::{Pause, SlaSettings};
use rusqlite::types::ValueRef;
use rusqlite::Connection;
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::HashMap;

/// One ticket as the statistics read it (times in ms).
pub(super) struct Row {
    pub number: i64,
    pub status: Status,
    pub priority: Priority,
    /// Index into `Snapshot::types`.
    pub type_ix: usize,
    /// Index into `Snapshot::agents`.
    pub agent_ix: Option<usize>,
    /// Index into `Snapshot::teams`.
    pub team_ix: Option<usize>,
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
    /// Indexes into `Snapshot::tags`.
    pub tags: Vec<usize>,
    /// The customer's rating: good?, rated at.
    pub rating: Option<(bool, i64)>,
    pub pauses: Vec<Pause>,
}

impl Row {
    pub fn unsolved(&self) -> bool {
        !self.status.is_solved()
    }

    /// When it was resolved, while it is (the SLA clock's end).
    pub fn solved_resolved(&self) -> Option<i64> {
        self.resolved.filter(|_| self.status.is_solved())
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

/// Names and their indexes, one entry per distinct name.
#[derive(Default)]
pub(super) struct Names {
    pub names: Vec<String>,
    index: HashMap<String, usize>,
}

impl Names {
    /// The index of `name`, adding it when new (no allocation for a known one).
    fn intern(&mut self, name: &str) -> usize {
        if let Some(i) = self.index.get(name) {
            return *i;
        }
        self.names.push(name.to_string());
        self.index.insert(name.to_string(), self.names.len() - 1);
        self.names.len() - 1
    }

    fn get(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }
}

pub(super) struct Snapshot {
    pub rows: Vec<Row>,
    by_id: FxHashMap<u128, usize>,
    pub types: Names,
    pub tags: Names,
    /// Team ids (the filter resolves a team's name to its id).
    teams: Names,
    pub agents: Vec<Agent>,
    agent_by_id: HashMap<String, usize>,
    /// The last event reflected in the rows.
    seq: i64,
    /// The SLA settings the rows' due instants were computed with.
    sla: SlaSettings,
}

/// More changed tickets than this since the last call: read everything again.
const MAX_REFRESH: usize = 5_000;

const COLUMNS: &str = "t.id, t.number, t.status, t.priority, t.type, t.assignee_id, t.team_id, t.created_at, t.first_response_at,
                       t.resolved_at, t.sla_cycle_start, t.sla_cycle, coalesce(t.status_changed_at, t.created_at),
                       t.frt_due_at, t.res_due_at, t.frt_risk_at, t.res_risk_at, t.resolution";

/// A text column, borrowed from the row.
fn text(v: ValueRef<'_>) -> rusqlite::Result<&str> {
    Ok(v.as_str()?)
}

/// A ticket id as stored (UUID text) → the key of the in-memory join.
fn id_key(v: ValueRef<'_>) -> rusqlite::Result<u128> {
    uuid::Uuid::try_parse(text(v)?)
        .map(|u| u.as_u128())
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

fn last_seq(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT coalesce(max(seq), 0) FROM events", [], |r| r.get(0))?)
}

impl Snapshot {
    /// Brings `slot` up to date with the database and returns it.
    pub fn current<'a>(slot: &'a mut Option<Snapshot>, conn: &Connection, sla: &SlaSettings) -> Result<&'a Snapshot> {
        let fresh = match slot.as_mut() {
            Some(s) => s.refresh(conn, sla)?,
            None => false,
        };
        if !fresh {
            *slot = None;
            *slot = Some(Snapshot::load(conn, sla)?);
        }
        Ok(slot.as_ref().expect("just loaded"))
    }

    /// Reads every ticket, in one read transaction so that the rows and `seq` agree.
    fn load(conn: &Connection, sla: &SlaSettings) -> Result<Snapshot> {
        let tx = conn.unchecked_transaction()?;
        let mut s = Snapshot {
            rows: Vec::new(),
            by_id: FxHashMap::default(),
            types: Names::default(),
            tags: Names::default(),
            teams: Names::default(),
            agents: Vec::new(),
            agent_by_id: HashMap::new(),
            seq: last_seq(&tx)?,
            sla: sla.clone(),
        };
        s.read_all(&tx)?;
        tx.commit()?;
        Ok(s)
    }

    fn read_all(&mut self, conn: &Connection) -> Result<()> {
        let mut stmt = conn.prepare_cached("SELECT id, email, name FROM agents ORDER BY email")?;
        let mut q = stmt.query([])?;
        while let Some(r) = q.next()? {
            self.agent_by_id.insert(r.get(0)?, self.agents.len());
            self.agents.push(Agent { email: r.get(1)?, name: r.get(2)? });
        }
        drop(q);

        let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM tickets t"))?;
        let mut q = stmt.query([])?;
        while let Some(r) = q.next()? {
            let row = self.row(r)?;
            self.by_id.insert(id_key(r.get_ref(0)?)?, self.rows.len());
            self.rows.push(row);
        }
        drop(q);

        let mut stmt = conn.prepare_cached("SELECT ticket_id, tag FROM ticket_tags")?;
        let mut q = stmt.query([])?;
        while let Some(r) = q.next()? {
            if let Some(ix) = self.find(r.get_ref(0)?)? {
                let tag = self.tags.intern(text(r.get_ref(1)?)?);
                self.rows[ix].tags.push(tag);
            }
        }
        drop(q);
        let mut stmt = conn.prepare_cached("SELECT ticket_id, good, rated_at FROM csat")?;
        let mut q = stmt.query([])?;
        while let Some(r) = q.next()? {
            if let Some(ix) = self.find(r.get_ref(0)?)? {
                self.rows[ix].rating = Some((r.get::<_, i64>(1)? != 0, r.get(2)?));
            }
        }
        drop(q);
        let mut stmt = conn.prepare_cached("SELECT ticket_id, started_at, ended_at FROM sla_pauses ORDER BY ticket_id, started_at")?;
        let mut q = stmt.query([])?;
        while let Some(r) = q.next()? {
            if let Some(ix) = self.find(r.get_ref(0)?)? {
                self.rows[ix].pauses.push(Pause { start: from_ms(r.get(1)?), end: r.get::<_, Option<i64>>(2)?.map(from_ms) });
            }
        }
        Ok(())
    }

    /// Reads again the tickets named by the events since the last call. `false` when only
    /// reading everything will do.
    fn refresh(&mut self, conn: &Connection, sla: &SlaSettings) -> Result<bool> {
        if *sla != self.sla {
            return Ok(false);
        }
        let tx = conn.unchecked_transaction()?;
        let last = last_seq(&tx)?;
        if last == self.seq {
            return Ok(true);
        }
        if last < self.seq {
            // Not the database the rows came from (a restore replaced the file).
            return Ok(false);
        }
        let mut changed: FxHashSet<String> = FxHashSet::default();
        let mut stmt = tx.prepare_cached("SELECT ticket_id FROM events WHERE seq > ?1 AND seq <= ?2")?;
        let mut q = stmt.query([self.seq, last])?;
        while let Some(r) = q.next()? {
            match r.get_ref(0)? {
                ValueRef::Null => return Ok(false),
                v => {
                    let id = text(v)?;
                    if !changed.contains(id) {
                        changed.insert(id.to_string());
                    }
                }
            }
            if changed.len() > MAX_REFRESH {
                return Ok(false);
            }
        }
        drop(q);
        for id in &changed {
            if !self.reread(&tx, id)? {
                return Ok(false);
            }
        }
        drop(stmt);
        tx.commit()?;
        self.seq = last;
        Ok(true)
    }

    /// Reads one ticket and what hangs off it again; `false` when it is gone.
    fn reread(&mut self, conn: &Connection, id: &str) -> Result<bool> {
        let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM tickets t WHERE t.id = ?1"))?;
        let mut q = stmt.query([id])?;
        let Some(r) = q.next()? else { return Ok(false) };
        let mut row = self.row(r)?;
        let key = id_key(r.get_ref(0)?)?;
        drop(q);
        let mut stmt = conn.prepare_cached("SELECT tag FROM ticket_tags WHERE ticket_id = ?1")?;
        let mut q = stmt.query([id])?;
        while let Some(r) = q.next()? {
            row.tags.push(self.tags.intern(text(r.get_ref(0)?)?));
        }
        drop(q);
        let mut stmt = conn.prepare_cached("SELECT good, rated_at FROM csat WHERE ticket_id = ?1")?;
        let mut q = stmt.query([id])?;
        if let Some(r) = q.next()? {
            row.rating = Some((r.get::<_, i64>(0)? != 0, r.get(1)?));
        }
        drop(q);
        let mut stmt = conn.prepare_cached("SELECT started_at, ended_at FROM sla_pauses WHERE ticket_id = ?1 ORDER BY started_at")?;
        let mut q = stmt.query([id])?;
        while let Some(r) = q.next()? {
            row.pauses.push(Pause { start: from_ms(r.get(0)?), end: r.get::<_, Option<i64>>(1)?.map(from_ms) });
        }
        match self.by_id.get(&key) {
            Some(ix) => self.rows[*ix] = row,
            None => {
                self.by_id.insert(key, self.rows.len());
                self.rows.push(row);
            }
        }
        Ok(true)
    }

    /// A row of `SELECT {COLUMNS}`, without its tags, rating and pauses.
    fn row(&mut self, r: &rusqlite::Row<'_>) -> Result<Row> {
        let status_text = text(r.get_ref(2)?)?;
        let status = Status::ALL
            .iter()
            .copied()
            .find(|s| s.as_str() == status_text)
            .ok_or_else(|| Error::validation("status", format!("unknown status '{status_text}'")))?;
        let agent_ix = match r.get_ref(5)? {
            ValueRef::Null => None,
            v => self.agent_by_id.get(text(v)?).copied(),
        };
        let team_ix = match r.get_ref(6)? {
            ValueRef::Null => None,
            v => Some(self.teams.intern(text(v)?)),
        };
        let resolution = r.get_ref(17)?;
        Ok(Row {
            number: r.get(1)?,
            status,
            priority: Priority::from_rank(r.get(3)?),
            type_ix: self.types.intern(text(r.get_ref(4)?)?),
            agent_ix,
            team_ix,
            created: r.get(7)?,
            first_response: r.get(8)?,
            resolved: r.get(9)?,
            cycle_start: r.get(10)?,
            reopened: r.get::<_, i64>(11)? > 0,
            status_changed: r.get(12)?,
            frt_due: r.get(13)?,
            res_due: r.get(14)?,
            frt_risk: r.get(15)?,
            res_risk: r.get(16)?,
            duplicate: !matches!(resolution, ValueRef::Null) && text(resolution)? == Resolution::Duplicate.as_str(),
            tags: Vec::new(),
            rating: None,
            pauses: Vec::new(),
        })
    }

    /// The row of the ticket with this stored id.
    pub fn find(&self, id: ValueRef<'_>) -> rusqlite::Result<Option<usize>> {
        Ok(self.by_id.get(&id_key(id)?).copied())
    }

    /// Which rows the query's filters admit (`None` for a filter admits all). A team or agent
    /// that does not exist admits nothing.
    pub fn filter(
        &self,
        conn: &Connection,
        priority: Option<Priority>,
        ticket_type: Option<&str>,
        team: Option<&str>,
        agent: Option<&str>,
    ) -> Result<Filter> {
        let types: Option<Vec<bool>> = ticket_type.map(|t| self.types.names.iter().map(|n| n.eq_ignore_ascii_case(t)).collect());
        let team = match team {
            None => None,
            Some(name) => {
                let ids: Vec<String> = conn
                    .prepare_cached("SELECT id FROM teams WHERE name = ?1 COLLATE NOCASE")?
                    .query_map([name], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
                Some(ids.iter().find_map(|id| self.teams.get(id)))
            }
        };
        let agent = agent.map(|email| self.agents.iter().position(|a| a.email.eq_ignore_ascii_case(email)));
        // The person asking sees their teams' tickets and those of no team (PRODUCT O3).
        let visible_teams = casebook_store::visible_teams(conn)?.map(|ids| self.teams.names.iter().map(|id| ids.contains(id)).collect());
        Ok(Filter { priority, types, team, agent, visible_teams })
    }
}

/// The filters of one query, resolved to the snapshot's indexes.
pub(super) struct Filter {
    priority: Option<Priority>,
    types: Option<Vec<bool>>,
    /// `Some(None)`: a team no ticket has.
    team: Option<Option<usize>>,
    agent: Option<Option<usize>>,
    /// For a person who sees only some teams: which of the snapshot's teams they see.
    visible_teams: Option<Vec<bool>>,
}

impl Filter {
    pub fn admits(&self, r: &Row) -> bool {
        self.priority.is_none_or(|p| r.priority == p)
            && self.types.as_ref().is_none_or(|t| t[r.type_ix])
            && self.team.is_none_or(|t| t.is_some() && r.team_ix == t)
            && self.agent.is_none_or(|a| a.is_some() && r.agent_ix == a)
            && self.visible_teams.as_ref().is_none_or(|v| r.team_ix.is_none_or(|t| v.get(t).copied().unwrap_or(false)))
    }
}
