//! SLA clock tests on a fake clock (PRODUCT A1, A2): the default table, business hours over
//! weekends and holidays, the Pending pause, DST in Europe/Warsaw and no-DST Asia/Seoul.

use crate::common::{env, ts};
use casebook::model::{MessageKind, NewMessage, Priority, Status};
use casebook::sla::{BusinessHours, SlaSettings, SlaState, WorkingHours};
use chrono::{Duration, NaiveDate, NaiveTime};

#[test]
fn default_policy_table_for_every_priority() {
    // (priority, first response minutes, resolution minutes) — PRODUCT A1.
    let table = [
        (Priority::Urgent, 15, 4 * 60),
        (Priority::High, 2 * 60, 24 * 60),
        (Priority::Medium, 24 * 60, 3 * 24 * 60),
        (Priority::Low, 3 * 24 * 60, 7 * 24 * 60),
    ];
    for (priority, frt, res) in table {
        let mut e = env("2026-03-02T09:00:00Z");
        let n = e.ticket("Printer offline", priority);
        let s = e.ws.sla_status(n).unwrap();
        assert_eq!(s.first_response.target_minutes, frt, "{priority:?}");
        assert_eq!(s.resolution.target_minutes, res, "{priority:?}");
        let start = ts("2026-03-02T09:00:00Z");
        assert_eq!(s.first_response.due_at, Some(start + Duration::minutes(frt)));
        assert_eq!(s.resolution.due_at, Some(start + Duration::minutes(res)));
        assert_eq!(s.first_response.state, SlaState::Ok);
        assert_eq!(s.first_response.remaining_seconds, Some(frt * 60));

        // At risk from 75% of the target, breached from 100%.
        let risk = start + Duration::seconds(frt * 60 * 3 / 4);
        e.clock.set(risk - Duration::seconds(1));
        assert_eq!(e.ws.sla_status(n).unwrap().first_response.state, SlaState::Ok, "{priority:?}");
        e.clock.set(risk);
        assert_eq!(e.ws.sla_status(n).unwrap().first_response.state, SlaState::AtRisk, "{priority:?}");
        e.clock.set(start + Duration::minutes(frt));
        let s = e.ws.sla_status(n).unwrap();
        assert_eq!(s.first_response.state, SlaState::Breached, "{priority:?}");
        assert_eq!(s.first_response.remaining_seconds, Some(0));
        e.clock.set(start + Duration::minutes(frt + 10));
        assert_eq!(e.ws.sla_status(n).unwrap().first_response.remaining_seconds, Some(-600));
    }
}

#[test]
fn first_public_reply_meets_first_response_and_notes_do_not() {
    let mut e = env("2026-03-02T09:00:00Z");
    let n = e.ticket("VPN drops", Priority::Urgent);
    e.minutes(5);
    e.ws.add_message(n, &NewMessage::new(MessageKind::Internal, "checking logs")).unwrap();
    assert_eq!(e.ws.sla_status(n).unwrap().first_response.state, SlaState::Ok);
    e.minutes(5);
    e.ws.add_message(n, &NewMessage::new(MessageKind::Public, "We are on it")).unwrap();
    let s = e.ws.sla_status(n).unwrap();
    assert_eq!(s.first_response.state, SlaState::Met);
    assert_eq!(s.first_response.achieved_at, Some(ts("2026-03-02T09:10:00Z")));
    // A late first reply stays a breach.
    let m = e.ticket("Second", Priority::Urgent);
    e.minutes(20);
    e.ws.add_message(m, &NewMessage::new(MessageKind::Public, "Sorry for the wait")).unwrap();
    assert_eq!(e.ws.sla_status(m).unwrap().first_response.state, SlaState::Breached);
}

#[test]
fn pending_pauses_the_clock_and_a_customer_reply_resumes_it() {
    let mut e = env("2026-03-02T09:00:00Z");
    let n = e.ticket("Invoice wrong", Priority::Urgent); // resolution 4 h
    e.at("2026-03-02T09:05:00Z");
    e.ws.add_message(n, &NewMessage::new(MessageKind::Public, "Which invoice?")).unwrap();
    e.at("2026-03-02T09:10:00Z");
    e.ws.set_status(n, Status::Pending, None).unwrap();

    e.at("2026-03-02T12:00:00Z");
    let s = e.ws.sla_status(n).unwrap();
    assert_eq!(s.resolution.state, SlaState::Paused);
    assert_eq!(s.resolution.due_at, None);
    assert_eq!(s.resolution.remaining_seconds, Some((4 * 60 - 10) * 60), "10 minutes ran before the pause");

    // Two hours later the customer answers: the ticket reopens and the clock resumes.
    e.at("2026-03-02T11:10:00Z");
    e.ws.add_message(n, &NewMessage::new(MessageKind::Customer, "Invoice ORD-12345")).unwrap();
    assert_eq!(e.ws.ticket(n).unwrap().status, Status::Open);
    let s = e.ws.sla_status(n).unwrap();
    assert_eq!(s.resolution.due_at, Some(ts("2026-03-02T15:00:00Z")), "4 h target + 2 h paused");
    assert_eq!(s.resolution.state, SlaState::Ok);
    e.at("2026-03-02T14:59:00Z");
    assert_eq!(e.ws.sla_status(n).unwrap().resolution.state, SlaState::AtRisk);
    e.at("2026-03-02T15:00:00Z");
    assert_eq!(e.ws.sla_status(n).unwrap().resolution.state, SlaState::Breached);
}

#[test]
fn on_hold_does_not_pause() {
    let mut e = env("2026-03-02T09:00:00Z");
    let n = e.ticket("Waiting on engineering", Priority::Urgent);
    e.minutes(1);
    e.ws.set_status(n, Status::OnHold, None).unwrap();
    assert_eq!(e.ws.sla_status(n).unwrap().resolution.due_at, Some(ts("2026-03-02T13:00:00Z")));
}

#[test]
fn resolving_meets_the_target_and_reopening_starts_a_new_cycle() {
    let mut e = env("2026-03-02T09:00:00Z");
    let n = e.ticket("Printer", Priority::Urgent);
    e.at("2026-03-02T09:10:00Z");
    e.ws.add_message(n, &NewMessage::new(MessageKind::Public, "Looking at it")).unwrap();
    e.at("2026-03-02T10:00:00Z");
    e.ws.add_message(n, &NewMessage::new(MessageKind::Public, "Fixed the IP")).unwrap();
    e.ws.set_status(n, Status::Resolved, None).unwrap();
    assert_eq!(e.ws.sla_status(n).unwrap().resolution.state, SlaState::Met);
    e.at("2026-03-03T09:00:00Z");
    e.ws.add_message(n, &NewMessage::new(MessageKind::Customer, "It is broken again")).unwrap();
    let s = e.ws.sla_status(n).unwrap();
    assert_eq!(e.ws.ticket(n).unwrap().status, Status::Open);
    assert_eq!(s.first_response.state, SlaState::Met, "the first response stays met");
    assert_eq!(s.resolution.due_at, Some(ts("2026-03-03T13:00:00Z")), "a fresh 4 h from the reopen");
}

fn office(tz: &str, holidays: Vec<NaiveDate>) -> SlaSettings {
    let mut bh = BusinessHours::weekdays(tz, "09:00", "17:00").unwrap();
    bh.holidays = holidays;
    SlaSettings { business_hours: Some(bh), ..SlaSettings::default() }
}

#[test]
fn business_hours_skip_the_weekend_and_holidays() {
    // Friday 2026-03-06 16:00 in Warsaw (CET, UTC+1) = 15:00Z. High: 2 h first response.
    let mut e = env("2026-03-06T15:00:00Z");
    e.ws.set_sla_settings(office("Europe/Warsaw", vec![])).unwrap();
    let n = e.ticket("Friday afternoon", Priority::High);
    // 1 h on Friday, the second hour on Monday 09:00–10:00 local = 09:00Z.
    assert_eq!(e.ws.sla_status(n).unwrap().first_response.due_at, Some(ts("2026-03-09T09:00:00Z")));
    // Over the weekend no working time passes.
    e.at("2026-03-08T20:00:00Z");
    let s = e.ws.sla_status(n).unwrap();
    assert_eq!(s.first_response.remaining_seconds, Some(3600));
    assert_eq!(s.first_response.state, SlaState::Ok);

    // The same with Monday a holiday: Tuesday 10:00 local.
    let mut e = env("2026-03-06T15:00:00Z");
    e.ws.set_sla_settings(office("Europe/Warsaw", vec![NaiveDate::from_ymd_opt(2026, 3, 9).unwrap()])).unwrap();
    let n = e.ticket("Friday afternoon", Priority::High);
    assert_eq!(e.ws.sla_status(n).unwrap().first_response.due_at, Some(ts("2026-03-10T09:00:00Z")));
}

#[test]
fn a_ticket_created_outside_hours_starts_counting_at_opening_time() {
    // Saturday night in Seoul; Urgent: 15 min → Monday 09:15 KST = 00:15Z.
    let mut e = env("2026-03-07T14:00:00Z");
    e.ws.set_sla_settings(office("Asia/Seoul", vec![])).unwrap();
    let n = e.ticket("서버 다운", Priority::Urgent);
    assert_eq!(e.ws.sla_status(n).unwrap().first_response.due_at, Some(ts("2026-03-09T00:15:00Z")));
}

#[test]
fn seoul_has_no_dst() {
    // Monday 2026-03-30 16:30 KST = 07:30Z; High 2 h: 30 min Monday (closing at 17:00),
    // 90 min Tuesday from 09:00 KST → Tuesday 10:30 KST = 01:30Z. The same all year.
    let mut e = env("2026-03-30T07:30:00Z");
    e.ws.set_sla_settings(office("Asia/Seoul", vec![])).unwrap();
    let n = e.ticket("VPN 연결 끊김", Priority::High);
    assert_eq!(e.ws.sla_status(n).unwrap().first_response.due_at, Some(ts("2026-03-31T01:30:00Z")));
    e.at("2026-10-26T07:30:00Z");
    let m = e.ticket("VPN 연결 끊김", Priority::High);
    assert_eq!(e.ws.sla_status(m).unwrap().first_response.due_at, Some(ts("2026-10-27T01:30:00Z")));
}

#[test]
fn warsaw_dst_change_keeps_local_opening_hours() {
    // Friday 2026-03-27 16:00 CET (UTC+1) = 15:00Z; clocks go forward on Sunday 29 March.
    // Medium, 24 working hours at 8 h a day: Fri 1 h, Mon 8, Tue 8, Wed 7 → Wed 16:00 CEST = 14:00Z.
    let mut e = env("2026-03-27T15:00:00Z");
    e.ws.set_sla_settings(office("Europe/Warsaw", vec![])).unwrap();
    let n = e.ticket("Raporty się zawieszają", Priority::Medium);
    assert_eq!(e.ws.sla_status(n).unwrap().first_response.due_at, Some(ts("2026-04-01T14:00:00Z")));

    // And back in autumn (25 October): Fri 23 Oct 16:00 CEST = 14:00Z → Wed 28 Oct 16:00 CET = 15:00Z.
    e.at("2026-10-23T14:00:00Z");
    let m = e.ticket("Raporty się zawieszają", Priority::Medium);
    assert_eq!(e.ws.sla_status(m).unwrap().first_response.due_at, Some(ts("2026-10-28T15:00:00Z")));
}

#[test]
fn working_hours_that_span_the_dst_switch_count_real_time() {
    let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
    let night = |weekday| WorkingHours { weekday, start: t(1, 0), end: t(4, 0) };
    let mut bh = BusinessHours::weekdays("Europe/Warsaw", "09:00", "17:00").unwrap();
    bh.week = (1..=7).map(night).collect();
    let settings = SlaSettings { business_hours: Some(bh), ..SlaSettings::default() };
    // 29 March: 02:00–03:00 does not exist, so 01:00–04:00 local holds 2 real hours.
    assert_eq!(settings.working_seconds(ts("2026-03-28T12:00:00Z"), ts("2026-03-29T12:00:00Z")), 2 * 3600);
    // 25 October: 02:00–03:00 happens twice, so the same hours hold 4 real hours.
    assert_eq!(settings.working_seconds(ts("2026-10-24T12:00:00Z"), ts("2026-10-25T12:00:00Z")), 4 * 3600);
    // An ordinary night holds 3.
    assert_eq!(settings.working_seconds(ts("2026-03-10T12:00:00Z"), ts("2026-03-11T12:00:00Z")), 3 * 3600);
}

#[test]
fn editing_a_policy_moves_the_deadlines_of_open_tickets() {
    let mut e = env("2026-03-02T09:00:00Z");
    let n = e.ticket("Printer", Priority::Low);
    let mut s = e.ws.sla_settings().clone();
    s.policies.iter_mut().find(|p| p.priority == Priority::Low).unwrap().first_response_minutes = 60;
    e.ws.set_sla_settings(s).unwrap();
    assert_eq!(e.ws.sla_status(n).unwrap().first_response.due_at, Some(ts("2026-03-02T10:00:00Z")));
    e.at("2026-03-02T09:50:00Z");
    assert_eq!(e.ws.needs_attention().unwrap().len(), 1, "the stored instants were recomputed");
}

#[test]
fn invalid_settings_are_refused() {
    let mut e = env("2026-03-02T09:00:00Z");
    let s = SlaSettings { at_risk_share: 1.5, ..SlaSettings::default() };
    assert!(e.ws.set_sla_settings(s).is_err());
    assert!(BusinessHours::weekdays("Mars/Olympus", "09:00", "17:00").is_err());
    assert!(BusinessHours::weekdays("Europe/Warsaw", "18:00", "09:00").is_err());
    assert_eq!(e.ws.sla_settings(), &SlaSettings::default());
}

mod outcomes {
    //! `outcomes_at` (the dashboard's fast verdict) must agree with `status_at` (the full
    //! clock) on every ticket: with and without business hours, pauses, responses, reopens.
    use super::*;
    use casebook::sla::{outcomes_at, outcomes_at_ms, status_at, OutcomeTimes, Pause, SlaFacts};
    use proptest::prelude::*;

    fn verdict(state: SlaState) -> Option<bool> {
        match state {
            SlaState::Met => Some(true),
            SlaState::Breached => Some(false),
            _ => None,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]
        #[test]
        fn agree_with_the_full_clock(
            office_hours in any::<bool>(),
            priority in 0u8..4,
            response in proptest::option::of(0i64..20_000),
            resolved in proptest::option::of(0i64..20_000),
            reopen in 0i64..3_000,
            pauses in proptest::collection::vec((0i64..15_000, proptest::option::of(1i64..3_000)), 0..3),
            now in 0i64..30_000,
        ) {
            let settings = if office_hours { office("Europe/Warsaw", vec![]) } else { SlaSettings::default() };
            let created = ts("2026-03-05T16:20:00Z");
            let at = |minutes: i64| created + Duration::minutes(minutes);
            let facts = SlaFacts {
                priority: Priority::from_rank(priority as i64),
                status: if resolved.is_some() { Status::Resolved } else { Status::Open },
                created_at: created,
                cycle_start: at(reopen.min(resolved.unwrap_or(i64::MAX))),
                first_response_at: response.map(at),
                resolved_at: resolved.map(at),
                pauses: pauses.iter().map(|(s, len)| Pause { start: at(*s), end: len.map(|l| at(s + l)) }).collect(),
            };
            let full = status_at(&settings, &facts, at(now));
            // A pause that ended before creation changes nothing, but takes the clock's
            // general path instead of its no-pause shortcut: both must say the same.
            let mut detour = facts.clone();
            detour.pauses.insert(0, Pause { start: at(-120), end: Some(at(-60)) });
            prop_assert_eq!(status_at(&settings, &detour, at(now)), full.clone());
            let verdicts = [verdict(full.first_response.state), verdict(full.resolution.state)];
            prop_assert_eq!(outcomes_at(&settings, &facts, at(now)), verdicts);
            // The arithmetic shortcut answers exactly when the clock is the wall clock, unpaused.
            let ms = |t: chrono::DateTime<chrono::Utc>| t.timestamp_millis();
            let times = OutcomeTimes {
                created: ms(facts.created_at),
                cycle_start: ms(facts.cycle_start),
                first_response: facts.first_response_at.map(ms),
                resolved: facts.resolved_at.map(ms),
            };
            let shortcut = outcomes_at_ms(&settings, facts.priority, times, !facts.pauses.is_empty(), ms(at(now)));
            let applies = !office_hours && facts.pauses.is_empty();
            prop_assert_eq!(shortcut, applies.then_some(verdicts));
        }
    }
}
