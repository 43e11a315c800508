//! What a refusal says, as a key and its values rather than as finished English: the window
//! says it in the user's language (`ui/src/lib/problems.ts`; a key missing from one of its
//! catalogues fails the type check), while the CLI and the log print the English below.
//! Values that are words of the domain (a status, a priority) stay typed, so they are
//! translated too; text the user typed is carried as it was typed.

use crate::model::{Priority, Status};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "key", content = "args", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Problem {
    SubjectEmpty,
    SubjectTooLong {
        max: usize,
    },
    SubjectOneLine,
    TextTooLarge {
        kib: usize,
    },
    MessageEmpty,
    TextNul,
    EmailNeeded,
    NotAnEmail {
        text: String,
    },
    /// `field`: name, organisation, team or type.
    NameEmpty {
        field: String,
    },
    NameTooLong {
        field: String,
    },
    NotATag {
        text: String,
    },
    ReasonNotApplicable {
        to: Status,
    },
    ReasonWithoutSolving,
    MergedElsewhere {
        number: i64,
        into: i64,
    },
    MergeIntoItself,
    LinkToItself,
    FixNotAnAgentMessage,
    PlaceholderNotClosed,
    UnknownPlaceholder {
        name: String,
        known: String,
    },
    MacroEmpty,
    BackToNew,
    NotATime {
        text: String,
    },
    TimePassed {
        text: String,
    },
    TimeTooFar {
        text: String,
    },
    SnoozeSolved {
        number: i64,
        status: Status,
    },
    FollowUpSolved {
        number: i64,
        status: Status,
    },
    NoAgent,
    NoAgentForMe,
    AgentInactive {
        email: String,
    },
    AdminOnly {
        what: AdminArea,
        email: String,
    },
    BuiltinViewName {
        name: String,
    },
    ViewNameTaken {
        name: String,
    },
    RuleNameTaken {
        name: String,
    },
    NotATimeOfDay {
        text: String,
    },
    NoWorkingDay,
    NotAWeekday {
        n: u32,
    },
    HoursBackwards {
        start: String,
        end: String,
    },
    NotATimeZone {
        text: String,
    },
    OnePolicyPerPriority {
        priority: Priority,
    },
    TargetsPositive {
        priority: Priority,
    },
    AtRiskShare,
    TooManyKeywords {
        max: usize,
        n: usize,
    },
    KeywordMatchesAll {
        keyword: String,
    },
    KeywordTooLong {
        keyword: String,
        max: usize,
    },
    KeywordTwice {
        keyword: String,
    },
    AttachmentTooLarge {
        name: String,
    },
    // Why a bulk change left a ticket as it was.
    ClosedDoNotChange,
    NoSuchTicket,
    NotDirectly {
        from: Status,
        to: Status,
    },
    ChangedAgainSince,
    TypeExists {
        name: String,
    },
    TeamExists {
        name: String,
    },
    AgentExists {
        email: String,
    },
    // A rule the editor sends: where in it, and what.
    InRule {
        part: RulePart,
        problem: Box<Problem>,
    },
    /// `what`: event, status, priority, tier, channel, SLA state, type, team, agent, tag or recipient.
    ChooseAtLeastOne {
        what: String,
    },
    GiveAWord,
    RuleNameTooLong,
    NoCondition,
    NoAction,
    MergeNeedsDuplicate,
    EventInTimeRule,
    NoTeam {
        name: String,
    },
    NoAgentEmail {
        email: String,
    },
    NoActiveAgentEmail {
        email: String,
    },
    HoursRange,
    HoursGiveOne,
    HoursOrder,
    CountRange,
    PeopleAtLeastOne,
    DuplicatesOnArrival,
    WindowRange,
    SimilarityRange,
    SuggestSure,
    NoMacro {
        name: String,
    },
    NotifyMessage,
    // What the other kinds of error say (`Error::problem`): the window needs their facts, not
    // their English.
    NotFound {
        what: String,
        key: String,
    },
    TicketClosed {
        number: i64,
    },
    IllegalTransition {
        number: i64,
        from: Status,
        to: Status,
    },
    DiskFull,
    ReadOnly,
    DiskError,
    SyncPaused {
        reason: String,
    },
    MailServer {
        detail: String,
    },
}

/// Where in a rule a refusal is: its name, its conditions or actions as a whole, or one of
/// them (counted from 1, with its kind as the rule's JSON names it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "part", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum RulePart {
    Name,
    Conditions,
    Actions,
    Condition { n: usize, kind: String },
    Action { n: usize, kind: String },
}

impl fmt::Display for RulePart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RulePart::Name => write!(f, "name"),
            RulePart::Conditions => write!(f, "conditions"),
            RulePart::Actions => write!(f, "actions"),
            RulePart::Condition { n, kind } => write!(f, "condition {n} ({kind})"),
            RulePart::Action { n, kind } => write!(f, "action {n} ({kind})"),
        }
    }
}

/// A field's name as the first word of a sentence ("ticket_type" → "Ticket type").
/// What only an admin may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum AdminArea {
    SlaPolicies,
    TicketTypes,
    Rules,
    Agents,
    Teams,
    AlertSettings,
    SupportAddress,
}

impl fmt::Display for AdminArea {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AdminArea::SlaPolicies => "the SLA policies",
            AdminArea::TicketTypes => "the ticket types",
            AdminArea::Rules => "rules",
            AdminArea::Agents => "agents",
            AdminArea::Teams => "teams",
            AdminArea::AlertSettings => "the alert settings",
            AdminArea::SupportAddress => "the support address",
        })
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.replace('_', " ").chars().collect::<Vec<_>>();
    if let Some(f) = c.first_mut() {
        *f = f.to_ascii_uppercase();
    }
    c.into_iter().collect()
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Problem::*;
        match self {
            SubjectEmpty => write!(f, "Subject can't be empty"),
            SubjectTooLong { max } => write!(f, "Subject is longer than {max} characters"),
            SubjectOneLine => write!(f, "Subject can't contain line breaks or control characters"),
            TextTooLarge { kib } => write!(f, "Text is {kib} KiB; the limit is 1 MiB"),
            MessageEmpty => write!(f, "Message can't be empty"),
            TextNul => write!(f, "Text can't contain NUL characters"),
            EmailNeeded => write!(f, "An email address is needed"),
            NotAnEmail { text } => write!(f, "'{text}' is not an email address"),
            NameEmpty { field } => write!(f, "{} can't be empty", capitalised(field)),
            NameTooLong { field } => write!(f, "{} must be one line of at most 200 characters", capitalised(field)),
            NotATag { text } => write!(f, "'{text}' is not a tag (letters, digits, - _ / . ; no spaces)"),
            ReasonNotApplicable { to } => write!(f, "a resolution reason only applies when resolving or closing, not to {to}"),
            ReasonWithoutSolving => write!(f, "a resolution reason goes with setting the status to resolved or closed"),
            MergedElsewhere { number, into } => write!(f, "#{number} was itself merged into #{into}; merge into #{into}"),
            MergeIntoItself => write!(f, "a ticket cannot be merged into itself"),
            LinkToItself => write!(f, "a ticket cannot be linked to itself"),
            FixNotAnAgentMessage => write!(f, "only an agent's reply or note can be marked as the fix"),
            PlaceholderNotClosed => write!(f, "a '{{{{' placeholder is not closed with '}}}}'"),
            UnknownPlaceholder { name, known } => write!(f, "unknown placeholder {{{{{name}}}}} (known: {known})"),
            MacroEmpty => write!(f, "a macro needs a text, an action, or both"),
            BackToNew => write!(f, "no ticket goes back to New"),
            NotATime { text } => write!(f, "'{text}' is not a time (e.g. 2h, 3d, tomorrow, monday 9:00, 14:30, 2026-03-09 14:30)"),
            TimePassed { text } => write!(f, "'{text}' has already passed"),
            TimeTooFar { text } => write!(f, "'{text}' is more than a year ahead"),
            SnoozeSolved { number, status } => write!(f, "#{number} is {}: only unsolved tickets are snoozed", status.label()),
            FollowUpSolved { number, status } => write!(f, "#{number} is {}: there is no answer to wait for", status.label()),
            NoAgent => write!(f, "no agent to act as: add an agent first"),
            NoAgentForMe => write!(f, "no agent to act as for 'me': add an agent first"),
            AgentInactive { email } => write!(f, "{email} is no longer an active agent"),
            AdminOnly { what, email } => write!(f, "only an admin can change {what}; {email} is an agent"),
            BuiltinViewName { name } => write!(f, "'{name}' is the name of a built-in view"),
            ViewNameTaken { name } => write!(f, "there is already a view called '{name}'"),
            RuleNameTaken { name } => write!(f, "there is already a rule called '{name}'"),
            NotATimeOfDay { text } => write!(f, "'{text}' is not a time of day (HH:MM)"),
            NoWorkingDay => write!(f, "business hours need at least one working day"),
            NotAWeekday { n } => write!(f, "weekday {n} is not 1 (Monday) … 7 (Sunday)"),
            HoursBackwards { start, end } => write!(f, "working hours {start}–{end} end before they start"),
            NotATimeZone { text } => write!(f, "'{text}' is not an IANA time zone (e.g. Europe/Warsaw)"),
            OnePolicyPerPriority { priority } => write!(f, "there must be exactly one SLA policy for {priority} priority"),
            TargetsPositive { priority } => write!(f, "SLA targets for {priority} must be positive"),
            AtRiskShare => write!(f, "the at-risk share must be between 0 and 1 (e.g. 0.75)"),
            TooManyKeywords { max, n } => write!(f, "at most {max} keywords, not {n}"),
            KeywordMatchesAll { keyword } => write!(f, "'{keyword}' matches everything; a keyword needs letters"),
            KeywordTooLong { keyword, max } => write!(f, "the keyword '{keyword}' is longer than {max} characters"),
            KeywordTwice { keyword } => write!(f, "the keyword '{keyword}' is in the list twice"),
            AttachmentTooLarge { name } => write!(f, "{name} is larger than 50 MiB"),
            ClosedDoNotChange => write!(f, "closed tickets do not change"),
            NoSuchTicket => write!(f, "no such ticket"),
            NotDirectly { from, to } => write!(f, "{} cannot become {} directly", from.label(), to.label()),
            ChangedAgainSince => write!(f, "changed again since"),
            TypeExists { name } => write!(f, "the type '{name}' already exists"),
            TeamExists { name } => write!(f, "a team named '{name}' already exists"),
            AgentExists { email } => write!(f, "an agent with the email {email} already exists"),
            InRule { part, problem } => write!(f, "{part}: {problem}"),
            ChooseAtLeastOne { what } => write!(f, "choose at least one {what}"),
            GiveAWord => write!(f, "give at least one word or phrase"),
            RuleNameTooLong => write!(f, "a rule name is at most 80 characters"),
            NoCondition => write!(f, "a rule needs at least one condition (it would act on every ticket)"),
            NoAction => write!(f, "a rule needs at least one action"),
            MergeNeedsDuplicate => write!(f, "merging needs the condition \"duplicate of an earlier ticket\" among the ALL conditions"),
            EventInTimeRule => write!(f, "a time rule runs on a schedule, not on an event; use a trigger"),
            NoTeam { name } => write!(f, "there is no team '{name}'"),
            NoAgentEmail { email } => write!(f, "there is no agent with the email '{email}'"),
            NoActiveAgentEmail { email } => write!(f, "there is no active agent with the email '{email}'"),
            HoursRange => write!(f, "hours must be between 0 and ten years"),
            HoursGiveOne => write!(f, "give \"at least\" hours, \"less than\" hours, or both"),
            HoursOrder => write!(f, "\"at least\" must be below \"less than\""),
            CountRange => write!(f, "count at least 2 tickets over 1 day to 10 years"),
            PeopleAtLeastOne => write!(f, "the number of people must be at least 1"),
            DuplicatesOnArrival => write!(f, "duplicates are found when a ticket arrives; use a trigger"),
            WindowRange => write!(f, "the window must be more than 0 hours and at most a year"),
            SimilarityRange => write!(f, "similarity is between 0.1 and 1 (0.8 = 80 % alike)"),
            SuggestSure => write!(f, "apply suggestions at least 50 % sure (0.5 to 1)"),
            NoMacro { name } => write!(f, "there is no macro '{name}'"),
            NotifyMessage => write!(f, "the notification needs a message of at most 300 characters"),
            NotFound { what, key } => write!(f, "{what} {key} does not exist"),
            TicketClosed { number } => write!(f, "ticket #{number} is closed and can no longer be changed"),
            IllegalTransition { number, from, to } => write!(f, "ticket #{number} cannot go from {from} to {to}"),
            DiskFull => write!(f, "the disk is full: free some space and try again; nothing of this change was kept"),
            ReadOnly => write!(f, "the data folder is read-only: nothing of this change was kept"),
            DiskError => write!(f, "the disk could not be written; nothing of this change was kept"),
            SyncPaused { reason } => write!(f, "sync is paused: {reason}"),
            MailServer { detail } => write!(f, "mail server: {detail}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    #[test]
    fn a_problem_travels_as_a_key_and_its_values_and_reads_as_english() {
        let p = Problem::SnoozeSolved { number: 7, status: Status::OnHold };
        assert_eq!(serde_json::to_value(&p).unwrap(), serde_json::json!({"key": "snooze_solved", "args": {"number": 7, "status": "on_hold"}}));
        assert_eq!(serde_json::to_value(Problem::SubjectEmpty).unwrap(), serde_json::json!({"key": "subject_empty"}));
        assert_eq!(p.to_string(), "#7 is On hold: only unsolved tickets are snoozed");
        assert_eq!(Problem::NameEmpty { field: "ticket_type".into() }.to_string(), "Ticket type can't be empty");
        assert_eq!(Problem::UnknownPlaceholder { name: "x".into(), known: "a, b".into() }.to_string(), "unknown placeholder {{x}} (known: a, b)");
        assert_eq!(Problem::PlaceholderNotClosed.to_string(), "a '{{' placeholder is not closed with '}}'");
    }

    #[test]
    fn every_error_the_window_can_meet_names_its_problem() {
        let e = Error::invalid("subject", Problem::SubjectEmpty);
        assert_eq!((e.to_string().as_str(), e.field(), e.problem()), ("Subject can't be empty", Some("subject"), Some(Problem::SubjectEmpty)));
        // The other kinds of error give their facts, domain words typed.
        let moved = Error::IllegalTransition { number: 3, from: Status::OnHold, to: Status::New };
        assert_eq!(moved.problem(), Some(Problem::IllegalTransition { number: 3, from: Status::OnHold, to: Status::New }));
        assert_eq!(Error::ticket_not_found(9).problem(), Some(Problem::NotFound { what: "ticket".into(), key: "#9".into() }));
        let full = Error::Io(std::io::Error::from_raw_os_error(28));
        assert_eq!(full.problem(), Some(Problem::DiskFull));
        // A refusal only the CLI meets stays English words, and says so by having no problem.
        assert_eq!(Error::validation("file", "no column for requester").problem(), None);
        let payload = crate::ErrorPayload::from(&e);
        assert_eq!(serde_json::to_value(&payload).unwrap()["problem"], serde_json::json!({"key": "subject_empty"}));
    }
}
