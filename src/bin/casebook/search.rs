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
