//! `casebook bench sync`: team sync at scale: the first publication, a laptop joining a big
//! workspace, ingesting a colleague's work, a late event that refolds the state, and a pass
//! with nothing new; beside copying the database file, the obvious (and unsafe) alternative.

use crate::clock::FixedClock;
use crate::demo::{self, DemoOptions};
use crate::model::{MessageKind, NewMessage};
use crate::workspace::{Workspace, WorkspaceInit};
use crate::Result;
use std::sync::Arc;
use std::time::Instant;

use super::{ms, percentiles, row, BenchRow};

fn files_under(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir).map(|entries| entries.flatten().map(|e| if e.path().is_dir() { files_under(&e.path()) } else { 1 }).sum()).unwrap_or(0)
}

pub fn sync(tickets: usize, progress: &mut dyn FnMut(&str)) -> Result<Vec<BenchRow>> {
    let dir = tempfile::tempdir()?;
    let share = dir.path().join("share");
    std::fs::create_dir_all(&share)?;
    let clock = Arc::new(FixedClock::new(chrono::Utc::now()));
    let mut rows = Vec::new();

    progress(&format!("generating {tickets} tickets…"));
    let mut a = Workspace::create(&dir.path().join("a/bench.db"), clock.clone(), &WorkspaceInit::default())?;
    demo::generate(&mut a, DemoOptions::new(tickets, 7))?;
    a.act_as("mina.park@casebook-demo.com")?;

    progress("publishing…");
    let t = Instant::now();
    let published = a.sync_init(&share)?;
    let publish_s = t.elapsed().as_secs_f64();
    let copy = dir.path().join("copied.db");
    let t = Instant::now();
    a.connection().execute("VACUUM INTO ?1", [copy.to_string_lossy()])?;
    let copy_s = t.elapsed().as_secs_f64();
    std::fs::remove_file(&copy)?;
    rows.push(row(
        format!("first publication ({} events, {} segments)", published.published_events, published.published_segments),
        format!("{:.0} events/s · {publish_s:.1} s", published.published_events as f64 / publish_s),
        format!("the database file copied into the share {copy_s:.1} s (torn by Syncthing, two writers)"),
        "",
    ));

    progress("joining…");
    let t = Instant::now();
    let (mut b, _, joined) = Workspace::join(&dir.path().join("b/bench.db"), &share, clock.clone(), "mina.park@casebook-demo.com")?;
    let join_s = t.elapsed().as_secs_f64();
    rows.push(row(
        format!("a laptop joins ({} events ingested)", joined.ingested_events),
        format!("{join_s:.1} s · {:.0} events/s", joined.ingested_events as f64 / join_s),
        format!("copying the file {copy_s:.1} s"),
        "usable in ≤ 30 s; ingest ≥ 20,000 events/s",
    ));

    progress("a colleague's work…");
    let numbers: Vec<i64> = a
        .connection()
        .prepare("SELECT number FROM tickets WHERE status <> 'closed' ORDER BY number DESC LIMIT 500")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for (i, n) in numbers.iter().cycle().take(5000).enumerate() {
        clock.advance(chrono::Duration::seconds(1));
        let kind = if i % 2 == 0 { MessageKind::Public } else { MessageKind::Internal };
        a.add_message(*n, &NewMessage::new(kind, "Restart the VPN client, then sign in again."))?;
    }
    a.sync_pass()?;
    let t = Instant::now();
    let r = b.sync_pass()?;
    let s = t.elapsed().as_secs_f64();
    rows.push(row(
        format!("ingest a colleague's work, in order ({} events)", r.ingested_events),
        format!("{:.0} events/s · {:.2} s", r.ingested_events as f64 / s, s),
        "",
        "≥ 20,000 events/s",
    ));

    progress("a late event…");
    // What an event that sorts before something already applied costs: the state folded
    // again from the log (`events::fold::refold`), against applying one in order.
    b.add_message(numbers[0], &NewMessage::new(MessageKind::Internal, "Seen this before: bad certificate."))?;
    b.sync_pass()?;
    let t = Instant::now();
    a.sync_pass()?;
    let in_order = t.elapsed().as_secs_f64();
    let t = Instant::now();
    {
        let tx = a.connection().unchecked_transaction()?;
        crate::events::fold::refold(&tx)?;
        crate::events::commit(tx, &a.sla_settings().clone())?;
    }
    let refold_s = t.elapsed().as_secs_f64();
    rows.push(row(
        "a late event: the whole state folded again (refold)",
        format!("{refold_s:.1} s"),
        format!("a pass with one event in order {in_order:.3} s"),
        "(when a late event creates a ticket, merges or links, or changes settings or people)",
    ));

    // A late change that concerns one ticket only rebuilds that ticket.
    let event: crate::events::StoredEvent = a.connection().query_row(
        &format!(
            "SELECT {} FROM events e JOIN tickets t ON t.id = e.ticket_id
              WHERE e.kind = 'message.added' AND t.duplicate_of IS NULL
                AND NOT EXISTS (SELECT 1 FROM ticket_links l WHERE l.from_ticket = t.id OR l.to_ticket = t.id)
                AND NOT EXISTS (SELECT 1 FROM tickets d WHERE d.duplicate_of = t.id)
              ORDER BY e.seq DESC LIMIT 1",
            crate::events::StoredEvent::COLUMNS
        ),
        [],
        |r| crate::events::StoredEvent::from_row(r, 0),
    )?;
    let t = Instant::now();
    let rebuilt = {
        let tx = a.connection().unchecked_transaction()?;
        let n = crate::events::fold::refold_tickets(&tx, &[&event])?;
        crate::events::commit(tx, &a.sla_settings().clone())?;
        n
    };
    rows.push(row(
        format!("a late change to one ticket: only it is rebuilt ({} ticket)", rebuilt.unwrap_or(0)),
        format!("{:.1} ms", t.elapsed().as_secs_f64() * 1000.0),
        format!("the whole state folded again {refold_s:.1} s"),
        "",
    ));

    progress("passes with nothing new…");
    let p = percentiles(20, |_| a.sync_pass().map(|_| ()))?;
    rows.push(row("a pass with nothing new", ms(p), "", ""));

    let files = files_under(&share.join("casebook"));
    let events: i64 = a.connection().query_row("SELECT count(*) FROM events", [], |r| r.get(0))?;
    rows.push(row(
        format!("files in the share ({events} events)"),
        format!("{files} files"),
        "",
        "a year of ten agents (~1M events) < 2,000 files (segments are not rolled up yet)",
    ));
    Ok(rows)
}
