//! `casebook bench mail`: the email channel at scale: an .mbox imported through the same path
//! as fetched mail (parsed, stored once, threaded by its headers) into a big workspace, beside
//! parsing alone; the same mbox again (every message recognised as stored); and the local work
//! of a fetch pass that finds nothing new, beside reading the whole folder again (what a
//! client without UIDs does).

use crate::clock::FixedClock;
use crate::demo::{self, DemoOptions};
use crate::workspace::{Workspace, WorkspaceInit};
use crate::Result;
use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use super::{ms, percentiles, row, BenchRow};

/// An mbox of `n` messages: a third start threads, the rest reply to them (References and
/// In-Reply-To), some with CCs, some HTML only, some in ISO-8859-2.
fn mbox(n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n * 900);
    let threads = n.div_ceil(3).max(1);
    for i in 0..n {
        let t = i % threads;
        let k = i / threads;
        let from = format!("customer{}@example{}.com", t % 5000, t % 50);
        let refs = if k == 0 {
            String::new()
        } else {
            format!("In-Reply-To: <t{t}-m{}@bench.example>\nReferences: <t{t}-m0@bench.example> <t{t}-m{}@bench.example>\n", k - 1, k - 1)
        };
        let subject = if k == 0 { format!("Order {t} arrived damaged") } else { format!("Re: Order {t} arrived damaged") };
        let cc = if t.is_multiple_of(4) { format!("Cc: colleague{t}@example.com\n") } else { String::new() };
        let (ctype, body): (&str, Vec<u8>) = match i % 10 {
            0 => ("text/html; charset=utf-8", format!("<html><body><p>The parcel for order <b>{t}</b> arrived with a broken seal.</p><p>Please send a replacement.</p></body></html>").into_bytes()),
            1 => ("text/plain; charset=ISO-8859-2", b"Paczka dotar\xb3a uszkodzona, prosz\xea o wymian\xea.".to_vec()),
            _ => ("text/plain; charset=utf-8", format!("Hello,\nthe parcel for order {t} arrived with a broken seal (message {k}).\nPlease send a replacement.\n\nOn Mon, 2 Mar 2026, Support wrote:\n> We are sorry to hear that.\n").into_bytes()),
        };
        let _ = write!(
            out,
            "From {from} Mon Mar  2 09:00:00 2026\nFrom: Customer {t} <{from}>\nTo: support@casebook.test\n{cc}Subject: {subject}\nMessage-ID: <t{t}-m{k}@bench.example>\n{refs}Date: Mon, 2 Mar 2026 09:{:02}:00 +0000\nMIME-Version: 1.0\nContent-Type: {ctype}\nContent-Transfer-Encoding: 8bit\n\n",
            k % 60
        );
        out.extend_from_slice(&body);
        out.extend_from_slice(b"\n\n");
    }
    out
}

pub fn mail(tickets: usize, messages: usize, progress: &mut dyn FnMut(&str)) -> Result<Vec<BenchRow>> {
    let dir = tempfile::tempdir()?;
    let clock = Arc::new(FixedClock::new(chrono::Utc::now()));
    let mut rows = Vec::new();
    progress(&format!("generating {tickets} tickets…"));
    let mut ws = Workspace::create(&dir.path().join("bench.db"), clock, &WorkspaceInit::default())?;
    demo::generate(&mut ws, DemoOptions::new(tickets, 7))?;
    let path = dir.path().join("bench.mbox");
    std::fs::write(&path, mbox(messages))?;
    let bytes = std::fs::metadata(&path)?.len();

    progress(&format!("parsing {messages} messages alone…"));
    let raw = std::fs::read(&path)?;
    let t = Instant::now();
    let parts = casebook_mail::source::split_mbox(&raw);
    let parsed: usize = parts.iter().map(|m| casebook_mail::parse(m).body.len()).sum();
    let parse_s = t.elapsed().as_secs_f64();
    std::hint::black_box(parsed);

    progress(&format!("importing {messages} messages…"));
    let t = Instant::now();
    let first = ws.import_mail(&path)?;
    let import_s = t.elapsed().as_secs_f64();
    rows.push(row(
        format!("mbox import with threading ({messages} messages, {:.1} MB, into {tickets} tickets)", bytes as f64 / 1e6),
        format!("{:.0} messages/s · {import_s:.1} s ({} tickets, {} threaded)", messages as f64 / import_s, first.new_tickets, first.threaded),
        format!("parsing alone {:.0} messages/s", messages as f64 / parse_s),
        "≥ 2,000 messages/s",
    ));

    progress("the same mbox again…");
    let t = Instant::now();
    let again = ws.import_mail(&path)?;
    let again_s = t.elapsed().as_secs_f64();
    rows.push(row(
        "the same mbox again (each message recognised as stored)",
        format!("{:.0} messages/s · {} duplicates, {} new", messages as f64 / again_s, again.duplicates, again.new_tickets),
        "",
        "nothing stored twice",
    ));

    progress("a pass with nothing new…");
    // A mailbox on this laptop (never connected: the pass's server side is not timed).
    ws.set_mailbox_settings(&crate::mail::MailboxSettings {
        imap_host: "127.0.0.1".into(),
        imap_port: 143,
        imap_user: "bench".into(),
        imap_folder: "INBOX".into(),
        smtp_host: "127.0.0.1".into(),
        smtp_port: 25,
        ..Default::default()
    })?;
    let pass = percentiles(50, |_| {
        // The local work of a fetch pass with nothing new: the folder's bookmark and what
        // the outbox has due (the server's answer to UID SEARCH is not timed here).
        ws.fetch_plan("unused")?;
        let _ = ws.outbox(1000)?;
        Ok(())
    })?;
    rows.push(row("local work of a fetch pass with nothing new", ms(pass), format!("reading the whole folder again {again_s:.1} s"), "≤ 50 ms"));
    Ok(rows)
}
