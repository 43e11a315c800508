//! Planning the delivery of raised alerts: which become a notification, which are delivered
//! silently (quiet hours, not mine, ticket already solved), and what each notification says.
//! The shell sends the notices and then calls `mark_delivered`, so an alert is delivered
//! once even across restarts (at least once if the app dies between the two).

use super::{Alert, AlertSettings};
use casebook_core::clock::{to_ms, Timestamp};
use casebook_core::error::Result;
use casebook_core::model::{AlertKind, Priority};
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};

/// More undelivered alerts than this at once (the first start after a weekend, an import)
/// become one summary notification instead of a storm.
pub const MAX_SEPARATE_NOTICES: usize = 5;

/// One desktop notification.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Notice {
    /// The alerts this notification delivers.
    pub alert_ids: Vec<i64>,
    /// The ticket to open when it is clicked (none for a summary).
    pub ticket_number: Option<i64>,
    pub summary: String,
    pub body: String,
    /// Breaches and urgent tickets: shown with critical urgency.
    pub critical: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct DeliveryPlan {
    pub notices: Vec<Notice>,
    /// Alerts to mark delivered without a notification.
    pub silent: Vec<i64>,
}

/// "25 min", "3 h 5 min", "2 d 4 h".
pub fn duration_words(seconds: i64) -> String {
    let m = seconds.abs() / 60;
    let (d, h, m) = (m / 1440, (m / 60) % 24, m % 60);
    match (d, h) {
        (0, 0) => format!("{} min", m.max(1)),
        (0, _) if m == 0 => format!("{h} h"),
        (0, _) => format!("{h} h {m} min"),
        _ if h == 0 => format!("{d} d"),
        _ => format!("{d} d {h} h"),
    }
}

fn is_critical(a: &Alert) -> bool {
    matches!(a.kind, AlertKind::SlaFirstResponseBreached | AlertKind::SlaResolutionBreached) || a.ticket_priority == Priority::Urgent
}

/// The notification of one alert at `now`.
pub fn notice_for(a: &Alert, now: Timestamp) -> Notice {
    let what = match a.kind {
        AlertKind::SlaFirstResponseAtRisk => "first response at risk".to_string(),
        AlertKind::SlaFirstResponseBreached => "first response overdue".to_string(),
        AlertKind::SlaResolutionAtRisk => "resolution at risk".to_string(),
        AlertKind::SlaResolutionBreached => "resolution overdue".to_string(),
        AlertKind::Keyword => {
            let quoted: Vec<String> = a.terms.iter().map(|t| format!("“{t}”")).collect();
            format!("customer wrote {}", quoted.join(", "))
        }
        AlertKind::Rule => a.message.clone().unwrap_or_else(|| "rule alert".into()),
        AlertKind::SnoozeEnded => "snooze over, back in the queue".to_string(),
        AlertKind::FollowUpDue => "follow-up: no answer from the customer yet".to_string(),
    };
    // A snooze's or follow-up's time is the moment itself, not a deadline still running.
    let deadline = a.due_at.filter(|_| !matches!(a.kind, AlertKind::SnoozeEnded | AlertKind::FollowUpDue));
    let timing = deadline.map(|due| {
        let left = (due - now).num_seconds();
        if left > 0 {
            format!("{} left", duration_words(left))
        } else {
            format!("{} over", duration_words(left))
        }
    });
    let body = match timing {
        Some(t) => format!("{} — {} ({} priority)", a.ticket_subject, t, a.ticket_priority.label()),
        None => format!("{} ({} priority)", a.ticket_subject, a.ticket_priority.label()),
    };
    Notice {
        alert_ids: vec![a.id],
        ticket_number: Some(a.ticket_number),
        summary: format!("#{}: {what}", a.ticket_number),
        body,
        critical: is_critical(a),
    }
}

fn summary_notice(alerts: &[Alert]) -> Notice {
    let count = |f: &dyn Fn(&Alert) -> bool| alerts.iter().filter(|a| f(a)).count();
    let breached = count(&|a| matches!(a.kind, AlertKind::SlaFirstResponseBreached | AlertKind::SlaResolutionBreached));
    let at_risk = count(&|a| matches!(a.kind, AlertKind::SlaFirstResponseAtRisk | AlertKind::SlaResolutionAtRisk));
    let keyword = count(&|a| a.kind == AlertKind::Keyword);
    let by_rule = count(&|a| a.kind == AlertKind::Rule);
    let timed = count(&|a| matches!(a.kind, AlertKind::SnoozeEnded | AlertKind::FollowUpDue));
    let mut parts = vec![];
    if breached > 0 {
        parts.push(format!("{breached} overdue"));
    }
    if at_risk > 0 {
        parts.push(format!("{at_risk} at risk"));
    }
    if keyword > 0 {
        parts.push(format!("{keyword} keyword"));
    }
    if by_rule > 0 {
        parts.push(format!("{by_rule} from rules"));
    }
    if timed > 0 {
        parts.push(format!("{timed} snoozes and follow-ups"));
    }
    let mut numbers: Vec<i64> = alerts.iter().map(|a| a.ticket_number).collect();
    numbers.sort_unstable();
    numbers.dedup();
    let shown: Vec<String> = numbers.iter().take(8).map(|n| format!("#{n}")).collect();
    let more = if numbers.len() > 8 { format!(" and {} more", numbers.len() - 8) } else { String::new() };
    Notice {
        alert_ids: alerts.iter().map(|a| a.id).collect(),
        ticket_number: None,
        summary: format!("{} alerts: {}", alerts.len(), parts.join(", ")),
        body: format!("Tickets {}{more} — open the alert centre to go through them.", shown.join(", ")),
        critical: alerts.iter().any(is_critical),
    }
}

/// Who is at this desktop, for planning its deliveries: the acting agent's id and email and
/// the teams they are in.
pub struct DeskAgent<'a> {
    pub agent_id: &'a str,
    pub email: &'a str,
    pub team_ids: &'a [String],
}

/// What to deliver now, for `who` on this desktop (nobody: a face acting as no agent).
pub fn plan_delivery(conn: &Connection, settings: &AlertSettings, who: Option<&DeskAgent<'_>>, now: Timestamp) -> Result<DeliveryPlan> {
    let mine = who.filter(|_| settings.only_mine);
    let quiet = settings.quiet_hours.as_ref().is_some_and(|q| q.contains(now));
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {}, t.assignee_id, t.team_id, {} FROM alerts a JOIN tickets t ON t.id = a.ticket_id
         WHERE a.delivered_at IS NULL ORDER BY a.raised_at, a.id",
        super::ALERT_COLUMNS,
        casebook_store::VISIBLE
    ))?;
    let rows = stmt
        .query_map([], |r| Ok((super::row_to_alert(r)?, r.get::<_, Option<String>>(11)?, r.get::<_, Option<String>>(12)?, r.get::<_, bool>(13)?)))?;
    let mut plan = DeliveryPlan::default();
    let mut loud = Vec::new();
    for row in rows {
        let (alert, assignee, team, visible) = row?;
        // A ticket of another team: the person here may not see it, so no notification.
        let not_mine = !visible
            || mine.is_some_and(|me| assignee.as_deref() != Some(me.agent_id) && !team.as_ref().is_some_and(|t| me.team_ids.contains(t)))
            // A follow-up reminds the one who asked for it.
            || (alert.kind == AlertKind::FollowUpDue && alert.for_agent.as_deref() != who.map(|w| w.email));
        let settled = !matches!(alert.kind, AlertKind::Keyword | AlertKind::Rule) && alert.ticket_status.is_solved();
        if quiet || not_mine || settled {
            plan.silent.push(alert.id);
        } else {
            loud.push(alert);
        }
    }
    if loud.len() > MAX_SEPARATE_NOTICES {
        plan.notices.push(summary_notice(&loud));
    } else {
        plan.notices.extend(loud.iter().map(|a| notice_for(a, now)));
    }
    Ok(plan)
}

/// Records in the caller's transaction that these alerts reached the desktop (`silent`:
/// without a notification).
pub fn mark_delivered(tx: &Connection, ids: &[i64], silent: bool, now: Timestamp) -> Result<()> {
    let mut stmt = tx.prepare_cached("UPDATE alerts SET delivered_at = ?2, silent = ?3 WHERE id = ?1 AND delivered_at IS NULL")?;
    for id in ids {
        stmt.execute(params![id, to_ms(now), silent as i64])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::duration_words;

    #[test]
    fn durations_read_as_words() {
        assert_eq!(duration_words(25 * 60), "25 min");
        assert_eq!(duration_words(-(3 * 3600 + 5 * 60)), "3 h 5 min");
        assert_eq!(duration_words(2 * 86400 + 4 * 3600), "2 d 4 h");
        assert_eq!(duration_words(20), "1 min");
        assert_eq!(duration_words(7200), "2 h");
    }
}
