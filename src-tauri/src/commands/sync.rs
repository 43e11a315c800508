use super::Svc;
use crate::services::CmdResult;
use casebook::model::{Conflict, SyncOverview};
use std::path::PathBuf;

#[tauri::command]
pub async fn sync_overview(svc: Svc<'_>) -> CmdResult<SyncOverview> {
    svc.read(|ws| ws.sync_overview()).await
}

/// Shares this workspace in an empty folder that Syncthing (or a network share) replicates.
#[tauri::command]
pub async fn sync_share(svc: Svc<'_>, folder: String) -> CmdResult<SyncOverview> {
    let out = svc
        .read(move |ws| {
            ws.sync_init(&PathBuf::from(folder.trim()))?;
            ws.sync_overview()
        })
        .await?;
    svc.sync_wake.notify_one();
    Ok(out)
}

#[tauri::command]
pub async fn sync_set_paused(svc: Svc<'_>, paused: bool) -> CmdResult<SyncOverview> {
    let out = svc
        .read(move |ws| {
            ws.set_sync_paused(paused)?;
            ws.sync_overview()
        })
        .await?;
    svc.sync_wake.notify_one();
    Ok(out)
}

/// Every conflict kept on tickets, newest first.
#[tauri::command]
pub async fn sync_conflicts(svc: Svc<'_>) -> CmdResult<Vec<Conflict>> {
    svc.read(|ws| ws.conflicts(None)).await
}

/// Which ticket is open here (None: none) and whether a reply is being written on it, for the
/// other laptops' "Ana is viewing / replying".
#[tauri::command]
pub async fn set_presence(svc: Svc<'_>, ticket: Option<i64>, replying: bool) -> CmdResult<()> {
    svc.read(move |ws| ws.set_presence(ticket, replying)).await
}
