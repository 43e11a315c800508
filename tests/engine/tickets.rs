//! The ticket workflow through the engine's public API (PRODUCT T1–T6): conversation and
//! status side effects, Closed is read-only, history, assignment, merge, links,
//! attachments, macros, views.

use crate::common::{env, fingerprint, walk};
use casebook::model::{LinkKind, MessageKind, NewMessage, NewTicket, Priority, Resolution, Role, Status};
use casebook::people::NewAgent;
use casebook::views::{AssigneeFilter, BuiltinView, Filters, SlaFilter, Sort, SortKey, ViewQuery};
use casebook::{Error, Field};

#[test]
fn a_ticket_gets_a_uuid_v7_and_numbers_count_from_one() {
    let mut e = env("2026-03-02T09:00:00Z");
    let a = e.ws.create_ticket(&NewTicket {
        subject: "  VPN drops every 10 minutes ".into(),
        description: "Since Monday.".into(),
        requester_email: "kim.jiho@acme.kr".into(),
        requester_name: Some("Kim Jiho".into()),
        organisation: Some("Acme".into()),
        priority: Some(Priority::High),
        ticket_type: Some("technical".into()),
        tags: vec!["VPN".into(), "network".into()],
        ..Default::default()
    });
    let a = a.unwrap();
    assert_eq!(a.number, 1);
    assert_eq!(a.id.get_version_num(), 7);
    assert_eq!(a.subject, "VPN drops every 10 minutes");
    assert_eq!(a.ticket_type, "Technical", "types resolve to their canonical spelling");
    assert_eq!(a.tags, vec!["network", "vpn"]);
    assert_eq!(a.status, Status::New);
    assert_eq!(a.requester.organisation.as_deref(), Some("Acme"));
    let b = e.ticket("Second", Priority::Low);
    assert_eq!(b, 2);
    // The description is the customer's first message.
    let d = e.ws.ticket_detail(1).unwrap();
    assert_eq!(d.messages.len(), 1);
    assert_eq!(d.messages[0].kind, MessageKind::Customer);
    assert_eq!(d.messages[0].author_name, "Kim Jiho");
}

#[test]
fn conversation_moves_the_status_as_people_expect() {
    let mut e = env("2026-03-02T09:00:00Z");
    let n = e.ticket("Refund", Priority::Medium);
    // A note does not open the ticket; a public reply does, and is the first response.
    e.ws.add_message(n, &NewMessage::new(MessageKind::Internal, "VIP, be quick")).unwrap();
    assert_eq!(e.ws.ticket(n).unwrap().status, Status::New);
    e.minutes(3);
    e.ws.add_message(n, &NewMessage::new(MessageKind::Public, "Which order?")).unwrap();
    let t = e.ws.ticket(n).unwrap();
    assert_eq!(t.status, Status::Open);
    assert_eq!(t.first_response_at, Some(crate::common::ts("2026-03-02T09:03:00Z")));
    // Pending, then the customer answers: Open again.
    e.ws.set_status(n, Status::Pending, None).unwrap();
    e.ws.add_message(n, &NewMessage::new(MessageKind::Customer, "ORD-1")).unwrap();
    assert_eq!(e.ws.ticket(n).unwrap().status, Status::Open);
    // On hold stays on hold when the customer writes.
    e.ws.set_status(n, Status::OnHold, None).unwrap();
    e.ws.add_message(n, &NewMessage::new(MessageKind::Customer, "any news?")).unwrap();
    assert_eq!(e.ws.ticket(n).unwrap().status, Status::OnHold);
    // Resolved keeps the reason; a customer reply reopens and clears it.
    e.ws.set_status(n, Status::Resolved, None).unwrap();
    let t = e.ws.ticket(n).unwrap();
    assert_eq!((t.status, t.resolution), (Status::Resolved, Some(Resolution::Solved)));
    assert!(t.resolved_at.is_some());
    e.ws.add_message(n, &NewMessage::new(MessageKind::Customer, "still wrong")).unwrap();
    let t = e.ws.ticket(n).unwrap();
    assert_eq!((t.status, t.resolution, t.resolved_at), (Status::Open, None, None));
    e.ws.set_status(n, Status::Resolved, Some(Resolution::ConfirmedByCustomer)).unwrap();
    e.ws.set_status(n, Status::Closed, None).unwrap();
    let t = e.ws.ticket(n).unwrap();
    assert_eq!((t.status, t.resolution), (Status::Closed, Some(Resolution::ConfirmedByCustomer)));
    assert!(t.closed_at.is_some());
}

#[test]
fn every_illegal_transition_is_refused_and_writes_nothing() {
    for from in [Status::New, Status::Open, Status::Pending, Status::OnHold, Status::Resolved] {
        for to in Status::ALL {
            let mut e = env("2026-03-02T09:00:00Z");
            let n = e.ticket("Machine", Priority::Medium);
            // Bring the ticket to `from` by a legal path.
            match from {
                Status::New => {}
                Status::Resolved => {
                    e.ws.set_status(n, Status::Resolved, None).unwrap();
                }
                s => {
                    e.ws.set_status(n, s, None).unwrap();
                }
            }
            let before = fingerprint(&e.db());
            let result = e.ws.set_status(n, to, None);
            if from.allows(to, None) {
                assert_eq!(result.unwrap().status, to, "{from:?} -> {to:?}");
            } else {
                assert!(matches!(result, Err(Error::IllegalTransition { .. })), "{from:?} -> {to:?}: {result:?}");
                assert_eq!(before, fingerprint(&e.db()), "{from:?} -> {to:?} changed the database");
            }
        }
    }
}

#[test]
fn a_closed_ticket_is_read_only() {
    let mut e = env("2026-03-02T09:00:00Z");
    let n = e.ticket("Done", Priority::Medium);
    let other = e.ticket("Other", Priority::Medium);
    e.ws.set_status(n, Status::Resolved, None).unwrap();
    e.ws.set_status(n, Status::Closed, None).unwrap();
    let msg_id = e.ws.ticket_detail(n).unwrap().messages[0].id;
    let before = fingerprint(&e.db());
    let closed = |r: Result<(), Error>| matches!(r, Err(Error::TicketClosed { number }) if number == n);
    let ws = &mut e.ws;
    assert!(closed(ws.add_message(n, &NewMessage::new(MessageKind::Public, "hi")).map(|_| ())));
    assert!(closed(ws.add_message(n, &NewMessage::new(MessageKind::Customer, "reopen?")).map(|_| ())));
    assert!(closed(ws.set_status(n, Status::Open, None).map(|_| ())));
    assert!(closed(ws.set_priority(n, Priority::Urgent).map(|_| ())));
    assert!(closed(ws.set_type(n, "Order").map(|_| ())));
    assert!(closed(ws.assign(n, Some("mina@acme.test")).map(|_| ())));
    assert!(closed(ws.claim(n).map(|_| ())));
    assert!(closed(ws.set_team(n, None).map(|_| ())));
    assert!(closed(ws.set_tags(n, &["x".into()]).map(|_| ())));
    assert!(closed(ws.merge(n, other).map(|_| ())));
    assert!(closed(ws.merge(other, n).map(|_| ())));
    assert!(closed(ws.link(n, other)));
    assert!(closed(ws.mark_solution(n, msg_id)));
    assert_eq!(before, fingerprint(&e.db()));
}

#[test]
fn history_records_every_change_with_who_and_what() {
    let mut e = env("2026-03-02T09:00:00Z");
    e.ws.add_agent(&NewAgent { name: "Jiho Kim".into(), email: "jiho@acme.test".into(), role: Role::Agent, teams: vec![], skills: vec![] }).unwrap();
    let n = e.ticket("VPN", Priority::Medium);
    e.ws.set_priority(n, Priority::High).unwrap();
    e.ws.set_priority(n, Priority::High).unwrap(); // unchanged: no event
    e.ws.assign(n, Some("jiho@acme.test")).unwrap();
    e.ws.act_as("jiho@acme.test").unwrap();
    e.ws.add_message(n, &NewMessage::new(MessageKind::Public, "On it")).unwrap();
    e.ws.set_tags(n, &["vpn".into()]).unwrap();
    let h = e.ws.history(n).unwrap();
    let kinds: Vec<(&str, &str)> = h.iter().map(|ev| (ev.actor.as_str(), ev.kind.as_str())).collect();
    assert_eq!(
        kinds,
        vec![
            ("agent:mina@acme.test", "ticket.created"),
            ("customer:kim.jiho@acme.kr", "message.added"),
            ("agent:mina@acme.test", "ticket.field_changed"),
            ("agent:mina@acme.test", "ticket.field_changed"),
            ("agent:jiho@acme.test", "message.added"),
            ("agent:jiho@acme.test", "ticket.status_changed"),
            ("agent:jiho@acme.test", "ticket.field_changed"),
        ]
    );
    assert_eq!(h[2].payload["field"], "priority");
    assert_eq!(h[2].payload["from"], "medium");
    assert_eq!(h[2].payload["to"], "high");
    assert_eq!(h[3].payload["to"], "jiho@acme.test");
    assert!(h.iter().all(|ev| ev.id.get_version_num() == 7 && !ev.device.is_empty()));
    assert!(h.windows(2).all(|w| w[0].seq < w[1].seq));
}

#[test]
fn claim_assign_unassign_and_teams() {
    let mut e = env("2026-03-02T09:00:00Z");
    e.ws.add_team("Technical", None).unwrap();
    let n = e.ticket("Printer", Priority::Medium);
    assert_eq!(e.ws.claim(n).unwrap().assignee.unwrap().email, "mina@acme.test");
    assert!(e.ws.set_field(n, Field::Assignee, "none").unwrap().assignee.is_none());
    assert!(matches!(e.ws.assign(n, Some("ghost@acme.test")), Err(Error::NotFound { .. })));
    assert_eq!(e.ws.set_team(n, Some("technical")).unwrap().team.as_deref(), Some("Technical"));
    assert!(matches!(e.ws.set_team(n, Some("Nope")), Err(Error::NotFound { .. })));
}

#[test]
fn merge_closes_the_duplicate_and_keeps_its_messages_readable_from_the_original() {
    let mut e = env("2026-03-02T09:00:00Z");
    let original = e.ticket("VPN drops", Priority::High);
    e.minutes(10);
    // (Not alike enough for the duplicate rule to merge it first.)
    let dup = e.ticket("My laptop loses the VPN too", Priority::High);
    e.ws.add_message(dup, &NewMessage::new(MessageKind::Customer, "also on my laptop")).unwrap();
    e.ws.merge(dup, original).unwrap();
    let d = e.ws.ticket(dup).unwrap();
    assert_eq!((d.status, d.resolution, d.duplicate_of), (Status::Closed, Some(Resolution::Duplicate), Some(original)));
    let o = e.ws.ticket_detail(original).unwrap();
    let from_dup: Vec<&str> = o.messages.iter().filter(|m| m.ticket_number == dup).map(|m| m.body.as_str()).collect();
    assert!(from_dup.contains(&"also on my laptop"), "{from_dup:?}");
    assert!(o.messages.iter().any(|m| m.kind == MessageKind::System && m.body.contains(&format!("#{dup}"))));
    assert!(o.links.iter().any(|l| l.kind == LinkKind::Duplicate && l.number == dup && l.incoming));
    assert!(e.ws.ticket_detail(dup).unwrap().links.iter().any(|l| l.number == original && !l.incoming));
    assert!(matches!(e.ws.merge(original, original), Err(Error::Validation { .. })));
}

#[test]
fn links_are_two_way_and_not_repeated() {
    let mut e = env("2026-03-02T09:00:00Z");
    let a = e.ticket("A", Priority::Medium);
    let b = e.ticket("B", Priority::Medium);
    e.ws.link(a, b).unwrap();
    e.ws.link(b, a).unwrap();
    assert_eq!(e.ws.ticket_detail(a).unwrap().links.len(), 1);
    assert_eq!(e.ws.ticket_detail(b).unwrap().links.len(), 1);
    assert!(e.ws.link(a, a).is_err());
}

#[test]
fn attachments_are_stored_once_per_content() {
    let mut e = env("2026-03-02T09:00:00Z");
    let n = e.ticket("Screenshot", Priority::Medium);
    let file = e.dir.path().join("error.png");
    std::fs::write(&file, b"\x89PNG fake image bytes").unwrap();
    let copy = e.dir.path().join("same.png");
    std::fs::write(&copy, b"\x89PNG fake image bytes").unwrap();
    let m1 = e.ws.add_message(n, &NewMessage { kind: MessageKind::Public, body: "see".into(), attachments: vec![file.clone()] }).unwrap();
    let m2 = e.ws.add_message(n, &NewMessage { kind: MessageKind::Customer, body: String::new(), attachments: vec![copy] }).unwrap();
    assert_eq!(m1.attachments[0].sha256, m2.attachments[0].sha256);
    assert_eq!(m2.attachments[0].filename, "same.png");
    let stored = e.dir.path().join(&m1.attachments[0].stored_path);
    assert_eq!(std::fs::read(&stored).unwrap(), b"\x89PNG fake image bytes");
    let files: Vec<_> = walk(&e.dir.path().join("attachments"));
    assert_eq!(files.len(), 1, "{files:?}");
    // A missing file is refused and nothing is written.
    let before = fingerprint(&e.db());
    let missing = NewMessage { kind: MessageKind::Public, body: "x".into(), attachments: vec![e.dir.path().join("nope.pdf")] };
    assert!(matches!(e.ws.add_message(n, &missing), Err(Error::Validation { .. })));
    assert_eq!(before, fingerprint(&e.db()));
}

#[test]
fn macros_fill_placeholders_and_refuse_unknown_ones() {
    let mut e = env("2026-03-02T09:00:00Z");
    let n = e.ticket("Refund", Priority::Medium);
    e.ws.save_macro("Thanks", "Hi {{requester.name}}, #{{ticket.number}} ({{ticket.subject}}) is with {{agent.name}}.", &[]).unwrap();
    assert_eq!(e.ws.render_macro("thanks", n).unwrap(), "Hi Kim Jiho, #1 (Refund) is with Mina Park.");
    assert!(e.ws.save_macro("Bad", "Hi {{requester.shoe_size}}", &[]).is_err());
    assert!(e.ws.macros().unwrap().len() >= 5, "defaults plus ours");
}

#[test]
fn mark_solution_accepts_agent_messages_only() {
    let mut e = env("2026-03-02T09:00:00Z");
    let n = e.ticket("Printer", Priority::Medium);
    let fix = e.ws.add_message(n, &NewMessage::new(MessageKind::Public, "Re-add the printer")).unwrap();
    let customer = e.ws.ticket_detail(n).unwrap().messages[0].id;
    assert!(e.ws.mark_solution(n, customer).is_err());
    e.ws.mark_solution(n, fix.id).unwrap();
    let d = e.ws.ticket_detail(n).unwrap();
    assert!(d.messages.iter().any(|m| m.id == fix.id && m.is_solution));
}

#[test]
fn views_filter_sort_page_and_count() {
    let mut e = env("2026-03-02T09:00:00Z");
    e.ws.add_agent(&NewAgent { name: "Jiho".into(), email: "jiho@acme.test".into(), role: Role::Agent, teams: vec![], skills: vec![] }).unwrap();
    for i in 0..25 {
        e.minutes(1);
        let n = e.ticket(&format!("Ticket {i}"), if i % 5 == 0 { Priority::Urgent } else { Priority::Low });
        if i % 3 == 0 {
            e.ws.claim(n).unwrap();
        }
        if i % 4 == 0 {
            e.ws.set_tags(n, &["vpn".into()]).unwrap();
        }
    }
    e.ws.set_status(2, Status::Pending, None).unwrap();
    e.ws.set_status(3, Status::Resolved, None).unwrap();

    // Keyset pagination walks every ticket once, newest first.
    let all = ViewQuery::default();
    let mut seen = vec![];
    let mut after = None;
    loop {
        let page = e.ws.list(&all, after.as_deref(), 7).unwrap();
        seen.extend(page.rows.iter().map(|r| r.number));
        match page.next {
            Some(c) => after = Some(c),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen.len(), 25);
    assert_eq!(sorted.len(), 25);

    let count = |ws: &casebook::Workspace, v: BuiltinView| ws.count(&v.query().filters).unwrap();
    assert_eq!(count(&e.ws, BuiltinView::All), 25);
    assert_eq!(count(&e.ws, BuiltinView::MyOpen), 9, "i = 0, 3, …, 24 were claimed");
    assert_eq!(count(&e.ws, BuiltinView::Pending), 1);
    assert_eq!(count(&e.ws, BuiltinView::RecentlySolved), 1);
    assert_eq!(count(&e.ws, BuiltinView::Unassigned), 25 - 9 - 1);
    let counts = e.ws.view_counts().unwrap();
    assert_eq!(counts.iter().find(|c| c.name == "all").unwrap().count, 25);

    let q = ViewQuery {
        filters: Filters { tags: vec!["vpn".into()], priorities: vec![Priority::Urgent], ..Default::default() },
        sort: Sort { key: SortKey::Number, descending: false },
    };
    let rows = e.ws.list(&q, None, 50).unwrap().rows;
    assert_eq!(rows.iter().map(|r| r.number).collect::<Vec<_>>(), vec![1, 21]);

    let q =
        ViewQuery { filters: Filters { assignee: Some(AssigneeFilter::Agent("jiho@acme.test".into())), ..Default::default() }, ..Default::default() };
    assert_eq!(e.ws.list(&q, None, 50).unwrap().rows.len(), 0);

    // Breaching soon: urgent tickets are at risk after 11¼ minutes without a reply.
    e.minutes(12);
    let breaching = e.ws.list(&BuiltinView::BreachingSoon.query(), None, 50).unwrap().rows;
    assert!(!breaching.is_empty());
    assert!(breaching.iter().all(|r| r.priority == Priority::Urgent));
    let q = ViewQuery { filters: Filters { sla: Some(SlaFilter::Breached), ..Default::default() }, ..Default::default() };
    let breached = e.ws.count(&q.filters).unwrap();
    assert!(breached >= 1 && breached <= breaching.len() as i64);

    // Saved views: personal ones stay with their owner, shared ones are seen by all.
    e.ws.save_view("Urgent VPN", &ViewQuery { filters: Filters { tags: vec!["vpn".into()], ..Default::default() }, ..Default::default() }, false)
        .unwrap();
    e.ws.save_view(
        "All urgent",
        &ViewQuery { filters: Filters { priorities: vec![Priority::Urgent], ..Default::default() }, ..Default::default() },
        true,
    )
    .unwrap();
    assert_eq!(e.ws.view_query("urgent vpn").unwrap().filters.tags, vec!["vpn"]);
    e.ws.act_as("jiho@acme.test").unwrap();
    let names: Vec<String> = e.ws.saved_views().unwrap().into_iter().map(|v| v.name).collect();
    assert_eq!(names, vec!["All urgent"]);
    assert!(e.ws.save_view("all", &ViewQuery::default(), true).is_err(), "built-in names are taken");
    assert!(e.ws.list(&all, Some("garbage"), 10).is_err());

    // Edited in the window: renamed and made personal in place, the same view (its id).
    let id = e.ws.saved_views().unwrap()[0].id;
    let edited = e.ws.save_view_as(Some("all urgent"), "My urgent", &ViewQuery::default(), false).unwrap();
    assert_eq!(edited.id, id);
    let views = e.ws.saved_views().unwrap();
    assert_eq!((views.len(), views[0].name.as_str(), views[0].shared), (1, "My urgent", false));
    e.ws.save_view("Other", &ViewQuery::default(), false).unwrap();
    let err = e.ws.save_view_as(Some("Other"), "my urgent", &ViewQuery::default(), false).unwrap_err();
    assert!(err.to_string().contains("already a view called"), "{err}");
    assert!(matches!(e.ws.save_view_as(Some("Gone"), "X", &ViewQuery::default(), false), Err(casebook::Error::NotFound { .. })));
    e.ws.delete_view("Other").unwrap();
    assert_eq!(e.ws.saved_views().unwrap().len(), 1);
}

#[test]
fn the_customer_beside_a_ticket_and_a_view_of_their_tickets() {
    let mut e = env("2026-03-02T09:00:00Z");
    let first = e.ticket("VPN drops", Priority::Medium);
    e.minutes(60);
    let second = e.ticket("Printer", Priority::Low);
    e.minutes(5);
    e.ws.set_status(first, Status::Resolved, None).unwrap();
    e.minutes(5);
    let other =
        e.ws.create_ticket(&NewTicket {
            subject: "Other customer".into(),
            description: "Hi.".into(),
            requester_email: "ola@acme.kr".into(),
            organisation: Some("Acme".into()),
            ..Default::default()
        })
        .unwrap()
        .number;
    let card = e.ws.customer_card(second).unwrap();
    assert_eq!((card.name.as_str(), card.email.as_str(), card.organisation.as_deref()), ("Kim Jiho", "kim.jiho@acme.kr", Some("Acme")));
    assert_eq!((card.total, card.open, card.organisation_open), (2, 1, Some(2)));
    assert_eq!(card.first_seen, crate::common::ts("2026-03-02T09:00:00Z"));
    assert_eq!(card.tickets.iter().map(|r| r.number).collect::<Vec<_>>(), vec![first], "the others, not this one");
    // The panel's links: a customer's tickets and an organisation's, newest first.
    let q = e.ws.view_query("requester:kim.jiho@acme.kr").unwrap();
    assert_eq!(e.ws.view_numbers(&q.filters).unwrap(), vec![first, second]);
    let page = e.ws.list(&e.ws.view_query("organisation:Acme").unwrap(), None, 10).unwrap();
    assert_eq!(page.rows.iter().map(|r| r.number).collect::<Vec<_>>(), vec![other, first, second]);
    assert!(e.ws.customer_card(999).is_err());
}
