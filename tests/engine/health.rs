//! The integrity check (PRODUCT S4): a workspace with deliberately broken pieces — a dropped
//! search index entry, a deleted attachment, hand-edited rows, a stray file, a clock ahead,
//! a damaged page — has every problem named with its tickets, and the repairable ones repaired.

use crate::common::{env, Env};
use casebook::model::{MessageKind, NewMessage, Priority};
use casebook::search::SearchIndex;
use casebook::Workspace;

fn workspace() -> Env {
    let mut e = env("2026-03-02T09:00:00Z");
    for i in 0..12 {
        e.ticket(&format!("Printer {i} offline"), Priority::High);
    }
    let file = e.dir.path().join("log.txt");
    std::fs::write(&file, "paper jam at tray 2").unwrap();
    let mut msg = NewMessage::new(MessageKind::Internal, "log attached");
    msg.attachments = vec![file];
    e.ws.add_message(3, &msg).unwrap();
    SearchIndex::open(&e.ws.data_dir()).unwrap().rebuild(e.ws.connection()).unwrap();
    e
}

/// Deletes ticket `number`'s document from the index behind Casebook's back, keeping the
/// commit's payload (the applied event sequence) so only the count gives it away.
fn drop_index_entry(data_dir: &std::path::Path, ticket_id: &str) {
    let root = data_dir.join("index");
    let generation = std::fs::read_to_string(root.join("CURRENT")).unwrap();
    let index = tantivy::Index::open_in_dir(root.join(generation.trim())).unwrap();
    let payload = index.load_metas().unwrap().payload.unwrap();
    let id = index.schema().get_field("id").unwrap();
    let mut writer: tantivy::IndexWriter = index.writer(15_000_000).unwrap();
    writer.delete_term(tantivy::Term::from_field_text(id, ticket_id));
    let mut prepared = writer.prepare_commit().unwrap();
    prepared.set_payload(&payload);
    prepared.commit().unwrap();
}

#[test]
fn a_healthy_workspace_checks_ok() {
    let e = workspace();
    let index = SearchIndex::open(&e.ws.data_dir()).unwrap();
    let report = e.ws.check_health(Some(&index)).unwrap();
    assert!(report.ok, "{:#?}", report.findings);
    assert!(report.checked.len() >= 6);
}

#[test]
fn broken_pieces_are_each_named_and_the_repairable_ones_repaired() {
    let mut e = workspace();
    let data = e.ws.data_dir();
    let conn = rusqlite::Connection::open(e.db()).unwrap();
    let id = |n: i64| conn.query_row("SELECT id FROM tickets WHERE number = ?1", [n], |r| r.get::<_, String>(0)).unwrap();

    drop_index_entry(&data, &id(7));
    let sha: String = conn.query_row("SELECT sha256 FROM attachments", [], |r| r.get(0)).unwrap();
    std::fs::remove_file(data.join(format!("attachments/{}/{sha}", &sha[..2]))).unwrap();
    std::fs::create_dir_all(data.join("attachments/00")).unwrap();
    std::fs::write(data.join(format!("attachments/00/00{}", "1".repeat(62))), "stray").unwrap();
    conn.execute("UPDATE tickets SET status = 'pending' WHERE number = 4", []).unwrap();
    conn.execute("UPDATE tickets SET frt_due_at = 1 WHERE number = 5", []).unwrap();
    conn.execute("UPDATE events SET at = at + 86400000 * 30 WHERE ticket_id = ?1", [id(6)]).unwrap();
    conn.execute("UPDATE tickets SET assignee_id = (SELECT id FROM agents LIMIT 1) WHERE number = 8", []).unwrap();
    conn.execute("UPDATE agents SET active = 0", []).unwrap();

    let index = SearchIndex::open(&data).unwrap();
    let report = e.ws.check_health(Some(&index)).unwrap();
    assert!(!report.ok);
    let found = |area: &str, words: &str| {
        report
            .findings
            .iter()
            .find(|f| f.area == area && f.problem.contains(words))
            .unwrap_or_else(|| panic!("no {area} finding about '{words}' in {:#?}", report.findings))
            .clone()
    };
    assert_eq!(found("search", "missing from the search index").tickets, vec![7]);
    assert_eq!(found("attachments", "missing").tickets, vec![3]);
    assert!(found("attachments", "belong to no message").repairable);
    assert_eq!(found("events", "status their history does not explain").tickets, vec![4]);
    assert_eq!(found("sla", "stored SLA times").tickets, vec![5]);
    assert_eq!(found("clock", "future").tickets, vec![6]);
    assert_eq!(found("views", "no longer active").tickets, vec![8]);

    let done = e.ws.repair(Some(&index), &report).unwrap();
    assert_eq!(done.len(), 3, "{done:?}");
    let after = e.ws.check_health(Some(&index)).unwrap();
    let areas: Vec<&str> = after.findings.iter().map(|f| f.area.as_str()).collect();
    // What needs a person is still reported; the rest is fixed.
    assert_eq!(areas, vec!["events", "attachments", "views", "clock"], "{:#?}", after.findings);
    assert!(after.findings.iter().all(|f| !f.repairable));
    assert!(data.join(format!("attachments-unreferenced/00{}", "1".repeat(62))).exists(), "moved aside, not deleted");
    assert_eq!(index.search_numbers("printer", &Default::default(), 50).unwrap().1, 12);
}

#[test]
fn a_damaged_page_is_reported_with_its_tickets_not_a_crash() {
    let mut e = workspace();
    for i in 0..300 {
        let n = e.ticket(&format!("Filler {i}"), Priority::Low);
        e.ws.add_message(n, &NewMessage::new(MessageKind::Public, "x".repeat(2000))).unwrap();
    }
    let db = e.db();
    let clock = e.ws.clock();
    drop(std::mem::replace(&mut e.ws, Workspace::open(&db, clock.clone()).unwrap()));
    e.ws.connection().execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").unwrap();
    drop(e.ws);
    // Overwrite a page in the middle of the file (the messages' pages are most of it).
    {
        use std::io::{Seek, SeekFrom, Write};
        let len = std::fs::metadata(&db).unwrap().len();
        let mut f = std::fs::OpenOptions::new().write(true).open(&db).unwrap();
        f.seek(SeekFrom::Start((len / 2) / 8192 * 8192)).unwrap();
        f.write_all(&[0x5A; 8192]).unwrap();
    }
    let ws = Workspace::open(&db, clock).unwrap();
    let report = ws.check_health(None).unwrap();
    assert!(!report.ok);
    let f = &report.findings[0];
    assert_eq!(f.area, "database");
    assert!(f.problem.contains("SQLite reports damage"), "{}", f.problem);
    assert!(!f.tickets.is_empty(), "the damaged page's tickets are named: {f:#?}");
    assert!(!f.repairable);
}
