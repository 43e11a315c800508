//! The dashboard (crate `casebook_stats`) as the workspace serves it: its connection, SLA
//! settings and clock; and CSAT ratings, recorded as `ticket.rated` events.

pub use casebook_stats::*;

use crate::{events, tickets, validate, Error, Result, Workspace};

impl Workspace {
    /// The dashboard's figures for a period (see `StatsQuery`).
    pub fn stats(&self, q: &StatsQuery) -> Result<Stats> {
        self.stats_cache.stats(&self.conn, &self.sla, self.now(), q)
    }

    /// The tickets behind one figure of `stats` (its `key`), newest first.
    pub fn tickets_behind(&self, q: &StatsQuery, key: &str) -> Result<Vec<i64>> {
        self.stats_cache.tickets_behind(&self.conn, &self.sla, self.now(), q, key)
    }

    /// Brings the dashboard's copy of the tickets up to date (the first time, it reads every
    /// ticket), so that opening the dashboard later only counts. The desktop's scheduler
    /// calls this after each pass.
    pub fn prepare_stats(&self) -> Result<()> {
        self.stats_cache.prepare(&self.conn, &self.sla)
    }

    /// Drops the statistics' copy of the tickets, for a write that appends no event.
    pub(crate) fn forget_stats_snapshot(&mut self) {
        self.stats_cache.forget();
    }

    /// Records the customer's rating of a solved ticket (Resolved or Closed); a new rating
    /// replaces the old one. Written as a `ticket.rated` event.
    pub fn rate_ticket(&mut self, number: i64, good: bool, comment: &str) -> Result<Rating> {
        let comment = validate::body("comment", comment, true)?;
        let ctx = self.ctx();
        let by = self.acting_agent().map(|a| a.id.to_string());
        let tx = self.begin()?;
        let t = tickets::load_ticket(&tx, number)?;
        if !t.status.is_solved() {
            return Err(Error::validation("rating", format!("#{number} is {}: only a solved ticket can be rated", t.status.label())));
        }
        let id = t.id.to_string();
        events::record(&tx, &ctx, Some(&id), events::Change::Rated { good, comment, recorded_by: by })?;
        tx.commit()?;
        self.rating(number)?.ok_or_else(|| Error::Conflict("the rating vanished after it was written".into()))
    }

    /// The customer's rating of a ticket, if any.
    pub fn rating(&self, number: i64) -> Result<Option<Rating>> {
        casebook_stats::rating(&self.conn, number)
    }
}
