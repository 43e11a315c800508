//! What a rule is, as people edit it: conditions and actions as plain data (JSON in the
//! database, forms in the app), the checks that refuse a rule that cannot work, and the
//! rule in plain words.

use casebook_core::error::{Error, Result};
use casebook_core::model::{Channel, Priority, Resolution, Status, Tier};
use casebook_core::problem::{Problem, RulePart};
use casebook_core::sla::SlaState;
use casebook_core::validate;
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum RuleKind {
    /// Runs right after a ticket is created or changed, in the same transaction.
    Trigger,
    /// Runs on the scheduler over every ticket that is not closed.
    Time,
}

/// A rule as the editor edits it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RuleDefinition {
    pub name: String,
    pub kind: RuleKind,
    pub enabled: bool,
    /// Why the rule exists, in the words of whoever wrote it.
    #[serde(default)]
    pub note: String,
    /// Every one of these must hold…
    #[serde(default)]
    pub all: Vec<Condition>,
    /// …and at least one of these, when there are any.
    #[serde(default)]
    pub any: Vec<Condition>,
    pub actions: Vec<Action>,
}

/// What happened to a ticket that a trigger can wait for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum TriggerEvent {
    Created,
    CustomerMessage,
    AgentReply,
    Note,
    StatusChanged,
    FieldChanged,
}

/// Which text a "contains" condition reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum TextField {
    Subject,
    /// The description (the customer's first message).
    Body,
    LatestCustomerMessage,
    /// Subject, description and the latest customer message.
    Any,
}

/// The instant an "hours since" condition counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Since {
    Created,
    Updated,
    LastAgentReply,
    LastCustomerReply,
    StatusChange,
    /// Only while Pending: since it became Pending.
    PendingSince,
    /// Only while a customer message is unanswered: since the oldest unanswered one.
    AwaitingReply,
}

pub use casebook_core::model::Recipient;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum AssignStrategy {
    /// The team's agents in turn.
    RoundRobin,
    /// The agent with the fewest unsolved tickets.
    LeastLoaded,
    /// Least loaded among the agents whose skills name `skill` (or the ticket's type).
    BySkill,
}

/// One test on a ticket. Lists mean "is one of"; `not` turns it into "is none of".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "if", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Condition {
    /// Triggers only: what just happened.
    Event { events: Vec<TriggerEvent> },
    Status {
        values: Vec<Status>,
        #[serde(default)]
        not: bool,
    },
    Priority {
        values: Vec<Priority>,
        #[serde(default)]
        not: bool,
    },
    Type {
        values: Vec<String>,
        #[serde(default)]
        not: bool,
    },
    /// Team names; "none" is "no team".
    Team {
        values: Vec<String>,
        #[serde(default)]
        not: bool,
    },
    /// Agent emails; "none" is "unassigned".
    Assignee {
        values: Vec<String>,
        #[serde(default)]
        not: bool,
    },
    RequesterTier {
        values: Vec<Tier>,
        #[serde(default)]
        not: bool,
    },
    Channel {
        values: Vec<Channel>,
        #[serde(default)]
        not: bool,
    },
    /// Has any of these tags.
    Tags {
        values: Vec<String>,
        #[serde(default)]
        not: bool,
    },
    /// Contains any of the terms (case-insensitive; whole words where the script has words).
    Text {
        field: TextField,
        terms: Vec<String>,
        #[serde(default)]
        not: bool,
    },
    /// Hours (calendar) since an instant: at least `at_least`, and less than `less_than`.
    /// False when the instant does not exist (never replied, not pending, nothing unanswered).
    HoursSince {
        since: Since,
        #[serde(default)]
        at_least: Option<f64>,
        #[serde(default)]
        less_than: Option<f64>,
    },
    Sla {
        values: Vec<SlaState>,
        #[serde(default)]
        not: bool,
    },
    /// Tickets from the same requester in the last `days` days with a similar subject
    /// (this one included) number at least `at_least`: the same problem again and again.
    SimilarFromRequester { at_least: u32, days: u32 },
    /// The customer's text says at least this many people are affected ("15 users", "20명").
    AffectedUsers { at_least: u32 },
    /// An earlier ticket of the same requester, created at most `within_hours` before this
    /// one, with a subject at least `min_similarity` alike (0–1) — and the same type if asked.
    /// The merge action merges into it.
    DuplicateOf {
        within_hours: f64,
        min_similarity: f64,
        #[serde(default)]
        same_type: bool,
    },
}

/// One change a rule makes. Every one is written as an event whose actor is `rule:<name>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Action {
    SetStatus {
        status: Status,
        #[serde(default)]
        reason: Option<Resolution>,
    },
    SetPriority {
        priority: Priority,
    },
    /// One step up (Low → Medium → High → Urgent).
    RaisePriority,
    SetType {
        #[serde(rename = "type")]
        ticket_type: String,
    },
    /// A team name, or none to clear it.
    SetTeam {
        #[serde(default)]
        team: Option<String>,
    },
    /// An agent's email, or none to unassign.
    Assign {
        #[serde(default)]
        agent: Option<String>,
    },
    /// Reassign to the backup agent of the ticket's team.
    AssignBackup,
    /// Pick an agent: within `team` (the ticket's team when none), or by skill.
    AutoAssign {
        strategy: AssignStrategy,
        #[serde(default)]
        team: Option<String>,
        #[serde(default)]
        skill: Option<String>,
    },
    AddTags {
        tags: Vec<String>,
    },
    RemoveTags {
        tags: Vec<String>,
    },
    /// Set what the similar solved tickets suggest (type, priority, team, an assignee when
    /// there is none yet, tags), each suggestion at least `min_confidence` sure (0.5–1).
    ApplyTriage {
        min_confidence: f64,
    },
    AddNote {
        body: String,
    },
    /// Send a macro to the requester as a public reply.
    SendMacro {
        #[serde(rename = "macro")]
        macro_name: String,
    },
    /// Close as a duplicate of the ticket `duplicate_of` found, linked and merged into it.
    MergeIntoOriginal,
    /// Raise an alert (a desktop notification) for these people.
    Notify {
        to: Vec<Recipient>,
        message: String,
    },
}

/// An error in one part of a rule, named in the message ("condition 2 (team): …").
fn bad(part: &RulePart, problem: Problem) -> Error {
    Error::invalid("rule", Problem::InRule { part: part.clone(), problem: Box::new(problem) })
}

/// An error of a check the rule's part went through (a tag, a type, a text), named as its part's.
fn bad_part(part: &RulePart, e: Error) -> Error {
    match e.problem() {
        Some(problem) => bad(part, problem),
        None => Error::validation("rule", format!("{part}: {e}")),
    }
}

fn exists(conn: &Connection, sql: &str, key: &str) -> Result<bool> {
    Ok(conn.query_row(sql, [key.trim()], |_| Ok(())).optional()?.is_some())
}

fn not_empty<T>(list: &[T], field: &RulePart, what: &str) -> Result<()> {
    if list.is_empty() {
        return Err(bad(field, Problem::ChooseAtLeastOne { what: what.to_string() }));
    }
    Ok(())
}

fn terms_ok(terms: &[String], field: &RulePart) -> Result<()> {
    if terms.iter().all(|t| t.trim().is_empty()) {
        return Err(bad(field, Problem::GiveAWord));
    }
    Ok(())
}

impl RuleDefinition {
    /// Checks the rule against the workspace (its teams, agents, types and macros), returning
    /// it tidied. Errors name the condition or action: "condition 2 (team): …".
    pub fn validated(mut self, conn: &Connection) -> Result<RuleDefinition> {
        self.name = validate::name("name", &self.name)?;
        if self.name.len() > 80 {
            return Err(bad(&RulePart::Name, Problem::RuleNameTooLong));
        }
        if self.all.is_empty() && self.any.is_empty() {
            return Err(bad(&RulePart::Conditions, Problem::NoCondition));
        }
        if self.actions.is_empty() {
            return Err(bad(&RulePart::Actions, Problem::NoAction));
        }
        let has_duplicate_condition = self.all.iter().any(|c| matches!(c, Condition::DuplicateOf { .. }));
        for (i, c) in self.all.iter_mut().chain(self.any.iter_mut()).enumerate() {
            let field = RulePart::Condition { n: i + 1, kind: c.key().to_string() };
            c.validate(conn, self.kind, &field)?;
        }
        for (i, a) in self.actions.iter_mut().enumerate() {
            let field = RulePart::Action { n: i + 1, kind: a.key().to_string() };
            a.validate(conn, &field)?;
            if matches!(a, Action::MergeIntoOriginal) && !has_duplicate_condition {
                return Err(bad(&field, Problem::MergeNeedsDuplicate));
            }
        }
        Ok(self)
    }
}

impl Condition {
    pub fn key(&self) -> &'static str {
        match self {
            Condition::Event { .. } => "event",
            Condition::Status { .. } => "status",
            Condition::Priority { .. } => "priority",
            Condition::Type { .. } => "type",
            Condition::Team { .. } => "team",
            Condition::Assignee { .. } => "assignee",
            Condition::RequesterTier { .. } => "requester_tier",
            Condition::Channel { .. } => "channel",
            Condition::Tags { .. } => "tags",
            Condition::Text { .. } => "text",
            Condition::HoursSince { .. } => "hours_since",
            Condition::Sla { .. } => "sla",
            Condition::SimilarFromRequester { .. } => "similar_from_requester",
            Condition::AffectedUsers { .. } => "affected_users",
            Condition::DuplicateOf { .. } => "duplicate_of",
        }
    }

    fn validate(&mut self, conn: &Connection, kind: RuleKind, field: &RulePart) -> Result<()> {
        match self {
            Condition::Event { events } => {
                if kind == RuleKind::Time {
                    return Err(bad(field, Problem::EventInTimeRule));
                }
                not_empty(events, field, "event")
            }
            Condition::Status { values, .. } => not_empty(values, field, "status"),
            Condition::Priority { values, .. } => not_empty(values, field, "priority"),
            Condition::RequesterTier { values, .. } => not_empty(values, field, "tier"),
            Condition::Channel { values, .. } => not_empty(values, field, "channel"),
            Condition::Sla { values, .. } => not_empty(values, field, "SLA state"),
            Condition::Type { values, .. } => {
                not_empty(values, field, "type")?;
                for v in values.iter_mut() {
                    *v = casebook_store::resolve_type(conn, v).map_err(|e| bad_part(field, e))?;
                }
                Ok(())
            }
            Condition::Team { values, .. } => {
                not_empty(values, field, "team")?;
                for v in values.iter_mut() {
                    *v = v.trim().to_string();
                    if !v.eq_ignore_ascii_case("none") && !exists(conn, "SELECT 1 FROM teams WHERE name = ?1", v)? {
                        return Err(bad(field, Problem::NoTeam { name: v.clone() }));
                    }
                }
                Ok(())
            }
            Condition::Assignee { values, .. } => {
                not_empty(values, field, "agent")?;
                for v in values.iter_mut() {
                    *v = v.trim().to_string();
                    if !v.eq_ignore_ascii_case("none") && !exists(conn, "SELECT 1 FROM agents WHERE email = ?1", v)? {
                        return Err(bad(field, Problem::NoAgentEmail { email: v.clone() }));
                    }
                }
                Ok(())
            }
            Condition::Tags { values, .. } => {
                *values = validate::tags(values).map_err(|e| bad_part(field, e))?;
                not_empty(values, field, "tag")
            }
            Condition::Text { terms, .. } => {
                terms.retain(|t| !t.trim().is_empty());
                terms_ok(terms, field)
            }
            Condition::HoursSince { at_least, less_than, .. } => {
                for h in [*at_least, *less_than].into_iter().flatten() {
                    if !(0.0..=24.0 * 3650.0).contains(&h) {
                        return Err(bad(field, Problem::HoursRange));
                    }
                }
                match (*at_least, *less_than) {
                    (None, None) => Err(bad(field, Problem::HoursGiveOne)),
                    (Some(a), Some(b)) if a >= b => Err(bad(field, Problem::HoursOrder)),
                    _ => Ok(()),
                }
            }
            Condition::SimilarFromRequester { at_least, days } => {
                if *at_least < 2 || *days == 0 || *days > 3650 {
                    return Err(bad(field, Problem::CountRange));
                }
                Ok(())
            }
            Condition::AffectedUsers { at_least } => {
                if *at_least == 0 {
                    return Err(bad(field, Problem::PeopleAtLeastOne));
                }
                Ok(())
            }
            Condition::DuplicateOf { within_hours, min_similarity, .. } => {
                if kind == RuleKind::Time {
                    return Err(bad(field, Problem::DuplicatesOnArrival));
                }
                if !(*within_hours > 0.0 && *within_hours <= 24.0 * 365.0) {
                    return Err(bad(field, Problem::WindowRange));
                }
                if !(0.1..=1.0).contains(min_similarity) {
                    return Err(bad(field, Problem::SimilarityRange));
                }
                Ok(())
            }
        }
    }
}

impl Action {
    pub fn key(&self) -> &'static str {
        match self {
            Action::SetStatus { .. } => "set_status",
            Action::SetPriority { .. } => "set_priority",
            Action::RaisePriority => "raise_priority",
            Action::SetType { .. } => "set_type",
            Action::SetTeam { .. } => "set_team",
            Action::Assign { .. } => "assign",
            Action::AssignBackup => "assign_backup",
            Action::AutoAssign { .. } => "auto_assign",
            Action::AddTags { .. } => "add_tags",
            Action::RemoveTags { .. } => "remove_tags",
            Action::ApplyTriage { .. } => "apply_triage",
            Action::AddNote { .. } => "add_note",
            Action::SendMacro { .. } => "send_macro",
            Action::MergeIntoOriginal => "merge_into_original",
            Action::Notify { .. } => "notify",
        }
    }

    fn validate(&mut self, conn: &Connection, field: &RulePart) -> Result<()> {
        match self {
            Action::SetStatus { status, reason } => {
                if *status == Status::New {
                    return Err(bad(field, Problem::BackToNew));
                }
                if reason.is_some() && !status.is_solved() {
                    return Err(bad(field, Problem::ReasonWithoutSolving));
                }
                Ok(())
            }
            Action::SetType { ticket_type } => {
                *ticket_type = casebook_store::resolve_type(conn, ticket_type).map_err(|e| bad_part(field, e))?;
                Ok(())
            }
            Action::SetTeam { team: Some(t) } | Action::AutoAssign { team: Some(t), .. } => {
                *t = t.trim().to_string();
                if !exists(conn, "SELECT 1 FROM teams WHERE name = ?1", t)? {
                    return Err(bad(field, Problem::NoTeam { name: t.clone() }));
                }
                Ok(())
            }
            Action::Assign { agent: Some(a) } => {
                *a = a.trim().to_string();
                if !exists(conn, "SELECT 1 FROM agents WHERE email = ?1 AND active = 1", a)? {
                    return Err(bad(field, Problem::NoActiveAgentEmail { email: a.clone() }));
                }
                Ok(())
            }
            Action::AddTags { tags } | Action::RemoveTags { tags } => {
                *tags = validate::tags(tags).map_err(|e| bad_part(field, e))?;
                not_empty(tags, field, "tag")
            }
            Action::AddNote { body } => {
                *body = validate::body("body", body, false).map_err(|e| bad_part(field, e))?;
                Ok(())
            }
            Action::ApplyTriage { min_confidence } => {
                if !(0.5..=1.0).contains(min_confidence) {
                    return Err(bad(field, Problem::SuggestSure));
                }
                Ok(())
            }
            Action::SendMacro { macro_name } => {
                *macro_name = macro_name.trim().to_string();
                if !exists(conn, "SELECT 1 FROM macros WHERE name = ?1", macro_name)? {
                    return Err(bad(field, Problem::NoMacro { name: macro_name.clone() }));
                }
                Ok(())
            }
            Action::Notify { to, message } => {
                not_empty(to, field, "recipient")?;
                *message = message.trim().to_string();
                if message.is_empty() || message.chars().count() > 300 {
                    return Err(bad(field, Problem::NotifyMessage));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

// ---- The rule in plain words --------------------------------------------------------------

fn list<T>(items: &[T], word: impl Fn(&T) -> String, joiner: &str) -> String {
    let words: Vec<String> = items.iter().map(word).collect();
    match words.len() {
        0 => String::new(),
        1 => words[0].clone(),
        n => format!("{} {joiner} {}", words[..n - 1].join(", "), words[n - 1]),
    }
}

fn hours(h: f64) -> String {
    if h >= 48.0 && (h / 24.0).fract() == 0.0 {
        format!("{} days", h / 24.0)
    } else if h == 1.0 {
        "1 hour".into()
    } else {
        format!("{h} hours")
    }
}

impl Condition {
    pub fn describe(&self) -> String {
        let is = |not: bool| if not { "is not" } else { "is" };
        let quoted = |s: &String| format!("\"{s}\"");
        match self {
            Condition::Event { events } => format!("it was {}", list(events, |e| event_words(*e).into(), "or")),
            Condition::Status { values, not } => format!("status {} {}", is(*not), list(values, |s| s.label().into(), "or")),
            Condition::Priority { values, not } => format!("priority {} {}", is(*not), list(values, |p| p.label().into(), "or")),
            Condition::Type { values, not } => format!("type {} {}", is(*not), list(values, |t| t.clone(), "or")),
            Condition::Team { values, not } => format!("team {} {}", is(*not), list(values, |t| t.clone(), "or")),
            Condition::Assignee { values, not } => {
                format!("assignee {} {}", is(*not), list(values, |a| if a.eq_ignore_ascii_case("none") { "nobody".into() } else { a.clone() }, "or"))
            }
            Condition::RequesterTier { values, not } => format!("the requester {} {}", is(*not), list(values, |t| t.label().into(), "or")),
            Condition::Channel { values, not } => {
                format!("it came {} by {}", if *not { "not" } else { "" }, list(values, |c| c.label().to_lowercase(), "or"))
                    .replace("came  by", "came by")
            }
            Condition::Tags { values, not } => format!("it {} tagged {}", if *not { "is not" } else { "is" }, list(values, |t| t.clone(), "or")),
            Condition::Text { field, terms, not } => {
                let what = match field {
                    TextField::Subject => "the subject",
                    TextField::Body => "the description",
                    TextField::LatestCustomerMessage => "the latest customer message",
                    TextField::Any => "the subject, description or latest customer message",
                };
                format!("{what} {} {}", if *not { "contains none of" } else { "contains" }, list(terms, quoted, "or"))
            }
            Condition::HoursSince { since, at_least, less_than } => {
                let what = match since {
                    Since::Created => "it was created",
                    Since::Updated => "it was last updated",
                    Since::LastAgentReply => "the last agent reply",
                    Since::LastCustomerReply => "the customer last wrote",
                    Since::StatusChange => "its status last changed",
                    Since::PendingSince => "it became Pending",
                    Since::AwaitingReply => "the customer has been waiting for a reply",
                };
                match (at_least, less_than) {
                    (Some(a), Some(b)) => format!("{what} between {} and {} ago", hours(*a), hours(*b)),
                    (Some(a), None) if *since == Since::AwaitingReply => format!("{what} for at least {}", hours(*a)),
                    (Some(a), None) => format!("{what} at least {} ago", hours(*a)),
                    (None, Some(b)) => format!("{what} less than {} ago", hours(*b)),
                    (None, None) => what.to_string(),
                }
            }
            Condition::Sla { values, not } => format!("the SLA {} {}", is(*not), list(values, |s| s.as_str().replace('_', " "), "or")),
            Condition::SimilarFromRequester { at_least, days } => {
                format!("the requester sent at least {at_least} tickets about the same problem in {days} days")
            }
            Condition::AffectedUsers { at_least } => format!("the customer says at least {at_least} people are affected"),
            Condition::DuplicateOf { within_hours, min_similarity, same_type } => format!(
                "the same requester opened a ticket with a {:.0} % similar subject{} in the {} before",
                min_similarity * 100.0,
                if *same_type { " and the same type" } else { "" },
                hours(*within_hours)
            ),
        }
    }
}

fn event_words(e: TriggerEvent) -> &'static str {
    match e {
        TriggerEvent::Created => "created",
        TriggerEvent::CustomerMessage => "answered by the customer",
        TriggerEvent::AgentReply => "replied to by an agent",
        TriggerEvent::Note => "given an internal note",
        TriggerEvent::StatusChanged => "moved to another status",
        TriggerEvent::FieldChanged => "changed (priority, type, team, assignee or tags)",
    }
}

impl Action {
    pub fn describe(&self) -> String {
        match self {
            Action::SetStatus { status, reason } => match reason {
                Some(r) => format!("set status {} ({})", status.label(), r.as_str().replace('_', " ")),
                None => format!("set status {}", status.label()),
            },
            Action::SetPriority { priority } => format!("set priority {}", priority.label()),
            Action::RaisePriority => "raise the priority one step".into(),
            Action::SetType { ticket_type } => format!("set type {ticket_type}"),
            Action::SetTeam { team } => match team {
                Some(t) => format!("move it to team {t}"),
                None => "clear the team".into(),
            },
            Action::Assign { agent } => match agent {
                Some(a) => format!("assign it to {a}"),
                None => "unassign it".into(),
            },
            Action::AssignBackup => "reassign it to the team's backup agent".into(),
            Action::AutoAssign { strategy, team, skill } => {
                let within = team.as_ref().map(|t| format!(" in team {t}")).unwrap_or_else(|| " in the ticket's team".into());
                match strategy {
                    AssignStrategy::RoundRobin => format!("assign it to the next agent{within} in turn"),
                    AssignStrategy::LeastLoaded => format!("assign it to the least busy agent{within}"),
                    AssignStrategy::BySkill => match skill {
                        Some(s) => format!("assign it to the least busy agent with the skill \"{s}\""),
                        None => "assign it to the least busy agent skilled in its type".into(),
                    },
                }
            }
            Action::AddTags { tags } => format!("tag it {}", list(tags, |t| t.clone(), "and")),
            Action::RemoveTags { tags } => format!("remove the tags {}", list(tags, |t| t.clone(), "and")),
            Action::ApplyTriage { min_confidence } => {
                format!("set what similar solved tickets suggest, where at least {:.0} % of them agree", min_confidence * 100.0)
            }
            Action::AddNote { body } => format!("add the internal note \"{}\"", shorten(body, 60)),
            Action::SendMacro { macro_name } => format!("reply to the customer with the macro \"{macro_name}\""),
            Action::MergeIntoOriginal => "close it as a duplicate, merged into the earlier ticket".into(),
            Action::Notify { to, message } => format!(
                "notify {}: \"{}\"",
                list(
                    to,
                    |r| match r {
                        Recipient::Assignee => "the assignee".into(),
                        Recipient::Lead => "the lead".into(),
                        Recipient::Admin => "the admin".into(),
                    },
                    "and"
                ),
                shorten(message, 60)
            ),
        }
    }
}

/// The whole rule in one paragraph: "When a ticket is created, if … and …: … and …."
pub fn describe(def: &RuleDefinition) -> String {
    let when = match def.kind {
        RuleKind::Trigger => "When a ticket is created or changed",
        RuleKind::Time => "On every scheduled pass over tickets that are not closed",
    };
    let mut parts = Vec::new();
    if !def.all.is_empty() {
        parts.push(list(&def.all, Condition::describe, "and"));
    }
    if !def.any.is_empty() {
        let any = list(&def.any, Condition::describe, "or");
        parts.push(if def.any.len() > 1 { format!("either {any}") } else { any });
    }
    let actions = list(&def.actions, Action::describe, "and");
    format!("{when}, if {}: {actions}.", parts.join(", and "))
}

/// At most `n` characters, cut at a character boundary (never mid-syllable), with "…".
fn shorten(s: &str, n: usize) -> String {
    let s = s.trim();
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}
