//! `casebook rules …`: the automation rules, in words, tried and run.

use crate::args::*;
use crate::shared::*;
use casebook::rules::{Rule, RuleKind, RulePassReport, TryTarget};
use serde_json::json;

pub(crate) fn run(cx: &Ctx, command: Command) -> anyhow::Result<()> {
    let (db, clock, as_agent, out) = cx.parts();
    match command {
        Command::Rules { action } => {
            let mut ws = open(&db, clock, as_agent)?;
            // Dry runs and passes of rules that apply triage find similar tickets in the index.
            if matches!(action, Some(RuleAction::Test { .. }) | Some(RuleAction::Run)) {
                ws.use_search_index(std::sync::Arc::new(synced_index(&ws)?));
            }
            let list_text = |rules: &[Rule]| {
                let mut text = String::new();
                for r in rules {
                    text.push_str(&format!(
                        "{:>2}. [{}] {:<7} {}  ({} tickets)\n    {}\n",
                        r.position,
                        if r.definition.enabled { "on " } else { "off" },
                        match r.definition.kind {
                            RuleKind::Trigger => "trigger",
                            RuleKind::Time => "time",
                        },
                        r.definition.name,
                        r.tickets_acted_on,
                        r.summary
                    ));
                }
                text.trim_end().to_string()
            };
            let report_text = |r: &RulePassReport| {
                let verb = if r.dry_run { "Dry run, nothing written" } else { "Written" };
                let mut text = format!("{verb}: {} tickets examined, {} rule actions on tickets\n", r.tickets_examined, r.changes.len());
                for c in &r.changes {
                    text.push_str(&format!("  #{:<6} {} — {}\n", c.ticket_number, c.subject, c.rule));
                    for w in &c.changes {
                        text.push_str(&format!("           {w}\n"));
                    }
                }
                for s in &r.stopped {
                    text.push_str(&format!("  #{:<6} {}\n", s.ticket_number, s.reason));
                }
                text.trim_end().to_string()
            };
            match action.unwrap_or(RuleAction::List) {
                RuleAction::List => {
                    let rules = ws.rules()?;
                    out(serde_json::to_value(&rules)?, list_text(&rules));
                }
                RuleAction::Show { name } => {
                    let r = ws.rule(&name)?;
                    let text = format!(
                        "{} ({}, {})\n{}\n\n{}\n\nDefinition:\n{}",
                        r.definition.name,
                        if r.definition.enabled { "on" } else { "off" },
                        r.builtin.as_deref().map(|b| format!("built-in '{b}'")).unwrap_or_else(|| "written here".into()),
                        r.summary,
                        r.definition.note,
                        serde_json::to_string_pretty(&r.definition)?
                    );
                    out(serde_json::to_value(&r)?, text);
                }
                RuleAction::Test { name, file } => {
                    let target = match (name, file) {
                        (Some(name), _) => TryTarget::Saved { name },
                        (None, Some(file)) => TryTarget::Draft { definition: read_rule_file(&file)?, id: None },
                        (None, None) => TryTarget::AllEnabled,
                    };
                    let report = ws.try_rules(&target)?;
                    out(serde_json::to_value(&report)?, report_text(&report));
                }
                RuleAction::Run => {
                    let report = ws.run_time_rules()?;
                    out(serde_json::to_value(&report)?, report_text(&report));
                }
                RuleAction::Enable { name } => {
                    let r = ws.set_rule_enabled(&name, true)?;
                    out(serde_json::to_value(&r)?, format!("Rule '{}' is on", r.definition.name));
                }
                RuleAction::Disable { name } => {
                    let r = ws.set_rule_enabled(&name, false)?;
                    out(serde_json::to_value(&r)?, format!("Rule '{}' is off", r.definition.name));
                }
                RuleAction::Move { name, position } => {
                    let rules = ws.move_rule(&name, position)?;
                    out(serde_json::to_value(&rules)?, list_text(&rules));
                }
                RuleAction::Save { file } => {
                    let def = read_rule_file(&file)?;
                    let existing = ws.rule(&def.name).ok().map(|r| r.id);
                    let r = ws.save_rule(existing, def)?;
                    out(serde_json::to_value(&r)?, format!("Saved rule '{}': {}", r.definition.name, r.summary));
                }
                RuleAction::Delete { name } => {
                    ws.delete_rule(&name)?;
                    out(json!({ "deleted": name }), format!("Deleted rule '{name}'"));
                }
                RuleAction::Reset { name } => {
                    let r = ws.reset_rule(&name)?;
                    out(serde_json::to_value(&r)?, format!("Rule '{}' is as it shipped: {}", r.definition.name, r.summary));
                }
            }
        }
        _ => unreachable!("main sends only its own commands here"),
    }
    Ok(())
}
