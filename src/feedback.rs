//! What agents say of suggested similar tickets (issue 19): "helpful", "not helpful", and a
//! fix inserted into a reply. Each is a `similar.feedback` event on the suggested ticket; the
//! index counts them for its ranking (a fix that helped ranks higher for later tickets), the
//! ticket asked about no longer gets a suggestion that did not help, and the dashboard counts
//! how often a suggested fix was used (`casebook_stats`).

use crate::events::{self, Change, Verdict};
use crate::{tickets, Error, Result, Workspace};

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
