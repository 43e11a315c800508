//! Bad input gets a clear error and changes nothing (issue 2, "Bad input"): each case
//! compares the whole database content before and after.

use crate::common::{env, fingerprint};
use casebook::model::{MessageKind, NewMessage, NewTicket, Priority, Status};
use casebook::{Error, Field, SystemClock, Workspace};
use std::sync::Arc;

fn valid() -> NewTicket {
    NewTicket { subject: "VPN drops".into(), description: "Since Monday".into(), requester_email: "kim.jiho@acme.kr".into(), ..Default::default() }
}

#[test]
fn each_bad_input_is_refused_in_words_and_the_database_is_unchanged() {
    let mut e = env("2026-03-02T09:00:00Z");
    let n = e.ticket("Existing", Priority::Medium);
    let closed = e.ticket("Closed one", Priority::Medium);
    e.ws.set_status(closed, Status::Resolved, None).unwrap();
    e.ws.set_status(closed, Status::Closed, None).unwrap();
    let before = fingerprint(&e.db());
    let huge = "x".repeat(1024 * 1024 + 1);

    let cases: Vec<(&str, Result<(), Error>, &str)> = vec![
        ("empty subject", e.ws.create_ticket(&NewTicket { subject: "   ".into(), ..valid() }).map(|_| ()), "Subject can't be empty"),
        ("bad email", e.ws.create_ticket(&NewTicket { requester_email: "kim at acme".into(), ..valid() }).map(|_| ()), "not an email address"),
        ("unknown type", e.ws.create_ticket(&NewTicket { ticket_type: Some("Gardening".into()), ..valid() }).map(|_| ()), "not a ticket type"),
        ("bad tag", e.ws.create_ticket(&NewTicket { tags: vec!["two words".into()], ..valid() }).map(|_| ()), "not a tag"),
        (
            "unknown assignee",
            e.ws.create_ticket(&NewTicket { assignee_email: Some("ghost@acme.test".into()), ..valid() }).map(|_| ()),
            "does not exist",
        ),
        ("body over 1 MiB", e.ws.create_ticket(&NewTicket { description: huge.clone(), ..valid() }).map(|_| ()), "limit is 1 MiB"),
        ("reply over 1 MiB", e.ws.add_message(n, &NewMessage::new(MessageKind::Public, huge.clone())).map(|_| ()), "limit is 1 MiB"),
        ("empty reply", e.ws.add_message(n, &NewMessage::new(MessageKind::Public, " \n ")).map(|_| ()), "can't be empty"),
        ("unknown ticket", e.ws.add_message(999, &NewMessage::new(MessageKind::Public, "hi")).map(|_| ()), "#999 does not exist"),
        ("unknown ticket set", e.ws.set_priority(999, Priority::High).map(|_| ()), "#999 does not exist"),
        ("invalid status name", Status::parse("done-ish").map(|_| ()), "not a status"),
        ("invalid field", Field::parse("colour").map(|_| ()), "not a field"),
        ("invalid priority", e.ws.set_field(n, Field::Priority, "critical").map(|_| ()), "not a priority"),
        ("illegal transition", e.ws.set_status(n, Status::New, None).map(|_| ()), "cannot go from New to New"),
        ("close unsolved", e.ws.set_status(n, Status::Closed, None).map(|_| ()), "resolve it first"),
        ("reason on open", e.ws.set_status(n, Status::Open, Some(casebook::model::Resolution::Solved)).map(|_| ()), "only applies"),
        ("editing a closed ticket", e.ws.set_field(closed, Field::Tags, "x").map(|_| ()), "is closed"),
        ("merge into itself", e.ws.merge(n, n).map(|_| ()), "into itself"),
        ("import with one bad record", e.ws.import_tickets(&[valid(), NewTicket { subject: "".into(), ..valid() }]).map(|_| ()), "record 2"),
    ];
    for (name, result, words) in cases {
        let err = result.expect_err(name);
        assert!(err.to_string().contains(words), "{name}: {err}");
        assert_eq!(before, fingerprint(&e.db()), "{name} changed the database");
    }
}

#[test]
fn a_file_that_is_not_a_casebook_database_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(SystemClock);
    // A text file.
    let text = dir.path().join("notes.db");
    std::fs::write(&text, "hello, not a database at all, but long enough to have a header ........................................").unwrap();
    let err = Workspace::open(&text, clock.clone()).err().unwrap();
    assert!(matches!(err, Error::NotAWorkspace { .. }), "{err}");
    // Another program's SQLite file.
    let other = dir.path().join("other.db");
    rusqlite::Connection::open(&other).unwrap().execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);").unwrap();
    let bytes = std::fs::read(&other).unwrap();
    let err = Workspace::open(&other, clock.clone()).err().unwrap();
    assert!(err.to_string().contains("another program"), "{err}");
    assert_eq!(bytes, std::fs::read(&other).unwrap());
    // An empty file and a missing one.
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    assert!(matches!(Workspace::open(&empty, clock.clone()), Err(Error::NotAWorkspace { .. })));
    assert!(matches!(Workspace::open(&dir.path().join("missing.db"), clock.clone()), Err(Error::NoWorkspace { .. })));
    // A truncated Casebook database.
    let e = env("2026-03-02T09:00:00Z");
    let path = e.db();
    drop(e.ws);
    let full = std::fs::read(&path).unwrap();
    let cut = dir.path().join("cut.db");
    std::fs::write(&cut, &full[..full.len().min(50)]).unwrap();
    assert!(Workspace::open(&cut, clock).is_err());
}

#[test]
fn a_database_from_a_newer_casebook_is_refused_and_not_modified() {
    let e = env("2026-03-02T09:00:00Z");
    let path = e.db();
    drop(e.ws);
    rusqlite::Connection::open(&path).unwrap().pragma_update(None, "user_version", 99).unwrap();
    let before = std::fs::read(&path).unwrap();
    let err = Workspace::open(&path, Arc::new(SystemClock)).err().unwrap();
    assert!(matches!(err, Error::SchemaTooNew { found: 99, .. }), "{err}");
    assert!(err.to_string().contains("newer Casebook"));
    assert_eq!(before, std::fs::read(&path).unwrap());
}

#[test]
fn creating_over_an_existing_workspace_is_refused() {
    let e = env("2026-03-02T09:00:00Z");
    let err = Workspace::create(&e.db(), Arc::new(SystemClock), &Default::default()).err().unwrap();
    assert!(matches!(err, Error::AlreadyExists { .. }));
}

#[test]
fn errors_cross_as_code_and_message_and_what_the_window_translates() {
    let err = casebook::validate::subject("  ").unwrap_err();
    let json = serde_json::to_value(casebook::ErrorPayload::from(&err)).unwrap();
    let problem = serde_json::json!({ "key": "subject_empty" });
    assert_eq!(json, serde_json::json!({ "code": "validation", "message": "Subject can't be empty", "field": "subject", "problem": problem }));
    let json = serde_json::to_value(casebook::ErrorPayload::from(&Error::TicketClosed { number: 7 })).unwrap();
    let problem = serde_json::json!({ "key": "ticket_closed", "args": { "number": 7 } });
    assert_eq!(
        json,
        serde_json::json!({ "code": "ticket_closed", "message": "ticket #7 is closed and can no longer be changed", "problem": problem })
    );
    // A refusal in English words only carries no problem: the window shows its words.
    let json = serde_json::to_value(casebook::ErrorPayload::from(&Error::validation("file", "no column for requester"))).unwrap();
    assert_eq!(json, serde_json::json!({ "code": "validation", "message": "no column for requester", "field": "file" }));
}
