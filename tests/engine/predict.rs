//! Predictions from similar solved tickets (issue 19): triage suggestions with their
//! confidence and sources, and the expected time to resolve in working time.

use crate::common::{env, Env};
use casebook::model::{MessageKind, NewMessage, NewTicket, Priority, Role, Status};
use casebook::people::NewAgent;
use casebook::search::SearchIndex;

/// A ticket solved `hours` after it came in, of type, team and assignee `(ty, team, agent)`.
fn solved(e: &mut Env, subject: &str, priority: Priority, (ty, team, agent): (&str, &str, &str), tags: &[&str], hours: i64) -> i64 {
    let n =
        e.ws.create_ticket(&NewTicket {
            subject: subject.into(),
            description: format!("{subject}, since this morning"),
            requester_email: format!("c{}@acme.test", subject.len() + hours as usize),
            priority: Some(priority),
            ticket_type: Some(ty.into()),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            ..Default::default()
        })
        .unwrap()
        .number;
    e.ws.set_team(n, Some(team)).unwrap();
    e.ws.assign(n, Some(agent)).unwrap();
    e.minutes(hours * 60);
    e.ws.add_message(n, &NewMessage::new(MessageKind::Public, "Fixed it.")).unwrap();
    e.ws.set_status(n, Status::Resolved, None).unwrap();
    n
}

#[test]
fn similar_solved_tickets_suggest_the_triage_and_the_time() {
    let mut e = env("2026-03-02T09:00:00Z");
    e.ws.add_team("Network", None).unwrap();
    e.ws.add_team("Billing", None).unwrap();
    for (name, email) in [("Piotr Nowak", "piotr@acme.test"), ("Ana Lee", "ana@acme.test")] {
        e.ws.add_agent(&NewAgent { name: name.into(), email: email.into(), role: Role::Agent, teams: vec![], skills: vec![] }).unwrap();
    }
    let types = e.ws.ticket_types().unwrap();
    let (incident, question) = (types[0].clone(), types[1].clone());
    let mut vpn = Vec::new();
    for (i, hours) in [2, 3, 4, 5, 30].iter().enumerate() {
        let agent = if i < 4 { "piotr@acme.test" } else { "ana@acme.test" };
        vpn.push(solved(&mut e, &format!("VPN tunnel drops {i}"), Priority::High, (&incident, "Network", agent), &["vpn", "network"], *hours));
    }
    solved(&mut e, "Invoice shows the wrong amount", Priority::Low, (&question, "Billing", "ana@acme.test"), &["invoice"], 48);
    let asked =
        e.ws.create_ticket(&NewTicket {
            subject: "VPN tunnel drops again".into(),
            description: "the VPN drops every hour".into(),
            requester_email: "d@acme.test".into(),
            priority: Some(Priority::High),
            ..Default::default()
        })
        .unwrap()
        .number;
    let index = SearchIndex::open(&e.ws.data_dir()).unwrap();
    index.sync(e.ws.connection()).unwrap();

    let triage = e.ws.triage(&index, asked).unwrap();
    let get = |field: &str| triage.iter().find(|s| s.field == field).unwrap_or_else(|| panic!("no {field} in {triage:?}"));
    assert_eq!(get("type").value, incident);
    assert_eq!(get("team").value, "Network");
    assert!((get("team").confidence - 1.0).abs() < 1e-9, "every similar ticket was Network's");
    assert_eq!(get("assignee").value, "piotr@acme.test", "who solved most of them");
    assert_eq!(get("assignee").label, "Piotr Nowak");
    assert!(get("assignee").confidence < 1.0 && get("assignee").confidence > 0.5);
    assert_eq!(get("priority").value, "high");
    assert!(get("priority").current, "already so");
    let tags: Vec<&str> = triage.iter().filter(|s| s.field == "tag").map(|s| s.value.as_str()).collect();
    assert_eq!(tags, vec!["network", "vpn"]);
    assert!(get("team").from.iter().all(|n| vpn.contains(n)), "the sources are the VPN tickets");
    // The same answer every time, and the ticket page's one read says the same.
    assert_eq!(e.ws.triage(&index, asked).unwrap(), triage);
    let page = e.ws.predictions(&index, asked).unwrap();
    assert_eq!((page.triage, page.eta), (triage.clone(), e.ws.eta(&index, asked).unwrap()));

    // Expected time: the median of the similar tickets' times, and where 80 % of them end.
    let eta = e.ws.eta(&index, asked).unwrap().expect("five similar solved tickets");
    assert_eq!(eta.n, 5);
    assert_eq!(eta.median_seconds, 4 * 3600);
    assert_eq!(eta.p80_seconds, 5 * 3600);
    assert!(!eta.business_hours);
    // The backlog (this one open ticket): its expected time less what it has been open.
    e.minutes(60);
    let backlog = e.ws.backlog_eta(&index, 60).unwrap().expect("one open ticket with similar solved ones");
    assert_eq!((backlog.open, backlog.sampled, backlog.estimated), (1, 1, 1));
    assert_eq!(backlog.median_remaining_seconds, 3 * 3600);
    assert_eq!(backlog.overdue_share, 0.0);

    // While a new ticket is typed: the same from its words alone.
    let typed = e.ws.triage_text(&index, "VPN tunnel drops", "").unwrap();
    assert_eq!(typed.iter().find(|s| s.field == "team").map(|s| s.value.as_str()), Some("Network"));
    assert!(typed.iter().all(|s| !s.current), "nothing is set yet");

    // Nothing similar solved: no suggestions, no time.
    let alone =
        e.ws.create_ticket(&NewTicket {
            subject: "Zebracorn".into(),
            description: "quux".into(),
            requester_email: "z@acme.test".into(),
            ..Default::default()
        })
        .unwrap()
        .number;
    index.sync(e.ws.connection()).unwrap();
    assert!(e.ws.triage(&index, alone).unwrap().is_empty());
    assert_eq!(e.ws.eta(&index, alone).unwrap(), None);

    // Leave-one-out: every solved ticket predicted from the others.
    let report = e.ws.evaluate_predictions(&index, 100).unwrap();
    assert_eq!(report.tickets, 6);
    let team = report.fields.iter().find(|f| f.field == "team").unwrap();
    assert_eq!(team.judged, 6);
    assert!(team.accuracy >= team.majority, "{report:?}");
}

#[test]
fn a_rule_applies_the_triage_of_similar_solved_tickets() {
    use casebook::rules::{Action, Condition, RuleDefinition, RuleKind, TriggerEvent};
    let mut e = env("2026-03-02T09:00:00Z");
    e.ws.add_team("Network", None).unwrap();
    e.ws.add_agent(&NewAgent { name: "Piotr Nowak".into(), email: "piotr@acme.test".into(), role: Role::Agent, teams: vec![], skills: vec![] })
        .unwrap();
    let incident = e.ws.ticket_types().unwrap()[0].clone();
    for i in 0..4 {
        solved(&mut e, &format!("VPN tunnel drops {i}"), Priority::High, (&incident, "Network", "piotr@acme.test"), &["vpn"], 2);
    }
    let index = std::sync::Arc::new(SearchIndex::open(&e.ws.data_dir()).unwrap());
    index.sync(e.ws.connection()).unwrap();
    let rule = RuleDefinition {
        name: "Triage from similar tickets".into(),
        kind: RuleKind::Trigger,
        enabled: true,
        note: String::new(),
        all: vec![Condition::Event { events: vec![TriggerEvent::Created] }],
        any: vec![],
        actions: vec![Action::ApplyTriage { min_confidence: 0.8 }],
    };
    // Outside the range it is refused, with the reason.
    let wrong = RuleDefinition { actions: vec![Action::ApplyTriage { min_confidence: 0.2 }], ..rule.clone() };
    assert!(e.ws.save_rule(None, wrong).unwrap_err().to_string().contains("50 %"));
    e.ws.save_rule(None, rule).unwrap();
    // Without an index to ask, the rule skips and says why; nothing changes.
    let before =
        e.ws.create_ticket(&NewTicket {
            subject: "VPN tunnel drops again".into(),
            description: "since noon".into(),
            requester_email: "d@acme.test".into(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(before.team, None);
    e.ws.use_search_index(index.clone());
    let t =
        e.ws.create_ticket(&NewTicket {
            subject: "VPN tunnel drops again".into(),
            description: "since noon".into(),
            requester_email: "f@acme.test".into(),
            priority: Some(Priority::Low),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(t.team.as_deref(), Some("Network"));
    assert_eq!(t.assignee.as_ref().map(|a| a.email.as_str()), Some("piotr@acme.test"));
    assert_eq!(t.priority, Priority::High);
    assert_eq!(t.tags, vec!["vpn".to_string()]);
    let history = e.ws.history(t.number).unwrap();
    assert!(history.iter().any(|h| h.actor.contains("Triage from similar tickets")), "the history names the rule");
}
