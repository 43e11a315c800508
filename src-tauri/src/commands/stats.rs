use super::Svc;
use crate::services::CmdResult;
use casebook::stats::{tables, Stats, StatsQuery};
use std::path::PathBuf;

#[tauri::command]
pub async fn stats(svc: Svc<'_>, query: StatsQuery) -> CmdResult<Stats> {
    svc.read(move |ws| ws.stats(&query)).await
}

/// A ticket behind a dashboard number, as the click-through lists it.
#[derive(serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct FigureTicket {
    pub number: i64,
    pub subject: String,
    pub status: casebook::model::Status,
    pub priority: casebook::model::Priority,
}

/// The tickets behind one number of the dashboard (its key), newest first, at most 500.
#[tauri::command]
pub async fn stats_tickets(svc: Svc<'_>, query: StatsQuery, key: String) -> CmdResult<Vec<FigureTicket>> {
    svc.read(move |ws| {
        let numbers = ws.tickets_behind(&query, &key)?;
        numbers
            .into_iter()
            .take(500)
            .map(|n| ws.ticket(n).map(|t| FigureTicket { number: t.number, subject: t.subject, status: t.status, priority: t.priority }))
            .collect()
    })
    .await
}

/// Writes one of the dashboard's tables as CSV where the person chose (the OS dialog).
#[tauri::command]
pub async fn export_stats_csv(svc: Svc<'_>, query: StatsQuery, table: String, path: PathBuf) -> CmdResult<()> {
    svc.read(move |ws| {
        let stats = ws.stats(&query)?;
        let t = tables::tables(&stats)
            .into_iter()
            .find(|t| t.name == table)
            .ok_or_else(|| casebook::Error::NotFound { what: "table", key: table.clone() })?;
        tables::write_table(&t, &path)
    })
    .await
}
