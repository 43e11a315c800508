//! Crash safety (PRODUCT O5): a child process writes through the engine — new tickets,
//! replies, status changes, imports, search index commits — and is killed with SIGKILL at a
//! random moment, over and over. After each kill the database and the index are reopened and
//! checked: every change the child reported as committed is there, nothing is half-written,
//! the event log and the tables agree, and the search index is brought back in line.
//!
//! 200 cycles by default (seeded: the same run every time); `CASEBOOK_CRASH_CYCLES=2000`
//! for a soak run. The child is this test binary itself, started with `CASEBOOK_CRASH_CHILD`.
//!
//! The sync kill test does the same to two laptops sharing a folder (a third of the cycles):
//! killed while changing, publishing, ingesting or writing a manifest, each reopens whole and
//! replays, and in the end both hold the same state with every reported change.

use casebook::model::{MessageKind, NewMessage, NewTicket, Priority, Status};
use casebook::search::SearchIndex;
use casebook::{SystemClock, Workspace, WorkspaceInit};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

/// The child: writes until killed, printing one line after each commit.
#[test]
#[ignore = "the child half of crash_cycles_lose_nothing_and_leave_nothing_half_written"]
fn crash_child() {
    let Some(db) = std::env::var_os("CASEBOOK_CRASH_CHILD") else { return };
    let seed: u64 = std::env::var("CASEBOOK_CRASH_SEED").unwrap().parse().unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut ws = Workspace::open(Path::new(&db), Arc::new(SystemClock)).unwrap();
    let index = SearchIndex::open(&ws.data_dir()).unwrap();
    let mut out = std::io::stdout().lock();
    let max: i64 = ws.connection().query_row("SELECT max(number) FROM tickets", [], |r| r.get(0)).unwrap();
    for i in 0.. {
        let tag = format!("c{seed}-{i}");
        let pick = rng.random_range(1..=max.max(1));
        let line = match rng.random_range(0..10) {
            0..=2 => {
                let t = ws
                    .create_ticket(&NewTicket {
                        subject: format!("Crash ticket {tag}"),
                        description: format!("Printer {tag} is offline"),
                        requester_email: format!("{tag}@example.com"),
                        priority: Some(Priority::High),
                        ..Default::default()
                    })
                    .unwrap();
                format!("created {} {tag}", t.number)
            }
            3..=5 => match ws.add_message(pick, &NewMessage::new(MessageKind::Public, format!("Reply {tag}"))) {
                Ok(m) => format!("message {pick} {}", m.id),
                Err(_) => continue, // closed ticket
            },
            6 | 7 => {
                let to = [Status::Pending, Status::Open, Status::Resolved][rng.random_range(0..3)];
                match ws.set_status(pick, to, None) {
                    Ok(_) => format!("status {pick} {}", to.as_str()),
                    Err(_) => continue, // not allowed from where it is
                }
            }
            8 => {
                let batch: Vec<NewTicket> = (0..3)
                    .map(|k| NewTicket {
                        subject: format!("Imported {tag}-{k}"),
                        description: "From the old system".into(),
                        requester_email: format!("import{k}@example.com"),
                        ..Default::default()
                    })
                    .collect();
                let numbers = ws.import_tickets(&batch).unwrap();
                format!("imported {} {tag}", numbers.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(","))
            }
            _ => {
                index.catch_up(ws.connection()).unwrap();
                continue;
            }
        };
        writeln!(out, "ok {line}").unwrap();
        out.flush().unwrap();
    }
}

/// Runs the child test `name` (this binary, with `var` set and the cycle as its seed), kills
/// it with SIGKILL after `ms` milliseconds, and returns what it reported as committed.
fn run_child_until_killed(name: &str, var: (&str, &std::ffi::OsStr), cycle: u64, ms: u64) -> Vec<String> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--ignored", "--nocapture", "--test-threads=1"])
        .env(var.0, var.1)
        .env("CASEBOOK_CRASH_SEED", cycle.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        BufReader::new(stdout).lines().map_while(Result::ok).filter_map(|l| l.strip_prefix("ok ").map(str::to_string)).collect::<Vec<_>>()
    });
    std::thread::sleep(Duration::from_millis(ms));
    child.kill().unwrap();
    child.wait().unwrap();
    reader.join().unwrap()
}

fn count(conn: &rusqlite::Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn crash_cycles_lose_nothing_and_leave_nothing_half_written() {
    let cycles: u64 = std::env::var("CASEBOOK_CRASH_CYCLES").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("casebook.db");
    {
        let mut ws = Workspace::create(&db, Arc::new(SystemClock), &WorkspaceInit::default()).unwrap();
        for i in 0..5 {
            ws.create_ticket(&NewTicket {
                subject: format!("Seed ticket {i}"),
                description: "x".into(),
                requester_email: "seed@example.com".into(),
                ..Default::default()
            })
            .unwrap();
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let mut reported: Vec<String> = Vec::new();
    for cycle in 0..cycles {
        let ms = rng.random_range(30..250);
        reported.extend(run_child_until_killed("crash::crash_child", ("CASEBOOK_CRASH_CHILD", db.as_os_str()), cycle, ms));

        // Reopen as the app would, and check everything.
        let ws = Workspace::open(&db, Arc::new(SystemClock)).unwrap_or_else(|e| panic!("cycle {cycle}: cannot reopen: {e}"));
        let conn = ws.connection();
        let integrity: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(integrity, "ok", "cycle {cycle}");
        assert_eq!(count(conn, "SELECT count(*) FROM pragma_foreign_key_check"), 0, "cycle {cycle}");
        // The log and the tables agree: one creation event per ticket, one event per message.
        assert_eq!(
            count(conn, "SELECT count(*) FROM tickets"),
            count(conn, "SELECT count(*) FROM events WHERE kind = 'ticket.created'"),
            "cycle {cycle}"
        );
        assert_eq!(
            count(conn, "SELECT count(*) FROM messages"),
            count(conn, "SELECT count(*) FROM events WHERE kind = 'message.added'"),
            "cycle {cycle}"
        );
        // No ticket without its first message.
        assert_eq!(
            count(conn, "SELECT count(*) FROM tickets t WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.ticket_id = t.id)"),
            0,
            "cycle {cycle}"
        );
        // The search index is repaired on open and agrees with the database.
        let index = SearchIndex::open(&ws.data_dir()).unwrap_or_else(|e| panic!("cycle {cycle}: index: {e}"));
        index.sync(conn).unwrap();
        let status = index.status(conn).unwrap();
        assert_eq!(status.problem, None, "cycle {cycle}");
        assert_eq!(status.documents as i64, status.tickets, "cycle {cycle}");
        // The log alone rebuilds what survived the kill.
        let replay = casebook::events::replay::check(&db).unwrap();
        assert!(replay.ok(), "cycle {cycle}: replay differs: {:#?}", replay.differences);
    }

    // Every change the child saw committed is there.
    let ws = Workspace::open(&db, Arc::new(SystemClock)).unwrap();
    let conn = ws.connection();
    let messages: HashSet<String> =
        conn.prepare("SELECT id FROM messages").unwrap().query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    let mut checked = 0;
    for line in &reported {
        let parts: Vec<&str> = line.split(' ').collect();
        match parts[0] {
            "created" => {
                let t = ws.ticket(parts[1].parse().unwrap()).unwrap();
                assert_eq!(t.subject, format!("Crash ticket {}", parts[2]));
            }
            "message" => assert!(messages.contains(parts[2]), "reply {} on #{} is missing", parts[2], parts[1]),
            "status" => {
                let n: i64 = parts[1].parse().unwrap();
                let changes = ws.history(n).unwrap().into_iter().filter(|e| e.kind == "ticket.status_changed" && e.payload["to"] == parts[2]).count();
                assert!(changes > 0, "#{n}: the change to {} is missing", parts[2]);
            }
            "imported" => {
                for n in parts[1].split(',') {
                    assert!(ws.ticket(n.parse().unwrap()).unwrap().subject.starts_with("Imported "));
                }
            }
            other => panic!("unknown line {other}"),
        }
        checked += 1;
    }
    assert!(checked > cycles as usize, "the children committed too little to prove anything ({checked} changes)");
    eprintln!("{cycles} kill cycles, {checked} committed changes checked");
}

/// The child of the sync kill test: two laptops in one process, each changing a ticket and
/// passing (publish, ingest) in turn, until killed; one line after each committed change.
#[test]
#[ignore = "the child half of sync_passes_killed_at_any_moment_lose_nothing"]
fn sync_crash_child() {
    let Some(dir) = std::env::var_os("CASEBOOK_SYNC_CRASH_CHILD") else { return };
    let seed: u64 = std::env::var("CASEBOOK_CRASH_SEED").unwrap().parse().unwrap();
    let dir = Path::new(&dir);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut laptops: Vec<Workspace> =
        ["a", "b"].iter().map(|l| Workspace::open(&dir.join(l).join("ws.db"), Arc::new(SystemClock)).unwrap()).collect();
    let mut out = std::io::stdout().lock();
    for i in 0.. {
        let l = rng.random_range(0..2);
        let ws = &mut laptops[l];
        let tag = format!("s{seed}-{i}");
        let line = if rng.random_range(0..3) == 0 {
            let t = ws
                .create_ticket(&NewTicket {
                    subject: format!("Synced {tag}"),
                    description: "x".into(),
                    requester_email: "sync@example.com".into(),
                    ..Default::default()
                })
                .unwrap();
            Some(format!("created {} {tag}", t.id))
        } else {
            let max: i64 = ws.connection().query_row("SELECT max(number) FROM tickets", [], |r| r.get(0)).unwrap();
            let n = rng.random_range(1..=max);
            ws.add_message(n, &NewMessage::new(MessageKind::Internal, format!("Note {tag}"))).ok().map(|m| format!("message {} {tag}", m.id))
        };
        if let Some(line) = line {
            writeln!(out, "ok {line}").unwrap();
            out.flush().unwrap();
        }
        laptops[l].sync_pass().unwrap();
        laptops[1 - l].sync_pass().unwrap();
    }
}

#[test]
fn sync_passes_killed_at_any_moment_lose_nothing() {
    let cycles: u64 = std::env::var("CASEBOOK_CRASH_CYCLES").ok().and_then(|v| v.parse::<u64>().ok()).map_or(60, |c| c / 3);
    let dir = tempfile::tempdir().unwrap();
    let share = dir.path().join("share");
    std::fs::create_dir_all(&share).unwrap();
    {
        let mut a = Workspace::create(&dir.path().join("a/ws.db"), Arc::new(SystemClock), &WorkspaceInit::default()).unwrap();
        a.create_ticket(&NewTicket {
            subject: "First".into(),
            description: "x".into(),
            requester_email: "seed@example.com".into(),
            ..Default::default()
        })
        .unwrap();
        a.sync_init(&share).unwrap();
        Workspace::join(&dir.path().join("b/ws.db"), &share, Arc::new(SystemClock), "admin@casebook.local").unwrap();
    }
    let mut rng = ChaCha8Rng::seed_from_u64(15);
    let mut reported: Vec<String> = Vec::new();
    for cycle in 0..cycles {
        // Killed in a change, a publish, an ingest or a manifest.
        let ms = rng.random_range(40..300);
        reported.extend(run_child_until_killed("crash::sync_crash_child", ("CASEBOOK_SYNC_CRASH_CHILD", dir.path().as_os_str()), cycle, ms));
        for l in ["a", "b"] {
            let db = dir.path().join(l).join("ws.db");
            let ws = Workspace::open(&db, Arc::new(SystemClock)).unwrap_or_else(|e| panic!("cycle {cycle}: {l} cannot reopen: {e}"));
            let integrity: String = ws.connection().query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
            assert_eq!(integrity, "ok", "cycle {cycle}, laptop {l}");
            let replay = casebook::events::replay::check(&db).unwrap();
            assert!(replay.ok(), "cycle {cycle}, laptop {l}: {:#?}", replay.differences);
        }
    }
    // Both laptops pass until quiet: they hold the same state, with every change reported.
    let mut laptops: Vec<Workspace> =
        ["a", "b"].iter().map(|l| Workspace::open(&dir.path().join(l).join("ws.db"), Arc::new(SystemClock)).unwrap()).collect();
    for _ in 0..4 {
        for ws in &mut laptops {
            ws.sync_pass().unwrap();
        }
    }
    let digests: Vec<String> = laptops.iter().map(|ws| casebook::events::replay::digest(ws.connection()).unwrap()).collect();
    assert_eq!(digests[0], digests[1], "the two laptops converge after the kills");
    for ws in &laptops {
        let conn = ws.connection();
        for line in &reported {
            let parts: Vec<&str> = line.split(' ').collect();
            let table = if parts[0] == "created" { "tickets" } else { "messages" };
            assert_eq!(count(conn, &format!("SELECT count(*) FROM {table} WHERE id = '{}'", parts[1])), 1, "{line} is missing");
        }
        let s = ws.sync_status().unwrap();
        assert!(s.paused.is_none() && s.divergences.is_empty(), "{s:?}");
    }
    assert!(reported.len() > cycles as usize, "the children committed too little to prove anything ({})", reported.len());
    eprintln!("{cycles} sync kill cycles, {} committed changes checked on both laptops", reported.len());
}

use crate::mail_servers;

/// The child of the mail kill test: fetches from the test's Dovecot until killed.
#[test]
#[ignore = "the child half of mail_fetches_killed_at_any_moment_store_each_message_once"]
fn mail_crash_child() {
    let Some(db) = std::env::var_os("CASEBOOK_MAIL_CRASH_CHILD") else { return };
    let mut ws = Workspace::open(Path::new(&db), Arc::new(SystemClock)).unwrap();
    loop {
        let r = ws.fetch_mail("secret").unwrap();
        println!("ok fetched {}", r.fetched);
    }
}

/// One of 40 threads, message `k` (0: the customer's first mail; 1 and 2 reply to it).
fn thread_mail(t: usize, k: usize) -> Vec<u8> {
    let refs = if k == 0 { String::new() } else { format!("In-Reply-To: <t{t}-m0@customer.example>\r\nReferences: <t{t}-m0@customer.example>\r\n") };
    let subject = if k == 0 { format!("Thread {t} needs help") } else { format!("Re: Thread {t} needs help") };
    format!(
        "From: customer{t}@customer.example\r\nTo: support@casebook.test\r\nSubject: {subject}\r\nMessage-ID: <t{t}-m{k}@customer.example>\r\n{refs}Date: Tue, 1 Dec 2026 09:{k:02}:00 +0000\r\n\r\nMessage {k} of thread {t}.\r\n"
    )
    .into_bytes()
}

/// Exactly once under kills (PRODUCT O5 for mail): the fetch is killed with SIGKILL at random
/// moments, 300 times by default, while the server now and then forgets its UIDs or has every
/// message expunged and saved again under new UIDs. After every kill the database reopens
/// whole and replays; in the end each of the 120 messages is stored once, on its thread's
/// ticket (40 tickets).
#[test]
fn mail_fetches_killed_at_any_moment_store_each_message_once() {
    let cycles: u64 = std::env::var("CASEBOOK_CRASH_CYCLES").ok().and_then(|v| v.parse::<u64>().ok()).map_or(300, |c| c * 3 / 2);
    let dove = mail_servers::Dovecot::start();
    let deliver_all = || {
        for t in 0..40 {
            for k in 0..3 {
                dove.deliver("INBOX", &thread_mail(t, k));
            }
        }
    };
    deliver_all();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ws.db");
    {
        let mut ws = Workspace::create(&db, Arc::new(SystemClock), &WorkspaceInit::default()).unwrap();
        ws.set_mailbox_settings(&casebook::mail::MailboxSettings {
            imap_host: "127.0.0.1".into(),
            imap_port: dove.port,
            imap_security: casebook::mail::Security::None,
            imap_user: "alice".into(),
            imap_folder: "INBOX".into(),
            smtp_host: "127.0.0.1".into(),
            smtp_port: 25,
            smtp_security: casebook::mail::Security::None,
            smtp_user: String::new(),
            extra_ca_pem: None,
        })
        .unwrap();
    }
    let mut rng = ChaCha8Rng::seed_from_u64(16);
    for cycle in 0..cycles {
        match rng.random_range(0..30) {
            0 => {
                let v = (1000 + cycle).to_string();
                dove.doveadm(&["mailbox", "update", "-u", "alice", "--uid-validity", &v, "INBOX"]);
            }
            1 => {
                dove.doveadm(&["expunge", "-u", "alice", "mailbox", "INBOX", "all"]);
                deliver_all();
            }
            _ => {}
        }
        let ms = rng.random_range(20..200);
        run_child_until_killed("crash::mail_crash_child", ("CASEBOOK_MAIL_CRASH_CHILD", db.as_os_str()), cycle, ms);
        let ws = Workspace::open(&db, Arc::new(SystemClock)).unwrap_or_else(|e| panic!("cycle {cycle}: cannot reopen: {e}"));
        let conn = ws.connection();
        let integrity: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(integrity, "ok", "cycle {cycle}");
        assert_eq!(
            count(conn, "SELECT count(*) - count(DISTINCT fingerprint) FROM mail_messages WHERE direction = 'in'"),
            0,
            "cycle {cycle}: a message stored twice"
        );
        if cycle % 25 == 0 {
            let replay = casebook::events::replay::check(&db).unwrap();
            assert!(replay.ok(), "cycle {cycle}: {:#?}", replay.differences);
        }
    }
    let mut ws = Workspace::open(&db, Arc::new(SystemClock)).unwrap();
    ws.fetch_mail("secret").unwrap();
    let conn = ws.connection();
    assert_eq!(count(conn, "SELECT count(*) FROM mail_messages WHERE direction = 'in'"), 120, "every message, once");
    assert_eq!(count(conn, "SELECT count(*) FROM tickets"), 40, "one ticket per thread");
    assert_eq!(
        count(conn, "SELECT count(*) FROM (SELECT ticket_id FROM mail_messages GROUP BY ticket_id HAVING count(*) = 3)"),
        40,
        "each thread on its ticket"
    );
    let replay = casebook::events::replay::check(&db).unwrap();
    assert!(replay.ok(), "{:#?}", replay.differences);
    // How much was read again (after resets and kills) and skipped as already stored.
    let duplicates = count(conn, "SELECT count(*) FROM mail_log WHERE outcome = 'duplicate'");
    println!("{cycles} kills; {duplicates} messages fetched again and recognised");
    assert!(duplicates > 0, "the server's resets never made the fetch read a message again");
}
