//! `casebook bench store | search`: the performance tables.

use crate::args::*;
use crate::shared::*;
use casebook::bench;

pub(crate) fn run(cx: &Ctx, command: Command) -> anyhow::Result<()> {
    let out = |value: serde_json::Value, text: String| cx.out(value, text);
    match command {
        Command::Bench { what: BenchWhat::Search { tickets } } => {
            let rows = bench::search(tickets, &mut |msg| eprintln!("bench: {msg}"))?;
            out(serde_json::to_value(&rows)?, format!("casebook bench search --tickets {tickets}\n\n{}", bench::table(&rows)));
        }
        Command::Bench { what: BenchWhat::Store { tickets } } => {
            let rows = bench::store(tickets, &mut |msg| eprintln!("bench: {msg}"))?;
            out(serde_json::to_value(&rows)?, format!("casebook bench store --tickets {tickets}\n\n{}", bench::table(&rows)));
        }
        Command::Bench { what: BenchWhat::Sync { tickets } } => {
            let rows = bench::sync(tickets, &mut |msg| eprintln!("bench: {msg}"))?;
            out(serde_json::to_value(&rows)?, format!("casebook bench sync --tickets {tickets}\n\n{}", bench::table(&rows)));
        }
        Command::Bench { what: BenchWhat::Mail { tickets, messages } } => {
            let rows = bench::mail(tickets, messages, &mut |msg| eprintln!("bench: {msg}"))?;
            out(serde_json::to_value(&rows)?, format!("casebook bench mail --tickets {tickets} --messages {messages}\n\n{}", bench::table(&rows)));
        }
        Command::Bench { what: BenchWhat::Relevance { folder } } => {
            let reports = bench::relevance(&folder, &mut |msg| eprintln!("bench: {msg}"))?;
            out(
                serde_json::to_value(&reports)?,
                format!("casebook bench relevance --folder {}\n\n{}", folder.display(), bench::relevance_table(&reports)),
            );
        }
        _ => unreachable!("main sends only its own commands here"),
    }
    Ok(())
}
