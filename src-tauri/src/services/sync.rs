//! Team sync in the background: a pass (publish this laptop's new events, ingest the others')
//! every few seconds and right after every change made here, while a shared folder is set
//! up and sync is not paused. The window hears `sync_changed` with the new overview, and
//! `entities_changed` (source "sync") when other laptops' work arrived.

use super::Services;
use casebook::model::SyncOverview;
use std::sync::Arc;
use std::time::Duration;
use tauri::Emitter;

/// How often a pass runs when nothing happens here (Syncthing itself delivers within a second
/// or two; a pass with nothing new costs under a millisecond).
const PASS_EVERY: Duration = Duration::from_secs(3);

impl Services {
    pub fn start_sync(self: &Arc<Self>) {
        let me = self.clone();
        tauri::async_runtime::spawn(async move {
            let mut last: Option<SyncOverview> = None;
            loop {
                let _ = tokio::time::timeout(PASS_EVERY, me.sync_wake.notified()).await;
                let pass = me.clone();
                let outcome = tauri::async_runtime::spawn_blocking(move || -> Option<(SyncOverview, bool)> {
                    let mut guard = pass.workspace.lock().unwrap();
                    let ws = guard.as_mut()?;
                    let before = ws.sync_overview().ok()?;
                    if before.state == "off" || before.state == "paused" {
                        return Some((before, false));
                    }
                    let arrived = match ws.sync_pass() {
                        Ok(r) => r.changed_state(),
                        // Stopped (the share is gone, foreign, newer …): the overview says why.
                        Err(casebook::Error::SyncPaused { .. }) => false,
                        // Logged by the engine (once per reason).
                        Err(_) => false,
                    };
                    Some((ws.sync_overview().ok()?, arrived))
                })
                .await;
                let Ok(Some((overview, arrived))) = outcome else { continue };
                if arrived {
                    me.changed("sync", vec![]);
                }
                if last.as_ref() != Some(&overview) {
                    let _ = me.app.emit("sync_changed", &overview);
                    last = Some(overview);
                }
            }
        });
    }
}
