//! `casebook backup | restore | check | log | replay | import | import-csv | import-zendesk |
//! export`: the data's safety, integrity and moves, and the troubleshooting log.

use crate::args::*;
use crate::shared::*;
use casebook::clock::Clock;
use casebook::search::SearchIndex;
use casebook::Error;
use serde_json::json;

pub(crate) fn run(cx: &Ctx, command: Command) -> anyhow::Result<()> {
    let (db, clock, as_agent, out) = cx.parts();
    match command {
        Command::Backup { to, keep } => {
            let ws = open(&db, clock, as_agent)?;
            let folder = ws.data_dir().join("backups");
            let to = to.unwrap_or_else(|| folder.join(casebook::backup::default_name(ws.now())));
            let r = ws.backup(&to)?;
            let removed = match keep {
                Some(n) => casebook::backup::prune(&folder, n.max(1))?,
                None => vec![],
            };
            let mut text = format!(
                "Backed up {} tickets, {} messages, {} events and {} attachments to {} ({:.1} MB, {:.1} s); verified by restoring it.",
                r.content.tickets,
                r.content.messages,
                r.content.events,
                r.attachments,
                r.path.display(),
                r.bytes as f64 / 1e6,
                r.seconds
            );
            if !r.missing_attachments.is_empty() {
                text.push_str(&format!(
                    "\nwarning: {} attachments were already missing from the data folder (run `casebook check`)",
                    r.missing_attachments.len()
                ));
            }
            for p in &removed {
                text.push_str(&format!("\nRemoved the old backup {}", p.display()));
            }
            out(json!({ "backup": r, "removed": removed }), text);
        }
        Command::Restore { backup, replace } => {
            let r = casebook::backup::restore(&backup, &db, replace)?;
            let mut text = format!(
                "Restored {} tickets, {} events and {} attachments into {} (verified first).",
                r.content.tickets,
                r.content.events,
                r.attachments,
                r.db.display()
            );
            if let Some(p) = &r.previous {
                text.push_str(&format!("\nThe workspace it replaced was kept as {}", p.display()));
            }
            out(serde_json::to_value(&r)?, text);
        }
        Command::Log { since, level, grep, limit } => {
            let since = since.map(|s| since_instant(&s, clock.now())).transpose()?;
            let level = level.map(|l| casebook::log_file::LogLevel::parse(&l)).transpose()?;
            let query = casebook::log_file::LogQuery { since, level, text: grep, limit };
            let page = casebook::log_file::entries(&data_dir_of(&db), &query)?;
            let mut lines: Vec<String> = page.entries.iter().map(casebook::log_file::line_of).collect();
            if page.entries.is_empty() {
                lines.push(format!(
                    "Nothing in the log{} ({}).",
                    if query.level.is_none() && query.since.is_none() && query.text.is_none() { "" } else { " matches" },
                    page.folder.display()
                ));
            } else if page.matched as usize > page.entries.len() {
                lines.insert(0, format!("… the newest {} of {} entries (--limit N for more)", page.entries.len(), page.matched));
            }
            if page.unreadable_lines > 0 {
                lines.push(format!("({} lines of the log could not be read)", page.unreadable_lines));
            }
            out(serde_json::to_value(&page)?, lines.join("\n"));
        }
        Command::Check { repair } => {
            let mut ws = open(&db, clock, as_agent)?;
            // The index is checked as it is on disk (not repaired on open first).
            let index = SearchIndex::open(&ws.data_dir()).ok();
            let report = ws.check_health(index.as_ref())?;
            let mut text = String::new();
            for f in &report.findings {
                text.push_str(&format!("✗ {}: {}\n", f.area, f.problem));
                if !f.tickets.is_empty() {
                    let shown: Vec<String> = f.tickets.iter().take(30).map(|n| format!("#{n}")).collect();
                    text.push_str(&format!("    tickets: {}{}\n", shown.join(" "), if f.tickets.len() > 30 { " …" } else { "" }));
                }
                text.push_str(&format!("    fix: {}\n", f.fix));
            }
            if report.ok {
                text.push_str(&format!("✓ All good: {}.\n", report.checked.join(", ")));
            }
            let repaired = if repair && !report.ok { ws.repair(index.as_ref(), &report)? } else { vec![] };
            for r in &repaired {
                text.push_str(&format!("repaired: {r}\n"));
            }
            let after = if repaired.is_empty() { None } else { Some(ws.check_health(index.as_ref())?) };
            if let Some(a) = &after {
                text.push_str(&if a.ok { "✓ Everything is in order now.".to_string() } else { format!("{} problems remain.", a.findings.len()) });
            }
            out(
                json!({ "ok": report.ok, "checked": report.checked, "findings": report.findings, "repaired": repaired, "after_repair": after }),
                text.trim_end().to_string(),
            );
            if !after.map_or(report.ok, |a| a.ok) {
                return Err(Error::Conflict("the check found problems".into()).into());
            }
        }
        Command::Replay { check, into } => {
            // Opening upgrades a workspace from before typed events (its baseline).
            let ws = open(&db, clock, as_agent)?;
            if !check && into.is_none() {
                anyhow::bail!("say what to do: replay --check, or replay --into NEW.db");
            }
            if let Some(target) = &into {
                let r = casebook::events::replay::replay_into(ws.connection(), target)?;
                out(
                    json!({ "into": target, "replay": r }),
                    format!(
                        "Rebuilt {} from {} events ({} older history events kept, {} attachment files copied) in {:.2} s.",
                        target.display(),
                        r.applied,
                        r.kept,
                        r.attachments,
                        r.seconds
                    ),
                );
            }
            if check {
                drop(ws);
                let c = casebook::events::replay::check(&db)?;
                let mut text = format!(
                    "{} events replayed in {:.2} s ({:.0} events/s); {} rows in {} tables compared.\n",
                    c.replay.applied,
                    c.replay.seconds,
                    c.replay.applied as f64 / c.replay.seconds.max(1e-9),
                    c.rows,
                    c.tables
                );
                for d in &c.differences {
                    match &d.column {
                        Some(col) => text.push_str(&format!("✗ {} ({}) {}: live {}, replayed {}\n", d.table, d.key, col, d.live, d.replayed)),
                        None => text.push_str(&format!("✗ {} ({}): live {}, replayed {}\n", d.table, d.key, d.live, d.replayed)),
                    }
                }
                text.push_str(&if c.ok() {
                    "✓ The event log rebuilds the workspace exactly.".to_string()
                } else {
                    format!("{} rows differ between the live tables and the replayed log.", c.rows_differing)
                });
                out(json!({ "ok": c.ok(), "check": c }), text);
                if !c.ok() {
                    return Err(Error::Conflict("replay does not rebuild the workspace".into()).into());
                }
            }
        }
        Command::Import { file } => {
            let raw = std::fs::read_to_string(&file).map_err(|e| Error::validation("file", format!("cannot read {}: {e}", file.display())))?;
            let full = serde_json::from_str::<serde_json::Value>(&raw).is_ok_and(|v| casebook::export::is_full_export(&v));
            if full {
                // A whole workspace: into a new one at --db.
                let r = casebook::export::import(&file, &db)?;
                out(
                    serde_json::to_value(&r)?,
                    format!(
                        "Created {} from {}: {} tickets, {} rows, {} attachments",
                        db.display(),
                        file.display(),
                        r.tickets,
                        r.rows,
                        r.attachments
                    ),
                );
            } else {
                let mut ws = open(&db, clock, as_agent)?;
                let tickets =
                    parse_import(&raw).map_err(|e| Error::validation("file", format!("{} is not a valid import file: {e}", file.display())))?;
                let numbers = ws.import_history(&tickets, &|i| format!("record {}", i + 1))?;
                out(json!({ "imported": numbers.len(), "numbers": numbers }), format!("Imported {} tickets", numbers.len()));
            }
        }
        Command::ImportCsv { file, mapping, ignore, default_requester, requester_from_name, subject_from_body } => {
            let mut ws = open(&db, clock, as_agent)?;
            let mapping = casebook::import_csv::parse_mapping(&mapping)?;
            let options = casebook::import_csv::CsvOptions { ignore, default_requester, requester_from_name, subject_from_body };
            let numbers = ws.import_csv(&file, &mapping, &options)?;
            out(json!({ "imported": numbers.len(), "numbers": numbers }), format!("Imported {} tickets from {}", numbers.len(), file.display()));
        }
        Command::ImportZendesk { file } => {
            let mut ws = open(&db, clock, as_agent)?;
            let r = ws.import_zendesk(&file)?;
            out(
                serde_json::to_value(&r)?,
                format!("Imported {} Zendesk tickets with {} comments; {} agents added", r.tickets, r.messages, r.agents_added),
            );
        }
        Command::Export { file } => {
            let ws = open(&db, clock, as_agent)?;
            let r = ws.export(&file)?;
            out(
                serde_json::to_value(&r)?,
                format!(
                    "Exported {} tickets ({} rows) to {} and {} attachments to {}",
                    r.tickets,
                    r.rows,
                    file.display(),
                    r.attachments,
                    casebook::export::attachments_dir(&file).display()
                ),
            );
        }
        _ => unreachable!("main sends only its own commands here"),
    }
    Ok(())
}

/// `--since`: an instant, or a span back from now such as 30m, 2h or 7d.
fn since_instant(s: &str, now: casebook::Timestamp) -> casebook::Result<casebook::Timestamp> {
    let s = s.trim();
    let span = |n: &str, unit: i64| n.parse::<i64>().ok().filter(|n| *n >= 0).map(|n| now - chrono::Duration::seconds(n * unit));
    let relative = match s.char_indices().last() {
        Some((i, 'm')) => span(&s[..i], 60),
        Some((i, 'h')) => span(&s[..i], 3600),
        Some((i, 'd')) => span(&s[..i], 86_400),
        _ => None,
    };
    match relative {
        Some(t) => Ok(t),
        None => casebook::clock::parse_instant(s)
            .map_err(|_| Error::validation("since", format!("'{s}' is neither an instant (2026-12-01T09:00:00Z) nor a span back (30m, 2h, 7d)"))),
    }
}
