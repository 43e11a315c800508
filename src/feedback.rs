//! What agents say of suggested similar tickets (issue 19): "helpful", "not helpful", and a
//! fix inserted into a reply. Each is a `similar.feedback` event on the suggested ticket; the
//! index counts them for its ranking (a fix that helped ranks higher for later tickets), the
//! ticket asked about no longer gets a suggestion that did not help, and the dashboard counts
//! how often a suggested fix was used.

use crate::events::{self, Change, Verdict};
use crate::{tickets, Error, Result, Workspace};
use rusqlite::types::ValueRef;
use rusqlite::{params, Connection};

impl Workspace {
    /// Records the agent's word on solved ticket `similar`, suggested while working ticket
    /// `number`.
    pub fn similar_feedback(&mut self, number: i64, similar: i64, verdict: Verdict) -> Result<()> {
        if number == similar {
            return Err(Error::validation("similar", format!("#{number} cannot be similar to itself")));
        }
        let ctx = self.ctx();
        let agent_id = self.acting_agent().map(|a| a.id.to_string());
        let tx = self.begin()?;
        let asked = tickets::load_ticket(&tx, number)?;
        let suggested = tickets::load_ticket(&tx, similar)?;
        if !suggested.status.is_solved() {
            return Err(Error::validation("similar", format!("#{similar} is {}: only a solved ticket is suggested", suggested.status.label())));
        }
        events::record(&tx, &ctx, Some(&suggested.id.to_string()), Change::SimilarFeedback { for_id: asked.id.to_string(), verdict, agent_id })?;
        tx.commit()?;
        Ok(())
    }
}

/// Feedback given in [from, to) on suggestions for the tickets `admit` accepts (it is given
/// the stored id of the ticket asked about): (that ticket's number, the verdict), a fix
/// inserted counted once per pair whatever the vote.
pub(crate) fn given_between(
    conn: &Connection,
    from: i64,
    to: i64,
    admit: impl Fn(ValueRef<'_>) -> rusqlite::Result<bool>,
) -> Result<Vec<(i64, Verdict)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT t.number, f.helpful, f.fix_inserted_at, f.voted_at, f.for_ticket FROM similar_feedback f JOIN tickets t ON t.id = f.for_ticket
         WHERE (f.voted_at >= ?1 AND f.voted_at < ?2) OR (f.fix_inserted_at >= ?1 AND f.fix_inserted_at < ?2)",
    )?;
    let mut rows = stmt.query(params![from, to])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        if !admit(r.get_ref(4)?)? {
            continue;
        }
        let number: i64 = r.get(0)?;
        let at: i64 = r.get::<_, Option<i64>>(3)?.unwrap_or(i64::MIN);
        if let Some(inserted) = r.get::<_, Option<i64>>(2)? {
            if inserted >= from && inserted < to {
                out.push((number, Verdict::FixInserted));
            }
        }
        match r.get::<_, Option<i64>>(1)? {
            Some(1) if at >= from && at < to => out.push((number, Verdict::Helpful)),
            Some(0) if at >= from && at < to => out.push((number, Verdict::NotHelpful)),
            _ => {}
        }
    }
    Ok(out)
}
