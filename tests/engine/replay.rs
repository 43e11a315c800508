//! The event log alone rebuilds the workspace (`casebook replay --check`): after random
//! histories of every kind of operation, after a plain SQL edit behind the engine's back (it
//! must be found and named), on a workspace made before typed events (the committed fixture),
//! and bad events are refused, naming the event and the field, with nothing written.

use crate::common::{env, ts, Env};
use casebook::events::replay::{self, ReplayCheck};
use casebook::import_csv::parse_mapping;
use casebook::model::{MessageKind, NewMessage, NewTicket, Priority, Resolution, Status, Tier};
use casebook::people::NewAgent;
use casebook::sla::{BusinessHours, SlaSettings};
use casebook::views::ViewQuery;
use casebook::{Error, FixedClock, Workspace};
use proptest::prelude::*;
use std::path::Path;
use std::sync::Arc;

fn assert_replays(db: &Path) -> ReplayCheck {
    let c = replay::check(db).unwrap();
    assert!(c.ok(), "{} rows differ after replay: {:#?}", c.rows_differing, c.differences);
    c
}

/// One step of a history, with indexes that pick among what exists at that moment.
#[derive(Debug, Clone)]
pub(crate) enum Op {
    Create {
        who: usize,
        priority: usize,
        tag: usize,
    },
    Reply(usize),
    Note(usize),
    Customer {
        ticket: usize,
        text: usize,
    },
    Status {
        ticket: usize,
        to: usize,
        reason: usize,
    },
    Priority {
        ticket: usize,
        to: usize,
    },
    Type {
        ticket: usize,
        to: usize,
    },
    Team {
        ticket: usize,
        to: usize,
    },
    Assign {
        ticket: usize,
        to: usize,
    },
    Tags {
        ticket: usize,
        tag: usize,
    },
    Merge(usize, usize),
    Link(usize, usize),
    Claim(usize),
    MarkFix(usize),
    Rate(usize, bool),
    /// An agent's word on a suggested similar ticket (issue 19).
    Feedback(usize, usize, u8),
    TimeRules,
    Wait(i64),
    ImportCsv,
    ImportZendesk,
    Sla(usize),
    AlertWord(usize),
    Customer2Vip(usize),
    Rule(usize, bool),
    MoveRule(usize, usize),
    View(usize),
    Macro(usize),
    Type2(usize, bool),
    /// Snoozed for some hours (0: back now).
    Snooze(usize, u8),
    /// A follow-up some hours ahead (0: taken off).
    FollowUp(usize, u8),
    /// One priority on two tickets at once, and (odd) its undo.
    Bulk(usize, usize, u8),
}

pub(crate) fn op() -> impl Strategy<Value = Op> {
    let i = || 0usize..64;
    prop_oneof![
        4 => (i(), i(), i()).prop_map(|(who, priority, tag)| Op::Create { who, priority, tag }),
        3 => i().prop_map(Op::Reply),
        1 => i().prop_map(Op::Note),
        3 => (i(), i()).prop_map(|(ticket, text)| Op::Customer { ticket, text }),
        3 => (i(), i(), i()).prop_map(|(ticket, to, reason)| Op::Status { ticket, to, reason }),
        1 => (i(), i()).prop_map(|(ticket, to)| Op::Priority { ticket, to }),
        1 => (i(), i()).prop_map(|(ticket, to)| Op::Type { ticket, to }),
        1 => (i(), i()).prop_map(|(ticket, to)| Op::Team { ticket, to }),
        1 => (i(), i()).prop_map(|(ticket, to)| Op::Assign { ticket, to }),
        1 => (i(), i()).prop_map(|(ticket, tag)| Op::Tags { ticket, tag }),
        1 => (i(), i()).prop_map(|(a, b)| Op::Merge(a, b)),
        1 => (i(), i()).prop_map(|(a, b)| Op::Link(a, b)),
        1 => i().prop_map(Op::Claim),
        1 => i().prop_map(Op::MarkFix),
        1 => (i(), any::<bool>()).prop_map(|(t, g)| Op::Rate(t, g)),
        1 => (i(), i(), 0u8..3).prop_map(|(a, b, v)| Op::Feedback(a, b, v)),
        2 => Just(Op::TimeRules),
        3 => (1i64..3000).prop_map(Op::Wait),
        1 => Just(Op::ImportCsv),
        1 => Just(Op::ImportZendesk),
        1 => i().prop_map(Op::Sla),
        1 => i().prop_map(Op::AlertWord),
        1 => i().prop_map(Op::Customer2Vip),
        1 => (i(), any::<bool>()).prop_map(|(r, on)| Op::Rule(r, on)),
        1 => (i(), i()).prop_map(|(r, p)| Op::MoveRule(r, p)),
        1 => i().prop_map(Op::View),
        1 => i().prop_map(Op::Macro),
        1 => (i(), any::<bool>()).prop_map(|(t, add)| Op::Type2(t, add)),
        1 => (i(), 0u8..48).prop_map(|(t, h)| Op::Snooze(t, h)),
        1 => (i(), 0u8..48).prop_map(|(t, h)| Op::FollowUp(t, h)),
        1 => (i(), i(), any::<u8>()).prop_map(|(a, b, c)| Op::Bulk(a, b, c)),
    ]
}

const REQUESTERS: [&str; 4] = ["kim.jiho@acme.kr", "anna@firma.pl", "bob@example.com", "lee@acme.kr"];
const TAGS: [&str; 4] = ["vpn", "printer", "billing", "outage"];
const TEXTS: [&str; 5] = [
    "Still broken, ASAP please",
    "It works now, thanks!",
    "서버 다운입니다. 20명이 작업을 못 합니다",
    "Nadal nie działa",
    "Here is the log you asked for.",
];
const SUBJECTS: [&str; 6] =
    ["VPN drops every 10 minutes", "Printer offline", "Refund for order 1234", "Cannot log in", "서버 접속 불가", "Drukarka nie działa"];

fn zendesk_file(dir: &Path, n: usize) -> std::path::PathBuf {
    let file = dir.join(format!("zendesk-{n}.json"));
    let export = serde_json::json!({
        "organizations": [{ "id": 900, "name": "Acme" }],
        "users": [
            { "id": 1, "name": "Jan Kowalski", "email": "jan@support.example", "role": "agent" },
            { "id": 2, "name": "Kim Jiho", "email": "kim.jiho@acme.kr", "role": "end-user", "organization_id": 900 }
        ],
        "tickets": [{
            "id": 100 + n, "subject": format!("VPN drops again ({n})"), "status": "solved", "priority": "high", "tags": ["vpn"],
            "requester_id": 2, "assignee_id": 1, "created_at": "2025-11-03T09:00:00Z", "updated_at": "2025-11-03T15:00:00Z",
            "comments": [
                { "author_id": 2, "body": "Since Monday the VPN drops.", "public": true, "created_at": "2025-11-03T09:00:00Z" },
                { "author_id": 1, "body": "Please update the client.", "public": true, "created_at": "2025-11-03T10:00:00Z" }
            ]
        }, {
            "id": 200 + n, "subject": format!("Printer jam ({n})"), "status": "open", "requester_id": 2, "created_at": "2025-11-04T01:00:00Z",
            "comments": [{ "author_id": 2, "body": "Paper jam on floor 3", "created_at": "2025-11-04T01:00:00Z" }]
        }]
    });
    std::fs::write(&file, export.to_string()).unwrap();
    file
}

/// Runs one step; refusals (a closed ticket, a move the status machine forbids) are part of
/// the history too: they must write nothing.
pub(crate) fn run(e: &mut Env, step: usize, op: &Op) {
    let count: i64 = e.ws.connection().query_row("SELECT count(*) FROM tickets", [], |r| r.get(0)).unwrap();
    let pick = |i: usize| (i as i64 % count.max(1)) + 1;
    let ws = &mut e.ws;
    let _ = match op {
        Op::Create { who, priority, tag } => ws
            .create_ticket(&NewTicket {
                subject: format!("{} #{step}", SUBJECTS[step % SUBJECTS.len()]),
                description: TEXTS[*tag % TEXTS.len()].into(),
                requester_email: REQUESTERS[who % REQUESTERS.len()].into(),
                organisation: (who % 2 == 0).then(|| "Acme".to_string()),
                priority: Some(Priority::ALL[priority % 4]),
                tags: vec![TAGS[tag % TAGS.len()].into()],
                ..Default::default()
            })
            .map(|_| ()),
        _ if count == 0 => Ok(()),
        Op::Reply(t) => ws.add_message(pick(*t), &NewMessage::new(MessageKind::Public, "Please restart the client.")).map(|_| ()),
        Op::Note(t) => ws.add_message(pick(*t), &NewMessage::new(MessageKind::Internal, "Same as last week?")).map(|_| ()),
        Op::Customer { ticket, text } => {
            ws.add_message(pick(*ticket), &NewMessage::new(MessageKind::Customer, TEXTS[text % TEXTS.len()])).map(|_| ())
        }
        Op::Status { ticket, to, reason } => {
            let reason = [None, Some(Resolution::Solved), Some(Resolution::Duplicate), Some(Resolution::NoActionNeeded)][reason % 4];
            let to = Status::ALL[to % Status::ALL.len()];
            ws.set_status(pick(*ticket), to, if to.is_solved() { reason } else { None }).map(|_| ())
        }
        Op::Priority { ticket, to } => ws.set_priority(pick(*ticket), Priority::ALL[to % 4]).map(|_| ()),
        Op::Type { ticket, to } => {
            let types = ws.ticket_types().unwrap();
            ws.set_type(pick(*ticket), &types[to % types.len()]).map(|_| ())
        }
        Op::Team { ticket, to } => ws.set_team(pick(*ticket), [None, Some("Technical"), Some("Billing")][to % 3]).map(|_| ()),
        Op::Assign { ticket, to } => ws.assign(pick(*ticket), [None, Some("mina@acme.test"), Some("jiho@acme.test")][to % 3]).map(|_| ()),
        Op::Tags { ticket, tag } => ws.set_tags(pick(*ticket), &[TAGS[tag % 4].into(), "follow-up".into()]).map(|_| ()),
        Op::Merge(a, b) => ws.merge(pick(*a), pick(*b)).map(|_| ()),
        Op::Link(a, b) => ws.link(pick(*a), pick(*b)),
        Op::Claim(t) => ws.claim(pick(*t)).map(|_| ()),
        Op::MarkFix(t) => {
            let n = pick(*t);
            let fix = ws.ticket_detail(n).unwrap().messages.into_iter().find(|m| m.kind == MessageKind::Public);
            match fix {
                Some(m) => ws.mark_solution(n, m.id),
                None => Ok(()),
            }
        }
        Op::Rate(t, good) => ws.rate_ticket(pick(*t), *good, "Thanks").map(|_| ()),
        Op::Snooze(t, 0) => ws.unsnooze(pick(*t)).map(|_| ()),
        Op::Snooze(t, hours) => ws.snooze(pick(*t), ws.now() + chrono::Duration::hours(*hours as i64)).map(|_| ()),
        Op::FollowUp(t, 0) => ws.follow_up(pick(*t), None).map(|_| ()),
        Op::FollowUp(t, hours) => ws.follow_up(pick(*t), Some(ws.now() + chrono::Duration::hours(*hours as i64))).map(|_| ()),
        Op::Bulk(a, b, c) => {
            let change = casebook::bulk::BulkChange::Priority { to: Priority::ALL[*c as usize % 4] };
            ws.bulk_change(&[pick(*a), pick(*b)], &change).and_then(|o| if c % 2 == 1 { ws.bulk_undo(&o.undo).map(|_| ()) } else { Ok(()) })
        }
        Op::Feedback(a, b, v) => {
            let verdict =
                [casebook::events::Verdict::Helpful, casebook::events::Verdict::NotHelpful, casebook::events::Verdict::FixInserted][*v as usize % 3];
            ws.similar_feedback(pick(*a), pick(*b), verdict)
        }
        Op::TimeRules => ws.run_time_rules().map(|_| ()),
        Op::Wait(minutes) => {
            e.clock.advance(chrono::Duration::minutes(*minutes));
            Ok(())
        }
        Op::ImportCsv => {
            let file = e.dir.path().join(format!("sheet-{step}.csv"));
            std::fs::write(&file, format!("Title,Description,E-mail,Prio,Labels\nImported {step},From the sheet,sheet@acme.kr,high,vpn;network\n"))
                .unwrap();
            let map =
                parse_mapping(&["subject=Title", "body=Description", "requester=E-mail", "priority=Prio", "tags=Labels"].map(String::from)).unwrap();
            ws.import_csv(&file, &map, &Default::default()).map(|_| ())
        }
        Op::ImportZendesk => ws.import_zendesk(&zendesk_file(e.dir.path(), step)).map(|_| ()),
        Op::Sla(k) => {
            let settings = match k % 3 {
                0 => SlaSettings::default(),
                1 => SlaSettings { at_risk_share: 0.5, ..SlaSettings::default() },
                _ => SlaSettings {
                    business_hours: Some(BusinessHours::weekdays("Europe/Warsaw", "09:00", "17:00").unwrap()),
                    ..SlaSettings::default()
                },
            };
            ws.set_sla_settings(settings)
        }
        Op::AlertWord(k) => {
            let mut s = ws.alert_settings().clone();
            s.keywords.push(format!("word{}", k % 5));
            ws.set_alert_settings(s)
        }
        Op::Customer2Vip(k) => ws.save_customer(REQUESTERS[k % 4], "A Customer", Some("Acme"), Tier::Vip).map(|_| ()),
        Op::Rule(r, on) => {
            let rules = ws.rules().unwrap();
            ws.set_rule_enabled(&rules[r % rules.len()].id.to_string(), *on).map(|_| ())
        }
        Op::MoveRule(r, p) => {
            let rules = ws.rules().unwrap();
            ws.move_rule(&rules[r % rules.len()].id.to_string(), p % 12 + 1).map(|_| ())
        }
        Op::View(k) => ws.save_view(&format!("View {}", k % 3), &ViewQuery::default(), k % 2 == 0).map(|_| ()),
        // Every third macro acts (priority, then tags), and applying it is a bulk change.
        Op::Macro(k) => {
            let name = format!("Macro {}", k % 3);
            let actions = match k % 3 {
                0 => vec![
                    casebook::bulk::BulkChange::Priority { to: Priority::ALL[k % 4] },
                    casebook::bulk::BulkChange::AddTags { tags: vec!["macro".into()] },
                ],
                _ => vec![],
            };
            ws.save_macro(&name, "Hello {{requester.name}}", &actions).and_then(|_| ws.apply_macro(&name, &[pick(*k), pick(k / 3)]).map(|_| ()))
        }
        Op::Type2(k, add) => {
            let name = ["Hardware", "Access"][k % 2];
            if *add {
                ws.add_ticket_type(name)
            } else {
                ws.remove_ticket_type(name)
            }
        }
    };
}

pub(crate) fn team_workspace() -> Env {
    let mut e = env("2026-03-02T09:00:00Z");
    e.ws.add_team("Technical", None).unwrap();
    e.ws.add_team("Billing", Some("mina@acme.test")).unwrap();
    let jiho = NewAgent {
        name: "Jiho Kim".into(),
        email: "jiho@acme.test".into(),
        role: casebook::model::Role::Agent,
        teams: vec!["Technical".into()],
        skills: vec!["senior".into()],
    };
    e.ws.add_agent(&jiho).unwrap();
    e.ws.join_team("mina@acme.test", "Billing").unwrap();
    e
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, max_shrink_iters: 200, ..ProptestConfig::default() })]

    #[test]
    fn any_history_replays_to_the_same_state(ops in prop::collection::vec(op(), 1..45)) {
        let mut e = team_workspace();
        for (step, op) in ops.iter().enumerate() {
            run(&mut e, step, op);
        }
        assert_replays(&e.db());
        // One laptop's history never meets a concurrent change: nothing to report.
        let conflicts: i64 = e.ws.connection().query_row("SELECT count(*) FROM conflicts", [], |r| r.get(0)).unwrap();
        prop_assert_eq!(conflicts, 0);
    }
}

#[test]
fn a_fresh_workspace_and_a_demo_replay_exactly() {
    let mut e = env("2026-03-02T09:00:00Z");
    assert_replays(&e.db());
    casebook::demo::generate(&mut e.ws, casebook::demo::DemoOptions::new(200, 7)).unwrap();
    let c = assert_replays(&e.db());
    assert!(c.replay.applied > 1000, "{:?}", c.replay);
    assert_eq!(c.tables, 24);
}

#[test]
fn a_row_changed_behind_the_engines_back_is_named() {
    let mut e = env("2026-03-02T09:00:00Z");
    let n = e.ticket("VPN drops", Priority::High);
    let sql = rusqlite::Connection::open(e.db()).unwrap();
    sql.execute("UPDATE tickets SET subject = 'edited by hand' WHERE number = ?1", [n]).unwrap();
    sql.execute("DELETE FROM ticket_tags", []).unwrap();
    sql.execute("UPDATE tickets SET sla_alert_at = 1", []).unwrap(); // this desktop's own: not compared
    let c = replay::check(&e.db()).unwrap();
    assert!(!c.ok());
    assert_eq!(c.rows_differing, 1, "{:#?}", c.differences);
    let d = &c.differences[0];
    assert_eq!((d.table.as_str(), d.column.as_deref()), ("tickets", Some("subject")));
    assert_eq!((d.live.as_str(), d.replayed.as_str()), ("\"edited by hand\"", "\"VPN drops\""));
    let id: String = sql.query_row("SELECT id FROM tickets WHERE number = ?1", [n], |r| r.get(0)).unwrap();
    assert!(d.key.contains(&id) && d.key.ends_with(&format!("(#{n})")), "{}", d.key);

    // A row added by hand is named too.
    sql.execute("INSERT INTO ticket_tags (ticket_id, tag) VALUES (?1, 'sneaky')", [&id]).unwrap();
    let c = replay::check(&e.db()).unwrap();
    let extra = c.differences.iter().find(|d| d.table == "ticket_tags").expect("the extra tag is named");
    assert_eq!((extra.live.as_str(), extra.replayed.as_str(), extra.column.as_deref()), ("present", "missing", None));
    assert!(extra.key.contains("sneaky"), "{}", extra.key);
}

#[test]
fn replay_into_makes_a_workspace_that_opens_with_the_same_tickets() {
    let mut e = env("2026-03-02T09:00:00Z");
    let n = e.ticket("VPN drops", Priority::Urgent);
    e.minutes(5);
    let log = e.dir.path().join("vpn.log");
    std::fs::write(&log, "peer not responding").unwrap();
    let with_file = NewMessage { attachments: vec![log], ..NewMessage::new(MessageKind::Customer, "The log") };
    e.ws.add_message(n, &with_file).unwrap();
    e.ws.add_message(n, &NewMessage::new(MessageKind::Public, "Which client?")).unwrap();
    e.ws.set_status(n, Status::Pending, None).unwrap();
    let target = e.dir.path().join("rebuilt/casebook.db");
    let r = replay::replay_into(e.ws.connection(), &target).unwrap();
    assert!(r.applied > 10);
    assert_eq!(r.attachments, 1, "the files come along");
    let rebuilt = Workspace::open(&target, Arc::new(FixedClock::new(ts("2026-03-02T10:00:00Z")))).unwrap();
    let files = rebuilt.check_health(None).unwrap();
    assert!(files.ok, "{:#?}", files.findings);
    assert_eq!(rebuilt.ticket_detail(n).unwrap().messages, e.ws.ticket_detail(n).unwrap().messages);
    assert_eq!(rebuilt.ticket(n).unwrap(), e.ws.ticket(n).unwrap());
    assert_eq!(rebuilt.history(n).unwrap().len(), e.ws.history(n).unwrap().len());
    // Refuses to overwrite.
    assert!(matches!(replay::replay_into(e.ws.connection(), &target), Err(Error::AlreadyExists { .. })));
}

/// Appends a raw event to the log of `db`, as a newer or broken writer would.
fn inject(db: &Path, ticket_id: Option<&str>, kind: &str, payload: &str, format: i64) -> String {
    let conn = rusqlite::Connection::open(db).unwrap();
    let id = uuid::Uuid::now_v7().to_string();
    conn.execute("PRAGMA foreign_keys = OFF", []).unwrap();
    conn.execute(
        "INSERT INTO events (id, ticket_id, actor, kind, payload, at, device, format) VALUES (?1, ?2, 'system', ?3, ?4, 0, 'elsewhere', ?5)",
        rusqlite::params![id, ticket_id, kind, payload, format],
    )
    .unwrap();
    id
}

#[test]
fn an_event_that_cannot_be_applied_is_refused_by_id_kind_and_field_and_nothing_is_written() {
    let cases: [(&str, &str, i64, &str); 5] = [
        ("ticket.teleported", "{}", 1, "unknown kind 'ticket.teleported'"),
        ("ticket.created", r#"{"id":"x"}"#, 1, "missing field `number`"),
        (
            "message.added",
            r#"{"id":"m1","kind":"public","author_agent_id":null,"author_customer_id":null,"body":"hi","attachments":[]}"#,
            1,
            "ticket_id",
        ),
        ("team.backup_set", r#"{"id":"no-such-team","backup_agent_id":null}"#, 1, "id: the team no-such-team does not exist"),
        ("settings.changed", r#"{"key":"x","value":1}"#, 9, "format 9 was written by a newer Casebook"),
    ];
    for (kind, payload, format, says) in cases {
        let mut e = env("2026-03-02T09:00:00Z");
        e.ticket("VPN drops", Priority::High);
        let ticket = if kind == "message.added" { Some("no-such-ticket") } else { None };
        let id = inject(&e.db(), ticket, kind, payload, format);
        let target = e.dir.path().join("out/replayed.db");
        let err = replay::replay_into(e.ws.connection(), &target).unwrap_err();
        match &err {
            Error::BadEvent { id: got, kind: k, message } => {
                assert_eq!((got, k.as_str()), (&id, kind));
                assert!(message.contains(says), "{kind}: {message}");
            }
            other => panic!("{kind}: {other}"),
        }
        assert!(err.to_string().contains(&id), "{err}");
        assert!(!target.exists(), "{kind}: nothing is left behind");
        // And the live workspace is as it was.
        assert!(e.ws.ticket(1).is_ok());
    }
}

#[test]
fn the_same_seeds_have_the_same_ids_in_every_workspace() {
    let a = env("2026-03-02T09:00:00Z");
    let b = env("2026-05-01T12:00:00Z");
    let ids = |ws: &Workspace| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = ws.rules().unwrap().into_iter().map(|r| (r.definition.name, r.id.to_string())).collect();
        v.extend(ws.macros().unwrap().into_iter().map(|m| (m.name, m.id.to_string())));
        v.sort();
        v
    };
    assert!(ids(&a.ws).len() > 10);
    assert_eq!(ids(&a.ws), ids(&b.ws));
    assert_ne!(a.ws.info().unwrap().workspace_id, b.ws.info().unwrap().workspace_id);
    assert!(!a.ws.info().unwrap().workspace_id.is_empty());
}

/// A workspace made by Casebook before typed events (`demo --tickets 300` and a few changes,
/// by the main of 2026-12-01): opening it appends a baseline, after which replay holds, and
/// keeps holding as work goes on.
#[test]
fn a_workspace_from_before_typed_events_upgrades_and_replays() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("casebook.db");
    std::fs::copy(crate::common::manifest_dir().join("tests/fixtures/before-typed-events.db"), &db).unwrap();
    let clock = Arc::new(FixedClock::new(ts("2026-12-02T09:00:00Z")));
    let before: i64 = rusqlite::Connection::open(&db).unwrap().query_row("SELECT count(*) FROM events", [], |r| r.get(0)).unwrap();
    let history_before = {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.query_row("SELECT count(*) FROM events WHERE ticket_id = (SELECT id FROM tickets WHERE number = 1)", [], |r| r.get::<_, i64>(0)).unwrap()
    };
    let mut ws = Workspace::open(&db, clock.clone()).unwrap();
    assert!(!ws.info().unwrap().workspace_id.is_empty(), "an upgraded workspace gets its id");
    let c = assert_replays(&db);
    assert_eq!(c.replay.kept as i64, before, "the older history is kept, not applied");
    assert!(c.replay.applied > 300);
    assert_eq!(ws.history(1).unwrap().len() as i64, history_before, "the history still reads as it did");

    // Work goes on, and a second open adds no second baseline.
    let open = ws.list(&ViewQuery::default(), None, 500).unwrap().rows.into_iter().find(|r| r.status != Status::Closed).unwrap().number;
    ws.add_message(open, &NewMessage::new(MessageKind::Public, "Looking into it")).unwrap();
    ws.set_priority(open, Priority::Urgent).unwrap();
    ws.run_time_rules().unwrap();
    drop(ws);
    let ws = Workspace::open(&db, clock).unwrap();
    let c2 = assert_replays(&db);
    assert!(c2.replay.applied > c.replay.applied && c2.replay.applied < c.replay.applied + 20, "{:?} then {:?}", c.replay, c2.replay);
    drop(ws);
}
