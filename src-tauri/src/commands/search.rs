use super::Svc;
use crate::services::CmdResult;
use casebook::search::{IndexStatus, SearchFilters, SearchResults, SimilarTicket};

#[tauri::command]
pub async fn search_tickets(svc: Svc<'_>, query: String, filters: Option<SearchFilters>, limit: usize) -> CmdResult<SearchResults> {
    let index = svc.search_index()?;
    svc.read(move |ws| index.search(ws.connection(), &query, &filters.unwrap_or_default(), limit)).await
}

#[tauri::command]
pub async fn similar_tickets(svc: Svc<'_>, number: i64, limit: usize) -> CmdResult<Vec<SimilarTicket>> {
    let index = svc.search_index()?;
    svc.read(move |ws| index.similar(ws.connection(), number, limit)).await
}

#[tauri::command]
pub async fn search_status(svc: Svc<'_>) -> CmdResult<IndexStatus> {
    let index = svc.search_index()?;
    svc.read(move |ws| index.status(ws.connection())).await
}
