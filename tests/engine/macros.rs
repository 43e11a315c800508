//! Macros that act (issue 17): a macro's fields set on one ticket or many in one transaction,
//! all of them or none per ticket, "me" meaning whoever applies it, undone like a bulk
//! change; saving one that names what does not exist changes nothing.

use crate::common::{env, fingerprint};
use casebook::bulk::{BulkChange, FieldValue};
use casebook::model::{Priority, Resolution, Role, Status};
use casebook::people::NewAgent;
use casebook::Error;

use crate::common::event_count as events;

#[test]
fn a_macro_sets_its_fields_on_every_ticket_and_one_undo_takes_them_back() {
    let mut e = env("2026-03-02T09:00:00Z");
    e.ws.add_agent(&NewAgent { name: "Ola Nowak".into(), email: "ola@acme.test".into(), role: Role::Agent, teams: vec![], skills: vec![] }).unwrap();
    let a = e.ticket("VPN drops", Priority::Low);
    let b = e.ticket("Printer jam", Priority::High);
    e.ws.set_tags(a, &["vpn".into()]).unwrap();
    let actions = vec![
        BulkChange::Priority { to: Priority::High },
        BulkChange::Assignee { to: Some("me".into()) },
        BulkChange::AddTags { tags: vec!["Escalated".into()] },
        BulkChange::Status { to: Status::Pending, reason: None },
    ];
    let saved = e.ws.save_macro("Escalate", "Hello {{requester.name}}, {{ticket.assignee}} has it now.", &actions).unwrap();
    assert_eq!(saved.actions[2], BulkChange::AddTags { tags: vec!["escalated".into()] }, "tags stored as tags are");
    assert_eq!(e.ws.macros().unwrap().iter().find(|m| m.name == "Escalate").unwrap().actions, saved.actions);

    let before = events(&e);
    let o = e.ws.apply_macro("escalate", &[a, b]).unwrap();
    assert_eq!(o.changed, vec![a, b]);
    // #a: priority, assignee, tags, status; #b already had the priority.
    assert_eq!(o.undo.iter().filter(|u| u.number == a).count(), 4);
    assert_eq!(o.undo.iter().filter(|u| u.number == b).count(), 3);
    assert!(events(&e) >= before + 7, "an event per changed field");
    let t = e.ws.ticket(a).unwrap();
    assert_eq!((t.priority, t.status), (Priority::High, Status::Pending));
    assert_eq!(t.assignee.unwrap().name, "Mina Park", "'me' is the agent who applies it");
    assert_eq!(t.tags, vec!["escalated", "vpn"]);
    // Its text is filled in for the ticket as it is now.
    assert_eq!(e.ws.render_macro("Escalate", a).unwrap(), "Hello Kim Jiho, Mina Park has it now.");

    // Applying it again changes nothing.
    let again = e.ws.apply_macro("Escalate", &[a, b]).unwrap();
    assert_eq!((again.changed.len(), again.unchanged.len()), (0, 2));

    // Someone changes #b's priority in between: the undo puts back the rest and says so.
    e.ws.set_field(b, casebook::tickets::Field::Priority, "low").unwrap();
    let undone = e.ws.bulk_undo(&o.undo).unwrap();
    assert_eq!(undone.changed, vec![a, b]);
    assert!(undone.skipped.is_empty(), "#b's priority was not the macro's: nothing of it to undo");
    let t = e.ws.ticket(a).unwrap();
    assert_eq!((t.priority, t.status, t.assignee, t.tags), (Priority::Low, Status::Open, None, vec!["vpn".to_string()]));
    let t = e.ws.ticket(b).unwrap();
    assert_eq!((t.priority, t.status), (Priority::Low, Status::Open));
}

#[test]
fn a_ticket_takes_all_of_a_macro_or_none_of_it() {
    let mut e = env("2026-03-02T09:00:00Z");
    let a = e.ticket("VPN drops", Priority::Low);
    let b = e.ticket("Printer jam", Priority::Low);
    e.ws.set_status(b, Status::Resolved, Some(Resolution::Solved)).unwrap();
    e.ws.save_macro("Wait", "", &[BulkChange::Priority { to: Priority::Urgent }, BulkChange::Status { to: Status::OnHold, reason: None }]).unwrap();
    let o = e.ws.apply_macro("Wait", &[a, b, 999]).unwrap();
    assert_eq!(o.changed, vec![a]);
    let skipped: Vec<i64> = o.skipped.iter().map(|s| s.number).collect();
    assert_eq!(skipped, vec![b, 999]);
    assert!(o.skipped[0].reason.contains("cannot become"), "{}", o.skipped[0].reason);
    assert_eq!(e.ws.ticket(b).unwrap().priority, Priority::Low, "the status refused, so nothing of the macro was set on it");
    assert_eq!(e.ws.ticket(a).unwrap().status, Status::OnHold);
    // A field set twice counts once, with its last value; its undo goes to the first value.
    e.ws.save_macro("Twice", "", &[BulkChange::Tags { tags: vec!["one".into()] }, BulkChange::AddTags { tags: vec!["two".into()] }]).unwrap();
    let o = e.ws.apply_macro("Twice", &[a]).unwrap();
    assert_eq!(
        o.undo,
        vec![casebook::bulk::UndoEntry { number: a, before: FieldValue::Tags(vec![]), after: FieldValue::Tags(vec!["one".into(), "two".into()]) }]
    );
}

#[test]
fn a_macro_naming_what_does_not_exist_is_refused_and_nothing_changes() {
    let mut e = env("2026-03-02T09:00:00Z");
    let n = e.ticket("VPN drops", Priority::Low);
    let before = fingerprint(&e.db());
    let refused = [
        ("Nobody", "x", vec![BulkChange::Assignee { to: Some("ghost@acme.test".into()) }]),
        ("No team", "x", vec![BulkChange::Team { to: Some("Moon base".into()) }]),
        ("No type", "x", vec![BulkChange::Type { to: "Teleport".into() }]),
        ("Empty", "  ", vec![]),
        ("Back to new", "", vec![BulkChange::Status { to: Status::New, reason: None }]),
        ("Reason", "", vec![BulkChange::Status { to: Status::Open, reason: Some(Resolution::Solved) }]),
        ("", "Hello", vec![]),
    ];
    for (name, body, actions) in refused {
        let err = e.ws.save_macro(name, body, &actions).unwrap_err();
        assert!(matches!(err, Error::Validation { .. } | Error::NotFound { .. }), "{name}: {err}");
    }
    assert!(matches!(e.ws.apply_macro("No such macro", &[n]), Err(Error::NotFound { .. })));
    assert_eq!(before, fingerprint(&e.db()), "nothing written");
}
