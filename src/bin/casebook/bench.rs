//! `casebook bench store | search | sync | mail | relevance | soak`: the performance tables
//! and the month-long soak.

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
        Command::Bench { what: BenchWhat::Soak { days, tickets, pass_seconds } } => {
            let opts = bench::SoakOptions { days, tickets, pass_seconds: pass_seconds.max(1), ..Default::default() };
            let report = bench::soak(opts, &mut |msg| eprintln!("bench: {msg}"))?;
            out(
                serde_json::to_value(&report)?,
                format!("casebook bench soak --days {days} --tickets {tickets} --pass-seconds {pass_seconds}\n\n{}", report.table()),
            );
            if !report.ok() {
                anyhow::bail!("the soak found a problem (✗ above)");
            }
        }
        _ => unreachable!("main sends only its own commands here"),
    }
    Ok(())
}
