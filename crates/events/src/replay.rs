//! Replay: the state tables rebuilt from the event log alone, and compared row by row with
//! the live ones (`casebook replay --check`). What replay does not rebuild, and why:
//! - `events` is the log itself (copied as it is);
//! - `alerts` and `tickets.sla_alert_at` are this desktop's alerting: raised by its own scans,
//!   delivered to its own notification server, read by the person at it;
//! - the search index and the dashboard's cache live outside the database and are derived.
//!
//! A workspace from before typed events is upgraded once, on open: every row of its state
//! tables is appended as a `log.baseline` event (`baseline`), so its log starts from the
//! state it had; the older events stay as history (format 0) and are never applied.

use super::apply::{self, DEVICE_COLUMNS, STATE_TABLES};
use super::{Change, EventCtx, StoredEvent, FORMAT};
use crate::sla::SlaSettings;
use crate::{store, Error, Result};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use serde::Serialize;
use std::path::Path;

#[derive(Debug, Clone, Serialize)]
pub struct ReplayReport {
    /// Typed events applied.
    pub applied: u64,
    /// Events from before typed events, copied as history.
    pub kept: u64,
    /// Attachment files copied into the new workspace's folder (the log names them by hash).
    pub attachments: u64,
    pub seconds: f64,
}

/// One way the live state and the replayed one differ.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Difference {
    pub table: String,
    /// The row's key, as `column=value` pairs.
    pub key: String,
    /// The column that differs; `None` when the row is on one side only.
    pub column: Option<String>,
    pub live: String,
    pub replayed: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReplayCheck {
    pub replay: ReplayReport,
    pub tables: usize,
    pub rows: u64,
    /// Rows that differ (all of them counted; the first few described in `differences`).
    pub rows_differing: u64,
    pub differences: Vec<Difference>,
}

impl ReplayCheck {
    pub fn ok(&self) -> bool {
        self.rows_differing == 0
    }
}

/// How many differing rows are described.
const DESCRIBED: usize = 20;

/// Appends a baseline of every state row to a log that has only untyped history, in the
/// caller's transaction. Returns how many rows it recorded (0 when not needed).
pub fn baseline_if_needed(conn: &Connection, ctx: &EventCtx) -> Result<u64> {
    let last: Option<i64> = conn.query_row("SELECT format FROM events ORDER BY seq DESC LIMIT 1", [], |r| r.get(0)).optional()?;
    if last != Some(0) {
        return Ok(0);
    }
    let mut n = 0;
    for (table, keys) in STATE_TABLES {
        // A merged ticket's original comes before it (an original is never itself merged).
        let order = if *table == "tickets" { "duplicate_of IS NOT NULL, number".to_string() } else { keys.join(", ") };
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\" ORDER BY {order}"))?;
        let names: Vec<String> = stmt.column_names().iter().map(|s| s.to_string()).collect();
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let mut row = serde_json::Map::new();
            for (i, name) in names.iter().enumerate() {
                let v = match r.get_ref(i)? {
                    rusqlite::types::ValueRef::Null => serde_json::Value::Null,
                    rusqlite::types::ValueRef::Integer(i) => i.into(),
                    rusqlite::types::ValueRef::Real(f) => f.into(),
                    rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned().into(),
                    rusqlite::types::ValueRef::Blob(b) => hex::encode(b).into(),
                };
                row.insert(name.clone(), v);
            }
            super::append(conn, &uuid::Uuid::now_v7().to_string(), ctx, None, &Change::Baseline { table: table.to_string(), row })?;
            n += 1;
        }
    }
    Ok(n)
}

/// Rebuilds the workspace from the log of `live` into a new database file at `target`, with
/// the attachment files beside it.
pub fn replay_into(live: &Connection, target: &Path) -> Result<ReplayReport> {
    replay_to(live, target, true)
}

fn replay_to(live: &Connection, target: &Path, with_files: bool) -> Result<ReplayReport> {
    let started = std::time::Instant::now();
    let mut out = store::create(target)?;
    let result = (|| -> Result<ReplayReport> {
        let tx = out.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut report = ReplayReport { applied: 0, kept: 0, attachments: 0, seconds: 0.0 };
        let mut read = live.prepare(&format!("SELECT e.seq, {} FROM events e ORDER BY {}", StoredEvent::COLUMNS, super::ORDER))?;
        let mut rows = read.query([])?;
        let mut history = Vec::new();
        while let Some(r) = rows.next()? {
            let seq: i64 = r.get(0)?;
            let event = StoredEvent::from_row(r, 1)?;
            let refuse = |message: String| Error::BadEvent { id: event.id.clone(), kind: event.kind.clone(), message };
            if event.format == 0 {
                // Older history: its tickets exist only once the baseline has run, so it is
                // copied after everything else.
                history.push((seq, event));
                continue;
            }
            if event.format > FORMAT {
                return Err(refuse(format!("format {} was written by a newer Casebook (this one reads up to {FORMAT})", event.format)));
            }
            let change = Change::from_parts(&event.kind, &event.payload).map_err(refuse)?;
            apply::apply(&tx, event.ticket_id.as_deref(), event.at, &change, event.origin()).map_err(|e| refuse(e.to_string()))?;
            event.insert(&tx, Some(seq), None)?;
            report.applied += 1;
        }
        for (seq, event) in history {
            event.insert(&tx, Some(seq), None)?;
            report.kept += 1;
        }
        let sla: SlaSettings = crate::store::get_setting(&tx, "sla")?.unwrap_or_default();
        apply::flush_derived(&tx, &sla)?;
        tx.commit()?;
        if with_files {
            report.attachments = copy_attachments(live, &out, target)?;
        }
        report.seconds = started.elapsed().as_secs_f64();
        Ok(report)
    })();
    if result.is_err() {
        drop(out);
        crate::store::remove_database_files(target);
    }
    result
}

/// Copies the attachment files the rebuilt workspace names from the live data folder into the
/// new one (when it is another folder), so that the rebuild is a whole workspace.
fn copy_attachments(live: &Connection, out: &Connection, target: &Path) -> Result<u64> {
    let (Some(live_dir), Some(target_dir)) = (live.path().map(Path::new).and_then(Path::parent), target.parent()) else { return Ok(0) };
    if live_dir == target_dir || live_dir.as_os_str().is_empty() {
        return Ok(0);
    }
    let shas: Vec<String> =
        out.prepare("SELECT DISTINCT sha256 FROM attachments ORDER BY sha256")?.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    let mut copied = 0;
    for sha in shas {
        let rel = crate::store::attachments::relative_path(&sha);
        let (from, to) = (live_dir.join(&rel), target_dir.join(&rel));
        if from.is_file() && !to.exists() {
            if let Some(dir) = to.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::copy(&from, &to)?;
            copied += 1;
        }
    }
    Ok(copied)
}

/// Replays the log of the database at `live_path` into a temporary file and compares every
/// state table with the live one.
pub fn check(live_path: &Path) -> Result<ReplayCheck> {
    let dir = tempfile::tempdir()?;
    let target = dir.path().join("replayed.db");
    let live = Connection::open_with_flags(live_path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    live.busy_timeout(std::time::Duration::from_secs(5))?;
    // One read transaction: the log and the tables compared are of the same moment.
    live.execute_batch("BEGIN")?;
    let result = replay_to(&live, &target, false).and_then(|replay| compare(&live, &target, replay));
    live.execute_batch("COMMIT")?;
    result
}

/// The columns of a state table that replay rebuilds (all but this device's own), in order.
fn state_columns(conn: &Connection, table: &str) -> Result<Vec<String>> {
    Ok(conn
        .prepare(&format!("SELECT name FROM pragma_table_info('{table}') ORDER BY cid"))?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?
        .into_iter()
        .filter(|c| !DEVICE_COLUMNS.contains(&(table, c.as_str())))
        .collect())
}

/// A digest of the whole state (every state table in key order, this device's own columns
/// left out): two laptops that applied the same events have the same digest.
pub fn digest(conn: &Connection) -> Result<String> {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for (table, keys) in STATE_TABLES {
        let cols = state_columns(conn, table)?;
        let list = cols.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ");
        let order = keys.iter().map(|k| format!("\"{k}\" COLLATE BINARY")).collect::<Vec<_>>().join(", ");
        h.update(table.as_bytes());
        let mut stmt = conn.prepare(&format!("SELECT {list} FROM \"{table}\" ORDER BY {order}"))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            for i in 0..cols.len() {
                store::hash_value(&mut h, r.get_ref(i)?);
            }
        }
    }
    Ok(hex::encode(h.finalize()))
}

fn compare(live: &Connection, replayed: &Path, replay: ReplayReport) -> Result<ReplayCheck> {
    use rusqlite::types::Value;
    use std::cmp::Ordering;
    let other = Connection::open_with_flags(replayed, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    let mut check = ReplayCheck { replay, tables: 0, rows: 0, rows_differing: 0, differences: vec![] };
    for (table, keys) in STATE_TABLES {
        let cols = state_columns(live, table)?;
        // The key first, then the other columns; both sides in the same (byte) order.
        let key_idx: Vec<usize> = keys.iter().map(|k| cols.iter().position(|c| c == k).expect("a key is a column")).collect();
        let list = cols.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ");
        let order = keys.iter().map(|k| format!("\"{k}\" COLLATE BINARY")).collect::<Vec<_>>().join(", ");
        let sql = format!("SELECT {list} FROM \"{table}\" ORDER BY {order}");
        check.tables += 1;
        let (mut a_stmt, mut b_stmt) = (live.prepare(&sql)?, other.prepare(&sql)?);
        let read = |r: &rusqlite::Row<'_>| -> rusqlite::Result<Vec<Value>> { (0..cols.len()).map(|i| r.get(i)).collect() };
        let (mut a_rows, mut b_rows) = (a_stmt.query([])?, b_stmt.query([])?);
        let next = |rows: &mut rusqlite::Rows<'_>| -> Result<Option<Vec<Value>>> {
            Ok(match rows.next()? {
                Some(r) => Some(read(r)?),
                None => None,
            })
        };
        let (mut a, mut b) = (next(&mut a_rows)?, next(&mut b_rows)?);
        let key_of = |row: &[Value]| -> Vec<Value> { key_idx.iter().map(|&i| row[i].clone()).collect() };
        // The key as `column=value`, with the ticket's number where the key names a ticket.
        let key_text = |row: &[Value]| {
            let mut text = keys.iter().zip(&key_idx).map(|(k, &i)| format!("{k}={}", show(&row[i]))).collect::<Vec<_>>().join(", ");
            let ticket_col = if *table == "tickets" { Some("id") } else { keys.iter().copied().find(|k| *k == "ticket_id") };
            if let Some(Value::Text(id)) = ticket_col.and_then(|c| cols.iter().position(|x| x == c)).map(|i| &row[i]) {
                let number = |conn: &Connection| conn.query_row("SELECT number FROM tickets WHERE id = ?1", [id], |r| r.get::<_, i64>(0)).ok();
                if let Some(n) = number(live).or_else(|| number(&other)) {
                    text.push_str(&format!(" (#{n})"));
                }
            }
            text
        };
        loop {
            let ord = match (&a, &b) {
                (None, None) => break,
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some(x), Some(y)) => cmp_key(&key_of(x), &key_of(y)),
            };
            let describe = |d: Difference, check: &mut ReplayCheck| {
                if check.differences.len() < DESCRIBED {
                    check.differences.push(d);
                }
            };
            match ord {
                Ordering::Equal => {
                    check.rows += 1;
                    let (x, y) = (a.take().unwrap(), b.take().unwrap());
                    if x != y {
                        check.rows_differing += 1;
                        for (i, c) in cols.iter().enumerate() {
                            if x[i] != y[i] {
                                let d = Difference {
                                    table: table.to_string(),
                                    key: key_text(&x),
                                    column: Some(c.clone()),
                                    live: show(&x[i]),
                                    replayed: show(&y[i]),
                                };
                                describe(d, &mut check);
                            }
                        }
                    }
                    a = next(&mut a_rows)?;
                    b = next(&mut b_rows)?;
                }
                Ordering::Less => {
                    let x = a.take().unwrap();
                    check.rows += 1;
                    check.rows_differing += 1;
                    describe(
                        Difference { table: table.to_string(), key: key_text(&x), column: None, live: "present".into(), replayed: "missing".into() },
                        &mut check,
                    );
                    a = next(&mut a_rows)?;
                }
                Ordering::Greater => {
                    let y = b.take().unwrap();
                    check.rows_differing += 1;
                    describe(
                        Difference { table: table.to_string(), key: key_text(&y), column: None, live: "missing".into(), replayed: "present".into() },
                        &mut check,
                    );
                    b = next(&mut b_rows)?;
                }
            }
        }
    }
    Ok(check)
}

/// SQLite's order of values of one column: NULL, numbers, text (bytes), blobs.
fn cmp_key(a: &[rusqlite::types::Value], b: &[rusqlite::types::Value]) -> std::cmp::Ordering {
    use rusqlite::types::Value;
    fn rank(v: &Value) -> u8 {
        match v {
            Value::Null => 0,
            Value::Integer(_) | Value::Real(_) => 1,
            Value::Text(_) => 2,
            Value::Blob(_) => 3,
        }
    }
    for (x, y) in a.iter().zip(b) {
        let o = match (x, y) {
            (Value::Integer(p), Value::Integer(q)) => p.cmp(q),
            (Value::Text(p), Value::Text(q)) => p.as_bytes().cmp(q.as_bytes()),
            (Value::Blob(p), Value::Blob(q)) => p.cmp(q),
            (Value::Real(p), Value::Real(q)) => p.total_cmp(q),
            _ => rank(x).cmp(&rank(y)),
        };
        if o != std::cmp::Ordering::Equal {
            return o;
        }
    }
    std::cmp::Ordering::Equal
}

fn show(v: &rusqlite::types::Value) -> String {
    use rusqlite::types::Value;
    match v {
        Value::Null => "NULL".into(),
        Value::Integer(i) => i.to_string(),
        Value::Real(f) => f.to_string(),
        Value::Text(t) if t.chars().count() > 80 => format!("{:?}…", t.chars().take(80).collect::<String>()),
        Value::Text(t) => format!("{t:?}"),
        Value::Blob(b) => format!("<{} bytes>", b.len()),
    }
}
