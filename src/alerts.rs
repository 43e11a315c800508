//! Alerts (crate `casebook_alerts`) as the workspace serves them: its settings (admin only),
//! the scan and delivery in one transaction each, for the acting agent; and keyword alerts as
//! a hook of every ticket change.

pub use casebook_alerts::*;

use crate::hooks::{Happened, Hook, HookCtx};
use crate::problem::AdminArea;
use crate::workspace::put_setting;
use crate::{Result, Workspace};
use rusqlite::Connection;
use std::sync::Arc;

/// Keyword alerts on what customers write (the subject of a new ticket included), as a hook
/// of every ticket change.
pub(crate) struct KeywordAlerts {
    pub settings: Arc<AlertSettings>,
    pub matcher: Arc<KeywordMatcher>,
}

impl Hook for KeywordAlerts {
    fn after(&self, conn: &Connection, hc: &HookCtx<'_>, ticket_id: &str, what: Happened<'_>) -> Result<()> {
        match what {
            Happened::Created { message_id, subject, body } => {
                raise_for_message(conn, &self.settings, &self.matcher, ticket_id, message_id, &format!("{subject}\n{body}"), hc.ctx.at)?;
            }
            Happened::CustomerMessage { message_id, body } => {
                raise_for_message(conn, &self.settings, &self.matcher, ticket_id, message_id, body, hc.ctx.at)?;
            }
            _ => {}
        }
        Ok(())
    }
}

impl Workspace {
    pub fn alert_settings(&self) -> &AlertSettings {
        &self.alert_settings
    }

    pub fn set_alert_settings(&mut self, settings: AlertSettings) -> Result<()> {
        self.require_admin(AdminArea::AlertSettings)?;
        let settings = settings.validated()?;
        let ctx = self.ctx();
        let tx = self.begin()?;
        put_setting(&tx, &ctx, "alerts", &settings)?;
        tx.commit()?;
        self.keywords = Arc::new(KeywordMatcher::new(&settings.keywords));
        self.alert_settings = Arc::new(settings);
        self.rebuild_hooks();
        Ok(())
    }

    /// Raises the alerts due at the clock's `now` (see `casebook_alerts::scan`).
    pub fn scan_alerts(&mut self) -> Result<ScanReport> {
        let now = self.now();
        let kinds = self.alert_settings.kinds.clone();
        let tx = self.begin()?;
        let report = scan(&tx, &kinds, now)?;
        tx.commit()?;
        Ok(report)
    }

    /// Alerts, newest first.
    pub fn alerts(&self, q: &AlertQuery) -> Result<Vec<Alert>> {
        list(&self.conn, q)
    }

    pub fn unread_alert_count(&self) -> Result<i64> {
        unread_count(&self.conn)
    }

    /// Marks one alert read (again is fine).
    pub fn mark_alert_read(&mut self, id: i64) -> Result<Alert> {
        mark_read(&self.conn, id, self.now())
    }

    /// Marks every unread alert read; returns how many.
    pub fn mark_all_alerts_read(&mut self) -> Result<usize> {
        mark_all_read(&self.conn, self.now())
    }

    pub fn alert(&self, id: i64) -> Result<Alert> {
        get(&self.conn, id)
    }

    /// What to deliver now, for the acting agent on this desktop.
    pub fn plan_delivery(&self) -> Result<DeliveryPlan> {
        let settings = self.alert_settings();
        let teams = match (&self.acting, settings.only_mine) {
            (Some(agent), true) => crate::people::team_ids_of(&self.conn, &agent.id.to_string())?,
            _ => vec![],
        };
        let id = self.acting.as_ref().map(|a| a.id.to_string());
        let who = self.acting.as_ref().zip(id.as_deref()).map(|(a, id)| DeskAgent { agent_id: id, email: &a.email, team_ids: &teams });
        plan_delivery(&self.conn, settings, who.as_ref(), self.now())
    }

    /// Records that these alerts reached the desktop (`silent`: without a notification).
    pub fn mark_delivered(&mut self, ids: &[i64], silent: bool) -> Result<()> {
        let now = self.now();
        let tx = self.begin()?;
        mark_delivered(&tx, ids, silent, now)?;
        tx.commit()?;
        Ok(())
    }
}
