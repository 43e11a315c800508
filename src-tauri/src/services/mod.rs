//! The shell's state: the open workspace (one SQLite connection behind a mutex: one writer
//! at a time), the search index with its writer thread (`index`), the background scheduler
//! (`scheduler`), team sync in the background (`sync`), backups and restore (`backups`), and
//! the way to tell the window that something changed.

mod backups;
mod index;
mod mail;
mod scheduler;
mod sync;
pub use mail::MailStatus;

use casebook::search::{Indexer, SearchIndex};
use casebook::{Clock, ErrorPayload, ShiftedClock, SystemClock, Workspace, WorkspaceInit};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tauri::{AppHandle, Emitter};
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

/// How many tickets "open the demo workspace" creates.
pub const DEMO_TICKETS: usize = 3000;

pub struct Services {
    pub data_dir: PathBuf,
    clock: Arc<dyn Clock>,
    /// When the time rules and the daily backup are due (the newest backup is read from the
    /// backups folder when a workspace opens, so the scheduler does not list it every pass).
    schedule: Mutex<casebook::schedule::Schedule>,
    /// Wakes the alert scheduler (after a change, or when its settings change).
    alert_wake: Notify,
    /// Wakes the sync pass (after a change made here, or when sync is set up).
    pub sync_wake: Notify,
    /// Wakes the mail pass (IDLE saw new mail, a reply was written here, settings changed).
    pub mail_wake: Notify,
    /// Wakes the IDLE watcher to reconnect with new settings (`mail_generation` moved).
    mail_settings_changed: Notify,
    mail_generation: std::sync::atomic::AtomicU64,
    mail_status: Mutex<MailStatus>,
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
    ErrorPayload { code: "no_workspace".into(), message: "No workspace is open yet.".into(), field: None, problem: None }
}

impl Services {
    pub fn new(data_dir: PathBuf, now: Option<casebook::Timestamp>, app: AppHandle) -> Services {
        let clock: Arc<dyn Clock> = match now {
            Some(t) => Arc::new(ShiftedClock::starting_at(t)),
            None => Arc::new(SystemClock),
        };
        let schedule = Mutex::new(casebook::schedule::Schedule::new(clock.now(), None));
        Services {
            data_dir,
            clock,
            schedule,
            alert_wake: Notify::new(),
            sync_wake: Notify::new(),
            mail_wake: Notify::new(),
            mail_settings_changed: Notify::new(),
            mail_generation: Default::default(),
            mail_status: Mutex::new(MailStatus::default()),
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
            let mut ws = Workspace::open(&self.db_path(), self.clock.clone()).map_err(err)?;
            // Whoever worked at this laptop last goes on (an agent stays an agent: the engine
            // alone would start as the first admin).
            if let Some(email) = self.remembered_agent() {
                let _ = ws.act_as(&email);
            }
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
        if let Some(me) = ws.acting_agent() {
            self.remember_agent(&me.email);
        }
        self.attach(ws)
    }

    /// First run on a new laptop of a team: the workspace from the shared folder, as `email`.
    pub fn join(&self, folder: &std::path::Path, email: &str) -> CmdResult<()> {
        std::fs::create_dir_all(&self.data_dir).map_err(|e| err(e.into()))?;
        let (ws, _, _) = Workspace::join(&self.db_path(), folder, self.clock.clone(), email).map_err(err)?;
        self.remember_agent(email);
        self.attach(ws)?;
        self.sync_wake.notify_one();
        Ok(())
    }

    /// The window's own memory of who works at this laptop (`<data>/signed-in.json`), kept
    /// across restarts; not part of the workspace, so never synced or backed up.
    pub fn remember_agent(&self, email: &str) {
        let _ = std::fs::write(self.data_dir.join("signed-in.json"), serde_json::json!({ "agent": email }).to_string());
    }

    fn remembered_agent(&self) -> Option<String> {
        let text = std::fs::read_to_string(self.data_dir.join("signed-in.json")).ok()?;
        serde_json::from_str::<serde_json::Value>(&text).ok()?.get("agent")?.as_str().map(str::to_string)
    }

    fn attach(&self, mut ws: Workspace) -> CmdResult<()> {
        let (index, indexer) = self.start_index_writer(&ws)?;
        // The rules' triage action finds similar solved tickets in it.
        ws.use_search_index(index.clone());
        *self.workspace.lock().unwrap() = Some(ws);
        *self.search.lock().unwrap() = Some(index);
        *self.indexer.lock().unwrap() = Some(indexer);
        let newest = casebook::backup::list(&self.backups_dir()).first().map(|b| b.created_at);
        *self.schedule.lock().unwrap() = casebook::schedule::Schedule::new(self.clock.now(), newest);
        // Alerts raised while the app was closed go out now.
        self.alert_wake.notify_one();
        Ok(())
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
        .map_err(|e| ErrorPayload { code: "internal".into(), message: e.to_string(), field: None, problem: None })?
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
        if source != "sync" {
            self.sync_wake.notify_one();
        }
        if source == "user" {
            // A reply written here may be waiting in the outbox.
            self.mail_wake.notify_one();
        }
        let _ = self.app.emit("entities_changed", EntitiesChanged { source, tickets });
    }
}
