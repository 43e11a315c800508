//! Bulk changes and their undo (issue 17): one transaction, one event per changed ticket,
//! closed tickets skipped with a reason, an unknown value refusing everything, and an undo
//! that leaves alone what changed again since.

use crate::common::{env, fingerprint};
use casebook::bulk::{BulkChange, FieldValue};
use casebook::model::{MessageKind, NewMessage, Priority, Resolution, Role, Status};
use casebook::people::NewAgent;
use casebook::views::BuiltinView;

use crate::common::event_count as events;

#[test]
fn one_field_on_many_tickets_is_one_event_each_and_one_undo_puts_it_back() {
    let mut e = env("2026-03-02T09:00:00Z");
    e.ws.add_agent(&NewAgent { name: "Ola Nowak".into(), email: "ola@acme.test".into(), role: Role::Agent, teams: vec![], skills: vec![] }).unwrap();
    let a = e.ticket("VPN drops", Priority::Low);
    let b = e.ticket("Printer jam", Priority::High);
    let c = e.ticket("Refund", Priority::Low);
    e.ws.set_tags(a, &["vpn".into()]).unwrap();
    let before = events(&e);

    // Priority: #b already has it.
    let o = e.ws.bulk_change(&[a, b, c, a], &BulkChange::Priority { to: Priority::High }).unwrap();
    assert_eq!(o.changed, vec![a, c], "each ticket once, in the order given");
    assert_eq!(o.unchanged, vec![b]);
    assert!(o.skipped.is_empty());
    assert_eq!(events(&e), before + 2, "one event per changed ticket");
    assert_eq!(e.ws.ticket(a).unwrap().priority, Priority::High);
    assert_eq!(o.undo[0].before, FieldValue::Priority(Priority::Low));

    // Assignee, tags added and removed.
    e.ws.bulk_change(&[a, b, c], &BulkChange::Assignee { to: Some("ola@acme.test".into()) }).unwrap();
    assert!([a, b, c].iter().all(|n| e.ws.ticket(*n).unwrap().assignee.unwrap().email == "ola@acme.test"));
    // The same agent written in other letters is the same value: nothing to change.
    let again = e.ws.bulk_change(&[a, b], &BulkChange::Assignee { to: Some("Ola@ACME.test".into()) }).unwrap();
    assert_eq!((again.changed.len(), again.unchanged.len()), (0, 2));
    let added = e.ws.bulk_change(&[a, b], &BulkChange::AddTags { tags: vec!["Network".into()] }).unwrap();
    assert_eq!(e.ws.ticket(a).unwrap().tags, vec!["network", "vpn"]);
    assert_eq!(e.ws.ticket(b).unwrap().tags, vec!["network"]);
    e.ws.bulk_change(&[a, b], &BulkChange::RemoveTags { tags: vec!["vpn".into()] }).unwrap();
    assert_eq!(e.ws.ticket(a).unwrap().tags, vec!["network"]);

    // The undo of the priority change: both back to Low.
    let undone = e.ws.bulk_undo(&o.undo).unwrap();
    assert_eq!(undone.changed, vec![a, c]);
    assert_eq!(e.ws.ticket(a).unwrap().priority, Priority::Low);
    assert_eq!(e.ws.ticket(c).unwrap().priority, Priority::Low);
    assert_eq!(e.ws.ticket(b).unwrap().priority, Priority::High, "it had the value before; the undo leaves it");
    // Undoing the tags' addition after the removal: #a no longer has what the addition left.
    let u = e.ws.bulk_undo(&added.undo).unwrap();
    assert_eq!(u.skipped.iter().map(|s| s.number).collect::<Vec<_>>(), vec![a]);
    assert_eq!(u.skipped[0].reason, "changed again since");
    assert_eq!(u.changed, vec![b]);
    assert!(e.ws.ticket(b).unwrap().tags.is_empty());

    let history = e.ws.history(a).unwrap();
    assert!(history.iter().filter(|ev| ev.kind == "ticket.field_changed").count() >= 5);
    let check = casebook::events::replay::check(&e.db()).unwrap();
    assert!(check.ok(), "{check:?}");
}

#[test]
fn status_in_bulk_skips_what_the_status_machine_refuses_and_its_undo_reopens() {
    let mut e = env("2026-03-02T09:00:00Z");
    let new = e.ticket("New one", Priority::Medium);
    let pending = e.ticket("Waiting", Priority::Medium);
    e.ws.set_status(pending, Status::Pending, None).unwrap();
    let solved = e.ticket("Solved", Priority::Medium);
    e.ws.add_message(solved, &NewMessage::new(MessageKind::Public, "Restart it.")).unwrap();
    e.ws.set_status(solved, Status::Resolved, None).unwrap();
    let closed = e.ticket("Closed", Priority::Medium);
    e.ws.set_status(closed, Status::Closed, Some(Resolution::NoActionNeeded)).unwrap();

    let o = e.ws.bulk_change(&[new, pending, solved, closed, 999], &BulkChange::Status { to: Status::OnHold, reason: None }).unwrap();
    assert_eq!(o.changed, vec![new, pending]);
    let skipped: Vec<(i64, &str)> = o.skipped.iter().map(|s| (s.number, s.reason.as_str())).collect();
    assert_eq!(skipped, vec![(solved, "Resolved cannot become On hold directly"), (closed, "closed tickets do not change"), (999, "no such ticket")]);

    // Resolve both, then undo: New comes back Open (nothing returns to New), Pending via Open.
    let r = e.ws.bulk_change(&[new, pending], &BulkChange::Status { to: Status::Resolved, reason: Some(Resolution::ConfirmedByCustomer) }).unwrap();
    assert_eq!(e.ws.ticket(new).unwrap().resolution, Some(Resolution::ConfirmedByCustomer));
    e.ws.bulk_undo(&r.undo).unwrap();
    assert_eq!(e.ws.ticket(new).unwrap().status, Status::OnHold);
    e.ws.bulk_undo(&o.undo).unwrap();
    assert_eq!(e.ws.ticket(new).unwrap().status, Status::Open, "New comes back Open");
    assert_eq!(e.ws.ticket(pending).unwrap().status, Status::Pending);
    assert!(e.ws.ticket(pending).unwrap().resolution.is_none());
    let check = casebook::events::replay::check(&e.db()).unwrap();
    assert!(check.ok(), "{check:?}");
}

#[test]
fn an_unknown_value_refuses_the_whole_action_and_changes_nothing() {
    let mut e = env("2026-03-02T09:00:00Z");
    let a = e.ticket("One", Priority::Low);
    let b = e.ticket("Two", Priority::Low);
    let db = e.db();
    let print = fingerprint(&db);
    let err = e.ws.bulk_change(&[a, b], &BulkChange::Assignee { to: Some("nobody@acme.test".into()) }).unwrap_err();
    assert!(err.to_string().contains("nobody@acme.test"), "{err}");
    assert!(e.ws.bulk_change(&[a, b], &BulkChange::Team { to: Some("Nope".into()) }).is_err());
    assert!(e.ws.bulk_change(&[a, b], &BulkChange::Type { to: "Nope".into() }).is_err());
    assert!(e.ws.bulk_change(&[a, b], &BulkChange::AddTags { tags: vec!["has spaces".into()] }).is_err());
    assert!(e.ws.bulk_change(&[a], &BulkChange::Status { to: Status::Open, reason: Some(Resolution::Solved) }).is_err());
    assert_eq!(fingerprint(&db), print, "nothing was written");
}

#[test]
fn every_ticket_of_a_view_can_be_selected() {
    let mut e = env("2026-03-02T09:00:00Z");
    let numbers: Vec<i64> = (0..5).map(|i| e.ticket(&format!("T{i}"), Priority::Low)).collect();
    e.ws.claim(numbers[1]).unwrap();
    let unassigned = e.ws.view_numbers(&BuiltinView::Unassigned.query().filters).unwrap();
    assert_eq!(unassigned, vec![numbers[0], numbers[2], numbers[3], numbers[4]]);
    let o = e.ws.bulk_change(&unassigned, &BulkChange::Priority { to: Priority::Urgent }).unwrap();
    assert_eq!(o.changed.len(), 4);
}

#[test]
fn many_tickets_merge_into_one_in_one_transaction() {
    let mut e = env("2026-03-02T09:00:00Z");
    // Subjects unlike each other: the built-in rule would merge look-alikes by itself.
    let original = e.ticket("VPN drops", Priority::Low);
    let a = e.ticket("Printer jams", Priority::Low);
    let b = e.ticket("Invoice wrong", Priority::Low);
    let closed = e.ticket("Old one", Priority::Low);
    e.ws.set_status(closed, Status::Closed, Some(Resolution::NoActionNeeded)).unwrap();
    let o = e.ws.bulk_merge(&[original, a, b, closed, 404], original).unwrap();
    assert_eq!(o.changed, vec![a, b], "the original is left out, not skipped");
    assert_eq!(o.skipped.iter().map(|s| s.number).collect::<Vec<_>>(), vec![closed, 404]);
    assert!(o.undo.is_empty(), "a merge closes the duplicate: nothing to undo");
    for n in [a, b] {
        let t = e.ws.ticket(n).unwrap();
        assert_eq!((t.status, t.resolution, t.duplicate_of), (Status::Closed, Some(Resolution::Duplicate), Some(original)));
    }
    // An original that is itself a duplicate refuses all, and nothing is written.
    let c = e.ticket("Password reset", Priority::Low);
    let before = fingerprint(&e.db());
    assert!(e.ws.bulk_merge(&[c], a).is_err());
    assert_eq!(before, fingerprint(&e.db()));
}
