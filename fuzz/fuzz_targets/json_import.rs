//! A Casebook export (`casebook export`) read back by `casebook import` into a new workspace:
//! a file that is refused leaves no database behind; one that is taken opens as a workspace
//! and exports again.
#![no_main]

use casebook::{export, SystemClock, Workspace};
use casebook_fuzz::Fixture;
use std::cell::RefCell;
use std::sync::Arc;

thread_local!(static FIXTURE: RefCell<Fixture> = RefCell::new(Fixture::new(0)));

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    FIXTURE.with_borrow(|f| {
        let file = f.file("export.json", data);
        let target = f.dir().join("imported");
        let db = target.join("ws.db");
        match export::import(&file, &db) {
            Ok(report) => {
                let ws = Workspace::open(&db, Arc::new(SystemClock)).expect("an imported workspace opens");
                let tickets: i64 = ws.connection().query_row("SELECT count(*) FROM tickets", [], |r| r.get(0)).unwrap();
                assert_eq!(tickets as usize, report.tickets);
                ws.export(&f.dir().join("again.json")).expect("an imported workspace exports");
            }
            Err(_) => assert!(!db.exists(), "a refused import left a database behind"),
        }
        let _ = std::fs::remove_dir_all(&target);
    });
});
