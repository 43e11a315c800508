//! Delivering alerts as native desktop notifications (PRODUCT A4).
//!
//! notify-rust directly rather than tauri-plugin-notification: on Linux the plugin calls
//! notify-rust underneath but drops the error of `show()`, and has no click action. Directly,
//! a failed send is an `Err` (the alert stays undelivered and is retried on the next scan)
//! and the server's `ActionInvoked` signal tells us the notification was clicked.
//!
//! The engine raises alerts and plans what to deliver; this module sends and reports back.

use casebook::alerts::{DeliveryPlan, Notice};
use casebook::Workspace;
use notify_rust::{Notification, Timeout, Urgency};
use std::sync::{Arc, Mutex};

pub const APP_NAME: &str = "Casebook";

/// What to do when a notification is clicked: open this ticket (or the alert centre).
pub type OnClick = Arc<dyn Fn(Option<i64>) + Send + Sync>;

/// What one scan-and-deliver pass did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Outcome {
    pub raised: usize,
    pub notified: usize,
    pub silent: usize,
    /// Sends that failed (no notification server, …); those alerts are retried next time.
    pub errors: Vec<String>,
}

impl Outcome {
    pub fn changed_anything(&self) -> bool {
        self.raised > 0 || self.notified > 0 || self.silent > 0
    }
}

/// Notification bodies may be markup (the spec's "body-markup"): ticket text is data, so
/// escape it where the server would otherwise interpret it.
fn escape_markup(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn server_reads_markup() -> bool {
    notify_rust::get_capabilities().map(|caps| caps.iter().any(|c| c == "body-markup")).unwrap_or(false)
}

/// Shows one notice; clicking it calls `on_click` (on a thread that waits for the action).
pub fn show(notice: &Notice, markup: bool, on_click: Option<OnClick>) -> Result<u32, String> {
    let body = if markup { escape_markup(&notice.body) } else { notice.body.clone() };
    let mut n = Notification::new();
    n.appname(APP_NAME)
        .summary(&notice.summary)
        .body(&body)
        .icon("dialog-warning")
        .urgency(if notice.critical { Urgency::Critical } else { Urgency::Normal })
        .timeout(Timeout::Default);
    if on_click.is_some() {
        n.action("default", if notice.ticket_number.is_some() { "Open ticket" } else { "Open alerts" });
    }
    let handle = n.show().map_err(|e| format!("could not show a notification: {e}"))?;
    let id = handle.id();
    if let Some(on_click) = on_click {
        let target = notice.ticket_number;
        std::thread::spawn(move || {
            handle.wait_for_action(|action| {
                if action == "default" {
                    on_click(target)
                }
            })
        });
    }
    Ok(id)
}

/// Sends what the plan says; returns the alerts that reached the server.
pub fn send(plan: &DeliveryPlan, on_click: Option<OnClick>, outcome: &mut Outcome) -> Vec<i64> {
    if plan.notices.is_empty() {
        return vec![];
    }
    let markup = server_reads_markup();
    let mut delivered = vec![];
    for notice in &plan.notices {
        match show(notice, markup, on_click.clone()) {
            Ok(_) => {
                tracing::info!(
                    ticket = notice.ticket_number,
                    alerts = notice.alert_ids.len(),
                    summary = notice.summary.as_str(),
                    "an alert was delivered"
                );
                outcome.notified += 1;
                delivered.extend(&notice.alert_ids);
            }
            Err(e) => {
                tracing::error!(
                    ticket = notice.ticket_number,
                    summary = notice.summary.as_str(),
                    error = e.as_str(),
                    "an alert could not be delivered; it is tried again on the next scan"
                );
                outcome.errors.push(e)
            }
        }
    }
    delivered
}

/// One pass: scan for SLA alerts at the workspace clock's now, plan the delivery, send, and
/// record what was delivered. The workspace lock is not held while talking to D-Bus, so a
/// slow notification server never stalls the window. Run one pass at a time (the app's
/// scheduler is a single task) so an alert is never planned twice.
pub fn scan_and_deliver(workspace: &Mutex<Option<Workspace>>, on_click: Option<OnClick>) -> casebook::Result<Outcome> {
    let started = std::time::Instant::now();
    let outcome = scan_and_deliver_unlogged(workspace, on_click)?;
    // A pass runs every 30 s and after every change: only one that did something is a line.
    if outcome.changed_anything() {
        let seconds = (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0;
        tracing::info!(
            raised = outcome.raised,
            notified = outcome.notified,
            silent = outcome.silent,
            failed = outcome.errors.len(),
            seconds,
            "an alert scan acted"
        );
    }
    Ok(outcome)
}

fn scan_and_deliver_unlogged(workspace: &Mutex<Option<Workspace>>, on_click: Option<OnClick>) -> casebook::Result<Outcome> {
    let mut outcome = Outcome::default();
    let plan = {
        let mut guard = workspace.lock().unwrap();
        let Some(ws) = guard.as_mut() else { return Ok(outcome) };
        outcome.raised = ws.scan_alerts()?.raised.len();
        ws.plan_delivery()?
    };
    let delivered = send(&plan, on_click, &mut outcome);
    if !plan.silent.is_empty() || !delivered.is_empty() {
        let mut guard = workspace.lock().unwrap();
        if let Some(ws) = guard.as_mut() {
            ws.mark_delivered(&plan.silent, true)?;
            ws.mark_delivered(&delivered, false)?;
        }
        outcome.silent = plan.silent.len();
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    #[test]
    fn markup_in_ticket_text_is_escaped() {
        assert_eq!(super::escape_markup("<b>Tom & Jerry</b>"), "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;");
    }
}
