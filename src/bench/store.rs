//! `casebook bench store`: creation, views, the SLA scan and the ticket page.

use crate::clock::{Clock, FixedClock};
use crate::demo::{self, DemoOptions};
use crate::model::{NewTicket, Priority, Status};
use crate::sla::{self, Pause, SlaFacts};
use crate::views::{BuiltinView, Filters, Sort, SortKey, ViewQuery};
use crate::workspace::{Workspace, WorkspaceInit};
use crate::Result;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use super::{ms, percentiles, row, timed_percentiles, BenchRow};

/// Runs the store benchmark over `tickets` generated tickets in a temporary folder.
pub fn store(tickets: usize, progress: &mut dyn FnMut(&str)) -> Result<Vec<BenchRow>> {
    let dir = tempfile::tempdir()?;
    let clock = Arc::new(FixedClock::new(chrono::Utc::now()));
    let mut rows = Vec::new();

    progress(&format!("generating {tickets} tickets…"));
    let mut ws = Workspace::create(&dir.path().join("bench.db"), clock.clone(), &WorkspaceInit::default())?;
    let report = demo::generate(&mut ws, DemoOptions::new(tickets, 7))?;
    let rate = tickets as f64 / report.seconds;

    // The alternative: the one-by-one API (one transaction and fsync per ticket).
    let one_by_one = 300.min(tickets);
    let t = Instant::now();
    for i in 0..one_by_one {
        ws.create_ticket(&NewTicket {
            subject: format!("Bench ticket {i}"),
            description: "Printer on the third floor shows offline.".into(),
            requester_email: format!("bench{i}@example.com"),
            ..Default::default()
        })?;
    }
    let single_rate = one_by_one as f64 / t.elapsed().as_secs_f64();
    rows.push(row(
        format!("bulk creation ({} messages, {} events)", report.messages, report.events),
        format!("{rate:.0} tickets/s"),
        format!("{single_rate:.0} tickets/s one transaction each"),
        "≥ 20,000 tickets/s",
    ));

    // The log alone rebuilds the workspace; the obvious other way to get a second copy is to
    // copy the file as it is.
    progress("replay…");
    let replayed = dir.path().join("replayed.db");
    let r = crate::events::replay::replay_into(ws.connection(), &replayed)?;
    let copy = dir.path().join("copied.db");
    let t = Instant::now();
    ws.connection().execute("VACUUM INTO ?1", [copy.to_string_lossy()])?;
    let copy_s = t.elapsed().as_secs_f64();
    rows.push(row(
        format!("replay of the whole log ({} events) into a new file", r.applied),
        format!("{:.0} events/s · {:.1} s", r.applied as f64 / r.seconds, r.seconds),
        format!("VACUUM INTO (the file copied as it is) {copy_s:.1} s"),
        "≥ 50,000 events/s",
    ));
    let t = Instant::now();
    let check = crate::events::replay::check(ws.db_path())?;
    rows.push(row(
        format!("replay --check ({} rows compared{})", check.rows, if check.ok() { "" } else { ", DIFFERENCES" }),
        format!("{:.1} s", t.elapsed().as_secs_f64()),
        "",
        "",
    ));
    std::fs::remove_file(&replayed)?;
    std::fs::remove_file(&copy)?;

    progress("views…");
    ws.act_as("mina.park@casebook-demo.com")?;
    let mut views: Vec<(String, ViewQuery)> = BuiltinView::ALL.iter().map(|v| (format!("view {}", v.name()), v.query())).collect();
    views.push((
        "view tag:vpn + open, by priority".into(),
        ViewQuery {
            filters: Filters { statuses: vec![Status::Open, Status::New], tags: vec!["vpn".into()], ..Default::default() },
            sort: Sort { key: SortKey::Priority, descending: false },
        },
    ));
    views.push((
        "view high/urgent created last 30 days".into(),
        ViewQuery {
            filters: Filters {
                priorities: vec![Priority::Urgent, Priority::High],
                created_after: Some(clock.now() - chrono::Duration::days(30)),
                ..Default::default()
            },
            sort: Sort::default(),
        },
    ));
    for (name, q) in &views {
        let p = percentiles(200, |_| ws.list(q, None, 50).map(|_| ()))?;
        let count = ws.count(&q.filters)?;
        let c = percentiles(20, |_| ws.count(&q.filters).map(|_| ()))?;
        rows.push(row(format!("{name}: first page of 50 ({count} match)"), ms(p), format!("count {}", ms(c)), "p95 ≤ 5 ms"));
    }

    progress("ticket page…");
    let max: i64 = ws.connection().query_row("SELECT max(number) FROM tickets", [], |r| r.get(0))?;
    let p = percentiles(300, |i| {
        let n = 1 + (i as i64 * 7919) % max;
        ws.ticket_detail(n)?;
        ws.history(n).map(|_| ())
    })?;
    rows.push(row("one ticket with thread, SLA and history", ms(p), "", "≤ 2 ms"));

    // The dashboard keeps the tickets it read in memory and follows the event log (see
    // `stats::snapshot`): the first call reads every ticket, later ones only what changed.
    progress("dashboard…");
    let year = crate::stats::StatsQuery { from: Some(ws.now() - chrono::Duration::days(365)), ..Default::default() };
    let db = dir.path().join("bench.db");
    let mut created = 0;
    let first = timed_percentiles(3, |_| {
        let fresh = Workspace::open(&db, clock.clone())?;
        let t = Instant::now();
        created = fresh.stats(&year)?.headline.created;
        Ok(t.elapsed())
    })?;
    // Between two calls, 20 tickets change (a reply each), as in a working team's minute.
    ws.stats(&year)?;
    let open_numbers: Vec<i64> = ws
        .connection()
        .prepare("SELECT number FROM tickets WHERE status <> 'closed' ORDER BY number")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut touched = 0;
    let mut between_changes = |ws: &mut Workspace, q: &crate::stats::StatsQuery| -> Result<std::time::Duration> {
        for _ in 0..20 {
            touched += 1;
            let n = open_numbers[(touched * 7919) % open_numbers.len()];
            ws.add_message(n, &crate::model::NewMessage::new(crate::model::MessageKind::Internal, "Bench note"))?;
        }
        let t = Instant::now();
        ws.stats(q)?;
        Ok(t.elapsed())
    };
    let later = timed_percentiles(10, |_| between_changes(&mut ws, &year))?;
    let month = timed_percentiles(10, |_| between_changes(&mut ws, &crate::stats::StatsQuery::default()))?;
    let alt = percentiles(5, |_| sql_daily_counts(&ws).map(|_| ()))?;
    rows.push(row(
        format!("whole dashboard, 12 months ({created} tickets created in them), 20 tickets changed since the last call"),
        ms(later),
        format!("{} SQL GROUP BY of created and solved per day alone", ms(alt)),
        "≤ 300 ms",
    ));
    rows.push(row("the same, first call (reads every ticket)", ms(first), "", ""));
    rows.push(row("whole dashboard, last 30 days, 20 tickets changed since the last call", ms(month), "", ""));
    drop(ws);

    progress(&format!("generating {tickets} unsolved tickets for the SLA scan…"));
    let mut open = Workspace::create(&dir.path().join("open.db"), clock.clone(), &WorkspaceInit::default())?;
    demo::generate(&mut open, DemoOptions { tickets, seed: 11, all_unsolved: true, run_rules: false })?;
    let mut found = 0;
    let p = percentiles(20, |_| {
        found = open.needs_attention()?.len();
        Ok(())
    })?;
    let mut scanned = 0;
    let alt = percentiles(5, |_| {
        scanned = plain_sla_scan(&open)?;
        Ok(())
    })?;
    rows.push(row(
        format!("every at-risk or breached ticket among {tickets} unsolved ({found} found)"),
        ms(p),
        format!("{} computing each ticket's clock ({scanned} found)", ms(alt)),
        "≤ 50 ms",
    ));

    // Alerts: an hour passes, the first scan raises what crossed a threshold; then the
    // scans every 30 s that find nothing new (the steady state of a running app).
    progress("alert scans…");
    clock.advance(chrono::Duration::hours(1));
    let t = Instant::now();
    let first = open.scan_alerts()?;
    let first_ms = t.elapsed().as_secs_f64() * 1000.0;
    let mut examined = 0;
    let steady = percentiles(20, |_| {
        examined = open.scan_alerts()?.tickets_examined;
        Ok(())
    })?;
    rows.push(row(
        format!("alert scan of {tickets} unsolved, nothing new ({examined} tickets read)"),
        ms(steady),
        format!("{} computing each ticket's clock", ms(alt)),
        "≤ 50 ms",
    ));
    rows.push(row(
        format!("alert scan an hour later: {} raised from {} tickets", first.raised.len(), first.tickets_examined),
        format!("{first_ms:.1} ms"),
        "",
        "≤ 50 ms",
    ));
    // The worst case: every unsolved ticket has something to say (as after an SLA policy
    // change), and the scan raises an alert for most of them in one transaction.
    open.connection().execute("UPDATE tickets SET sla_alert_at = sla_attention_at WHERE sla_attention_at IS NOT NULL", [])?;
    let t = Instant::now();
    let all = open.scan_alerts()?;
    rows.push(row(
        format!("alert scan, worst case: {} raised from {} tickets", all.raised.len(), all.tickets_examined),
        format!("{:.0} ms", t.elapsed().as_secs_f64() * 1000.0),
        "",
        "",
    ));

    // Time rules with every built-in on: the first pass acts on the backlog (escalations,
    // reminders) and writes it; later passes find that done and write nothing.
    progress("time rules…");
    let t = Instant::now();
    let first = open.run_time_rules()?;
    let first_ms = t.elapsed().as_secs_f64() * 1000.0;
    let acted: std::collections::HashSet<i64> = first.changes.iter().map(|c| c.ticket_number).collect();
    let steady = percentiles(5, |_| open.run_time_rules().map(|_| ()))?;
    let dry = percentiles(3, |_| open.try_rules(&crate::rules::TryTarget::AllEnabled).map(|_| ()))?;
    let alt = percentiles(3, |_| plain_thread_scan(&open).map(|_| ()))?;
    rows.push(row(
        format!("time-rule pass over {tickets} unsolved, all built-ins, nothing new"),
        ms(steady),
        format!("{} reading each ticket's thread to see who spoke last", ms(alt)),
        "≤ 1 s",
    ));
    rows.push(row(format!("dry run of every enabled rule over {tickets} unsolved"), ms(dry), "", ""));

    // Bulk (issue 17): 1,000 tickets of the list set to one priority, then undone, each with
    // the triggers run on it; the alternative is the same change ticket by ticket.
    progress("bulk change…");
    let numbers: Vec<i64> = open
        .connection()
        .prepare("SELECT number FROM tickets WHERE status <> 'closed' ORDER BY number LIMIT 1000")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let t = Instant::now();
    let changed = open.bulk_change(&numbers, &crate::bulk::BulkChange::Priority { to: Priority::Urgent })?;
    let bulk_ms = t.elapsed().as_secs_f64() * 1000.0;
    let t = Instant::now();
    let undone = open.bulk_undo(&changed.undo)?;
    let undo_ms = t.elapsed().as_secs_f64() * 1000.0;
    let t = Instant::now();
    for n in &numbers {
        open.set_priority(*n, Priority::Low)?;
    }
    let single_ms = t.elapsed().as_secs_f64() * 1000.0;
    rows.push(row(
        format!("bulk priority on {} tickets ({} changed, rules run on each)", numbers.len(), changed.changed.len()),
        format!("{bulk_ms:.0} ms"),
        format!("{single_ms:.0} ms one change (and transaction) each"),
        "≤ 1 s",
    ));
    rows.push(row(format!("its undo ({} put back)", undone.changed.len()), format!("{undo_ms:.0} ms"), "", "≤ 1 s"));
    rows.push(row(
        format!("time-rule pass, first: {} rule actions on {} tickets, written", first.changes.len(), acted.len()),
        format!("{first_ms:.0} ms"),
        "",
        "",
    ));
    Ok(rows)
}

/// The obvious way to chart a trend: let SQL count tickets per day (one figure of the many).
fn sql_daily_counts(ws: &Workspace) -> Result<usize> {
    let conn = ws.connection();
    let mut n = 0;
    for sql in [
        "SELECT created_at / 86400000, count(*) FROM tickets GROUP BY 1",
        "SELECT resolved_at / 86400000, count(*) FROM tickets WHERE resolved_at IS NOT NULL GROUP BY 1",
    ] {
        let mut stmt = conn.prepare(sql)?;
        let mut rows = stmt.query([])?;
        while rows.next()?.is_some() {
            n += 1;
        }
    }
    Ok(n)
}

/// The obvious way for a rule pass to know how long each customer has waited: read each
/// open ticket's thread (what the stored reply instants save the pass from doing).
fn plain_thread_scan(ws: &Workspace) -> Result<usize> {
    let conn = ws.connection();
    let ids: Vec<String> =
        conn.prepare("SELECT id FROM tickets WHERE status <> 'closed'")?.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    let mut thread = conn.prepare("SELECT kind, created_at FROM messages WHERE ticket_id = ?1 ORDER BY created_at")?;
    let mut waiting = 0;
    for id in ids {
        let mut last_customer = None;
        let mut last_reply = None;
        let mut rows = thread.query([&id])?;
        while let Some(r) = rows.next()? {
            match r.get::<_, String>(0)?.as_str() {
                "customer" => last_customer = Some(r.get::<_, i64>(1)?),
                "public" => last_reply = Some(r.get::<_, i64>(1)?),
                _ => {}
            }
        }
        if last_customer > last_reply {
            waiting += 1;
        }
    }
    Ok(waiting)
}

/// The obvious way: load every unsolved ticket's facts and compute its SLA state.
fn plain_sla_scan(ws: &Workspace) -> Result<usize> {
    let conn = ws.connection();
    let mut pauses: HashMap<String, Vec<Pause>> = HashMap::new();
    let mut stmt = conn.prepare("SELECT ticket_id, started_at, ended_at FROM sla_pauses")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        pauses
            .entry(r.get(0)?)
            .or_default()
            .push(Pause { start: crate::clock::from_ms(r.get(1)?), end: r.get::<_, Option<i64>>(2)?.map(crate::clock::from_ms) });
    }
    let now = ws.now();
    let settings = ws.sla_settings();
    let mut stmt = conn.prepare(
        "SELECT id, priority, status, created_at, sla_cycle_start, first_response_at, resolved_at FROM tickets WHERE status NOT IN ('resolved','closed')",
    )?;
    let mut rows = stmt.query([])?;
    let mut found = 0;
    while let Some(r) = rows.next()? {
        let id: String = r.get(0)?;
        let facts = SlaFacts {
            priority: Priority::from_rank(r.get(1)?),
            status: Status::parse(&r.get::<_, String>(2)?).unwrap_or(Status::Open),
            created_at: crate::clock::from_ms(r.get(3)?),
            cycle_start: crate::clock::from_ms(r.get(4)?),
            first_response_at: r.get::<_, Option<i64>>(5)?.map(crate::clock::from_ms),
            resolved_at: r.get::<_, Option<i64>>(6)?.map(crate::clock::from_ms),
            pauses: pauses.remove(&id).unwrap_or_default(),
        };
        let s = sla::status_at(settings, &facts, now);
        if matches!(s.headline().state, sla::SlaState::AtRisk | sla::SlaState::Breached) {
            found += 1;
        }
    }
    Ok(found)
}
