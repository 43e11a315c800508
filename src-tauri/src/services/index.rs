//! The search index of the open workspace and its writer thread.

use super::{err, no_workspace, CmdResult, Services};
use casebook::search::{Indexer, SearchIndex};
use casebook::Workspace;
use std::sync::Arc;
use tauri::Emitter;

impl Services {
    /// Opens the workspace's index and starts its writer thread, which repairs the index on
    /// start (in the background) and applies every change; the window hears when results may
    /// have changed.
    pub(super) fn start_index_writer(&self, ws: &Workspace) -> CmdResult<(Arc<SearchIndex>, Indexer)> {
        let index = Arc::new(SearchIndex::open(&ws.data_dir()).map_err(err)?);
        let app = self.app.clone();
        let app_err = self.app.clone();
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
        Ok((index, indexer))
    }

    pub fn search_index(&self) -> CmdResult<Arc<SearchIndex>> {
        self.search.lock().unwrap().clone().ok_or_else(no_workspace)
    }
}
