//! Running rules over tickets: match the conditions, skip what already fired in this window,
//! plan each action against the ticket as it is now, and either write it (an event per
//! change, actor `rule:<name>`) or only describe it (a dry run writes nothing at all).
//! Triggers and time rules share this one path, so a dry run says exactly what a run does.

use crate::clock::{to_ms, Timestamp};
use crate::events::{self, Change, EventCtx, FieldChange};
use crate::model::{MessageKind, Priority, Resolution, Status};
use crate::sla::SlaSettings;
use crate::text::KeywordMatcher;
use crate::{tickets, Result};
use casebook_rules::facts::{self, Facts};
use casebook_rules::*;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// Rounds of rules over one ticket before a pass gives up on a ticket the rules keep
/// changing (two rules undoing each other), and records why.
pub const MAX_ROUNDS: usize = 5;

/// How alike two subjects must be to count as "the same problem" for the recurrence test.
const SAME_PROBLEM_SIMILARITY: f64 = 0.5;

/// A rule ready to run: its definition with the word lists of its text conditions compiled.
pub(crate) struct CompiledRule {
    pub id: String,
    pub def: RuleDefinition,
    /// One per condition of `all` then `any`, for the text conditions.
    matchers: Vec<Option<KeywordMatcher>>,
}

impl CompiledRule {
    pub fn new(id: String, def: RuleDefinition) -> CompiledRule {
        let matchers = def
            .all
            .iter()
            .chain(def.any.iter())
            .map(|c| match c {
                Condition::Text { terms, .. } => Some(KeywordMatcher::new(terms)),
                _ => None,
            })
            .collect();
        CompiledRule { id, def, matchers }
    }
}

/// The enabled rules of a workspace, in order.
#[derive(Default)]
pub(crate) struct RuleBook {
    pub triggers: Vec<Arc<CompiledRule>>,
    pub time: Vec<Arc<CompiledRule>>,
}

/// What a rule changed (or, in a dry run, would change) on one ticket.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RuleChange {
    pub ticket_number: i64,
    pub subject: String,
    pub rule: String,
    /// In words, in order: "priority Medium → High", "note: …", "skipped: …".
    pub changes: Vec<String>,
}

/// A ticket the rules kept changing until the round limit stopped them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct StoppedTicket {
    pub ticket_number: i64,
    pub reason: String,
}

/// What a pass of rules did, or would do.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RulePassReport {
    pub at: Option<Timestamp>,
    pub dry_run: bool,
    pub tickets_examined: u32,
    pub changes: Vec<RuleChange>,
    pub stopped: Vec<StoppedTicket>,
}

/// Where a pass writes: `None` for a dry run.
pub(crate) struct Writer {
    pub ctx: EventCtx,
    pub sla: SlaSettings,
    pub data_dir: PathBuf,
}

/// What the trigger reacts to: an event that just happened, or (dry run over existing
/// tickets) whatever last happened to each ticket.
#[derive(Clone, Copy)]
pub(crate) enum Happened {
    Now(TriggerEvent),
    Last,
    /// Time rules have no event.
    Nothing,
}

#[derive(Default)]
struct Found {
    /// The earlier ticket a duplicate condition matched: (number, subject).
    original: Option<(i64, String)>,
}

struct AgentInfo {
    id: String,
    name: String,
    email: String,
    active: bool,
    skills: Vec<String>,
    teams: Vec<String>,
}

struct TeamInfo {
    id: String,
    name: String,
    backup: Option<String>,
}

/// Agents, teams and workload, read once per pass when an action needs them.
struct Directory {
    agents: Vec<AgentInfo>,
    teams: Vec<TeamInfo>,
    /// Unsolved tickets per agent id, kept current as the pass assigns.
    load: HashMap<String, i64>,
    /// Round-robin: the agent each rule assigned last.
    cursors: HashMap<String, String>,
}

impl Directory {
    fn load(conn: &Connection) -> Result<Directory> {
        let mut agents: Vec<AgentInfo> = conn
            .prepare("SELECT id, name, email, active, skills FROM agents ORDER BY email")?
            .query_map([], |r| {
                let skills: String = r.get(4)?;
                Ok(AgentInfo {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    email: r.get(2)?,
                    active: r.get::<_, i64>(3)? != 0,
                    skills: serde_json::from_str(&skills).unwrap_or_default(),
                    teams: vec![],
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let memberships: Vec<(String, String)> = conn
            .prepare("SELECT agent_id, team_id FROM agent_teams")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (agent, team) in memberships {
            if let Some(a) = agents.iter_mut().find(|a| a.id == agent) {
                a.teams.push(team);
            }
        }
        let teams = conn
            .prepare("SELECT id, name, backup_agent FROM teams")?
            .query_map([], |r| Ok(TeamInfo { id: r.get(0)?, name: r.get(1)?, backup: r.get(2)? }))?
            .collect::<rusqlite::Result<_>>()?;
        let load = conn
            .prepare(
                "SELECT assignee_id, count(*) FROM tickets WHERE assignee_id IS NOT NULL AND status IN ('new', 'open', 'pending', 'on_hold')
                 GROUP BY assignee_id",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let cursors = conn
            .prepare("SELECT id, state FROM rules")?
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
            .filter_map(|row| {
                let (id, state) = row.ok()?;
                let state: serde_json::Value = serde_json::from_str(&state).ok()?;
                Some((id, state.get("last_assigned")?.as_str()?.to_string()))
            })
            .collect();
        Ok(Directory { agents, teams, load, cursors })
    }

    fn agent(&self, id: &str) -> Option<&AgentInfo> {
        self.agents.iter().find(|a| a.id == id)
    }

    fn team_by_name(&self, name: &str) -> Option<&TeamInfo> {
        self.teams.iter().find(|t| t.name.eq_ignore_ascii_case(name.trim()))
    }
}

/// One concrete change, planned against the ticket as it is at that moment.
enum Effect {
    Status {
        to: Status,
        reason: Option<Resolution>,
    },
    Priority(Priority),
    Type(String),
    /// (team id, name), or none.
    Team(Option<(String, String)>),
    /// (agent id, email), or none.
    Assignee(Option<(String, String)>),
    Tags(Vec<String>),
    Note(String),
    Reply(String),
    Merge(i64),
    Notify {
        to: Vec<Recipient>,
        message: String,
        index: usize,
    },
    /// Several at once (the triage suggestions), written and described one by one.
    Many(Vec<Effect>),
}

impl Effect {
    fn into_parts(self) -> Vec<Effect> {
        match self {
            Effect::Many(parts) => parts,
            one => vec![one],
        }
    }
}

/// Runs rules over tickets, writing through `writer` or (dry run) only reporting.
pub(crate) struct Runner<'c> {
    conn: &'c Connection,
    now: i64,
    writer: Option<Writer>,
    directory: Option<Directory>,
    /// Windows fired during this pass, so a dry run sees its own earlier firings too; for a
    /// pass over every ticket, also every stored one (read once instead of once per match).
    fired: HashMap<(String, String), String>,
    all_fired_loaded: bool,
    /// Where similar solved tickets are found (the triage action), when the caller has one.
    similar: Option<Arc<crate::search::SearchIndex>>,
    pub report: RulePassReport,
}

impl<'c> Runner<'c> {
    pub fn new(conn: &'c Connection, now: Timestamp, writer: Option<Writer>) -> Runner<'c> {
        let report = RulePassReport { at: Some(now), dry_run: writer.is_none(), ..Default::default() };
        Runner { conn, now: to_ms(now), writer, directory: None, fired: HashMap::new(), all_fired_loaded: false, similar: None, report }
    }

    /// Lets the triage action ask the search index for similar solved tickets.
    pub fn with_similar(mut self, index: Option<Arc<crate::search::SearchIndex>>) -> Runner<'c> {
        self.similar = index;
        self
    }

    /// Reads what these rules already did to every ticket, for a pass over all of them.
    pub fn load_firings(&mut self, rules: &[Arc<CompiledRule>]) -> Result<()> {
        let mut stmt = self.conn.prepare_cached("SELECT ticket_id, window_key FROM rule_firings WHERE rule_id = ?1")?;
        for rule in rules {
            let rows = stmt.query_map([&rule.id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
            for row in rows {
                let (ticket, window) = row?;
                self.fired.insert((rule.id.clone(), ticket), window);
            }
        }
        self.all_fired_loaded = true;
        Ok(())
    }

    /// Runs `rules` in order over one ticket, round after round while they still change it.
    pub fn run_ticket(&mut self, rules: &[Arc<CompiledRule>], f: &mut Facts, happened: Happened) -> Result<()> {
        let mut fired_last: Vec<String> = vec![];
        for _round in 0..MAX_ROUNDS {
            let mut fired = vec![];
            for rule in rules {
                if f.status == Status::Closed {
                    return Ok(()); // closed tickets are never touched, not even by the rule after the one that closed it
                }
                if self.fire_if_due(rule, f, happened)? {
                    fired.push(rule.def.name.clone());
                }
            }
            if fired.is_empty() {
                return Ok(());
            }
            fired_last = fired;
        }
        let reason = format!("rules still changing the ticket after {MAX_ROUNDS} rounds (last round: {}); stopped", fired_last.join(", "));
        if let Some(w) = &self.writer {
            let stopped = Change::RulesStopped { rounds: MAX_ROUNDS as u32, rules: fired_last, reason: reason.clone() };
            events::record(self.conn, &w.ctx.with_actor("system"), Some(&f.id), stopped)?;
        }
        self.report.stopped.push(StoppedTicket { ticket_number: f.number, reason });
        Ok(())
    }

    /// Saves the round-robin positions the pass moved (written runs only).
    pub fn finish(self) -> Result<RulePassReport> {
        if let (Some(w), Some(dir)) = (&self.writer, &self.directory) {
            for (rule, agent) in &dir.cursors {
                let state: Option<String> = self.conn.query_row("SELECT state FROM rules WHERE id = ?1", [rule], |r| r.get(0)).optional()?;
                let mut state: serde_json::Value = state.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_else(|| json!({}));
                if state.get("last_assigned").and_then(|v| v.as_str()) == Some(agent.as_str()) {
                    continue;
                }
                if !state.is_object() {
                    state = json!({});
                }
                state["last_assigned"] = json!(agent);
                events::record(self.conn, &w.ctx.with_actor("system"), None, Change::RuleStateChanged { id: rule.clone(), state })?;
            }
        }
        Ok(self.report)
    }

    fn fire_if_due(&mut self, rule: &CompiledRule, f: &mut Facts, happened: Happened) -> Result<bool> {
        let mut found = Found::default();
        if !self.matches(rule, f, happened, &mut found)? {
            return Ok(false);
        }
        let window = window_key(&rule.def, f);
        if self.already_fired(&rule.id, &f.id, &window)? {
            return Ok(false);
        }
        // Plan each action against the ticket as the earlier actions left it.
        let mut words = Vec::new();
        let mut changed = false;
        let actor = format!("rule:{}", rule.def.name);
        for (index, action) in rule.def.actions.iter().enumerate() {
            match self.plan(rule, action, index, f, &found)? {
                Ok(effect) => {
                    for effect in effect.into_parts() {
                        words.push(self.describe(&effect, f));
                        if let Some(w) = &self.writer {
                            write(self.conn, w, &w.ctx.with_actor(actor.clone()), &rule.id, &window, f, &effect)?;
                        }
                        apply(f, &effect, self.now);
                    }
                    changed = true;
                }
                Err(Some(skipped)) => words.push(format!("skipped: {skipped}")),
                Err(None) => {}
            }
        }
        if !changed {
            return Ok(false);
        }
        self.fired.insert((rule.id.clone(), f.id.clone()), window.clone());
        if let Some(w) = &self.writer {
            let ctx = w.ctx.with_actor(format!("rule:{}", rule.def.name));
            events::record(self.conn, &ctx, Some(&f.id), Change::RuleFired { rule_id: rule.id.clone(), window: window.clone() })?;
            events::flush_derived(self.conn, &w.sla)?;
            // Read back what the writes did (SLA instants, times), keeping what was loaded.
            if let Some(mut fresh) = facts::load_one(self.conn, &f.id)? {
                fresh.inherit_texts(f);
                *f = fresh;
            }
        }
        self.report.changes.push(RuleChange { ticket_number: f.number, subject: f.subject.clone(), rule: rule.def.name.clone(), changes: words });
        Ok(true)
    }

    fn already_fired(&self, rule_id: &str, ticket_id: &str, window: &str) -> Result<bool> {
        if let Some(w) = self.fired.get(&(rule_id.to_string(), ticket_id.to_string())) {
            return Ok(w == window);
        }
        if self.all_fired_loaded {
            return Ok(false);
        }
        let stored: Option<String> = self
            .conn
            .prepare_cached("SELECT window_key FROM rule_firings WHERE rule_id = ?1 AND ticket_id = ?2")?
            .query_row(params![rule_id, ticket_id], |r| r.get(0))
            .optional()?;
        Ok(stored.as_deref() == Some(window))
    }

    fn matches(&mut self, rule: &CompiledRule, f: &mut Facts, happened: Happened, found: &mut Found) -> Result<bool> {
        let all_len = rule.def.all.len();
        for (i, c) in rule.def.all.iter().enumerate() {
            if !self.holds(c, rule.matchers[i].as_ref(), f, happened, found)? {
                return Ok(false);
            }
        }
        if rule.def.any.is_empty() {
            return Ok(true);
        }
        for (i, c) in rule.def.any.iter().enumerate() {
            if self.holds(c, rule.matchers[all_len + i].as_ref(), f, happened, found)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn holds(&mut self, c: &Condition, matcher: Option<&KeywordMatcher>, f: &mut Facts, happened: Happened, found: &mut Found) -> Result<bool> {
        let eq = |a: &str, b: &str| a.trim().eq_ignore_ascii_case(b.trim());
        Ok(match c {
            Condition::Event { events } => match happened {
                Happened::Now(e) => events.contains(&e),
                Happened::Last => events.contains(&f.last_event()),
                Happened::Nothing => false,
            },
            Condition::Status { values, not } => values.contains(&f.status) != *not,
            Condition::Priority { values, not } => values.contains(&f.priority) != *not,
            Condition::Type { values, not } => values.iter().any(|v| eq(v, &f.ticket_type)) != *not,
            Condition::Team { values, not } => {
                values.iter().any(|v| match &f.team {
                    None => eq(v, "none"),
                    Some(t) => eq(v, t),
                }) != *not
            }
            Condition::Assignee { values, not } => {
                values.iter().any(|v| match &f.assignee_email {
                    None => eq(v, "none"),
                    Some(e) => eq(v, e),
                }) != *not
            }
            Condition::RequesterTier { values, not } => values.contains(&f.tier) != *not,
            Condition::Channel { values, not } => values.contains(&f.channel) != *not,
            Condition::Tags { values, not } => {
                let tags = f.tags(self.conn)?;
                values.iter().any(|v| tags.iter().any(|t| eq(t, v))) != *not
            }
            Condition::Text { field, not, .. } => {
                let text = self.text(f, *field)?;
                let hit = matcher.is_some_and(|m| !m.find(&text).is_empty());
                hit != *not
            }
            Condition::HoursSince { since, at_least, less_than } => match anchor(*since, f) {
                None => false,
                Some(t) => {
                    let hours = (self.now - t) as f64 / 3_600_000.0;
                    at_least.is_none_or(|a| hours >= a) && less_than.is_none_or(|b| hours < b)
                }
            },
            Condition::Sla { values, not } => values.contains(&f.sla_state(self.now)) != *not,
            Condition::SimilarFromRequester { at_least, days } => {
                let since = self.now - *days as i64 * 86_400_000;
                let subjects: Vec<String> = self
                    .conn
                    .prepare_cached("SELECT subject FROM tickets WHERE requester_id = ?1 AND created_at >= ?2 AND id <> ?3")?
                    .query_map(params![f.requester_id, since, f.id], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
                let same = subjects.iter().filter(|s| crate::text::subject_similarity(s, &f.subject) >= SAME_PROBLEM_SIMILARITY).count();
                same as u32 + 1 >= *at_least
            }
            Condition::AffectedUsers { at_least } => {
                let text = self.text(f, TextField::Any)?;
                crate::text::affected_people(&text).is_some_and(|n| n >= *at_least)
            }
            Condition::DuplicateOf { within_hours, min_similarity, same_type } => {
                let since = f.created_at - (*within_hours * 3_600_000.0) as i64;
                let candidates: Vec<(i64, String, String)> = self
                    .conn
                    .prepare_cached(
                        "SELECT number, subject, type FROM tickets
                         WHERE requester_id = ?1 AND created_at >= ?2 AND created_at <= ?3 AND number < ?4
                           AND status <> 'closed' AND duplicate_of IS NULL ORDER BY created_at, number",
                    )?
                    .query_map(params![f.requester_id, since, f.created_at, f.number], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .collect::<rusqlite::Result<_>>()?;
                // The most alike earlier ticket; the earliest of equally alike ones.
                let mut best: Option<(f64, i64, String)> = None;
                for (number, subject, ticket_type) in candidates {
                    if *same_type && !eq(&ticket_type, &f.ticket_type) {
                        continue;
                    }
                    let s = crate::text::subject_similarity(&subject, &f.subject);
                    if s >= *min_similarity && best.as_ref().is_none_or(|(b, _, _)| s > *b) {
                        best = Some((s, number, subject));
                    }
                }
                found.original = best.map(|(_, n, s)| (n, s));
                found.original.is_some()
            }
        })
    }

    fn text(&self, f: &mut Facts, field: TextField) -> Result<String> {
        Ok(match field {
            TextField::Subject => f.subject.clone(),
            TextField::Body => f.description(self.conn)?.to_string(),
            TextField::LatestCustomerMessage => f.latest_customer_message(self.conn)?.to_string(),
            TextField::Any => {
                let subject = f.subject.clone();
                let body = f.description(self.conn)?.to_string();
                let latest = f.latest_customer_message(self.conn)?;
                if latest == body {
                    format!("{subject}\n{body}")
                } else {
                    format!("{subject}\n{body}\n{latest}")
                }
            }
        })
    }

    fn directory(&mut self) -> Result<&mut Directory> {
        if self.directory.is_none() {
            self.directory = Some(Directory::load(self.conn)?);
        }
        Ok(self.directory.as_mut().expect("loaded above"))
    }

    /// The effect of one action on the ticket as it is now: `Err(None)` when it would change
    /// nothing (already so), `Err(Some(why))` when it cannot apply here.
    fn plan(
        &mut self,
        rule: &CompiledRule,
        action: &Action,
        index: usize,
        f: &mut Facts,
        found: &Found,
    ) -> Result<std::result::Result<Effect, Option<String>>> {
        use std::result::Result::{Err as Skip, Ok as Do};
        Ok(match action {
            Action::SetStatus { status, reason } => {
                if f.status == *status {
                    Skip(None)
                } else if !f.status.allows(*status, *reason) {
                    Skip(Some(format!("{} cannot become {} this way", f.status.label(), status.label())))
                } else {
                    Do(Effect::Status { to: *status, reason: *reason })
                }
            }
            Action::SetPriority { priority } => {
                if f.priority == *priority {
                    Skip(None)
                } else {
                    Do(Effect::Priority(*priority))
                }
            }
            Action::RaisePriority => {
                if f.priority == Priority::Urgent {
                    Skip(None)
                } else {
                    Do(Effect::Priority(f.priority.raised()))
                }
            }
            Action::SetType { ticket_type } => {
                if f.ticket_type.eq_ignore_ascii_case(ticket_type) {
                    Skip(None)
                } else {
                    Do(Effect::Type(ticket_type.clone()))
                }
            }
            Action::SetTeam { team } => {
                let dir = self.directory()?;
                let new = match team {
                    None => None,
                    Some(name) => match dir.team_by_name(name) {
                        Some(t) => Some((t.id.clone(), t.name.clone())),
                        None => return Ok(Skip(Some(format!("there is no team '{name}' any more")))),
                    },
                };
                if new.as_ref().map(|t| &t.0) == f.team_id.as_ref() {
                    Skip(None)
                } else {
                    Do(Effect::Team(new))
                }
            }
            Action::Assign { agent } => {
                let dir = self.directory()?;
                let new = match agent {
                    None => None,
                    Some(email) => match dir.agents.iter().find(|a| a.active && a.email.eq_ignore_ascii_case(email)) {
                        Some(a) => Some((a.id.clone(), a.email.clone())),
                        None => return Ok(Skip(Some(format!("{email} is not an active agent")))),
                    },
                };
                self.assignment(f, new)?
            }
            Action::AssignBackup => {
                let dir = self.directory()?;
                let Some(team) = f.team_id.as_ref().and_then(|id| dir.teams.iter().find(|t| &t.id == id)) else {
                    return Ok(Skip(Some("the ticket has no team, so no backup agent".into())));
                };
                let Some(backup) = team.backup.as_ref().and_then(|id| dir.agent(id)).filter(|a| a.active) else {
                    return Ok(Skip(Some(format!("team {} has no active backup agent", team.name))));
                };
                let new = Some((backup.id.clone(), backup.email.clone()));
                self.assignment(f, new)?
            }
            Action::AutoAssign { strategy, team, skill } => {
                let dir = self.directory()?;
                let team_id = match team {
                    Some(name) => dir.team_by_name(name).map(|t| t.id.clone()),
                    None => f.team_id.clone(),
                };
                let wanted_skill = skill.clone().unwrap_or_else(|| f.ticket_type.clone());
                let candidates: Vec<&AgentInfo> = dir
                    .agents
                    .iter()
                    .filter(|a| a.active)
                    .filter(|a| match strategy {
                        AssignStrategy::BySkill => a.skills.iter().any(|s| s.eq_ignore_ascii_case(&wanted_skill)),
                        _ => team_id.as_ref().is_none_or(|t| a.teams.contains(t)),
                    })
                    .collect();
                if candidates.is_empty() {
                    return Ok(Skip(Some(match strategy {
                        AssignStrategy::BySkill => format!("no active agent has the skill \"{wanted_skill}\""),
                        _ => "no active agent in the team".to_string(),
                    })));
                }
                let pick = match strategy {
                    AssignStrategy::RoundRobin => {
                        let last = dir.cursors.get(&rule.id);
                        let after = last.and_then(|id| candidates.iter().position(|a| &a.id == id)).map_or(0, |i| i + 1);
                        candidates[after % candidates.len()]
                    }
                    _ => *candidates.iter().min_by_key(|a| (dir.load.get(&a.id).copied().unwrap_or(0), a.email.clone())).expect("not empty"),
                };
                let new = Some((pick.id.clone(), pick.email.clone()));
                if *strategy == AssignStrategy::RoundRobin {
                    let id = pick.id.clone();
                    dir.cursors.insert(rule.id.clone(), id);
                }
                self.assignment(f, new)?
            }
            Action::AddTags { tags } | Action::RemoveTags { tags } => {
                let mut now_tags: Vec<String> = f.tags(self.conn)?.to_vec();
                let before = now_tags.clone();
                if matches!(action, Action::AddTags { .. }) {
                    for t in tags {
                        if !now_tags.iter().any(|x| x.eq_ignore_ascii_case(t)) {
                            now_tags.push(t.clone());
                        }
                    }
                    now_tags.sort();
                } else {
                    now_tags.retain(|x| !tags.iter().any(|t| t.eq_ignore_ascii_case(x)));
                }
                if now_tags == before {
                    Skip(None)
                } else {
                    Do(Effect::Tags(now_tags))
                }
            }
            Action::ApplyTriage { min_confidence } => {
                let Some(index) = self.similar.clone() else {
                    return Ok(Skip(Some("no search index to find similar tickets in here".into())));
                };
                let body = f.description(self.conn)?.to_string();
                let suggested = crate::predict::triage_text_on(self.conn, self.now, &index, &f.subject, &body)?;
                let mut effects = Vec::new();
                let mut tags: Vec<String> = f.tags(self.conn)?.to_vec();
                let tags_before = tags.clone();
                for s in suggested.iter().filter(|s| s.confidence >= *min_confidence) {
                    match s.field.as_str() {
                        "type" if !f.ticket_type.eq_ignore_ascii_case(&s.value) => effects.push(Effect::Type(s.value.clone())),
                        "priority" => {
                            if let Ok(p) = Priority::parse(&s.value) {
                                if p != f.priority {
                                    effects.push(Effect::Priority(p));
                                }
                            }
                        }
                        "team" => {
                            let dir = self.directory()?;
                            if let Some(t) = dir.team_by_name(&s.value) {
                                if f.team_id.as_ref() != Some(&t.id) {
                                    effects.push(Effect::Team(Some((t.id.clone(), t.name.clone()))));
                                }
                            }
                        }
                        // Never takes a ticket from someone who has it.
                        "assignee" if f.assignee_id.is_none() => {
                            let dir = self.directory()?;
                            let agent = dir
                                .agents
                                .iter()
                                .find(|a| a.active && a.email.eq_ignore_ascii_case(&s.value))
                                .map(|a| (a.id.clone(), a.email.clone()));
                            if let Some(agent) = agent {
                                if let Ok(e) = self.assignment(f, Some(agent))? {
                                    effects.push(e);
                                }
                            }
                        }
                        "tag" if !tags.iter().any(|t| t.eq_ignore_ascii_case(&s.value)) => tags.push(s.value.clone()),
                        _ => {}
                    }
                }
                if tags != tags_before {
                    tags.sort();
                    effects.push(Effect::Tags(tags));
                }
                if effects.is_empty() {
                    Skip(None)
                } else {
                    Do(Effect::Many(effects))
                }
            }
            Action::AddNote { body } => Do(Effect::Note(body.clone())),
            Action::SendMacro { macro_name } => Do(Effect::Reply(macro_name.clone())),
            Action::MergeIntoOriginal => match &found.original {
                Some((n, _)) => Do(Effect::Merge(*n)),
                None => Skip(Some("no earlier ticket to merge into".into())),
            },
            Action::Notify { to, message } => Do(Effect::Notify { to: to.clone(), message: message.clone(), index }),
        })
    }

    /// An assignment effect, keeping the workload counts current for later picks.
    fn assignment(&mut self, f: &Facts, new: Option<(String, String)>) -> Result<std::result::Result<Effect, Option<String>>> {
        if new.as_ref().map(|a| &a.0) == f.assignee_id.as_ref() {
            return Ok(Err(None));
        }
        let dir = self.directory()?;
        if let Some(old) = &f.assignee_id {
            *dir.load.entry(old.clone()).or_default() -= 1;
        }
        if let Some((id, _)) = &new {
            *dir.load.entry(id.clone()).or_default() += 1;
        }
        Ok(Ok(Effect::Assignee(new)))
    }

    fn describe(&mut self, e: &Effect, f: &mut Facts) -> String {
        match e {
            Effect::Status { to, reason } => match reason {
                Some(r) => format!("status {} → {} ({})", f.status.label(), to.label(), r.as_str().replace('_', " ")),
                None => format!("status {} → {}", f.status.label(), to.label()),
            },
            Effect::Priority(p) => format!("priority {} → {}", f.priority.label(), p.label()),
            Effect::Type(t) => format!("type {} → {t}", f.ticket_type),
            Effect::Team(t) => format!("team {} → {}", f.team.as_deref().unwrap_or("none"), t.as_ref().map_or("none", |t| t.1.as_str())),
            Effect::Assignee(a) => {
                let name = |id: Option<&String>| {
                    id.and_then(|id| self.directory.as_ref().and_then(|d| d.agent(id)).map(|a| a.name.clone())).unwrap_or_else(|| "nobody".into())
                };
                format!("assignee {} → {}", name(f.assignee_id.as_ref()), name(a.as_ref().map(|a| &a.0)))
            }
            Effect::Tags(t) => {
                let before = f.tags(self.conn).map(|t| t.to_vec()).unwrap_or_default();
                let added: Vec<&String> = t.iter().filter(|x| !before.contains(x)).collect();
                let removed: Vec<&String> = before.iter().filter(|x| !t.contains(x)).collect();
                let mut parts = vec![];
                if !added.is_empty() {
                    parts.push(format!("tags + {}", added.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")));
                }
                if !removed.is_empty() {
                    parts.push(format!("tags − {}", removed.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")));
                }
                parts.join("; ")
            }
            Effect::Many(parts) => parts.iter().map(|p| self.describe(p, f)).collect::<Vec<_>>().join("; "),
            Effect::Note(body) => format!("internal note: {}", first_line(body)),
            Effect::Reply(name) => format!("reply to the customer with the macro \"{name}\""),
            Effect::Merge(n) => format!("closed as a duplicate of #{n} (merged, linked)"),
            Effect::Notify { to, message, .. } => {
                let who: Vec<&str> = to
                    .iter()
                    .map(|r| match r {
                        Recipient::Assignee => "assignee",
                        Recipient::Lead => "lead",
                        Recipient::Admin => "admin",
                    })
                    .collect();
                format!("notify {}: {}", who.join(" and "), first_line(message))
            }
        }
    }
}

fn first_line(s: &str) -> String {
    let line = s.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
    match line.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line.to_string(),
    }
}

fn anchor(since: Since, f: &Facts) -> Option<i64> {
    match since {
        Since::Created => Some(f.created_at),
        Since::Updated => Some(f.updated_at),
        Since::LastAgentReply => f.last_agent_reply_at,
        Since::LastCustomerReply => f.last_customer_at,
        Since::StatusChange => Some(f.status_changed_at),
        Since::PendingSince => (f.status == Status::Pending).then_some(f.status_changed_at),
        Since::AwaitingReply => f.awaiting_reply_since,
    }
}

/// The condition window of a rule on a ticket: the instants its conditions measure from —
/// the time an "hours since" counts from, the customer message it read, the SLA cycle. A
/// rule acts once per ticket and window, so it acts again only when one of them moves (a new
/// customer message, a new status, a reopen), never on every scan. A rule that measures
/// nothing (a trigger on creation, say) acts once per ticket.
pub(crate) fn window_key(def: &RuleDefinition, f: &Facts) -> String {
    let mut parts: Vec<String> = Vec::new();
    let ms = |t: Option<i64>| t.map_or("-".to_string(), |t| t.to_string());
    for c in def.all.iter().chain(def.any.iter()) {
        match c {
            Condition::HoursSince { since, .. } => parts.push(format!("{since:?}={}", ms(anchor(*since, f)))),
            Condition::Text { field: TextField::LatestCustomerMessage, .. } => parts.push(format!("customer={}", ms(f.last_customer_at))),
            Condition::Sla { .. } => parts.push(format!("cycle={}", f.sla_cycle)),
            _ => {}
        }
    }
    parts.sort();
    parts.dedup();
    if parts.is_empty() {
        "once".into()
    } else {
        parts.join(";")
    }
}

/// The in-memory side of an effect, so later rules (and a dry run) see it.
fn apply(f: &mut Facts, e: &Effect, now: i64) {
    match e {
        Effect::Status { to, .. } => {
            f.status = *to;
            f.status_changed_at = now;
        }
        Effect::Priority(p) => f.priority = *p,
        Effect::Type(t) => f.ticket_type = t.clone(),
        Effect::Team(t) => {
            f.team_id = t.as_ref().map(|t| t.0.clone());
            f.team = t.as_ref().map(|t| t.1.clone());
        }
        Effect::Assignee(a) => {
            f.assignee_id = a.as_ref().map(|a| a.0.clone());
            f.assignee_email = a.as_ref().map(|a| a.1.clone());
        }
        Effect::Tags(t) => f.set_tags(t.clone()),
        Effect::Merge(_) => {
            f.status = Status::Closed;
            f.status_changed_at = now;
        }
        Effect::Many(parts) => parts.iter().for_each(|p| apply(f, p, now)),
        Effect::Note(_) | Effect::Reply(_) | Effect::Notify { .. } => {}
    }
    if !matches!(e, Effect::Notify { .. }) {
        f.updated_at = f.updated_at.max(now);
    }
}

/// The database side of an effect: the change and its event, in the caller's transaction.
fn write(conn: &Connection, w: &Writer, ctx: &EventCtx, rule_id: &str, window: &str, f: &Facts, e: &Effect) -> Result<()> {
    let field = |change: FieldChange| tickets::record_field_change(conn, ctx, &f.id, change);
    match e {
        Effect::Status { to, reason } => {
            let t = tickets::load_ticket(conn, f.number)?;
            tickets::change_status(conn, ctx, &t, *to, *reason)?;
        }
        Effect::Priority(p) => field(FieldChange::Priority { from: f.priority, to: *p })?,
        Effect::Type(t) => field(FieldChange::Type { from: f.ticket_type.clone(), to: t.clone() })?,
        Effect::Team(t) => field(FieldChange::Team { from: f.team_id.clone(), to: t.as_ref().map(|t| t.0.clone()) })?,
        Effect::Assignee(a) => field(FieldChange::Assignee { from: f.assignee_id.clone(), to: a.as_ref().map(|a| a.0.clone()) })?,
        Effect::Tags(tags) => {
            let before: Vec<String> = conn
                .prepare_cached("SELECT tag FROM ticket_tags WHERE ticket_id = ?1 ORDER BY tag")?
                .query_map([&f.id], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            field(FieldChange::Tags { from: before, to: tags.clone() })?;
        }
        Effect::Many(parts) => {
            for p in parts {
                write(conn, w, ctx, rule_id, window, f, p)?;
            }
        }
        Effect::Note(body) => {
            tickets::insert_message(conn, ctx, &w.data_dir, &f.id, MessageKind::Internal, None, None, body, &[])?;
        }
        Effect::Reply(name) => {
            let body: String = conn
                .query_row("SELECT body FROM macros WHERE name = ?1", [name], |r| r.get(0))
                .optional()?
                .ok_or_else(|| crate::Error::validation("rule", format!("the macro '{name}' this rule sends no longer exists")))?;
            let t = tickets::load_ticket(conn, f.number)?;
            let signature = crate::workspace::get_setting::<crate::workspace::WorkspaceInfo>(conn, "workspace")?.map(|i| i.name).unwrap_or_default();
            let text = crate::macros::render(&body, &t, &signature, "")?;
            tickets::insert_message(conn, ctx, &w.data_dir, &f.id, MessageKind::Public, None, None, &text, &[])?;
        }
        Effect::Merge(original) => {
            let dup = tickets::load_ticket(conn, f.number)?;
            let orig = tickets::load_writable(conn, *original)?;
            tickets::merge_into(conn, ctx, &w.data_dir, &dup, &orig)?;
        }
        Effect::Notify { to, message, index } => {
            let rule_name = ctx.actor.trim_start_matches("rule:").to_string();
            crate::alerts::raise_for_rule(conn, &f.id, &format!("{rule_id}:{index}:{window}"), &rule_name, message, to, ctx.at)?;
            events::record(conn, ctx, Some(&f.id), Change::RuleNotified { to: json!(to), message: message.clone() })?;
        }
    }
    Ok(())
}

/// A pre-filter for a pass of `rules` at `now`, in SQL: the ALL conditions that SQL can
/// test on the ticket row (its status; a clock that must have run some hours, as "awaiting a
/// reply ≥ 2 h"), ANDed per rule and ORed across rules. A ticket it leaves out cannot match
/// any of the rules, so a pass need not even read it. `None` when some rule has no such
/// condition (every ticket must be looked at). Built from enums and numbers only, no text.
pub(crate) fn time_prefilter(rules: &[Arc<CompiledRule>], now: i64) -> Option<String> {
    let mut per_rule = Vec::new();
    for rule in rules {
        let mut tests = Vec::new();
        for c in &rule.def.all {
            match c {
                Condition::Status { values, not } => {
                    let list: Vec<String> = values.iter().map(|s| format!("'{}'", s.as_str())).collect();
                    tests.push(format!("t.status {}IN ({})", if *not { "NOT " } else { "" }, list.join(", ")));
                }
                Condition::HoursSince { since, at_least: Some(h), .. } => {
                    tests.push(format!("{} <= {}", facts::since_column(*since), now - (h * 3_600_000.0) as i64));
                }
                _ => {}
            }
        }
        if tests.is_empty() {
            return None;
        }
        per_rule.push(format!("({})", tests.join(" AND ")));
    }
    (!per_rule.is_empty()).then(|| per_rule.join(" OR "))
}

/// The enabled triggers, as a hook of every ticket change.
pub(crate) struct Triggers {
    pub book: Arc<RuleBook>,
    pub similar: Option<Arc<crate::search::SearchIndex>>,
}

impl crate::hooks::Hook for Triggers {
    fn after(&self, conn: &Connection, hc: &crate::hooks::HookCtx<'_>, ticket_id: &str, what: crate::hooks::Happened<'_>) -> Result<()> {
        use crate::hooks::Happened;
        let event = match what {
            Happened::Created { .. } => TriggerEvent::Created,
            Happened::CustomerMessage { .. } => TriggerEvent::CustomerMessage,
            Happened::AgentReply => TriggerEvent::AgentReply,
            Happened::Note => TriggerEvent::Note,
            Happened::StatusChanged => TriggerEvent::StatusChanged,
            Happened::FieldChanged => TriggerEvent::FieldChanged,
        };
        let writer = Writer { ctx: hc.ctx.clone(), sla: hc.sla.clone(), data_dir: hc.data_dir.to_path_buf() };
        crate::store::seeing_everything(conn, || after_change(conn, &self.book, writer, self.similar.clone(), ticket_id, event))
    }
}

/// Runs the enabled triggers after a change to one ticket, in the change's transaction.
pub(crate) fn after_change(
    conn: &Connection,
    book: &RuleBook,
    writer: Writer,
    similar: Option<Arc<crate::search::SearchIndex>>,
    ticket_id: &str,
    what: TriggerEvent,
) -> Result<()> {
    if book.triggers.is_empty() {
        return Ok(());
    }
    let Some(mut f) = facts::load_one(conn, ticket_id)? else { return Ok(()) };
    if f.status == Status::Closed {
        return Ok(());
    }
    let now = writer.ctx.at;
    let mut runner = Runner::new(conn, now, Some(writer)).with_similar(similar);
    runner.report.tickets_examined = 1;
    runner.run_ticket(&book.triggers, &mut f, Happened::Now(what))?;
    let report = runner.finish()?;
    // Logged inside the change's transaction, which commits after the hooks: a commit that
    // fails then (a full disk) leaves this line and its own error line in the log.
    log_changes("a trigger acted", &report);
    Ok(())
}

/// One log line per rule that changed a ticket, with what it did.
pub(crate) fn log_changes(what: &str, report: &RulePassReport) {
    for c in &report.changes {
        tracing::info!(rule = c.rule.as_str(), ticket = c.ticket_number, did = c.changes.join("; ").as_str(), "{what}");
    }
    for s in &report.stopped {
        tracing::warn!(ticket = s.ticket_number, why = s.reason.as_str(), "the rules kept changing a ticket and were stopped");
    }
}
