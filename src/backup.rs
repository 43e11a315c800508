//! Backups that are proven by restoring them (PRODUCT O4). A backup is a folder:
//!
//! ```text
//! casebook.db      a consistent copy made with SQLite's online backup API (the app can be in use)
//! attachments/     every attachment the copy refers to, content-addressed as in the data folder
//! manifest.json    counts and a content checksum of the copy, and the attachment hashes
//! ```
//!
//! Every backup is verified before it is kept: the copy is restored into a temporary folder,
//! opened as a workspace, checked by SQLite, and its counts and checksum compared with the
//! live database's at the moment of the copy. Restoring verifies again and never writes over
//! a live workspace unless asked to.

use crate::attachments;
use crate::clock::Timestamp;
use crate::{Error, Result, Workspace};
use rusqlite::{Connection, OpenFlags};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

pub const MANIFEST: &str = "manifest.json";
pub const DATABASE: &str = "casebook.db";
const FORMAT: &str = "casebook-backup-1";

/// What a database holds, in a form two copies can be compared by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ContentSummary {
    pub tickets: i64,
    pub messages: i64,
    pub events: i64,
    /// SHA-256 over every row of every table (order-independent: rows are combined by XOR of
    /// their own hashes, each of which includes the table's name).
    pub checksum: String,
}

/// Counts and checksum of everything in `conn`.
pub fn content_summary(conn: &Connection) -> Result<ContentSummary> {
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut acc = [0u8; 32];
    for table in &tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\""))?;
        let n = stmt.column_count();
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let mut h = Sha256::new();
            h.update(table.as_bytes());
            for i in 0..n {
                crate::store::hash_value(&mut h, row.get_ref(i)?);
            }
            for (a, b) in acc.iter_mut().zip(h.finalize()) {
                *a ^= b;
            }
        }
    }
    let count = |t: &str| conn.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get::<_, i64>(0));
    Ok(ContentSummary { tickets: count("tickets")?, messages: count("messages")?, events: count("events")?, checksum: hex::encode(acc) })
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub format: String,
    pub created_at: Timestamp,
    pub workspace: String,
    pub content: ContentSummary,
    /// Relative paths of the attachment files, with their SHA-256.
    pub attachments: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct BackupReport {
    pub path: PathBuf,
    pub content: ContentSummary,
    pub attachments: u32,
    /// Attachments the database refers to that were not in the data folder (see `check`).
    pub missing_attachments: Vec<String>,
    pub bytes: u64,
    pub seconds: f64,
}

fn not_a_backup(path: &Path, why: impl std::fmt::Display) -> Error {
    Error::validation("backup", format!("{} is not a usable Casebook backup: {why}", path.display()))
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => dir_size(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

fn sha256_file(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h)?;
    Ok(hex::encode(h.finalize()))
}

/// Copies one attachment into `to_dir`, checking its content against its name.
fn copy_attachment(from_dir: &Path, to_dir: &Path, rel: &str, sha: &str) -> Result<()> {
    let target = to_dir.join(rel);
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::copy(from_dir.join(rel), &target)?;
    if sha256_file(&target)? != sha {
        return Err(Error::Conflict(format!("attachment {sha} changed while it was copied")));
    }
    Ok(())
}

fn fsync_dir(dir: &Path) {
    if let Ok(f) = std::fs::File::open(dir) {
        let _ = f.sync_all();
    }
}

impl Workspace {
    /// Makes a verified backup in the folder `to` (which must not exist yet).
    pub fn backup(&self, to: &Path) -> Result<BackupReport> {
        let started = Instant::now();
        if to.exists() {
            return Err(Error::AlreadyExists { path: to.to_path_buf() });
        }
        let parent = to.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent)?;
        let tmp = parent.join(format!(".{}.partial-{}", to.file_name().and_then(|n| n.to_str()).unwrap_or("backup"), std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp)?;
        let result = self.backup_into(&tmp).and_then(|report| {
            std::fs::rename(&tmp, to)?;
            fsync_dir(parent);
            Ok(report)
        });
        match result {
            Ok(mut report) => {
                report.path = to.to_path_buf();
                report.bytes = dir_size(to);
                report.seconds = started.elapsed().as_secs_f64();
                tracing::info!(
                    path = %to.display(),
                    tickets = report.content.tickets,
                    attachments = report.attachments,
                    missing_attachments = report.missing_attachments.len(),
                    bytes = report.bytes,
                    seconds = (report.seconds * 1000.0).round() / 1000.0,
                    "a backup was made and verified by restoring it"
                );
                Ok(report)
            }
            Err(e) => {
                let _ = std::fs::remove_dir_all(&tmp);
                tracing::error!(path = %to.display(), error = %e, "a backup failed");
                Err(e)
            }
        }
    }

    fn backup_into(&self, dir: &Path) -> Result<BackupReport> {
        // Another process (the CLI beside the app) may write during the copy: then the copy
        // and the checksum disagree, and we try again.
        let mut attempt = 0;
        let content = loop {
            attempt += 1;
            let before = content_summary(&self.conn)?;
            let db = dir.join(DATABASE);
            let _ = std::fs::remove_file(&db);
            {
                let mut dst = Connection::open(&db)?;
                let backup = rusqlite::backup::Backup::new(&self.conn, &mut dst)?;
                backup.run_to_completion(1024, std::time::Duration::ZERO, None)?;
                drop(backup);
                // One self-contained file: no WAL beside it.
                dst.pragma_update(None, "journal_mode", "DELETE")?;
            }
            let after = content_summary(&self.conn)?;
            let copied = content_summary(&Connection::open_with_flags(&db, OpenFlags::SQLITE_OPEN_READ_ONLY)?)?;
            if before == after && copied == before {
                break before;
            }
            if attempt == 3 {
                return Err(Error::Conflict("the workspace kept changing during the backup; try again".into()));
            }
        };
        let data_dir = self.data_dir();
        let shas: Vec<String> = self
            .conn
            .prepare("SELECT DISTINCT sha256 FROM attachments ORDER BY sha256")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut copied = vec![];
        let mut missing = vec![];
        for sha in &shas {
            let rel = attachments::relative_path(sha);
            if data_dir.join(&rel).is_file() {
                copy_attachment(&data_dir, dir, &rel, sha)?;
                copied.push(rel);
            } else {
                missing.push(rel);
            }
        }
        let manifest = Manifest {
            format: FORMAT.into(),
            created_at: self.now(),
            workspace: self.info()?.name,
            content: content.clone(),
            attachments: copied.clone(),
        };
        let path = dir.join(MANIFEST);
        std::fs::write(&path, serde_json::to_vec_pretty(&manifest)?)?;
        std::fs::File::open(&path)?.sync_all()?;
        // The proof: restore it somewhere else and compare.
        verify(dir)?;
        Ok(BackupReport { path: dir.to_path_buf(), content, attachments: copied.len() as u32, missing_attachments: missing, bytes: 0, seconds: 0.0 })
    }
}

/// Reads a backup's manifest.
pub fn manifest(backup: &Path) -> Result<Manifest> {
    if !backup.is_dir() {
        return Err(not_a_backup(backup, "it is not a backup folder (expected casebook.db, attachments/ and manifest.json)"));
    }
    let raw = std::fs::read(backup.join(MANIFEST)).map_err(|e| not_a_backup(backup, format!("no readable {MANIFEST} ({e})")))?;
    let m: Manifest = serde_json::from_slice(&raw).map_err(|e| not_a_backup(backup, format!("{MANIFEST} is damaged ({e})")))?;
    if m.format != FORMAT {
        return Err(not_a_backup(backup, format!("unknown format '{}'", m.format)));
    }
    // Verify and restore open every path the manifest names: only an attachment's own place
    // (attachments/ab/ab…, a SHA-256) is allowed, so a crafted manifest cannot make a restore
    // read or write a file outside the backup and the data folder.
    if let Some(rel) = m.attachments.iter().find(|rel| !is_attachment_path(rel)) {
        return Err(not_a_backup(backup, format!("its manifest names '{rel}', which is not an attachment's place")));
    }
    Ok(m)
}

fn is_attachment_path(rel: &str) -> bool {
    let sha = rel.rsplit('/').next().unwrap_or_default();
    sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) && rel == attachments::relative_path(sha)
}

/// The start of a checksum for a message (a manifest's may be any text).
fn checksum_start(checksum: &str) -> String {
    checksum.chars().take(12).collect()
}

/// Restores `backup` into a temporary folder, opens it as a workspace, and checks it against
/// its manifest: SQLite's integrity check, the counts, the content checksum, every attachment.
pub fn verify(backup: &Path) -> Result<ContentSummary> {
    let m = manifest(backup)?;
    let tmp = tempfile::tempdir()?;
    let db = tmp.path().join(DATABASE);
    std::fs::copy(backup.join(DATABASE), &db).map_err(|e| not_a_backup(backup, format!("its database cannot be read ({e})")))?;
    let ws = Workspace::open(&db, Arc::new(crate::SystemClock)).map_err(|e| not_a_backup(backup, e))?;
    let integrity: String = ws.connection().query_row("PRAGMA integrity_check", [], |r| r.get(0)).map_err(|e| not_a_backup(backup, e))?;
    if integrity != "ok" {
        return Err(not_a_backup(backup, format!("SQLite finds it damaged ({integrity})")));
    }
    let content = content_summary(ws.connection()).map_err(|e| not_a_backup(backup, e))?;
    if content != m.content {
        return Err(not_a_backup(
            backup,
            format!(
                "its content does not match its manifest ({} tickets, {} events, checksum {}… against {} tickets, {} events, {}…)",
                content.tickets,
                content.events,
                checksum_start(&content.checksum),
                m.content.tickets,
                m.content.events,
                checksum_start(&m.content.checksum)
            ),
        ));
    }
    for rel in &m.attachments {
        let sha = rel.rsplit('/').next().unwrap_or_default();
        match sha256_file(&backup.join(rel)) {
            Ok(s) if s == sha => {}
            Ok(_) => return Err(not_a_backup(backup, format!("the attachment {rel} is damaged"))),
            Err(_) => return Err(not_a_backup(backup, format!("the attachment {rel} is missing"))),
        }
    }
    Ok(content)
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RestoreReport {
    pub db: PathBuf,
    pub content: ContentSummary,
    pub attachments: u32,
    /// Where the replaced workspace was moved to (only with `replace`).
    pub previous: Option<PathBuf>,
}

/// Restores a verified backup as the workspace file `db` (attachments beside it). Refuses an
/// existing workspace unless `replace`, and then keeps the old file beside it.
pub fn restore(backup: &Path, db: &Path, replace: bool) -> Result<RestoreReport> {
    let content = verify(backup)?;
    let m = manifest(backup)?;
    let data_dir = db.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
    if db.exists() && !replace {
        return Err(Error::validation(
            "db",
            format!("a workspace already exists at {}: restore into a new folder, or replace it explicitly (--replace)", db.display()),
        ));
    }
    std::fs::create_dir_all(&data_dir)?;
    // The database goes beside its place first and is renamed in one step.
    let staging = data_dir.join(format!(".{DATABASE}.restoring-{}", std::process::id()));
    std::fs::copy(backup.join(DATABASE), &staging)?;
    std::fs::File::open(&staging)?.sync_all()?;
    for rel in &m.attachments {
        let sha = rel.rsplit('/').next().unwrap_or_default();
        if !data_dir.join(rel).is_file() {
            copy_attachment(backup, &data_dir, rel, sha)?;
        }
    }
    let mut previous = None;
    if db.exists() {
        let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
        let keep = data_dir.join(format!("{}.before-restore-{stamp}", db.file_name().and_then(|n| n.to_str()).unwrap_or(DATABASE)));
        // Fold the WAL into the old file so the kept copy is complete on its own.
        if let Ok(c) = Connection::open(db) {
            let _ = c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);");
        }
        std::fs::rename(db, &keep)?;
        previous = Some(keep);
    }
    for suffix in ["-wal", "-shm"] {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
    std::fs::rename(&staging, db)?;
    fsync_dir(&data_dir);
    tracing::info!(from = %backup.display(), to = %db.display(), tickets = content.tickets, "a backup was restored");
    Ok(RestoreReport { db: db.to_path_buf(), content, attachments: m.attachments.len() as u32, previous })
}

/// Keeps the newest `keep` backups in `dir` (folders named `casebook-…`), removing the rest.
pub fn prune(dir: &Path, keep: usize) -> Result<Vec<PathBuf>> {
    let mut all: Vec<PathBuf> = std::fs::read_dir(dir)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir() && p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("casebook-")))
        .collect();
    all.sort();
    let remove = all.len().saturating_sub(keep);
    let removed: Vec<PathBuf> = all.into_iter().take(remove).collect();
    for p in &removed {
        std::fs::remove_dir_all(p)?;
    }
    Ok(removed)
}

/// A backup found in a folder, as the app lists it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct BackupInfo {
    pub path: PathBuf,
    pub created_at: Timestamp,
    pub content: ContentSummary,
}

/// The backups in `dir`, newest first (folders without a readable manifest are skipped).
pub fn list(dir: &Path) -> Vec<BackupInfo> {
    let mut out: Vec<BackupInfo> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| manifest(&e.path()).ok().map(|m| BackupInfo { path: e.path(), created_at: m.created_at, content: m.content }))
                .collect()
        })
        .unwrap_or_default();
    out.sort_by_key(|b| std::cmp::Reverse(b.created_at));
    out
}

/// The default name of a backup made at `at`.
pub fn default_name(at: Timestamp) -> String {
    format!("casebook-{}", at.format("%Y%m%d-%H%M%S"))
}
