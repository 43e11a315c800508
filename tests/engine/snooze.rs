//! Snooze and follow-up (issue 17): out of the working views until the time, back with one
//! alert; a customer's message ends both; a follow-up reminds only the agent who set it.

use crate::common::{env, ts};
use casebook::alerts::AlertQuery;
use casebook::model::{AlertKind, MessageKind, NewMessage, Priority, Role, Status};
use casebook::people::NewAgent;
use casebook::views::BuiltinView;

fn in_view(e: &crate::common::Env, v: BuiltinView) -> Vec<i64> {
    e.ws.view_numbers(&v.query().filters).unwrap()
}

fn kinds(e: &crate::common::Env) -> Vec<AlertKind> {
    e.ws.alerts(&AlertQuery::default())
        .unwrap()
        .into_iter()
        .map(|a| a.kind)
        .filter(|k| matches!(k, AlertKind::SnoozeEnded | AlertKind::FollowUpDue))
        .collect()
}

#[test]
fn a_snoozed_ticket_leaves_the_views_and_comes_back_once_with_an_alert() {
    let mut e = env("2026-03-02T09:00:00Z");
    let n = e.ticket("VPN drops", Priority::Medium);
    let other = e.ticket("Printer", Priority::Medium);
    e.ws.snooze(n, ts("2026-03-03T08:00:00Z")).unwrap();
    assert_eq!(in_view(&e, BuiltinView::Unassigned), vec![other]);
    assert_eq!(in_view(&e, BuiltinView::Snoozed), vec![n]);
    assert!(in_view(&e, BuiltinView::All).contains(&n), "All still has it");
    assert_eq!(e.ws.ticket_detail(n).unwrap().snooze.until, Some(ts("2026-03-03T08:00:00Z")));
    let row = e.ws.list(&BuiltinView::Snoozed.query(), None, 10).unwrap().rows.remove(0);
    assert_eq!(row.snoozed_until, Some(ts("2026-03-03T08:00:00Z")));

    e.ws.scan_alerts().unwrap();
    assert!(kinds(&e).is_empty(), "nothing to say before the time");
    e.at("2026-03-03T08:00:01Z");
    assert_eq!(in_view(&e, BuiltinView::Unassigned), vec![n, other], "back by itself");
    assert!(e.ws.ticket_detail(n).unwrap().snooze.until.is_none());
    e.ws.scan_alerts().unwrap();
    e.ws.scan_alerts().unwrap();
    assert_eq!(kinds(&e), vec![AlertKind::SnoozeEnded], "one alert, however often the scan runs");
    let plan = e.ws.plan_delivery().unwrap();
    assert!(plan.notices.iter().any(|n| n.summary.contains("snooze over")), "{plan:?}");

    // Snoozed again: a new time alerts again.
    e.ws.snooze(n, ts("2026-03-03T12:00:00Z")).unwrap();
    e.at("2026-03-03T12:30:00Z");
    e.ws.scan_alerts().unwrap();
    assert_eq!(kinds(&e), vec![AlertKind::SnoozeEnded, AlertKind::SnoozeEnded]);
    let check = casebook::events::replay::check(&e.db()).unwrap();
    assert!(check.ok(), "{check:?}");
}

#[test]
fn the_customer_writing_ends_the_snooze_and_the_follow_up() {
    let mut e = env("2026-03-02T09:00:00Z");
    let n = e.ticket("Refund", Priority::Medium);
    e.ws.add_message(n, &NewMessage::new(MessageKind::Public, "Which order?")).unwrap();
    e.ws.snooze(n, ts("2026-03-05T09:00:00Z")).unwrap();
    e.ws.follow_up(n, Some(ts("2026-03-04T09:00:00Z"))).unwrap();
    let s = e.ws.ticket_detail(n).unwrap().snooze;
    assert_eq!((s.follow_up_at, s.follow_up_by.as_deref()), (Some(ts("2026-03-04T09:00:00Z")), Some("Mina Park")));
    e.minutes(60);
    e.ws.add_message(n, &NewMessage::new(MessageKind::Customer, "ORD-1234")).unwrap();
    let s = e.ws.ticket_detail(n).unwrap().snooze;
    assert!(s.until.is_none() && s.follow_up_at.is_none(), "{s:?}");
    assert!(in_view(&e, BuiltinView::Unassigned).contains(&n));
    let history: Vec<String> = e.ws.history(n).unwrap().into_iter().map(|ev| ev.kind).collect();
    assert!(history.contains(&"ticket.snoozed".to_string()) && history.contains(&"ticket.follow_up_set".to_string()), "{history:?}");
    // Nothing comes due later.
    e.at("2026-03-06T09:00:00Z");
    e.ws.scan_alerts().unwrap();
    assert!(kinds(&e).is_empty());

    // Solving ends them too.
    e.ws.snooze(n, ts("2026-03-09T09:00:00Z")).unwrap();
    e.ws.set_status(n, Status::Resolved, None).unwrap();
    assert!(e.ws.ticket_detail(n).unwrap().snooze.until.is_none());
    let check = casebook::events::replay::check(&e.db()).unwrap();
    assert!(check.ok(), "{check:?}");
}

#[test]
fn a_follow_up_reminds_the_agent_who_set_it_and_no_one_else() {
    let mut e = env("2026-03-02T09:00:00Z");
    e.ws.add_agent(&NewAgent { name: "Ola Nowak".into(), email: "ola@acme.test".into(), role: Role::Admin, teams: vec![], skills: vec![] }).unwrap();
    let n = e.ticket("Invoice", Priority::Low);
    e.ws.follow_up(n, Some(ts("2026-03-03T09:00:00Z"))).unwrap();
    e.at("2026-03-03T09:00:00Z");
    e.ws.scan_alerts().unwrap();
    assert_eq!(kinds(&e), vec![AlertKind::FollowUpDue]);
    let alert = e.ws.alerts(&AlertQuery::default()).unwrap().remove(0);
    assert_eq!(alert.for_agent.as_deref(), Some("mina@acme.test"));
    let mine = e.ws.plan_delivery().unwrap();
    assert!(mine.notices.iter().any(|n| n.summary.contains("follow-up")), "{mine:?}");
    e.ws.act_as("ola@acme.test").unwrap();
    let theirs = e.ws.plan_delivery().unwrap();
    assert!(theirs.notices.is_empty() && theirs.silent == vec![alert.id], "{theirs:?}");
    // Cancelled: nothing is left on the ticket.
    e.ws.follow_up(n, None).unwrap();
    assert!(e.ws.ticket_detail(n).unwrap().snooze.follow_up_at.is_none());
}

#[test]
fn bad_snoozes_are_refused_and_change_nothing() {
    let mut e = env("2026-03-02T09:00:00Z");
    let n = e.ticket("Solved one", Priority::Low);
    let before = crate::common::fingerprint(&e.db());
    assert!(e.ws.snooze(n, ts("2026-03-01T09:00:00Z")).unwrap_err().to_string().contains("already passed"));
    assert!(e.ws.snooze(n, ts("2028-03-01T09:00:00Z")).unwrap_err().to_string().contains("more than a year"));
    assert!(e.ws.snooze(999, ts("2026-03-03T09:00:00Z")).is_err());
    assert_eq!(crate::common::fingerprint(&e.db()), before);
    e.ws.set_status(n, Status::Resolved, None).unwrap();
    assert!(e.ws.snooze(n, ts("2026-03-03T09:00:00Z")).unwrap_err().to_string().contains("only unsolved tickets"));
    assert!(e.ws.follow_up(n, Some(ts("2026-03-03T09:00:00Z"))).is_err());
    // Unsnoozing what is not snoozed writes nothing.
    let n2 = e.ticket("Awake", Priority::Low);
    let before = crate::common::fingerprint(&e.db());
    e.ws.unsnooze(n2).unwrap();
    assert_eq!(crate::common::fingerprint(&e.db()), before);
}
