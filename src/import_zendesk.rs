//! Moving from Zendesk (PRODUCT C2): tickets with their comments, users and organisations,
//! mapped onto Casebook's model with their original times, in one transaction.
//!
//! The input is one JSON object holding what Zendesk's API lists return:
//! `{"tickets": [...], "users": [...], "organizations": [...]}`, each ticket with its
//! `comments` (as `GET /api/v2/tickets/{id}/comments` returns them). Mapping:
//! - users with role `agent`/`admin` become agents (matched by email; new ones are added),
//!   `end-user`s become customers with their organisation;
//! - the first comment is the ticket's description; later comments become customer
//!   messages (from an end-user), replies (public, from an agent) or internal notes;
//! - status new/open/pending/hold/solved/closed → New/Open/Pending/On hold/Resolved/Closed,
//!   priority urgent/high/normal/low → Urgent/High/Medium/Low (none → Medium), tags kept,
//!   the Zendesk type and id kept as tags (`zendesk`, `zd-123`, `zd-problem`).

use crate::clock::{parse_instant, Timestamp};
use crate::events::EventCtx;
use crate::model::{Channel, MessageKind, NewTicket, Priority, Role, Status};
use crate::{people, tickets, Error, Result, Workspace};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;

#[derive(Debug, Deserialize)]
struct Export {
    tickets: Vec<ZTicket>,
    #[serde(default)]
    users: Vec<ZUser>,
    #[serde(default)]
    organizations: Vec<ZOrganization>,
}

#[derive(Debug, Deserialize)]
struct ZUser {
    id: i64,
    name: String,
    email: Option<String>,
    #[serde(default)]
    role: String,
    organization_id: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct ZOrganization {
    id: i64,
    name: String,
}

#[derive(Debug, Deserialize)]
struct ZTicket {
    id: i64,
    subject: Option<String>,
    description: Option<String>,
    status: Option<String>,
    priority: Option<String>,
    #[serde(rename = "type")]
    ticket_type: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    requester_id: i64,
    assignee_id: Option<i64>,
    created_at: String,
    updated_at: Option<String>,
    #[serde(default)]
    comments: Vec<ZComment>,
}

#[derive(Debug, Deserialize)]
struct ZComment {
    author_id: i64,
    body: String,
    #[serde(default = "yes")]
    public: bool,
    created_at: String,
}

fn yes() -> bool {
    true
}

/// What the import did.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct ZendeskReport {
    pub tickets: usize,
    pub messages: usize,
    pub agents_added: usize,
    pub numbers: Vec<i64>,
}

fn status_of(s: &str) -> Option<Status> {
    Some(match s {
        "new" => Status::New,
        "open" => Status::Open,
        "pending" => Status::Pending,
        "hold" => Status::OnHold,
        "solved" => Status::Resolved,
        "closed" => Status::Closed,
        _ => return None,
    })
}

fn priority_of(p: &str) -> Option<Priority> {
    Some(match p {
        "urgent" => Priority::Urgent,
        "high" => Priority::High,
        "normal" => Priority::Medium,
        "low" => Priority::Low,
        _ => return None,
    })
}

impl Workspace {
    /// Imports a Zendesk export (see the module's documentation), all or nothing; the first
    /// problem is named by its Zendesk ticket id and field.
    pub fn import_zendesk(&mut self, file: &Path) -> Result<ZendeskReport> {
        let bad = |what: String| Error::validation("file", format!("{}: {what}", file.display()));
        let raw = std::fs::read(file).map_err(|e| bad(format!("cannot be read ({e})")))?;
        let export: Export = serde_json::from_slice(&raw).map_err(|e| bad(format!("is not a Zendesk export ({e})")))?;
        let users: HashMap<i64, &ZUser> = export.users.iter().map(|u| (u.id, u)).collect();
        let orgs: HashMap<i64, &str> = export.organizations.iter().map(|o| (o.id, o.name.as_str())).collect();
        let base = self.ctx();
        let settings = self.sla.clone();
        let data_dir = self.data_dir();
        let tx = self.begin()?;
        let mut report = ZendeskReport { tickets: 0, messages: 0, agents_added: 0, numbers: vec![] };

        // Agents first, so comments and assignments can name them.
        let mut agent_ids: HashMap<i64, (String, String)> = HashMap::new();
        for u in export.users.iter().filter(|u| u.role == "agent" || u.role == "admin") {
            let email = u.email.as_deref().ok_or_else(|| bad(format!("user {}: an agent without an email", u.id)))?;
            let id = match people::agent_id(&tx, email) {
                Ok(id) => id,
                Err(_) => {
                    let role = if u.role == "admin" { Role::Admin } else { Role::Agent };
                    let ctx = base.with_actor("import:zendesk");
                    let id = people::insert_agent(&tx, &ctx, &u.name, email, role, &[]).map_err(|e| bad(format!("user {}: {e}", u.id)))?;
                    report.agents_added += 1;
                    id.to_string()
                }
            };
            agent_ids.insert(u.id, (id, email.to_string()));
        }

        for t in &export.tickets {
            let at = |field: &str, s: &str| -> Result<Timestamp> {
                parse_instant(s).map_err(|_| bad(format!("ticket {}, {field}: '{s}' is not a time", t.id)))
            };
            let created = at("created_at", &t.created_at)?;
            let ctx = EventCtx { actor: "import:zendesk".into(), device: base.device.clone(), at: created };
            let requester = users
                .get(&t.requester_id)
                .ok_or_else(|| bad(format!("ticket {}, requester_id: user {} is not in the file", t.id, t.requester_id)))?;
            let requester_email =
                requester.email.clone().ok_or_else(|| bad(format!("ticket {}, requester_id: user {} has no email", t.id, t.requester_id)))?;
            let priority = match t.priority.as_deref() {
                None => None,
                Some(p) => Some(priority_of(p).ok_or_else(|| bad(format!("ticket {}, priority: '{p}' is not a Zendesk priority", t.id)))?),
            };
            let status = match t.status.as_deref() {
                None => Status::New,
                Some(s) => status_of(s).ok_or_else(|| bad(format!("ticket {}, status: '{s}' is not a Zendesk status", t.id)))?,
            };
            let mut comments: Vec<&ZComment> = t.comments.iter().collect();
            comments.sort_by(|a, b| a.created_at.cmp(&b.created_at));
            let description = comments.first().map(|c| c.body.clone()).or_else(|| t.description.clone()).unwrap_or_default();
            let mut tags = t.tags.clone();
            tags.push("zendesk".into());
            tags.push(format!("zd-{}", t.id));
            if let Some(kind) = &t.ticket_type {
                tags.push(format!("zd-{kind}"));
            }
            let new = NewTicket {
                subject: t.subject.clone().unwrap_or_default(),
                description,
                requester_email,
                requester_name: Some(requester.name.clone()),
                organisation: requester.organization_id.and_then(|o| orgs.get(&o)).map(|s| s.to_string()),
                priority,
                ticket_type: None,
                tags,
                channel: Some(Channel::Import),
                assignee_email: t.assignee_id.and_then(|a| agent_ids.get(&a)).map(|(_, e)| e.clone()),
                team: None,
            };
            let number = tickets::insert_ticket(&tx, &ctx, &settings, None, &data_dir, &new).map_err(|e| match e {
                Error::Validation { field, message, .. } => bad(format!("ticket {}, {field}: {message}", t.id)),
                other => bad(format!("ticket {}: {other}", t.id)),
            })?;
            let ticket_id: String = tx.query_row("SELECT id FROM tickets WHERE number = ?1", [number], |r| r.get(0))?;
            let requester_id: String = tx.query_row("SELECT requester_id FROM tickets WHERE number = ?1", [number], |r| r.get(0))?;
            for c in comments.iter().skip(1) {
                let when = at("comments.created_at", &c.created_at)?;
                let cctx = EventCtx { at: when, ..ctx.clone() };
                let (kind, agent, customer) = match agent_ids.get(&c.author_id) {
                    Some((id, _)) => (if c.public { MessageKind::Public } else { MessageKind::Internal }, Some(id.as_str()), None),
                    None => (MessageKind::Customer, None, Some(requester_id.as_str())),
                };
                if c.body.trim().is_empty() {
                    return Err(bad(format!("ticket {}, comments: a comment at {} is empty", t.id, c.created_at)));
                }
                tickets::insert_message(&tx, &cctx, &data_dir, &ticket_id, kind, agent, customer, &c.body, &[])?;
                report.messages += 1;
            }
            // The status it has in Zendesk, reached the way our status machine allows.
            let updated = match &t.updated_at {
                Some(u) => at("updated_at", u)?,
                None => comments.last().map(|c| at("comments.created_at", &c.created_at)).transpose()?.unwrap_or(created),
            };
            let sctx = EventCtx { at: updated.max(created), ..ctx.clone() };
            tickets::reach_status(&tx, &sctx, number, status, None)?;
            report.tickets += 1;
            report.numbers.push(number);
        }
        crate::events::commit(tx, &settings)?;
        Ok(report)
    }
}
