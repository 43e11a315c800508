use crate::clock::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident, $field:literal, { $($(#[$vm:meta])* $variant:ident = $s:literal / $label:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str { match self { $($name::$variant => $s),+ } }
            pub fn label(self) -> &'static str { match self { $($name::$variant => $label),+ } }
            pub fn parse(s: &str) -> crate::Result<$name> {
                let wanted = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
                $(if wanted == $s { return Ok($name::$variant); })+
                let names: Vec<&str> = vec![$($s),+];
                Err(crate::Error::validation($field, format!("'{}' is not a {} ({})", s, $field, names.join(", "))))
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.label()) }
        }
    };
}

string_enum!(
    /// Ticket priority; stored as its rank (0 = urgent) so that sorting is by importance.
    Priority, "priority", {
    Urgent = "urgent" / "Urgent",
    High = "high" / "High",
    Medium = "medium" / "Medium",
    Low = "low" / "Low",
});

impl Priority {
    pub fn rank(self) -> i64 {
        match self {
            Priority::Urgent => 0,
            Priority::High => 1,
            Priority::Medium => 2,
            Priority::Low => 3,
        }
    }
    pub fn from_rank(r: i64) -> Priority {
        match r {
            0 => Priority::Urgent,
            1 => Priority::High,
            2 => Priority::Medium,
            _ => Priority::Low,
        }
    }
    /// One step more urgent (Urgent stays Urgent).
    pub fn raised(self) -> Priority {
        Priority::from_rank((self.rank() - 1).max(0))
    }
}

string_enum!(Role, "role", { Admin = "admin" / "Admin", Agent = "agent" / "Agent" });
string_enum!(Tier, "tier", { Vip = "vip" / "VIP", Normal = "normal" / "Normal" });
string_enum!(Channel, "channel", { Manual = "manual" / "Manual", Email = "email" / "Email", Import = "import" / "Import" });
string_enum!(
    /// Who wrote a message and who may see it.
    MessageKind, "message kind", {
    /// A customer-visible reply by an agent.
    Public = "public" / "Reply",
    /// A note only the team sees.
    Internal = "internal" / "Internal note",
    /// A message from the requester.
    Customer = "customer" / "Customer message",
    /// Written by Casebook itself (merges, automations).
    System = "system" / "System",
});
string_enum!(
    /// What an alert is about (PRODUCT A2, A3).
    AlertKind, "alert kind", {
    SlaFirstResponseAtRisk = "sla_first_response_at_risk" / "First response at risk",
    SlaFirstResponseBreached = "sla_first_response_breached" / "First response breached",
    SlaResolutionAtRisk = "sla_resolution_at_risk" / "Resolution at risk",
    SlaResolutionBreached = "sla_resolution_breached" / "Resolution breached",
    Keyword = "keyword" / "Keyword",
    Rule = "rule" / "Rule",
    /// A snoozed ticket's time came: it is back in the views.
    SnoozeEnded = "snooze_ended" / "Snooze over",
    /// The customer did not answer by the follow-up's time.
    FollowUpDue = "follow_up_due" / "Follow-up due",
});
string_enum!(LinkKind, "link kind", { Related = "related" / "Related", Duplicate = "duplicate" / "Duplicate of" });

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Agent {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub teams: Vec<String>,
    pub skills: Vec<String>,
    pub active: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Team {
    pub id: Uuid,
    pub name: String,
    /// The agent who takes over when escalation reassigns (PRODUCT R2).
    pub backup_agent: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Customer {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub organisation: Option<String>,
    pub tier: Tier,
}

/// A reference to a person as it appears on a ticket.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PersonRef {
    pub id: Uuid,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Ticket {
    pub id: Uuid,
    pub number: i64,
    pub subject: String,
    pub description: String,
    #[serde(rename = "type")]
    pub ticket_type: String,
    pub priority: Priority,
    pub status: Status,
    pub resolution: Option<Resolution>,
    /// The number of the original this ticket was merged into.
    pub duplicate_of: Option<i64>,
    pub requester: Customer,
    pub assignee: Option<PersonRef>,
    pub team: Option<String>,
    pub tags: Vec<String>,
    pub channel: Channel,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub first_response_at: Option<Timestamp>,
    pub resolved_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
}

use super::{Resolution, Status};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Message {
    pub id: Uuid,
    /// The ticket the message was written on (differs from the page's ticket for merged ones).
    pub ticket_number: i64,
    pub kind: MessageKind,
    pub author_name: String,
    pub author_email: Option<String>,
    pub body: String,
    pub created_at: Timestamp,
    /// Marked by an agent as the fix for this ticket (PRODUCT S2).
    pub is_solution: bool,
    pub attachments: Vec<Attachment>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Attachment {
    pub id: Uuid,
    pub filename: String,
    pub sha256: String,
    pub size: i64,
    /// Where the content lives, relative to the workspace's data folder.
    pub stored_path: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TicketLink {
    pub kind: LinkKind,
    pub number: i64,
    pub subject: String,
    pub status: Status,
    /// True when the other ticket points at this one (e.g. a duplicate merged into it).
    pub incoming: bool,
}

/// What merging the laptops' changes decided about two concurrent ones (team sync): which
/// value stands and which did not, kept on the ticket so that nobody's change vanishes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Conflict {
    pub ticket_number: Option<i64>,
    /// `field`, `status`, `number` or `merge`.
    pub kind: String,
    pub field: String,
    /// The value that stands and the one that does not, as people read them.
    pub kept: String,
    pub lost: String,
    /// Who made the change that met the other, and on which laptop (its name).
    pub actor: String,
    pub device: String,
    pub at: Timestamp,
    /// The whole story in one sentence.
    pub text: String,
}

/// Team sync as the window shows it all the time: cheap to ask (no digest, no segment read
/// beyond the headers of the ones not yet applied).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SyncOverview {
    /// `off` (not set up), `in_sync`, `waiting` (segments here not applied yet), `paused`
    /// (by the person here) or `stopped` (the share is gone, foreign, newer …: see `reason`).
    pub state: String,
    pub reason: Option<String>,
    pub folder: Option<String>,
    /// Events other laptops published that this one has not applied.
    pub events_waiting: u64,
    pub devices: Vec<SyncDevice>,
    /// Conflicts kept on tickets (all of them).
    pub conflicts: u64,
    /// Who on the other laptops is looking at or answering which ticket (fresh in the last 30 s).
    pub presence: Vec<Presence>,
}

/// "Ana is viewing #1042" / "Ana is replying to #1042": another laptop's presence file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Presence {
    /// The agent's name (their email when their laptop did not say).
    pub agent: String,
    pub device: String,
    pub ticket_number: i64,
    pub replying: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SyncDevice {
    pub device: String,
    pub name: String,
    pub agent: Option<String>,
    pub this_device: bool,
    pub last_seen: Option<Timestamp>,
}

/// One row of the processing log (PRODUCT T4).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Event {
    pub seq: i64,
    pub id: Uuid,
    pub ticket_number: Option<i64>,
    /// `agent:EMAIL`, `customer:EMAIL`, `rule:NAME` or `system`.
    pub actor: String,
    pub kind: String,
    pub payload: serde_json::Value,
    pub at: Timestamp,
    pub device: String,
}

/// What a new ticket is made of. The description is the customer's first message.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct NewTicket {
    pub subject: String,
    pub description: String,
    pub requester_email: String,
    #[serde(default)]
    pub requester_name: Option<String>,
    #[serde(default)]
    pub organisation: Option<String>,
    #[serde(default)]
    pub priority: Option<Priority>,
    #[serde(default, rename = "type")]
    pub ticket_type: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub channel: Option<Channel>,
    #[serde(default)]
    pub assignee_email: Option<String>,
    #[serde(default)]
    pub team: Option<String>,
}

/// A message to add to a ticket.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewMessage {
    pub kind: MessageKind,
    pub body: String,
    #[serde(default)]
    pub attachments: Vec<std::path::PathBuf>,
}

impl NewMessage {
    pub fn new(kind: MessageKind, body: impl Into<String>) -> Self {
        NewMessage { kind, body: body.into(), attachments: vec![] }
    }
}

/// Who a notification is for (a rule's "notify" action, the alert it raises).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Recipient {
    Assignee,
    Lead,
    Admin,
}

/// What a workspace is: its name and id, this copy's device, when it was made.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct WorkspaceInfo {
    /// The same on every laptop that shares this workspace (a copy of its first event).
    #[serde(default)]
    pub workspace_id: String,
    pub name: String,
    pub device_id: String,
    pub created_at: Timestamp,
    pub schema_version: i64,
}
