//! The lossless export (PRODUCT O4): export → import into a new database → export again gives
//! identical files, the same rows and the attachments; a bad file is refused naming the
//! record and field, and leaves nothing behind.

use crate::common::{env, fingerprint, walk};
use casebook::export;
use casebook::model::{MessageKind, NewMessage, Priority, Status};

fn workspace() -> crate::common::Env {
    let mut e = env("2026-03-02T09:00:00Z");
    for i in 0..15 {
        let n = e.ticket(&format!("Printer {i} offline — 프린터 {i} 오류 — drukarka {i}"), Priority::High);
        e.ws.add_message(n, &NewMessage::new(MessageKind::Public, "Which model?")).unwrap();
        if i % 3 == 0 {
            e.ws.set_status(n, Status::Resolved, None).unwrap();
        }
    }
    let file = e.dir.path().join("log.txt");
    std::fs::write(&file, "paper jam at tray 2").unwrap();
    let mut msg = NewMessage::new(MessageKind::Internal, "log attached");
    msg.attachments = vec![file];
    e.ws.add_message(2, &msg).unwrap();
    e.ws.add_message(4, &NewMessage::new(MessageKind::Customer, "Please fix ASAP")).unwrap();
    e
}

#[test]
fn export_import_export_is_identical() {
    let e = workspace();
    let out = tempfile::tempdir().unwrap();
    let first = out.path().join("first.json");
    let r = e.ws.export(&first).unwrap();
    assert_eq!((r.tickets, r.attachments), (15, 1));

    let db = out.path().join("new").join("casebook.db");
    let imported = export::import(&first, &db).unwrap();
    assert_eq!(imported.rows, r.rows);
    assert_eq!(fingerprint(&db), fingerprint(&e.db()), "the same rows in every table");

    let ws = casebook::Workspace::open(&db, e.ws.clock()).unwrap();
    let second = out.path().join("second.json");
    ws.export(&second).unwrap();
    assert_eq!(std::fs::read(&first).unwrap(), std::fs::read(&second).unwrap(), "byte-identical exports");
    let att = walk(&export::attachments_dir(&second));
    assert_eq!(att.len(), 1);
    assert_eq!(std::fs::read(&att[0]).unwrap(), b"paper jam at tray 2");
    let alerts = ws.ticket_detail(4).unwrap().alerts;
    assert!(alerts.iter().any(|a| a.terms == ["asap"]));
    assert_eq!(alerts, e.ws.ticket_detail(4).unwrap().alerts, "alerts travel too");
}

#[test]
fn a_bad_export_is_refused_by_record_and_field_and_leaves_nothing() {
    let e = workspace();
    let out = tempfile::tempdir().unwrap();
    let good = out.path().join("good.json");
    e.ws.export(&good).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&good).unwrap()).unwrap();

    let variant = |name: &str, f: &dyn Fn(&mut serde_json::Value)| {
        let mut d = doc.clone();
        f(&mut d);
        let p = out.path().join(format!("{name}.json"));
        std::fs::write(&p, serde_json::to_vec(&d).unwrap()).unwrap();
        if export::attachments_dir(&good).exists() {
            let to = export::attachments_dir(&p);
            for file in walk(&export::attachments_dir(&good)) {
                let rel = file.strip_prefix(export::attachments_dir(&good)).unwrap();
                std::fs::create_dir_all(to.join(rel).parent().unwrap()).unwrap();
                std::fs::copy(&file, to.join(rel)).unwrap();
            }
        }
        p
    };
    let cases = [
        (variant("priority", &|d| d["tables"]["tickets"][2]["priority"] = serde_json::json!("very")), "tickets record 3"),
        (variant("status", &|d| d["tables"]["tickets"][0]["status"] = serde_json::json!("lost")), "tickets record 1"),
        (variant("dangling", &|d| d["tables"]["messages"][0]["ticket_id"] = serde_json::json!("no-such-ticket")), "refers to a tickets record"),
        (variant("unknown-field", &|d| d["tables"]["tickets"][0]["colour"] = serde_json::json!("red")), "unknown field 'colour'"),
        (variant("unknown-table", &|d| d["tables"]["widgets"] = serde_json::json!([])), "table 'widgets'"),
        (variant("version", &|d| d["schema_version"] = serde_json::json!(99)), "schema 99"),
        (variant("not-export", &|d| *d = serde_json::json!({"tickets": []})), "not a Casebook export"),
    ];
    for (file, words) in cases {
        let target = tempfile::tempdir().unwrap();
        let db = target.path().join("new").join("casebook.db");
        let err = export::import(&file, &db).unwrap_err();
        assert!(err.to_string().contains(words), "{}: {err}", file.display());
        assert!(std::fs::read_dir(target.path()).unwrap().next().is_none(), "{}: left {:?}", file.display(), walk(target.path()));
    }
    // A missing attachment is named too.
    let no_att = variant("no-att", &|_| {});
    std::fs::remove_dir_all(export::attachments_dir(&no_att)).unwrap();
    let target = tempfile::tempdir().unwrap();
    let err = export::import(&no_att, &target.path().join("casebook.db")).unwrap_err();
    assert!(err.to_string().contains("is not beside it"), "{err}");
    assert!(walk(target.path()).is_empty());
}
