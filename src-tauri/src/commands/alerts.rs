use super::Svc;
use crate::services::CmdResult;
use casebook::alerts::{Alert, AlertQuery};

#[tauri::command]
pub async fn alerts(svc: Svc<'_>, query: AlertQuery) -> CmdResult<Vec<Alert>> {
    svc.read(move |ws| ws.alerts(&query)).await
}

#[tauri::command]
pub async fn unread_alert_count(svc: Svc<'_>) -> CmdResult<i64> {
    svc.read(|ws| ws.unread_alert_count()).await
}

#[tauri::command]
pub async fn mark_alert_read(svc: Svc<'_>, id: i64) -> CmdResult<Alert> {
    svc.write(vec![], move |ws| ws.mark_alert_read(id)).await
}

#[tauri::command]
pub async fn mark_all_alerts_read(svc: Svc<'_>) -> CmdResult<usize> {
    svc.write(vec![], |ws| ws.mark_all_alerts_read()).await
}
