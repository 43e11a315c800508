//! `casebook sla-policy | agents | teams | types | macros`: the settings and the people.

use crate::args::*;
use crate::shared::*;
use anyhow::Context;
use casebook::bulk::BulkChange;
use casebook::macros::Macro;
use casebook::model::{Priority, Resolution, Role};
use casebook::people::NewAgent;
use casebook::Error;
use serde_json::json;

pub(crate) fn run(cx: &Ctx, command: Command) -> anyhow::Result<()> {
    let (db, clock, as_agent, out) = cx.parts();
    match command {
        Command::SlaPolicy { priority, first_response_minutes, resolution_minutes, at_risk_share, business_hours } => {
            let mut ws = open(&db, clock, as_agent)?;
            let mut s = ws.sla_settings().clone();
            if let Some(p) = priority {
                let p = Priority::parse(&p)?;
                let policy = s.policies.iter_mut().find(|x| x.priority == p).context("no policy for that priority")?;
                if let Some(m) = first_response_minutes {
                    policy.first_response_minutes = m;
                }
                if let Some(m) = resolution_minutes {
                    policy.resolution_minutes = m;
                }
            } else if first_response_minutes.is_some() || resolution_minutes.is_some() {
                return Err(Error::validation("priority", "say which --priority the targets are for").into());
            }
            if let Some(share) = at_risk_share {
                s.at_risk_share = share;
            }
            if let Some(bh) = business_hours {
                s.business_hours = if bh.trim().eq_ignore_ascii_case("none") {
                    None
                } else {
                    let (hours, tz) = bh.split_once('@').ok_or_else(|| Error::validation("business_hours", "expected HH:MM-HH:MM@Time/Zone"))?;
                    let (start, end) = hours.split_once('-').ok_or_else(|| Error::validation("business_hours", "expected HH:MM-HH:MM@Time/Zone"))?;
                    Some(casebook::sla::BusinessHours::weekdays(tz.trim(), start.trim(), end.trim())?)
                };
            }
            ws.set_sla_settings(s)?;
            out(serde_json::to_value(ws.sla_settings())?, "SLA settings saved.".into());
        }
        Command::Agents { action } => {
            let mut ws = open(&db, clock, as_agent)?;
            if let Some(AgentAction::Add { name, email, admin, teams, skills }) = action {
                let role = if admin { Role::Admin } else { Role::Agent };
                let a = ws.add_agent(&NewAgent { name, email, role, teams, skills })?;
                out(serde_json::to_value(&a)?, format!("Added agent {} <{}>", a.name, a.email));
            } else {
                let agents = ws.agents()?;
                let text = agents
                    .iter()
                    .map(|a| format!("{:<24} {:<40} {:<6} {}", a.name, a.email, a.role.as_str(), a.teams.join(", ")))
                    .collect::<Vec<_>>()
                    .join("\n");
                out(serde_json::to_value(&agents)?, text);
            }
        }
        Command::Teams { action } => {
            let mut ws = open(&db, clock, as_agent)?;
            if let Some(TeamAction::Add { name, backup }) = action {
                let t = ws.add_team(&name, backup.as_deref())?;
                out(serde_json::to_value(&t)?, format!("Added team {}", t.name));
            } else {
                let teams = ws.teams()?;
                let text = teams
                    .iter()
                    .map(|t| format!("{:<20} backup: {}", t.name, t.backup_agent.as_deref().unwrap_or("-")))
                    .collect::<Vec<_>>()
                    .join("\n");
                out(serde_json::to_value(&teams)?, text);
            }
        }
        Command::Types { action } => {
            let mut ws = open(&db, clock, as_agent)?;
            match action {
                Some(TypeAction::Add { name }) => ws.add_ticket_type(&name)?,
                Some(TypeAction::Remove { name }) => ws.remove_ticket_type(&name)?,
                None => {}
            }
            let types = ws.ticket_types()?;
            out(serde_json::to_value(&types)?, types.join("\n"));
        }
        Command::Macros { action } => {
            let mut ws = open(&db, clock, as_agent)?;
            match action {
                None => {
                    let macros = ws.macros()?;
                    let text = macros.iter().map(macro_text).collect::<Vec<_>>().join("\n");
                    out(serde_json::to_value(&macros)?, text);
                }
                Some(MacroAction::Save { name, body, set, reason }) => {
                    let reason = reason.as_deref().map(Resolution::parse).transpose()?;
                    let actions = set
                        .iter()
                        .map(|word| {
                            let (field, value) = word
                                .split_once('=')
                                .ok_or_else(|| Error::validation("set", format!("'{word}' is not FIELD=VALUE (status=resolved, assignee=me …)")))?;
                            let reason = if field.trim().eq_ignore_ascii_case("status") { reason } else { None };
                            // "me" stays "me": the agent who applies the macro, not who saves it.
                            BulkChange::parse(field, value, reason, Some(casebook::macros::ME))
                        })
                        .collect::<casebook::Result<Vec<_>>>()?;
                    if reason.is_some() && !actions.iter().any(|a| matches!(a, BulkChange::Status { reason: Some(_), .. })) {
                        return Err(Error::validation("reason", "--reason goes with --set status=resolved or status=closed").into());
                    }
                    let m = ws.save_macro(&name, &body, &actions)?;
                    out(serde_json::to_value(&m)?, format!("Saved macro '{}'", m.name));
                }
                Some(MacroAction::Apply { name, tickets, view }) => {
                    let numbers = match (tickets, view) {
                        (_, Some(v)) => ws.view_numbers(&ws.view_query(&v)?.filters)?,
                        (Some(t), None) => crate::tickets::ticket_numbers(&t)?,
                        (None, None) => unreachable!("clap asks for one"),
                    };
                    let outcome = ws.apply_macro(&name, &numbers)?;
                    out(serde_json::to_value(&outcome)?, crate::tickets::bulk_text(&format!("macro '{name}'"), &outcome));
                }
                Some(MacroAction::Render { name, number }) => {
                    let text = ws.render_macro(&name, number)?;
                    out(json!({ "macro": name, "ticket": number, "text": text }), text.clone());
                }
            }
        }
        _ => unreachable!("main sends only its own commands here"),
    }
    Ok(())
}

/// A macro as the list shows it: its name, what it sets, and its text indented.
fn macro_text(m: &Macro) -> String {
    let sets = m.actions.iter().map(change_words).collect::<Vec<_>>();
    let mut text = m.name.clone();
    if !sets.is_empty() {
        text.push_str(&format!("\n  sets: {}", sets.join(", ")));
    }
    if !m.body.is_empty() {
        text.push_str(&format!("\n  {}", m.body.replace('\n', "\n  ")));
    }
    text
}

/// A change as `--set` takes it: `status=resolved`, `add-tags=vpn,wifi`.
fn change_words(c: &BulkChange) -> String {
    match c {
        BulkChange::Status { to, reason } => format!("status={}{}", to.as_str(), reason.map(|r| format!(" ({})", r.as_str())).unwrap_or_default()),
        BulkChange::Priority { to } => format!("priority={}", to.as_str()),
        BulkChange::Type { to } => format!("type={to}"),
        BulkChange::Assignee { to } => format!("assignee={}", to.as_deref().unwrap_or("none")),
        BulkChange::Team { to } => format!("team={}", to.as_deref().unwrap_or("none")),
        BulkChange::Tags { tags } => format!("tags={}", tags.join(",")),
        BulkChange::AddTags { tags } => format!("add-tags={}", tags.join(",")),
        BulkChange::RemoveTags { tags } => format!("remove-tags={}", tags.join(",")),
    }
}
