//! Automation rules on a fake clock: every built-in fires when it should, not before, and
//! once; order, the round limit, closed tickets, and dry runs that write nothing.

use crate::common::{env, fingerprint, Env};
use casebook::alerts::AlertQuery;
use casebook::model::{AlertKind, MessageKind, NewMessage, NewTicket, Priority, Resolution, Role, Status, Tier};
use casebook::people::NewAgent;
use casebook::rules::{Action, Condition, RuleDefinition, RuleKind, Since, TryTarget, MAX_ROUNDS};
use casebook::{Error, Workspace};
use sha2::{Digest, Sha256};

const DUPLICATES: &str = "Close duplicate requests";
const AUTO_RESOLVE: &str = "Resolve when the customer confirms the fix";
const COMPLEXITY: &str = "Escalate complex problems to a senior agent";

/// A team "Network" with Mina (admin, assignee), Piotr (its backup agent) and Soo-ah (senior).
fn team_env(at: &str) -> Env {
    let mut e = env(at);
    e.ws.add_team("Network", None).unwrap();
    e.ws.join_team("mina@acme.test", "Network").unwrap();
    for (name, email, skills) in [("Piotr Nowak", "piotr@acme.test", vec![]), ("Soo-ah Lee", "sooah@acme.test", vec!["senior".to_string()])] {
        e.ws.add_agent(&NewAgent { name: name.into(), email: email.into(), role: Role::Agent, teams: vec!["Network".into()], skills }).unwrap();
    }
    e.ws.connection().execute("UPDATE teams SET backup_agent = (SELECT id FROM agents WHERE email = 'piotr@acme.test')", []).unwrap();
    e
}

fn new_ticket(e: &mut Env, requester: &str, subject: &str, body: &str) -> i64 {
    e.ws.create_ticket(&NewTicket { subject: subject.into(), description: body.into(), requester_email: requester.into(), ..Default::default() })
        .unwrap()
        .number
}

fn say(e: &mut Env, n: i64, kind: MessageKind, body: &str) {
    e.ws.add_message(n, &NewMessage::new(kind, body)).unwrap();
}

/// The actors of a ticket's history that were rules.
fn rule_actors(ws: &Workspace, n: i64) -> Vec<(String, String)> {
    ws.history(n).unwrap().into_iter().filter(|ev| ev.actor.starts_with("rule:")).map(|ev| (ev.actor, ev.kind)).collect()
}

fn rule_alerts(ws: &Workspace, n: i64) -> Vec<String> {
    let mut a: Vec<String> = ws
        .alerts(&AlertQuery { ticket_number: Some(n), ..Default::default() })
        .unwrap()
        .into_iter()
        .filter(|a| a.kind == AlertKind::Rule)
        .map(|a| a.message.unwrap_or_default())
        .collect();
    a.reverse();
    a
}

#[test]
fn the_built_ins_are_there_switched_as_the_product_says_and_described_in_words() {
    let e = env("2026-03-02T09:00:00Z");
    let rules = e.ws.rules().unwrap();
    let on: Vec<(&str, bool)> = rules.iter().map(|r| (r.builtin.as_deref().unwrap(), r.definition.enabled)).collect();
    assert_eq!(
        on,
        vec![
            ("duplicates", true),
            ("auto_resolve", true),
            ("complexity", true),
            ("escalate_2h", true),
            ("escalate_4h", true),
            ("escalate_8h", true),
            ("pending_reminder", true),
            ("pending_close", true),
            ("resolved_close", true),
            ("auto_assign", false),
            ("vip_priority", false),
        ]
    );
    let pending = rules.iter().find(|r| r.builtin.as_deref() == Some("pending_close")).unwrap();
    assert!(pending.summary.contains("it became Pending at least 7 days ago"), "{}", pending.summary);
    assert!(pending.summary.contains("set status Closed (auto closed)"), "{}", pending.summary);
    // Reopening a workspace does not add them twice.
    let db = e.db();
    drop(e.ws);
    let ws = Workspace::open(&db, std::sync::Arc::new(casebook::SystemClock)).unwrap();
    assert_eq!(ws.rules().unwrap().len(), 11);
}

#[test]
fn a_customer_confirming_the_fix_resolves_the_ticket_in_three_languages() {
    let mut e = env("2026-03-02T09:00:00Z");
    let cases = [
        ("kim@acme.kr", "It works now, thank you!", true),
        ("lee@acme.kr", "해결되었습니다. 감사합니다", true),
        ("anna@firma.pl", "Już działa, dziękuję", true),
        ("bob@acme.test", "It is still not resolved", false),
        ("ola@firma.pl", "Nadal nie działa", false),
        ("park@acme.kr", "아직 해결되었습니다 라고 할 수 없어요", false),
    ];
    for (requester, answer, resolves) in cases {
        let n = new_ticket(&mut e, requester, &format!("Cannot sync calendar ({requester})"), "Calendar sync fails.");
        e.minutes(30);
        say(&mut e, n, MessageKind::Public, "Please sign out and in again.");
        e.minutes(60);
        say(&mut e, n, MessageKind::Customer, answer);
        let t = e.ws.ticket(n).unwrap();
        if resolves {
            assert_eq!((t.status, t.resolution), (Status::Resolved, Some(Resolution::ConfirmedByCustomer)), "{answer}");
            assert_eq!(rule_actors(&e.ws, n), vec![(format!("rule:{AUTO_RESOLVE}"), "ticket.status_changed".to_string())]);
        } else {
            assert_eq!(t.status, Status::Open, "{answer}");
        }
    }
    // Not when the agent's reply is more than 24 hours old.
    let n = new_ticket(&mut e, "late@acme.test", "Printer jams", "It jams.");
    say(&mut e, n, MessageKind::Public, "Try the other tray.");
    e.minutes(25 * 60);
    say(&mut e, n, MessageKind::Customer, "It works now");
    assert_eq!(e.ws.ticket(n).unwrap().status, Status::Open);
    // Not without any agent reply.
    let n = new_ticket(&mut e, "early@acme.test", "Fixed my own problem", "Resolved, never mind");
    assert_eq!(e.ws.ticket(n).unwrap().status, Status::New);
}

#[test]
fn duplicates_from_the_same_requester_are_merged_in_english_and_korean() {
    let mut e = env("2026-03-02T09:00:00Z");
    let first = new_ticket(&mut e, "kim@acme.kr", "VPN drops every 10 minutes", "Since Monday.");
    e.minutes(60);
    let dup = new_ticket(&mut e, "kim@acme.kr", "Re: VPN drops every 10 minutes!", "Again, please help.");
    let t = e.ws.ticket(dup).unwrap();
    assert_eq!((t.status, t.resolution, t.duplicate_of), (Status::Closed, Some(Resolution::Duplicate), Some(first)));
    let detail = e.ws.ticket_detail(dup).unwrap();
    let reply = detail.messages.iter().find(|m| m.kind == MessageKind::Public).expect("the requester is told");
    assert!(reply.body.contains(&format!("#{first}")), "{}", reply.body);
    assert!(rule_actors(&e.ws, dup).iter().all(|(actor, _)| actor == &format!("rule:{DUPLICATES}")));
    assert!(rule_actors(&e.ws, dup).iter().any(|(_, kind)| kind == "ticket.merged"));
    assert!(e.ws.ticket_detail(first).unwrap().links.iter().any(|l| l.number == dup));

    let ko = new_ticket(&mut e, "lee@acme.kr", "프린터가 작동하지 않습니다", "3층 프린터");
    e.minutes(120);
    let ko_dup = new_ticket(&mut e, "lee@acme.kr", "프린터 작동하지 않습니다", "아직도요");
    assert_eq!(e.ws.ticket(ko_dup).unwrap().duplicate_of, Some(ko));

    // Not: another requester, after 12 hours, another type, or a different subject.
    let other = new_ticket(&mut e, "park@acme.kr", "VPN drops every 10 minutes", "Me too.");
    e.minutes(13 * 60);
    let late = new_ticket(&mut e, "kim@acme.kr", "VPN drops every 10 minutes", "Still.");
    let typed =
        e.ws.create_ticket(&NewTicket {
            subject: "VPN drops every 10 minutes".into(),
            description: "billing?".into(),
            requester_email: "kim@acme.kr".into(),
            ticket_type: Some("Account".into()),
            ..Default::default()
        })
        .unwrap()
        .number;
    let different = new_ticket(&mut e, "kim@acme.kr", "Invoice address is wrong", "Please fix.");
    for n in [other, late, typed, different] {
        assert_eq!(e.ws.ticket(n).unwrap().status, Status::New, "#{n} is not a duplicate");
    }
}

#[test]
fn no_reply_escalates_at_two_four_and_eight_hours_once_each_and_stops_when_answered_or_resolved() {
    let mut e = team_env("2026-03-02T09:00:00Z");
    let n =
        e.ws.create_ticket(&NewTicket {
            subject: "Office Wi-Fi keeps dropping".into(),
            description: "Every few minutes.".into(),
            requester_email: "kim@acme.kr".into(),
            priority: Some(Priority::Low),
            team: Some("Network".into()),
            assignee_email: Some("mina@acme.test".into()),
            ..Default::default()
        })
        .unwrap()
        .number;
    let pass = |e: &mut Env, at: &str| {
        e.at(at);
        e.ws.run_time_rules().unwrap().changes.into_iter().filter(|c| c.ticket_number == n).map(|c| c.rule).collect::<Vec<_>>()
    };
    assert!(pass(&mut e, "2026-03-02T10:59:00Z").is_empty(), "not before 2 hours");
    assert_eq!(pass(&mut e, "2026-03-02T11:00:00Z"), vec!["No reply for 2 hours: notify and raise priority"]);
    assert_eq!(e.ws.ticket(n).unwrap().priority, Priority::Medium);
    assert!(pass(&mut e, "2026-03-02T11:30:00Z").is_empty(), "once");
    assert_eq!(pass(&mut e, "2026-03-02T13:00:00Z"), vec!["No reply for 4 hours: reassign to the backup agent"]);
    assert_eq!(e.ws.ticket(n).unwrap().assignee.unwrap().email, "piotr@acme.test");
    assert_eq!(pass(&mut e, "2026-03-02T17:00:00Z"), vec!["No reply for 8 hours: Urgent and tell the admin"]);
    assert_eq!(e.ws.ticket(n).unwrap().priority, Priority::Urgent);
    assert!(pass(&mut e, "2026-03-02T23:00:00Z").is_empty());
    assert_eq!(
        rule_alerts(&e.ws, n),
        vec![
            "Customer waiting 2 hours for a reply",
            "Customer waiting 4 hours: reassigned to the backup agent",
            "Customer waiting 8 hours for a reply"
        ]
    );
    let actors: Vec<String> = rule_actors(&e.ws, n).into_iter().map(|a| a.0).collect();
    assert!(actors.contains(&"rule:No reply for 8 hours: Urgent and tell the admin".to_string()));

    // An answer ends the wait; a new customer message starts a new one.
    say(&mut e, n, MessageKind::Public, "Looking into it.");
    assert!(pass(&mut e, "2026-03-03T09:00:00Z").is_empty());
    say(&mut e, n, MessageKind::Customer, "Any news?");
    assert_eq!(pass(&mut e, "2026-03-03T11:00:00Z"), vec!["No reply for 2 hours: notify and raise priority"]);
    // Resolved: escalation ends by itself (R3).
    e.ws.set_status(n, Status::Resolved, None).unwrap();
    assert!(pass(&mut e, "2026-03-03T17:00:00Z").is_empty());
}

#[test]
fn complex_problems_go_to_a_senior_agent_once() {
    let mut e = team_env("2026-03-02T09:00:00Z");
    let outage = new_ticket(&mut e, "kim@acme.kr", "서버 다운", "회사 전체가 접속이 안 됩니다");
    let many = new_ticket(&mut e, "anna@firma.pl", "Cannot log in", "About 15 users cannot log in since 8:00.");
    let few = new_ticket(&mut e, "bob@acme.test", "Cannot log in", "Two users cannot log in.");
    for n in [outage, many] {
        let t = e.ws.ticket(n).unwrap();
        assert_eq!(t.assignee.map(|a| a.email).as_deref(), Some("sooah@acme.test"), "#{n}");
        assert_eq!(t.tags, vec!["escalated".to_string()]);
        assert_eq!(rule_alerts(&e.ws, n), vec!["Complex problem escalated to a senior agent"]);
        assert!(rule_actors(&e.ws, n).iter().all(|(actor, _)| actor == &format!("rule:{COMPLEXITY}")));
    }
    assert!(e.ws.ticket(few).unwrap().assignee.is_none());
    // Once: the customer writing about the outage again changes nothing more.
    say(&mut e, outage, MessageKind::Customer, "아직도 서버 다운입니다");
    assert_eq!(rule_alerts(&e.ws, outage).len(), 1);
    // The same problem a third time in 30 days.
    for day in 0..3 {
        e.minutes(24 * 60);
        let n = new_ticket(&mut e, "ola@firma.pl", &format!("Drukarka nie drukuje ({day})"), "Znowu.");
        let escalated = e.ws.ticket(n).unwrap().tags.contains(&"escalated".to_string());
        assert_eq!(escalated, day == 2, "day {day}");
    }
}

#[test]
fn pending_tickets_get_a_reminder_at_48_hours_and_close_after_7_days() {
    let mut e = env("2026-03-02T09:00:00Z");
    let n = new_ticket(&mut e, "kim@acme.kr", "Need the invoice again", "Please resend.");
    say(&mut e, n, MessageKind::Public, "Which month?");
    e.ws.set_status(n, Status::Pending, None).unwrap();
    let pass = |e: &mut Env, at: &str| {
        e.at(at);
        e.ws.run_time_rules().unwrap().changes.into_iter().map(|c| c.rule).collect::<Vec<_>>()
    };
    assert!(pass(&mut e, "2026-03-04T08:59:00Z").is_empty());
    assert_eq!(pass(&mut e, "2026-03-04T09:00:00Z"), vec!["Remind the customer after 2 days in Pending"]);
    let replies: Vec<String> =
        e.ws.ticket_detail(n).unwrap().messages.into_iter().filter(|m| m.kind == MessageKind::Public).map(|m| m.body).collect();
    assert_eq!(replies.len(), 2);
    assert!(replies[1].contains("still waiting for your answer"), "{}", replies[1]);
    assert!(pass(&mut e, "2026-03-05T09:00:00Z").is_empty(), "one reminder");
    assert_eq!(e.ws.ticket(n).unwrap().status, Status::Pending, "the rule's reminder is not an agent's answer");
    assert_eq!(pass(&mut e, "2026-03-09T09:00:00Z"), vec!["Close after 7 days in Pending"]);
    let t = e.ws.ticket(n).unwrap();
    assert_eq!((t.status, t.resolution), (Status::Closed, Some(Resolution::AutoClosed)));
    // Closed tickets are never touched again.
    let before = fingerprint(&e.db());
    assert!(pass(&mut e, "2026-04-09T09:00:00Z").is_empty());
    assert_eq!(fingerprint(&e.db()), before);
}

#[test]
fn resolved_tickets_close_after_four_days_unless_reopened() {
    let mut e = env("2026-03-02T09:00:00Z");
    let a = new_ticket(&mut e, "kim@acme.kr", "Password reset", "Locked out.");
    let b = new_ticket(&mut e, "anna@firma.pl", "Export to PDF fails", "Error 500.");
    e.ws.set_status(a, Status::Resolved, None).unwrap();
    e.ws.set_status(b, Status::Resolved, None).unwrap();
    e.at("2026-03-05T09:00:00Z");
    say(&mut e, b, MessageKind::Customer, "Hm, it fails again");
    let closed_by_rule = |e: &mut Env, at: &str| {
        e.at(at);
        let r = e.ws.run_time_rules().unwrap();
        r.changes.into_iter().filter(|c| c.rule == "Close resolved tickets after 4 days").map(|c| c.ticket_number).collect::<Vec<_>>()
    };
    assert!(closed_by_rule(&mut e, "2026-03-06T08:59:00Z").is_empty());
    assert_eq!(closed_by_rule(&mut e, "2026-03-06T09:00:00Z"), vec![a]);
    assert_eq!(e.ws.ticket(a).unwrap().status, Status::Closed);
    assert_eq!(e.ws.ticket(b).unwrap().status, Status::Open);
}

#[test]
fn auto_assign_and_vip_are_off_until_switched_on() {
    let mut e = team_env("2026-03-02T09:00:00Z");
    e.ws.save_customer("vip@bigco.test", "Big Co", None, Tier::Vip).unwrap();
    let before =
        e.ws.create_ticket(&NewTicket {
            subject: "Hello".into(),
            description: "x".into(),
            requester_email: "vip@bigco.test".into(),
            team: Some("Network".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!((before.priority, before.assignee), (Priority::Medium, None));
    e.ws.set_rule_enabled("Assign new tickets in turn", true).unwrap();
    e.ws.set_rule_enabled("VIP customers start one priority up", true).unwrap();
    let mut assignees = vec![];
    for i in 0..4 {
        let t =
            e.ws.create_ticket(&NewTicket {
                subject: ["Printer jam", "Password reset", "Invoice copy", "Slow laptop"][i].into(),
                description: "x".into(),
                requester_email: "vip@bigco.test".into(),
                team: Some("Network".into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(t.priority, Priority::High);
        assignees.push(t.assignee.unwrap().email);
    }
    // In turn over the team's three agents (by email), round and round.
    assert_eq!(assignees, vec!["mina@acme.test", "piotr@acme.test", "sooah@acme.test", "mina@acme.test"]);
}

fn rule(name: &str, kind: RuleKind, all: Vec<Condition>, actions: Vec<Action>) -> RuleDefinition {
    RuleDefinition { name: name.into(), kind, enabled: true, note: String::new(), all, any: vec![], actions }
}

fn tagged(tag: &str) -> Condition {
    Condition::Tags { values: vec![tag.into()], not: false }
}

#[test]
fn rules_run_in_order_and_a_later_rule_sees_what_an_earlier_one_did() {
    let mut e = env("2026-03-02T09:00:00Z");
    let high =
        e.ws.save_rule(
            None,
            rule("Callback is High", RuleKind::Trigger, vec![tagged("callback")], vec![Action::SetPriority { priority: Priority::High }]),
        )
        .unwrap();
    e.ws.save_rule(None, rule("Callback is Low", RuleKind::Trigger, vec![tagged("callback")], vec![Action::SetPriority { priority: Priority::Low }]))
        .unwrap();
    e.ws.save_rule(
        None,
        rule(
            "Low gets a look",
            RuleKind::Trigger,
            vec![Condition::Priority { values: vec![Priority::Low], not: false }],
            vec![Action::AddTags { tags: vec!["look".into()] }],
        ),
    )
    .unwrap();
    let a = new_ticket(&mut e, "kim@acme.kr", "Call me back", "x");
    e.ws.set_tags(a, &["callback".into()]).unwrap();
    let t = e.ws.ticket(a).unwrap();
    assert_eq!(t.priority, Priority::Low, "the later rule has the last word");
    assert_eq!(t.tags, vec!["callback".to_string(), "look".into()], "and the rule after it saw Low");
    let order: Vec<String> = rule_actors(&e.ws, a).into_iter().map(|x| x.0).collect();
    assert_eq!(order, vec!["rule:Callback is High", "rule:Callback is Low", "rule:Low gets a look"]);

    // Moved to the end, "High" has the last word on the next ticket.
    e.ws.move_rule(&high.id.to_string(), 99).unwrap();
    let b = new_ticket(&mut e, "lee@acme.kr", "Call me too", "x");
    e.ws.set_tags(b, &["callback".into()]).unwrap();
    assert_eq!(e.ws.ticket(b).unwrap().priority, Priority::High);
}

#[test]
fn rules_that_keep_undoing_each_other_stop_after_the_round_limit_and_say_why() {
    let mut e = env("2026-03-02T09:00:00Z");
    // Each reopen starts a new SLA cycle, so each rule's window (the cycle) is new again.
    use casebook::sla::SlaState;
    let sla = |values: Vec<SlaState>| Condition::Sla { values, not: false };
    let status = |s: Status| Condition::Status { values: vec![s], not: false };
    let running = vec![SlaState::Ok, SlaState::AtRisk, SlaState::Breached];
    e.ws.save_rule(
        None,
        rule(
            "Resolve it",
            RuleKind::Trigger,
            vec![status(Status::Open), sla(running)],
            vec![Action::SetStatus { status: Status::Resolved, reason: None }],
        ),
    )
    .unwrap();
    e.ws.save_rule(
        None,
        rule(
            "Reopen it",
            RuleKind::Trigger,
            vec![status(Status::Resolved), sla(vec![SlaState::Met])],
            vec![Action::SetStatus { status: Status::Open, reason: None }],
        ),
    )
    .unwrap();
    let n = new_ticket(&mut e, "kim@acme.kr", "Ping pong", "x");
    e.minutes(1);
    e.ws.set_status(n, Status::Open, None).unwrap();
    let history = e.ws.history(n).unwrap();
    let by_rules = history.iter().filter(|ev| ev.actor.starts_with("rule:")).count();
    assert_eq!(by_rules, 2 * MAX_ROUNDS, "each rule once per round, then stopped");
    let stopped = history.iter().find(|ev| ev.kind == "rules.stopped").expect("the reason is recorded");
    assert!(stopped.payload["reason"].as_str().unwrap().contains("Resolve it, Reopen it"), "{}", stopped.payload);
}

#[test]
fn closed_tickets_are_never_touched() {
    let mut e = env("2026-03-02T09:00:00Z");
    e.ws.save_rule(
        None,
        rule(
            "Tag everything",
            RuleKind::Time,
            vec![Condition::Status { values: vec![Status::New], not: true }],
            vec![Action::AddTags { tags: vec!["seen".into()] }],
        ),
    )
    .unwrap();
    let n = new_ticket(&mut e, "kim@acme.kr", "Spam", "buy now");
    e.ws.set_status(n, Status::Closed, Some(Resolution::NoActionNeeded)).unwrap();
    let before = fingerprint(&e.db());
    let r = e.ws.run_time_rules().unwrap();
    assert_eq!((r.tickets_examined, r.changes.len()), (0, 0));
    assert_eq!(fingerprint(&e.db()), before);
}

fn file_hash(path: &std::path::Path) -> String {
    std::fs::read(path).map(|b| hex::encode(Sha256::digest(b))).unwrap_or_else(|_| "absent".into())
}

#[test]
fn a_dry_run_lists_what_a_run_would_do_and_writes_nothing() {
    let mut e = team_env("2026-03-02T09:00:00Z");
    let waiting = new_ticket(&mut e, "kim@acme.kr", "Office Wi-Fi keeps dropping", "Every few minutes.");
    let pending = new_ticket(&mut e, "anna@firma.pl", "Need the invoice", "Please.");
    say(&mut e, pending, MessageKind::Public, "Which month?");
    e.ws.set_status(pending, Status::Pending, None).unwrap();
    e.at("2026-03-05T09:00:00Z");

    let db = e.db();
    let wal = db.with_file_name("ws.db-wal");
    let before = (fingerprint(&db), file_hash(&db), file_hash(&wal));
    let all = e.ws.try_rules(&TryTarget::AllEnabled).unwrap();
    let one = e.ws.try_rules(&TryTarget::Saved { name: "No reply for 8 hours: Urgent and tell the admin".into() }).unwrap();
    let draft =
        e.ws.try_rules(&TryTarget::Draft {
            definition: rule(
                "Draft: tag the waiting",
                RuleKind::Time,
                vec![Condition::HoursSince { since: Since::AwaitingReply, at_least: Some(1.0), less_than: None }],
                vec![Action::AddTags { tags: vec!["waiting".into()] }],
            ),
            id: None,
        })
        .unwrap();
    assert_eq!((fingerprint(&db), file_hash(&db), file_hash(&wal)), before, "not a byte written");

    assert!(all.dry_run);
    let listed: Vec<(i64, String)> = all.changes.iter().map(|c| (c.ticket_number, c.rule.clone())).collect();
    assert_eq!(
        listed,
        vec![
            (waiting, "No reply for 2 hours: notify and raise priority".into()),
            (waiting, "No reply for 4 hours: reassign to the backup agent".into()),
            (waiting, "No reply for 8 hours: Urgent and tell the admin".into()),
            (pending, "Remind the customer after 2 days in Pending".into()),
        ]
    );
    assert_eq!(one.changes.len(), 1);
    // Alone, the 8-hour rule starts from the ticket's own Medium (the 2-hour one is not run).
    assert_eq!(one.changes[0].changes, vec!["priority Medium → Urgent", "notify admin: Customer waiting 8 hours for a reply"]);
    assert_eq!(draft.changes.iter().map(|c| c.ticket_number).collect::<Vec<_>>(), vec![waiting]);
    assert!(e.ws.rule("Draft: tag the waiting").is_err(), "a draft is not saved");

    // The run does what the dry run said.
    let run = e.ws.run_time_rules().unwrap();
    assert!(!run.dry_run);
    assert_eq!(run.changes, all.changes);
}

#[test]
fn a_rule_that_cannot_work_is_refused_in_words_and_nothing_changes() {
    let mut e = env("2026-03-02T09:00:00Z");
    let before = fingerprint(&e.db());
    let cases: Vec<(RuleDefinition, &str)> = vec![
        (rule("No conditions", RuleKind::Trigger, vec![], vec![Action::RaisePriority]), "at least one condition"),
        (rule("No actions", RuleKind::Trigger, vec![tagged("x")], vec![]), "at least one action"),
        (
            rule("Ghost team", RuleKind::Trigger, vec![Condition::Team { values: vec!["Ghosts".into()], not: false }], vec![Action::RaisePriority]),
            "condition 1 (team): there is no team 'Ghosts'",
        ),
        (
            rule(
                "Timed event",
                RuleKind::Time,
                vec![Condition::Event { events: vec![casebook::rules::TriggerEvent::Created] }],
                vec![Action::RaisePriority],
            ),
            "use a trigger",
        ),
        (rule("Merge what", RuleKind::Trigger, vec![tagged("x")], vec![Action::MergeIntoOriginal]), "action 1 (merge_into_original)"),
        (rule("No macro", RuleKind::Trigger, vec![tagged("x")], vec![Action::SendMacro { macro_name: "Nope".into() }]), "there is no macro 'Nope'"),
        (
            rule(
                "Backwards",
                RuleKind::Time,
                vec![Condition::HoursSince { since: Since::Created, at_least: Some(5.0), less_than: Some(2.0) }],
                vec![Action::RaisePriority],
            ),
            "must be below",
        ),
        (
            rule(
                "Auto-close Resolved after 4 days",
                RuleKind::Time,
                vec![tagged("x")],
                vec![Action::SetStatus { status: Status::New, reason: None }],
            ),
            "no ticket goes back to New",
        ),
    ];
    for (def, words) in cases {
        match e.ws.save_rule(None, def.clone()) {
            Err(err @ Error::Validation { .. }) => assert!(err.to_string().contains(words), "{}: {err}", def.name),
            other => panic!("{}: expected a validation error, got {other:?}", def.name),
        }
        assert!(e.ws.try_rules(&TryTarget::Draft { definition: def, id: None }).is_err());
    }
    // A name already taken (a draft may be tried under any name).
    let err = e.ws.save_rule(None, rule(DUPLICATES, RuleKind::Trigger, vec![tagged("x")], vec![Action::RaisePriority])).unwrap_err();
    assert!(err.to_string().contains("already a rule called"), "{err}");
    assert_eq!(fingerprint(&e.db()), before);
}
