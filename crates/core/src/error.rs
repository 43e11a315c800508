//! The engine's error type. Every failure a user can cause is a variant with words a person
//! can read; `code()` is the short stable name the UI and the CLI's JSON act on.

use crate::problem::Problem;
use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input that breaks a rule of the domain: empty subject, bad email, body too long …
    #[error("{message}")]
    Validation { field: &'static str, message: String, problem: Option<Box<Problem>> },

    #[error("{what} {key} does not exist")]
    NotFound { what: &'static str, key: String },

    #[error("ticket #{number} is closed and can no longer be changed")]
    TicketClosed { number: i64 },

    #[error("ticket #{number} cannot go from {from} to {to}{}", if *to == crate::model::Status::Closed { " (resolve it first, or close it as duplicate, no action needed or auto-closed)" } else { "" })]
    IllegalTransition { number: i64, from: crate::model::Status, to: crate::model::Status },

    #[error("{} is not a Casebook database ({reason})", path.display())]
    NotAWorkspace { path: PathBuf, reason: String },

    #[error("there is no Casebook workspace at {} (create one with `casebook init`)", path.display())]
    NoWorkspace { path: PathBuf },

    #[error("a workspace already exists at {}", path.display())]
    AlreadyExists { path: PathBuf },

    #[error("{} was written by a newer Casebook (schema {found}, this version knows up to {supported}); it was left untouched", path.display())]
    SchemaTooNew { path: PathBuf, found: i64, supported: i64 },

    #[error("{0}")]
    Conflict(String),

    /// An event that cannot be applied: from a newer version, malformed, or naming an entity
    /// that does not exist. Nothing of it was written.
    #[error("event {id} ({kind}) cannot be applied: {message}")]
    BadEvent { id: String, kind: String, message: String },

    /// Team sync cannot go on with this shared folder now (unmounted, foreign, newer, a
    /// cloned writer …); nothing was changed. The reason says what to do.
    #[error("sync is paused: {reason}")]
    SyncPaused { reason: String },

    /// The mail server could not be reached or refused us; nothing was lost (mail stays on
    /// the server, replies stay in the outbox).
    #[error("mail server: {0}")]
    MailServer(String),

    #[error("file error: {0}")]
    Io(#[from] std::io::Error),

    #[error("database error: {}{}", .0, storage_hint(.0))]
    Database(#[from] rusqlite::Error),

    #[error("database migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),

    #[error("malformed data: {0}")]
    Json(#[from] serde_json::Error),
}

/// The words a person needs when the disk, not the data, is the problem.
fn storage_hint(e: &rusqlite::Error) -> &'static str {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DiskFull) => " (the disk is full: free some space and try again; nothing of this change was kept)",
        Some(rusqlite::ErrorCode::ReadOnly) => " (the data folder is read-only: nothing of this change was kept)",
        // SQLite says no more than "disk I/O error" when the file system turned read-only
        // under it (a failing disk remounted by the kernel, an unplugged drive).
        Some(rusqlite::ErrorCode::SystemIoFailure) => {
            " (the disk could not be written: it may have become read-only, been unplugged or failed; nothing of this change was kept, and what is there still reads)"
        }
        _ => "",
    }
}

impl Error {
    /// A refusal in English words only (what the CLI alone can meet); the window shows these
    /// as they are, so what the window can meet is an `invalid` with a `Problem`.
    pub fn validation(field: &'static str, message: impl Into<String>) -> Self {
        Error::Validation { field, message: message.into(), problem: None }
    }

    /// A refusal the window can say in the user's language.
    pub fn invalid(field: &'static str, problem: Problem) -> Self {
        Error::Validation { field, message: problem.to_string(), problem: Some(Box::new(problem)) }
    }

    /// What the error says as a key and its values, when the window can translate it.
    pub fn problem(&self) -> Option<Problem> {
        Some(match self {
            Error::Validation { problem, .. } => return problem.as_deref().cloned(),
            Error::NotFound { what, key } => Problem::NotFound { what: what.to_string(), key: key.clone() },
            Error::TicketClosed { number } => Problem::TicketClosed { number: *number },
            Error::IllegalTransition { number, from, to } => Problem::IllegalTransition { number: *number, from: *from, to: *to },
            Error::SyncPaused { reason } => Problem::SyncPaused { reason: reason.clone() },
            Error::MailServer(detail) => Problem::MailServer { detail: detail.clone() },
            _ => match self.code() {
                "disk_full" => Problem::DiskFull,
                "read_only" => Problem::ReadOnly,
                "disk_error" => Problem::DiskError,
                _ => return None,
            },
        })
    }

    pub fn ticket_not_found(number: i64) -> Self {
        Error::NotFound { what: "ticket", key: format!("#{number}") }
    }

    /// The stable, machine-readable name of the error (what the UI and scripts branch on).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Validation { .. } => "validation",
            Error::NotFound { .. } => "not_found",
            Error::TicketClosed { .. } => "ticket_closed",
            Error::IllegalTransition { .. } => "illegal_transition",
            Error::NotAWorkspace { .. } => "not_a_workspace",
            Error::NoWorkspace { .. } => "no_workspace",
            Error::AlreadyExists { .. } => "already_exists",
            Error::SchemaTooNew { .. } => "schema_too_new",
            Error::Conflict(_) => "conflict",
            Error::BadEvent { .. } => "bad_event",
            Error::SyncPaused { .. } => "sync_paused",
            Error::MailServer(_) => "mail_server",
            Error::Io(e) if e.raw_os_error() == Some(28) => "disk_full",
            Error::Io(e) if e.raw_os_error() == Some(30) => "read_only",
            Error::Io(_) => "io",
            Error::Database(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) => "disk_full",
            Error::Database(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::ReadOnly) => "read_only",
            Error::Database(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::SystemIoFailure) => "disk_error",
            Error::Database(_) | Error::Migration(_) => "database",
            Error::Json(_) => "malformed",
        }
    }

    /// The field a validation error is about, for showing the message next to it.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Error::Validation { field, .. } => Some(field),
            _ => None,
        }
    }
}

/// The shape errors take across the IPC and in `--json` output: `{code, message, field?, problem?}`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ErrorPayload {
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// What it says as a key and values, for the window to say in the user's language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    /// (Boxed: the payload is every command's error, and most carry none.)
    pub problem: Option<Box<Problem>>,
}

impl From<&Error> for ErrorPayload {
    fn from(e: &Error) -> Self {
        ErrorPayload { code: e.code().to_string(), message: e.to_string(), field: e.field().map(str::to_string), problem: e.problem().map(Box::new) }
    }
}
