//! Casebook's engine: everything the product knows and decides, with no UI.
//! The command line (`src/bin/casebook.rs`) and the desktop shell are thin faces over it.

pub mod alerts;
pub mod attachments;
pub mod backup;
pub mod bench;
pub mod clock;
pub mod demo;
pub mod error;
pub mod events;
pub mod export;
pub mod health;
mod hooks;
pub mod import_csv;
pub mod import_zendesk;
pub mod macros;
pub mod model;
pub mod people;
pub mod rules;
pub mod search;
pub mod sla;
pub mod stats;
pub mod store;
pub mod tickets;
pub mod validate;
pub mod views;
pub mod workspace;

pub use clock::{Clock, FixedClock, ShiftedClock, SystemClock, Timestamp};
pub use error::{Error, ErrorPayload, Result};
pub use tickets::{Field, TicketDetail};
pub use uuid::Uuid;
pub use workspace::{Workspace, WorkspaceInit};
