//! The events' hybrid logical clock: one order for the events of every laptop of a team.
//! A clock value is the wall time in milliseconds shifted left by 16 bits, plus a counter: a
//! new event's value is the larger of its wall time and one more than every event already in
//! the log (its own and those ingested from other laptops). So the order of one laptop's
//! events is the order it made them, whatever its wall clock does, and an event is ordered
//! after everything its author had seen. Ties between laptops are broken by device, then id.

use crate::Result;
use rusqlite::Connection;

const LOGICAL_BITS: u32 = 16;

/// The clock value of wall time `ms` with a zero counter.
pub fn from_wall_ms(ms: i64) -> i64 {
    ms.max(0) << LOGICAL_BITS
}

/// The wall time (ms) a clock value was made at.
pub fn wall_ms(hlc: i64) -> i64 {
    hlc >> LOGICAL_BITS
}

/// The largest clock value in the log (0 when it is empty): an index seek.
pub fn last(conn: &Connection) -> Result<i64> {
    Ok(conn.prepare_cached("SELECT max(hlc) FROM events")?.query_row([], |r| r.get::<_, Option<i64>>(0))?.unwrap_or(0))
}

/// The clock value of a new event made at wall time `at_ms`.
pub fn next(conn: &Connection, at_ms: i64) -> Result<i64> {
    Ok(from_wall_ms(at_ms).max(last(conn)? + 1))
}

/// Stamps the events written before the log had a clock, in the order they were written.
/// Returns how many it stamped.
pub fn stamp_unstamped(conn: &Connection) -> Result<u64> {
    let unstamped: Vec<(i64, i64)> = conn
        .prepare("SELECT seq, at FROM events WHERE hlc IS NULL ORDER BY seq")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut clock = last(conn)?;
    let mut stmt = conn.prepare("UPDATE events SET hlc = ?2 WHERE seq = ?1")?;
    for (seq, at) in &unstamped {
        clock = from_wall_ms(*at).max(clock + 1);
        stmt.execute([seq, &clock])?;
    }
    Ok(unstamped.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_is_after_the_wall_and_after_every_event() {
        assert_eq!(wall_ms(from_wall_ms(1_700_000_000_123)), 1_700_000_000_123);
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE events (seq INTEGER PRIMARY KEY, at INTEGER, hlc INTEGER)").unwrap();
        assert_eq!(next(&conn, 5).unwrap(), from_wall_ms(5));
        // A laptop whose clock jumps back still moves forward.
        conn.execute("INSERT INTO events (at, hlc) VALUES (9, ?1)", [from_wall_ms(9)]).unwrap();
        assert_eq!(next(&conn, 5).unwrap(), from_wall_ms(9) + 1);
        assert_eq!(next(&conn, 10).unwrap(), from_wall_ms(10));
        // Older rows are stamped in their order, even when their times go backwards.
        conn.execute_batch("INSERT INTO events (at) VALUES (20); INSERT INTO events (at) VALUES (15);").unwrap();
        assert_eq!(stamp_unstamped(&conn).unwrap(), 2);
        let stamped: Vec<i64> =
            conn.prepare("SELECT hlc FROM events ORDER BY seq").unwrap().query_map([], |r| r.get(0)).unwrap().map(|r| r.unwrap()).collect();
        assert!(stamped.windows(2).all(|w| w[0] < w[1]), "{stamped:?}");
    }
}
