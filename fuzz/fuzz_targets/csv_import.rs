//! A spreadsheet export, imported as `casebook import-csv` does: either every row lands
//! (with its past) or the file is refused, naming the line, and nothing is written.
#![no_main]

use casebook::import_csv::{self, CsvOptions};
use casebook_fuzz::Fixture;
use std::cell::RefCell;
use std::collections::HashMap;

thread_local!(static FIXTURE: RefCell<Fixture> = RefCell::new(Fixture::new(0)));

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // The first byte picks the options a user may pass; the rest is the file.
    let Some((&flags, file)) = data.split_first() else { return };
    let options = CsvOptions {
        ignore: if flags & 1 != 0 { vec!["type".into()] } else { vec![] },
        default_requester: (flags & 2 != 0).then(|| "someone@example.com".into()),
        requester_from_name: flags & 4 != 0,
        subject_from_body: flags & 8 != 0,
    };
    let mapping: HashMap<String, String> =
        if flags & 16 != 0 { import_csv::parse_mapping(&["body=Description".into(), "subject=Title".into()]).unwrap() } else { HashMap::new() };
    FIXTURE.with_borrow_mut(|f| {
        let path = f.file("import.csv", file);
        let before = f.fingerprint();
        match f.ws.import_csv(&path, &mapping, &options) {
            Ok(numbers) => {
                let after = f.fingerprint();
                assert_eq!(after.rows[0], before.rows[0] + numbers.len() as i64, "the import's tickets are not all there");
            }
            Err(e) => f.assert_unchanged(&before, "a CSV file", &e),
        }
    });
});
