//! The engine's integration tests, one binary (linking a binary per file cost CI time): each
//! module is a room of the engine, on temporary databases and a fake clock, or through the
//! `casebook` binary (`cli`).

mod common;
/// Real mail servers on 127.0.0.1 (shared with the window's e2e).
#[path = "../support/mail_servers.rs"]
mod mail_servers;

mod alerts;
mod backup;
mod bad_input;
mod bulk;
mod cli;
mod crash;
mod disk_full;
mod export;
mod health;
mod import_csv;
mod import_zendesk;
mod macros;
mod mail;
mod predict;
mod replay;
mod rules;
mod search;
mod search_properties;
mod sla;
mod snooze;
mod soak;
mod stats;
mod sync;
mod syncthing;
mod teams;
mod tickets;
