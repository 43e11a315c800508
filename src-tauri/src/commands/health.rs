use super::Svc;
use crate::services::CmdResult;
use casebook::backup::{BackupInfo, BackupReport};
use casebook::health::HealthReport;
use casebook::ErrorPayload;

/// "Where did my tickets go?": every check, on the open workspace and its search index.
#[tauri::command]
pub async fn health_check(svc: Svc<'_>) -> CmdResult<HealthReport> {
    let index = svc.search_index()?;
    svc.read(move |ws| ws.check_health(Some(&index))).await
}

/// Applies the safe repairs; returns what was done, in words.
#[tauri::command]
pub async fn repair_health(svc: Svc<'_>) -> CmdResult<Vec<String>> {
    let index = svc.search_index()?;
    svc.write(vec![], move |ws| {
        let report = ws.check_health(Some(&index))?;
        ws.repair(Some(&index), &report)
    })
    .await
}

#[tauri::command]
pub async fn backup_now(svc: Svc<'_>) -> CmdResult<BackupReport> {
    svc.backup_now().await
}

#[tauri::command]
pub async fn list_backups(svc: Svc<'_>) -> CmdResult<Vec<BackupInfo>> {
    Ok(casebook::backup::list(&svc.backups_dir()))
}

/// Replaces the workspace with one of its backups (the current file is kept beside it).
#[tauri::command]
pub async fn restore_backup(svc: Svc<'_>, path: String) -> CmdResult<()> {
    let svc = svc.inner().clone();
    tauri::async_runtime::spawn_blocking(move || svc.restore(path.into()).map(|_| ())).await.map_err(|e| ErrorPayload {
        code: "internal".into(),
        message: e.to_string(),
        field: None,
    })?
}
