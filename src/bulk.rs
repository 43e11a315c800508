//! Bulk changes (PRODUCT T4, issue 17): one field set on many tickets at once — from the
//! list's selection or a script's `casebook set 1,2,3 …` — as one transaction with one event
//! per ticket, and its undo.
//!
//! The undo is what the change returns: each changed ticket's field before and after. Undoing
//! puts back the value before only where the ticket still holds the value after, so a change
//! someone made in between (here, on another laptop, or a rule) is not overwritten. Nothing
//! of it is kept in the database: the event log already has both changes, as any two edits.

use crate::events::{self, FieldChange};
use crate::hooks::{Happened, HookCtx};
use crate::model::{Priority, Resolution, Status, Ticket};
use crate::tickets::{change_status, load_ticket, record_field_change, Field};
use crate::workspace::Workspace;
use crate::{people, validate, Error, Problem, Result};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

/// What a bulk action sets on every selected ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "set", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum BulkChange {
    Status {
        to: Status,
        reason: Option<Resolution>,
    },
    Priority {
        to: Priority,
    },
    Type {
        to: String,
    },
    /// An agent's email; none unassigns.
    Assignee {
        to: Option<String>,
    },
    Team {
        to: Option<String>,
    },
    /// Replaces the tags.
    Tags {
        tags: Vec<String>,
    },
    AddTags {
        tags: Vec<String>,
    },
    RemoveTags {
        tags: Vec<String>,
    },
}

impl BulkChange {
    /// From the command line's words: a field (`status`, `priority`, `type`, `assignee` with an
    /// email, `me` or `none`, `team`, `tags`, `add-tags`, `remove-tags`) and its value.
    pub fn parse(field: &str, value: &str, reason: Option<Resolution>, me: Option<&str>) -> Result<BulkChange> {
        let none_if_empty = |v: &str| {
            let v = v.trim();
            (!v.is_empty() && !v.eq_ignore_ascii_case("none") && v != "-").then(|| v.to_string())
        };
        let tags = || value.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect::<Vec<_>>();
        let change = match field.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "add-tags" | "add-tag" => BulkChange::AddTags { tags: tags() },
            "remove-tags" | "remove-tag" => BulkChange::RemoveTags { tags: tags() },
            other => match Field::parse(other).map_err(|_| {
                Error::validation("field", format!("'{field}' is not a field (status, priority, type, assignee, team, tags, add-tags, remove-tags)"))
            })? {
                Field::Status => BulkChange::Status { to: Status::parse(value)?, reason },
                Field::Priority => BulkChange::Priority { to: Priority::parse(value)? },
                Field::Type => BulkChange::Type { to: value.trim().to_string() },
                Field::Assignee => BulkChange::Assignee {
                    to: match none_if_empty(value) {
                        Some(v) if v.eq_ignore_ascii_case("me") => Some(me.ok_or_else(|| Error::invalid("as", Problem::NoAgentForMe))?.to_string()),
                        other => other,
                    },
                },
                Field::Team => BulkChange::Team { to: none_if_empty(value) },
                Field::Tags => BulkChange::Tags { tags: tags() },
            },
        };
        if reason.is_some() && !matches!(change, BulkChange::Status { .. }) {
            return Err(Error::invalid("reason", Problem::ReasonWithoutSolving));
        }
        Ok(change)
    }

    /// A resolution reason goes only with a status that solves (error on `field` otherwise).
    pub(crate) fn check_reason(&self, field: &'static str) -> Result<()> {
        match self {
            BulkChange::Status { to, reason: Some(_) } if !to.is_solved() => Err(Error::invalid(field, Problem::ReasonNotApplicable { to: *to })),
            _ => Ok(()),
        }
    }

    fn field(&self) -> Field {
        match self {
            BulkChange::Status { .. } => Field::Status,
            BulkChange::Priority { .. } => Field::Priority,
            BulkChange::Type { .. } => Field::Type,
            BulkChange::Assignee { .. } => Field::Assignee,
            BulkChange::Team { .. } => Field::Team,
            BulkChange::Tags { .. } | BulkChange::AddTags { .. } | BulkChange::RemoveTags { .. } => Field::Tags,
        }
    }

    /// The value this change gives ticket `t`.
    fn target(&self, t: &Ticket) -> FieldValue {
        match self {
            BulkChange::Status { to, reason } => FieldValue::Status {
                status: *to,
                resolution: match to {
                    Status::Resolved => Some(reason.unwrap_or(Resolution::Solved)),
                    Status::Closed => Some(reason.or(t.resolution).unwrap_or(Resolution::Solved)),
                    _ => None,
                },
            },
            BulkChange::Priority { to } => FieldValue::Priority(*to),
            BulkChange::Type { to } => FieldValue::Type(to.clone()),
            BulkChange::Assignee { to } => FieldValue::Assignee(to.clone()),
            BulkChange::Team { to } => FieldValue::Team(to.clone()),
            BulkChange::Tags { tags } => FieldValue::Tags(tags.clone()),
            BulkChange::AddTags { tags } => FieldValue::Tags(t.tags.iter().chain(tags).cloned().collect()),
            BulkChange::RemoveTags { tags } => FieldValue::Tags(t.tags.iter().filter(|g| !tags.contains(g)).cloned().collect()),
        }
    }
}

/// One field's value on one ticket, in the form that compares: agents by email, teams by name,
/// tags sorted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "field", content = "value", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum FieldValue {
    Status { status: Status, resolution: Option<Resolution> },
    Priority(Priority),
    Type(String),
    Assignee(Option<String>),
    Team(Option<String>),
    Tags(Vec<String>),
}

impl FieldValue {
    fn of(t: &Ticket, field: Field) -> FieldValue {
        match field {
            Field::Status => FieldValue::Status { status: t.status, resolution: t.resolution },
            Field::Priority => FieldValue::Priority(t.priority),
            Field::Type => FieldValue::Type(t.ticket_type.clone()),
            Field::Assignee => FieldValue::Assignee(t.assignee.as_ref().map(|a| a.email.clone())),
            Field::Team => FieldValue::Team(t.team.clone()),
            Field::Tags => FieldValue::Tags(t.tags.clone()),
        }
    }

    /// Gives `t` this value (an agent by email only): the scratch copy a macro's next
    /// change is measured against, never written.
    fn put(&self, t: &mut Ticket) {
        match self {
            FieldValue::Status { status, resolution } => (t.status, t.resolution) = (*status, *resolution),
            FieldValue::Priority(p) => t.priority = *p,
            FieldValue::Type(ty) => t.ticket_type = ty.clone(),
            FieldValue::Assignee(email) => {
                t.assignee = email.as_ref().map(|e| crate::model::PersonRef { id: uuid::Uuid::nil(), name: e.clone(), email: e.clone() })
            }
            FieldValue::Team(name) => t.team = name.clone(),
            FieldValue::Tags(tags) => t.tags = tags.clone(),
        }
    }

    fn field(&self) -> Field {
        match self {
            FieldValue::Status { .. } => Field::Status,
            FieldValue::Priority(_) => Field::Priority,
            FieldValue::Type(_) => Field::Type,
            FieldValue::Assignee(_) => Field::Assignee,
            FieldValue::Team(_) => Field::Team,
            FieldValue::Tags(_) => Field::Tags,
        }
    }

    /// The same value with names as the workspace spells them (a type's, an agent's email and
    /// a team's name as stored; tags cleaned and sorted), so that it compares with what a
    /// ticket reads back.
    fn normalised(self, conn: &Connection) -> Result<FieldValue> {
        Ok(match self {
            FieldValue::Type(t) => FieldValue::Type(Workspace::resolve_type(conn, &t)?),
            FieldValue::Tags(tags) => FieldValue::Tags(validate::tags(&tags)?),
            // As stored: the columns compare without case, and so must the values.
            FieldValue::Assignee(Some(email)) => FieldValue::Assignee(Some(agent_as_stored(conn, &email)?)),
            FieldValue::Team(Some(name)) => FieldValue::Team(Some(team_as_stored(conn, &name)?)),
            other => other,
        })
    }
}

/// `change` with its names as the workspace spells them, each checked to exist (an unknown
/// agent, team or type is an error); an assignee of `keep` (a macro's "me") stays as it is.
pub(crate) fn stored_change(conn: &Connection, change: &BulkChange, keep: &str) -> Result<BulkChange> {
    Ok(match change {
        BulkChange::Type { to } => BulkChange::Type { to: Workspace::resolve_type(conn, to)? },
        BulkChange::Assignee { to: Some(who) } if !who.eq_ignore_ascii_case(keep) => BulkChange::Assignee { to: Some(agent_as_stored(conn, who)?) },
        BulkChange::Team { to: Some(team) } => BulkChange::Team { to: Some(team_as_stored(conn, team)?) },
        BulkChange::Tags { tags } => BulkChange::Tags { tags: validate::tags(tags)? },
        BulkChange::AddTags { tags } => BulkChange::AddTags { tags: validate::tags(tags)? },
        BulkChange::RemoveTags { tags } => BulkChange::RemoveTags { tags: validate::tags(tags)? },
        other => other.clone(),
    })
}

/// An agent's email as stored (an unknown agent is an error).
fn agent_as_stored(conn: &Connection, email: &str) -> Result<String> {
    let id = people::agent_id(conn, email)?;
    Ok(conn.query_row("SELECT email FROM agents WHERE id = ?1", [id], |r| r.get(0))?)
}

/// A team's name as stored (an unknown team is an error).
fn team_as_stored(conn: &Connection, name: &str) -> Result<String> {
    let id = people::team_id(conn, name)?;
    Ok(conn.query_row("SELECT name FROM teams WHERE id = ?1", [id], |r| r.get(0))?)
}

/// A ticket a bulk action left as it was, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Skipped {
    pub number: i64,
    /// In English, for the CLI.
    pub reason: String,
    /// The same, for the window to say in the user's language.
    pub problem: Problem,
}

impl Skipped {
    fn new(number: i64, problem: Problem) -> Skipped {
        Skipped { number, reason: problem.to_string(), problem }
    }
}

/// One changed ticket's field before and after: what its undo needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct UndoEntry {
    pub number: i64,
    pub before: FieldValue,
    pub after: FieldValue,
}

/// What a bulk action (or its undo) did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct BulkOutcome {
    /// Changed, in the order given.
    pub changed: Vec<i64>,
    /// Already had the value.
    pub unchanged: Vec<i64>,
    /// Could not take it: closed, a status move the status machine refuses, not found, or
    /// (for an undo) changed again since.
    pub skipped: Vec<Skipped>,
    /// Hand this to `bulk_undo` to take the change back.
    pub undo: Vec<UndoEntry>,
}

/// The statuses a ticket in `from` passes through to be back in `to`: a solved ticket is
/// reopened first, and nothing returns to New (it comes back Open).
fn path_back(from: Status, to: Status) -> Vec<Status> {
    let to = if to == Status::New { Status::Open } else { to };
    match (from, to) {
        (a, b) if a == b => vec![],
        (Status::Resolved, Status::Pending | Status::OnHold) => vec![Status::Open, to],
        _ => vec![to],
    }
}

/// Sets `value` on ticket `t` inside `tx` through the statuses in `path` (status only):
/// the same events a one-ticket change records, and the same rules run after it.
fn set_value(ws: &WriteCtx<'_>, tx: &Connection, t: &Ticket, value: &FieldValue, path: &[Status]) -> Result<()> {
    let id = t.id.to_string();
    let happened = match value {
        FieldValue::Status { resolution, .. } => {
            let mut current = t.clone();
            for to in path {
                change_status(tx, ws.hc.ctx, &current, *to, if to.is_solved() { *resolution } else { None })?;
                current = load_ticket(tx, t.number)?;
            }
            Happened::StatusChanged
        }
        other => {
            let change = match other {
                FieldValue::Priority(p) => FieldChange::Priority { from: t.priority, to: *p },
                FieldValue::Type(ty) => FieldChange::Type { from: t.ticket_type.clone(), to: ty.clone() },
                FieldValue::Assignee(email) => FieldChange::Assignee {
                    from: t.assignee.as_ref().map(|a| a.id.to_string()),
                    to: email.as_deref().map(|e| people::agent_id(tx, e)).transpose()?,
                },
                FieldValue::Team(name) => FieldChange::Team {
                    from: t.team.as_deref().map(|n| people::team_id(tx, n)).transpose()?,
                    to: name.as_deref().map(|n| people::team_id(tx, n)).transpose()?,
                },
                FieldValue::Tags(tags) => FieldChange::Tags { from: t.tags.clone(), to: tags.clone() },
                FieldValue::Status { .. } => unreachable!("handled above"),
            };
            record_field_change(tx, ws.hc.ctx, &id, change)?;
            Happened::FieldChanged
        }
    };
    events::flush_derived(tx, ws.hc.sla)?;
    ws.hooks.run(tx, &ws.hc, &id, happened)
}

struct WriteCtx<'a> {
    hc: HookCtx<'a>,
    hooks: &'a crate::hooks::Hooks,
}

/// Each ticket once, in the order first given.
fn distinct(numbers: &[i64]) -> Vec<i64> {
    let mut seen = std::collections::HashSet::new();
    numbers.iter().copied().filter(|n| seen.insert(*n)).collect()
}

impl Workspace {
    /// Sets one field on every ticket in `numbers`, in one transaction with one event per
    /// changed ticket. A ticket that cannot take it (closed, not found, a status move the
    /// status machine refuses) is skipped and said why; a value that does not exist (an
    /// unknown agent, team or type) refuses the whole action and changes nothing.
    pub fn bulk_change(&mut self, numbers: &[i64], change: &BulkChange) -> Result<BulkOutcome> {
        self.bulk_changes(numbers, std::slice::from_ref(change))
    }

    /// Several changes on every ticket in `numbers` (a macro's actions), in one transaction.
    /// A ticket takes all of them or, when the status machine refuses one, none (skipped). A
    /// field set twice counts once, with its last value.
    pub fn bulk_changes(&mut self, numbers: &[i64], changes: &[BulkChange]) -> Result<BulkOutcome> {
        for change in changes {
            change.check_reason("resolution")?;
        }
        self.write_each(numbers, |tx, t| {
            let mut sets: Vec<Set> = vec![];
            // The ticket as the changes so far leave it: what the next one is measured against.
            let mut scratch = t.clone();
            for change in changes {
                let after = change.target(&scratch).normalised(tx)?;
                let now = FieldValue::of(&scratch, change.field());
                if same_value(&now, &after) {
                    continue;
                }
                if let FieldValue::Status { status: to, resolution } = &after {
                    if !t.status.allows(*to, *resolution) {
                        return Ok(Step::skip(Problem::NotDirectly { from: t.status, to: *to }));
                    }
                }
                after.put(&mut scratch);
                match sets.iter_mut().find(|s| s.after.field() == change.field()) {
                    Some(set) => set.after = after,
                    None => sets.push(Set { before: now, after, path: vec![] }),
                }
            }
            sets.retain(|s| !same_value(&s.before, &s.after));
            for set in &mut sets {
                if let FieldValue::Status { status, .. } = set.after {
                    set.path = vec![status];
                }
            }
            Ok(Step { sets, skip: None })
        })
    }

    /// Takes back a bulk action: each ticket gets its values before, unless it no longer
    /// holds the value the action gave it (then that field is skipped: "changed since"). A
    /// solved ticket is reopened on the way back, and a ticket that was New comes back Open.
    pub fn bulk_undo(&mut self, undo: &[UndoEntry]) -> Result<BulkOutcome> {
        let mut by_number: std::collections::HashMap<i64, Vec<&UndoEntry>> = std::collections::HashMap::new();
        for e in undo {
            by_number.entry(e.number).or_default().push(e);
        }
        let numbers: Vec<i64> = undo.iter().map(|e| e.number).collect();
        self.write_each(&numbers, |tx, t| {
            let mut step = Step { sets: vec![], skip: None };
            for e in &by_number[&t.number] {
                let now = FieldValue::of(t, e.after.field());
                if now == e.before {
                    continue;
                }
                if now != e.after {
                    step.skip = Some(Problem::ChangedAgainSince);
                    continue;
                }
                let before = e.before.clone().normalised(tx)?;
                let path = match (&now, &before) {
                    (FieldValue::Status { status: from, .. }, FieldValue::Status { status: to, .. }) => path_back(*from, *to),
                    _ => vec![],
                };
                step.sets.push(Set { before: now, after: before, path });
            }
            Ok(step)
        })
    }

    /// Merges every ticket in `numbers` into `into` (the duplicates closed, their
    /// conversations shown on the original), in one transaction. A merge closes the
    /// duplicate, and closed tickets do not change, so it has no undo: the window asks first.
    /// A ticket that cannot be merged (closed, not found, `into` itself) is skipped and said
    /// why; an original that cannot take them (closed, merged itself) refuses everything.
    pub fn bulk_merge(&mut self, numbers: &[i64], into: i64) -> Result<BulkOutcome> {
        let ctx = self.ctx();
        let settings = self.sla.clone();
        let data_dir = self.data_dir();
        let mut out = BulkOutcome { changed: vec![], unchanged: vec![], skipped: vec![], undo: vec![] };
        let tx = self.begin()?;
        let original = crate::tickets::load_writable(&tx, into)?;
        if let Some(n) = original.duplicate_of {
            return Err(Error::invalid("into", Problem::MergedElsewhere { number: into, into: n }));
        }
        for number in distinct(numbers) {
            if number == into {
                continue;
            }
            let Some(t) = writable(&tx, number, &mut out)? else { continue };
            crate::tickets::merge_into(&tx, &ctx, &data_dir, &t, &original)?;
            out.changed.push(number);
        }
        events::commit(tx, &settings)?;
        Ok(out)
    }

    /// The bulk write loop: one transaction; `decide` looks at each writable ticket.
    fn write_each(&mut self, numbers: &[i64], mut decide: impl FnMut(&Connection, &Ticket) -> Result<Step>) -> Result<BulkOutcome> {
        let ctx = self.ctx();
        let settings = self.sla.clone();
        let (hooks, data_dir) = (self.hooks.clone(), self.data_dir());
        let w = WriteCtx { hc: HookCtx { ctx: &ctx, sla: &settings, data_dir: &data_dir }, hooks: &hooks };
        let mut out = BulkOutcome { changed: vec![], unchanged: vec![], skipped: vec![], undo: vec![] };
        let tx = self.begin()?;
        for number in distinct(numbers) {
            let Some(t) = writable(&tx, number, &mut out)? else { continue };
            let step = decide(&tx, &t)?;
            if let Some(problem) = step.skip {
                out.skipped.push(Skipped::new(number, problem));
            } else if step.sets.is_empty() {
                out.unchanged.push(number);
            }
            if step.sets.is_empty() {
                continue;
            }
            let mut current = t;
            for (k, set) in step.sets.into_iter().enumerate() {
                if k > 0 {
                    current = load_ticket(&tx, number)?;
                }
                set_value(&w, &tx, &current, &set.after, &set.path)?;
                out.undo.push(UndoEntry { number, before: set.before, after: set.after });
            }
            out.changed.push(number);
        }
        events::commit(tx, &settings)?;
        Ok(out)
    }
}

/// Ticket `number` if a bulk action may change it; else it is skipped with the reason (not
/// found, closed).
fn writable(tx: &Connection, number: i64, out: &mut BulkOutcome) -> Result<Option<Ticket>> {
    let problem = match load_ticket(tx, number) {
        Ok(t) if t.status != Status::Closed => return Ok(Some(t)),
        Ok(_) => Problem::ClosedDoNotChange,
        Err(Error::NotFound { .. }) => Problem::NoSuchTicket,
        Err(e) => return Err(e),
    };
    out.skipped.push(Skipped::new(number, problem));
    Ok(None)
}

/// Two values a change need not write: equal, or the same status (its resolution is kept).
fn same_value(a: &FieldValue, b: &FieldValue) -> bool {
    a == b || matches!((a, b), (FieldValue::Status { status: x, .. }, FieldValue::Status { status: y, .. }) if x == y)
}

/// One field a ticket is given: the value it had, the one it gets, and (for a status) the
/// statuses it passes through.
struct Set {
    before: FieldValue,
    after: FieldValue,
    path: Vec<Status>,
}

/// What the write loop does with one ticket: the fields it sets, and why it left any as
/// they were (a ticket with a reason and no fields is skipped).
struct Step {
    sets: Vec<Set>,
    skip: Option<Problem>,
}

impl Step {
    fn skip(problem: Problem) -> Step {
        Step { sets: vec![], skip: Some(problem) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_way_back_reopens_a_solved_ticket_first_and_new_comes_back_open() {
        assert_eq!(path_back(Status::Resolved, Status::Pending), vec![Status::Open, Status::Pending]);
        assert_eq!(path_back(Status::Resolved, Status::Open), vec![Status::Open]);
        assert_eq!(path_back(Status::Pending, Status::New), vec![Status::Open]);
        assert_eq!(path_back(Status::Open, Status::New), Vec::<Status>::new());
    }

    #[test]
    fn command_line_words_become_a_change() {
        assert_eq!(BulkChange::parse("priority", "high", None, None).unwrap(), BulkChange::Priority { to: Priority::High });
        assert_eq!(BulkChange::parse("assignee", "me", None, Some("a@x.org")).unwrap(), BulkChange::Assignee { to: Some("a@x.org".into()) });
        assert_eq!(BulkChange::parse("assignee", "none", None, None).unwrap(), BulkChange::Assignee { to: None });
        assert_eq!(BulkChange::parse("add-tags", "vpn, wifi", None, None).unwrap(), BulkChange::AddTags { tags: vec!["vpn".into(), "wifi".into()] });
        assert!(BulkChange::parse("colour", "red", None, None).unwrap_err().to_string().contains("add-tags"));
        assert!(BulkChange::parse("priority", "high", Some(Resolution::Solved), None).is_err());
    }
}
