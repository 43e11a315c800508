//! `casebook search | similar | reindex`: the search index.

use crate::args::*;
use crate::shared::*;
use casebook::events::Verdict;
use casebook::model::{Priority, Status};
use casebook::search::{SearchFilters, SearchIndex};

pub(crate) fn run(cx: &Ctx, command: Command) -> anyhow::Result<()> {
    let (db, clock, as_agent, out) = cx.parts();
    match command {
        Command::Search { query, statuses, priorities, tags, assignee, limit } => {
            let ws = open(&db, clock, as_agent)?;
            let index = synced_index(&ws)?;
            let filters = SearchFilters {
                statuses: statuses.iter().flat_map(|s| s.split(',')).map(Status::parse).collect::<Result<_, _>>()?,
                priorities: priorities.iter().flat_map(|s| s.split(',')).map(Priority::parse).collect::<Result<_, _>>()?,
                tags,
                assignee,
                ..Default::default()
            };
            let r = index.search(ws.connection(), &query, &filters, limit)?;
            let mut text: Vec<String> = r.notes.iter().map(|n| format!("note: {n}")).collect();
            for h in &r.hits {
                text.push(format!(
                    "#{:<6} {:<9} {:<7} {}\n         {}",
                    h.number,
                    h.status.as_str(),
                    h.priority.label(),
                    mark(&h.subject, &h.subject_highlights),
                    mark(&h.snippet.text, &h.snippet.highlights).replace('\n', " ")
                ));
            }
            text.push(format!("{} of {} matching tickets", r.hits.len(), r.total));
            out(serde_json::to_value(&r)?, text.join("\n"));
        }
        Command::Similar { number, limit, explain, helpful, not_helpful } => {
            let mut ws = open(&db, clock, as_agent)?;
            let said = helpful.map(|m| (m, Verdict::Helpful)).or(not_helpful.map(|m| (m, Verdict::NotHelpful)));
            if let Some((m, verdict)) = said {
                ws.similar_feedback(number, m, verdict)?;
                let word = if verdict == Verdict::Helpful { "helped" } else { "did not help" };
                out(serde_json::json!({ "ticket": number, "similar": m, "verdict": verdict }), format!("Recorded: #{m} {word} with #{number}."));
                return Ok(());
            }
            let index = synced_index(&ws)?;
            let similar = index.similar(ws.connection(), number, limit)?;
            let mut text = vec![format!("Solved tickets like #{number}:")];
            for s in &similar {
                text.push(format!(
                    "#{:<6} {}{}  (solved {})\n         fix{}: {}",
                    s.number,
                    s.subject,
                    if s.reference { " ★ reference" } else { "" },
                    s.resolved_at.map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_default(),
                    s.fix.as_ref().map(|f| format!(" by {}", f.author)).unwrap_or_default(),
                    s.fix.as_ref().map(|f| truncate(&f.body.replace('\n', " "), 160)).unwrap_or_else(|| "(no reply on record)".into())
                ));
                if explain {
                    text.push(format!(
                        "         matched on: {}  (score {:.2}{})",
                        if s.matched.is_empty() { "(a word's other form)".to_string() } else { s.matched.join(", ") },
                        s.score,
                        match s.helpful {
                            Some(true) => ", marked helpful for this ticket",
                            _ => "",
                        }
                    ));
                }
            }
            if similar.is_empty() {
                text.push("No similar solved tickets.".into());
            }
            out(serde_json::to_value(&similar)?, text.join("\n"));
        }
        Command::Triage { number, evaluate, sample } => {
            let ws = open(&db, clock, as_agent)?;
            let index = synced_index(&ws)?;
            if evaluate {
                let e = ws.evaluate_predictions(&index, sample)?;
                let mut text = vec![format!("Leave-one-out over {} solved tickets (each predicted from the others):", e.tickets), String::new()];
                text.push("| field | judged | triage suggestion right | majority class right |".into());
                text.push("|---|---|---|---|".into());
                for f in &e.fields {
                    text.push(format!("| {} | {} | {:.1} % | {:.1} % |", f.field, f.judged, f.accuracy * 100.0, f.majority * 100.0));
                }
                let time = |s: Option<i64>| s.map(hours).unwrap_or_else(|| "—".into());
                text.push(format!(
                    "\nExpected time to resolve, median absolute error over {} tickets: {} (the median of the ticket's priority: {})",
                    e.eta_judged,
                    time(e.eta_error),
                    time(e.priority_median_error)
                ));
                out(serde_json::to_value(&e)?, text.join("\n"));
                return Ok(());
            }
            let number = number.expect("clap requires the number without --evaluate");
            let suggestions = ws.triage(&index, number)?;
            let mut text = vec![format!("Suggested for #{number}, from similar solved tickets:")];
            for s in &suggestions {
                text.push(format!(
                    "  {:<9} {:<28} {:>3.0} %  from {}{}",
                    s.field,
                    s.label,
                    s.confidence * 100.0,
                    s.from.iter().take(5).map(|n| format!("#{n}")).collect::<Vec<_>>().join(" "),
                    if s.current { "  (already so)" } else { "" }
                ));
            }
            if suggestions.is_empty() {
                text.push("  nothing: no similar solved tickets yet".into());
            }
            out(serde_json::to_value(&suggestions)?, text.join("\n"));
        }
        Command::Eta { number } => {
            let ws = open(&db, clock, as_agent)?;
            let index = synced_index(&ws)?;
            let eta = ws.eta(&index, number)?;
            let text = match &eta {
                Some(e) => format!(
                    "Similar tickets took a median of {} (n = {}; 80 % within {}){}",
                    hours(e.median_seconds),
                    e.n,
                    hours(e.p80_seconds),
                    if e.business_hours { ", in business hours" } else { "" }
                ),
                None => format!("#{number}: too few similar solved tickets to tell"),
            };
            out(serde_json::to_value(&eta)?, text);
        }
        Command::Reindex => {
            let ws = open(&db, clock, as_agent)?;
            let index = SearchIndex::open(&ws.data_dir())?;
            let r = index.rebuild(ws.connection())?;
            out(serde_json::to_value(&r)?, format!("Rebuilt the search index: {} tickets in {:.1} s", r.tickets_indexed, r.seconds));
        }
        _ => unreachable!("main sends only its own commands here"),
    }
    Ok(())
}

/// A span of time as a person says it: "45 min", "5 h", "2 d 3 h".
fn hours(seconds: i64) -> String {
    let s = seconds.max(0);
    if s >= 86_400 {
        format!("{} d {} h", s / 86_400, (s % 86_400) / 3600)
    } else if s >= 3600 {
        format!("{} h", (s as f64 / 3600.0).round() as i64)
    } else {
        format!("{} min", (s / 60).max(1))
    }
}
