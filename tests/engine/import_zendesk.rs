//! Moving from Zendesk: tickets, comments, users and organisations onto our model with their
//! original times; all or nothing, naming the Zendesk ticket and field.

use crate::common::{env, fingerprint, ts};
use casebook::model::{MessageKind, Priority, Status};
use serde_json::json;

fn export() -> serde_json::Value {
    json!({
        "organizations": [{ "id": 900, "name": "Acme" }],
        "users": [
            { "id": 1, "name": "Jan Kowalski", "email": "jan@support.example", "role": "agent" },
            { "id": 2, "name": "Kim Jiho", "email": "kim.jiho@acme.kr", "role": "end-user", "organization_id": 900 },
            { "id": 3, "name": "Anna Nowak", "email": "anna@firma.pl", "role": "end-user" }
        ],
        "tickets": [
            {
                "id": 101, "subject": "VPN drops every 10 minutes", "status": "solved", "priority": "high", "type": "problem",
                "tags": ["vpn"], "requester_id": 2, "assignee_id": 1,
                "created_at": "2025-11-03T09:00:00Z", "updated_at": "2025-11-03T15:00:00Z",
                "comments": [
                    { "author_id": 2, "body": "Since Monday the VPN drops.", "public": true, "created_at": "2025-11-03T09:00:00Z" },
                    { "author_id": 1, "body": "Checking the gateway logs.", "public": false, "created_at": "2025-11-03T09:30:00Z" },
                    { "author_id": 1, "body": "Please update the client to 5.2.", "public": true, "created_at": "2025-11-03T10:00:00Z" },
                    { "author_id": 2, "body": "That fixed it, thanks!", "public": true, "created_at": "2025-11-03T14:00:00Z" }
                ]
            },
            {
                "id": 102, "subject": "서버 접속 불가", "status": "pending", "priority": "normal",
                "requester_id": 2, "created_at": "2025-11-04T01:00:00Z",
                "comments": [
                    { "author_id": 2, "body": "지금 서버 다운이에요", "created_at": "2025-11-04T01:00:00Z" },
                    { "author_id": 1, "body": "어떤 서버인가요?", "public": true, "created_at": "2025-11-04T01:20:00Z" }
                ]
            },
            {
                "id": 103, "subject": "Drukarka nie działa", "status": "closed", "priority": null,
                "requester_id": 3, "created_at": "2025-10-01T08:00:00Z", "updated_at": "2025-10-02T08:00:00Z",
                "description": "Od rana nie drukuje."
            }
        ]
    })
}

#[test]
fn a_zendesk_export_becomes_tickets_with_their_history() {
    let mut e = env("2026-03-02T09:00:00Z");
    let file = e.dir.path().join("zendesk.json");
    std::fs::write(&file, export().to_string()).unwrap();
    let r = e.ws.import_zendesk(&file).unwrap();
    assert_eq!((r.tickets, r.messages, r.agents_added), (3, 4, 1));

    let vpn = e.ws.ticket_detail(r.numbers[0]).unwrap();
    assert_eq!(vpn.ticket.status, Status::Resolved);
    assert_eq!(vpn.ticket.priority, Priority::High);
    assert_eq!(vpn.ticket.created_at, ts("2025-11-03T09:00:00Z"));
    assert_eq!(vpn.ticket.first_response_at, Some(ts("2025-11-03T10:00:00Z")));
    assert_eq!(vpn.ticket.assignee.as_ref().map(|a| a.email.as_str()), Some("jan@support.example"));
    assert_eq!(vpn.ticket.requester.organisation.as_deref(), Some("Acme"));
    for tag in ["vpn", "zendesk", "zd-101", "zd-problem"] {
        assert!(vpn.ticket.tags.contains(&tag.to_string()), "{tag} in {:?}", vpn.ticket.tags);
    }
    let kinds: Vec<(MessageKind, String)> = vpn.messages.iter().map(|m| (m.kind, m.author_name.clone())).collect();
    assert_eq!(
        kinds,
        vec![
            (MessageKind::Customer, "Kim Jiho".to_string()),
            (MessageKind::Internal, "Jan Kowalski".into()),
            (MessageKind::Public, "Jan Kowalski".into()),
            (MessageKind::Customer, "Kim Jiho".into()),
        ]
    );
    assert_eq!(vpn.messages[3].created_at, ts("2025-11-03T14:00:00Z"));
    // The history says it came from the import (the customer's first message is theirs).
    assert!(e.ws.history(r.numbers[0]).unwrap().iter().all(|ev| ev.actor == "import:zendesk" || ev.actor == "customer:kim.jiho@acme.kr"));

    let ko = e.ws.ticket(r.numbers[1]).unwrap();
    assert_eq!((ko.status, ko.priority), (Status::Pending, Priority::Medium));
    let pl = e.ws.ticket_detail(r.numbers[2]).unwrap();
    assert_eq!(pl.ticket.status, Status::Closed);
    assert_eq!(pl.messages[0].body, "Od rana nie drukuje.");
    assert_eq!(pl.ticket.closed_at, Some(ts("2025-10-02T08:00:00Z")));
    // Imported history is not news: no keyword alert for "서버 다운".
    assert!(e.ws.ticket_detail(r.numbers[1]).unwrap().alerts.is_empty());
}

#[test]
fn a_bad_zendesk_export_is_named_and_changes_nothing() {
    let mut e = env("2026-03-02T09:00:00Z");
    let before = fingerprint(&e.db());
    type Spoil = Box<dyn Fn(&mut serde_json::Value)>;
    let cases: Vec<(Spoil, &str)> = vec![
        (Box::new(|d| d["tickets"][1]["requester_id"] = json!(77)), "ticket 102, requester_id"),
        (Box::new(|d| d["tickets"][2]["priority"] = json!("whenever")), "ticket 103, priority"),
        (Box::new(|d| d["tickets"][0]["status"] = json!("archived")), "ticket 101, status"),
        (Box::new(|d| d["tickets"][2]["subject"] = json!("")), "ticket 103, subject"),
        (Box::new(|d| d["tickets"][0]["created_at"] = json!("yesterday")), "ticket 101, created_at"),
        (Box::new(|d| *d = json!({ "tickets": "none" })), "is not a Zendesk export"),
    ];
    for (i, (change, words)) in cases.iter().enumerate() {
        let mut d = export();
        change(&mut d);
        let file = e.dir.path().join(format!("bad{i}.json"));
        std::fs::write(&file, d.to_string()).unwrap();
        let err = e.ws.import_zendesk(&file).unwrap_err();
        assert!(err.to_string().contains(words), "case {i}: {err}");
    }
    assert_eq!(before, fingerprint(&e.db()));
}
