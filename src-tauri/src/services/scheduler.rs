//! The background scheduler: one task that runs the time rules, scans and delivers alerts,
//! makes the daily backup and keeps the dashboard's figures ready.

use super::Services;
use crate::notifications::{self, OnClick};
use std::sync::Arc;
use std::time::Duration;
use tauri::{Emitter, Manager};

impl Services {
    /// The background scheduler: one task, so an alert is never planned twice. What is due
    /// when is `casebook::schedule` (shared with `bench soak`). It scans and
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
                        tracing::error!(error = e.message.as_str(), "the dashboard's figures could not be prepared");
                    }
                }
                match outcome {
                    Ok(Ok(o)) => {
                        if o.changed_anything() {
                            let _ = me.app.emit("alerts_changed", ());
                        }
                        // Each failed delivery was logged as it happened.
                        let _ = o.errors;
                    }
                    Ok(Err(e)) => {
                        tracing::error!(error = %e, "the alert scan failed");
                        let _ = me.app.emit("background_error", format!("alerts: {e}"));
                    }
                    Err(e) => tracing::error!(error = %e, "the alert scan stopped"),
                }
            }
        });
    }

    /// A pass of the time rules when one is due; its rule alerts go out in the same scan.
    async fn scheduled_rules(self: &Arc<Self>) {
        if self.workspace.lock().unwrap().is_none() || !self.schedule.lock().unwrap().take_rule_pass(self.clock.now()) {
            return;
        }
        let report = self.read(|ws| ws.run_time_rules()).await;
        casebook::memory::release_free_memory();
        match report {
            Ok(report) if !report.changes.is_empty() => {
                let mut tickets: Vec<i64> = report.changes.iter().map(|c| c.ticket_number).collect();
                tickets.dedup();
                self.changed("rule", tickets);
            }
            Ok(_) => {}
            Err(e) => {
                tracing::error!(error = e.message.as_str(), "the time rules could not run");
                let _ = self.app.emit("background_error", format!("rules: {}", e.message));
            }
        }
    }

    fn alert_interval(&self) -> Duration {
        let secs = self.workspace.lock().unwrap().as_ref().map_or(30, |ws| ws.alert_settings().scan_interval_seconds);
        Duration::from_secs(secs.max(5) as u64)
    }
}
