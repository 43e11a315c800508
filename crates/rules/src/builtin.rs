//! The built-in rules of PRODUCT R2, from the status-automation guide in the seeds
//! (`seeds/000_…`): each is an ordinary rule, stored as data and editable; these are only
//! the definitions a workspace starts with (and can reset a built-in to).

use crate::definition::*;
use casebook_core::model::{Priority, Resolution, Status, Tier};

/// Macros the built-ins send; added to a workspace that lacks them.
pub const BUILTIN_MACROS: [(&str, &str); 2] = [
    (
        "Duplicate request",
        "Hello {{requester.name}},\n\nThank you for your message. It is about the same problem as your request #{{ticket.duplicate_of}}, so we have added it there and will answer you in that ticket.\n\n{{agent.name}}",
    ),
    (
        "Waiting for your reply",
        "Hello {{requester.name}},\n\nWe are still waiting for your answer about \"{{ticket.subject}}\" (#{{ticket.number}}). Could you send us the details we asked for? If we do not hear from you within five days we will close the ticket; replying reopens it at any time.\n\n{{agent.name}}",
    ),
];

/// "It works now" in the three languages of the seeds.
pub const CONFIRMATIONS: &[&str] = &[
    "resolved",
    "works now",
    "working now",
    "it works",
    "fixed",
    "problem solved",
    "all good now",
    "해결되었습니다",
    "해결됐습니다",
    "문제없습니다",
    "문제 없습니다",
    "잘 됩니다",
    "정상 작동",
    "działa",
    "już działa",
    "rozwiązany",
    "rozwiązane",
];

/// Phrases that turn a confirmation around ("still not resolved", "nie działa").
pub const NEGATIONS: &[&str] = &[
    "not",
    "isn't",
    "doesn't",
    "don't",
    "didn't",
    "still",
    "no longer",
    "nie działa",
    "nadal nie",
    "dalej nie",
    "wciąż nie",
    "안 됩니다",
    "안됩니다",
    "되지 않",
    "않습니다",
    "아직",
    "여전히",
];

/// Words that make a ticket complex (seeds: "서버 다운", "네트워크 장애", "보안 침해").
pub const COMPLEXITY_TERMS: &[&str] = &[
    "server down",
    "servers down",
    "network outage",
    "security breach",
    "data breach",
    "outage",
    "ransomware",
    "서버 다운",
    "네트워크 장애",
    "보안 침해",
    "awaria",
    "awaria serwera",
    "awaria sieci",
    "naruszenie bezpieczeństwa",
];

fn words(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn rule(name: &str, kind: RuleKind, enabled: bool, note: &str, all: Vec<Condition>, any: Vec<Condition>, actions: Vec<Action>) -> RuleDefinition {
    RuleDefinition { name: name.into(), kind, enabled, note: note.into(), all, any, actions }
}

const WORKING: [Status; 3] = [Status::New, Status::Open, Status::OnHold];

fn awaiting(hours: f64) -> Vec<Condition> {
    vec![
        Condition::Status { values: WORKING.to_vec(), not: false },
        Condition::HoursSince { since: Since::AwaitingReply, at_least: Some(hours), less_than: None },
    ]
}

/// The built-ins in their order, each with the key that ties it to its origin.
pub fn builtins() -> Vec<(&'static str, RuleDefinition)> {
    use Condition as C;
    vec![
        (
            "duplicates",
            rule(
                "Close duplicate requests",
                RuleKind::Trigger,
                true,
                "The same requester writing again within 12 hours about a subject at least 80 % alike, of the same type: the new ticket is merged into the first, and the requester is told where the answer will come.",
                vec![
                    C::Event { events: vec![TriggerEvent::Created] },
                    C::DuplicateOf { within_hours: 12.0, min_similarity: 0.8, same_type: true },
                ],
                vec![],
                vec![Action::MergeIntoOriginal, Action::SendMacro { macro_name: "Duplicate request".into() }],
            ),
        ),
        (
            "auto_resolve",
            rule(
                "Resolve when the customer confirms the fix",
                RuleKind::Trigger,
                true,
                "A customer who answers within 24 hours of an agent's reply that it is resolved or works now (해결되었습니다, 문제없습니다, działa) gets the ticket resolved, reason \"confirmed by customer\" — unless the message says it is not or still not.",
                vec![
                    C::Event { events: vec![TriggerEvent::CustomerMessage] },
                    C::Status { values: vec![Status::New, Status::Open, Status::Pending, Status::OnHold], not: false },
                    C::HoursSince { since: Since::LastAgentReply, at_least: None, less_than: Some(24.0) },
                    C::Text { field: TextField::LatestCustomerMessage, terms: words(CONFIRMATIONS), not: false },
                    C::Text { field: TextField::LatestCustomerMessage, terms: words(NEGATIONS), not: true },
                ],
                vec![],
                vec![Action::SetStatus { status: Status::Resolved, reason: Some(Resolution::ConfirmedByCustomer) }],
            ),
        ),
        (
            "complexity",
            rule(
                "Escalate complex problems to a senior agent",
                RuleKind::Trigger,
                true,
                "Outages and security incidents, problems affecting 10 or more people, or the same problem from the same requester for the third time in 30 days go to the least busy agent with the skill \"senior\", tagged and announced to the lead.",
                vec![
                    C::Event { events: vec![TriggerEvent::Created, TriggerEvent::CustomerMessage] },
                    C::Status { values: vec![Status::New, Status::Open, Status::Pending, Status::OnHold], not: false },
                ],
                vec![
                    C::Text { field: TextField::Any, terms: words(COMPLEXITY_TERMS), not: false },
                    C::AffectedUsers { at_least: 10 },
                    C::SimilarFromRequester { at_least: 3, days: 30 },
                ],
                vec![
                    Action::AutoAssign { strategy: AssignStrategy::BySkill, team: None, skill: Some("senior".into()) },
                    Action::AddTags { tags: vec!["escalated".into()] },
                    Action::Notify { to: vec![Recipient::Lead, Recipient::Assignee], message: "Complex problem escalated to a senior agent".into() },
                ],
            ),
        ),
        (
            "escalate_2h",
            rule(
                "No reply for 2 hours: notify and raise priority",
                RuleKind::Time,
                true,
                "First step of the seeds' escalation: a customer waiting 2 hours for a reply. Stops by itself once an agent replies or the ticket is resolved.",
                awaiting(2.0),
                vec![],
                vec![
                    Action::Notify { to: vec![Recipient::Assignee, Recipient::Lead], message: "Customer waiting 2 hours for a reply".into() },
                    Action::RaisePriority,
                ],
            ),
        ),
        (
            "escalate_4h",
            rule(
                "No reply for 4 hours: reassign to the backup agent",
                RuleKind::Time,
                true,
                "Second step: after 4 hours without a reply the team's backup agent takes the ticket.",
                awaiting(4.0),
                vec![],
                vec![
                    Action::AssignBackup,
                    Action::Notify { to: vec![Recipient::Assignee, Recipient::Lead], message: "Customer waiting 4 hours: reassigned to the backup agent".into() },
                ],
            ),
        ),
        (
            "escalate_8h",
            rule(
                "No reply for 8 hours: Urgent and tell the admin",
                RuleKind::Time,
                true,
                "Third step: after 8 hours without a reply the ticket becomes Urgent and the admin hears of it.",
                awaiting(8.0),
                vec![],
                vec![
                    Action::SetPriority { priority: Priority::Urgent },
                    Action::Notify { to: vec![Recipient::Admin], message: "Customer waiting 8 hours for a reply".into() },
                ],
            ),
        ),
        (
            "pending_reminder",
            rule(
                "Remind the customer after 2 days in Pending",
                RuleKind::Time,
                true,
                "Waiting on the customer: a reminder after 48 hours.",
                vec![
                    C::Status { values: vec![Status::Pending], not: false },
                    C::HoursSince { since: Since::PendingSince, at_least: Some(48.0), less_than: None },
                ],
                vec![],
                vec![Action::SendMacro { macro_name: "Waiting for your reply".into() }],
            ),
        ),
        (
            "pending_close",
            rule(
                "Close after 7 days in Pending",
                RuleKind::Time,
                true,
                "Waiting on the customer: after a week without an answer the ticket is closed (a reply opens a new one).",
                vec![
                    C::Status { values: vec![Status::Pending], not: false },
                    C::HoursSince { since: Since::PendingSince, at_least: Some(168.0), less_than: None },
                ],
                vec![],
                vec![
                    Action::AddNote { body: "Closed automatically: no answer from the customer for 7 days.".into() },
                    Action::SetStatus { status: Status::Closed, reason: Some(Resolution::AutoClosed) },
                ],
            ),
        ),
        (
            "resolved_close",
            rule(
                "Close resolved tickets after 4 days",
                RuleKind::Time,
                true,
                "A resolved ticket the customer has not reopened within 4 days is closed.",
                vec![
                    C::Status { values: vec![Status::Resolved], not: false },
                    C::HoursSince { since: Since::StatusChange, at_least: Some(96.0), less_than: None },
                ],
                vec![],
                vec![Action::SetStatus { status: Status::Closed, reason: None }],
            ),
        ),
        (
            "auto_assign",
            rule(
                "Assign new tickets in turn",
                RuleKind::Trigger,
                false,
                "Off until teams are set up: new unassigned tickets go to the agents of their team in turn (or choose least busy, or by skill).",
                vec![
                    C::Event { events: vec![TriggerEvent::Created] },
                    C::Assignee { values: vec!["none".into()], not: false },
                ],
                vec![],
                vec![Action::AutoAssign { strategy: AssignStrategy::RoundRobin, team: None, skill: None }],
            ),
        ),
        (
            "vip_priority",
            rule(
                "VIP customers start one priority up",
                RuleKind::Trigger,
                false,
                "Tickets from VIP customers start one priority step higher.",
                vec![
                    C::Event { events: vec![TriggerEvent::Created] },
                    C::RequesterTier { values: vec![Tier::Vip], not: false },
                ],
                vec![],
                vec![Action::RaisePriority],
            ),
        ),
    ]
}
