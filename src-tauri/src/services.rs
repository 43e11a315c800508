//! The shell's state: the open workspace (one SQLite connection behind a mutex: one writer
//! at a time), the search index with its writer thread, and the way to tell the window
//! that something changed.

use casebook::search::{Indexer, SearchIndex};
use casebook::{ErrorPayload, SystemClock, Workspace, WorkspaceInit};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tauri::{AppHandle, Emitter};

/// Command-line options of the app.
#[derive(Debug, Default, Clone)]
pub struct StartOptions {
    /// `--data-dir DIR`: where the workspace lives (default: the OS app-data folder).
    pub data_dir: Option<PathBuf>,
    /// `--demo`: open (creating if needed) the demo workspace without asking.
    pub demo_if_new: bool,
}

impl StartOptions {
    pub fn from_args(args: impl Iterator<Item = String>) -> StartOptions {
        let mut o = StartOptions::default();
        let mut args = args.peekable();
        while let Some(a) = args.next() {
            match a.as_str() {
                "--data-dir" => o.data_dir = args.next().map(PathBuf::from),
                "--demo" => o.demo_if_new = true,
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
    pub fn new(data_dir: PathBuf, app: AppHandle) -> Services {
        Services { data_dir, workspace: Mutex::new(None), search: Mutex::new(None), indexer: Mutex::new(None), app }
    }

    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("casebook.db")
    }

    /// Opens the workspace if one exists (or creates the demo one when asked to).
    pub fn open_existing(&self, demo_if_new: bool) -> CmdResult<()> {
        if self.db_path().exists() {
            let ws = Workspace::open(&self.db_path(), Arc::new(SystemClock)).map_err(err)?;
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
        let mut ws = Workspace::create(&self.db_path(), Arc::new(SystemClock), init).map_err(err)?;
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
        Ok(())
    }

    /// Runs `f` on the workspace (on a blocking thread: callers are async commands).
    pub async fn read<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&mut Workspace) -> casebook::Result<T> + Send + 'static,
    ) -> CmdResult<T> {
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
        let _ = self.app.emit("entities_changed", EntitiesChanged { source, tickets });
    }

    pub fn search_index(&self) -> CmdResult<Arc<SearchIndex>> {
        self.search.lock().unwrap().clone().ok_or_else(no_workspace)
    }
}
