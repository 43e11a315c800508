//! Tauri commands, one file per domain. Each is a few lines: one engine call, off the async
//! runtime, its error mapped to `{code, message}`.

pub mod alerts;
pub mod health;
pub mod mail;
pub mod rules;
pub mod search;
pub mod settings;
pub mod stats;
pub mod sync;
pub mod tickets;
pub mod workspace;

use crate::services::Services;
use std::sync::Arc;

pub type Svc<'a> = tauri::State<'a, Arc<Services>>;
