//! Dashboard figures against values worked out by hand, on a small week of tickets built
//! through the public API on a fake clock: business hours (weekdays 09–17 UTC), a Pending
//! pause, a reopen, a breach, a duplicate, ratings. Every figure's tickets are listed by the
//! same computation that counts it.

use crate::common::{env, ts, Env};
use casebook::model::{MessageKind, NewMessage, NewTicket, Priority, Role, Status};
use casebook::people::NewAgent;
use casebook::sla::{BusinessHours, SlaSettings};
use casebook::stats::{Bucket, StatsQuery};

const PIOTR: &str = "piotr@acme.test";
const MINA: &str = "mina@acme.test";

fn ticket(e: &mut Env, at: &str, requester: &str, subject: &str, priority: Priority, assignee: Option<&str>, ticket_type: Option<&str>) -> i64 {
    e.at(at);
    e.ws.create_ticket(&NewTicket {
        subject: subject.into(),
        description: format!("{subject}, details."),
        requester_email: requester.into(),
        priority: Some(priority),
        assignee_email: assignee.map(str::to_string),
        ticket_type: ticket_type.map(str::to_string),
        ..Default::default()
    })
    .unwrap()
    .number
}

fn reply(e: &mut Env, at: &str, n: i64, kind: MessageKind, body: &str) {
    e.at(at);
    e.ws.add_message(n, &NewMessage::new(kind, body)).unwrap();
}

fn status(e: &mut Env, at: &str, n: i64, s: Status) {
    e.at(at);
    e.ws.set_status(n, s, None).unwrap();
}

struct Week {
    e: Env,
    t: [i64; 8],
}

/// The week of 2 March 2026 (a Monday), seen on Tuesday 10 March 09:00.
fn week() -> Week {
    let mut e = env("2026-02-20T09:00:00Z");
    e.ws.set_sla_settings(SlaSettings { business_hours: Some(BusinessHours::weekdays("UTC", "09:00", "17:00").unwrap()), ..SlaSettings::default() })
        .unwrap();
    e.ws.add_agent(&NewAgent { name: "Piotr Nowak".into(), email: PIOTR.into(), role: Role::Agent, teams: vec![], skills: vec![] }).unwrap();
    let mut t = [0; 8];
    // Sunday, the period before: created, answered Monday 09:30, solved Monday 12:00.
    t[6] = ticket(&mut e, "2026-03-01T10:00:00Z", "r6@x.test", "Cannot export invoices", Priority::Medium, Some(MINA), None);
    t[1] = ticket(&mut e, "2026-03-02T09:00:00Z", "r1@x.test", "Printer queue stuck", Priority::High, Some(MINA), None);
    reply(&mut e, "2026-03-02T09:30:00Z", t[6], MessageKind::Public, "Looking.");
    reply(&mut e, "2026-03-02T10:00:00Z", t[1], MessageKind::Public, "Restarting the spooler.");
    status(&mut e, "2026-03-02T12:00:00Z", t[6], Status::Resolved);
    status(&mut e, "2026-03-02T15:00:00Z", t[1], Status::Resolved);
    t[2] = ticket(&mut e, "2026-03-02T16:00:00Z", "r2@x.test", "Calendar sync fails", Priority::Medium, Some(PIOTR), None);
    t[3] = ticket(&mut e, "2026-03-03T09:00:00Z", "r3@x.test", "Payroll system error", Priority::Urgent, Some(PIOTR), None);
    reply(&mut e, "2026-03-03T10:00:00Z", t[2], MessageKind::Public, "Please send the logs.");
    status(&mut e, "2026-03-03T10:00:00Z", t[2], Status::Pending);
    reply(&mut e, "2026-03-03T10:00:00Z", t[3], MessageKind::Public, "Patched.");
    status(&mut e, "2026-03-03T11:00:00Z", t[3], Status::Resolved);
    reply(&mut e, "2026-03-04T09:00:00Z", t[3], MessageKind::Customer, "The error came back this morning.");
    t[4] = ticket(&mut e, "2026-03-04T09:00:00Z", "r4@x.test", "Website returns 500", Priority::Urgent, None, None);
    status(&mut e, "2026-03-04T10:00:00Z", t[3], Status::Resolved);
    t[5] = ticket(&mut e, "2026-03-05T09:00:00Z", "r5@x.test", "Password reset link", Priority::Medium, Some(MINA), Some("Account"));
    e.at("2026-03-05T09:30:00Z");
    e.ws.merge(t[5], t[1]).unwrap();
    reply(&mut e, "2026-03-05T10:00:00Z", t[2], MessageKind::Customer, "Here are the logs you asked for.");
    status(&mut e, "2026-03-05T12:00:00Z", t[2], Status::Resolved);
    t[7] = ticket(&mut e, "2026-03-06T09:00:00Z", "r7@x.test", "VPN certificate expired", Priority::High, Some(PIOTR), None);
    reply(&mut e, "2026-03-06T09:30:00Z", t[7], MessageKind::Public, "Which device?");
    status(&mut e, "2026-03-06T09:30:00Z", t[7], Status::Pending);
    e.at("2026-03-06T12:00:00Z");
    e.ws.rate_ticket(t[1], true, "").unwrap();
    e.ws.rate_ticket(t[2], false, "Took three days").unwrap();
    e.at("2026-03-10T09:00:00Z");
    Week { e, t }
}

fn period() -> StatsQuery {
    StatsQuery { from: Some(ts("2026-03-02T00:00:00Z")), to: Some(ts("2026-03-09T00:00:00Z")), ..Default::default() }
}

#[test]
fn the_figures_of_a_week_match_the_hand_computed_ones() {
    let Week { e, t } = week();
    let s = e.ws.stats(&period()).unwrap();
    let h = &s.headline;
    // Created in the week: 1, 2, 3, 4, 5, 7. Solved in it: 6, 1, 3, 2 (5 was a duplicate).
    assert_eq!((h.created, h.solved, h.reopened), (6, 4, 1));
    assert_eq!(h.resolution_rate, Some(0.5), "1, 2 and 3 of the six");
    // First responses (calendar): 1 h, 18 h, 1 h, 30 min; business: 1 h, 2 h, 1 h, 30 min.
    let f = &s.first_response;
    assert_eq!((f.count, f.median, f.average, f.p90), (4, Some(3600), Some(18450), Some(64800)));
    assert_eq!((f.business_median, f.business_average, f.business_p90), (Some(3600), Some(4050), Some(7200)));
    assert_eq!(f.histogram.iter().map(|c| c.count).collect::<Vec<_>>(), vec![1, 2, 0, 1, 0, 0, 0]);
    // Resolutions (calendar): 26 h, 6 h, 25 h, 68 h; business: 3 h, 6 h, 9 h, 20 h.
    let r = &s.resolution;
    assert_eq!((r.count, r.median, r.average, r.p90), (4, Some(91800), Some(112500), Some(244800)));
    assert_eq!((r.business_median, r.business_average, r.business_p90), (Some(27000), Some(34200), Some(72000)));
    // SLA: first response met by 1, 2, 7 and missed by 3 (1 h for 15 min) and 4 (never);
    // resolution met by 1, 2 (its Pending pause not counted) and 3 (the reopened cycle), missed by 4.
    assert_eq!((s.first_response_sla.met.count, s.first_response_sla.breached.count, s.first_response_sla.rate), (3, 2, Some(0.6)));
    assert_eq!((s.resolution_sla.met.count, s.resolution_sla.breached.count, s.resolution_sla.rate), (3, 1, Some(0.75)));
    assert_eq!(s.resolution_sla.breach_rate, Some(0.25));
    let urgent = s.sla_by_priority.iter().find(|p| p.priority == Priority::Urgent).unwrap();
    assert_eq!((urgent.first_response.met.count, urgent.first_response.breached.count), (0, 2));
    assert_eq!((urgent.resolution.met.count, urgent.resolution.breached.count), (1, 1));
    let high = s.sla_by_priority.iter().find(|p| p.priority == Priority::High).unwrap();
    assert_eq!((high.first_response.rate, high.resolution.met.count), (Some(1.0), 1));
    // Now: 4 New (unassigned, breached), 7 Pending; 1, 2, 3, 6 Resolved; 5 Closed.
    let by_status: Vec<(String, i64)> = s.now.by_status.iter().map(|c| (c.label.clone(), c.count)).collect();
    assert_eq!(by_status, [("New", 1), ("Open", 0), ("Pending", 1), ("On hold", 0), ("Resolved", 4), ("Closed", 1)].map(|(a, b)| (a.to_string(), b)));
    assert_eq!((s.now.unassigned.count, s.now.breached.count, s.now.at_risk.count), (1, 1, 0));
    assert_eq!(s.now.backlog_by_age.iter().map(|c| c.count).collect::<Vec<_>>(), vec![0, 0, 2, 0, 0]);
    // Trend by day.
    assert_eq!(s.bucket, Bucket::Day);
    let trend: Vec<(i64, i64, i64)> = s.trend.iter().map(|p| (p.created.count, p.solved.count, p.reopened.count)).collect();
    assert_eq!(trend, vec![(2, 2, 0), (1, 0, 0), (1, 1, 1), (1, 1, 0), (1, 0, 0), (0, 0, 0), (0, 0, 0)]);
    // Agents.
    let mina = s.agents.iter().find(|a| a.email == MINA).unwrap();
    assert_eq!((mina.assigned.count, mina.solved.count, mina.median_first_response, mina.median_resolution), (2, 2, Some(3600), Some(57600)));
    assert_eq!((mina.sla_compliance, mina.csat, mina.rated, mina.reopen_rate), (Some(1.0), Some(1.0), 1, Some(0.0)));
    let piotr = s.agents.iter().find(|a| a.email == PIOTR).unwrap();
    assert_eq!((piotr.assigned.count, piotr.solved.count, piotr.median_first_response, piotr.median_resolution), (3, 2, Some(3600), Some(167400)));
    assert_eq!((piotr.sla_compliance, piotr.csat, piotr.reopen_rate), (Some(0.8), Some(0.0), Some(0.5)));
    // Issues, bottlenecks, CSAT.
    assert_eq!(s.by_type.iter().map(|c| (c.label.as_str(), c.count)).collect::<Vec<_>>(), vec![("Technical", 5), ("Account", 1)]);
    assert_eq!(s.slowest_types[0].median_resolution, Some(91800));
    assert_eq!(s.bottlenecks.worst.iter().map(|w| (w.number, w.hours)).collect::<Vec<_>>(), vec![(t[4], 144), (t[7], 95)]);
    assert_eq!((s.csat.good.count, s.csat.bad.count, s.csat.score), (1, 1, Some(0.5)));
    assert_eq!(s.csat.comments.iter().map(|c| c.comment.as_str()).collect::<Vec<_>>(), vec!["Took three days"]);
    // The week before: ticket 6 was created (and is solved), answered after 23.5 h.
    assert_eq!((s.previous.created, s.previous.solved, s.previous.resolution_rate, s.previous.median_first_response), (1, 0, Some(1.0), Some(84600)));
}

#[test]
fn every_number_lists_exactly_its_tickets() {
    let Week { e, t } = week();
    let q = period();
    let s = e.ws.stats(&q).unwrap();
    let behind = |key: &str| e.ws.tickets_behind(&q, key).unwrap();
    assert_eq!(behind(&s.first_response_sla.breached.key), vec![t[4], t[3]]);
    assert_eq!(behind(&s.now.unassigned.key), vec![t[4]]);
    assert_eq!(behind(&s.trend[2].reopened.key), vec![t[3]]);
    assert_eq!(behind(&s.bottlenecks.stuck.key), vec![t[7], t[4]]);
    assert_eq!(behind(&s.csat.bad.key), vec![t[2]]);
    assert_eq!(behind("created_solved"), vec![t[3], t[2], t[1]], "the resolution rate's solved half");
    let piotr = s.agents.iter().find(|a| a.email == PIOTR).unwrap();
    assert_eq!(behind(&piotr.solved.key), vec![t[3], t[2]]);
    // Every count is the length of its list.
    for c in s.now.by_status.iter().chain(&s.by_type).chain(&s.first_response.histogram).chain(s.trend.iter().flat_map(|p| [&p.created, &p.solved])) {
        if c.count > 0 {
            assert_eq!(behind(&c.key).len() as i64, c.count, "{}", c.key);
        }
    }
    assert!(e.ws.tickets_behind(&q, "no-such-figure").is_err());
}

#[test]
fn filters_narrow_every_figure() {
    let Week { e, t } = week();
    let piotr = e.ws.stats(&StatsQuery { agent: Some(PIOTR.into()), ..period() }).unwrap();
    assert_eq!((piotr.headline.created, piotr.headline.solved, piotr.headline.reopened), (3, 2, 1));
    assert_eq!(piotr.agents.len(), 1);
    // The headline numbers' keys are "created", "solved", "reopened".
    assert_eq!(e.ws.tickets_behind(&StatsQuery { priority: Some(Priority::High), ..period() }, "created").unwrap(), vec![t[7], t[1]]);
    let account = e.ws.stats(&StatsQuery { ticket_type: Some("account".into()), ..period() }).unwrap();
    assert_eq!(account.headline.created, 1);
    let weekly = e.ws.stats(&StatsQuery { bucket: Bucket::Week, ..period() }).unwrap();
    assert_eq!(weekly.trend.len(), 1);
    assert_eq!(weekly.trend[0].created.count, 6);
}

#[test]
fn an_empty_workspace_gives_zeros_not_errors() {
    let e = env("2026-03-02T09:00:00Z");
    let s = e.ws.stats(&StatsQuery::default()).unwrap();
    assert_eq!((s.headline.created, s.headline.solved), (0, 0));
    assert_eq!((s.headline.resolution_rate, s.first_response.median, s.csat.score), (None, None, None));
    assert_eq!(s.trend.len(), 30);
    assert!(s.trend.iter().all(|p| p.created.count == 0));
    assert!(s.agents.is_empty() && s.by_type.is_empty() && s.bottlenecks.worst.is_empty());
    assert!(e.ws.stats(&StatsQuery { from: Some(ts("2026-03-02T00:00:00Z")), to: Some(ts("2026-03-01T00:00:00Z")), ..Default::default() }).is_err());
}

#[test]
fn ratings_are_for_solved_tickets_and_replace_each_other() {
    let mut e = env("2026-03-02T09:00:00Z");
    let n = e.ticket("Printer offline", Priority::Low);
    assert!(e.ws.rate_ticket(n, true, "").unwrap_err().to_string().contains("only a solved ticket"));
    e.ws.set_status(n, Status::Resolved, None).unwrap();
    e.ws.rate_ticket(n, false, "slow").unwrap();
    let r = e.ws.rate_ticket(n, true, "fixed after all").unwrap();
    assert_eq!((r.good, r.comment.as_str(), r.recorded_by.as_deref()), (true, "fixed after all", Some("Mina Park")));
    assert_eq!(e.ws.history(n).unwrap().iter().filter(|ev| ev.kind == "ticket.rated").count(), 2);
    let s = e.ws.stats(&StatsQuery::default()).unwrap();
    assert_eq!((s.csat.good.count, s.csat.bad.count), (1, 0));
}

/// The dashboard keeps the tickets it read in memory and follows the event log: after every
/// kind of change, by this workspace or by another connection to the same file, its figures
/// must equal those of a workspace that reads everything afresh.
#[test]
fn the_figures_follow_every_change_made_after_they_were_read() {
    let Week { mut e, t } = week();
    let queries = [period(), StatsQuery { agent: Some(PIOTR.into()), ..period() }, StatsQuery { days: Some(60), ..Default::default() }];
    let check = |e: &Env, what: &str| {
        let fresh = casebook::Workspace::open(&e.db(), e.clock.clone()).unwrap();
        for q in &queries {
            assert_eq!(e.ws.stats(q).unwrap(), fresh.stats(q).unwrap(), "after {what}, for {q:?}");
        }
    };
    let before = e.ws.stats(&period()).unwrap();
    check(&e, "nothing");

    let n = ticket(&mut e, "2026-03-04T10:00:00Z", "late@x.test", "Scanner jams", Priority::Urgent, None, Some("Product"));
    check(&e, "a new ticket");
    e.ws.set_tags(n, &["scanner".to_string(), "hardware".to_string()]).unwrap();
    check(&e, "tags");
    e.ws.assign(n, Some(PIOTR)).unwrap();
    reply(&mut e, "2026-03-04T10:30:00Z", n, MessageKind::Public, "On my way.");
    check(&e, "an assignment and a first response");
    status(&mut e, "2026-03-04T11:00:00Z", n, Status::Pending);
    reply(&mut e, "2026-03-05T09:00:00Z", n, MessageKind::Customer, "Still jams.");
    check(&e, "a Pending pause");
    status(&mut e, "2026-03-05T12:00:00Z", n, Status::Resolved);
    e.ws.rate_ticket(n, false, "Took a day").unwrap();
    check(&e, "a resolution and a rating");
    e.ws.set_priority(t[2], Priority::Urgent).unwrap();
    check(&e, "a priority change");
    e.ws.set_sla_settings(SlaSettings::default()).unwrap();
    check(&e, "new SLA settings");

    let mut other = casebook::Workspace::open(&e.db(), e.clock.clone()).unwrap();
    other.set_status(n, Status::Open, None).unwrap();
    other.set_tags(t[1], &["printer".to_string()]).unwrap();
    drop(other);
    // This workspace's SLA settings are its own, so compare with the same ones.
    check(&e, "changes by another connection");

    let after = e.ws.stats(&period()).unwrap();
    assert_eq!(after.headline.created, before.headline.created + 1, "the new ticket is counted");
    assert!(after.by_tag.iter().any(|c| c.label == "scanner"), "its tags are counted: {:?}", after.by_tag);
}
