//! A backup folder whose manifest.json is anything: reading and verifying it must refuse
//! cleanly, never name a file outside the backup, and never call a tampered backup good.
//! An input that is a JSON object is laid over the genuine manifest (its keys replace the
//! genuine ones), so that the fuzzer also reaches the checks after the first.
#![no_main]

use casebook::backup;
use casebook_fuzz::Fixture;
use std::cell::RefCell;
use std::path::PathBuf;

struct Backup {
    fixture: Fixture,
    dir: PathBuf,
    genuine: Vec<u8>,
}

thread_local!(static BACKUP: RefCell<Backup> = RefCell::new({
    let fixture = Fixture::new(5);
    let dir = fixture.dir().join("backup");
    fixture.ws.backup(&dir).expect("a backup of the fixture");
    let genuine = std::fs::read(dir.join("manifest.json")).unwrap();
    Backup { fixture, dir, genuine }
}));

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    BACKUP.with_borrow(|b| {
        let _ = &b.fixture;
        let mut written = data.to_vec();
        if let Ok(serde_json::Value::Object(over)) = serde_json::from_slice::<serde_json::Value>(data) {
            let mut m: serde_json::Value = serde_json::from_slice(&b.genuine).unwrap();
            for (k, v) in over {
                m[k] = v;
            }
            written = serde_json::to_vec(&m).unwrap();
        }
        std::fs::write(b.dir.join("manifest.json"), &written).unwrap();
        if let Ok(m) = backup::manifest(&b.dir) {
            for rel in &m.attachments {
                assert!(rel.starts_with("attachments/") && !rel.contains(".."), "the manifest names a file outside the backup: {rel}");
            }
        }
        let genuine: serde_json::Value = serde_json::from_slice(&b.genuine).unwrap();
        let verified = backup::verify(&b.dir);
        if verified.is_ok() {
            // Only what the proof does not cover (when and by whom) may differ.
            let mut given: serde_json::Value = serde_json::from_slice(&written).expect("a verified manifest is JSON");
            let mut genuine = genuine;
            for v in [&mut given, &mut genuine] {
                if let Some(o) = v.as_object_mut() {
                    o.remove("created_at");
                    o.remove("workspace");
                }
            }
            assert_eq!(given["content"], genuine["content"], "a manifest with other content verified");
        }
    });
});
