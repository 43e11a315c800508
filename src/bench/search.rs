//! `casebook bench search`: the tantivy index against SQLite FTS5 over the same tickets in
//! the same run (external-content table, bm25 ranking, porter unicode61, FTS-first join),
//! and the precision of "similar solved tickets" against the demo's problem families.

use super::{ms, percentiles, row, BenchRow};
use crate::clock::{to_ms, Clock, FixedClock};
use crate::demo::{self, DemoOptions};
use crate::model::NewTicket;
use crate::search::{SearchFilters, SearchIndex};
use crate::workspace::{Workspace, WorkspaceInit};
use crate::Result;
use rusqlite::{params, Connection};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

const ITERATIONS: usize = 200;

fn dir_size(path: &Path) -> u64 {
    std::fs::read_dir(path)
        .map(|d| d.flatten().map(|e| if e.path().is_dir() { dir_size(&e.path()) } else { e.metadata().map(|m| m.len()).unwrap_or(0) }).sum())
        .unwrap_or(0)
}

fn mib(bytes: u64) -> String {
    format!("{:.0} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// Our query and the same question in FTS5's syntax.
struct Case {
    name: &'static str,
    queries: Vec<(String, String)>,
    goal: &'static str,
}

fn pairs(list: &[&str]) -> Vec<(String, String)> {
    list.iter().map(|q| (q.to_string(), q.to_string())).collect()
}

fn fts_top10(conn: &Connection, q: &str) -> Result<usize> {
    let mut stmt = conn.prepare_cached("SELECT rowid FROM bench_fts WHERE bench_fts MATCH ?1 ORDER BY bm25(bench_fts) LIMIT 10")?;
    let n = stmt.query_map([q], |r| r.get::<_, i64>(0))?.count();
    Ok(n)
}

fn ratio(ours: (f64, f64), theirs: (f64, f64)) -> String {
    format!("{} (FTS5 median ÷ our p95 = {:.1}×)", ms(theirs), theirs.0 / ours.1.max(0.001))
}

pub fn search(tickets: usize, progress: &mut dyn FnMut(&str)) -> Result<Vec<BenchRow>> {
    let dir = tempfile::tempdir()?;
    let clock = Arc::new(FixedClock::new(chrono::Utc::now()));
    let mut rows = Vec::new();
    progress(&format!("generating {tickets} tickets…"));
    let mut ws = Workspace::create(&dir.path().join("bench.db"), clock.clone(), &WorkspaceInit::default())?;
    demo::generate(&mut ws, DemoOptions::new(tickets, 7))?;

    progress("building the tantivy index…");
    let index = SearchIndex::open(&ws.data_dir())?;
    let t = Instant::now();
    index.rebuild(ws.connection())?;
    let build = t.elapsed().as_secs_f64();
    let index_size = dir_size(&ws.data_dir().join("index"));

    progress("building the FTS5 index…");
    let conn = ws.connection();
    let t = Instant::now();
    conn.execute_batch(
        "CREATE TABLE bench_text(id INTEGER PRIMARY KEY, subject TEXT, body TEXT, status TEXT, created_at INTEGER);
         INSERT INTO bench_text SELECT t.number, t.subject,
             (SELECT group_concat(body, char(10)) FROM messages m WHERE m.ticket_id = t.id), t.status, t.created_at FROM tickets t;
         CREATE VIRTUAL TABLE bench_fts USING fts5(subject, body, content='bench_text', content_rowid='id', tokenize='porter unicode61');
         INSERT INTO bench_fts(bench_fts) VALUES('rebuild');",
    )?;
    let fts_build = t.elapsed().as_secs_f64();
    let fts_size: i64 = conn.query_row("SELECT sum(length(block)) FROM bench_fts_data", [], |r| r.get(0))?;
    rows.push(row(
        format!("index build ({tickets} tickets)"),
        format!("{:.1} s · {:.0} tickets/s · {}", build, tickets as f64 / build, mib(index_size)),
        format!("FTS5 {:.1} s · {}", fts_build, mib(fts_size as u64)),
        "rebuild ≤ 10 s",
    ));

    let since = clock.now() - chrono::Duration::days(120);
    let cases = vec![
        Case { name: "1 term", queries: pairs(&["vpn", "printer", "refund", "outlook", "license"]), goal: "p95 ≤ 3 ms" },
        Case {
            name: "2 terms, AND",
            queries: pairs(&["vpn drops", "password reset", "printer offline", "payment declined", "license key"]),
            goal: "p95 ≤ 3 ms",
        },
        Case {
            name: "3 terms, AND",
            queries: pairs(&["password reset email", "vpn connection drops", "printer print queue", "invoice vat company", "api rate limit"]),
            goal: "p95 ≤ 3 ms",
        },
        Case {
            name: "2 terms, OR",
            queries: pairs(&["vpn OR printer", "refund OR invoice", "crash OR freeze", "outlook OR email", "sso OR saml"]),
            goal: "p95 ≤ 3 ms",
        },
        Case {
            name: "phrase",
            queries: pairs(&["\"print queue\"", "\"password reset\"", "\"peer not responding\"", "\"rate limit\"", "\"disk space\""]),
            goal: "p95 ≤ 8 ms",
        },
    ];
    for case in &cases {
        progress(case.name);
        let ours = percentiles(ITERATIONS, |i| {
            let (q, _) = &case.queries[i % case.queries.len()];
            index.search_numbers(q, &SearchFilters::default(), 10).map(|_| ())
        })?;
        let theirs = percentiles(ITERATIONS, |i| {
            let (_, q) = &case.queries[i % case.queries.len()];
            fts_top10(conn, q).map(|_| ())
        })?;
        rows.push(row(format!("query: {}, top 10", case.name), ms(ours), ratio(ours, theirs), case.goal));
    }

    progress("filtered query…");
    let words = ["vpn", "printer", "refund", "outlook", "license"];
    let filters = SearchFilters { statuses: vec![crate::model::Status::Closed], created_after: Some(since), ..Default::default() };
    let ours = percentiles(ITERATIONS, |i| index.search_numbers(words[i % words.len()], &filters, 10).map(|_| ()))?;
    let theirs = percentiles(ITERATIONS, |i| {
        // FTS first, then the filter on the joined row (else the planner scans the table).
        let mut stmt = conn.prepare_cached(
            "SELECT t.id FROM bench_fts f CROSS JOIN bench_text t ON t.id = f.rowid
             WHERE bench_fts MATCH ?1 AND t.status = 'closed' AND t.created_at >= ?2 ORDER BY bm25(bench_fts) LIMIT 10",
        )?;
        stmt.query_map(params![words[i % words.len()], to_ms(since)], |r| r.get::<_, i64>(0))?.for_each(drop);
        Ok(())
    })?;
    rows.push(row("query: 1 term + status + date range, top 10", ms(ours), ratio(ours, theirs), "p95 ≤ 3 ms"));

    progress("snippets…");
    let two = ["vpn drops", "password reset", "printer offline", "payment declined", "license key"];
    let ours = percentiles(ITERATIONS / 2, |i| index.search(conn, two[i % two.len()], &SearchFilters::default(), 10).map(|_| ()))?;
    let theirs = percentiles(ITERATIONS / 2, |i| {
        let mut stmt = conn.prepare_cached(
            "SELECT rowid, snippet(bench_fts, 1, '[', ']', '…', 24) FROM bench_fts WHERE bench_fts MATCH ?1 ORDER BY bm25(bench_fts) LIMIT 10",
        )?;
        stmt.query_map([two[i % two.len()]], |r| r.get::<_, String>(1))?.for_each(drop);
        Ok(())
    })?;
    rows.push(row("query with 10 highlighted snippets (text from SQLite)", ms(ours), ratio(ours, theirs), "—"));

    progress("similar tickets…");
    let max: i64 = conn.query_row("SELECT max(number) FROM tickets", [], |r| r.get(0))?;
    let sample: Vec<i64> = (0..100).map(|i| 1 + (i * 7919) % max).collect();
    let ours = percentiles(sample.len(), |i| index.similar(conn, sample[i], 5).map(|_| ()))?;
    let theirs = percentiles(sample.len(), |i| fts_similar(conn, sample[i]).map(|_| ()))?;
    rows.push(row("similar solved tickets, top 5 with fixes", ms(ours), ratio(ours, theirs), "p95 ≤ 8 ms"));

    progress("triage and expected time…");
    let neighbours = percentiles(sample.len(), |i| index.neighbours(conn, sample[i], 15).map(|_| ()))?;
    let triage = percentiles(sample.len(), |i| ws.triage(&index, sample[i]).map(|_| ()))?;
    rows.push(row(
        "triage suggestions (15 similar tickets vote)",
        ms(triage),
        format!("{} the 15 similar tickets alone", ms(neighbours)),
        "p95 ≤ 20 ms",
    ));
    let neighbours = percentiles(sample.len(), |i| index.neighbours(conn, sample[i], 60).map(|_| ()))?;
    let eta = percentiles(sample.len(), |i| ws.eta(&index, sample[i]).map(|_| ()))?;
    rows.push(row(
        "expected time to resolve (60 similar tickets)",
        ms(eta),
        format!("{} the 60 similar tickets alone", ms(neighbours)),
        "p95 ≤ 10 ms",
    ));
    let backlog = percentiles(3, |_| ws.backlog_eta(&index, 60).map(|_| ()))?;
    rows.push(row("the open backlog's expected resolution (60 open tickets sampled)", ms(backlog), "—", "—"));

    progress("precision@5…");
    let (precision, judged, theirs) = precision_at_5(&index, conn)?;
    rows.push(row(
        format!("similar: precision@5 against the demo's problem families ({judged} tickets with ≥ 5 solved siblings)"),
        format!("{precision:.3}"),
        format!("{theirs:.3} with FTS5 (OR of the subject's words)"),
        "≥ 0.9",
    ));

    progress("change to searchable…");
    let mut i = 0;
    let ours = percentiles(20, |_| {
        i += 1;
        let word = format!("zebracode{i}");
        ws.create_ticket(&NewTicket {
            subject: format!("Badge reader {word}"),
            description: "The badge reader at the door rejects my card.".into(),
            requester_email: "bench@example.com".into(),
            ..Default::default()
        })?;
        index.catch_up(ws.connection())?;
        let (found, _) = index.search_numbers(&word, &SearchFilters::default(), 1)?;
        if found.len() != 1 {
            return Err(crate::Error::Conflict(format!("{word} was not searchable after catch-up")));
        }
        Ok(())
    })?;
    let conn = ws.connection();
    let mut j = 0;
    let theirs = percentiles(20, |_| {
        j += 1;
        let word = format!("yakcode{j}");
        let id: i64 = conn.query_row("SELECT max(id) + 1 FROM bench_text", [], |r| r.get(0))?;
        conn.execute("INSERT INTO bench_text (id, subject, body, status, created_at) VALUES (?1, ?2, 'door', 'new', 0)", params![id, word])?;
        conn.execute("INSERT INTO bench_fts (rowid, subject, body) VALUES (?1, ?2, 'door')", params![id, word])?;
        fts_top10(conn, &word).map(|_| ())
    })?;
    rows.push(row(
        "change to searchable (create ticket → commit → found)",
        ms(ours),
        format!("{} FTS5 insert in the same transaction style", ms(theirs)),
        "≤ 1 s",
    ));

    progress("full rebuild…");
    let t = Instant::now();
    index.rebuild(conn)?;
    let rebuild = t.elapsed().as_secs_f64();
    let t = Instant::now();
    conn.execute_batch("INSERT INTO bench_fts(bench_fts) VALUES('rebuild');")?;
    rows.push(row("full rebuild", format!("{rebuild:.1} s"), format!("FTS5 {:.1} s", t.elapsed().as_secs_f64()), "≤ 10 s"));
    Ok(rows)
}

/// The obvious FTS5 way to find similar solved tickets: any of the subject's words.
fn fts_similar(conn: &Connection, number: i64) -> Result<Vec<i64>> {
    let subject: String = conn.query_row("SELECT subject FROM bench_text WHERE id = ?1", [number], |r| r.get(0))?;
    let words: Vec<String> =
        subject.split(|c: char| !c.is_alphanumeric()).filter(|w| w.chars().count() > 2).take(12).map(|w| format!("\"{w}\"")).collect();
    if words.is_empty() {
        return Ok(vec![]);
    }
    let mut stmt = conn.prepare_cached(
        "SELECT t.id FROM bench_fts f CROSS JOIN bench_text t ON t.id = f.rowid
         WHERE bench_fts MATCH ?1 AND t.status IN ('resolved', 'closed') AND t.id <> ?2 ORDER BY bm25(bench_fts) LIMIT 5",
    )?;
    let out = stmt.query_map(params![words.join(" OR "), number], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    Ok(out)
}

/// Mean share of the top 5 similar tickets that belong to the ticket's own problem family,
/// over a sample of tickets whose family has at least 5 other solved tickets. Returns
/// (ours, how many judged, FTS5's).
fn precision_at_5(index: &SearchIndex, conn: &Connection) -> Result<(f64, usize, f64)> {
    let mut family: HashMap<i64, String> = HashMap::new();
    let mut solved_per_family: HashMap<String, usize> = HashMap::new();
    let mut stmt = conn.prepare(
        "SELECT t.number, json_extract(e.payload, '$.demo_family'), t.status IN ('resolved', 'closed')
         FROM events e JOIN tickets t ON t.id = e.ticket_id WHERE e.kind = 'ticket.created' AND json_extract(e.payload, '$.demo_family') IS NOT NULL",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let (n, f, solved): (i64, String, bool) = (r.get(0)?, r.get(1)?, r.get(2)?);
        if solved {
            *solved_per_family.entry(f.clone()).or_default() += 1;
        }
        family.insert(n, f);
    }
    let mut numbers: Vec<i64> = family.keys().copied().collect();
    numbers.sort_unstable();
    let step = (numbers.len() / 300).max(1);
    let (mut ours, mut theirs, mut judged) = (0.0, 0.0, 0);
    for &n in numbers.iter().step_by(step) {
        let f = &family[&n];
        if solved_per_family.get(f).copied().unwrap_or(0) < 6 {
            continue;
        }
        judged += 1;
        let share = |found: &[i64]| found.iter().filter(|m| family.get(m) == Some(f)).count() as f64 / 5.0;
        let similar: Vec<i64> = index.similar(conn, n, 5)?.iter().map(|s| s.number).collect();
        ours += share(&similar);
        theirs += share(&fts_similar(conn, n)?);
    }
    let judged_f = judged.max(1) as f64;
    Ok((ours / judged_f, judged, theirs / judged_f))
}
