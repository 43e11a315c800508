//! Plain data of the domain (PRODUCT T1): tickets, messages, people, and their enums.

mod status;
mod types;

pub use status::{Resolution, Status};
pub use types::*;
