#![allow(dead_code)]
//! Helpers shared by the engine's integration tests: a workspace in a temporary folder on a
//! fake clock, and a fingerprint of a database's whole content.

use casebook::model::{NewTicket, Priority};
use casebook::{FixedClock, Timestamp, Workspace, WorkspaceInit};
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub struct Env {
    pub dir: tempfile::TempDir,
    pub ws: Workspace,
    pub clock: Arc<FixedClock>,
}

impl Env {
    pub fn db(&self) -> PathBuf {
        self.dir.path().join("ws.db")
    }

    pub fn at(&self, t: &str) {
        self.clock.set(ts(t));
    }

    pub fn minutes(&self, m: i64) {
        self.clock.advance(chrono::Duration::minutes(m));
    }

    pub fn ticket(&mut self, subject: &str, priority: Priority) -> i64 {
        self.ws
            .create_ticket(&NewTicket {
                subject: subject.into(),
                description: format!("{subject} — details from the customer."),
                requester_email: "kim.jiho@acme.kr".into(),
                requester_name: Some("Kim Jiho".into()),
                organisation: Some("Acme".into()),
                priority: Some(priority),
                ..Default::default()
            })
            .unwrap()
            .number
    }
}

/// The package's folder as cargo gives it to the running test: a test binary built from a
/// clone elsewhere that shares the build folder (`.ci/run`) has another path compiled in.
pub fn manifest_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR").map(std::path::PathBuf::from).unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into())
}

pub fn ts(s: &str) -> Timestamp {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// A workspace created at `at` with admin Mina Park.
pub fn env(at: &str) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock::new(ts(at)));
    let ws = Workspace::create(
        &dir.path().join("ws.db"),
        clock.clone(),
        &WorkspaceInit { name: "Test".into(), admin_name: "Mina Park".into(), admin_email: "mina@acme.test".into() },
    )
    .unwrap();
    Env { dir, ws, clock }
}

/// Every row of every table, in a stable order: equal fingerprints mean equal content.
pub fn fingerprint(db: &Path) -> String {
    let conn = rusqlite::Connection::open(db).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut out = String::new();
    for t in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
        let n = stmt.column_count();
        let mut rows: Vec<String> = stmt
            .query_map([], |r| {
                let mut cells = Vec::new();
                for i in 0..n {
                    let v: rusqlite::types::Value = r.get(i)?;
                    cells.push(format!("{v:?}"));
                }
                Ok(cells.join("|"))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        rows.sort();
        out.push_str(&format!("## {t} ({})\n{}\n", rows.len(), rows.join("\n")));
    }
    out
}

/// Every file below `dir`.
pub fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![];
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// How many events the workspace's log holds.
pub fn event_count(e: &Env) -> i64 {
    e.ws.connection().query_row("SELECT count(*) FROM events", [], |r| r.get(0)).unwrap()
}
