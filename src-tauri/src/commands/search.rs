use super::Svc;
use crate::services::CmdResult;
use casebook::events::Verdict;
use casebook::search::{IndexStatus, SearchFilters, SearchResults, SimilarTicket};
use casebook::ErrorPayload;

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

/// The agent's word on a suggested similar ticket: "helpful", "not_helpful" or
/// "fix_inserted" (its fix went into the reply being written).
#[tauri::command]
pub async fn similar_feedback(svc: Svc<'_>, number: i64, similar: i64, verdict: String) -> CmdResult<()> {
    let verdict: Verdict = serde_json::from_value(serde_json::Value::String(verdict.clone())).map_err(|_| {
        ErrorPayload::from(&casebook::Error::validation("verdict", format!("'{verdict}' is not helpful, not_helpful or fix_inserted")))
    })?;
    svc.write(vec![number, similar], move |ws| ws.similar_feedback(number, similar, verdict)).await
}

/// Triage suggestions and the expected time to resolve, from ticket `number`'s similar solved
/// tickets.
#[tauri::command]
pub async fn ticket_predictions(svc: Svc<'_>, number: i64) -> CmdResult<casebook::predict::Predictions> {
    let index = svc.search_index()?;
    svc.read(move |ws| ws.predictions(&index, number)).await
}

/// Triage suggestions for a ticket still being typed (the new-ticket form).
#[tauri::command]
pub async fn triage_text(svc: Svc<'_>, subject: String, body: String) -> CmdResult<Vec<casebook::predict::Suggestion>> {
    let index = svc.search_index()?;
    svc.read(move |ws| ws.triage_text(&index, &subject, &body)).await
}

/// The expected resolution of the open backlog (the dashboard), from up to 60 open tickets.
#[tauri::command]
pub async fn backlog_eta(svc: Svc<'_>) -> CmdResult<Option<casebook::predict::BacklogEta>> {
    let index = svc.search_index()?;
    svc.read(move |ws| ws.backlog_eta(&index, 60)).await
}
