//! `casebook bench soak`: a month of a ten-agent team's traffic on a fast clock, with the
//! background jobs the desktop runs beside it, then the checks that a long run stays sound.
//!
//! Traffic (seeded, deterministic): tickets arrive in office hours (a tenth of that at night
//! and at weekends) in English, Korean and Polish from the demo's problem families; agents claim,
//! answer (some late enough to breach), ask and wait (Pending), resolve with the fix marked;
//! customers answer, write "ASAP", come back after a solve (a reopen); some tickets are sent
//! twice and merged; every Monday the SLA's at-risk share changes and every Wednesday the
//! alert settings (quiet hours on, then off).
//!
//! Beside it, every `pass_seconds` of simulated time, the passes the desktop's scheduler makes
//! (`services/scheduler.rs`), through the same engine calls and the same `Schedule`: time
//! rules when due, the alert scan and delivery planning, the daily verified backup and its
//! pruning, the dashboard's figures; and the real index writer thread (`Indexer`) applies
//! every change. Notifications are counted where the desktop would hand them to D-Bus (the
//! real daemon is `src-tauri/tests/notifications.rs`'s part).
//!
//! The checks: memory (the process's anonymous resident memory once the allocator has returned
//! what is free, the lowest of a few samples a moment apart, less SQLite's page cache, which
//! grows with the database by design) flat over each weekend after the first tenth of the run,
//! within 10 % (its growth with the data over the month is a figure); no SLA breach goes
//! unraised past the pass after it; every alert delivered exactly once; no rule acting twice on
//! a ticket in one window; every backup verified; `check` and `replay --check` clean at the end.

use super::{row, BenchRow};
use crate::clock::{to_ms, Duration, Timestamp};
use crate::demo::{self, DemoOptions, Family};
use crate::model::AlertKind;
use crate::model::{MessageKind, NewMessage, NewTicket, Priority, Resolution, Status};
use crate::schedule::{Schedule, BACKUPS_KEPT};
use crate::search::{Indexer, SearchIndex};
use crate::{backup, Error, FixedClock, Result, Workspace, WorkspaceInit};
use chrono::{Datelike, Timelike, Weekday};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

#[derive(Debug, Clone, Copy)]
pub struct SoakOptions {
    pub days: u32,
    /// Tickets over the whole run (about 3,000 a month for ten agents).
    pub tickets: usize,
    /// Simulated seconds between two scheduler passes (the desktop's default scan: 30).
    pub pass_seconds: i64,
    pub seed: u64,
    /// Whether this process's memory says anything about the soak (not in a test binary,
    /// whose other tests run beside it).
    pub measure_memory: bool,
}

impl Default for SoakOptions {
    fn default() -> Self {
        SoakOptions { days: 30, tickets: 3000, pass_seconds: 30, seed: 11, measure_memory: true }
    }
}

/// One of the checks and what it found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SoakCheck {
    pub check: String,
    pub ok: bool,
    pub found: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct SoakReport {
    pub figures: Vec<BenchRow>,
    pub checks: Vec<SoakCheck>,
}

impl SoakReport {
    pub fn ok(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }

    pub fn table(&self) -> String {
        let mut s = super::table(&self.figures);
        s.push_str("\n| check | result | found |\n|---|---|---|\n");
        for c in &self.checks {
            s.push_str(&format!("| {} | {} | {} |\n", c.check, if c.ok { "✓" } else { "✗" }, c.found));
        }
        s
    }
}

/// Where a ticket of the traffic is in its life, and when its next step comes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Stage {
    /// Waiting for its first answer.
    New,
    /// An agent answered; the customer writes back next (or the agent solves it).
    Answered,
    /// The customer wrote; an agent answers next.
    CustomerWrote,
    /// Solved: the customer may come back.
    Resolved,
}

struct Active {
    number: i64,
    stage: Stage,
    next_at: Timestamp,
    agent: String,
    exchanges: u32,
    fix: String,
    family: usize,
    /// A second copy of another ticket: merged into it when first handled.
    duplicate_of: Option<i64>,
}

#[derive(Default)]
struct Counts {
    tickets: usize,
    customer_messages: usize,
    replies: usize,
    notes: usize,
    pending: usize,
    resolved: usize,
    reopened: usize,
    sent_twice: usize,
    settings_changes: usize,
    refused: HashMap<String, usize>,
}

fn office_hours(t: Timestamp) -> bool {
    !matches!(t.weekday(), Weekday::Sat | Weekday::Sun) && (8..18).contains(&t.hour())
}

fn minutes(rng: &mut ChaCha8Rng, from: i64, to: i64) -> Duration {
    Duration::minutes(rng.random_range(from..=to))
}

/// Anonymous resident memory of this process, in KiB (Linux; 0 elsewhere).
fn rss_anon_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("RssAnon:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

/// The heap SQLite holds in this process (its page caches above all), in KiB.
fn sqlite_heap_kib() -> u64 {
    // SAFETY: a read of SQLite's global memory counter, callable at any time from any thread.
    (unsafe { rusqlite::ffi::sqlite3_memory_used() }).max(0) as u64 / 1024
}

/// What the program has allocated and not freed (glibc's count, SQLite's heap included), in
/// KiB: unlike resident memory it does not hold the allocator's free but unreturned pages.
fn heap_in_use_kib() -> u64 {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallinfo2 reads the allocator's counters; it may be called any time.
        let m = unsafe { libc::mallinfo2() };
        (m.uordblks + m.hblkhd) as u64 / 1024
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    0
}

/// A refusal that traffic can meet (the ticket moved on meanwhile) is counted; anything else
/// (the database, the disk) ends the soak.
fn tolerate(counts: &mut Counts, what: &str, r: Result<()>) -> Result<()> {
    match r {
        Ok(()) => Ok(()),
        Err(
            e @ (Error::Validation { .. }
            | Error::Conflict(_)
            | Error::IllegalTransition { .. }
            | Error::TicketClosed { .. }
            | Error::NotFound { .. }),
        ) => {
            *counts.refused.entry(format!("{what}: {}", e.code())).or_default() += 1;
            Ok(())
        }
        Err(e) => Err(e),
    }
}

pub fn soak(opts: SoakOptions, progress: &mut dyn FnMut(&str)) -> Result<SoakReport> {
    let wall = Instant::now();
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("casebook.db");
    let start = chrono::DateTime::parse_from_rfc3339("2026-03-02T00:00:00Z").unwrap().with_timezone(&chrono::Utc);
    let end = start + Duration::days(opts.days as i64);
    let clock = Arc::new(FixedClock::new(start));
    let init = WorkspaceInit { name: "Soak".into(), admin_name: "Mina Park".into(), admin_email: "mina@acme.test".into() };
    let mut ws = Workspace::create(&db, clock.clone(), &init)?;
    demo::generate(&mut ws, DemoOptions { tickets: 0, seed: opts.seed, all_unsolved: false, run_rules: false })?;
    // Agents see their teams' tickets: each ticket is worked by one of its team.
    let staff = ws.agents()?;
    let admin = "mina@acme.test".to_string();
    let team_agents = |team: &str| -> Vec<String> {
        let of: Vec<String> = staff.iter().filter(|a| a.active && a.teams.iter().any(|t| t == team)).map(|a| a.email.clone()).collect();
        if of.is_empty() {
            vec![admin.clone()]
        } else {
            of
        }
    };
    let families: Vec<Family> = demo::families();

    let index = Arc::new(SearchIndex::open(&ws.data_dir())?);
    let index_errors = Arc::new(Mutex::new(Vec::<String>::new()));
    let batches = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let indexer = {
        let (errors, batches) = (index_errors.clone(), batches.clone());
        Indexer::start(
            db.clone(),
            index.clone(),
            move |_| {
                batches.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            },
            move |e| errors.lock().unwrap().push(e),
        )?
    };
    ws.use_search_index(index.clone());

    let backups = dir.path().join("backups");
    let mut schedule = Schedule::new(start, None);
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let mut counts = Counts::default();
    let mut active: Vec<Active> = Vec::new();
    // Arrivals: `tickets` spread over the run's passes, office hours weighing ten times more.
    let passes = opts.days as i64 * 86_400 / opts.pass_seconds;
    let weight_of = |t: Timestamp| if office_hours(t) { 1.0 } else { 0.1 };
    let total_weight: f64 = (0..passes).map(|i| weight_of(start + Duration::seconds(i * opts.pass_seconds))).sum();
    let per_weight = opts.tickets as f64 / total_weight;
    let mut owed = 0.0;

    let mut delivered: HashMap<i64, u32> = HashMap::new();
    let (mut notices, mut rule_passes, mut rule_changes, mut backups_made, mut unraised_breaches) = (0usize, 0usize, 0usize, 0usize, 0usize);
    // (day, anonymous resident KiB, of which SQLite's heap KiB).
    let mut memory: Vec<(u32, u64, u64)> = Vec::new();
    let mut held_most = 0u64;
    let breach_kinds = ws.alert_settings().kinds.clone();
    let (check_frt, check_res) =
        (breach_kinds.contains(&AlertKind::SlaFirstResponseBreached), breach_kinds.contains(&AlertKind::SlaResolutionBreached));
    let mut at_risk_high = false;

    let mut now = start;
    let mut pass = 0i64;
    while now < end {
        clock.set(now);
        let mut changed = false;

        // Settings as an office changes them: Monday 09:00 the SLA, Wednesday 09:00 alerts.
        if now.hour() == 9 && now.minute() == 0 && now.second() < opts.pass_seconds as u32 {
            ws.act_as(&admin)?;
            if now.weekday() == Weekday::Mon {
                let mut sla = ws.sla_settings().clone();
                at_risk_high = !at_risk_high;
                sla.at_risk_share = if at_risk_high { 0.8 } else { 0.75 };
                ws.set_sla_settings(sla)?;
                counts.settings_changes += 1;
            } else if now.weekday() == Weekday::Wed {
                let mut alerts = ws.alert_settings().clone();
                alerts.quiet_hours = match alerts.quiet_hours {
                    None => Some(crate::alerts::QuietHours { from: "19:00".into(), to: "07:00".into(), timezone: "Europe/Warsaw".into() }),
                    Some(_) => None,
                };
                ws.set_alert_settings(alerts)?;
                counts.settings_changes += 1;
            }
        }

        // New tickets.
        owed += per_weight * weight_of(now);
        while owed >= 1.0 || (owed > 0.0 && rng.random_bool(owed.min(1.0))) {
            owed -= 1.0;
            // Now and then a customer sends the same request again: it gets merged.
            let again = active
                .iter()
                .rev()
                .take(20)
                .find(|a| a.stage == Stage::New && a.duplicate_of.is_none())
                .map(|a| (a.number, a.family))
                .filter(|_| rng.random_bool(0.03));
            let family_index = again.map(|(_, f)| f).unwrap_or_else(|| rng.random_range(0..families.len()));
            let again = again.map(|(n, _)| n);
            let family = &families[family_index];
            let (subject, body, fix) = family.sample(rng.random_range(0..300));
            let weights = family.priority;
            let roll = rng.random_range(0..weights.iter().sum::<u32>().max(1));
            let priority = [Priority::Urgent, Priority::High, Priority::Medium, Priority::Low][weights
                .iter()
                .scan(0, |acc, w| {
                    *acc += w;
                    Some(*acc)
                })
                .position(|acc| roll < acc)
                .unwrap_or(2)];
            let (subject, body, requester) = match again {
                Some(n) => {
                    ws.act_as(&admin)?;
                    let t = ws.ticket(n)?;
                    (t.subject.clone(), format!("{body}\n\n(sent again)"), t.requester.email.clone())
                }
                None => (subject, body, format!("customer{}@client{}.example", rng.random_range(0..400), rng.random_range(0..40))),
            };
            let team = team_agents(&family.team);
            let agent = team[rng.random_range(0..team.len())].clone();
            ws.act_as(&agent)?;
            let t = ws.create_ticket(&NewTicket {
                subject,
                description: body,
                requester_email: requester,
                priority: Some(priority),
                ticket_type: Some(family.ticket_type.clone()),
                team: Some(family.team.clone()),
                tags: family.tags.clone(),
                ..Default::default()
            })?;
            counts.tickets += 1;
            counts.sent_twice += again.is_some() as usize;
            changed = true;
            let first_answer = if rng.random_bool(0.15) { minutes(&mut rng, 120, 600) } else { minutes(&mut rng, 3, 90) };
            active.push(Active {
                number: t.number,
                stage: Stage::New,
                next_at: now + first_answer,
                agent,
                exchanges: 0,
                fix,
                family: family_index,
                duplicate_of: again,
            });
        }

        // The steps that are due.
        let mut i = 0;
        while i < active.len() {
            if active[i].next_at > now {
                i += 1;
                continue;
            }
            let a = &mut active[i];
            ws.act_as(&a.agent)?;
            let ticket = ws.ticket(a.number)?;
            if ticket.status == Status::Closed {
                active.swap_remove(i);
                continue;
            }
            changed = true;
            ws.act_as(&a.agent)?;
            let n = a.number;
            match a.stage {
                Stage::New if a.duplicate_of.is_some() => {
                    let original = a.duplicate_of.unwrap();
                    let r = ws.merge(n, original).map(|_| ());
                    tolerate(&mut counts, "merge", r)?;
                    active.swap_remove(i);
                    continue;
                }
                Stage::New | Stage::CustomerWrote => {
                    let _ = ws.claim(n);
                    if rng.random_bool(0.2) {
                        tolerate(
                            &mut counts,
                            "note",
                            ws.add_message(n, &NewMessage::new(MessageKind::Internal, "Checked the logs; see above.")).map(|_| ()),
                        )?;
                        counts.notes += 1;
                    }
                    a.exchanges += 1;
                    if a.exchanges >= 2 + (n % 3) as u32 || rng.random_bool(0.25) {
                        let m = ws.add_message(n, &NewMessage::new(MessageKind::Public, a.fix.clone()));
                        if let Ok(m) = &m {
                            tolerate(&mut counts, "fix", ws.mark_solution(n, m.id))?;
                            tolerate(&mut counts, "resolve", ws.set_status(n, Status::Resolved, Some(Resolution::Solved)).map(|_| ()))?;
                            counts.resolved += 1;
                            counts.replies += 1;
                        }
                        tolerate(&mut counts, "reply", m.map(|_| ()))?;
                        a.stage = Stage::Resolved;
                        a.next_at = now + minutes(&mut rng, 60, 3 * 24 * 60);
                    } else {
                        let r = ws.add_message(
                            n,
                            &NewMessage::new(MessageKind::Public, "Thanks — could you tell us which version you run and since when?"),
                        );
                        if r.is_ok() {
                            counts.replies += 1;
                        }
                        tolerate(&mut counts, "reply", r.map(|_| ()))?;
                        if rng.random_bool(0.3) {
                            tolerate(&mut counts, "pending", ws.set_status(n, Status::Pending, None).map(|_| ()))?;
                            counts.pending += 1;
                        }
                        a.stage = Stage::Answered;
                        a.next_at = now + minutes(&mut rng, 10, 24 * 60);
                    }
                }
                Stage::Answered => {
                    let urgent = if rng.random_bool(0.05) { " Please, this is urgent — ASAP!" } else { "" };
                    let r = ws.add_message(n, &NewMessage::new(MessageKind::Customer, format!("It still happens this morning.{urgent}")));
                    if r.is_ok() {
                        counts.customer_messages += 1;
                    }
                    tolerate(&mut counts, "customer", r.map(|_| ()))?;
                    a.stage = Stage::CustomerWrote;
                    a.next_at = now + if rng.random_bool(0.1) { minutes(&mut rng, 240, 900) } else { minutes(&mut rng, 15, 180) };
                }
                Stage::Resolved => {
                    if rng.random_bool(0.1) {
                        let r = ws.add_message(n, &NewMessage::new(MessageKind::Customer, "Sorry, it is back again since yesterday."));
                        if r.is_ok() {
                            counts.customer_messages += 1;
                            counts.reopened += 1;
                        }
                        tolerate(&mut counts, "comeback", r.map(|_| ()))?;
                        a.stage = Stage::CustomerWrote;
                        a.next_at = now + minutes(&mut rng, 15, 240);
                    } else {
                        // Done: the time rules close it after its days.
                        active.swap_remove(i);
                        continue;
                    }
                }
            }
            i += 1;
        }
        if changed {
            indexer.notify();
        }

        // The scheduler's pass, as `services/scheduler.rs` makes it.
        if schedule.take_rule_pass(now) {
            let r = ws.run_time_rules()?;
            crate::memory::release_free_memory();
            rule_passes += 1;
            rule_changes += r.changes.len();
            if !r.changes.is_empty() {
                indexer.notify();
            }
        }
        ws.scan_alerts()?;
        let plan = ws.plan_delivery()?;
        let mut shown = vec![];
        for notice in &plan.notices {
            notices += 1;
            for id in &notice.alert_ids {
                *delivered.entry(*id).or_default() += 1;
            }
            shown.extend(&notice.alert_ids);
        }
        for id in &plan.silent {
            *delivered.entry(*id).or_default() += 1;
        }
        ws.mark_delivered(&plan.silent, true)?;
        ws.mark_delivered(&shown, false)?;
        // Every breach of an open ticket has its alert once the scan has passed it.
        let now_ms = to_ms(now);
        let missing: i64 = ws.connection().query_row(
            "SELECT count(*) FROM tickets t WHERE t.status NOT IN ('resolved', 'closed') AND (
                (?2 AND t.frt_due_at <= ?1 AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.ticket_id = t.id AND a.kind = 'sla_first_response_breached'))
             OR (?3 AND t.res_due_at <= ?1 AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.ticket_id = t.id AND a.kind = 'sla_resolution_breached' AND a.cycle = t.sla_cycle)))",
            rusqlite::params![now_ms, check_frt, check_res],
            |r| r.get(0),
        )?;
        unraised_breaches += missing as usize;
        if schedule.backup_due(now) {
            ws.backup(&backups.join(backup::default_name(now)))?;
            backup::prune(&backups, BACKUPS_KEPT)?;
            schedule.backup_made(now);
            crate::memory::release_free_memory();
            backups_made += 1;
        }
        ws.prepare_stats()?;

        if (now - start).num_seconds() % 86_400 < opts.pass_seconds {
            let day = (now - start).num_days() as u32;
            // Measured at a quiet moment: the index writer has applied everything (a batch in
            // flight holds its buffers) and the allocator has returned what is free.
            indexer.notify();
            let caught_up = Instant::now();
            while index.status(ws.connection())?.applied_seq < crate::events::last_seq(ws.connection())? && caught_up.elapsed().as_secs() < 10 {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            let held = rss_anon_kib();
            // The floor of a few samples a moment apart: a merge of index segments runs on
            // tantivy's own threads and holds its buffers for a while; a leak raises the
            // floor, work in flight does not.
            let (mut rss, mut sqlite) = (u64::MAX, 0);
            for _ in 0..5 {
                crate::memory::release_free_memory();
                let (r, s) = (rss_anon_kib(), sqlite_heap_kib());
                if r.saturating_sub(s) < rss.saturating_sub(sqlite) {
                    (rss, sqlite) = (r, s);
                }
                std::thread::sleep(std::time::Duration::from_millis(40));
            }
            memory.push((day, rss, sqlite));
            held_most = held_most.max(held);
            progress(&format!(
                "day {day}: {} tickets, {} open, memory {} MiB in use ({} MiB of it SQLite's, {} MiB allocated), {} MiB before the allocator gave back what was free",
                counts.tickets,
                active.len(),
                rss / 1024,
                sqlite / 1024,
                heap_in_use_kib() / 1024,
                held / 1024
            ));
        }
        pass += 1;
        now = start + Duration::seconds(pass * opts.pass_seconds);
    }
    let simulated = wall.elapsed().as_secs_f64();
    indexer.stop();
    crate::memory::release_free_memory();
    memory.push((opts.days, rss_anon_kib(), sqlite_heap_kib()));

    // The checks.
    let mut checks = Vec::new();
    let mut check = |name: &str, ok: bool, found: String| checks.push(SoakCheck { check: name.into(), ok, found });
    // Memory is measured without SQLite's page cache, which grows with the database up to
    // its cap (64 MiB a connection) by design. Over the month it grows with the data too (the
    // index's readers, the dashboard's rows): that is a figure. The check is what a leak would
    // show: growth while the passes run on with hardly any new work, over each weekend after
    // the warm-up (Saturday 00:00 to Monday 00:00, some 5,760 passes at 30 s).
    let warm_day = (opts.days / 10).max(1);
    let rest = |m: &(u32, u64, u64)| m.1.saturating_sub(m.2);
    let mib = |k: u64| k as f64 / 1024.0;
    let at_day = |d: u32| memory.iter().find(|m| m.0 == d).map(rest);
    let weekends: Vec<(u32, u64, u64)> = (warm_day..opts.days)
        .filter(|d| (start + Duration::days(*d as i64)).weekday() == Weekday::Sat)
        .filter_map(|d| Some((d, at_day(d)?, at_day(d + 2)?)))
        .collect();
    let worst = weekends.iter().map(|(_, a, b)| (*b as f64 / (*a).max(1) as f64 - 1.0) * 100.0).fold(f64::NEG_INFINITY, f64::max);
    check(
        "memory flat while the passes run on without new work (each weekend after warm-up, ≤ 10 %)",
        !opts.measure_memory || (!weekends.is_empty() && worst <= 10.0),
        if weekends.is_empty() {
            "no weekend after the warm-up in this run".into()
        } else {
            weekends.iter().map(|(d, a, b)| format!("days {d}–{}: {:.1} → {:.1} MiB", d + 2, mib(*a), mib(*b))).collect::<Vec<_>>().join(", ")
        },
    );
    let warm = memory.iter().find(|m| m.0 >= warm_day).copied().unwrap_or_default();
    let last = memory.last().copied().unwrap_or_default();
    let tickets_at_warm = (opts.tickets as f64 * warm_day as f64 / opts.days as f64).max(1.0);
    let memory_row = format!(
        "besides SQLite's cache {:.1} MiB at day {warm_day} → {:.1} MiB at the end ({:+.0} %, about {:.1} KiB a ticket added); SQLite's cache {:.1} → {:.1} MiB; at most {:.1} MiB before the allocator returned free memory",
        mib(rest(&warm)),
        mib(rest(&last)),
        (rest(&last) as f64 / rest(&warm).max(1) as f64 - 1.0) * 100.0,
        (rest(&last) as f64 - rest(&warm) as f64) / (counts.tickets as f64 - tickets_at_warm).max(1.0),
        mib(warm.2),
        mib(last.2),
        mib(held_most)
    );
    check("every SLA breach raised by the next scan", unraised_breaches == 0, format!("{unraised_breaches} breaches found unraised after a scan"));
    let (alerts_total, undelivered): (i64, i64) =
        ws.connection().query_row("SELECT count(*), count(*) FILTER (WHERE delivered_at IS NULL) FROM alerts", [], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let twice = delivered.values().filter(|n| **n > 1).count();
    check(
        "every alert delivered exactly once",
        twice == 0 && undelivered == 0 && delivered.len() as i64 == alerts_total,
        format!("{alerts_total} alerts, {} delivered ({twice} more than once), {undelivered} not delivered", delivered.len()),
    );
    let (firings, twice_in_window): (i64, i64) = ws.connection().query_row(
        "SELECT coalesce(sum(n), 0), count(*) FILTER (WHERE n > 1) FROM (
             SELECT count(*) AS n FROM events WHERE kind = 'rule.fired'
             GROUP BY ticket_id, json_extract(payload, '$.rule_id'), json_extract(payload, '$.window'))",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    check(
        "no rule acts twice on a ticket in one window",
        twice_in_window == 0 && firings > 0,
        format!("{firings} firings, {twice_in_window} repeated in a window"),
    );
    let kept = backup::list(&backups);
    let mut verified = 0;
    let mut bad = vec![];
    for b in &kept {
        match backup::verify(&b.path) {
            Ok(_) => verified += 1,
            Err(e) => bad.push(e.to_string()),
        }
    }
    check(
        "every backup verified",
        bad.is_empty() && backups_made >= opts.days as usize - 1 && kept.len() == BACKUPS_KEPT.min(backups_made),
        format!(
            "{backups_made} made and verified as they were made; the {} kept verified again: {verified} ✓{}",
            kept.len(),
            bad.first().map(|e| format!(", {e}")).unwrap_or_default()
        ),
    );
    index.catch_up(ws.connection())?;
    let health = ws.check_health(Some(&index))?;
    let index_errors = index_errors.lock().unwrap().clone();
    check(
        "check clean at the end",
        health.ok && index_errors.is_empty(),
        if health.ok && index_errors.is_empty() {
            format!("✓ {}", health.checked.join(", "))
        } else {
            health.findings.iter().map(|f| format!("{}: {}", f.area, f.problem)).chain(index_errors).collect::<Vec<_>>().join("; ")
        },
    );
    let replay = crate::events::replay::check(&db)?;
    check(
        "replay --check clean at the end",
        replay.rows_differing == 0,
        format!("{} tables, {} rows, {} differing", replay.tables, replay.rows, replay.rows_differing),
    );

    // Merges by agents and by the built-in duplicates rule alike.
    let (messages, events, merged): (i64, i64, i64) = ws.connection().query_row(
        "SELECT (SELECT count(*) FROM messages), (SELECT count(*) FROM events), (SELECT count(*) FROM events WHERE kind = 'ticket.merged')",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let refused: Vec<String> = counts.refused.iter().map(|(k, v)| format!("{k} ×{v}")).collect();
    let figures = vec![
        row("simulated", format!("{} days, a pass every {} s ({passes} passes)", opts.days, opts.pass_seconds), "", "a month"),
        row("wall time", format!("{simulated:.0} s"), "", "≤ 600 s"),
        row(
            "traffic",
            format!(
                "{} tickets, {messages} messages ({} from customers, {} replies, {} notes), {events} events",
                counts.tickets, counts.customer_messages, counts.replies, counts.notes
            ),
            "",
            "~3,000 tickets, ~15,000 messages",
        ),
        row(
            "life",
            format!(
                "{} set Pending, {} resolved, {} reopened, {merged} merged ({} sent twice), {} settings changes",
                counts.pending, counts.resolved, counts.reopened, counts.sent_twice, counts.settings_changes
            ),
            "",
            "",
        ),
        row("time rules", format!("{rule_passes} passes, {rule_changes} tickets changed"), "", ""),
        row("alerts", format!("{alerts_total} raised, {notices} notifications"), "", ""),
        row("index writer", format!("{} batches applied", batches.load(std::sync::atomic::Ordering::Relaxed)), "", ""),
        row("memory with the data (anonymous, in use)", memory_row, "", "flat after warm-up (≤ 10 %)"),
        row("refused as the ticket had moved on", if refused.is_empty() { "none".into() } else { refused.join(", ") }, "", ""),
    ];
    Ok(SoakReport { figures, checks })
}
