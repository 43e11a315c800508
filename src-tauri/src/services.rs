//! The shell's state: the open workspace (one SQLite connection behind a mutex: one writer
//! at a time), the search index with its writer thread, and the way to tell the window
//! that something changed.

use crate::notifications::{self, OnClick};
use casebook::search::{Indexer, SearchIndex};
use casebook::{Clock, ErrorPayload, ShiftedClock, SystemClock, Workspace, WorkspaceInit};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tauri::{AppHandle, Emitter, Manager};
use tokio::sync::Notify;

/// Command-line options of the app.
#[derive(Debug, Default, Clone)]
pub struct StartOptions {
    /// `--data-dir DIR`: where the workspace lives (default: the OS app-data folder).
    pub data_dir: Option<PathBuf>,
    /// `--demo`: open (creating if needed) the demo workspace without asking.
    pub demo_if_new: bool,
    /// `--now T` (RFC 3339): run with the clock starting at T, to see tomorrow's SLA alerts today.
    pub now: Option<casebook::Timestamp>,
}

impl StartOptions {
    pub fn from_args(args: impl Iterator<Item = String>) -> StartOptions {
        let mut o = StartOptions::default();
        let mut args = args.peekable();
        while let Some(a) = args.next() {
            match a.as_str() {
                "--data-dir" => o.data_dir = args.next().map(PathBuf::from),
                "--demo" => o.demo_if_new = true,
                "--now" => match args.next().map(|t| casebook::clock::parse_instant(&t)) {
                    Some(Ok(t)) => o.now = Some(t),
                    Some(Err(e)) => eprintln!("casebook: --now: {e}"),
                    None => eprintln!("casebook: --now needs a time, e.g. 2026-03-02T09:00:00Z"),
                },
                _ => {}
            }
        }
        o
    }
}

/// Scheduled backups: one a day, the newest this many kept.
pub const BACKUP_EVERY_HOURS: i64 = 24;
pub const BACKUPS_KEPT: usize = 7;
/// With no backup yet, the first waits until the app has run this long (not at first start).
const FIRST_BACKUP_AFTER: Duration = Duration::from_secs(15 * 60);

/// How often the scheduler runs the time rules (PRODUCT R1: "on a schedule").
const RULE_PASS_EVERY: Duration = Duration::from_secs(5 * 60);
/// How many tickets "open the demo workspace" creates.
pub const DEMO_TICKETS: usize = 3000;

pub struct Services {
    pub data_dir: PathBuf,
    clock: Arc<dyn Clock>,
    started: std::time::Instant,
    /// When the scheduler last ran the time rules (none yet: at the first pass).
    last_rule_pass: Mutex<Option<std::time::Instant>>,
    /// When the newest backup was made (read from the backups folder when a workspace opens,
    /// so the scheduler does not list the folder on every pass).
    last_backup: Mutex<Option<casebook::Timestamp>>,
    /// Wakes the alert scheduler (after a change, or when its settings change).
    alert_wake: Notify,
    pub workspace: Mutex<Option<Workspace>>,
    pub search: Mutex<Option<Arc<SearchIndex>>>,
    indexer: Mutex<Option<Indexer>>,
    app: AppHandle,
}

/// The payload of `entities_changed`: what kind of change, so views can decide to reload.
#[derive(Clone, serde::Serialize)]
pub struct EntitiesChanged {
    pub source: &'static str,
    pub tickets: Vec<i64>,
}

pub type CmdResult<T> = Result<T, ErrorPayload>;

pub fn err(e: casebook::Error) -> ErrorPayload {
    ErrorPayload::from(&e)
}

pub fn no_workspace() -> ErrorPayload {
    ErrorPayload { code: "no_workspace".into(), message: "No workspace is open yet.".into(), field: None }
}

impl Services {
    pub fn new(data_dir: PathBuf, now: Option<casebook::Timestamp>, app: AppHandle) -> Services {
        let clock: Arc<dyn Clock> = match now {
            Some(t) => Arc::new(ShiftedClock::starting_at(t)),
            None => Arc::new(SystemClock),
        };
        Services {
            data_dir,
            clock,
            started: std::time::Instant::now(),
            last_rule_pass: Mutex::new(None),
            last_backup: Mutex::new(None),
            alert_wake: Notify::new(),
            workspace: Mutex::new(None),
            search: Mutex::new(None),
            indexer: Mutex::new(None),
            app,
        }
    }

    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("casebook.db")
    }

    /// Opens the workspace if one exists (or creates the demo one when asked to).
    pub fn open_existing(&self, demo_if_new: bool) -> CmdResult<()> {
        if self.db_path().exists() {
            let ws = Workspace::open(&self.db_path(), self.clock.clone()).map_err(err)?;
            self.attach(ws)
        } else if demo_if_new {
            self.create(true, &WorkspaceInit { name: "Casebook demo".into(), ..Default::default() })
        } else {
            Ok(())
        }
    }

    /// Creates the workspace: the demo one (generated tickets) or an empty one.
    pub fn create(&self, demo: bool, init: &WorkspaceInit) -> CmdResult<()> {
        std::fs::create_dir_all(&self.data_dir).map_err(|e| err(e.into()))?;
        let mut ws = Workspace::create(&self.db_path(), self.clock.clone(), init).map_err(err)?;
        if demo {
            casebook::demo::generate(&mut ws, casebook::demo::DemoOptions::new(DEMO_TICKETS, 1)).map_err(err)?;
            // The person who opened the demo works as its lead.
            let _ = ws.act_as("mina.park@casebook-demo.com");
        }
        self.attach(ws)
    }

    fn attach(&self, ws: Workspace) -> CmdResult<()> {
        let index = Arc::new(SearchIndex::open(&ws.data_dir()).map_err(err)?);
        let app = self.app.clone();
        let app_err = self.app.clone();
        // The writer thread repairs the index on start (in the background) and applies
        // every change; the window hears when results may have changed.
        let indexer = Indexer::start(
            ws.db_path().to_path_buf(),
            index.clone(),
            move |_| {
                let _ = app.emit("search_updated", ());
            },
            move |message| {
                let _ = app_err.emit("background_error", message);
            },
        )
        .map_err(err)?;
        *self.workspace.lock().unwrap() = Some(ws);
        *self.search.lock().unwrap() = Some(index);
        *self.indexer.lock().unwrap() = Some(indexer);
        *self.last_backup.lock().unwrap() = casebook::backup::list(&self.backups_dir()).first().map(|b| b.created_at);
        // Alerts raised while the app was closed go out now.
        self.alert_wake.notify_one();
        Ok(())
    }

    /// The background scheduler: one task, so an alert is never planned twice. It scans and
    /// delivers alerts on start, on a timer (the settings' interval) and right after every
    /// change, makes the daily backup and keeps the dashboard's figures ready.
    pub fn start_alert_scheduler(self: &Arc<Self>) {
        let me = self.clone();
        tauri::async_runtime::spawn(async move {
            loop {
                let interval = me.alert_interval();
                let _ = tokio::time::timeout(interval, me.alert_wake.notified()).await;
                me.scheduled_rules().await;
                let pass = me.clone();
                let app = me.app.clone();
                let on_click: OnClick = Arc::new(move |ticket: Option<i64>| {
                    if let Some(w) = app.get_webview_window("main") {
                        let _ = w.unminimize();
                        let _ = w.set_focus();
                    }
                    let _ = app.emit("open_alert_target", ticket);
                });
                let outcome = tauri::async_runtime::spawn_blocking(move || notifications::scan_and_deliver(&pass.workspace, Some(on_click))).await;
                me.scheduled_backup().await;
                // Keep the dashboard's copy of the tickets current, so opening it only counts.
                if me.workspace.lock().unwrap().is_some() {
                    if let Err(e) = me.read(|ws| ws.prepare_stats()).await {
                        eprintln!("casebook: dashboard: {}", e.message);
                    }
                }
                match outcome {
                    Ok(Ok(o)) => {
                        if o.changed_anything() {
                            let _ = me.app.emit("alerts_changed", ());
                        }
                        for e in o.errors {
                            eprintln!("casebook: {e}");
                        }
                    }
                    Ok(Err(e)) => {
                        let _ = me.app.emit("background_error", format!("alerts: {e}"));
                    }
                    Err(e) => eprintln!("casebook: the alert scan stopped: {e}"),
                }
            }
        });
    }

    pub fn backups_dir(&self) -> PathBuf {
        self.data_dir.join("backups")
    }

    /// A verified backup into the backups folder, keeping the newest few.
    pub async fn backup_now(self: &Arc<Self>) -> CmdResult<casebook::backup::BackupReport> {
        let dir = self.backups_dir();
        let (report, at) = self
            .read(move |ws| {
                let at = ws.now();
                let report = ws.backup(&dir.join(casebook::backup::default_name(at)))?;
                casebook::backup::prune(&dir, BACKUPS_KEPT)?;
                Ok((report, at))
            })
            .await?;
        *self.last_backup.lock().unwrap() = Some(at);
        Ok(report)
    }

    /// Replaces the open workspace with a backup ("Restore from backup…"): the index writer
    /// and the database are closed, the backup is verified and restored over the workspace
    /// (the old file is kept beside it), and everything is opened again. If the restore
    /// fails, the workspace as it was is opened again.
    pub fn restore(&self, backup: PathBuf) -> CmdResult<casebook::backup::RestoreReport> {
        casebook::backup::verify(&backup).map_err(err)?;
        drop(self.indexer.lock().unwrap().take());
        drop(self.search.lock().unwrap().take());
        drop(self.workspace.lock().unwrap().take());
        let result = casebook::backup::restore(&backup, &self.db_path(), true).map_err(err);
        // The index remembers the old database's events; opening it again rebuilds it.
        self.open_existing(false)?;
        self.changed("restore", vec![]);
        result
    }

    /// The daily backup, when the newest one is a day old. A backup that fails its
    /// verification is reported like an alert: on the desktop and in the window.
    /// A pass of the time rules when one is due; its rule alerts go out in the same scan.
    async fn scheduled_rules(self: &Arc<Self>) {
        let due = self.last_rule_pass.lock().unwrap().is_none_or(|t| t.elapsed() >= RULE_PASS_EVERY);
        if !due || self.workspace.lock().unwrap().is_none() {
            return;
        }
        *self.last_rule_pass.lock().unwrap() = Some(std::time::Instant::now());
        match self.read(|ws| ws.run_time_rules()).await {
            Ok(report) if !report.changes.is_empty() => {
                let mut tickets: Vec<i64> = report.changes.iter().map(|c| c.ticket_number).collect();
                tickets.dedup();
                self.changed("rule", tickets);
            }
            Ok(_) => {}
            Err(e) => {
                let _ = self.app.emit("background_error", format!("rules: {}", e.message));
            }
        }
    }

    async fn scheduled_backup(self: &Arc<Self>) {
        let newest = *self.last_backup.lock().unwrap();
        let due = match newest {
            Some(t) => (self.clock.now() - t).num_hours() >= BACKUP_EVERY_HOURS,
            None => self.started.elapsed() >= FIRST_BACKUP_AFTER,
        };
        if !due || self.workspace.lock().unwrap().is_none() {
            return;
        }
        if let Err(e) = self.backup_now().await {
            // Try again in an hour, not on every pass (which would notify every 30 s).
            *self.last_backup.lock().unwrap() = Some(self.clock.now() - casebook::clock::Duration::hours(BACKUP_EVERY_HOURS - 1));
            let message = format!("The daily backup failed: {}", e.message);
            let notice = casebook::alerts::Notice {
                alert_ids: vec![],
                ticket_number: None,
                summary: "Casebook backup failed".into(),
                body: message.clone(),
                critical: true,
            };
            let _ = notifications::show(&notice, false, None);
            let _ = self.app.emit("background_error", message);
        }
    }

    fn alert_interval(&self) -> Duration {
        let secs = self.workspace.lock().unwrap().as_ref().map_or(30, |ws| ws.alert_settings().scan_interval_seconds);
        Duration::from_secs(secs.max(5) as u64)
    }

    /// Runs `f` on the workspace (on a blocking thread: callers are async commands).
    pub async fn read<T: Send + 'static>(self: &Arc<Self>, f: impl FnOnce(&mut Workspace) -> casebook::Result<T> + Send + 'static) -> CmdResult<T> {
        let me = self.clone();
        tauri::async_runtime::spawn_blocking(move || {
            let mut guard = me.workspace.lock().unwrap();
            let ws = guard.as_mut().ok_or_else(no_workspace)?;
            f(ws).map_err(err)
        })
        .await
        .map_err(|e| ErrorPayload { code: "internal".into(), message: e.to_string(), field: None })?
    }

    /// Like `read`, for a change: then wakes the index writer and tells every view.
    pub async fn write<T: Send + 'static>(
        self: &Arc<Self>,
        tickets: Vec<i64>,
        f: impl FnOnce(&mut Workspace) -> casebook::Result<T> + Send + 'static,
    ) -> CmdResult<T> {
        let out = self.read(f).await?;
        self.changed("user", tickets);
        Ok(out)
    }

    pub fn changed(&self, source: &'static str, tickets: Vec<i64>) {
        if let Some(i) = self.indexer.lock().unwrap().as_ref() {
            i.notify();
        }
        self.alert_wake.notify_one();
        let _ = self.app.emit("entities_changed", EntitiesChanged { source, tickets });
    }

    pub fn search_index(&self) -> CmdResult<Arc<SearchIndex>> {
        self.search.lock().unwrap().clone().ok_or_else(no_workspace)
    }
}
