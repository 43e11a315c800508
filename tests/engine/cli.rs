//! The `casebook` binary as a user runs it: the worked example of the README, JSON output,
//! exit codes and errors in words.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn casebook(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_casebook")).arg("--db").arg(db).args(args).env_remove("CASEBOOK_DB").output().unwrap()
}

fn ok_json(db: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = casebook(db, &all);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn fails(db: &Path, args: &[&str], words: &str) {
    let out = casebook(db, args);
    assert!(!out.status.success(), "{args:?} should fail");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(words), "{args:?}: {stderr}");
}

#[test]
fn the_worked_example() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ws.db");
    fn with_now<'a>(args: &[&'a str]) -> Vec<&'a str> {
        [&["--now", "2026-03-02T09:00:00Z"][..], args].concat()
    }

    let init = ok_json(&db, &with_now(&["init", "--name", "Mina Park", "--email", "mina@acme.test"]));
    assert_eq!(init["admin"]["email"], "mina@acme.test");

    let t = ok_json(
        &db,
        &with_now(&[
            "new",
            "--subject",
            "VPN drops every 10 minutes",
            "--body",
            "Since Monday.",
            "--requester",
            "kim.jiho@acme.kr",
            "--priority",
            "urgent",
            "--tag",
            "vpn",
        ]),
    );
    assert_eq!((t["number"].as_i64(), t["status"].as_str(), t["priority"].as_str()), (Some(1), Some("new"), Some("urgent")));
    assert_eq!(t["subject"], "VPN drops every 10 minutes");

    // Twelve minutes later it is at risk; twenty minutes later, breached.
    let list = ok_json(&db, &["--now", "2026-03-02T09:12:00Z", "list", "--view", "breaching-soon"]);
    assert_eq!(list["tickets"][0]["number"], 1);
    assert_eq!(list["tickets"][0]["sla"]["state"], "at_risk");
    let sla = ok_json(&db, &["--now", "2026-03-02T09:20:00Z", "sla", "1"]);
    assert_eq!(sla["sla"]["first_response"]["state"], "breached");
    assert_eq!(sla["sla"]["first_response"]["remaining_seconds"], -300);

    ok_json(&db, &["--now", "2026-03-02T09:21:00Z", "reply", "1", "--body", "Which VPN client?"]);
    let t = ok_json(&db, &["--now", "2026-03-02T09:22:00Z", "set", "1", "status", "pending"]);
    assert_eq!(t["status"], "pending");
    let r = ok_json(&db, &["--now", "2026-03-02T10:00:00Z", "reply", "1", "--customer", "--body", "FortiClient 7.2"]);
    assert_eq!(r["ticket"]["status"], "open");
    ok_json(&db, &["reply", "1", "--internal", "--body", "Same as #880?"]);
    let t = ok_json(&db, &["set", "1", "status", "resolved", "--reason", "solved"]);
    assert_eq!((t["status"].as_str(), t["resolution"].as_str()), (Some("resolved"), Some("solved")));

    let show = ok_json(&db, &["show", "1"]);
    let kinds: Vec<&str> = show["messages"].as_array().unwrap().iter().map(|m| m["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, vec!["customer", "public", "customer", "internal"]);
    let history = ok_json(&db, &["history", "1"]);
    assert!(history.as_array().unwrap().len() >= 9);

    let text = casebook(&db, &["show", "1"]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("#1 VPN drops every 10 minutes") && text.contains("Resolved"), "{text}");
}

#[test]
fn demo_then_breaching_soon() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let report = ok_json(&db, &["demo", "--tickets", "1000", "--seed", "3"]);
    assert_eq!(report["tickets"], 1000);
    let all = ok_json(&db, &["list", "--view", "all", "--limit", "5"]);
    assert_eq!(all["total"], 1000);
    assert_eq!(all["tickets"].as_array().unwrap().len(), 5);
    for t in all["tickets"].as_array().unwrap() {
        assert!(t["number"].is_i64() && t["status"].is_string() && t["priority"].is_string() && t["subject"].is_string());
    }
    let breaching = ok_json(&db, &["list", "--view", "breaching-soon"]);
    let rows = breaching["tickets"].as_array().unwrap();
    assert!(!rows.is_empty(), "a demo workspace has tickets that need attention");
    assert!(rows.iter().all(|r| ["at_risk", "breached"].contains(&r["sla"]["state"].as_str().unwrap())));
    let views = ok_json(&db, &["views"]);
    assert_eq!(views.as_array().unwrap().len(), 7, "the built-in views, Snoozed among them");
    // The same seed makes the same workspace.
    let db2 = dir.path().join("demo2.db");
    ok_json(&db2, &["demo", "--tickets", "1000", "--seed", "3"]);
    let a = ok_json(&db, &["list", "--view", "all", "--sort", "number", "--asc", "--limit", "20"]);
    let b = ok_json(&db2, &["list", "--view", "all", "--sort", "number", "--asc", "--limit", "20"]);
    let strip = |v: &Value| v["tickets"].as_array().unwrap().iter().map(|t| (t["subject"].clone(), t["status"].clone())).collect::<Vec<_>>();
    assert_eq!(strip(&a), strip(&b));
}

#[test]
fn errors_exit_non_zero_in_words_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ws.db");
    fails(&db, &["list"], "no Casebook workspace");
    ok_json(&db, &["init"]);
    fails(&db, &["new", "--subject", "", "--body", "x", "--requester", "a@b.co"], "Subject can't be empty");
    fails(&db, &["new", "--subject", "x", "--body", "x", "--requester", "nope"], "not an email address");
    fails(&db, &["show", "42"], "ticket #42 does not exist");
    fails(&db, &["set", "42", "status", "open"], "does not exist");
    fails(&db, &["--now", "tomorrow", "list"], "not a time");
    fails(&db, &["list", "--status", "sleeping"], "not a status");
    ok_json(&db, &["new", "--subject", "x", "--body", "x", "--requester", "a@b.co"]);
    fails(&db, &["set", "1", "status", "teleported"], "not a status");
    fails(&db, &["set", "1", "status", "new"], "cannot go from New to New");
    let out = casebook(&db, &["--json", "show", "42"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["code"], "not_found");
    assert!(!out.status.success());

    let not_db = dir.path().join("notes.txt");
    std::fs::write(&not_db, "x".repeat(200)).unwrap();
    fails(&not_db, &["list"], "not a Casebook database");
}

#[test]
fn import_is_all_or_nothing_and_names_the_bad_record() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ws.db");
    ok_json(&db, &["init"]);
    let good = dir.path().join("good.json");
    std::fs::write(
        &good,
        r#"[{"subject":"Printer offline","description":"3rd floor","requester_email":"a@b.co","priority":"high"},
            {"subject":"서버 다운","description":"급해요","requester_email":"kim@hanbit.kr","tags":["outage"]}]"#,
    )
    .unwrap();
    let r = ok_json(&db, &["import", good.to_str().unwrap()]);
    assert_eq!(r["imported"], 2);
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"[{"subject":"ok","description":"x","requester_email":"a@b.co"},{"subject":"","description":"x","requester_email":"a@b.co"}]"#,
    )
    .unwrap();
    fails(&db, &["import", bad.to_str().unwrap()], "record 2");
    let truncated = dir.path().join("cut.json");
    std::fs::write(&truncated, r#"[{"subject":"ok","description":"x","requester_e"#).unwrap();
    fails(&db, &["import", truncated.to_str().unwrap()], "not a valid import file");
    let wrong_shape = dir.path().join("shape.json");
    std::fs::write(&wrong_shape, r#"[{"subject":"ok","priority":"whenever"}]"#).unwrap();
    fails(&db, &["import", wrong_shape.to_str().unwrap()], "record 1");
    assert_eq!(ok_json(&db, &["list"])["total"], 2, "nothing from the failed imports");
}

#[test]
fn search_similar_check_and_reindex() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    ok_json(&db, &["demo", "--tickets", "600", "--seed", "5"]);
    // The first search builds the index.
    let r = ok_json(&db, &["search", "vpn"]);
    let hits = r["hits"].as_array().unwrap();
    assert!(!hits.is_empty());
    assert!(r["total"].as_u64().unwrap() >= hits.len() as u64);
    let first = &hits[0];
    let subject = first["subject"].as_str().unwrap();
    assert!(subject.to_lowercase().contains("vpn") || first["snippet"]["text"].as_str().unwrap().to_lowercase().contains("vpn"));
    let r = ok_json(&db, &["search", "서버 다운", "--status", "closed"]);
    assert!(r["hits"].as_array().unwrap().iter().all(|h| h["status"] == "closed"));
    let r = ok_json(&db, &["search", "hasła OR haslo"]);
    assert!(!r["hits"].as_array().unwrap().is_empty(), "Polish finds Polish");

    // Similar solved tickets for an open one, each with its fix.
    let open = ok_json(&db, &["list", "--status", "open", "--limit", "1"]);
    let n = open["tickets"][0]["number"].as_i64().unwrap().to_string();
    let similar = ok_json(&db, &["similar", &n]);
    let list = similar.as_array().unwrap();
    assert!(!list.is_empty());
    for s in list {
        assert!(["resolved", "closed"].contains(&s["status"].as_str().unwrap()));
        assert!(s["fix"]["body"].as_str().is_some_and(|b| !b.is_empty()), "{s}");
    }

    // A new ticket is found by the next search; the check sees the index behind first, which
    // is no damage.
    ok_json(&db, &["new", "--subject", "Badge reader zebracode", "--body", "rejects my card", "--requester", "z@acme.test"]);
    let behind = ok_json(&db, &["check"]);
    assert!(behind["checked"].to_string().contains("3 events behind the database and catches up on its own (1 ticket on its way)"), "{behind:#}");
    assert_eq!(ok_json(&db, &["search", "zebracode"])["total"], 1);
    let caught_up = ok_json(&db, &["check"]);
    assert!(!caught_up["checked"].to_string().contains("behind"), "{caught_up:#}");

    // (An entry lost from an index that is up to date is real drift: tests/engine/health.rs.)

    // Deleted while Casebook is closed: not built yet, and rebuilt on the next search.
    std::fs::remove_dir_all(dir.path().join("index")).unwrap();
    let missing = ok_json(&db, &["check"]);
    assert!(missing["checked"].to_string().contains("not built yet"), "{missing:#}");
    assert_eq!(ok_json(&db, &["search", "zebracode"])["total"], 1);
    let r = ok_json(&db, &["reindex"]);
    assert_eq!(r["rebuilt"], true);
    assert_eq!(r["tickets_indexed"], 601);
}

#[test]
fn alerts_scan_at_a_time_list_the_same_twice_and_can_be_read() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ws.db");
    let at = |t: &'static str, args: &[&'static str]| [&["--now", t][..], args].concat();
    ok_json(&db, &at("2026-03-02T09:00:00Z", &["init"]));
    ok_json(
        &db,
        &at(
            "2026-03-02T09:00:00Z",
            &["new", "--subject", "VPN drops", "--body", "Since Monday.", "--requester", "kim@acme.kr", "--priority", "urgent"],
        ),
    );
    ok_json(&db, &at("2026-03-02T09:01:00Z", &["reply", "1", "--customer", "--body", "지금 서버 다운이에요. ASAP!"]));
    ok_json(&db, &at("2026-03-02T09:02:00Z", &["reply", "1", "--internal", "--body", "asap noted"]));

    let first = ok_json(&db, &at("2026-03-02T09:20:00Z", &["alerts"]));
    let again = ok_json(&db, &at("2026-03-02T09:20:00Z", &["alerts"]));
    assert_eq!(first["raised"].as_array().unwrap().len(), 1, "{first}");
    assert_eq!(again["raised"].as_array().unwrap().len(), 0);
    assert_eq!(first["alerts"], again["alerts"]);
    let listed: Vec<(i64, String)> =
        first["alerts"].as_array().unwrap().iter().map(|a| (a["ticket_number"].as_i64().unwrap(), a["kind"].as_str().unwrap().to_string())).collect();
    // The outage also escalated the ticket (the complexity rule's alert).
    assert_eq!(listed, vec![(1, "sla_first_response_breached".to_string()), (1, "rule".to_string()), (1, "keyword".to_string())]);
    assert_eq!(first["alerts"][2]["terms"], serde_json::json!(["asap", "서버 다운"]));
    assert_eq!(first["alerts"][1]["rule"], "Escalate complex problems to a senior agent");

    let id = first["alerts"][2]["id"].as_i64().unwrap().to_string();
    let read = ok_json(&db, &["alerts", "read", &id]);
    assert!(read["read_at"].is_string());
    let unread = ok_json(&db, &at("2026-03-02T09:20:00Z", &["alerts", "--unread"]));
    assert_eq!(unread["alerts"].as_array().unwrap().len(), 2);
    fails(&db, &["alerts", "read", "999"], "alert 999 does not exist");
    fails(&db, &["alerts", "settings", "--quiet-hours", "22:00-07:00@Mars/Olympus"], "is not a time zone");
    let s = ok_json(&db, &["alerts", "settings", "--add-keyword", "printer on fire", "--quiet-hours", "22:00-07:00@Europe/Warsaw"]);
    assert!(s["keywords"].as_array().unwrap().contains(&serde_json::json!("printer on fire")));
    assert_eq!(s["quiet_hours"]["timezone"], "Europe/Warsaw");
}

#[test]
fn rules_are_listed_shown_tried_without_writing_and_run() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ws.db");
    let at = |t: &'static str, args: &[&'static str]| [&["--now", t][..], args].concat();
    ok_json(&db, &at("2026-03-02T09:00:00Z", &["init"]));
    ok_json(&db, &at("2026-03-02T09:00:00Z", &["new", "--subject", "Wi-Fi drops", "--body", "Every hour.", "--requester", "kim@acme.kr"]));
    let rules = ok_json(&db, &["rules", "list"]);
    assert_eq!(rules.as_array().unwrap().len(), 11);
    let shown = ok_json(&db, &["rules", "show", "no reply for 2 hours: notify and raise priority"]);
    assert!(shown["summary"].as_str().unwrap().contains("waiting for a reply for at least 2 hours"), "{shown}");

    let before = crate::common::fingerprint(&db);
    let tried = ok_json(&db, &at("2026-03-02T11:30:00Z", &["rules", "test"]));
    assert_eq!(tried["dry_run"], true);
    assert_eq!(tried["changes"][0]["rule"], "No reply for 2 hours: notify and raise priority");
    assert_eq!(tried["changes"][0]["changes"][1], "priority Medium → High");
    assert_eq!(crate::common::fingerprint(&db), before, "a dry run writes nothing");

    let run = ok_json(&db, &at("2026-03-02T11:30:00Z", &["rules", "run"]));
    assert_eq!(run["changes"], tried["changes"]);
    let again = ok_json(&db, &at("2026-03-02T11:35:00Z", &["rules", "run"]));
    assert_eq!(again["changes"].as_array().unwrap().len(), 0, "once");
    let history = ok_json(&db, &["history", "1"]);
    assert!(history.as_array().unwrap().iter().any(|e| e["actor"] == "rule:No reply for 2 hours: notify and raise priority"));

    ok_json(&db, &["rules", "disable", "Close duplicate requests"]);
    assert_eq!(ok_json(&db, &["rules", "show", "Close duplicate requests"])["definition"]["enabled"], false);
    fails(&db, &["rules", "show", "No such rule"], "rule No such rule does not exist");
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"name":"Bad","kind":"time","enabled":true,"all":[{"if":"team","values":["Ghosts"]}],"actions":[{"do":"raise_priority"}]}"#,
    )
    .unwrap();
    fails(&db, &["rules", "save", bad.to_str().unwrap()], "there is no team 'Ghosts'");
    fails(&db, &["rules", "test", "--file", bad.to_str().unwrap()], "there is no team 'Ghosts'");
}

#[test]
fn stats_print_write_csv_and_list_the_tickets_behind_a_number() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ws.db");
    let at = |t: &'static str, args: &[&'static str]| [&["--now", t][..], args].concat();
    ok_json(&db, &at("2026-03-02T09:00:00Z", &["init"]));
    let empty = ok_json(&db, &at("2026-03-02T09:00:00Z", &["stats"]));
    assert_eq!(empty["headline"]["created"], 0);
    ok_json(&db, &at("2026-03-02T09:00:00Z", &["new", "--subject", "Printer offline", "--body", "Third floor.", "--requester", "kim@acme.kr"]));
    ok_json(&db, &at("2026-03-02T10:00:00Z", &["reply", "1", "--body", "Restarted it."]));
    ok_json(&db, &at("2026-03-02T11:00:00Z", &["set", "1", "status", "resolved"]));
    fails(&db, &["rate", "1", "meh"], "is not good or bad");
    ok_json(&db, &at("2026-03-02T12:00:00Z", &["rate", "1", "good", "--comment", "quick"]));

    let s = ok_json(&db, &at("2026-03-03T09:00:00Z", &["stats", "--from", "2026-03-02", "--to", "2026-03-03"]));
    assert_eq!(s["headline"]["created"], 1);
    assert_eq!(s["headline"]["median_first_response"], 3600);
    assert_eq!(s["first_response_sla"]["met"]["count"], 1);
    assert_eq!(s["csat"]["score"], 1.0);
    let key = s["first_response_sla"]["met"]["key"].as_str().unwrap().to_string();
    let behind = ok_json(&db, &["--now", "2026-03-03T09:00:00Z", "stats", "--from", "2026-03-02", "--to", "2026-03-03", "--tickets", &key]);
    assert_eq!(behind["tickets"], serde_json::json!([1]));

    let out = dir.path().join("tables");
    let written =
        ok_json(&db, &["--now", "2026-03-03T09:00:00Z", "stats", "--from", "2026-03-02", "--to", "2026-03-03", "--csv", out.to_str().unwrap()]);
    assert!(written["files"].as_array().unwrap().len() >= 10);
    let headline = std::fs::read_to_string(out.join("headline.csv")).unwrap();
    assert!(headline.starts_with("measure,this period,previous period\ntickets created,1,0\n"), "{headline}");
    let agents = std::fs::read_to_string(out.join("agents.csv")).unwrap();
    assert!(agents.lines().count() == 1, "nobody was assigned: only the header\n{agents}");
    fails(&db, &["stats", "--from", "yesterday"], "is not a date");
}

/// A reader that goes away (`casebook … | head`) ends the command quietly: no panic, no
/// backtrace, whatever the command was printing.
#[test]
fn a_closed_pipe_ends_a_command_quietly() {
    use std::io::Read;
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ws.db");
    assert!(casebook(&db, &["demo", "--tickets", "3000"]).status.success());
    let args: &[&str] = &["--json", "alerts"];
    // More than a pipe holds (64 KiB), so that the writer meets the closed end.
    let whole = casebook(&db, args);
    assert!(whole.status.success() && whole.stdout.len() > 80 * 1024, "{args:?}: {} bytes", whole.stdout.len());
    let mut child = Command::new(env!("CARGO_BIN_EXE_casebook"))
        .arg("--db")
        .arg(&db)
        .args(args)
        .env_remove("CASEBOOK_DB")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 64];
    child.stdout.as_mut().unwrap().read_exact(&mut first).unwrap();
    drop(child.stdout.take()); // the reader goes away, as `head` does
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "{args:?}: {stderr}");
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert!(out.status.success() || out.status.signal() == Some(libc::SIGPIPE), "{args:?}: {:?}", out.status);
    }
}

/// A fresh workspace passes `check`: an index that has not caught up yet is behind, not
/// damaged (it was reported as "3000 tickets are missing from the search index").
#[test]
fn a_fresh_demo_passes_check_with_its_index_behind() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ws.db");
    assert!(casebook(&db, &["demo", "--tickets", "300"]).status.success());
    assert!(casebook(&db, &["new", "--subject", "Printer offline", "--body", "Floor 3", "--requester", "kim@acme.kr"]).status.success());
    let report = ok_json(&db, &["check"]);
    assert_eq!(report["ok"], true, "{report:#}");
    assert!(report["checked"].to_string().contains("not built yet"), "{report:#}");
    // Built by a search, then behind by a change made afterwards: still no damage.
    ok_json(&db, &["search", "printer"]);
    assert!(casebook(&db, &["set", "301", "priority", "urgent"]).status.success());
    let report = ok_json(&db, &["check"]);
    assert!(report["checked"].to_string().contains("behind the database and catches up on its own"), "{report:#}");
}

/// The JSON import takes the past too: the time a ticket was made, its status and the fix.
#[test]
fn a_json_import_brings_solved_tickets_with_their_fix() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ws.db");
    ok_json(&db, &["--now", "2026-03-02T09:00:00Z", "init", "--name", "Mina Park", "--email", "mina@acme.test"]);
    let file = dir.path().join("old.json");
    let records = serde_json::json!([{
        "subject": "VPN drops every 10 minutes", "description": "It drops", "requester_email": "kim@acme.kr",
        "created_at": "2025-11-03T09:00:00Z", "status": "resolved", "fix": "Raise the keepalive to 25 s", "solved_at": "2025-11-03T15:00:00Z"
    }, {
        "subject": "Printer offline", "description": "Floor 3", "requester_email": "lee@acme.kr", "status": "teleported"
    }]);
    std::fs::write(&file, records.to_string()).unwrap();
    fails(&db, &["import", file.to_str().unwrap()], "record 2");
    std::fs::write(&file, serde_json::Value::Array(records.as_array().unwrap()[..1].to_vec()).to_string()).unwrap();
    assert_eq!(ok_json(&db, &["import", file.to_str().unwrap()])["numbers"], serde_json::json!([1]));
    let shown = ok_json(&db, &["show", "1"]);
    assert_eq!(shown["ticket"]["status"], "resolved");
    assert_eq!(shown["ticket"]["created_at"], "2025-11-03T09:00:00Z");
    let fix = shown["messages"].as_array().unwrap().iter().find(|m| m["is_solution"] == true).expect("the fix is marked");
    assert_eq!((fix["body"].as_str(), fix["author_email"].as_str()), (Some("Raise the keepalive to 25 s"), Some("mina@acme.test")));
}

#[test]
fn two_laptops_sync_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, share) = (dir.path().join("a/ws.db"), dir.path().join("b/ws.db"), dir.path().join("share"));
    std::fs::create_dir_all(&share).unwrap();
    ok_json(&a, &["init", "--name", "Mina Park", "--email", "mina@acme.test"]);
    fails(&a, &["sync"], "sync is not set up");
    let init = ok_json(&a, &["sync", "init", share.to_str().unwrap()]);
    assert!(init["published_events"].as_u64().unwrap() > 5);
    fails(&b, &["sync", "join", share.to_str().unwrap()], "say who you are");
    fails(&b, &["sync", "join", share.to_str().unwrap(), "--as", "nobody@acme.test"], "is not an agent");
    assert!(!b.exists(), "a refused join leaves no database behind");
    let joined = ok_json(&b, &["sync", "join", share.to_str().unwrap(), "--as", "mina@acme.test"]);
    assert_eq!(joined["workspace"]["workspace_id"], init_workspace_id(&a));
    ok_json(&b, &["new", "--subject", "From the second laptop", "--body", "Hello", "--requester", "kim@acme.kr"]);
    ok_json(&b, &["sync"]);
    let pass = ok_json(&a, &["sync"]);
    assert_eq!(pass["ingested_segments"], 1);
    assert_eq!(ok_json(&a, &["show", "1"])["ticket"]["subject"], "From the second laptop");
    let status = ok_json(&a, &["sync", "status"]);
    assert_eq!(status["devices"].as_array().unwrap().len(), 2);
    assert_eq!(ok_json(&b, &["sync", "status"])["digest"], status["digest"]);
    assert_eq!(ok_json(&a, &["sync", "conflicts"]), serde_json::json!([]));
    ok_json(&a, &["sync", "pause"]);
    fails(&a, &["sync"], "paused");
    ok_json(&a, &["sync", "resume"]);
    ok_json(&a, &["sync"]);
}

fn init_workspace_id(db: &Path) -> Value {
    let conn = rusqlite::Connection::open(db).unwrap();
    let v: String = conn.query_row("SELECT value FROM settings WHERE key = 'workspace'", [], |r| r.get(0)).unwrap();
    serde_json::from_str::<Value>(&v).unwrap()["workspace_id"].clone()
}

/// The app keeps its workspace open and opens the same database again (the search indexer,
/// a backup), while the command line reads it beside the app. Opening the second connection
/// used to read the header through a file handle of its own; closing that handle dropped the
/// process's locks, the command line then closed as "the last connection", checkpointed and
/// deleted the WAL, and the app went on writing into a deleted file: lost at its next start.
#[test]
fn the_command_line_beside_an_app_never_deletes_the_apps_log() {
    let e = crate::common::env("2026-03-02T09:00:00Z");
    let crate::common::Env { dir, mut ws, clock } = e;
    let db = dir.path().join("ws.db");
    let first = ws
        .create_ticket(&casebook::model::NewTicket {
            subject: "Before".into(),
            description: "x".into(),
            requester_email: "a@b.com".into(),
            ..Default::default()
        })
        .unwrap();
    // A second connection in the same process, kept open like the app's indexer.
    let second = casebook::Workspace::open(&db, clock.clone()).unwrap();
    let wal = dir.path().join("ws.db-wal");
    assert!(wal.exists());
    // The command line (ours, and SQLite's own, as someone looking into the file would run
    // it) opens and closes the database while the app holds it.
    let shown = ok_json(&db, &["show", &first.number.to_string()]);
    assert_eq!(shown["ticket"]["subject"], "Before");
    let sqlite =
        Command::new("sqlite3").arg(&db).arg("SELECT count(*) FROM tickets").output().expect("sqlite3 (scripts/system-deps test installs it)");
    assert_eq!(String::from_utf8_lossy(&sqlite.stdout).trim(), "1");
    assert!(wal.exists(), "the WAL of the running app was deleted by another process closing");
    // What the app writes now reaches the file every other process reads.
    let after = ws
        .create_ticket(&casebook::model::NewTicket {
            subject: "After".into(),
            description: "y".into(),
            requester_email: "a@b.com".into(),
            ..Default::default()
        })
        .unwrap();
    let shown = ok_json(&db, &["show", &after.number.to_string()]);
    assert_eq!(shown["ticket"]["subject"], "After");
    drop(second);
}

/// The troubleshooting log: what commands did is written beside the workspace and read back
/// by `casebook log`, filtered by level, time and text; a wrong --db leaves no log behind.
#[test]
fn what_commands_did_is_in_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ws.db");
    assert!(casebook(&db, &["demo", "--tickets", "40"]).status.success());
    assert!(casebook(&db, &["reindex"]).status.success());
    assert!(casebook(&db, &["backup"]).status.success());
    // A rule acting in a time pass, at a time when the demo's solved tickets are due to close.
    assert!(casebook(&db, &["--now", "2030-01-01T09:00:00Z", "rules", "run"]).status.success());

    let page = ok_json(&db, &["log"]);
    let messages: Vec<&str> = page["entries"].as_array().unwrap().iter().map(|e| e["message"].as_str().unwrap()).collect();
    for expected in ["the search index was rebuilt", "a backup was made and verified by restoring it", "a time rule acted", "time rules ran"] {
        assert!(messages.contains(&expected), "{expected:?} not in {messages:?}");
    }
    let rebuilt = page["entries"].as_array().unwrap().iter().find(|e| e["message"] == "the search index was rebuilt").unwrap();
    assert_eq!(rebuilt["fields"]["tickets"], "40");
    assert!(rebuilt["fields"]["seconds"].as_str().unwrap().parse::<f64>().is_ok());

    let text = String::from_utf8(casebook(&db, &["log", "--grep", "BACKUP"]).stdout).unwrap();
    assert!(text.contains("INFO  a backup was made and verified by restoring it  ") && text.contains("tickets=40"), "{text}");
    assert!(!text.contains("index was rebuilt"), "{text}");
    assert_eq!(ok_json(&db, &["log", "--level", "warn"])["entries"].as_array().unwrap().len(), 0);
    assert_eq!(ok_json(&db, &["log", "--since", "2099-01-01T00:00:00Z"])["matched"], 0);
    assert!(ok_json(&db, &["log", "--since", "1h"])["matched"].as_u64().unwrap() >= 4);
    assert_eq!(ok_json(&db, &["log", "--limit", "1"])["entries"].as_array().unwrap().len(), 1);
    fails(&db, &["log", "--level", "loud"], "error, warn, info or debug");
    fails(&db, &["log", "--since", "yesterday"], "span back (30m, 2h, 7d)");

    let elsewhere = dir.path().join("nothing-here");
    std::fs::create_dir(&elsewhere).unwrap();
    assert!(!casebook(&elsewhere.join("ws.db"), &["list"]).status.success());
    assert!(!elsewhere.join("logs").exists(), "a refused command wrote a log");
}

#[test]
fn set_changes_many_tickets_by_number_range_or_view() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ws.db");
    ok_json(&db, &["init", "--name", "Mina Park", "--email", "mina@acme.test"]);
    for s in ["One", "Two", "Three", "Four"] {
        ok_json(&db, &["new", "--subject", s, "--body", "Help.", "--requester", "kim@acme.kr"]);
    }
    let o = ok_json(&db, &["set", "1,#2", "priority", "urgent"]);
    assert_eq!(o["changed"], serde_json::json!([1, 2]));
    assert_eq!(o["undo"][0]["before"], serde_json::json!({ "field": "priority", "value": "medium" }));
    let o = ok_json(&db, &["set", "1-3", "add-tags", "vpn,wifi"]);
    assert_eq!(o["changed"].as_array().unwrap().len(), 3);
    // Every ticket of a view: the unassigned ones become mine.
    ok_json(&db, &["set", "4", "assignee", "me"]);
    let o = ok_json(&db, &["set", "--view", "unassigned", "assignee", "me"]);
    assert_eq!(o["changed"], serde_json::json!([1, 2, 3]));
    // One ticket through the bulk-only fields answers with the ticket, as `set N` always did.
    let t = ok_json(&db, &["set", "2", "remove-tags", "wifi"]);
    assert_eq!(t["tags"], serde_json::json!(["vpn"]));
    // In words, with what was skipped and why.
    ok_json(&db, &["set", "4", "status", "closed", "--reason", "no_action_needed"]);
    let out = casebook(&db, &["set", "1,2,4", "status", "pending"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("Set status on 2 tickets (#1, #2)") && text.contains("skipped #4: closed tickets do not change"), "{text}");

    fails(&db, &["set", "1,x", "priority", "low"], "'x' is not a ticket number");
    fails(&db, &["set", "5-2", "priority", "low"], "'5-2' is not a ticket number or a range");
    fails(&db, &["set", "1,2", "colour", "red"], "'colour' is not a field");
    fails(&db, &["set", "--view", "nope", "priority", "low"], "view");
    fails(&db, &["set", "--view", "all", "1", "priority", "low"], "with --view, give the field and the value");
    fails(&db, &["set", "1,2", "assignee", "ghost@acme.test"], "ghost@acme.test");
    let t = ok_json(&db, &["show", "1"]);
    assert_eq!(t["ticket"]["assignee"]["email"], "mina@acme.test", "a refused change leaves the tickets as they were");
    // Several merged into one at once; the closed one is skipped and said so.
    let out = casebook(&db, &["merge", "2,3,4", "--into", "1"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("Merged #2, #3 into #1") && text.contains("skipped #4"), "{text}");
    assert_eq!(ok_json(&db, &["show", "3"])["ticket"]["duplicate_of"], 1);
}

#[test]
fn macros_with_actions_are_saved_and_applied_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ws.db");
    ok_json(&db, &["init", "--name", "Mina Park", "--email", "mina@acme.test"]);
    for s in ["One", "Two"] {
        ok_json(&db, &["new", "--subject", s, "--body", "Help.", "--requester", "kim@acme.kr"]);
    }
    let m = ok_json(
        &db,
        &[
            "macros",
            "save",
            "Close as solved",
            "--body",
            "Fixed, {{requester.name}}.",
            "--set",
            "status=resolved",
            "--set",
            "assignee=me",
            "--set",
            "add-tags=done",
            "--reason",
            "solved",
        ],
    );
    assert_eq!(m["actions"][0], serde_json::json!({ "set": "status", "to": "resolved", "reason": "solved" }));
    assert_eq!(m["actions"][1], serde_json::json!({ "set": "assignee", "to": "me" }), "'me' stays 'me' until it is applied");
    let o = ok_json(&db, &["macros", "apply", "close as solved", "1,2"]);
    assert_eq!(o["changed"], serde_json::json!([1, 2]));
    let t = ok_json(&db, &["show", "2"]);
    assert_eq!((t["ticket"]["status"].as_str(), t["ticket"]["assignee"]["email"].as_str()), (Some("resolved"), Some("mina@acme.test")));
    assert_eq!(t["ticket"]["tags"], serde_json::json!(["done"]));
    // Text only, as before; and the list says what each sets.
    ok_json(&db, &["macros", "save", "Hello", "--body", "Hello."]);
    let out = casebook(&db, &["macros"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("sets: "), "{}", String::from_utf8_lossy(&out.stdout));

    fails(&db, &["macros", "save", "Bad", "--set", "priority"], "is not FIELD=VALUE");
    fails(&db, &["macros", "save", "Bad", "--set", "assignee=ghost@acme.test"], "ghost@acme.test");
    fails(&db, &["macros", "save", "Bad", "--set", "priority=high", "--reason", "solved"], "--reason goes with");
    fails(&db, &["macros", "save", "Empty"], "needs a text, an action");
    fails(&db, &["macros", "apply", "Nope", "1"], "Nope");
    assert_eq!(ok_json(&db, &["macros"]).as_array().unwrap().iter().filter(|m| m["name"] == "Bad").count(), 0);
}

#[test]
fn snooze_unsnooze_and_follow_up_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ws.db");
    let now = ["--now", "2026-03-02T09:00:00Z"];
    let with_now = |args: &[&'static str]| [&now[..], args].concat();
    ok_json(&db, &with_now(&["init", "--name", "Mina Park", "--email", "mina@acme.test"]));
    ok_json(&db, &with_now(&["new", "--subject", "VPN", "--body", "Help.", "--requester", "kim@acme.kr"]));
    let s = ok_json(&db, &with_now(&["snooze", "1", "--until", "2026-03-04T08:00:00Z"]));
    assert_eq!(s["snoozed_until"], "2026-03-04T08:00:00Z");
    let list = ok_json(&db, &with_now(&["list", "--view", "unassigned"]));
    assert_eq!(list["tickets"].as_array().unwrap().len(), 0, "snoozed: out of the view");
    let list = ok_json(&db, &with_now(&["list", "--view", "snoozed"]));
    assert_eq!(list["tickets"][0]["number"], 1);
    ok_json(&db, &with_now(&["unsnooze", "1"]));
    let list = ok_json(&db, &with_now(&["list", "--view", "unassigned"]));
    assert_eq!(list["tickets"][0]["number"], 1);
    let f = ok_json(&db, &with_now(&["follow-up", "1", "--if-no-reply-by", "2d"]));
    assert_eq!(f["follow_up_at"], "2026-03-04T09:00:00Z");
    ok_json(&db, &with_now(&["follow-up", "1", "--cancel"]));
    fails(&db, &with_now(&["snooze", "1", "--until", "someday"]), "'someday' is not a time");
    fails(&db, &with_now(&["snooze", "1", "--until", "2026-03-01T09:00:00Z"]), "already passed");
    fails(&db, &with_now(&["follow-up", "1"]), "--if-no-reply-by");
}
