//! The dashboard's count of what agents said of suggested similar tickets (the
//! `similar.feedback` events; the engine's `feedback` records them).

use casebook_core::error::Result;
use casebook_events::Verdict;
use rusqlite::types::ValueRef;
use rusqlite::{params, Connection};

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
