//! The index's single writer (DESIGN "search"): a thread that owns its own database
//! connection, is woken after every change (or on a short timer, for changes made by other
//! processes), replays the new events into the index with one commit per batch, and
//! repairs the index (replay or rebuild) when it starts. Searches keep answering from the
//! live generation meanwhile.

use super::SearchIndex;
use crate::Result;
use std::path::PathBuf;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

enum Signal {
    Changed,
    Stop,
}

pub struct Indexer {
    tx: Sender<Signal>,
    handle: Option<JoinHandle<()>>,
}

/// How often the indexer looks for changes nobody told it about.
const POLL: Duration = Duration::from_millis(500);

impl Indexer {
    /// Starts the writer thread for the workspace at `db_path`. `on_error` hears about
    /// failures (the thread keeps going); `on_indexed` is told how many tickets each batch
    /// re-indexed.
    pub fn start(
        db_path: PathBuf,
        index: Arc<SearchIndex>,
        on_indexed: impl Fn(usize) + Send + 'static,
        on_error: impl Fn(String) + Send + 'static,
    ) -> Result<Indexer> {
        let conn = crate::store::open(&db_path)?;
        let (tx, rx) = mpsc::channel();
        let handle = std::thread::Builder::new().name("casebook-indexer".into()).spawn(move || {
            match index.sync(&conn) {
                Ok(r) if r.tickets_indexed > 0 => on_indexed(r.tickets_indexed),
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(error = %e, "the search index could not be repaired");
                    on_error(format!("search index repair failed: {e}"))
                }
            }
            loop {
                let stop = match rx.recv_timeout(POLL) {
                    Ok(Signal::Stop) | Err(RecvTimeoutError::Disconnected) => true,
                    Ok(Signal::Changed) | Err(RecvTimeoutError::Timeout) => false,
                };
                // Several changes in a row make one batch and one commit.
                let mut stop = stop;
                while let Ok(s) = rx.try_recv() {
                    stop |= matches!(s, Signal::Stop);
                }
                match index.catch_up(&conn) {
                    Ok(0) => {}
                    Ok(n) => on_indexed(n),
                    Err(e) => {
                        tracing::error!(error = %e, "the search index could not apply changes");
                        on_error(format!("search indexing failed: {e}"))
                    }
                }
                if stop {
                    break;
                }
            }
        })?;
        Ok(Indexer { tx, handle: Some(handle) })
    }

    /// Tells the writer that something changed.
    pub fn notify(&self) {
        let _ = self.tx.send(Signal::Changed);
    }

    /// Applies what is pending and stops the thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let _ = self.tx.send(Signal::Stop);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

impl Drop for Indexer {
    fn drop(&mut self) {
        self.shutdown();
    }
}
