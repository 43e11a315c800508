//! What the fuzz targets share: a real workspace (a SQLite file and a tantivy index in a
//! temporary folder, on tmpfs when there is one) made once per fuzzing process, and a
//! fingerprint that tells whether a refused input changed anything.
//!
//! The targets drive the same entry points the CLI and the window use (the importers read a
//! file, the backup check reads a folder), so a crash here is a crash a user could meet.

use casebook::demo::{self, DemoOptions};
use casebook::search::SearchIndex;
use casebook::{FixedClock, Workspace, WorkspaceInit};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub struct Fixture {
    dir: tempfile::TempDir,
    pub ws: Workspace,
    pub index: Arc<SearchIndex>,
    pub clock: Arc<FixedClock>,
}

/// What a change would move: the last event and the rows people see. The one writer logs an
/// event for every change, so an unchanged fingerprint means nothing was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    pub last_event: i64,
    pub rows: Vec<i64>,
}

const COUNTED: [&str; 8] = ["tickets", "messages", "customers", "organisations", "agents", "rules", "ticket_tags", "attachments"];

fn scratch() -> PathBuf {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    }
}

impl Fixture {
    /// A workspace with `tickets` demo tickets (solved ones with their fixes among them) and
    /// an index that has caught up.
    pub fn new(tickets: usize) -> Fixture {
        let dir = tempfile::Builder::new().prefix("casebook-fuzz-").tempdir_in(scratch()).expect("a scratch folder");
        let at = chrono::DateTime::parse_from_rfc3339("2026-06-01T09:00:00Z").unwrap().with_timezone(&chrono::Utc);
        let clock = Arc::new(FixedClock::new(at));
        let init = WorkspaceInit { name: "Fuzz".into(), admin_name: "Mina Park".into(), admin_email: "mina@acme.test".into() };
        let mut ws = Workspace::create(&dir.path().join("ws.db"), clock.clone(), &init).expect("a workspace");
        if tickets > 0 {
            demo::generate(&mut ws, DemoOptions::new(tickets, 7)).expect("demo tickets");
        }
        let index = Arc::new(SearchIndex::open(&ws.data_dir()).expect("an index"));
        index.sync(ws.connection()).expect("the index catches up");
        ws.use_search_index(index.clone());
        Fixture { dir, ws, index, clock }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `data` to a file of the fixture's folder (the importers read files).
    pub fn file(&self, name: &str, data: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, data).expect("the scratch file is written");
        path
    }

    pub fn fingerprint(&self) -> Fingerprint {
        let conn = self.ws.connection();
        let last_event = casebook::events::last_seq(conn).expect("the log reads");
        let rows = COUNTED
            .iter()
            .map(|t| conn.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0)).expect("the table reads"))
            .collect();
        Fingerprint { last_event, rows }
    }

    /// Panics (a finding) when a refused input left a trace.
    pub fn assert_unchanged(&self, before: &Fingerprint, what: &str, error: &casebook::Error) {
        let after = self.fingerprint();
        assert_eq!(before, &after, "{what} was refused ({error}) but the workspace changed");
    }
}

/// The input as text for targets whose entry point takes a `&str` (the search box): invalid
/// UTF-8 becomes U+FFFD, as a text field would give it. File targets get the raw bytes.
pub fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}
