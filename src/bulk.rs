//! Bulk changes (PRODUCT T4, issue 17): one field set on many tickets at once — from the
//! list's selection or a script's `casebook set 1,2,3 …` — as one transaction with one event
//! per ticket, and its undo.
//!
//! The undo is what the change returns: each changed ticket's field before and after. Undoing
//! puts back the value before only where the ticket still holds the value after, so a change
//! someone made in between (here, on another laptop, or a rule) is not overwritten. Nothing
//! of it is kept in the database: the event log already has both changes, as any two edits.

use crate::events::{self, EventCtx, FieldChange};
use crate::hooks::{Happened, HookCtx};
use crate::model::{Priority, Resolution, Status, Ticket};
use crate::tickets::{change_status, load_ticket, record_field_change, Field};
use crate::workspace::Workspace;
use crate::{people, validate, Error, Result};
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
                        Some(v) if v.eq_ignore_ascii_case("me") => {
                            Some(me.ok_or_else(|| Error::validation("as", "no agent to act as for 'me': add an agent first"))?.to_string())
                        }
                        other => other,
                    },
                },
                Field::Team => BulkChange::Team { to: none_if_empty(value) },
                Field::Tags => BulkChange::Tags { tags: tags() },
            },
        };
        if reason.is_some() && !matches!(change, BulkChange::Status { .. }) {
            return Err(Error::validation("reason", "a resolution reason goes with setting the status to resolved or closed"));
        }
        Ok(change)
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
            FieldValue::Assignee(Some(email)) => {
                let id = people::agent_id(conn, &email)?;
                FieldValue::Assignee(Some(conn.query_row("SELECT email FROM agents WHERE id = ?1", [id], |r| r.get(0))?))
            }
            FieldValue::Team(Some(name)) => {
                let id = people::team_id(conn, &name)?;
                FieldValue::Team(Some(conn.query_row("SELECT name FROM teams WHERE id = ?1", [id], |r| r.get(0))?))
            }
            other => other,
        })
    }
}

/// A ticket a bulk action left as it was, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Skipped {
    pub number: i64,
    pub reason: String,
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
                change_status(tx, ws.ctx, &current, *to, if to.is_solved() { *resolution } else { None })?;
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
            record_field_change(tx, ws.ctx, &id, change)?;
            Happened::FieldChanged
        }
    };
    events::flush_derived(tx, ws.hc.sla)?;
    ws.hooks.run(tx, &ws.hc, &id, happened)
}

struct WriteCtx<'a> {
    ctx: &'a EventCtx,
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
        if let BulkChange::Status { to, reason: Some(_) } = change {
            if !to.is_solved() {
                return Err(Error::validation("resolution", format!("a resolution reason only applies when resolving or closing, not to {to}")));
            }
        }
        let field = change.field();
        self.write_each(numbers, |tx, t| {
            let after = change.target(t).normalised(tx)?;
            let before = FieldValue::of(t, field);
            if before == after || matches!((&before, &after), (FieldValue::Status { status: a, .. }, FieldValue::Status { status: b, .. }) if a == b)
            {
                return Ok(Step::Same);
            }
            let path = match &after {
                FieldValue::Status { status: to, resolution } => {
                    if !t.status.allows(*to, *resolution) {
                        return Ok(Step::Skip(format!("{} cannot become {} directly", t.status.label(), to.label())));
                    }
                    vec![*to]
                }
                _ => vec![],
            };
            Ok(Step::Set { before, after, path })
        })
    }

    /// Takes back a bulk action: each ticket gets its value before, unless it no longer holds
    /// the value the action gave it (then it is skipped: "changed since"). A solved ticket is
    /// reopened on the way back, and a ticket that was New comes back Open.
    pub fn bulk_undo(&mut self, undo: &[UndoEntry]) -> Result<BulkOutcome> {
        let by_number: std::collections::HashMap<i64, &UndoEntry> = undo.iter().map(|e| (e.number, e)).collect();
        let numbers: Vec<i64> = undo.iter().map(|e| e.number).collect();
        self.write_each(&numbers, |tx, t| {
            let e = by_number[&t.number];
            let now = FieldValue::of(t, e.after.field());
            if now == e.before {
                return Ok(Step::Same);
            }
            if now != e.after {
                return Ok(Step::Skip("changed again since".into()));
            }
            let before = e.before.clone().normalised(tx)?;
            let path = match (&now, &before) {
                (FieldValue::Status { status: from, .. }, FieldValue::Status { status: to, .. }) => path_back(*from, *to),
                _ => vec![],
            };
            Ok(Step::Set { before: now, after: before, path })
        })
    }

    /// The bulk write loop: one transaction; `decide` looks at each writable ticket.
    fn write_each(&mut self, numbers: &[i64], mut decide: impl FnMut(&Connection, &Ticket) -> Result<Step>) -> Result<BulkOutcome> {
        let ctx = self.ctx();
        let settings = self.sla.clone();
        let (hooks, data_dir) = (self.hooks.clone(), self.data_dir());
        let w = WriteCtx { ctx: &ctx, hc: HookCtx { ctx: &ctx, sla: &settings, data_dir: &data_dir }, hooks: &hooks };
        let mut out = BulkOutcome { changed: vec![], unchanged: vec![], skipped: vec![], undo: vec![] };
        let tx = self.begin()?;
        for number in distinct(numbers) {
            let t = match load_ticket(&tx, number) {
                Ok(t) => t,
                Err(Error::NotFound { .. }) => {
                    out.skipped.push(Skipped { number, reason: "no such ticket".into() });
                    continue;
                }
                Err(e) => return Err(e),
            };
            if t.status == Status::Closed {
                out.skipped.push(Skipped { number, reason: "closed tickets do not change".into() });
                continue;
            }
            match decide(&tx, &t)? {
                Step::Same => out.unchanged.push(number),
                Step::Skip(reason) => out.skipped.push(Skipped { number, reason }),
                Step::Set { before, after, path } => {
                    set_value(&w, &tx, &t, &after, &path)?;
                    out.changed.push(number);
                    out.undo.push(UndoEntry { number, before, after });
                }
            }
        }
        events::commit(tx, &settings)?;
        Ok(out)
    }
}

enum Step {
    Same,
    Skip(String),
    Set { before: FieldValue, after: FieldValue, path: Vec<Status> },
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
