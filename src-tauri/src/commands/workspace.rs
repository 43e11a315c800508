use super::Svc;
use crate::services::CmdResult;
use casebook::model::Agent;
use casebook::workspace::WorkspaceInfo;
use casebook::WorkspaceInit;

#[derive(serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct WorkspaceState {
    pub open: bool,
    pub data_dir: String,
    pub info: Option<WorkspaceInfo>,
    pub me: Option<Agent>,
    pub agents: Vec<Agent>,
}

#[tauri::command]
pub async fn workspace_state(svc: Svc<'_>) -> CmdResult<WorkspaceState> {
    let data_dir = svc.data_dir.display().to_string();
    let state = svc.read(|ws| Ok((ws.info()?, ws.acting_agent().cloned(), ws.agents()?))).await;
    Ok(match state {
        Ok((info, me, agents)) => WorkspaceState { open: true, data_dir, info: Some(info), me, agents },
        Err(e) if e.code == "no_workspace" => WorkspaceState { open: false, data_dir, info: None, me: None, agents: vec![] },
        Err(e) => return Err(e),
    })
}

/// First run on a new laptop of a team: join the workspace in the shared folder as `email`.
#[tauri::command]
pub async fn join_workspace(svc: Svc<'_>, folder: String, email: String) -> CmdResult<()> {
    let svc = svc.inner().clone();
    tauri::async_runtime::spawn_blocking(move || svc.join(std::path::Path::new(folder.trim()), email.trim()))
        .await
        .map_err(|e| casebook::ErrorPayload { code: "internal".into(), message: e.to_string(), field: None, problem: None })?
}

/// First run: the demo workspace, or an empty one with its first admin.
#[tauri::command]
pub async fn create_workspace(svc: Svc<'_>, demo: bool, name: String, email: String) -> CmdResult<()> {
    let svc = svc.inner().clone();
    let init = WorkspaceInit { name: if demo { "Casebook demo".into() } else { "Casebook".into() }, admin_name: name, admin_email: email };
    tauri::async_runtime::spawn_blocking(move || svc.create(demo, &init)).await.map_err(|e| casebook::ErrorPayload {
        code: "internal".into(),
        message: e.to_string(),
        field: None,
        problem: None,
    })?
}

#[tauri::command]
pub async fn switch_agent(svc: Svc<'_>, email: String) -> CmdResult<()> {
    let remembered = email.clone();
    svc.write(vec![], move |ws| ws.act_as(&email)).await?;
    svc.remember_agent(&remembered);
    Ok(())
}
