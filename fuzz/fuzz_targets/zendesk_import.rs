//! A Zendesk export, imported as `casebook import-zendesk` does: all of it or nothing, the
//! first problem named by its ticket id and field.
#![no_main]

use casebook_fuzz::Fixture;
use std::cell::RefCell;

thread_local!(static FIXTURE: RefCell<Fixture> = RefCell::new(Fixture::new(0)));

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    FIXTURE.with_borrow_mut(|f| {
        let path = f.file("zendesk.json", data);
        let before = f.fingerprint();
        match f.ws.import_zendesk(&path) {
            Ok(report) => {
                let after = f.fingerprint();
                assert_eq!(after.rows[0], before.rows[0] + report.tickets as i64, "the import's tickets are not all there");
                assert_eq!(report.numbers.len(), report.tickets);
            }
            Err(e) => f.assert_unchanged(&before, "a Zendesk export", &e),
        }
    });
});
