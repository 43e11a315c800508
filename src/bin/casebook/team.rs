//! `casebook sync …`: team sync through a shared folder.

use crate::args::{Command, SyncCmd};
use crate::shared::*;
use casebook::sync::{PassReport, SyncStatus};
use casebook::Workspace;
use serde_json::json;

pub(crate) fn run(cx: &Ctx, command: Command) -> anyhow::Result<()> {
    let Command::Sync { action } = command else { unreachable!("dispatched by main") };
    let (db, clock, as_agent, out) = cx.parts();
    match action {
        None => {
            let mut ws = open(&db, clock, as_agent)?;
            let r = ws.sync_pass()?;
            out(json!(r), pass_text(&r));
        }
        Some(SyncCmd::Init { folder }) => {
            let mut ws = open(&db, clock, as_agent)?;
            let r = ws.sync_init(&folder)?;
            out(json!(r), format!("Shared this workspace in {}.\n{}", folder.display(), pass_text(&r)));
        }
        Some(SyncCmd::Join { folder }) => {
            let email = as_agent.ok_or_else(|| anyhow::anyhow!("say who you are: casebook --db NEW.db sync join FOLDER --as EMAIL"))?;
            let (ws, info, r) = Workspace::join(&db, &folder, clock, email)?;
            out(
                json!({ "workspace": info, "db": db, "device": ws.device().device_id, "pass": r }),
                format!(
                    "Joined \"{}\" at {} as {email} (this laptop is device {}).\n{}",
                    info.name,
                    db.display(),
                    ws.device().device_id,
                    pass_text(&r)
                ),
            );
        }
        Some(SyncCmd::Status) => {
            let ws = open(&db, clock, as_agent)?;
            let s = ws.sync_status()?;
            let failing = s.paused.is_some() || !s.divergences.is_empty();
            out(json!(s), status_text(&s, ws.now()));
            if failing {
                std::process::exit(1);
            }
        }
        Some(SyncCmd::Conflicts { number }) => {
            let ws = open(&db, clock, as_agent)?;
            let conflicts = ws.conflicts(number)?;
            let mut text = String::new();
            for c in &conflicts {
                let on = c.ticket_number.map(|n| format!("#{n}")).unwrap_or_default();
                text.push_str(&format!("{}  {on:<6} {}\n", c.at.format("%Y-%m-%d %H:%M"), c.text));
            }
            if conflicts.is_empty() {
                text = "No conflicts.".into();
            }
            out(json!(conflicts), text.trim_end().to_string());
        }
        Some(SyncCmd::Syncthing { url, key, off }) => {
            let mut ws = open(&db, clock, as_agent)?;
            let api = match (off, url, key) {
                (false, Some(url), Some(api_key)) => Some(casebook::sync::SyncthingApi { url, api_key }),
                _ => None,
            };
            ws.set_syncthing_api(api.as_ref())?;
            out(
                json!({ "syncthing": api.as_ref().map(|a| &a.url) }),
                match &api {
                    Some(a) => format!("Each change will be sent at once through the Syncthing at {}.", a.url),
                    None => "Casebook no longer talks to Syncthing; its watcher sends the changes.".into(),
                },
            );
        }
        Some(c @ (SyncCmd::Pause | SyncCmd::Resume)) => {
            let mut ws = open(&db, clock, as_agent)?;
            let paused = matches!(c, SyncCmd::Pause);
            ws.set_sync_paused(paused)?;
            out(json!({ "paused": paused }), if paused { "Sync is paused on this laptop." } else { "Sync is on again." }.to_string());
        }
    }
    Ok(())
}

fn pass_text(r: &PassReport) -> String {
    let mut text = format!(
        "Published {} events ({} segments); ingested {} events ({} segments){}{}.",
        r.published_events,
        r.published_segments,
        r.ingested_events,
        r.ingested_segments,
        if r.duplicates > 0 { format!(", {} already here", r.duplicates) } else { String::new() },
        if r.files_copied > 0 { format!(", {} attachment files copied", r.files_copied) } else { String::new() },
    );
    for w in r.waiting.iter().chain(&r.warnings) {
        text.push_str(&format!("\nnote: {w}"));
    }
    text
}

fn status_text(s: &SyncStatus, now: casebook::Timestamp) -> String {
    let mut text = format!("Shared folder: {}\nState digest: {}\n", s.folder.display(), s.digest);
    if let Some(p) = &s.paused {
        text.push_str(&format!("PAUSED: {p}\n"));
    }
    text.push_str(&format!("\n{:<18} {:<20} {:<28} {:>9} {:>12}  {}\n", "device", "name", "agent", "segments", "events behind", "last seen"));
    for d in &s.devices {
        let seen = d.last_seen_ms.map(|ms| {
            let ago = (casebook::clock::to_ms(now) - ms) / 1000;
            if ago < 0 {
                "ahead of this clock".to_string()
            } else if ago < 120 {
                format!("{ago} s ago")
            } else {
                format!("{} min ago", ago / 60)
            }
        });
        text.push_str(&format!(
            "{:<18} {:<20} {:<28} {:>9} {:>12}  {}{}\n",
            d.device,
            d.name,
            d.agent.as_deref().unwrap_or("-"),
            format!("{}/{}", d.segments_applied_here, d.segments_published),
            d.events_behind,
            seen.unwrap_or_else(|| "never".into()),
            if d.this_device { "  (this laptop)" } else { "" }
        ));
    }
    for d in &s.divergences {
        text.push_str(&format!("\nDIVERGED: {d}"));
    }
    for w in &s.warnings {
        text.push_str(&format!("\nnote: {w}"));
    }
    text
}
