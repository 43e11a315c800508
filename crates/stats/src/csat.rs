//! Customer satisfaction (PRODUCT D4): a good/bad rating with an optional comment on a solved
//! ticket, entered by the agent from the customer's answer (or later, from mail). The engine
//! records it (a `ticket.rated` event); this reads it.

use casebook_core::clock::{from_ms, Timestamp};
use casebook_core::error::Result;
use rusqlite::types::ValueRef;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Rating {
    pub ticket_number: i64,
    pub good: bool,
    pub comment: String,
    pub rated_at: Timestamp,
    /// The agent who entered it.
    pub recorded_by: Option<String>,
}

const COLUMNS: &str = "t.number, c.good, c.comment, c.rated_at, a.name";
const FROM: &str = "FROM csat c JOIN tickets t ON t.id = c.ticket_id LEFT JOIN agents a ON a.id = c.recorded_by";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Rating> {
    Ok(Rating { ticket_number: r.get(0)?, good: r.get::<_, i64>(1)? != 0, comment: r.get(2)?, rated_at: from_ms(r.get(3)?), recorded_by: r.get(4)? })
}

/// The newest ratings with a comment given in [from, to), at most `limit`, of the tickets
/// `admit` accepts (it is given the ticket's stored id).
pub(crate) fn comments_between(
    conn: &Connection,
    from: i64,
    to: i64,
    limit: usize,
    admit: impl Fn(ValueRef<'_>) -> rusqlite::Result<bool>,
) -> Result<Vec<Rating>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS}, c.ticket_id {FROM} WHERE c.comment <> '' AND c.rated_at >= ?1 AND c.rated_at < ?2 ORDER BY c.rated_at DESC"
    ))?;
    let mut q = stmt.query(params![from, to])?;
    let mut out = Vec::new();
    while out.len() < limit {
        let Some(r) = q.next()? else { break };
        if admit(r.get_ref(5)?)? {
            out.push(row(r)?);
        }
    }
    Ok(out)
}

/// The customer's rating of a ticket, if any.
pub fn rating(conn: &Connection, number: i64) -> Result<Option<Rating>> {
    Ok(conn.prepare_cached(&format!("SELECT {COLUMNS} {FROM} WHERE t.number = ?1"))?.query_row([number], row).optional()?)
}
