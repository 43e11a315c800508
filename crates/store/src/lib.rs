//! The SQLite file: opening, PRAGMAs, migrations, and the checks that refuse a file that is
//! not ours or is from a newer Casebook. Everything else reads and writes through `Workspace`.

pub mod attachments;
pub mod device;

use casebook_core::{Error, Result};
use rusqlite::OptionalExtension;
use rusqlite::{Connection, OpenFlags};
use rusqlite_migration::{Migrations, M};
use serde::Deserialize;
use std::path::Path;

/// `PRAGMA application_id` of a Casebook database ("CBK1"), so a foreign SQLite file is
/// recognised and never migrated.
pub const APPLICATION_ID: i32 = 0x4342_4B31;

const MIGRATION_SQL: &[&str] = &[
    include_str!("migrations/001_initial.sql"),
    include_str!("migrations/002_alerts.sql"),
    include_str!("migrations/003_rules.sql"),
    include_str!("migrations/004_csat.sql"),
    include_str!("migrations/005_typed_events.sql"),
    include_str!("migrations/006_event_clock.sql"),
    include_str!("migrations/007_sync.sql"),
    include_str!("migrations/008_mail.sql"),
    include_str!("migrations/009_mail_html.sql"),
    include_str!("migrations/010_similar_feedback.sql"),
    include_str!("migrations/011_snooze.sql"),
    include_str!("migrations/012_macro_actions.sql"),
];

pub fn migrations() -> Migrations<'static> {
    Migrations::new(MIGRATION_SQL.iter().map(|sql| M::up(sql)).collect())
}

/// The schema version this build writes.
pub fn schema_version() -> i64 {
    MIGRATION_SQL.len() as i64
}

/// A `Connection` is used by one thread at a time (rusqlite's is not `Sync`), so SQLite's
/// own mutex around every call is pure cost: on a 100k-row read it was a tenth of the time.
const THREADING: OpenFlags = OpenFlags::SQLITE_OPEN_NO_MUTEX;

/// 64 MiB of page cache (negative: KiB): big transactions (imports) stop spilling to the WAL.
const CACHE_KIB: i64 = -65536;
/// The page cache of a bulk load (1 GiB at most; a 100k-ticket demo fills about 400 MiB).
const BULK_CACHE_KIB: i64 = -1_048_576;

/// PRAGMAs that belong to every connection, not to a migration.
fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // WAL: readers never wait for the writer. synchronous=FULL: a commit that returned is on
    // disk even after a power cut (NORMAL could lose the last transactions in WAL mode).
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "cache_size", CACHE_KIB)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.set_prepared_statement_cache_capacity(64);
    // The tickets a unit of work changed whose SLA instants are still to be recomputed
    // (events::apply). Per connection and transactional, so a rollback forgets them too.
    conn.execute_batch("CREATE TEMP TABLE IF NOT EXISTS derived_pending (ticket_id TEXT PRIMARY KEY) WITHOUT ROWID;")?;
    // Which tickets the person working through this connection may see (`set_visibility`).
    conn.execute_batch("CREATE TEMP TABLE IF NOT EXISTS visibility (team_id TEXT);")?;
    Ok(())
}

/// The SQL condition (on a `tickets` row aliased `t`) that it is visible to the person working
/// through this connection: everything for an admin (or the system), else the tickets of
/// their teams and those of no team (PRODUCT O3). Every query that lists or reads tickets for
/// a person includes it, so the rule holds in the engine, not only in the window.
pub const VISIBLE: &str = "(NOT EXISTS (SELECT 1 FROM temp.visibility) OR t.team_id IS NULL
    OR t.team_id IN (SELECT team_id FROM temp.visibility WHERE team_id IS NOT NULL))";

/// Sets who works through this connection: `None` sees everything (an admin, or the system
/// running rules); `Some(teams)` sees those teams' tickets and those of no team.
pub fn set_visibility(conn: &Connection, teams: Option<&[String]>) -> Result<()> {
    conn.execute("DELETE FROM temp.visibility", [])?;
    if let Some(teams) = teams {
        // A row with no team marks the connection as restricted, even to no team at all.
        conn.execute("INSERT INTO temp.visibility (team_id) VALUES (NULL)", [])?;
        let mut stmt = conn.prepare_cached("INSERT INTO temp.visibility (team_id) VALUES (?1)")?;
        for t in teams {
            stmt.execute([t])?;
        }
    }
    Ok(())
}

/// Runs `f` seeing everything (the rules act for the team, not for the person whose change
/// woke them), then puts back what the connection saw. In the caller's transaction, if any.
pub fn seeing_everything<T>(conn: &Connection, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let saved: Vec<Option<String>> =
        conn.prepare_cached("SELECT team_id FROM temp.visibility")?.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    conn.execute("DELETE FROM temp.visibility", [])?;
    let out = f();
    conn.execute("DELETE FROM temp.visibility", [])?;
    let mut stmt = conn.prepare_cached("INSERT INTO temp.visibility (team_id) VALUES (?1)")?;
    for t in &saved {
        stmt.execute([t])?;
    }
    out
}

/// The teams the person working through this connection sees, or None when they see
/// everything.
pub fn visible_teams(conn: &Connection) -> Result<Option<Vec<String>>> {
    if sees_everything(conn)? {
        return Ok(None);
    }
    let teams = conn
        .prepare_cached("SELECT team_id FROM temp.visibility WHERE team_id IS NOT NULL")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some(teams))
}

/// Whether the connection currently sees everything.
pub fn sees_everything(conn: &Connection) -> Result<bool> {
    Ok(!conn.query_row("SELECT EXISTS (SELECT 1 FROM temp.visibility)", [], |r| r.get::<_, bool>(0))?)
}

/// Creates a new database file and brings it to the current schema.
pub fn create(path: &Path) -> Result<Connection> {
    if path.exists() {
        return Err(Error::AlreadyExists { path: path.to_path_buf() });
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | THREADING)?;
    // Stamp the id before WAL is on, so it reaches the file's header at once and a crash
    // right after creation still leaves a file we recognise.
    conn.pragma_update(None, "page_size", 8192)?;
    conn.pragma_update(None, "application_id", APPLICATION_ID)?;
    configure(&conn)?;
    migrations().to_latest(&mut conn)?;
    Ok(conn)
}

/// Opens an existing Casebook database, migrating an older schema forward.
pub fn open(path: &Path) -> Result<Connection> {
    if !path.exists() {
        return Err(Error::NoWorkspace { path: path.to_path_buf() });
    }
    let not_ours = |reason: &str| Error::NotAWorkspace { path: path.to_path_buf(), reason: reason.to_string() };
    // Look at the header before anything writes to the file: through a read-only SQLite
    // connection, never a file handle of our own. Closing any other handle on the database
    // would drop every POSIX lock this process holds on it (a second connection in an app
    // that already has one), and another process closing last would then checkpoint and
    // delete the WAL the app is still writing to.
    if std::fs::metadata(path)?.len() < 100 {
        return Err(not_ours("not an SQLite file"));
    }
    let (app_id, found) = {
        let probe = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | THREADING)?;
        let read = |pragma: &str| probe.pragma_query_value(None, pragma, |r| r.get::<_, i64>(0));
        match (read("application_id"), read("user_version")) {
            (Ok(a), Ok(v)) => (a as i32, v),
            (Err(rusqlite::Error::SqliteFailure(e, _)), _) | (_, Err(rusqlite::Error::SqliteFailure(e, _)))
                if e.code == rusqlite::ErrorCode::NotADatabase =>
            {
                return Err(not_ours("not an SQLite file"));
            }
            (Err(e), _) | (_, Err(e)) => return Err(e.into()),
        }
    };
    if app_id != APPLICATION_ID {
        return Err(not_ours("an SQLite file of another program"));
    }
    if found > schema_version() {
        return Err(Error::SchemaTooNew { path: path.to_path_buf(), found, supported: schema_version() });
    }
    let mut conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | THREADING)?;
    configure(&conn)?;
    // The header can lag behind a WAL that holds a newer user_version: ask SQLite too.
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > schema_version() {
        return Err(Error::SchemaTooNew { path: path.to_path_buf(), found, supported: schema_version() });
    }
    if found < schema_version() {
        migrations().to_latest(&mut conn)?;
    }
    // Keeps the planner's statistics fresh; cheap when nothing changed much.
    conn.execute_batch("PRAGMA optimize = 0x10002;")?;
    Ok(conn)
}

/// Runs a large insert inside one transaction with the secondary indexes of the ticket
/// tables dropped first (except a ticket's messages, which the writer looks up when a fix is
/// marked, and the events' order, which every new event's clock reads) and rebuilt after (several times faster than maintaining them row
/// by row), then refreshes the planner's statistics. DDL is transactional in SQLite: a crash
/// midway leaves the database as it was, indexes included.
pub fn bulk_load<T>(conn: &mut Connection, load: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T>) -> Result<T> {
    // A load writes more pages than the usual cache holds: with room for them all (allocated
    // only as used) they are written once, at commit, instead of spilling to the WAL midway.
    conn.pragma_update(None, "cache_size", BULK_CACHE_KIB)?;
    let out = load_without_indexes(conn, load);
    conn.pragma_update(None, "cache_size", CACHE_KIB)?;
    out
}

fn load_without_indexes<T>(conn: &mut Connection, load: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T>) -> Result<T> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let indexes: Vec<(String, String)> = tx
        .prepare(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
             AND tbl_name IN ('tickets', 'messages', 'events', 'ticket_tags', 'sla_pauses')
             AND name NOT IN ('messages_ticket', 'events_order')",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (name, _) in &indexes {
        tx.execute_batch(&format!("DROP INDEX \"{name}\";"))?;
    }
    let out = load(&tx)?;
    for (_, sql) in &indexes {
        tx.execute_batch(sql)?;
    }
    tx.execute_batch("ANALYZE;")?;
    tx.commit()?;
    Ok(out)
}

/// Feeds one column value into a hash with its type and length, so that no two rows hash
/// alike: the backup's content checksum and sync's state digest both read rows this way.
pub fn hash_value(h: &mut sha2::Sha256, v: rusqlite::types::ValueRef<'_>) {
    use rusqlite::types::ValueRef;
    use sha2::Digest;
    match v {
        ValueRef::Null => h.update([0u8]),
        ValueRef::Integer(v) => {
            h.update([1u8]);
            h.update(v.to_le_bytes());
        }
        ValueRef::Real(v) => {
            h.update([2u8]);
            h.update(v.to_le_bytes());
        }
        ValueRef::Text(t) => {
            h.update([3u8]);
            h.update((t.len() as u64).to_le_bytes());
            h.update(t);
        }
        ValueRef::Blob(b) => {
            h.update([4u8]);
            h.update((b.len() as u64).to_le_bytes());
            h.update(b);
        }
    }
}

/// A setting's value (JSON in `settings`), if it is set.
pub fn get_setting<T: for<'de> Deserialize<'de>>(conn: &Connection, key: &str) -> Result<Option<T>> {
    let raw: Option<String> = conn.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0)).optional()?;
    Ok(match raw {
        Some(s) => Some(serde_json::from_str(&s)?),
        None => None,
    })
}

/// The canonical spelling of an active ticket type, or a validation error listing the valid
/// ones (the operations and the rule editor both accept a type however it is cased).
pub fn resolve_type(conn: &Connection, name: &str) -> Result<String> {
    let found: Option<String> =
        conn.query_row("SELECT name FROM ticket_types WHERE name = ?1 AND active = 1", [name.trim()], |r| r.get(0)).optional()?;
    found.ok_or_else(|| {
        let all: Vec<String> = conn
            .prepare("SELECT name FROM ticket_types WHERE active = 1 ORDER BY position")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .unwrap_or_default();
        Error::validation("type", format!("'{}' is not a ticket type ({})", name.trim(), all.join(", ")))
    })
}

/// Removes a database we created and failed to finish, with its WAL companions.
pub fn remove_database_files(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(std::path::PathBuf::from(p));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() {
        super::migrations().validate().unwrap();
    }
}
