//! `casebook`: the command-line face of the engine. Each command parses its arguments, calls
//! one engine function and prints the answer as text or, with `--json`, as JSON. This file
//! only parses and dispatches; each group of commands has its own module.

mod alerts;
mod args;
mod bench;
mod data;
mod mail;
mod rules;
mod search;
mod settings;
mod shared;
mod stats;
mod team;
mod tickets;

use args::{Cli, Command};
use casebook::clock::{parse_instant, Clock, FixedClock, SystemClock};
use casebook::{Error, ErrorPayload};
use clap::Parser;
use serde_json::json;
use shared::*;
use std::process::ExitCode;
use std::sync::Arc;

fn main() -> ExitCode {
    // Before any thread (the soak's month measures what it buys: casebook::memory).
    casebook::memory::use_one_arena();
    // Rust ignores SIGPIPE, so a reader that went away (`casebook … | head`) would make every
    // print panic. The default action ends the process quietly instead, as for other tools.
    #[cfg(unix)]
    // SAFETY: at the start of main, before any thread exists; SIG_DFL is a valid handler.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let json = cli.json;
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            match e.downcast_ref::<Error>() {
                Some(err) => {
                    eprintln!("error: {err}");
                    if json {
                        println!("{}", json!({ "error": ErrorPayload::from(err) }));
                    }
                }
                None => {
                    eprintln!("error: {e:#}");
                    if json {
                        println!("{}", json!({ "error": { "code": "failed", "message": format!("{e:#}") } }));
                    }
                }
            }
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let clock: Arc<dyn Clock> = match &cli.now {
        Some(t) => Arc::new(FixedClock::new(parse_instant(t)?)),
        None => Arc::new(SystemClock),
    };
    let cx = Ctx { db: cli.db.clone().unwrap_or_else(default_db), clock, json: cli.json, as_agent: cli.as_agent.clone() };
    // What a command does goes into the workspace's troubleshooting log too, beside the app's.
    // Only for a workspace that exists: a command refused for a wrong --db leaves nothing.
    if cx.db.is_file() && !matches!(cli.command, Command::Log { .. } | Command::Bench { .. }) {
        let _ = casebook::log_file::init(&data_dir_of(&cx.db), None);
    }
    match cli.command {
        c @ (Command::Init { .. }
        | Command::Demo { .. }
        | Command::New(_)
        | Command::Reply { .. }
        | Command::Set { .. }
        | Command::Snooze { .. }
        | Command::Unsnooze { .. }
        | Command::FollowUp { .. }
        | Command::Claim { .. }
        | Command::Merge { .. }
        | Command::Link { .. }
        | Command::Solution { .. }
        | Command::Show { .. }
        | Command::List(_)
        | Command::Views { .. }
        | Command::History { .. }
        | Command::Sla { .. }) => tickets::run(&cx, c),
        c @ (Command::SlaPolicy { .. } | Command::Agents { .. } | Command::Teams { .. } | Command::Types { .. } | Command::Macros { .. }) => {
            settings::run(&cx, c)
        }
        c @ (Command::Search { .. } | Command::Similar { .. } | Command::Reindex | Command::Triage { .. } | Command::Eta { .. }) => {
            search::run(&cx, c)
        }
        c @ Command::Alerts { .. } => alerts::run(&cx, c),
        c @ (Command::Stats { .. } | Command::Rate { .. }) => stats::run(&cx, c),
        c @ Command::Rules { .. } => rules::run(&cx, c),
        c @ (Command::Backup { .. }
        | Command::Restore { .. }
        | Command::Check { .. }
        | Command::Replay { .. }
        | Command::Log { .. }
        | Command::Import { .. }
        | Command::ImportCsv { .. }
        | Command::ImportZendesk { .. }
        | Command::Export { .. }) => data::run(&cx, c),
        c @ Command::Sync { .. } => team::run(&cx, c),
        c @ Command::Mail { .. } => mail::run(&cx, c),
        c @ Command::Bench { .. } => bench::run(&cx, c),
    }
}
