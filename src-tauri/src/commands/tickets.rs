use super::Svc;
use crate::services::CmdResult;
use casebook::bulk::{BulkChange, BulkOutcome, UndoEntry};
use casebook::model::{Event, Message, MessageKind, NewMessage, NewTicket, Resolution, Status, Ticket};
use casebook::views::{CustomerCard, Page, SavedView, ViewCount, ViewQuery};
use casebook::{Field, TicketDetail};

#[tauri::command]
pub async fn view_counts(svc: Svc<'_>) -> CmdResult<Vec<ViewCount>> {
    svc.read(|ws| ws.view_counts()).await
}

/// My personal views and the shared ones, with their filters (the view editor).
#[tauri::command]
pub async fn saved_views(svc: Svc<'_>) -> CmdResult<Vec<SavedView>> {
    svc.read(|ws| ws.saved_views()).await
}

/// Saves a view from the editor; `editing` is the name of the view being changed (kept as
/// the same view: a rename changes nothing else).
#[tauri::command]
pub async fn save_view(svc: Svc<'_>, editing: Option<String>, name: String, query: ViewQuery, shared: bool) -> CmdResult<SavedView> {
    svc.write(vec![], move |ws| ws.save_view_as(editing.as_deref(), &name, &query, shared)).await
}

#[tauri::command]
pub async fn delete_view(svc: Svc<'_>, name: String) -> CmdResult<()> {
    svc.write(vec![], move |ws| ws.delete_view(&name)).await
}

/// How many tickets a view being built would show (checked as saving would check it).
#[tauri::command]
pub async fn count_view(svc: Svc<'_>, query: ViewQuery) -> CmdResult<i64> {
    svc.read(move |ws| ws.count(&query.filters)).await
}

/// A page of a view (by name), with extra filters from the list's controls.
#[tauri::command]
pub async fn list_tickets(svc: Svc<'_>, view: Option<String>, query: Option<ViewQuery>, after: Option<String>, limit: usize) -> CmdResult<Page> {
    svc.read(move |ws| {
        let q = match (query, view) {
            (Some(q), _) => q,
            (None, Some(v)) => ws.view_query(&v)?,
            (None, None) => ViewQuery::default(),
        };
        ws.list(&q, after.as_deref(), limit)
    })
    .await
}

#[tauri::command]
pub async fn ticket_detail(svc: Svc<'_>, number: i64) -> CmdResult<TicketDetail> {
    svc.read(move |ws| ws.ticket_detail(number)).await
}

#[tauri::command]
pub async fn ticket_history(svc: Svc<'_>, number: i64) -> CmdResult<Vec<Event>> {
    svc.read(move |ws| ws.history(number)).await
}

/// Every problem the new-ticket form has, each with its field (none: it can be created).
#[tauri::command]
pub async fn check_new_ticket(svc: Svc<'_>, ticket: NewTicket) -> CmdResult<Vec<casebook::ErrorPayload>> {
    svc.read(move |ws| Ok(ws.check_new_ticket(&ticket))).await
}

#[tauri::command]
pub async fn create_ticket(svc: Svc<'_>, ticket: NewTicket) -> CmdResult<Ticket> {
    svc.write(vec![], move |ws| ws.create_ticket(&ticket)).await
}

/// A file picked in the window, sent with its content.
#[derive(serde::Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Upload {
    pub name: String,
    pub content: Vec<u8>,
}

#[tauri::command]
pub async fn add_message(svc: Svc<'_>, number: i64, kind: MessageKind, body: String, files: Vec<Upload>) -> CmdResult<Message> {
    let staging = svc.data_dir.join("uploads").join(casebook::Uuid::new_v4().to_string());
    svc.write(vec![number], move |ws| {
        // The engine stores files by path: stage the uploads under their own names first.
        let paths = stage(&staging, &files)?;
        let result = ws.add_message(number, &NewMessage { kind, body, attachments: paths });
        let _ = std::fs::remove_dir_all(&staging);
        result
    })
    .await
}

fn stage(dir: &std::path::Path, files: &[Upload]) -> casebook::Result<Vec<std::path::PathBuf>> {
    let mut paths = Vec::new();
    for f in files {
        let name = std::path::Path::new(&f.name).file_name().and_then(|n| n.to_str()).filter(|n| !n.is_empty()).unwrap_or("attachment");
        let sub = dir.join(paths.len().to_string());
        std::fs::create_dir_all(&sub)?;
        let path = sub.join(name);
        std::fs::write(&path, &f.content)?;
        paths.push(path);
    }
    Ok(paths)
}

/// Opens a stored attachment with the system's default application.
#[tauri::command]
pub async fn open_attachment(svc: Svc<'_>, app: tauri::AppHandle, stored_path: String) -> CmdResult<()> {
    use tauri_plugin_opener::OpenerExt;
    let root = svc.data_dir.join("attachments");
    let path = svc.data_dir.join(&stored_path);
    // Only files inside the attachment store, whatever the window asks for.
    let inside = path.canonicalize().ok().zip(root.canonicalize().ok()).is_some_and(|(p, r)| p.starts_with(r));
    if !inside {
        return Err(crate::services::err(casebook::Error::validation("attachment", format!("{stored_path} is not a stored attachment"))));
    }
    app.opener().open_path(path.display().to_string(), None::<&str>).map_err(|e| casebook::ErrorPayload {
        code: "io".into(),
        message: format!("could not open the attachment: {e}"),
        field: None,
        problem: None,
    })
}

#[tauri::command]
pub async fn set_field(svc: Svc<'_>, number: i64, field: Field, value: String) -> CmdResult<Ticket> {
    svc.write(vec![number], move |ws| ws.set_field(number, field, &value)).await
}

/// One field on many tickets (the list's selection), in one transaction: what changed, what
/// was skipped and why, and what `bulk_undo` needs.
#[tauri::command]
pub async fn bulk_change(svc: Svc<'_>, numbers: Vec<i64>, change: BulkChange) -> CmdResult<BulkOutcome> {
    svc.write(numbers.clone(), move |ws| ws.bulk_change(&numbers, &change)).await
}

/// What macro `name` sets, on one ticket (the ticket page) or many (the bulk bar); undone
/// like a bulk change. Its text goes to the composer through `render_macro`.
#[tauri::command]
pub async fn apply_macro(svc: Svc<'_>, name: String, numbers: Vec<i64>) -> CmdResult<BulkOutcome> {
    svc.write(numbers.clone(), move |ws| ws.apply_macro(&name, &numbers)).await
}

/// Merges the picked tickets into one of them (no undo: the window asks first).
#[tauri::command]
pub async fn bulk_merge(svc: Svc<'_>, numbers: Vec<i64>, into: i64) -> CmdResult<BulkOutcome> {
    let mut touched = numbers.clone();
    touched.push(into);
    svc.write(touched, move |ws| ws.bulk_merge(&numbers, into)).await
}

/// Takes a bulk change back where nothing changed since (the undo toast).
#[tauri::command]
pub async fn bulk_undo(svc: Svc<'_>, undo: Vec<UndoEntry>) -> CmdResult<BulkOutcome> {
    let numbers = undo.iter().map(|e| e.number).collect();
    svc.write(numbers, move |ws| ws.bulk_undo(&undo)).await
}

/// Every ticket number of a view: "select all in view" takes more than the loaded rows.
#[tauri::command]
pub async fn view_numbers(svc: Svc<'_>, view: String) -> CmdResult<Vec<i64>> {
    svc.read(move |ws| ws.view_numbers(&ws.view_query(&view)?.filters)).await
}

/// Out of the working views until `until`; back then with an alert, or when the customer writes.
#[tauri::command]
pub async fn snooze_ticket(svc: Svc<'_>, number: i64, until: casebook::Timestamp) -> CmdResult<Ticket> {
    svc.write(vec![number], move |ws| ws.snooze(number, until)).await
}

#[tauri::command]
pub async fn unsnooze_ticket(svc: Svc<'_>, number: i64) -> CmdResult<Ticket> {
    svc.write(vec![number], move |ws| ws.unsnooze(number)).await
}

/// A reminder for me at `at` unless the customer answers first; none takes it off.
#[tauri::command]
pub async fn follow_up(svc: Svc<'_>, number: i64, at: Option<casebook::Timestamp>) -> CmdResult<Ticket> {
    svc.write(vec![number], move |ws| ws.follow_up(number, at)).await
}

/// The requester beside the ticket: who, since when, their other tickets.
#[tauri::command]
pub async fn customer_card(svc: Svc<'_>, number: i64) -> CmdResult<CustomerCard> {
    svc.read(move |ws| ws.customer_card(number)).await
}

#[tauri::command]
pub async fn set_status(svc: Svc<'_>, number: i64, status: Status, reason: Option<Resolution>) -> CmdResult<Ticket> {
    svc.write(vec![number], move |ws| ws.set_status(number, status, reason)).await
}

#[tauri::command]
pub async fn claim_ticket(svc: Svc<'_>, number: i64) -> CmdResult<Ticket> {
    svc.write(vec![number], move |ws| ws.claim(number)).await
}

#[tauri::command]
pub async fn merge_tickets(svc: Svc<'_>, number: i64, into: i64) -> CmdResult<Ticket> {
    svc.write(vec![number, into], move |ws| ws.merge(number, into)).await
}

#[tauri::command]
pub async fn link_tickets(svc: Svc<'_>, number: i64, related: i64) -> CmdResult<()> {
    svc.write(vec![number, related], move |ws| ws.link(number, related)).await
}

#[tauri::command]
pub async fn mark_solution(svc: Svc<'_>, number: i64, message_id: String) -> CmdResult<()> {
    svc.write(vec![number], move |ws| {
        let id = uuid_of(&message_id)?;
        ws.mark_solution(number, id)
    })
    .await
}

#[tauri::command]
pub async fn render_macro(svc: Svc<'_>, name: String, number: i64) -> CmdResult<String> {
    svc.read(move |ws| ws.render_macro(&name, number)).await
}

fn uuid_of(s: &str) -> casebook::Result<casebook::Uuid> {
    casebook::Uuid::parse_str(s).map_err(|_| casebook::Error::validation("message", format!("'{s}' is not a message id")))
}

/// The customer's satisfaction with a solved ticket, as the agent heard it.
#[tauri::command]
pub async fn rate_ticket(svc: Svc<'_>, number: i64, good: bool, comment: String) -> CmdResult<casebook::stats::Rating> {
    svc.write(vec![number], move |ws| ws.rate_ticket(number, good, &comment)).await
}

#[tauri::command]
pub async fn ticket_rating(svc: Svc<'_>, number: i64) -> CmdResult<Option<casebook::stats::Rating>> {
    svc.read(move |ws| ws.rating(number)).await
}
