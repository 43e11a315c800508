//! Team sync: laptops share one workspace through a folder that something else replicates
//! (Syncthing, a network share, Nextcloud). Casebook never puts its live database there.
//! Each device writes only its own subfolder, so no file ever has two writers:
//!
//! ```text
//! FOLDER/casebook/workspace.json                 which workspace, written once by `init`
//! FOLDER/casebook/devices/<id>/segments/*.seg    its events, immutable (see `segment`)
//! FOLDER/casebook/devices/<id>/manifest.json     who it is, how far it got, its state digest
//! FOLDER/casebook/devices/<id>/attachments/…     the files its events name, by hash
//! ```
//!
//! A pass (`pass`) publishes this device's new events as a segment and ingests every other
//! device's segments it has not yet seen, each in one transaction, in an order that respects
//! what each writer had seen (a segment names the segments it depends on). What the events
//! mean once merged is the event log's business (`casebook_events::fold`). A missing file is
//! never a deletion, and a share that is not there, not ours or newer stops the pass with
//! `Error::SyncPaused` before anything is changed.

mod presence;
pub mod segment;
mod syncthing;

pub use presence::{set_presence, PRESENCE_FRESH_MS};

pub use syncthing::{set_syncthing, SyncthingApi};

use casebook_core::{Error, Result};
use casebook_events::{fold, replay, StoredEvent};
use casebook_store::attachments::relative_path;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use segment::{Header, Read, SEGMENT_FORMAT};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The layout format of the shared folder this build writes and reads.
pub const SHARE_FORMAT: i64 = 1;

/// At most this many events go in one segment (the first publication of a big workspace is
/// several segments, so no file is huge).
pub const SEGMENT_EVENTS: usize = 20_000;

/// A peer's heartbeat this far ahead of our clock is reported as a clock that is off.
const CLOCK_WARNING_MS: i64 = 10 * 60 * 1000;

/// This laptop, as the share sees it.
#[derive(Debug, Clone)]
pub struct Device {
    pub id: String,
    pub name: String,
    /// The agent working at it (shown to the others).
    pub agent: Option<String>,
}

/// `casebook/workspace.json`: which workspace the folder holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShareInfo {
    pub workspace_id: String,
    pub name: String,
    pub format: i64,
    pub created_at_ms: i64,
}

/// `devices/<id>/manifest.json`, rewritten by its device on every pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub device: String,
    pub name: String,
    pub agent: Option<String>,
    pub app_version: String,
    /// The event formats it reads and writes, and the segment format it writes.
    pub reads_format: i64,
    pub writes_format: i64,
    pub segment_format: i64,
    pub last_segment: i64,
    /// The last segment of each device it has applied (itself included).
    pub applied: BTreeMap<String, i64>,
    /// The digest of its state, and what it had applied when it was computed (on a big
    /// workspace a digest is computed only every so often).
    pub digest: String,
    #[serde(default)]
    pub digest_applied: BTreeMap<String, i64>,
    /// Whether it had published all its own events then.
    #[serde(default)]
    pub digest_complete: bool,
    /// Its wall clock when it wrote this (ms).
    pub heartbeat_ms: i64,
}

/// What one pass did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PassReport {
    pub published_segments: u64,
    pub published_events: u64,
    pub ingested_segments: u64,
    pub ingested_events: u64,
    /// Events that were already here (delivered twice).
    pub duplicates: u64,
    /// A late event made the state be folded again.
    pub refolded: bool,
    /// Tickets rebuilt alone for late events that concern only them.
    pub rebuilt_tickets: u64,
    pub files_copied: u64,
    /// Segments seen but not ingested yet, and why (still arriving, waiting for another).
    pub waiting: Vec<String>,
    pub warnings: Vec<String>,
}

impl PassReport {
    pub fn changed_state(&self) -> bool {
        self.ingested_events > 0
    }
}

/// Every device of the share as this laptop sees it.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceState {
    pub device: String,
    pub name: String,
    pub agent: Option<String>,
    pub this_device: bool,
    pub last_seen_ms: Option<i64>,
    pub segments_published: i64,
    pub segments_applied_here: i64,
    /// Events it published that this laptop has not applied yet.
    pub events_behind: u64,
    pub writes_format: Option<i64>,
    pub digest: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SyncStatus {
    pub folder: PathBuf,
    /// Why sync cannot go on now, if it cannot.
    pub paused: Option<String>,
    pub devices: Vec<DeviceState>,
    pub digest: String,
    /// Laptops that applied the same segments as this one but hold another state.
    pub divergences: Vec<String>,
    pub warnings: Vec<String>,
}

/// The shared folder's `casebook/` directory.
#[derive(Debug, Clone)]
pub struct Share {
    root: PathBuf,
}

impl Share {
    pub fn at(folder: &Path) -> Share {
        Share { root: folder.join("casebook") }
    }
    fn info_path(&self) -> PathBuf {
        self.root.join("workspace.json")
    }
    fn devices(&self) -> PathBuf {
        self.root.join("devices")
    }
    fn device_dir(&self, id: &str) -> PathBuf {
        self.devices().join(id)
    }
    fn segment_path(&self, id: &str, number: i64) -> PathBuf {
        self.device_dir(id).join("segments").join(segment::file_name(number))
    }
    fn manifest_path(&self, id: &str) -> PathBuf {
        self.device_dir(id).join("manifest.json")
    }
    fn attachment_path(&self, id: &str, sha: &str) -> PathBuf {
        self.device_dir(id).join(relative_path(sha))
    }

    pub fn info(&self) -> Result<Option<ShareInfo>> {
        match std::fs::read(self.info_path()) {
            Ok(bytes) => Ok(Some(serde_json::from_slice(&bytes)?)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The device subfolders present, sorted.
    fn device_ids(&self) -> Result<Vec<String>> {
        let mut ids = Vec::new();
        if let Ok(entries) = std::fs::read_dir(self.devices()) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if entry.path().is_dir() && !name.starts_with('.') && !name.contains("sync-conflict") {
                    ids.push(name);
                }
            }
        }
        ids.sort();
        Ok(ids)
    }

    pub fn manifest(&self, id: &str) -> Option<Manifest> {
        std::fs::read(self.manifest_path(id)).ok().and_then(|b| serde_json::from_slice(&b).ok())
    }

    /// Segment numbers present in a device's folder, sorted.
    fn segment_numbers(&self, id: &str) -> Vec<i64> {
        let mut numbers: Vec<i64> = std::fs::read_dir(self.device_dir(id).join("segments"))
            .map(|entries| entries.flatten().filter_map(|e| segment::number_of(&e.file_name().to_string_lossy())).collect())
            .unwrap_or_default();
        numbers.sort();
        numbers
    }
}

fn local_get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn.query_row("SELECT value FROM sync_local WHERE key = ?1", [key], |r| r.get(0)).optional()?)
}

fn local_set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute("INSERT INTO sync_local (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value", params![key, value])?;
    Ok(())
}

/// The folder this workspace syncs through, if it was set up.
pub fn folder(conn: &Connection) -> Result<Option<PathBuf>> {
    Ok(local_get(conn, "folder")?.map(PathBuf::from))
}

/// Pauses or resumes sync on this laptop (nothing is published or ingested while paused).
pub fn set_paused(conn: &Connection, paused: bool) -> Result<()> {
    local_set(conn, "paused", if paused { "1" } else { "0" })
}

fn is_paused(conn: &Connection) -> Result<bool> {
    Ok(local_get(conn, "paused")?.as_deref() == Some("1"))
}

/// The workspace id the database holds (empty before a join has ingested anything).
fn workspace_id(conn: &Connection) -> Result<String> {
    let info: Option<serde_json::Value> = casebook_store::get_setting(conn, "workspace")?;
    Ok(info.and_then(|v| v.get("workspace_id").and_then(|s| s.as_str()).map(str::to_string)).unwrap_or_default())
}

fn not_set_up() -> Error {
    Error::validation("folder", "sync is not set up for this workspace: `casebook sync init FOLDER`, or `casebook --db NEW sync join FOLDER`")
}

/// The share this workspace syncs through, after checking it is there, is this workspace's and
/// is not from a newer Casebook. Any failure pauses sync and changes nothing.
fn open_share(conn: &Connection) -> Result<(Share, ShareInfo)> {
    let folder = folder(conn)?.ok_or_else(not_set_up)?;
    let paused = |reason: String| Error::SyncPaused { reason };
    if !folder.is_dir() {
        return Err(paused(format!("the shared folder {} is not there (not mounted?); nothing was changed", folder.display())));
    }
    let share = Share::at(&folder);
    let info = share
        .info()
        .map_err(|e| paused(format!("{} cannot be read ({e})", share.info_path().display())))?
        .ok_or_else(|| paused(format!("{} holds no Casebook share (empty, or not mounted?); nothing was changed", folder.display())))?;
    if info.format > SHARE_FORMAT {
        return Err(paused(format!(
            "the share at {} was written by a newer Casebook (format {}, this one knows {SHARE_FORMAT}); update Casebook",
            folder.display(),
            info.format
        )));
    }
    let ours = workspace_id(conn)?;
    if !ours.is_empty() && info.workspace_id != ours {
        return Err(paused(format!(
            "the share at {} holds another workspace (\"{}\", id {}), not this one (id {ours}); nothing was changed",
            folder.display(),
            info.name,
            info.workspace_id
        )));
    }
    Ok((share, info))
}

/// Publishes this workspace into `folder` (which must exist and hold no share yet), then runs
/// a first pass.
pub fn init(conn: &mut Connection, folder: &Path, device: &Device, data_dir: &Path, now_ms: i64) -> Result<PassReport> {
    if !folder.is_dir() {
        return Err(Error::validation("folder", format!("{} is not a folder", folder.display())));
    }
    let folder = std::fs::canonicalize(folder)?;
    let share = Share::at(&folder);
    let id = workspace_id(conn)?;
    if let Some(info) = share.info()? {
        return Err(Error::Conflict(if info.workspace_id == id {
            format!("this workspace is already shared in {}: run `casebook sync`", folder.display())
        } else {
            format!("{} already holds another workspace (\"{}\"); choose an empty folder", folder.display(), info.name)
        }));
    }
    let name: Option<serde_json::Value> = casebook_store::get_setting(conn, "workspace")?;
    let name = name.and_then(|v| v.get("name").and_then(|s| s.as_str()).map(str::to_string)).unwrap_or_default();
    let info = ShareInfo { workspace_id: id, name, format: SHARE_FORMAT, created_at_ms: now_ms };
    segment::write_atomically(&share.info_path(), &serde_json::to_vec_pretty(&info)?)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // A fresh share: every event here is this device's to publish, whatever share it came from.
    tx.execute_batch("DELETE FROM sync_segments; DELETE FROM sync_wanted_files; UPDATE events SET received_from = NULL;")?;
    local_set(&tx, "folder", &folder.to_string_lossy())?;
    local_set(&tx, "paused", "0")?;
    tx.commit()?;
    pass(conn, device, data_dir, now_ms)
}

/// Sets an empty database up to sync through `folder` and ingests the whole share into it.
/// It writes nothing into the share: the first `pass` announces the new laptop, once the
/// caller has checked who works at it.
pub fn join(conn: &mut Connection, folder: &Path, data_dir: &Path) -> Result<(ShareInfo, PassReport)> {
    let folder = std::fs::canonicalize(folder).map_err(|_| Error::validation("folder", format!("{} is not a folder", folder.display())))?;
    if Share::at(&folder).info()?.is_none() {
        return Err(Error::validation("folder", format!("{} holds no Casebook share (was `casebook sync init` run there?)", folder.display())));
    }
    local_set(conn, "folder", &folder.to_string_lossy())?;
    let (share, info) = open_share(conn)?;
    let mut report = PassReport::default();
    ingest_ready(conn, &share, &info, data_dir, &mut report)?;
    fetch_wanted_files(conn, &share, data_dir, &mut report)?;
    if workspace_id(conn)? != info.workspace_id {
        return Err(Error::Conflict(format!("the share at {} holds no whole workspace yet (its first segment has not arrived)", folder.display())));
    }
    Ok((info, report))
}

/// The last segment of each device this database holds.
fn applied(conn: &Connection) -> Result<BTreeMap<String, i64>> {
    let mut stmt = conn.prepare("SELECT device, max(number) FROM sync_segments GROUP BY device")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// One publish and ingest pass.
pub fn pass(conn: &mut Connection, device: &Device, data_dir: &Path, now_ms: i64) -> Result<PassReport> {
    let (share, info) = open_share(conn)?;
    if is_paused(conn)? {
        return Err(Error::SyncPaused {
            reason: "sync is paused on this laptop (resume it in Settings → Sync or with `casebook sync resume`)".into(),
        });
    }
    let mut report = PassReport::default();
    refuse_a_clone(&share, device)?;
    // Ingesting first: the segment published next then depends on all of it. Our own folder is
    // read too, for segments we do not know we wrote (a crash after publishing, a restore).
    ingest_ready(conn, &share, &info, data_dir, &mut report)?;
    republish_missing(conn, &share, &info, device, data_dir, &mut report)?;
    publish_new(conn, &share, &info, device, data_dir, &mut report)?;
    fetch_wanted_files(conn, &share, data_dir, &mut report)?;
    for id in share.device_ids()? {
        if let Some(m) = share.manifest(&id).filter(|m| m.device != device.id) {
            if m.heartbeat_ms > now_ms + CLOCK_WARNING_MS {
                report.warnings.push(format!(
                    "the clock of {} ({}) is about {} ahead of this laptop's; its changes are kept, in the order they were made",
                    m.name,
                    m.device,
                    human_duration(m.heartbeat_ms - now_ms)
                ));
            }
        }
    }
    write_manifest(conn, &share, device, now_ms)?;
    presence::refresh(conn, &share, device, now_ms)?;
    if report.published_segments > 0 {
        // Syncthing's watcher waits a second before it looks; asked, it sends at once.
        if let Some(api) = syncthing::configured(conn)? {
            if let Err(e) = api.rescan(&share.root, &share.device_dir(&device.id)) {
                report.warnings.push(format!("Syncthing was not told to send the new segment at once ({e}); its watcher will"));
            }
        }
    }
    Ok(report)
}

fn human_duration(ms: i64) -> String {
    let minutes = ms / 60_000;
    if minutes >= 90 {
        format!("{} h", (minutes + 30) / 60)
    } else {
        format!("{minutes} min")
    }
}

/// Two laptops writing as one device (a disk image cloned with its identity) would make
/// Syncthing keep conflict copies in that device's folder: stop before writing more.
fn refuse_a_clone(share: &Share, device: &Device) -> Result<()> {
    let dir = share.device_dir(&device.id);
    for sub in [dir.clone(), dir.join("segments")] {
        if let Ok(entries) = std::fs::read_dir(&sub) {
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().contains(".sync-conflict-") {
                    return Err(Error::SyncPaused {
                        reason: format!(
                            "another laptop writes as this device ({}): {} is a conflict copy. Was this laptop's disk cloned? Remove the clone's data folder, then the conflict copy",
                            device.id,
                            e.path().display()
                        ),
                    });
                }
            }
        }
    }
    Ok(())
}

/// Ingests every segment that is ready: the next one of each device whose dependencies are
/// here, until none is.
fn ingest_ready(conn: &mut Connection, share: &Share, info: &ShareInfo, data_dir: &Path, report: &mut PassReport) -> Result<()> {
    let devices = share.device_ids()?;
    loop {
        let mut progress = false;
        let have = applied(conn)?;
        for d in &devices {
            let next = have.get(d).copied().unwrap_or(0) + 1;
            let path = share.segment_path(d, next);
            if !path.exists() {
                continue;
            }
            let seg = match segment::read(&path)? {
                Read::Whole(s) => s,
                Read::Incomplete(why) => {
                    report.waiting.push(format!("{}: {why}; waiting for the rest of it", path.display()));
                    continue;
                }
                Read::Newer(format) => {
                    return Err(Error::SyncPaused {
                        reason: format!("{} was written by a newer Casebook (segment format {format}); update Casebook to go on", path.display()),
                    })
                }
            };
            if seg.header.workspace != info.workspace_id || seg.header.device != *d || seg.header.number != next {
                report.warnings.push(format!("{} does not belong where it is (another workspace or device); it was left alone", path.display()));
                continue;
            }
            if let Some((dep, n)) = seg.header.deps.iter().find(|(dep, n)| have.get(*dep).copied().unwrap_or(0) < **n) {
                report.waiting.push(format!("{}: waits for segment {n} of {dep}", path.display()));
                continue;
            }
            ingest_segment(conn, share, d, &seg, data_dir, report).map_err(|e| match e {
                Error::BadEvent { id, kind, message } => Error::SyncPaused {
                    reason: format!("{} cannot be applied: event {id} ({kind}): {message}; nothing of it was applied", path.display()),
                },
                other => other,
            })?;
            progress = true;
        }
        if !progress {
            return Ok(());
        }
    }
}

fn ingest_segment(conn: &mut Connection, share: &Share, from: &str, seg: &segment::Segment, data_dir: &Path, report: &mut PassReport) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let folded = fold::ingest(&tx, &seg.events, from)?;
    // Of our own events in it (a segment we wrote), the range of this database's numbering.
    let (first_seq, last_seq): (Option<i64>, Option<i64>) = {
        let mut stmt = tx.prepare_cached("SELECT seq FROM events WHERE id = ?1 AND received_from IS NULL")?;
        let mut seqs = Vec::new();
        for e in &seg.events {
            if let Some(s) = stmt.query_row([&e.id], |r| r.get::<_, i64>(0)).optional()? {
                seqs.push(s);
            }
        }
        (seqs.iter().min().copied(), seqs.iter().max().copied())
    };
    tx.execute(
        "INSERT INTO sync_segments (device, number, sha256, events, first_seq, last_seq, deps, done_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            from,
            seg.header.number,
            seg.sha256,
            seg.events.len() as i64,
            first_seq,
            last_seq,
            serde_json::to_string(&seg.header.deps)?,
            now_wall_ms()
        ],
    )?;
    for sha in attachment_hashes(&seg.events) {
        if !data_dir.join(relative_path(&sha)).exists() {
            if copy_from_share(share, &sha, data_dir)? {
                report.files_copied += 1;
            } else {
                tx.execute("INSERT OR IGNORE INTO sync_wanted_files (sha256) VALUES (?1)", [&sha])?;
            }
        }
    }
    let sla = casebook_store::get_setting(&tx, "sla")?.unwrap_or_default();
    casebook_events::commit(tx, &sla)?;
    report.ingested_segments += 1;
    report.ingested_events += folded.new;
    report.duplicates += folded.duplicates;
    report.refolded |= folded.refolded;
    report.rebuilt_tickets += folded.rebuilt_tickets;
    Ok(())
}

fn now_wall_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// The files the events name: message.added's attachments, and the .eml a mail came in as.
fn attachment_hashes(events: &[StoredEvent]) -> Vec<String> {
    let mut out = Vec::new();
    for e in events.iter().filter(|e| e.kind == "message.added") {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&e.payload) {
            let files = v.get("attachments").and_then(|a| a.as_array()).into_iter().flatten().filter_map(|a| a.get("sha256"));
            let raw = v.get("mail").and_then(|m| m.get("raw_sha256"));
            for sha in files.chain(raw).filter_map(|s| s.as_str()).filter(|s| s.len() >= 2) {
                out.push(sha.to_string());
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Copies an attachment file from whichever device folder has it; false when none has it yet.
fn copy_from_share(share: &Share, sha: &str, data_dir: &Path) -> Result<bool> {
    for d in share.device_ids()? {
        let from = share.attachment_path(&d, sha);
        if from.is_file() {
            let bytes = std::fs::read(&from)?;
            // Only a whole, true copy: Syncthing may still be writing it.
            if hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes)) == sha {
                segment::write_atomically(&data_dir.join(relative_path(sha)), &bytes)?;
                return Ok(true);
            }
        }
    }
    Ok(false)
}

fn fetch_wanted_files(conn: &Connection, share: &Share, data_dir: &Path, report: &mut PassReport) -> Result<()> {
    let wanted: Vec<String> = conn.prepare("SELECT sha256 FROM sync_wanted_files")?.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    for sha in wanted {
        if data_dir.join(relative_path(&sha)).exists() || copy_from_share(share, &sha, data_dir)? {
            conn.execute("DELETE FROM sync_wanted_files WHERE sha256 = ?1", [&sha])?;
            report.files_copied += 1;
        }
    }
    Ok(())
}

/// Puts the files this device's events name into its folder of the share.
fn publish_files(share: &Share, device: &Device, events: &[StoredEvent], data_dir: &Path) -> Result<()> {
    for sha in attachment_hashes(events) {
        let to = share.attachment_path(&device.id, &sha);
        let from = data_dir.join(relative_path(&sha));
        if !to.exists() && from.is_file() {
            segment::write_atomically(&to, &std::fs::read(&from)?)?;
        }
    }
    Ok(())
}

/// This device's events in `first..=last` of this database's numbering that it made itself.
fn own_events(conn: &Connection, first: i64, last: i64, limit: usize) -> Result<Vec<(i64, StoredEvent)>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT e.seq, {} FROM events e WHERE e.seq BETWEEN ?1 AND ?2 AND e.received_from IS NULL ORDER BY e.seq LIMIT ?3",
        StoredEvent::COLUMNS
    ))?;
    let rows = stmt.query_map(params![first, last, limit as i64], |r| Ok((r.get(0)?, StoredEvent::from_row(r, 1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The last of this database's sequence numbers that this device's segments hold.
fn published_through(conn: &Connection, device: &Device) -> Result<i64> {
    Ok(conn.query_row("SELECT coalesce(max(last_seq), 0) FROM sync_segments WHERE device = ?1", [&device.id], |r| r.get(0))?)
}

/// Events that device `id` published after its segment `here`, by the headers of its
/// segments `numbers` (as `Share::segment_numbers` lists them).
fn events_after(share: &Share, id: &str, numbers: &[i64], here: i64) -> u64 {
    numbers.iter().filter(|n| **n > here).filter_map(|n| segment::header_count(&share.segment_path(id, *n))).sum::<usize>() as u64
}

/// Publishes the events made here since the last segment, in segments of at most
/// `SEGMENT_EVENTS`.
fn publish_new(conn: &mut Connection, share: &Share, info: &ShareInfo, device: &Device, data_dir: &Path, report: &mut PassReport) -> Result<()> {
    loop {
        let batch = own_events(conn, published_through(conn, device)? + 1, i64::MAX, SEGMENT_EVENTS)?;
        if batch.is_empty() {
            return Ok(());
        }
        let mut deps = applied(conn)?;
        let number = deps.remove(&device.id).unwrap_or(0) + 1;
        let (first, last) = (batch[0].0, batch[batch.len() - 1].0);
        let events: Vec<StoredEvent> = batch.into_iter().map(|(_, e)| e).collect();
        let header =
            Header { segment: SEGMENT_FORMAT, workspace: info.workspace_id.clone(), device: device.id.clone(), number, deps, count: events.len() };
        let (bytes, sha) = segment::encode(&header, &events)?;
        let path = share.segment_path(&device.id, number);
        if path.exists() {
            return Err(Error::SyncPaused {
                reason: format!("{} is already there but this laptop did not write it: does another laptop write as this device?", path.display()),
            });
        }
        publish_files(share, device, &events, data_dir)?;
        segment::write_atomically(&path, &bytes)?;
        conn.execute(
            "INSERT INTO sync_segments (device, number, sha256, events, first_seq, last_seq, deps, done_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![device.id, number, sha, events.len() as i64, first, last, serde_json::to_string(&header.deps)?, now_wall_ms()],
        )?;
        report.published_segments += 1;
        report.published_events += events.len() as u64;
    }
}

/// A segment this device published, as its bookkeeping row has it.
struct PublishedSegment {
    number: i64,
    sha: String,
    count: i64,
    first: Option<i64>,
    last: Option<i64>,
    deps: String,
}

/// Writes again the segments this device published that the share no longer has (a folder
/// restored from an old copy, a peer that deleted them): the same bytes, from the log.
fn republish_missing(conn: &Connection, share: &Share, info: &ShareInfo, device: &Device, data_dir: &Path, report: &mut PassReport) -> Result<()> {
    let mine: Vec<PublishedSegment> = conn
        .prepare("SELECT number, sha256, events, first_seq, last_seq, deps FROM sync_segments WHERE device = ?1 ORDER BY number")?
        .query_map([&device.id], |r| {
            Ok(PublishedSegment { number: r.get(0)?, sha: r.get(1)?, count: r.get(2)?, first: r.get(3)?, last: r.get(4)?, deps: r.get(5)? })
        })?
        .collect::<rusqlite::Result<_>>()?;
    for PublishedSegment { number, sha, count, first, last, deps } in mine {
        let path = share.segment_path(&device.id, number);
        if path.exists() {
            continue;
        }
        let (Some(first), Some(last)) = (first, last) else {
            report.warnings.push(format!("segment {number} of this device is missing from the share and cannot be rebuilt here"));
            continue;
        };
        let events: Vec<StoredEvent> = own_events(conn, first, last, usize::MAX)?.into_iter().map(|(_, e)| e).collect();
        let header = Header {
            segment: SEGMENT_FORMAT,
            workspace: info.workspace_id.clone(),
            device: device.id.clone(),
            number,
            deps: serde_json::from_str(&deps)?,
            count: events.len(),
        };
        let (bytes, again) = segment::encode(&header, &events)?;
        if again != sha || events.len() as i64 != count {
            report.warnings.push(format!("segment {number} of this device is missing from the share and its events here no longer match it"));
            continue;
        }
        publish_files(share, device, &events, data_dir)?;
        segment::write_atomically(&path, &bytes)?;
        report.warnings.push(format!("segment {number} of this device was missing from the share and was published again"));
    }
    Ok(())
}

/// A state digest and what it is the digest of: the segments applied then, and whether this
/// device had published all its own events (else the state holds changes no one else has).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DigestRecord {
    pub value: String,
    pub applied: BTreeMap<String, i64>,
    pub complete: bool,
    /// The log's last local sequence number when it was computed.
    seq: i64,
    at_ms: i64,
    /// How long computing it took (ms).
    #[serde(default)]
    cost_ms: i64,
}

/// A pass spends at most about this share of its time on digests: computing one reads the
/// whole state (seconds at 100k tickets), so a pass waits twenty times as long as the last
/// one took before computing it again. `sync status` always does.
const DIGEST_SPACING: i64 = 20;

/// The digest of the state: with `force` computed now (a change behind the engine's back is
/// seen too), else again only when the log has changed and the last time is long enough ago.
fn digest_record(conn: &Connection, device: &Device, force: bool) -> Result<DigestRecord> {
    let seq = casebook_events::last_seq(conn)?;
    let now = now_wall_ms();
    let old: Option<DigestRecord> = local_get(conn, "digest")?.and_then(|s| serde_json::from_str(&s).ok());
    if let Some(old) = &old {
        if !force && (old.seq == seq || now - old.at_ms < old.cost_ms * DIGEST_SPACING) {
            return Ok(old.clone());
        }
    }
    let unpublished: bool =
        conn.query_row("SELECT EXISTS (SELECT 1 FROM events WHERE seq > ?1 AND received_from IS NULL)", [published_through(conn, device)?], |r| {
            r.get(0)
        })?;
    let value = replay::digest(conn)?;
    let record = DigestRecord { value, applied: applied(conn)?, complete: !unpublished, seq, at_ms: now, cost_ms: now_wall_ms() - now };
    local_set(conn, "digest", &serde_json::to_string(&record)?)?;
    Ok(record)
}

fn write_manifest(conn: &Connection, share: &Share, device: &Device, now_ms: i64) -> Result<()> {
    let d = digest_record(conn, device, false)?;
    let applied = applied(conn)?;
    let m = Manifest {
        device: device.id.clone(),
        name: device.name.clone(),
        agent: device.agent.clone(),
        app_version: env!("CARGO_PKG_VERSION").to_string(),
        reads_format: casebook_events::FORMAT,
        writes_format: casebook_events::FORMAT,
        segment_format: SEGMENT_FORMAT,
        last_segment: applied.get(&device.id).copied().unwrap_or(0),
        applied,
        digest: d.value,
        digest_applied: d.applied,
        digest_complete: d.complete,
        heartbeat_ms: now_ms,
    };
    segment::write_atomically(&share.manifest_path(&device.id), &serde_json::to_vec_pretty(&m)?)
}

/// What the window shows all the time: the state in a word, why it stopped, how many events
/// wait, the laptops. Reads manifests and the headers of segments not applied yet; no digest.
pub fn overview(conn: &Connection, device: &Device, now_ms: i64) -> Result<casebook_core::model::SyncOverview> {
    use casebook_core::model::{SyncDevice, SyncOverview};
    let conflicts: i64 = conn.query_row("SELECT count(*) FROM conflicts", [], |r| r.get(0))?;
    let Some(folder_path) = folder(conn)? else {
        return Ok(SyncOverview {
            state: "off".into(),
            reason: None,
            folder: None,
            events_waiting: 0,
            devices: vec![],
            conflicts: conflicts as u64,
            presence: vec![],
        });
    };
    let mut o = SyncOverview {
        state: "in_sync".into(),
        reason: None,
        folder: Some(folder_path.to_string_lossy().into_owned()),
        events_waiting: 0,
        devices: vec![],
        conflicts: conflicts as u64,
        presence: vec![],
    };
    let share = match open_share(conn) {
        Ok((share, _)) => share,
        Err(Error::SyncPaused { reason }) => {
            o.state = "stopped".into();
            o.reason = Some(reason);
            return Ok(o);
        }
        Err(e) => return Err(e),
    };
    let applied_here = applied(conn)?;
    for id in share.device_ids()? {
        let m = share.manifest(&id);
        if id != device.id {
            o.events_waiting += events_after(&share, &id, &share.segment_numbers(&id), applied_here.get(&id).copied().unwrap_or(0));
        }
        o.devices.push(SyncDevice {
            this_device: id == device.id,
            name: m.as_ref().map(|m| m.name.clone()).unwrap_or_else(|| "?".into()),
            agent: m.as_ref().and_then(|m| m.agent.clone()),
            last_seen: m.as_ref().and_then(|m| chrono::DateTime::from_timestamp_millis(m.heartbeat_ms)),
            device: id,
        });
    }
    o.presence = presence::others(conn, &share, device, now_ms)?;
    if is_paused(conn)? {
        o.state = "paused".into();
    } else if o.events_waiting > 0 {
        o.state = "waiting".into();
    }
    Ok(o)
}

/// The names the share's devices gave themselves (empty when sync is not set up or the share
/// is not there).
pub fn device_names(conn: &Connection) -> BTreeMap<String, String> {
    let Ok(Some(folder)) = folder(conn) else { return BTreeMap::new() };
    let share = Share::at(&folder);
    share.device_ids().unwrap_or_default().into_iter().filter_map(|id| share.manifest(&id).map(|m| (id, m.name))).collect()
}

/// Every device of the share, what this laptop has applied of each, and whether any laptop
/// that applied the same holds another state.
pub fn status(conn: &Connection, device: &Device) -> Result<SyncStatus> {
    let folder = folder(conn)?.ok_or_else(not_set_up)?;
    let mine = digest_record(conn, device, true)?;
    let digest = mine.value.clone();
    let mut status = SyncStatus { folder, paused: None, devices: vec![], digest: digest.clone(), divergences: vec![], warnings: vec![] };
    let share = match open_share(conn) {
        Ok((share, _)) => share,
        Err(Error::SyncPaused { reason }) => {
            status.paused = Some(reason);
            return Ok(status);
        }
        Err(e) => return Err(e),
    };
    if is_paused(conn)? {
        status.paused = Some("paused on this laptop".into());
    }
    let applied_here = applied(conn)?;
    let mut ids = share.device_ids()?;
    if !ids.contains(&device.id) {
        ids.push(device.id.clone());
    }
    for id in ids {
        let m = share.manifest(&id);
        let here = applied_here.get(&id).copied().unwrap_or(0);
        let numbers = share.segment_numbers(&id);
        let behind = if id == device.id { 0 } else { events_after(&share, &id, &numbers, here) };
        if let Some(m) = &m {
            let same = |a: &BTreeMap<String, i64>, b: &BTreeMap<String, i64>| a.iter().filter(|(_, n)| **n > 0).eq(b.iter().filter(|(_, n)| **n > 0));
            // Only digests of the same events compare: the same segments applied, and
            // nothing either side had not published yet.
            let comparable = m.digest_complete && mine.complete && same(&m.digest_applied, &mine.applied);
            if id != device.id && comparable && m.digest != digest {
                status.divergences.push(format!(
                    "{} ({}) applied the same events as this laptop but holds another state: its digest {} ≠ {} here",
                    m.name, m.device, m.digest, digest
                ));
            }
            if m.writes_format > casebook_events::FORMAT {
                status.warnings.push(format!("{} ({}) runs a newer Casebook (event format {})", m.name, m.device, m.writes_format));
            }
        }
        status.devices.push(DeviceState {
            this_device: id == device.id,
            name: m.as_ref().map(|m| m.name.clone()).unwrap_or_else(|| if id == device.id { device.name.clone() } else { "?".into() }),
            agent: m.as_ref().and_then(|m| m.agent.clone()),
            last_seen_ms: m.as_ref().map(|m| m.heartbeat_ms),
            segments_published: numbers.last().copied().unwrap_or(0),
            segments_applied_here: here,
            events_behind: behind,
            writes_format: m.as_ref().map(|m| m.writes_format),
            digest: m.map(|m| m.digest),
            device: id,
        });
    }
    Ok(status)
}
