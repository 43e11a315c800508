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
        problem: None,
    })?
}

/// The troubleshooting log's latest entries, filtered (the Health page's "Log").
#[tauri::command]
pub async fn log_entries(svc: Svc<'_>, query: casebook::log_file::LogQuery) -> CmdResult<casebook::log_file::LogPage> {
    let data_dir = svc.data_dir.clone();
    tauri::async_runtime::spawn_blocking(move || casebook::log_file::entries(&data_dir, &query))
        .await
        .map_err(|e| ErrorPayload { code: "internal".into(), message: e.to_string(), field: None, problem: None })?
        .map_err(crate::services::err)
}

/// Opens the log's folder in the file manager, to attach a day's file to a question.
#[tauri::command]
pub async fn open_log_folder(svc: Svc<'_>, app: tauri::AppHandle) -> CmdResult<()> {
    use tauri_plugin_opener::OpenerExt;
    let folder = casebook::log_file::folder(&svc.data_dir);
    std::fs::create_dir_all(&folder).map_err(|e| crate::services::err(e.into()))?;
    app.opener().open_path(folder.display().to_string(), None::<&str>).map_err(|e| ErrorPayload {
        code: "io".into(),
        message: format!("could not open the log folder {}: {e}", folder.display()),
        field: None,
        problem: None,
    })
}
