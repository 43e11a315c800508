//! Backups from the window and on a schedule, and restoring one over the open workspace.

use super::{err, CmdResult, Services};
use crate::notifications;
use casebook::schedule::BACKUPS_KEPT;
use std::path::PathBuf;
use std::sync::Arc;
use tauri::Emitter;

impl Services {
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
        self.schedule.lock().unwrap().backup_made(at);
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
    pub(super) async fn scheduled_backup(self: &Arc<Self>) {
        if !self.schedule.lock().unwrap().backup_due(self.clock.now()) || self.workspace.lock().unwrap().is_none() {
            return;
        }
        let made = self.backup_now().await;
        casebook::memory::release_free_memory();
        if let Err(e) = made {
            // Try again in an hour, not on every pass (which would notify every 30 s).
            self.schedule.lock().unwrap().backup_failed(self.clock.now());
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
}
