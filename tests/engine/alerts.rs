//! Alerts on a fake clock (PRODUCT A2–A4): each SLA threshold raises once however often the
//! scan runs, Pending pauses, a reopen re-arms, keywords match customer messages only, and
//! delivery is planned once (quiet hours, only mine, storms) and survives a restart.

use crate::common::{env, fingerprint, ts, Env};
use casebook::alerts::{AlertQuery, AlertSettings, QuietHours, MAX_SEPARATE_NOTICES};
use casebook::model::{AlertKind, MessageKind, NewMessage, NewTicket, Priority, Role, Status};
use casebook::people::NewAgent;
use casebook::{Error, Workspace};
use chrono::Duration;
use std::collections::BTreeMap;

fn kinds(e: &Env, number: i64) -> Vec<(AlertKind, String)> {
    let mut all: Vec<_> =
        e.ws.alerts(&AlertQuery { ticket_number: Some(number), ..Default::default() })
            .unwrap()
            .into_iter()
            .map(|a| (a.kind, a.raised_at.format("%d %H:%M").to_string()))
            .collect();
    all.reverse();
    all
}

fn count_by_kind(e: &Env) -> BTreeMap<&'static str, usize> {
    let mut m = BTreeMap::new();
    for a in e.ws.alerts(&AlertQuery::default()).unwrap() {
        *m.entry(a.kind.as_str()).or_default() += 1;
    }
    m
}

fn customer_says(e: &mut Env, number: i64, text: &str) {
    e.ws.add_message(number, &NewMessage::new(MessageKind::Customer, text)).unwrap();
}

#[test]
fn each_threshold_alerts_once_across_a_week_of_scans() {
    // Urgent: first response 15 min (at risk from 11 min 15 s), resolution 4 h (at risk 3 h).
    let mut e = env("2026-03-02T09:00:00Z");
    let n = e.ticket("VPN drops every 10 minutes", Priority::Urgent);
    let start = ts("2026-03-02T09:00:00Z");
    // Every 30 s for a day, then hourly for the rest of the week.
    let mut at = start;
    while at < start + Duration::days(7) {
        e.clock.set(at);
        e.ws.scan_alerts().unwrap();
        at += if at < start + Duration::days(1) { Duration::seconds(30) } else { Duration::hours(1) };
    }
    assert_eq!(
        kinds(&e, n),
        vec![
            (AlertKind::SlaFirstResponseAtRisk, "02 09:11".to_string()),
            (AlertKind::SlaFirstResponseBreached, "02 09:15".to_string()),
            (AlertKind::SlaResolutionAtRisk, "02 12:00".to_string()),
            (AlertKind::SlaResolutionBreached, "02 13:00".to_string()),
        ]
    );
    // A breach carries its due instant, for "time over" in the notification.
    let breach = e.ws.alerts(&AlertQuery::default()).unwrap().into_iter().find(|a| a.kind == AlertKind::SlaFirstResponseBreached).unwrap();
    assert_eq!(breach.due_at, Some(start + Duration::minutes(15)));
}

#[test]
fn a_ticket_first_seen_past_due_gets_the_breach_only() {
    let mut e = env("2026-03-02T09:00:00Z");
    let n = e.ticket("Printer offline", Priority::Urgent);
    e.minutes(20);
    let report = e.ws.scan_alerts().unwrap();
    assert_eq!(report.raised.len(), 1);
    assert_eq!(kinds(&e, n), vec![(AlertKind::SlaFirstResponseBreached, "02 09:20".into())]);
    // The next scan has nothing new to say and reads no ticket.
    let again = e.ws.scan_alerts().unwrap();
    assert_eq!((again.raised.len(), again.tickets_examined), (0, 0));
}

#[test]
fn met_targets_raise_nothing() {
    let mut e = env("2026-03-02T09:00:00Z");
    let n = e.ticket("Password reset", Priority::Urgent);
    e.minutes(5);
    e.ws.add_message(n, &NewMessage::new(MessageKind::Public, "Done — try again please.")).unwrap();
    e.ws.set_status(n, Status::Resolved, None).unwrap();
    e.minutes(24 * 60);
    e.ws.scan_alerts().unwrap();
    assert!(kinds(&e, n).is_empty());
}

#[test]
fn pending_pauses_sla_alerts_and_the_customer_reply_resumes_them() {
    // High: resolution 24 h, at risk at 18 h. The first response is met at once.
    let mut e = env("2026-03-02T09:00:00Z");
    let n = e.ticket("Invoice address wrong", Priority::High);
    e.ws.add_message(n, &NewMessage::new(MessageKind::Public, "Which address should it be?")).unwrap();
    e.minutes(60);
    e.ws.set_status(n, Status::Pending, None).unwrap();
    // Three days waiting on the customer: nothing is due while paused.
    for _ in 0..72 {
        e.minutes(60);
        e.ws.scan_alerts().unwrap();
    }
    assert!(kinds(&e, n).is_empty());
    // The customer answers at 10:00 on day 4: 23 h of budget left, at risk after 17 h more.
    customer_says(&mut e, n, "Ul. Długa 5, Kraków.");
    assert_eq!(e.ws.ticket(n).unwrap().status, Status::Open);
    e.minutes(17 * 60 - 1);
    e.ws.scan_alerts().unwrap();
    assert!(kinds(&e, n).is_empty());
    e.minutes(1);
    e.ws.scan_alerts().unwrap();
    assert_eq!(kinds(&e, n), vec![(AlertKind::SlaResolutionAtRisk, "06 03:00".into())]);
}

#[test]
fn a_reopened_ticket_can_alert_again() {
    let mut e = env("2026-03-02T09:00:00Z");
    let n = e.ticket("Sync fails", Priority::Urgent);
    e.ws.add_message(n, &NewMessage::new(MessageKind::Public, "Looking")).unwrap();
    e.minutes(5 * 60);
    e.ws.scan_alerts().unwrap();
    e.ws.set_status(n, Status::Resolved, None).unwrap();
    assert_eq!(kinds(&e, n).len(), 1, "resolution breached in the first cycle");
    // Reopened by the customer: a new resolution cycle, which can breach again.
    e.minutes(60);
    customer_says(&mut e, n, "Still broken.");
    e.minutes(5 * 60);
    e.ws.scan_alerts().unwrap();
    e.ws.scan_alerts().unwrap();
    let got: Vec<AlertKind> = kinds(&e, n).into_iter().map(|k| k.0).collect();
    assert_eq!(got, vec![AlertKind::SlaResolutionBreached, AlertKind::SlaResolutionBreached]);
}

#[test]
fn keywords_in_customer_messages_raise_alerts_with_the_terms() {
    let mut e = env("2026-03-02T09:00:00Z");
    let n = e.ticket("Login fails", Priority::Medium);
    customer_says(&mut e, n, "Please fix this ASAP!");
    customer_says(&mut e, n, "The wasapi audio driver crashes too.");
    customer_says(&mut e, n, "지금 서버 다운이에요, 급해요");
    customer_says(&mut e, n, "PILNE: awaria sieci od rana");
    let alerts = e.ws.alerts(&AlertQuery { ticket_number: Some(n), ..Default::default() }).unwrap();
    // "서버 다운" also escalates the ticket (a rule's alert); the keyword alerts are these:
    let mut terms: Vec<Vec<String>> = alerts.iter().filter(|a| a.kind == AlertKind::Keyword).map(|a| a.terms.clone()).collect();
    terms.reverse();
    assert_eq!(terms, vec![vec!["asap".to_string()], vec!["서버 다운".into(), "급해요".into()], vec!["pilne".into(), "awaria".into()]]);
    assert_eq!(alerts.iter().filter(|a| a.kind == AlertKind::Rule).count(), 1, "the outage escalated it once");
    // The ticket page shows them.
    assert_eq!(e.ws.ticket_detail(n).unwrap().alerts.len(), 4);

    // A new ticket whose first message has a keyword alerts in the same transaction.
    let m =
        e.ws.create_ticket(&NewTicket {
            subject: "Refund".into(),
            description: "I want a refund, my lawyer says so.".into(),
            requester_email: "anna@firma.pl".into(),
            ..Default::default()
        })
        .unwrap()
        .number;
    let a = e.ws.alerts(&AlertQuery { ticket_number: Some(m), ..Default::default() }).unwrap();
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].terms, vec!["refund".to_string(), "lawyer".into()]);

    // The subject is the customer's words too.
    let s =
        e.ws.create_ticket(&NewTicket {
            subject: "Need help ASAP!".into(),
            description: "our invoices are wrong".into(),
            requester_email: "bob@example.com".into(),
            ..Default::default()
        })
        .unwrap()
        .number;
    let a = e.ws.alerts(&AlertQuery { ticket_number: Some(s), ..Default::default() }).unwrap();
    assert_eq!(a.iter().map(|a| (a.kind, a.terms.clone())).collect::<Vec<_>>(), vec![(AlertKind::Keyword, vec!["asap".to_string()])]);
}

#[test]
fn agents_and_notes_never_raise_keyword_alerts() {
    let mut e = env("2026-03-02T09:00:00Z");
    let n = e.ticket("Login fails", Priority::Medium);
    e.ws.add_message(n, &NewMessage::new(MessageKind::Public, "We will fix it ASAP, no refund needed.")).unwrap();
    e.ws.add_message(n, &NewMessage::new(MessageKind::Internal, "Customer sounds angry — 서버 다운?")).unwrap();
    assert!(e.ws.alerts(&AlertQuery::default()).unwrap().is_empty());
    // Imported history is not news either.
    e.ws.import_tickets(&[NewTicket {
        subject: "Old".into(),
        description: "urgent refund".into(),
        requester_email: "x@y.test".into(),
        ..Default::default()
    }])
    .unwrap();
    assert!(e.ws.alerts(&AlertQuery::default()).unwrap().is_empty());
}

#[test]
fn settings_choose_kinds_and_keywords_and_bad_ones_change_nothing() {
    let mut e = env("2026-03-02T09:00:00Z");
    let mut s = e.ws.alert_settings().clone();
    s.kinds.retain(|k| *k != AlertKind::SlaFirstResponseAtRisk);
    s.keywords = vec!["printer on fire".into()];
    e.ws.set_alert_settings(s).unwrap();
    let n = e.ticket("Office", Priority::Urgent);
    customer_says(&mut e, n, "The PRINTER is on fire — asap");
    customer_says(&mut e, n, "Printer  on  fire!");
    e.minutes(12);
    e.ws.scan_alerts().unwrap();
    assert_eq!(count_by_kind(&e), BTreeMap::from([("keyword", 1)]));

    let before = fingerprint(&e.db());
    for bad in [
        AlertSettings { keywords: vec!["*".into()], ..e.ws.alert_settings().clone() },
        AlertSettings { keywords: vec!["asap".into(), "ASAP".into()], ..e.ws.alert_settings().clone() },
        AlertSettings { scan_interval_seconds: 0, ..e.ws.alert_settings().clone() },
        AlertSettings {
            quiet_hours: Some(QuietHours { from: "25:00".into(), to: "07:00".into(), timezone: "Europe/Warsaw".into() }),
            ..e.ws.alert_settings().clone()
        },
        AlertSettings {
            quiet_hours: Some(QuietHours { from: "22:00".into(), to: "07:00".into(), timezone: "Mars/Olympus".into() }),
            ..e.ws.alert_settings().clone()
        },
    ] {
        assert!(matches!(e.ws.set_alert_settings(bad), Err(Error::Validation { .. })));
    }
    assert!(matches!(e.ws.mark_alert_read(999), Err(Error::NotFound { .. })));
    assert_eq!(before, fingerprint(&e.db()));
}

#[test]
fn delivery_is_planned_once_and_survives_a_restart() {
    let mut e = env("2026-03-02T09:00:00Z");
    let n = e.ticket("VPN drops every 10 minutes", Priority::Urgent);
    e.minutes(12);
    e.ws.scan_alerts().unwrap();
    let plan = e.ws.plan_delivery().unwrap();
    assert_eq!(plan.notices.len(), 1);
    let notice = &plan.notices[0];
    assert_eq!(notice.summary, format!("#{n}: first response at risk"));
    assert_eq!(notice.body, "VPN drops every 10 minutes — 3 min left (Urgent priority)");
    assert!(notice.critical, "urgent tickets notify critically");
    e.ws.mark_delivered(&notice.alert_ids, false).unwrap();
    assert!(e.ws.plan_delivery().unwrap().notices.is_empty());

    // Breached while the app was closed: delivered on the next start, once.
    e.minutes(10);
    let db = e.db();
    let clock = e.clock.clone();
    e.ws.scan_alerts().unwrap();
    drop(std::mem::replace(&mut e.ws, Workspace::open(&db, clock.clone()).unwrap()));
    let plan = e.ws.plan_delivery().unwrap();
    assert_eq!(plan.notices.len(), 1);
    assert_eq!(plan.notices[0].summary, format!("#{n}: first response overdue"));
    assert_eq!(plan.notices[0].body, "VPN drops every 10 minutes — 7 min over (Urgent priority)");
    e.ws.mark_delivered(&plan.notices[0].alert_ids, false).unwrap();
    e.ws = Workspace::open(&db, clock).unwrap();
    e.ws.scan_alerts().unwrap();
    assert_eq!(e.ws.plan_delivery().unwrap(), Default::default());

    // Read state: one by one, or all.
    assert_eq!(e.ws.unread_alert_count().unwrap(), 2);
    let first = e.ws.alerts(&AlertQuery::default()).unwrap()[1].id;
    assert!(e.ws.mark_alert_read(first).unwrap().read_at.is_some());
    assert_eq!(e.ws.unread_alert_count().unwrap(), 1);
    assert_eq!(e.ws.mark_all_alerts_read().unwrap(), 1);
    assert!(e.ws.alerts(&AlertQuery { unread_only: true, ..Default::default() }).unwrap().is_empty());
}

#[test]
fn quiet_hours_only_mine_and_storms_shape_the_notifications() {
    let mut e = env("2026-03-02T21:30:00Z"); // 22:30 in Warsaw
    let mut s = e.ws.alert_settings().clone();
    s.quiet_hours = Some(QuietHours { from: "22:00".into(), to: "07:00".into(), timezone: "Europe/Warsaw".into() });
    e.ws.set_alert_settings(s.clone()).unwrap();
    let n = e.ticket("Night ticket", Priority::Urgent);
    customer_says(&mut e, n, "asap");
    let plan = e.ws.plan_delivery().unwrap();
    assert!(plan.notices.is_empty());
    assert_eq!(plan.silent.len(), 1);
    e.ws.mark_delivered(&plan.silent, true).unwrap();
    assert!(e.ws.alerts(&AlertQuery::default()).unwrap()[0].silent, "still listed, marked silent");

    // Only mine: a ticket of someone else's is delivered silently.
    s.quiet_hours = None;
    s.only_mine = true;
    e.ws.set_alert_settings(s).unwrap();
    e.ws.add_agent(&NewAgent { name: "Piotr".into(), email: "piotr@acme.test".into(), role: Role::Agent, teams: vec![], skills: vec![] }).unwrap();
    let mine = e.ticket("Mine", Priority::Low);
    e.ws.claim(mine).unwrap();
    let theirs = e.ticket("Theirs", Priority::Low);
    e.ws.assign(theirs, Some("piotr@acme.test")).unwrap();
    customer_says(&mut e, mine, "refund");
    customer_says(&mut e, theirs, "refund");
    let plan = e.ws.plan_delivery().unwrap();
    assert_eq!(plan.notices.iter().map(|n| n.ticket_number).collect::<Vec<_>>(), vec![Some(mine)]);
    assert_eq!(plan.silent.len(), 1);
    e.ws.mark_delivered(&plan.silent, true).unwrap();
    e.ws.mark_delivered(&plan.notices[0].alert_ids, false).unwrap();

    // Many at once: one summary instead of a storm.
    let mut s = e.ws.alert_settings().clone();
    s.only_mine = false;
    e.ws.set_alert_settings(s).unwrap();
    for i in 0..(MAX_SEPARATE_NOTICES + 3) {
        // From different customers: one customer's third "Storm" would be escalated as a
        // recurring problem (a rule alert of its own).
        let t =
            e.ws.create_ticket(&NewTicket {
                subject: format!("Storm {i}"),
                description: "It is raining in the server room.".into(),
                requester_email: format!("storm{i}@acme.test"),
                ..Default::default()
            })
            .unwrap()
            .number;
        customer_says(&mut e, t, "this is unacceptable");
    }
    let plan = e.ws.plan_delivery().unwrap();
    assert_eq!(plan.notices.len(), 1);
    assert_eq!(plan.notices[0].alert_ids.len(), MAX_SEPARATE_NOTICES + 3);
    assert_eq!(plan.notices[0].ticket_number, None);
    assert!(plan.notices[0].summary.starts_with(&format!("{} alerts", MAX_SEPARATE_NOTICES + 3)), "{}", plan.notices[0].summary);
}
