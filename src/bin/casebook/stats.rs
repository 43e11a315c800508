//! `casebook stats | rate`: the dashboard's figures and customer ratings.

use crate::args::*;
use crate::shared::*;
use casebook::clock::parse_instant;
use casebook::model::Priority;
use casebook::stats::{self, Bucket, StatsQuery};
use casebook::Error;
use serde_json::json;

pub(crate) fn run(cx: &Ctx, command: Command) -> anyhow::Result<()> {
    let (db, clock, as_agent, out) = cx.parts();
    match command {
        Command::Stats { from, to, priority, ticket_type, team, agent, bucket, tickets, csv } => {
            let ws = open(&db, clock, as_agent)?;
            let day_or_instant = |field: &'static str, s: &str| -> anyhow::Result<casebook::Timestamp> {
                if let Ok(d) = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") {
                    return Ok(d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
                }
                parse_instant(s)
                    .map_err(|_| Error::validation(field, format!("'{s}' is not a date (2026-03-01) or a time (2026-03-01T09:00:00Z)")).into())
            };
            let q = StatsQuery {
                from: from.as_deref().map(|s| day_or_instant("from", s)).transpose()?,
                to: to.as_deref().map(|s| day_or_instant("to", s)).transpose()?,
                days: None,
                priority: priority.as_deref().map(Priority::parse).transpose()?,
                ticket_type,
                team,
                agent,
                bucket: match bucket.as_deref().map(str::trim) {
                    None | Some("auto") => Bucket::Auto,
                    Some("day") => Bucket::Day,
                    Some("week") => Bucket::Week,
                    Some(other) => return Err(Error::validation("bucket", format!("'{other}' is not day, week or auto")).into()),
                },
                stuck_hours: None,
            };
            if let Some(key) = tickets {
                let numbers = ws.tickets_behind(&q, &key)?;
                let text = numbers.iter().map(|n| format!("#{n}")).collect::<Vec<_>>().join(" ");
                out(json!({ "key": key, "tickets": numbers }), format!("{} tickets: {text}", numbers.len()));
                return Ok(());
            }
            let stats = ws.stats(&q)?;
            if let Some(dir) = csv {
                let files = stats::tables::write_all(&stats, &dir)?;
                out(json!({ "files": files }), format!("Wrote {} tables to {}", files.len(), dir.display()));
                return Ok(());
            }
            out(serde_json::to_value(&stats)?, stats_text(&stats));
        }
        Command::Rate { number, rating, comment } => {
            let mut ws = open(&db, clock, as_agent)?;
            let good = match rating.trim().to_ascii_lowercase().as_str() {
                "good" | "+" | "yes" => true,
                "bad" | "-" | "no" => false,
                other => return Err(Error::validation("rating", format!("'{other}' is not good or bad")).into()),
            };
            let r = ws.rate_ticket(number, good, &comment)?;
            out(serde_json::to_value(&r)?, format!("#{number} rated {}", if r.good { "good" } else { "bad" }));
        }
        _ => unreachable!("main sends only its own commands here"),
    }
    Ok(())
}
