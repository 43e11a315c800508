//! The event vocabulary: every change the engine can make, as a kind with its own payload.
//! An event carries every fact its application needs (`apply` reads nothing but the event
//! and the state the earlier events built), and names entities by id, never by name or email,
//! so that another laptop can replay it. Consequences the status machine decides (an SLA
//! pause, a reopen's new cycle, the resolution time) are recorded, not recomputed.
//!
//! The payload is the variant's fields as JSON; the kind is the `#[serde(rename)]` name,
//! stored beside it. A new field must be `#[serde(default)]` so older events still read; a
//! change of meaning needs a new `FORMAT`.

use crate::model::WorkspaceInfo;
use crate::model::{Channel, MessageKind, Priority, Resolution, Role, Status, Tier};
use crate::sla::SlaSettings;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The payload format this build writes and reads. Events of format 0 are the history kept
/// from before typed events (shown, never replayed); a larger one is from a newer Casebook.
pub const FORMAT: i64 = 1;

/// What an agent said of a suggested similar ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Helpful,
    NotHelpful,
    FixInserted,
}

/// One attachment of a message: the file is stored by its hash in the data folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttachmentRef {
    pub id: String,
    pub filename: String,
    pub sha256: String,
    pub size: i64,
}

/// The mail a message came in as or goes out as. Its ids are how replies find the ticket on
/// every laptop, so they are part of the event, not of one desktop's mailbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MailMeta {
    /// "in" (received) or "out" (a reply we send).
    pub direction: String,
    /// The Message-ID header, without angle brackets.
    pub header_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    pub from: String,
    #[serde(default)]
    pub to: Vec<String>,
    #[serde(default)]
    pub cc: Vec<String>,
    pub subject: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<String>,
    #[serde(default)]
    pub references: Vec<String>,
    /// The whole message as received (.eml), in the attachment store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quoted: Option<String>,
    /// What could not be read of it.
    #[serde(default)]
    pub notes: Vec<String>,
    /// Why no automatic mail may answer it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automatic: Option<String>,
    /// Another message already stored under the same Message-ID.
    #[serde(default)]
    pub reused_id: bool,
    /// It has an HTML part (shown sanitised on request, from the .eml).
    #[serde(default)]
    pub has_html: bool,
}

/// A changed ticket field, old and new value (ids for people and teams).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "field", rename_all = "snake_case")]
pub enum FieldChange {
    Priority { from: Priority, to: Priority },
    Type { from: String, to: String },
    Assignee { from: Option<String>, to: Option<String> },
    Team { from: Option<String>, to: Option<String> },
    Tags { from: Vec<String>, to: Vec<String> },
}

/// Every kind of event. Ticket events are stored with the ticket's id beside them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "payload")]
pub enum Change {
    #[serde(rename = "workspace.created")]
    WorkspaceCreated(WorkspaceInfo),
    /// One row of the state as it was when an older workspace was upgraded to typed events:
    /// the starting point of its replayable log.
    #[serde(rename = "log.baseline")]
    Baseline { table: String, row: serde_json::Map<String, Value> },
    #[serde(rename = "settings.sla_changed")]
    SlaChanged(SlaSettings),
    /// Any other setting (alerts, flags): its key and its new JSON value.
    #[serde(rename = "settings.changed")]
    SettingChanged { key: String, value: Value },
    #[serde(rename = "settings.type_added")]
    TypeAdded { name: String },
    #[serde(rename = "settings.type_removed")]
    TypeRemoved { name: String },

    #[serde(rename = "agent.added")]
    AgentAdded { id: String, name: String, email: String, role: Role, skills: Vec<String> },
    #[serde(rename = "agent.joined_team")]
    AgentJoinedTeam { agent_id: String, team_id: String },
    #[serde(rename = "team.added")]
    TeamAdded { id: String, name: String, backup_agent_id: Option<String> },
    #[serde(rename = "team.backup_set")]
    TeamBackupSet { id: String, backup_agent_id: Option<String> },
    #[serde(rename = "organisation.added")]
    OrganisationAdded { id: String, name: String },
    #[serde(rename = "customer.added")]
    CustomerAdded { id: String, name: String, email: String, organisation_id: Option<String>, tier: Tier, created_at: i64 },
    #[serde(rename = "customer.updated")]
    CustomerUpdated { id: String, name: String, organisation_id: Option<String>, tier: Tier },

    /// A new ticket, status New, created at the event's time. Its description is also its
    /// first customer message, which follows as `message.added`.
    #[serde(rename = "ticket.created")]
    TicketCreated {
        id: String,
        number: i64,
        subject: String,
        description: String,
        #[serde(rename = "type")]
        ticket_type: String,
        priority: Priority,
        requester_id: String,
        assignee_id: Option<String>,
        team_id: Option<String>,
        channel: Channel,
        tags: Vec<String>,
        /// The demo's problem family (the benchmark's ground truth), for generated tickets.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        demo_family: Option<String>,
    },
    #[serde(rename = "message.added")]
    MessageAdded {
        id: String,
        kind: MessageKind,
        author_agent_id: Option<String>,
        author_customer_id: Option<String>,
        body: String,
        attachments: Vec<AttachmentRef>,
        /// It is the ticket's first response (an agent's first public reply).
        #[serde(default)]
        first_response: bool,
        /// The mail it came in as, or (a public reply on a mail ticket) goes out as.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mail: Option<Box<MailMeta>>,
    },
    /// The reply's mail was accepted by the SMTP server (or given up on: `error`).
    #[serde(rename = "mail.sent")]
    MailSent { message_id: String, error: Option<String> },
    /// Our mail to `recipient` bounced: the reply is marked and so is the address.
    #[serde(rename = "mail.bounced")]
    MailBounced { message_id: Option<String>, recipient: String, reason: String },
    #[serde(rename = "message.marked_solution")]
    SolutionMarked { message_id: String },
    /// A status move with what the status machine decided: the SLA pause that ends or starts,
    /// a reopen's new resolution cycle, and the resolution and close times it sets.
    #[serde(rename = "ticket.status_changed")]
    StatusChanged {
        from: Status,
        to: Status,
        resolution: Option<Resolution>,
        resolved_at: Option<i64>,
        closed_at: Option<i64>,
        new_cycle: bool,
        pause_ends: bool,
        pause_starts: bool,
    },
    #[serde(rename = "ticket.field_changed")]
    FieldChanged(FieldChange),
    /// Stored on the duplicate: it now points at `original_id`, and so do the tickets merged
    /// into it before (`repointed`). The duplicate link is part of it.
    #[serde(rename = "ticket.merged")]
    Merged { duplicate_id: String, original_id: String, original_number: i64, repointed: Vec<String> },
    /// Stored on the original of a merge, for its history.
    #[serde(rename = "ticket.merge_received")]
    MergeReceived { duplicate_id: String, duplicate_number: i64 },
    #[serde(rename = "ticket.linked")]
    Linked { to_id: String, to_number: i64 },
    /// Out of the working views until `until` (ms); none: back now (by hand, or because the
    /// customer wrote).
    #[serde(rename = "ticket.snoozed")]
    Snoozed { until: Option<i64> },
    /// Remind `by` (an agent's id) at `at` (ms) unless the customer answers first; none: the
    /// reminder is off (cancelled, or the customer answered).
    #[serde(rename = "ticket.follow_up_set")]
    FollowUpSet { at: Option<i64>, by: Option<String> },
    #[serde(rename = "ticket.rated")]
    Rated { good: bool, comment: String, recorded_by: Option<String> },
    /// An agent's word on this solved ticket, suggested as similar while working `for_id`:
    /// it helped or it did not, or its fix went into the reply. Stored on the suggested
    /// ticket, whose ranking it changes.
    #[serde(rename = "similar.feedback")]
    SimilarFeedback { for_id: String, verdict: Verdict, agent_id: Option<String> },

    /// A macro's text and what it sets when applied (a list of bulk changes as JSON, agents
    /// by email and teams by name, as in rule definitions; empty for a text-only macro).
    #[serde(rename = "macro.saved")]
    MacroSaved {
        id: String,
        name: String,
        body: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        actions: Vec<Value>,
    },
    #[serde(rename = "view.saved")]
    ViewSaved { id: String, name: String, owner_id: Option<String>, query: Value },
    #[serde(rename = "view.deleted")]
    ViewDeleted { id: String },

    /// A rule's whole row except its position (creation puts it last) and state.
    #[serde(rename = "rule.saved")]
    RuleSaved { id: String, name: String, kind: String, enabled: bool, builtin: Option<String>, definition: Value },
    /// The new order of every rule.
    #[serde(rename = "rule.moved")]
    RulesOrdered { ids: Vec<String> },
    #[serde(rename = "rule.deleted")]
    RuleDeleted { id: String },
    /// A rule's own memory (the round-robin cursor).
    #[serde(rename = "rule.state_changed")]
    RuleStateChanged { id: String, state: Value },
    /// A rule acted on the ticket in this window (it will not act again until it moves).
    #[serde(rename = "rule.fired")]
    RuleFired { rule_id: String, window: String },
    /// A rule's notification (the alert itself is this desktop's, not replayed).
    #[serde(rename = "rule.notified")]
    RuleNotified { to: Value, message: String },
    #[serde(rename = "rules.stopped")]
    RulesStopped { rounds: u32, rules: Vec<String>, reason: String },
}

impl Change {
    /// Whether the ticket's `updated_at` moves to this event's time.
    pub fn touches_ticket(&self) -> bool {
        matches!(
            self,
            Change::TicketCreated { .. }
                | Change::MessageAdded { .. }
                | Change::SolutionMarked { .. }
                | Change::StatusChanged { .. }
                | Change::FieldChanged(_)
                | Change::Merged { .. }
                | Change::MergeReceived { .. }
                | Change::Linked { .. }
        )
    }

    /// The stored kind and payload. Serialised once and split: serde writes an adjacently
    /// tagged enum as `{"kind":"…","payload":…}`, tag first (going through a `Value` instead
    /// was a tenth of the demo's time).
    pub fn to_parts(&self) -> crate::Result<(String, String)> {
        let whole = serde_json::to_string(self)?;
        let split = whole.strip_prefix("{\"kind\":\"").and_then(|rest| {
            let end = rest.find('"')?;
            let payload = rest[end..].strip_prefix("\",\"payload\":")?.strip_suffix('}')?;
            Some((rest[..end].to_string(), payload.to_string()))
        });
        match split {
            Some(parts) => Ok(parts),
            None => self.to_parts_by_value(),
        }
    }

    fn to_parts_by_value(&self) -> crate::Result<(String, String)> {
        let v = serde_json::to_value(self)?;
        let Value::Object(mut m) = v else { unreachable!("an adjacently tagged enum serialises to an object") };
        let kind = match m.remove("kind") {
            Some(Value::String(k)) => k,
            _ => unreachable!("every variant has a kind"),
        };
        let payload = m.remove("payload").unwrap_or(Value::Object(Default::default()));
        Ok((kind, payload.to_string()))
    }

    /// Reads a stored event back; the error says which field (or which kind) is wrong.
    pub fn from_parts(kind: &str, payload: &str) -> std::result::Result<Change, String> {
        let payload: Value = serde_json::from_str(payload).map_err(|e| format!("payload is not JSON ({e})"))?;
        serde_json::from_value(serde_json::json!({ "kind": kind, "payload": payload })).map_err(|e| {
            let text = e.to_string();
            if text.starts_with("unknown variant") {
                format!("unknown kind '{kind}' (written by a newer Casebook?)")
            } else {
                text
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_split_from_one_serialisation_equal_those_read_through_a_value() {
        let changes = vec![
            Change::TypeAdded { name: "Hardware \"quoted\" , \"payload\":".into() },
            Change::FieldChanged(FieldChange::Tags { from: vec![], to: vec!["a}".into()] }),
            Change::RuleNotified { to: serde_json::json!({"kind": "x"}), message: "}".into() },
            Change::SlaChanged(SlaSettings::default()),
        ];
        for c in changes {
            let (kind, payload) = c.to_parts().unwrap();
            let (kind2, payload2) = c.to_parts_by_value().unwrap();
            assert_eq!(kind, kind2);
            let (a, b): (Value, Value) = (serde_json::from_str(&payload).unwrap(), serde_json::from_str(&payload2).unwrap());
            assert_eq!(a, b);
            assert_eq!(Change::from_parts(&kind, &payload).unwrap(), c);
        }
    }
}
