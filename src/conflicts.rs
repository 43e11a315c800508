//! The conflicts team sync kept (the `conflicts` table the one writer fills while merging
//! laptops' events), as people read them: values named, laptops by their names.

use crate::clock::from_ms;
use crate::model::Conflict;
use crate::{Result, Workspace};
use rusqlite::OptionalExtension;
use std::collections::BTreeMap;

/// A row of `conflicts`, with its ticket's number.
struct Row {
    ticket_number: Option<i64>,
    kind: String,
    field: String,
    kept: String,
    lost: String,
    device: String,
    actor: String,
    at: i64,
}

impl Workspace {
    /// The conflicts of one ticket (by number), or of all tickets, newest first.
    pub fn conflicts(&self, number: Option<i64>) -> Result<Vec<Conflict>> {
        let ticket_id = match number {
            Some(n) => Some(crate::tickets::load_ticket(&self.conn, n)?.id.to_string()),
            None => None,
        };
        let mut stmt = self.conn.prepare_cached(
            "SELECT t.number, c.kind, c.field, c.kept, c.lost, c.device, c.actor, c.at
               FROM conflicts c LEFT JOIN tickets t ON t.id = c.ticket_id
              WHERE ?1 IS NULL OR c.ticket_id = ?1
              ORDER BY c.at DESC, c.event_id",
        )?;
        let rows: Vec<Row> = stmt
            .query_map([&ticket_id], |r| {
                Ok(Row {
                    ticket_number: r.get(0)?,
                    kind: r.get(1)?,
                    field: r.get(2)?,
                    kept: r.get(3)?,
                    lost: r.get(4)?,
                    device: r.get(5)?,
                    actor: r.get(6)?,
                    at: r.get(7)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let names = self.device_names();
        let mut out = Vec::with_capacity(rows.len());
        for Row { ticket_number, kind, field, kept, lost, device, actor, at } in rows {
            let (kept, lost) = (self.readable(&field, &kept)?, self.readable(&field, &lost)?);
            let device = names.get(&device).cloned().unwrap_or(device);
            let who = match actor.strip_prefix("agent:") {
                Some(email) => self
                    .conn
                    .prepare_cached("SELECT name FROM agents WHERE email = ?1")?
                    .query_row([email], |r| r.get(0))
                    .optional()?
                    .unwrap_or_else(|| email.to_string()),
                None => actor.strip_prefix("rule:").map(|r| format!("the rule {r}")).unwrap_or(actor.clone()),
            };
            let text = match kind.as_str() {
                "number" => format!("Created on {device} as #{lost}, a number another laptop's ticket had taken: it is #{kept} now."),
                "status" if kept == "closed" => {
                    format!("{who} moved it to {lost} on {device}, but another laptop had closed it: it stays closed.")
                }
                "merge" => format!("{who} merged it on {device}, but the other ticket had been merged into this one: the first merge stands."),
                _ => format!("{who} set {field} to {kept} on {device} without seeing {lost} from another laptop: {kept} stands."),
            };
            out.push(Conflict { ticket_number, kind, field, kept, lost, actor: who, device, at: from_ms(at), text });
        }
        Ok(out)
    }

    /// A conflict's stored value (JSON) as people read it: names for agents and teams.
    fn readable(&self, field: &str, json: &str) -> Result<String> {
        let v: serde_json::Value = serde_json::from_str(json).unwrap_or(serde_json::Value::String(json.to_string()));
        let text = match &v {
            serde_json::Value::Null => return Ok("nobody".into()),
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let sql = match field {
            "assignee" => "SELECT name FROM agents WHERE id = ?1",
            "team" => "SELECT name FROM teams WHERE id = ?1",
            "duplicate_of" => "SELECT '#' || number FROM tickets WHERE id = ?1",
            _ => return Ok(text),
        };
        Ok(self.conn.prepare_cached(sql)?.query_row([&text], |r| r.get::<_, String>(0)).optional()?.unwrap_or(text))
    }

    /// The names of the laptops of the share (from their manifests), this one's included; two
    /// laptops of the same name are told apart by the start of their ids.
    pub fn device_names(&self) -> BTreeMap<String, String> {
        let mut names = crate::sync::device_names(&self.conn);
        names.insert(self.device.device_id.clone(), self.device.name.clone());
        let taken = |name: &String| names.values().filter(|n| *n == name).count() > 1;
        let twice: Vec<String> = names.iter().filter(|(_, n)| taken(n)).map(|(id, _)| id.clone()).collect();
        for id in twice {
            if let Some(n) = names.get_mut(&id) {
                n.push_str(&format!(" ({})", &id[..id.len().min(6)]));
            }
        }
        names
    }
}
