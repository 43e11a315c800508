//! Casebook's engine: everything the product knows and decides, with no UI.
//! The command line (`src/bin/casebook.rs`) and the desktop shell are thin faces over it.

pub use casebook_core::{clock, error, model, problem, sla, text, validate};
pub use casebook_events as events;
pub use casebook_search as search;
pub use casebook_store as store;
pub use casebook_store::attachments;
pub use casebook_sync as sync;

pub mod alerts;
pub mod backup;
pub mod bench;
pub mod bulk;
mod conflicts;
pub mod demo;
pub mod export;
mod feedback;
pub mod health;
mod hooks;
pub mod import_csv;
pub mod import_history;
pub mod import_zendesk;
pub mod log_file;
pub mod macros;
pub mod mail;
pub mod memory;
pub mod people;
pub mod predict;
pub mod rules;
pub mod schedule;
pub mod snooze;
pub mod stats;
mod team;
pub mod tickets;
pub mod views;
pub mod workspace;

pub use casebook_core::Problem;
pub use clock::{Clock, FixedClock, ShiftedClock, SystemClock, Timestamp};
pub use error::{Error, ErrorPayload, Result};
pub use tickets::{Field, TicketDetail};
pub use uuid::Uuid;
pub use workspace::{Workspace, WorkspaceInit};
