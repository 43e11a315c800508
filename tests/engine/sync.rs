//! Team sync through a shared folder, without Syncthing (the folder is the replication; the
//! Syncthing test is `tests/syncthing.rs`): laptops that publish and ingest converge to the
//! same state and digest whatever the order, concurrent edits become visible conflicts, and a
//! share that is not there, not ours, cut short or newer stops sync with nothing changed.

use crate::common::{env, ts, Env};
use crate::replay::{op, run, team_workspace, Op};
use casebook::events::replay;
use casebook::model::{MessageKind, NewMessage, NewTicket, Priority, Resolution, Status};
use casebook::{Error, FixedClock, Workspace};
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Arc;

struct Team {
    share: tempfile::TempDir,
    laptops: Vec<Env>,
}

impl Team {
    fn share(&self) -> PathBuf {
        self.share.path().to_path_buf()
    }
}

/// A laptop joining the share, on its own clock.
fn join(share: &Path, at: &str) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock::new(ts(at)));
    let (ws, _, _) = Workspace::join(&dir.path().join("ws.db"), share, clock.clone(), "mina@acme.test").unwrap();
    Env { dir, ws, clock }
}

/// `first` publishes into a new share and `more` laptops join it.
fn team(mut first: Env, more: usize) -> Team {
    let share = tempfile::tempdir().unwrap();
    first.ws.sync_init(share.path()).unwrap();
    let at = first.ws.now().to_rfc3339();
    let mut laptops = vec![first];
    for _ in 0..more {
        laptops.push(join(share.path(), &at));
    }
    Team { share, laptops }
}

fn digest(e: &Env) -> String {
    replay::digest(e.ws.connection()).unwrap()
}

/// Passes on every laptop until a whole round ingests nothing.
fn settle(t: &mut Team) {
    for _ in 0..6 {
        let mut moved = 0;
        for l in &mut t.laptops {
            let r = l.ws.sync_pass().unwrap();
            moved += r.ingested_events + r.published_events;
        }
        if moved == 0 {
            return;
        }
    }
    panic!("the laptops did not settle");
}

fn assert_converged(t: &Team) {
    let first = digest(&t.laptops[0]);
    for (i, l) in t.laptops.iter().enumerate() {
        assert_eq!(digest(l), first, "laptop {i} holds another state");
        let c = replay::check(&l.db()).unwrap();
        assert!(c.ok(), "laptop {i}: {:#?}", c.differences);
    }
}

fn conflicts(e: &Env) -> Vec<(String, String, String, String)> {
    e.ws.connection()
        .prepare("SELECT kind, field, kept, lost FROM conflicts ORDER BY kind, field")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

fn new_ticket(e: &mut Env, subject: &str, requester: &str) -> i64 {
    e.ws.create_ticket(&NewTicket {
        subject: subject.into(),
        description: format!("{subject}: details"),
        requester_email: requester.into(),
        ..Default::default()
    })
    .unwrap()
    .number
}

#[test]
fn a_second_laptop_joins_and_each_sees_the_others_work() {
    let mut a = env("2026-03-02T09:00:00Z");
    let n = a.ticket("VPN drops every hour", Priority::High);
    let file = a.dir.path().join("log.txt");
    std::fs::write(&file, "the log").unwrap();
    let mut m = NewMessage::new(MessageKind::Internal, "log attached");
    m.attachments.push(file);
    a.ws.add_message(n, &m).unwrap();
    let mut t = team(a, 1);
    let b = &mut t.laptops[1];
    assert_eq!(b.ws.ticket(n).unwrap().subject, "VPN drops every hour");
    let att = &b.ws.ticket_detail(n).unwrap().messages[1].attachments[0];
    assert_eq!(std::fs::read(b.ws.data_dir().join(&att.stored_path)).unwrap(), b"the log", "the file came along");
    let b_device = b.ws.device().device_id.clone();
    assert_ne!(b_device, t.laptops[0].ws.device().device_id);

    let b = &mut t.laptops[1];
    b.ws.add_message(n, &NewMessage::new(MessageKind::Public, "Please update the client.")).unwrap();
    let m2 = new_ticket(b, "Printer offline", "lee@acme.kr");
    settle(&mut t);
    let a = &t.laptops[0];
    assert_eq!(a.ws.ticket_detail(n).unwrap().messages.len(), 3);
    assert_eq!(a.ws.ticket(m2).unwrap().subject, "Printer offline");
    assert_converged(&t);
    let s = t.laptops[0].ws.sync_status().unwrap();
    assert_eq!(s.devices.len(), 2);
    assert!(s.devices.iter().all(|d| d.events_behind == 0), "{:?}", s.devices);
    assert!(s.divergences.is_empty() && s.paused.is_none());
    assert!(conflicts(&t.laptops[0]).is_empty());
}

#[test]
fn edits_made_apart_converge_and_the_conflicts_are_kept() {
    let mut a = env("2026-03-02T09:00:00Z");
    let one = a.ticket("Invoice wrong", Priority::Low);
    let two = a.ticket("Login fails", Priority::Low);
    let three = a.ticket("Export slow", Priority::Low);
    a.ws.set_tags(two, &["billing".into()]).unwrap();
    let mut t = team(a, 1);
    // Apart: both change the same field, tag the same ticket, make a ticket, and one closes a
    // ticket the other moves on.
    {
        let a = &mut t.laptops[0];
        a.minutes(1);
        a.ws.set_priority(one, Priority::Urgent).unwrap();
        a.ws.set_tags(two, &["billing".into(), "vip".into()]).unwrap();
        a.ws.set_status(three, Status::Resolved, Some(Resolution::Solved)).unwrap();
        a.ws.set_status(three, Status::Closed, Some(Resolution::Solved)).unwrap();
        new_ticket(a, "Made on A", "ana@acme.kr");
    }
    {
        let b = &mut t.laptops[1];
        b.minutes(2);
        b.ws.set_priority(one, Priority::High).unwrap();
        b.ws.set_tags(two, &["billing".into(), "urgent-fix".into()]).unwrap();
        b.ws.set_status(three, Status::Pending, None).unwrap();
        new_ticket(b, "Made on B", "bob@acme.kr");
        b.ws.add_message(three, &NewMessage::new(MessageKind::Customer, "Still slow here")).unwrap();
    }
    // A publishes first; B ingests A's late-sorting... then A ingests B's.
    settle(&mut t);
    assert_converged(&t);
    let a = &t.laptops[0];
    assert_eq!(a.ws.ticket(one).unwrap().priority, Priority::High, "the later change stands");
    let mut tags = a.ws.ticket(two).unwrap().tags;
    tags.sort();
    assert_eq!(tags, ["billing", "urgent-fix", "vip"], "both tags are kept");
    assert_eq!(a.ws.ticket(three).unwrap().status, Status::Closed, "closed stays closed");
    assert_eq!(a.ws.ticket_detail(three).unwrap().messages.len(), 2, "the late reply is kept");
    let subjects: Vec<String> = (4..=5).map(|n| a.ws.ticket(n).unwrap().subject).collect();
    assert_eq!(subjects, ["Made on A", "Made on B"], "numbers stay unique: the later one moved");
    let c = conflicts(a);
    assert!(c.iter().any(|(k, f, kept, lost)| k == "field" && f == "priority" && kept == "\"high\"" && lost == "\"urgent\""), "{c:?}");
    assert!(c.iter().any(|(k, f, kept, _)| k == "status" && f == "status" && kept == "\"closed\""), "{c:?}");
    assert!(c.iter().any(|(k, _, kept, lost)| k == "number" && kept == "5" && lost == "4"), "{c:?}");
    assert_eq!(conflicts(&t.laptops[1]), c);
    let on_page = &a.ws.ticket_detail(one).unwrap().conflicts;
    assert_eq!(on_page.len(), 1);
    assert!(on_page[0].text.contains("set priority to high") && on_page[0].text.contains("without seeing urgent"), "{}", on_page[0].text);
    assert!(a.ws.ticket_detail(5).unwrap().conflicts[0].text.contains("as #4"), "the moved ticket says so");
}

#[test]
fn a_late_change_to_one_ticket_rebuilds_only_that_ticket() {
    let mut a = env("2026-03-02T09:00:00Z");
    let one = a.ticket("Invoice wrong", Priority::Low);
    let two = a.ticket("Login fails", Priority::Low);
    let mut t = team(a, 1);
    // Apart: B's changes are older than A's, so they arrive late at A.
    t.laptops[1].minutes(1);
    t.laptops[1].ws.set_priority(one, Priority::High).unwrap();
    t.laptops[1].ws.add_message(two, &NewMessage::new(MessageKind::Customer, "Still failing")).unwrap();
    t.laptops[0].minutes(5);
    t.laptops[0].ws.set_priority(two, Priority::Urgent).unwrap();
    t.laptops[0].ws.sync_pass().unwrap();
    t.laptops[1].ws.sync_pass().unwrap();
    let r = t.laptops[0].ws.sync_pass().unwrap();
    assert_eq!((r.refolded, r.rebuilt_tickets), (false, 2), "{r:?}");
    settle(&mut t);
    assert_converged(&t);
    assert_eq!(t.laptops[0].ws.ticket(two).unwrap().priority, Priority::Urgent);
    // A ticket made apart changes the numbering: the whole state is folded again.
    t.laptops[1].minutes(1);
    new_ticket(&mut t.laptops[1], "Made on B", "bob@acme.kr");
    t.laptops[0].minutes(5);
    t.laptops[0].ws.set_priority(one, Priority::Low).unwrap();
    t.laptops[0].ws.sync_pass().unwrap();
    t.laptops[1].ws.sync_pass().unwrap();
    let r = t.laptops[0].ws.sync_pass().unwrap();
    assert!(r.refolded, "{r:?}");
    settle(&mut t);
    assert_converged(&t);
}

#[test]
fn a_share_that_is_gone_foreign_newer_or_cut_short_changes_nothing() {
    let a = env("2026-03-02T09:00:00Z");
    let mut t = team(a, 1);
    let share = t.share();
    let before = digest(&t.laptops[1]);
    // Unmounted: the folder's content is gone (a missing file is never a deletion).
    let hidden = share.with_extension("away");
    std::fs::rename(share.join("casebook"), &hidden).unwrap();
    let paused = |r: casebook::Result<casebook::sync::PassReport>| match r {
        Err(Error::SyncPaused { reason }) => reason,
        other => panic!("not paused: {other:?}"),
    };
    assert!(paused(t.laptops[1].ws.sync_pass()).contains("holds no Casebook share"));
    assert!(t.laptops[1].ws.sync_status().unwrap().paused.is_some());
    std::fs::rename(&hidden, share.join("casebook")).unwrap();

    // Another workspace's share.
    let other = env("2026-03-02T09:00:00Z");
    let mut other = team(other, 0);
    let foreign = other.share();
    let mine = std::fs::read(share.join("casebook/workspace.json")).unwrap();
    std::fs::copy(foreign.join("casebook/workspace.json"), share.join("casebook/workspace.json")).unwrap();
    assert!(paused(t.laptops[1].ws.sync_pass()).contains("another workspace"));
    std::fs::write(share.join("casebook/workspace.json"), &mine).unwrap();
    let _ = other.laptops[0].ws.sync_pass();

    // A segment cut short (still arriving) waits; once whole it is ingested.
    let a = &mut t.laptops[0];
    let n = new_ticket(a, "Arrives in pieces", "kim@acme.kr");
    a.ws.sync_pass().unwrap();
    let dev = a.ws.device().device_id.clone();
    let seg = share.join(format!("casebook/devices/{dev}/segments/0000000002.seg"));
    let whole = std::fs::read(&seg).unwrap();
    std::fs::write(&seg, &whole[..whole.len() / 2]).unwrap();
    let r = t.laptops[1].ws.sync_pass().unwrap();
    assert_eq!(r.ingested_events, 0);
    assert!(r.waiting.iter().any(|w| w.contains("waiting for the rest")), "{r:?}");
    assert_eq!(digest(&t.laptops[1]), before, "nothing changed");
    std::fs::write(&seg, &whole).unwrap();
    t.laptops[1].ws.sync_pass().unwrap();
    assert_eq!(t.laptops[1].ws.ticket(n).unwrap().subject, "Arrives in pieces");

    // A segment from a newer Casebook stops sync and is not applied.
    let a = &mut t.laptops[0];
    new_ticket(a, "From the future", "kim@acme.kr");
    a.ws.sync_pass().unwrap();
    let seg = share.join(format!("casebook/devices/{dev}/segments/0000000003.seg"));
    let text = String::from_utf8(std::fs::read(&seg).unwrap()).unwrap();
    let newer = text.replacen("\"format\":1,", "\"format\":9,", 1);
    let body_end = newer.trim_end().rfind('\n').unwrap() + 1;
    let sha = hex_sha(&newer.as_bytes()[..body_end]);
    let count = newer.lines().count() - 2;
    std::fs::write(&seg, format!("{}{{\"end\":{count},\"sha256\":\"{sha}\"}}\n", &newer[..body_end])).unwrap();
    let before = digest(&t.laptops[1]);
    assert!(paused(t.laptops[1].ws.sync_pass()).contains("newer Casebook"));
    assert_eq!(digest(&t.laptops[1]), before);

    // This laptop's own segment lost from the share is published again, byte for byte.
    std::fs::write(&seg, text.as_bytes()).unwrap();
    let seg1 = share.join(format!("casebook/devices/{dev}/segments/0000000001.seg"));
    let first = std::fs::read(&seg1).unwrap();
    std::fs::remove_file(&seg1).unwrap();
    let r = t.laptops[0].ws.sync_pass().unwrap();
    assert!(r.warnings.iter().any(|w| w.contains("published again")), "{r:?}");
    assert_eq!(std::fs::read(&seg1).unwrap(), first);
    settle(&mut t);
    assert_converged(&t);
}

#[test]
fn a_laptop_whose_state_differs_after_the_same_events_is_reported_as_diverged() {
    let mut t = team(env("2026-03-02T09:00:00Z"), 1);
    new_ticket(&mut t.laptops[0], "Same everywhere", "kim@acme.kr");
    settle(&mut t);
    for l in &t.laptops {
        assert!(l.ws.sync_status().unwrap().divergences.is_empty());
    }
    // The status just computed A's digest afresh; a pass publishes it. (A manifest may carry
    // an older digest: between passes it is recomputed only after a wait measured on the wall
    // clock, and under load that wait outlasted the test, so B had nothing to compare with.)
    t.laptops[0].ws.sync_pass().unwrap();
    // Someone edits B's database behind the engine's back: the same events, another state.
    t.laptops[1].ws.connection().execute("UPDATE tickets SET subject = 'edited by hand'", []).unwrap();
    let s = t.laptops[1].ws.sync_status().unwrap();
    assert_eq!(s.divergences.len(), 1, "{s:?}");
    assert!(s.divergences[0].contains(&digest(&t.laptops[0])), "both digests are named: {}", s.divergences[0]);
}

#[test]
fn the_others_see_who_is_viewing_and_replying_while_it_is_fresh() {
    let mut a = env("2026-03-02T09:00:00Z");
    let n = a.ticket("Printer offline", Priority::High);
    let mut t = team(a, 1);
    t.laptops[0].ws.set_presence(Some(n), false).unwrap();
    let seen = t.laptops[1].ws.sync_overview().unwrap().presence;
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!((seen[0].agent.as_str(), seen[0].ticket_number, seen[0].replying), ("Mina Park", n, false));
    assert!(t.laptops[0].ws.sync_overview().unwrap().presence.is_empty(), "one's own presence is not listed");
    t.laptops[0].ws.set_presence(Some(n), true).unwrap();
    assert!(t.laptops[1].ws.sync_overview().unwrap().presence[0].replying);
    // A laptop that stops passing (closed, gone) is no longer present after 30 s.
    t.laptops[1].clock.advance(chrono::Duration::seconds(31));
    assert!(t.laptops[1].ws.sync_overview().unwrap().presence.is_empty());
    // A pass keeps it fresh.
    t.laptops[0].clock.advance(chrono::Duration::seconds(31));
    t.laptops[0].ws.sync_pass().unwrap();
    assert_eq!(t.laptops[1].ws.sync_overview().unwrap().presence.len(), 1);
    t.laptops[0].ws.set_presence(None, false).unwrap();
    assert!(t.laptops[1].ws.sync_overview().unwrap().presence.is_empty());
}

fn hex_sha(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[test]
fn a_copied_data_folder_writes_as_a_new_device() {
    let a = env("2026-03-02T09:00:00Z");
    let t = team(a, 0);
    let original = t.laptops[0].ws.device().device_id.clone();
    let copy = tempfile::tempdir().unwrap();
    for f in ["ws.db", "ws.device.json"] {
        std::fs::copy(t.laptops[0].dir.path().join(f), copy.path().join(f)).unwrap();
    }
    let ws = Workspace::open(&copy.path().join("ws.db"), Arc::new(FixedClock::new(ts("2026-03-02T10:00:00Z")))).unwrap();
    assert_ne!(ws.device().device_id, original);
    assert_eq!(ws.device().replaced.as_deref(), Some(original.as_str()));
}

/// What a laptop does in a random history: an operation, or a sync pass.
#[derive(Debug, Clone)]
enum Step {
    Do(usize, Op),
    Sync(usize),
}

/// Operations on tickets that exist, nothing else.
fn ticket_op() -> impl Strategy<Value = Op> {
    let i = || 0usize..64;
    prop_oneof![
        (i()).prop_map(Op::Reply),
        (i()).prop_map(Op::Note),
        (i(), i()).prop_map(|(ticket, text)| Op::Customer { ticket, text }),
        (i(), i(), i()).prop_map(|(ticket, to, reason)| Op::Status { ticket, to, reason }),
        (i(), i()).prop_map(|(ticket, to)| Op::Priority { ticket, to }),
        (i(), i()).prop_map(|(ticket, to)| Op::Tags { ticket, tag: to }),
        (i(), i()).prop_map(|(ticket, to)| Op::Assign { ticket, to }),
        (i()).prop_map(Op::Claim),
        (i(), 0u8..48).prop_map(|(t, h)| Op::Snooze(t, h)),
        (i(), i(), any::<u8>()).prop_map(|(a, b, c)| Op::Bulk(a, b, c)),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0usize..3, op()).prop_map(|(l, o)| Step::Do(l, o)),
        1 => (0usize..3).prop_map(Step::Sync),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, max_shrink_iters: 100, ..ProptestConfig::default() })]

    /// Three laptops with random histories, synced at random moments (so segments arrive in
    /// any order, and clocks drift apart with each laptop's waits), end with the same state.
    #[test]
    fn three_laptops_converge_whatever_they_did_apart(steps in prop::collection::vec(step(), 1..40)) {
        let mut t = team(team_workspace(), 2);
        for (i, s) in steps.iter().enumerate() {
            match s {
                Step::Do(l, o) => run(&mut t.laptops[*l], i, o),
                Step::Sync(l) => { t.laptops[*l].ws.sync_pass().unwrap(); }
            }
        }
        settle(&mut t);
        assert_converged(&t);
        let numbers: Vec<i64> = t.laptops[0].ws.connection().prepare("SELECT number FROM tickets ORDER BY number").unwrap()
            .query_map([], |r| r.get(0)).unwrap().map(|r| r.unwrap()).collect();
        let expected: Vec<i64> = (1..=numbers.len() as i64).collect();
        prop_assert_eq!(numbers, expected, "every ticket is there, numbered once");
    }

    /// Only changes to tickets that exist (so late ones rebuild just their tickets): the
    /// same state as a whole refold, which each laptop's replay check compares with.
    #[test]
    fn late_changes_to_existing_tickets_rebuild_them_exactly(steps in prop::collection::vec((0usize..3, ticket_op(), 0usize..4), 1..40)) {
        let mut first = team_workspace();
        for i in 0..5 {
            new_ticket(&mut first, &format!("Existing ticket {i}"), "kim@acme.kr");
        }
        let mut t = team(first, 2);
        for (i, (l, o, sync)) in steps.iter().enumerate() {
            t.laptops[*l].minutes(1 + (*l as i64) * 7);
            run(&mut t.laptops[*l], i, o);
            if *sync == 0 {
                t.laptops[*l].ws.sync_pass().unwrap();
            }
        }
        settle(&mut t);
        assert_converged(&t);
    }

    /// A history where every laptop syncs before and after each change is a serial one: it
    /// meets no concurrent change.
    #[test]
    fn a_serial_history_across_laptops_has_no_conflicts(steps in prop::collection::vec((0usize..3, op()), 1..25)) {
        let mut t = team(team_workspace(), 2);
        for (i, (l, o)) in steps.iter().enumerate() {
            t.laptops[*l].ws.sync_pass().unwrap();
            run(&mut t.laptops[*l], i, o);
            t.laptops[*l].ws.sync_pass().unwrap();
        }
        settle(&mut t);
        assert_converged(&t);
        prop_assert!(conflicts(&t.laptops[0]).is_empty(), "{:?}", conflicts(&t.laptops[0]));
    }
}
