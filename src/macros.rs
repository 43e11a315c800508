//! Macros (PRODUCT T3, issue 17): a reply's text with placeholders (`{{requester.name}}`,
//! `{{ticket.number}}` …) and the fields applying it sets (status, priority, type, team,
//! assignee, tags), through the same one-transaction write as a bulk change, with its undo.

use crate::bulk::{BulkChange, BulkOutcome};
use crate::model::Ticket;
use crate::workspace::Workspace;
use crate::{validate, Error, Problem, Result};
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const DEFAULT_MACROS: [(&str, &str); 4] = [
    (
        "Ask for details",
        "Hello {{requester.name}},\n\nThank you for contacting us about \"{{ticket.subject}}\". Could you tell us a little more: when did it start, what exactly do you see, and has anything changed recently?\n\nBest regards,\n{{agent.name}}",
    ),
    (
        "We're on it",
        "Hello {{requester.name}},\n\nWe have received your request (#{{ticket.number}}) and are working on it. We will get back to you as soon as we know more.\n\n{{agent.name}}",
    ),
    (
        "Solved - please confirm",
        "Hello {{requester.name}},\n\nWe believe ticket #{{ticket.number}} is fixed. Please reply to let us know it works now; if it doesn't, just reply and we will reopen it.\n\n{{agent.name}}",
    ),
    (
        "Duplicate",
        "Hello {{requester.name}},\n\nThis request is already being handled in another ticket, so we have merged #{{ticket.number}} into it. You will hear from us there.\n\n{{agent.name}}",
    ),
];

/// The placeholders a macro may use.
pub const PLACEHOLDERS: [&str; 13] = [
    "requester.name",
    "requester.email",
    "requester.organisation",
    "ticket.number",
    "ticket.subject",
    "ticket.status",
    "ticket.priority",
    "ticket.type",
    "ticket.duplicate_of",
    "ticket.team",
    "ticket.assignee",
    "agent.name",
    "agent.email",
];

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Macro {
    pub id: Uuid,
    pub name: String,
    pub body: String,
    /// What applying it sets, in order. An assignee of `me` is the agent who applies it.
    pub actions: Vec<BulkChange>,
}

/// The assignee a macro names for "whoever applies it".
pub const ME: &str = "me";

/// Fills the placeholders of `body` from the ticket and the agent. An unknown placeholder
/// is an error rather than text sent to a customer with braces in it.
pub fn render(body: &str, ticket: &Ticket, agent_name: &str, agent_email: &str) -> Result<String> {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or_else(|| Error::invalid("body", Problem::PlaceholderNotClosed))?;
        let key = after[..end].trim();
        let value = match key {
            "requester.name" => ticket.requester.name.clone(),
            "requester.email" => ticket.requester.email.clone(),
            "requester.organisation" => ticket.requester.organisation.clone().unwrap_or_default(),
            "ticket.number" => ticket.number.to_string(),
            "ticket.subject" => ticket.subject.clone(),
            "ticket.status" => ticket.status.label().to_string(),
            "ticket.priority" => ticket.priority.label().to_string(),
            "ticket.type" => ticket.ticket_type.clone(),
            "ticket.duplicate_of" => ticket.duplicate_of.map(|n| n.to_string()).unwrap_or_default(),
            "ticket.team" => ticket.team.clone().unwrap_or_default(),
            "ticket.assignee" => ticket.assignee.as_ref().map(|a| a.name.clone()).unwrap_or_default(),
            "agent.name" => agent_name.to_string(),
            "agent.email" => agent_email.to_string(),
            other => return Err(Error::invalid("body", Problem::UnknownPlaceholder { name: other.to_string(), known: PLACEHOLDERS.join(", ") })),
        };
        out.push_str(&value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

fn check_placeholders(body: &str) -> Result<()> {
    let t: Ticket = serde_json::from_value(serde_json::json!({
        "id": Uuid::nil(), "number": 1, "subject": "", "description": "", "type": "", "priority": "low", "status": "new",
        "resolution": null, "duplicate_of": null,
        "requester": { "id": Uuid::nil(), "name": "", "email": "", "organisation": null, "tier": "normal" },
        "assignee": null, "team": null, "tags": [], "channel": "manual",
        "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
        "first_response_at": null, "resolved_at": null, "closed_at": null
    }))?;
    render(body, &t, "", "").map(|_| ())
}

impl Workspace {
    pub fn macros(&self) -> Result<Vec<Macro>> {
        let mut stmt = self.conn.prepare_cached("SELECT id, name, body, actions FROM macros ORDER BY name")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get::<_, String>(3)?)))?;
        rows.map(|row| {
            let (id, name, body, actions) = row?;
            // Written by this engine only (events::apply), so a list that does not read is a
            // damaged file: said, not guessed around.
            let actions = serde_json::from_str(&actions)
                .map_err(|e| Error::validation("actions", format!("the actions of macro '{name}' do not read: {e}")))?;
            Ok(Macro { id: Uuid::parse_str(&id).unwrap_or_default(), name, body, actions })
        })
        .collect()
    }

    /// Adds a macro, or replaces the one with this name. It needs a text or an action; every
    /// agent, team and type it sets must exist.
    pub fn save_macro(&mut self, name: &str, body: &str, actions: &[BulkChange]) -> Result<Macro> {
        let name = validate::name("name", name)?;
        let body = validate::body("body", body, true)?;
        if body.is_empty() && actions.is_empty() {
            return Err(Error::invalid("body", Problem::MacroEmpty));
        }
        check_placeholders(&body)?;
        for a in actions {
            a.check_reason("actions")?;
            if matches!(a, BulkChange::Status { to: crate::model::Status::New, .. }) {
                return Err(Error::invalid("actions", Problem::BackToNew));
            }
        }
        let actions: Vec<BulkChange> = actions.iter().map(|a| crate::bulk::stored_change(&self.conn, a, ME)).collect::<Result<_>>()?;
        let json: Vec<serde_json::Value> = actions.iter().map(serde_json::to_value).collect::<std::result::Result<_, _>>()?;
        let ctx = self.ctx();
        let tx = self.begin()?;
        let existing: Option<(String, String)> =
            tx.query_row("SELECT id, name FROM macros WHERE name = ?1", [&name], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
        // Replacing keeps the name as first spelled (names ignore case).
        let (id, name) = existing.unwrap_or_else(|| (Uuid::now_v7().to_string(), name));
        let change = crate::events::Change::MacroSaved { id: id.clone(), name: name.clone(), body: body.clone(), actions: json };
        crate::events::record(&tx, &ctx, None, change)?;
        tx.commit()?;
        Ok(Macro { id: Uuid::parse_str(&id).unwrap_or_default(), name, body, actions })
    }

    fn find_macro(&self, name: &str) -> Result<Macro> {
        self.macros()?
            .into_iter()
            .find(|m| m.name.to_lowercase() == name.trim().to_lowercase())
            .ok_or_else(|| Error::NotFound { what: "macro", key: name.trim().to_string() })
    }

    /// The text of macro `name` filled in for ticket `number`, as the acting agent.
    pub fn render_macro(&self, name: &str, number: i64) -> Result<String> {
        let m = self.find_macro(name)?;
        let ticket = self.ticket(number)?;
        let (agent_name, agent_email) = self.acting.as_ref().map(|a| (a.name.as_str(), a.email.as_str())).unwrap_or(("", ""));
        render(&m.body, &ticket, agent_name, agent_email)
    }

    /// Sets what macro `name` sets on every ticket in `numbers`: one transaction, one event
    /// per changed field, undoable with `bulk_undo`. Its text is not sent here (the window
    /// puts it in the composer; `render_macro` fills it in).
    pub fn apply_macro(&mut self, name: &str, numbers: &[i64]) -> Result<BulkOutcome> {
        let m = self.find_macro(name)?;
        let me = self.acting.as_ref().map(|a| a.email.clone());
        let actions = m
            .actions
            .into_iter()
            .map(|a| match a {
                BulkChange::Assignee { to: Some(who) } if who.eq_ignore_ascii_case(ME) => me
                    .clone()
                    .map(|email| BulkChange::Assignee { to: Some(email) })
                    .ok_or_else(|| Error::validation("as", format!("macro '{}' assigns to whoever applies it: act as an agent", m.name))),
                other => Ok(other),
            })
            .collect::<Result<Vec<_>>>()?;
        self.bulk_changes(numbers, &actions)
    }
}
