use super::Svc;
use crate::services::CmdResult;
use casebook::alerts::AlertSettings;
use casebook::macros::Macro;
use casebook::model::{Agent, Role, Team};
use casebook::people::NewAgent;
use casebook::sla::SlaSettings;

#[derive(serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Settings {
    pub sla: SlaSettings,
    pub alerts: AlertSettings,
    pub agents: Vec<Agent>,
    pub teams: Vec<Team>,
    pub ticket_types: Vec<String>,
    pub macros: Vec<Macro>,
}

#[tauri::command]
pub async fn settings(svc: Svc<'_>) -> CmdResult<Settings> {
    svc.read(|ws| {
        Ok(Settings {
            sla: ws.sla_settings().clone(),
            alerts: ws.alert_settings().clone(),
            agents: ws.agents()?,
            teams: ws.teams()?,
            ticket_types: ws.ticket_types()?,
            macros: ws.macros()?,
        })
    })
    .await
}

#[tauri::command]
pub async fn save_sla_settings(svc: Svc<'_>, sla: SlaSettings) -> CmdResult<()> {
    svc.write(vec![], move |ws| ws.set_sla_settings(sla)).await
}

#[tauri::command]
pub async fn add_agent(svc: Svc<'_>, name: String, email: String, admin: bool, teams: Vec<String>) -> CmdResult<Agent> {
    let role = if admin { Role::Admin } else { Role::Agent };
    svc.write(vec![], move |ws| ws.add_agent(&NewAgent { name, email, role, teams, skills: vec![] })).await
}

#[tauri::command]
pub async fn add_team(svc: Svc<'_>, name: String, backup_agent: Option<String>) -> CmdResult<Team> {
    svc.write(vec![], move |ws| ws.add_team(&name, backup_agent.as_deref())).await
}

#[tauri::command]
pub async fn add_ticket_type(svc: Svc<'_>, name: String) -> CmdResult<()> {
    svc.write(vec![], move |ws| ws.add_ticket_type(&name)).await
}

#[tauri::command]
pub async fn remove_ticket_type(svc: Svc<'_>, name: String) -> CmdResult<()> {
    svc.write(vec![], move |ws| ws.remove_ticket_type(&name)).await
}

#[tauri::command]
pub async fn save_macro(svc: Svc<'_>, name: String, body: String, actions: Vec<casebook::bulk::BulkChange>) -> CmdResult<Macro> {
    svc.write(vec![], move |ws| ws.save_macro(&name, &body, &actions)).await
}

/// Saves the alert settings; the scheduler picks up a new interval at once.
#[tauri::command]
pub async fn save_alert_settings(svc: Svc<'_>, alerts: AlertSettings) -> CmdResult<()> {
    svc.write(vec![], move |ws| ws.set_alert_settings(alerts)).await
}
