//! Views (PRODUCT T5): filters, sort and keyset pagination over tickets, the built-in views,
//! saved views (personal or shared) and counts per view.

use crate::clock::{from_ms, to_ms, Timestamp};
use crate::events;
use crate::model::{Priority, Status};
use crate::sla::SlaState;
use crate::workspace::Workspace;
use crate::{people, validate, Error, Problem, Result};
use chrono::Duration;
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, OptionalExtension};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "email")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum AssigneeFilter {
    Unassigned,
    /// The acting agent.
    Me,
    Agent(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum SlaFilter {
    AtRisk,
    Breached,
    /// At risk or breached: what "Breaching soon" shows.
    NeedsAttention,
    Paused,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Filters {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statuses: Vec<Status>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub priorities: Vec<Priority>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<AssigneeFilter>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// Every one of these tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Requester email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requester: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_after: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_before: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_after: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_before: Option<Timestamp>,
    /// Relative to now, in hours ("solved in the last 168 h"): what a saved view keeps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_within_hours: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla: Option<SlaFilter>,
    /// Snoozed now (true) or not (false); none: either. The working views leave snoozed
    /// tickets out until their time comes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snoozed: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum SortKey {
    #[default]
    Updated,
    Created,
    Priority,
    Number,
    /// The nearest SLA deadline first.
    SlaDue,
    Resolved,
}

impl SortKey {
    pub fn parse(s: &str) -> Result<SortKey> {
        Ok(match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "updated" => SortKey::Updated,
            "created" => SortKey::Created,
            "priority" => SortKey::Priority,
            "number" => SortKey::Number,
            "sla" | "sla_due" | "due" => SortKey::SlaDue,
            "resolved" => SortKey::Resolved,
            _ => return Err(Error::validation("sort", format!("'{s}' is not a sort (updated, created, priority, number, sla, resolved)"))),
        })
    }

    fn expr(self) -> &'static str {
        match self {
            SortKey::Updated => "t.updated_at",
            SortKey::Created => "t.created_at",
            SortKey::Priority => "t.priority",
            SortKey::Number => "t.number",
            SortKey::SlaDue => "min(coalesce(t.frt_due_at, 9223372036854775807), coalesce(t.res_due_at, 9223372036854775807))",
            SortKey::Resolved => "coalesce(t.resolved_at, 0)",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

impl Default for Sort {
    fn default() -> Self {
        Sort { key: SortKey::Updated, descending: true }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ViewQuery {
    #[serde(default)]
    pub filters: Filters,
    #[serde(default)]
    pub sort: Sort,
}

/// One row of the ticket list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TicketRow {
    pub number: i64,
    pub subject: String,
    pub status: Status,
    pub priority: Priority,
    #[serde(rename = "type")]
    pub ticket_type: String,
    pub requester_name: String,
    pub requester_email: String,
    pub organisation: Option<String>,
    pub vip: bool,
    pub assignee_name: Option<String>,
    pub assignee_email: Option<String>,
    pub team: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub sla: SlaBadge,
    /// Snoozed until then (still ahead).
    pub snoozed_until: Option<Timestamp>,
}

/// The SLA badge of a list row, from the stored instants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SlaBadge {
    pub state: SlaState,
    /// The nearest deadline still running.
    pub due_at: Option<Timestamp>,
    /// Seconds until it (negative: overdue).
    pub seconds_left: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Page {
    pub rows: Vec<TicketRow>,
    /// Pass back as `after` for the next page; `None` on the last page.
    pub next: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BuiltinView {
    MyOpen,
    Unassigned,
    BreachingSoon,
    Pending,
    Snoozed,
    RecentlySolved,
    All,
}

impl BuiltinView {
    pub const ALL: [BuiltinView; 7] = [
        BuiltinView::MyOpen,
        BuiltinView::Unassigned,
        BuiltinView::BreachingSoon,
        BuiltinView::Pending,
        BuiltinView::Snoozed,
        BuiltinView::RecentlySolved,
        BuiltinView::All,
    ];

    pub fn name(self) -> &'static str {
        match self {
            BuiltinView::MyOpen => "my-open",
            BuiltinView::Unassigned => "unassigned",
            BuiltinView::BreachingSoon => "breaching-soon",
            BuiltinView::Pending => "pending",
            BuiltinView::Snoozed => "snoozed",
            BuiltinView::RecentlySolved => "recently-solved",
            BuiltinView::All => "all",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            BuiltinView::MyOpen => "My open",
            BuiltinView::Unassigned => "Unassigned",
            BuiltinView::BreachingSoon => "Breaching soon",
            BuiltinView::Pending => "Pending",
            BuiltinView::Snoozed => "Snoozed",
            BuiltinView::RecentlySolved => "Recently solved",
            BuiltinView::All => "All",
        }
    }

    pub fn parse(s: &str) -> Option<BuiltinView> {
        let s = s.trim().to_ascii_lowercase().replace([' ', '_'], "-");
        BuiltinView::ALL.into_iter().find(|v| v.name() == s)
    }

    pub fn query(self) -> ViewQuery {
        let unsolved = Status::UNSOLVED.to_vec();
        // The working views: a snoozed ticket is out of them until its time.
        let awake = Filters { snoozed: Some(false), ..Default::default() };
        let (filters, sort) = match self {
            BuiltinView::MyOpen => (Filters { statuses: unsolved, assignee: Some(AssigneeFilter::Me), ..awake }, Sort::default()),
            BuiltinView::Unassigned => (Filters { statuses: unsolved, assignee: Some(AssigneeFilter::Unassigned), ..awake }, Sort::default()),
            BuiltinView::BreachingSoon => {
                (Filters { statuses: unsolved, sla: Some(SlaFilter::NeedsAttention), ..awake }, Sort { key: SortKey::SlaDue, descending: false })
            }
            BuiltinView::Pending => (Filters { statuses: vec![Status::Pending], ..awake }, Sort::default()),
            BuiltinView::Snoozed => (Filters { statuses: unsolved, snoozed: Some(true), ..Default::default() }, Sort::default()),
            BuiltinView::RecentlySolved => (
                Filters { statuses: vec![Status::Resolved, Status::Closed], resolved_within_hours: Some(7 * 24), ..Default::default() },
                Sort { key: SortKey::Resolved, descending: true },
            ),
            BuiltinView::All => (Filters::default(), Sort::default()),
        };
        ViewQuery { filters, sort }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SavedView {
    pub id: Uuid,
    pub name: String,
    /// Shared with everyone, or personal to its owner.
    pub shared: bool,
    pub query: ViewQuery,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ViewCount {
    pub name: String,
    pub label: String,
    pub builtin: bool,
    pub count: i64,
}

/// The requester of a ticket as the ticket page's customer panel shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CustomerCard {
    pub name: String,
    pub email: String,
    pub organisation: Option<String>,
    pub vip: bool,
    /// When Casebook first heard of them.
    pub first_seen: Timestamp,
    /// Their tickets, and how many of those are not solved.
    pub total: i64,
    pub open: i64,
    /// Their organisation's tickets not solved.
    pub organisation_open: Option<i64>,
    /// Their other tickets, the most recently changed first (a few).
    pub tickets: Vec<TicketRow>,
}

/// How many of a customer's other tickets the panel lists.
const CARD_TICKETS: usize = 5;

/// A view's WHERE clause and its parameters.
struct Sql {
    clauses: Vec<String>,
    params: Vec<Value>,
}

impl Sql {
    fn push(&mut self, clause: impl Into<String>, params: impl IntoIterator<Item = Value>) {
        self.clauses.push(clause.into());
        self.params.extend(params);
    }

    fn where_clause(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// Parses a page cursor ("<sort value>:<number>").
fn parse_cursor(s: &str) -> Result<(i64, i64)> {
    let bad = || Error::validation("after", format!("'{s}' is not a page cursor"));
    let (k, n) = s.split_once(':').ok_or_else(bad)?;
    Ok((k.parse().map_err(|_| bad())?, n.parse().map_err(|_| bad())?))
}

impl Workspace {
    fn filters_sql(&self, f: &Filters) -> Result<Sql> {
        let now = self.now();
        let mut sql = Sql { clauses: vec![], params: vec![] };
        sql.push(crate::store::VISIBLE, []);
        if !f.statuses.is_empty() {
            sql.push(format!("t.status IN ({})", placeholders(f.statuses.len())), f.statuses.iter().map(|s| Value::Text(s.as_str().into())));
        }
        if !f.priorities.is_empty() {
            sql.push(format!("t.priority IN ({})", placeholders(f.priorities.len())), f.priorities.iter().map(|p| Value::Integer(p.rank())));
        }
        if !f.types.is_empty() {
            sql.push(format!("t.type COLLATE NOCASE IN ({})", placeholders(f.types.len())), f.types.iter().map(|t| Value::Text(t.trim().into())));
        }
        match &f.assignee {
            None => {}
            Some(AssigneeFilter::Unassigned) => sql.push("t.assignee_id IS NULL", []),
            Some(AssigneeFilter::Me) => {
                let me = self.acting_agent_required()?.id.to_string();
                sql.push("t.assignee_id = ?", [Value::Text(me)]);
            }
            Some(AssigneeFilter::Agent(email)) => {
                let id = people::agent_id(&self.conn, email)?;
                sql.push("t.assignee_id = ?", [Value::Text(id)]);
            }
        }
        if let Some(team) = &f.team {
            let id = people::team_id(&self.conn, team)?;
            sql.push("t.team_id = ?", [Value::Text(id)]);
        }
        for tag in &f.tags {
            let tag = validate::tag(tag)?;
            sql.push("EXISTS (SELECT 1 FROM ticket_tags g WHERE g.ticket_id = t.id AND g.tag = ?)", [Value::Text(tag)]);
        }
        if let Some(email) = &f.requester {
            sql.push("t.requester_id IN (SELECT id FROM customers WHERE email = ?)", [Value::Text(email.trim().into())]);
        }
        if let Some(org) = &f.organisation {
            sql.push(
                "t.requester_id IN (SELECT c.id FROM customers c JOIN organisations o ON o.id = c.organisation_id WHERE o.name = ?)",
                [Value::Text(org.trim().into())],
            );
        }
        let range = |sql: &mut Sql, col: &str, op: &str, t: &Option<Timestamp>| {
            if let Some(t) = t {
                sql.push(format!("{col} {op} ?"), [Value::Integer(to_ms(*t))]);
            }
        };
        range(&mut sql, "t.created_at", ">=", &f.created_after);
        range(&mut sql, "t.created_at", "<", &f.created_before);
        range(&mut sql, "t.updated_at", ">=", &f.updated_after);
        range(&mut sql, "t.updated_at", "<", &f.updated_before);
        if let Some(h) = f.resolved_within_hours {
            sql.push("t.resolved_at >= ?", [Value::Integer(to_ms(now - Duration::hours(h)))]);
        }
        let n = Value::Integer(to_ms(now));
        match f.sla {
            None => {}
            Some(SlaFilter::NeedsAttention) => sql.push("t.sla_attention_at <= ?", [n]),
            Some(SlaFilter::Breached) => sql.push("(t.frt_due_at <= ? OR t.res_due_at <= ?)", [n.clone(), n]),
            Some(SlaFilter::AtRisk) => {
                sql.push("t.sla_attention_at <= ? AND coalesce(t.frt_due_at > ?, 1) AND coalesce(t.res_due_at > ?, 1)", [n.clone(), n.clone(), n])
            }
            Some(SlaFilter::Paused) => sql.push("t.status = 'pending'", []),
        }
        match f.snoozed {
            None => {}
            Some(true) => sql.push("t.snoozed_until > ?", [Value::Integer(to_ms(now))]),
            Some(false) => sql.push("(t.snoozed_until IS NULL OR t.snoozed_until <= ?)", [Value::Integer(to_ms(now))]),
        }
        Ok(sql)
    }

    /// One page of tickets matching `query`, continuing after the cursor `after`.
    pub fn list(&self, query: &ViewQuery, after: Option<&str>, limit: usize) -> Result<Page> {
        let limit = limit.clamp(1, 1000);
        let mut sql = self.filters_sql(&query.filters)?;
        let key = query.sort.key.expr();
        let (cmp, dir) = if query.sort.descending { ("<", "DESC") } else { (">", "ASC") };
        if let Some(cursor) = after {
            let (k, n) = parse_cursor(cursor)?;
            sql.push(format!("({key}, t.number) {cmp} (?, ?)"), [Value::Integer(k), Value::Integer(n)]);
        }
        // Two steps: pick the page's tickets from `tickets` alone (filter, sort, limit),
        // then join the people for those few rows; joining first would join every match.
        let text = format!("SELECT t.number, {key} FROM tickets t {} ORDER BY {key} {dir}, t.number {dir} LIMIT {}", sql.where_clause(), limit + 1);
        let mut stmt = self.conn.prepare_cached(&text)?;
        let mut keys: Vec<(i64, i64)> =
            stmt.query_map(params_from_iter(sql.params.iter()), |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
        let next = if keys.len() > limit {
            keys.truncate(limit);
            keys.last().map(|(n, k)| format!("{k}:{n}"))
        } else {
            None
        };
        let now = to_ms(self.now());
        if keys.is_empty() {
            return Ok(Page { rows: vec![], next });
        }
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT t.number, t.subject, t.status, t.priority, t.type, c.name, c.email, o.name, c.tier, a.name, a.email, tm.name,
                    t.created_at, t.updated_at, t.frt_due_at, t.res_due_at, t.sla_attention_at, t.snoozed_until
             FROM tickets t
             CROSS JOIN customers c ON c.id = t.requester_id
             LEFT JOIN organisations o ON o.id = c.organisation_id
             LEFT JOIN agents a ON a.id = t.assignee_id
             LEFT JOIN teams tm ON tm.id = t.team_id
             WHERE t.number IN ({})",
            placeholders(keys.len())
        ))?;
        let mut by_number: std::collections::HashMap<i64, TicketRow> = stmt
            .query_map(params_from_iter(keys.iter().map(|(n, _)| n)), |r| {
                let status = Status::parse(&r.get::<_, String>(2)?).unwrap_or(Status::Open);
                let (frt, res, attention): (Option<i64>, Option<i64>, Option<i64>) = (r.get(14)?, r.get(15)?, r.get(16)?);
                Ok(TicketRow {
                    number: r.get(0)?,
                    subject: r.get(1)?,
                    status,
                    priority: Priority::from_rank(r.get(3)?),
                    ticket_type: r.get(4)?,
                    requester_name: r.get(5)?,
                    requester_email: r.get(6)?,
                    organisation: r.get(7)?,
                    vip: r.get::<_, String>(8)? == "vip",
                    assignee_name: r.get(9)?,
                    assignee_email: r.get(10)?,
                    team: r.get(11)?,
                    created_at: from_ms(r.get(12)?),
                    updated_at: from_ms(r.get(13)?),
                    sla: badge(status, frt, res, attention, now),
                    snoozed_until: r.get::<_, Option<i64>>(17)?.filter(|t| *t > now).map(from_ms),
                })
            })?
            .map(|r| r.map(|row| (row.number, row)))
            .collect::<rusqlite::Result<_>>()?;
        let rows = keys.iter().filter_map(|(n, _)| by_number.remove(n)).collect();
        Ok(Page { rows, next })
    }

    /// The numbers of every ticket matching `filters`, lowest first: "select all in view" and
    /// `casebook set --view`.
    pub fn view_numbers(&self, filters: &Filters) -> Result<Vec<i64>> {
        let sql = self.filters_sql(filters)?;
        let text = format!("SELECT t.number FROM tickets t {} ORDER BY t.number", sql.where_clause());
        let mut stmt = self.conn.prepare_cached(&text)?;
        let rows = stmt.query_map(params_from_iter(sql.params.iter()), |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Ticket `number`'s requester: who, since when, how many tickets, their latest others.
    pub fn customer_card(&self, number: i64) -> Result<CustomerCard> {
        let t = self.ticket(number)?;
        let c = &t.requester;
        let first_seen: i64 = self.conn.query_row("SELECT created_at FROM customers WHERE email = ?1", [&c.email], |r| r.get(0))?;
        let theirs = Filters { requester: Some(c.email.clone()), ..Default::default() };
        let unsolved = |f: Filters| Filters { statuses: Status::UNSOLVED.to_vec(), ..f };
        let newest = ViewQuery { filters: theirs.clone(), sort: Sort { key: SortKey::Updated, descending: true } };
        let tickets = self.list(&newest, None, CARD_TICKETS + 1)?.rows.into_iter().filter(|r| r.number != number).take(CARD_TICKETS).collect();
        let organisation_open = match &c.organisation {
            Some(org) => Some(self.count(&unsolved(Filters { organisation: Some(org.clone()), ..Default::default() }))?),
            None => None,
        };
        Ok(CustomerCard {
            name: c.name.clone(),
            email: c.email.clone(),
            organisation: c.organisation.clone(),
            vip: c.tier == crate::model::Tier::Vip,
            first_seen: from_ms(first_seen),
            total: self.count(&theirs)?,
            open: self.count(&unsolved(theirs))?,
            organisation_open,
            tickets,
        })
    }

    pub fn count(&self, filters: &Filters) -> Result<i64> {
        let sql = self.filters_sql(filters)?;
        let text = format!("SELECT count(*) FROM tickets t {}", sql.where_clause());
        Ok(self.conn.prepare_cached(&text)?.query_row(params_from_iter(sql.params.iter()), |r| r.get(0))?)
    }

    /// The query behind a view name: a built-in view, a saved view visible to me, or one
    /// customer's or organisation's tickets (`requester:EMAIL`, `organisation:NAME`, newest
    /// first: the customer panel's links).
    pub fn view_query(&self, name: &str) -> Result<ViewQuery> {
        if let Some(v) = BuiltinView::parse(name) {
            return Ok(v.query());
        }
        let newest = Sort { key: SortKey::Updated, descending: true };
        if let Some(email) = name.trim().strip_prefix("requester:") {
            return Ok(ViewQuery { filters: Filters { requester: Some(email.trim().to_string()), ..Default::default() }, sort: newest });
        }
        if let Some(org) = name.trim().strip_prefix("organisation:") {
            return Ok(ViewQuery { filters: Filters { organisation: Some(org.trim().to_string()), ..Default::default() }, sort: newest });
        }
        self.saved_views()?.into_iter().find(|v| v.name.eq_ignore_ascii_case(name.trim())).map(|v| v.query).ok_or_else(|| {
            let builtins: Vec<&str> = BuiltinView::ALL.iter().map(|v| v.name()).collect();
            Error::NotFound { what: "view", key: format!("'{}' (built-in views: {})", name.trim(), builtins.join(", ")) }
        })
    }

    /// Built-in views and my saved views with the number of tickets in each.
    pub fn view_counts(&self) -> Result<Vec<ViewCount>> {
        let mut out = Vec::new();
        for v in BuiltinView::ALL {
            let count = if v == BuiltinView::MyOpen && self.acting.is_none() { 0 } else { self.count(&v.query().filters)? };
            out.push(ViewCount { name: v.name().into(), label: v.label().into(), builtin: true, count });
        }
        for v in self.saved_views()? {
            out.push(ViewCount { name: v.name.clone(), label: v.name.clone(), builtin: false, count: self.count(&v.query.filters)? });
        }
        Ok(out)
    }

    /// My personal views and the shared ones.
    pub fn saved_views(&self) -> Result<Vec<SavedView>> {
        let me = self.acting.as_ref().map(|a| a.id.to_string());
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, name, owner_id IS NULL, query FROM saved_views WHERE owner_id IS NULL OR owner_id = ?1 ORDER BY name")?;
        let rows = stmt.query_map([me], |r| {
            let id: String = r.get(0)?;
            let q: String = r.get(3)?;
            Ok((id, r.get::<_, String>(1)?, r.get::<_, bool>(2)?, q))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, name, shared, q) = row?;
            out.push(SavedView { id: Uuid::parse_str(&id).unwrap_or_default(), name, shared, query: serde_json::from_str(&q)? });
        }
        Ok(out)
    }

    /// Saves (or replaces) a view under `name`, personal or shared.
    pub fn save_view(&mut self, name: &str, query: &ViewQuery, shared: bool) -> Result<SavedView> {
        self.save_view_as(None, name, query, shared)
    }

    /// Saves a view; `editing` names the one being edited, which keeps its id and so is
    /// renamed, re-filtered or moved between personal and shared in place. Without it, a view
    /// of this name (and owner) is replaced. Another view already called `name` is refused.
    pub fn save_view_as(&mut self, editing: Option<&str>, name: &str, query: &ViewQuery, shared: bool) -> Result<SavedView> {
        let name = validate::name("name", name)?;
        if BuiltinView::parse(&name).is_some() {
            return Err(Error::invalid("name", Problem::BuiltinViewName { name: name.to_string() }));
        }
        self.filters_sql(&query.filters)?; // refuse unknown agents, teams or tags now, not when listing
        let owner = if shared { None } else { Some(self.acting_agent_required()?.id.to_string()) };
        let me = self.acting.as_ref().map(|a| a.id.to_string());
        let ctx = self.ctx();
        let tx = self.begin()?;
        // Names compare without case here, as the view is found by `view_query`.
        let same_name: Option<String> = tx
            .query_row("SELECT id FROM saved_views WHERE name = ?1 COLLATE NOCASE AND owner_id IS ?2", params![name, owner], |r| r.get(0))
            .optional()?;
        let id = match editing {
            Some(old) => {
                let id: String = tx
                    .query_row(
                        "SELECT id FROM saved_views WHERE name = ?1 COLLATE NOCASE AND (owner_id IS NULL OR owner_id = ?2) ORDER BY owner_id IS NULL LIMIT 1",
                        params![old.trim(), me],
                        |r| r.get(0),
                    )
                    .optional()?
                    .ok_or_else(|| Error::NotFound { what: "view", key: old.trim().to_string() })?;
                if same_name.as_ref().is_some_and(|other| *other != id) {
                    return Err(Error::invalid("name", Problem::ViewNameTaken { name: name.to_string() }));
                }
                id
            }
            None => same_name.unwrap_or_else(|| Uuid::now_v7().to_string()),
        };
        let change = events::Change::ViewSaved { id: id.clone(), name: name.clone(), owner_id: owner, query: serde_json::to_value(query)? };
        events::record(&tx, &ctx, None, change)?;
        tx.commit()?;
        Ok(SavedView { id: Uuid::parse_str(&id).unwrap_or_default(), name, shared, query: query.clone() })
    }

    pub fn delete_view(&mut self, name: &str) -> Result<()> {
        let me = self.acting.as_ref().map(|a| a.id.to_string());
        let ctx = self.ctx();
        let tx = self.begin()?;
        let ids: Vec<String> = tx
            .prepare("SELECT id FROM saved_views WHERE name = ?1 AND (owner_id IS NULL OR owner_id = ?2) ORDER BY id")?
            .query_map(params![name.trim(), me], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        if ids.is_empty() {
            return Err(Error::NotFound { what: "view", key: name.trim().to_string() });
        }
        for id in ids {
            events::record(&tx, &ctx, None, events::Change::ViewDeleted { id })?;
        }
        tx.commit()?;
        Ok(())
    }
}

fn badge(status: Status, frt: Option<i64>, res: Option<i64>, attention: Option<i64>, now: i64) -> SlaBadge {
    let due = [frt, res].into_iter().flatten().min();
    let state = if status.is_solved() {
        SlaState::Met
    } else if due.is_some_and(|d| d <= now) {
        SlaState::Breached
    } else if status == Status::Pending {
        SlaState::Paused
    } else if attention.is_some_and(|a| a <= now) {
        SlaState::AtRisk
    } else {
        SlaState::Ok
    };
    SlaBadge { state, due_at: due.map(from_ms), seconds_left: due.map(|d| (d - now) / 1000) }
}

/// A ticket whose SLA needs attention now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttentionRow {
    pub number: i64,
    pub priority: Priority,
    pub state: SlaState,
    /// The nearest deadline (past when breached).
    pub due_at: Option<Timestamp>,
}

impl Workspace {
    /// Every unsolved ticket that is at risk or breached at the clock's now, in the order
    /// they became at risk. One range scan over the stored SLA instants; no per-ticket clock.
    pub fn needs_attention(&self) -> Result<Vec<AttentionRow>> {
        let now = to_ms(self.now());
        // The stored instants are NULL once met or while paused, so no status check is needed.
        let mut stmt = self.conn.prepare_cached(
            "SELECT number, priority,
                    min(coalesce(frt_due_at, 9223372036854775807), coalesce(res_due_at, 9223372036854775807))
             FROM tickets WHERE sla_attention_at <= ?1 ORDER BY sla_attention_at",
        )?;
        let rows = stmt.query_map([now], |r| {
            let due: i64 = r.get(2)?;
            let state = if due <= now { SlaState::Breached } else { SlaState::AtRisk };
            Ok(AttentionRow { number: r.get(0)?, priority: Priority::from_rank(r.get(1)?), state, due_at: Some(from_ms(due)) })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
