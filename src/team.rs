//! Team sync from the workspace's side (the mechanics are `casebook_sync`): which device and
//! agent this laptop is, and what the workspace must reload after other laptops' events
//! have changed its settings and rules.

use crate::clock::{to_ms, Clock};
use crate::sync::{self, Device, PassReport, ShareInfo, SyncStatus};
use crate::{store, Error, Result, Workspace};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Why the last sync pass of this process stopped, if it did (for the log).
static LAST_STOP: Mutex<Option<String>> = Mutex::new(None);

impl Workspace {
    fn sync_device(&self) -> Device {
        Device { id: self.device.device_id.clone(), name: self.device.name.clone(), agent: self.acting.as_ref().map(|a| a.email.clone()) }
    }

    /// Publishes this workspace into an empty folder that the team's laptops share.
    pub fn sync_init(&mut self, folder: &Path) -> Result<PassReport> {
        let (device, data_dir, now) = (self.sync_device(), self.data_dir(), to_ms(self.now()));
        let report = sync::init(&mut self.conn, folder, &device, &data_dir, now)?;
        self.after_sync(&report)?;
        Ok(report)
    }

    /// One publish and ingest pass through the shared folder.
    pub fn sync_pass(&mut self) -> Result<PassReport> {
        let (device, data_dir, now) = (self.sync_device(), self.data_dir(), to_ms(self.now()));
        let report = match sync::pass(&mut self.conn, &device, &data_dir, now) {
            Ok(r) => r,
            Err(e) => {
                // Passes run every few seconds: a stop is logged when it starts or changes.
                let why = e.to_string();
                let mut last = LAST_STOP.lock().unwrap();
                if last.as_deref() != Some(why.as_str()) {
                    tracing::warn!(error = why.as_str(), "sync stopped");
                    *last = Some(why);
                }
                return Err(e);
            }
        };
        if LAST_STOP.lock().unwrap().take().is_some() {
            tracing::info!("sync runs again");
        }
        log_pass(&report);
        self.after_sync(&report)?;
        Ok(report)
    }

    pub fn sync_status(&self) -> Result<SyncStatus> {
        sync::status(&self.conn, &self.sync_device())
    }

    /// The sync state in brief, for the window's indicator (cheap: no digest).
    pub fn sync_overview(&self) -> Result<crate::model::SyncOverview> {
        sync::overview(&self.conn, &self.sync_device(), to_ms(self.now()))
    }

    /// Tells the other laptops which ticket this person has open (None: none) and whether
    /// they are writing on it.
    pub fn set_presence(&mut self, ticket_number: Option<i64>, replying: bool) -> Result<()> {
        sync::set_presence(&self.conn, &self.sync_device(), ticket_number, replying, to_ms(self.now()))
    }

    pub fn set_sync_paused(&mut self, paused: bool) -> Result<()> {
        sync::set_paused(&self.conn, paused)
    }

    /// The local Syncthing's REST address and key (this laptop's own), so that a change is
    /// sent at once; None forgets them.
    pub fn set_syncthing_api(&mut self, api: Option<&sync::SyncthingApi>) -> Result<()> {
        sync::set_syncthing(&self.conn, api)
    }

    /// Other laptops' events may have changed the settings and rules this workspace keeps
    /// compiled in memory.
    fn after_sync(&mut self, report: &PassReport) -> Result<()> {
        if report.changed_state() {
            self.sla = store::get_setting(&self.conn, "sla")?.unwrap_or_default();
            let settings = crate::alerts::load_settings(&self.conn)?;
            self.keywords = Arc::new(crate::alerts::KeywordMatcher::new(&settings.keywords));
            self.alert_settings = Arc::new(settings);
            self.rules = Arc::new(crate::rules::load_book(&self.conn)?);
            self.rebuild_hooks();
            if let Some(email) = self.acting.as_ref().map(|a| a.email.clone()) {
                self.acting = self.agent_by_email(&email).ok();
            }
            // Another laptop may have moved this agent between teams.
            self.apply_visibility()?;
        }
        Ok(())
    }

    /// A new laptop joins a shared workspace: a new database at `db` with everything the
    /// share holds, acting as the agent `as_email` (who must be an agent of it).
    pub fn join(db: &Path, folder: &Path, clock: Arc<dyn Clock>, as_email: &str) -> Result<(Workspace, ShareInfo, PassReport)> {
        let conn = store::create(db)?;
        let result = (|| -> Result<(Workspace, ShareInfo, PassReport)> {
            let mut conn = conn;
            let data_dir = db.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
            let (info, joined) = sync::join(&mut conn, folder, &data_dir)?;
            drop(conn);
            let mut ws = Workspace::open(db, clock)?;
            ws.act_as(as_email).map_err(|_| {
                Error::validation(
                    "as",
                    format!("{as_email} is not an agent of \"{}\": an admin adds them on a laptop that has joined, then try again", info.name),
                )
            })?;
            // Announces this laptop to the others (its manifest) and publishes what opening
            // the workspace may have added.
            let mut report = ws.sync_pass()?;
            report.ingested_events += joined.ingested_events;
            report.ingested_segments += joined.ingested_segments;
            report.files_copied += joined.files_copied;
            report.waiting.extend(joined.waiting);
            report.warnings.extend(joined.warnings);
            Ok((ws, info, report))
        })();
        if result.is_err() {
            store::remove_database_files(db);
            let _ = std::fs::remove_file(store::device::identity_path(db));
        }
        result
    }
}

/// A sync pass that moved something, or warns, is worth a line (idle passes run every 3 s).
fn log_pass(r: &PassReport) {
    if r.published_events > 0 || r.ingested_events > 0 || r.refolded || r.files_copied > 0 {
        tracing::info!(
            published = r.published_events,
            ingested = r.ingested_events,
            duplicates = r.duplicates,
            rebuilt_tickets = r.rebuilt_tickets,
            refolded = r.refolded,
            files = r.files_copied,
            "a sync pass exchanged work with the other laptops"
        );
    }
    for w in &r.warnings {
        tracing::warn!(warning = w.as_str(), "sync");
    }
}
