//! `casebook alerts …`: the alert scan, the list, reading and the alert settings.

use crate::args::*;
use crate::shared::*;
use casebook::alerts::{AlertQuery, QuietHours};
use casebook::model::AlertKind;
use casebook::Error;
use serde_json::json;

pub(crate) fn run(cx: &Ctx, command: Command) -> anyhow::Result<()> {
    let (db, clock, as_agent, out) = cx.parts();
    match command {
        Command::Alerts { action: None, unread } => {
            let mut ws = open(&db, clock, as_agent)?;
            let scan = ws.scan_alerts()?;
            let alerts = ws.alerts(&AlertQuery { unread_only: unread, ..Default::default() })?;
            let mut text = format!("Raised {} new alerts; {} in all:\n", scan.raised.len(), alerts.len());
            for a in &alerts {
                let what = if a.kind == AlertKind::Keyword {
                    a.terms.join(", ")
                } else {
                    a.due_at.map(|d| format!("due {}", d.format("%Y-%m-%d %H:%M"))).unwrap_or_default()
                };
                text.push_str(&format!(
                    "  {:>5}  #{:<6} {:<28} {:<24} raised {}{}\n",
                    a.id,
                    a.ticket_number,
                    a.kind.as_str(),
                    what,
                    a.raised_at.format("%Y-%m-%d %H:%M"),
                    if a.read_at.is_some() { "  (read)" } else { "" }
                ));
            }
            out(json!({ "raised": scan.raised, "alerts": alerts }), text.trim_end().to_string());
        }
        Command::Alerts { action: Some(AlertAction::Read { id }), .. } => {
            let mut ws = open(&db, clock, as_agent)?;
            let a = ws.mark_alert_read(id)?;
            out(serde_json::to_value(&a)?, format!("Alert {id} on #{} marked read", a.ticket_number));
        }
        Command::Alerts { action: Some(AlertAction::ReadAll), .. } => {
            let mut ws = open(&db, clock, as_agent)?;
            let n = ws.mark_all_alerts_read()?;
            out(json!({ "marked": n }), format!("Marked {n} alerts read"));
        }
        Command::Alerts { action: Some(AlertAction::Settings { add_keywords, remove_keywords, quiet_hours, only_mine }), .. } => {
            let mut ws = open(&db, clock, as_agent)?;
            let mut s = ws.alert_settings().clone();
            let changed = !add_keywords.is_empty() || !remove_keywords.is_empty() || quiet_hours.is_some() || only_mine.is_some();
            s.keywords.extend(add_keywords);
            s.keywords.retain(|k| !remove_keywords.iter().any(|r| r.eq_ignore_ascii_case(k)));
            if let Some(q) = quiet_hours {
                s.quiet_hours = if q.trim().eq_ignore_ascii_case("none") {
                    None
                } else {
                    let bad = || Error::validation("quiet_hours", "expected HH:MM-HH:MM@Time/Zone, e.g. 22:00-07:00@Europe/Warsaw");
                    let (hours, tz) = q.split_once('@').ok_or_else(bad)?;
                    let (from, to) = hours.split_once('-').ok_or_else(bad)?;
                    Some(QuietHours { from: from.trim().into(), to: to.trim().into(), timezone: tz.trim().into() })
                };
            }
            if let Some(m) = only_mine {
                s.only_mine = m;
            }
            if changed {
                ws.set_alert_settings(s)?;
            }
            let s = ws.alert_settings();
            let text = format!(
                "Kinds: {}\nKeywords: {}\nQuiet hours: {}\nOnly my tickets: {}\nScan every {} s",
                s.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", "),
                s.keywords.join(", "),
                s.quiet_hours.as_ref().map(|q| format!("{}–{} ({})", q.from, q.to, q.timezone)).unwrap_or_else(|| "none".into()),
                if s.only_mine { "yes" } else { "no" },
                s.scan_interval_seconds
            );
            out(serde_json::to_value(s)?, text);
        }
        _ => unreachable!("main sends only its own commands here"),
    }
    Ok(())
}
