use super::Svc;
use crate::services::CmdResult;
use casebook::rules::{Rule, RuleDefinition, RulePassReport, TryTarget};
use casebook::Uuid;

#[tauri::command]
pub async fn rules(svc: Svc<'_>) -> CmdResult<Vec<Rule>> {
    svc.read(|ws| ws.rules()).await
}

#[tauri::command]
pub async fn save_rule(svc: Svc<'_>, id: Option<Uuid>, definition: RuleDefinition) -> CmdResult<Rule> {
    svc.write(vec![], move |ws| ws.save_rule(id, definition)).await
}

#[tauri::command]
pub async fn set_rule_enabled(svc: Svc<'_>, id: Uuid, enabled: bool) -> CmdResult<Rule> {
    svc.write(vec![], move |ws| ws.set_rule_enabled(&id.to_string(), enabled)).await
}

#[tauri::command]
pub async fn move_rule(svc: Svc<'_>, id: Uuid, position: usize) -> CmdResult<Vec<Rule>> {
    svc.write(vec![], move |ws| ws.move_rule(&id.to_string(), position)).await
}

#[tauri::command]
pub async fn delete_rule(svc: Svc<'_>, id: Uuid) -> CmdResult<()> {
    svc.write(vec![], move |ws| ws.delete_rule(&id.to_string())).await
}

#[tauri::command]
pub async fn reset_rule(svc: Svc<'_>, id: Uuid) -> CmdResult<Rule> {
    svc.write(vec![], move |ws| ws.reset_rule(&id.to_string())).await
}

/// "Try this rule": what it would change now, written nowhere.
#[tauri::command]
pub async fn try_rules(svc: Svc<'_>, target: TryTarget) -> CmdResult<RulePassReport> {
    svc.read(move |ws| ws.try_rules(&target)).await
}

/// One time-rule pass now (the scheduler runs one every few minutes anyway).
#[tauri::command]
pub async fn run_time_rules(svc: Svc<'_>) -> CmdResult<RulePassReport> {
    let report = svc.read(|ws| ws.run_time_rules()).await?;
    svc.changed("rule", report.changes.iter().map(|c| c.ticket_number).collect());
    Ok(report)
}
