//! Casebook's core: the plain data of the domain and its rules that need no database — the
//! model and the status machine, time as a parameter (`Clock`), the one error type, input
//! validation and the SLA clock with business hours. Every other crate stands on it.

pub mod clock;
pub mod error;
pub mod model;
pub mod problem;
pub mod sla;
pub mod text;
pub mod validate;

pub use clock::{Clock, FixedClock, ShiftedClock, SystemClock, Timestamp};
pub use error::{Error, ErrorPayload, Result};
pub use problem::Problem;
