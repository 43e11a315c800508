//! Presence: "Ana is viewing #1042", "Ana is replying". Each laptop writes what its person has
//! open in its own subfolder (`presence.json`: the ticket by id, since numbers can differ for a
//! moment between laptops, whether they are writing, and when), rewritten on every pass while
//! it holds; a presence older than `PRESENCE_FRESH_MS` is gone (the laptop closed or left).

use super::{local_get, local_set, open_share, segment, Device, Share};
use casebook_core::model::Presence;
use casebook_core::Result;
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

/// How long a presence counts after it was last written.
pub const PRESENCE_FRESH_MS: i64 = 30_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct PresenceFile {
    device: String,
    device_name: String,
    agent: Option<String>,
    agent_name: Option<String>,
    ticket_id: Option<String>,
    replying: bool,
    at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Mine {
    ticket_id: Option<String>,
    replying: bool,
}

fn path(share: &Share, device: &str) -> std::path::PathBuf {
    share.device_dir(device).join("presence.json")
}

/// What this laptop's person has open now (None: no ticket), and whether they are writing a
/// reply or note on it. Published at once when sync is set up and the share is there.
pub fn set_presence(conn: &Connection, device: &Device, ticket_number: Option<i64>, replying: bool, now_ms: i64) -> Result<()> {
    let ticket_id = match ticket_number {
        Some(n) => conn.query_row("SELECT id FROM tickets WHERE number = ?1", [n], |r| r.get::<_, String>(0)).optional()?,
        None => None,
    };
    local_set(conn, "presence", &serde_json::to_string(&Mine { ticket_id, replying })?)?;
    if let Ok((share, _)) = open_share(conn) {
        refresh(conn, &share, device, now_ms)?;
    }
    Ok(())
}

/// Rewrites this laptop's presence file (each pass, so that it stays fresh).
pub(crate) fn refresh(conn: &Connection, share: &Share, device: &Device, now_ms: i64) -> Result<()> {
    let mine: Mine = local_get(conn, "presence")?.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or(Mine { ticket_id: None, replying: false });
    let agent_name = match &device.agent {
        Some(email) => conn.query_row("SELECT name FROM agents WHERE email = ?1", [email], |r| r.get::<_, String>(0)).optional()?,
        None => None,
    };
    let file = PresenceFile {
        device: device.id.clone(),
        device_name: device.name.clone(),
        agent: device.agent.clone(),
        agent_name,
        ticket_id: mine.ticket_id,
        replying: mine.replying,
        at_ms: now_ms,
    };
    segment::write_atomically(&path(share, &device.id), &serde_json::to_vec(&file)?)
}

/// The other laptops' fresh presences on tickets, by this workspace's numbers.
pub(crate) fn others(conn: &Connection, share: &Share, device: &Device, now_ms: i64) -> Result<Vec<Presence>> {
    let mut out = Vec::new();
    for id in share.device_ids()?.into_iter().filter(|d| *d != device.id) {
        let Some(p) = std::fs::read(path(share, &id)).ok().and_then(|b| serde_json::from_slice::<PresenceFile>(&b).ok()) else { continue };
        if (now_ms - p.at_ms).abs() > PRESENCE_FRESH_MS {
            continue;
        }
        let Some(ticket_id) = &p.ticket_id else { continue };
        let Some(number) = conn.query_row("SELECT number FROM tickets WHERE id = ?1", [ticket_id], |r| r.get::<_, i64>(0)).optional()? else {
            continue;
        };
        let agent = p.agent_name.or(p.agent).unwrap_or_else(|| p.device_name.clone());
        out.push(Presence { agent, device: p.device_name, ticket_number: number, replying: p.replying });
    }
    out.sort_by(|a, b| (a.ticket_number, &a.agent).cmp(&(b.ticket_number, &b.agent)));
    Ok(out)
}
