//! Predictions from a ticket's similar solved tickets (issue 19): triage suggestions (type,
//! priority, team, assignee, tags, each with a confidence and the tickets it came from) and
//! the expected time to resolve, in the SLA calendar's working time. Both read only what the
//! neighbours already are; nothing is learnt or stored, so they change as the team works.
//! `evaluate` measures both by leave-one-out over the workspace's solved tickets.

use crate::model::Priority;
use crate::search::SearchIndex;
use crate::{Result, Workspace};
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How many similar solved tickets vote on triage.
const TRIAGE_NEIGHBOURS: usize = 15;
/// How many give the expected time to resolve (more: a median wants numbers).
const ETA_NEIGHBOURS: usize = 60;
/// Fewer similar solved tickets than this say nothing about time.
const ETA_MINIMUM: usize = 3;
/// A tag is suggested when this share of the votes carries it.
const TAG_SHARE: f64 = 0.5;
/// Assignees: a solve within this many days counts fully, older ones half.
const RECENT_DAYS: i64 = 90;

/// One suggested value of a field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Suggestion {
    /// "type", "priority", "team", "assignee" or "tag".
    pub field: String,
    /// What to set: the type or team name, the priority's name, the agent's email, the tag.
    pub value: String,
    /// What a person reads (the agent's name).
    pub label: String,
    /// The share of the similar tickets' weight that voted for it (0–1).
    pub confidence: f64,
    /// The similar tickets that voted for it, best first.
    pub from: Vec<i64>,
    /// The ticket has this value already.
    pub current: bool,
}

/// How long similar tickets took to resolve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Eta {
    /// Working seconds (the SLA calendar's; every second when it has none).
    pub median_seconds: i64,
    /// 80 % of them were resolved within this.
    pub p80_seconds: i64,
    pub n: usize,
    pub business_hours: bool,
    pub from: Vec<i64>,
}

/// What the ticket page shows beside the ticket: triage suggestions and the expected time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Predictions {
    pub triage: Vec<Suggestion>,
    pub eta: Option<Eta>,
}

/// When the open backlog should be done, from each open ticket's expected time less the
/// time it has already been open (working time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct BacklogEta {
    /// Unsolved tickets in all.
    pub open: usize,
    /// How many of them were looked at (evenly spread), and how many had enough similar
    /// solved tickets to tell.
    pub sampled: usize,
    pub estimated: usize,
    /// Half of them should be resolved within this many working seconds from now, 80 % within
    /// the second; overdue ones (open longer than similar tickets took) count as now.
    pub median_remaining_seconds: i64,
    pub p80_remaining_seconds: i64,
    /// Share of the estimated ones already open longer than their similar tickets took.
    pub overdue_share: f64,
}

/// What one neighbour brings to the vote.
struct Neighbour {
    number: i64,
    weight: f64,
    ticket_type: String,
    priority: Priority,
    team: Option<String>,
    assignee: Option<(String, String)>,
    tags: Vec<String>,
    created_at: i64,
    resolved_at: Option<i64>,
    /// Resolved as a duplicate or without action: its time says nothing.
    counts_for_time: bool,
}

fn neighbour(conn: &Connection, number: i64, weight: f64) -> Result<Option<Neighbour>> {
    let row = conn
        .prepare_cached(
            "SELECT t.type, t.priority, tm.name, a.email, a.name, t.created_at, t.resolved_at, coalesce(t.resolution, ''),
                    (SELECT group_concat(tag, char(10)) FROM ticket_tags g WHERE g.ticket_id = t.id)
             FROM tickets t LEFT JOIN teams tm ON tm.id = t.team_id LEFT JOIN agents a ON a.id = t.assignee_id AND a.active = 1
             WHERE t.number = ?1",
        )?
        .query_row([number], |r| {
            let email: Option<String> = r.get(3)?;
            let name: Option<String> = r.get(4)?;
            let resolution: String = r.get(7)?;
            Ok(Neighbour {
                number,
                weight,
                ticket_type: r.get(0)?,
                priority: Priority::from_rank(r.get(1)?),
                team: r.get(2)?,
                assignee: email.zip(name),
                tags: r.get::<_, Option<String>>(8)?.map(|t| t.split('\n').map(str::to_string).collect()).unwrap_or_default(),
                created_at: r.get(5)?,
                resolved_at: r.get(6)?,
                counts_for_time: !matches!(resolution.as_str(), "duplicate" | "no_action_needed"),
            })
        })
        .optional()?;
    Ok(row)
}

fn neighbours(ws: &Workspace, index: &SearchIndex, number: i64, k: usize) -> Result<Vec<Neighbour>> {
    let mut out = Vec::new();
    for (n, score) in index.neighbours(ws.connection(), number, k)? {
        if let Some(x) = neighbour(ws.connection(), n, score as f64)? {
            out.push(x);
        }
    }
    Ok(out)
}

/// The weighted vote of one field: (value, label) → (weight, voters), the heaviest first, ties
/// by value (deterministic).
fn vote<'a>(votes: impl Iterator<Item = (String, String, f64, i64)> + 'a) -> Vec<(String, String, f64, Vec<i64>)> {
    let mut tally: BTreeMap<String, (String, f64, Vec<i64>)> = BTreeMap::new();
    for (value, label, weight, number) in votes {
        let e = tally.entry(value).or_insert_with(|| (label, 0.0, vec![]));
        e.1 += weight;
        e.2.push(number);
    }
    let mut out: Vec<_> = tally.into_iter().map(|(v, (l, w, from))| (v, l, w, from)).collect();
    out.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
    out
}

impl Workspace {
    /// Triage suggestions for ticket `number` from its similar solved tickets: the best value
    /// of each field, and the tags most of them carry. Empty when nothing similar is solved.
    pub fn triage(&self, index: &SearchIndex, number: i64) -> Result<Vec<Suggestion>> {
        let neighbours = neighbours(self, index, number, TRIAGE_NEIGHBOURS)?;
        let current = crate::tickets::load_ticket(self.connection(), number)?;
        self.triage_from(&neighbours, Some(&current))
    }

    /// Triage suggestions for a ticket still being typed (the new-ticket form).
    pub fn triage_text(&self, index: &SearchIndex, subject: &str, body: &str) -> Result<Vec<Suggestion>> {
        triage_text_on(self.connection(), crate::clock::to_ms(self.now()), index, subject, body)
    }

    fn triage_from(&self, neighbours: &[Neighbour], current: Option<&crate::model::Ticket>) -> Result<Vec<Suggestion>> {
        triage_from(self.connection(), crate::clock::to_ms(self.now()), neighbours, current)
    }
    /// Triage and the expected time together (one read for the ticket page).
    pub fn predictions(&self, index: &SearchIndex, number: i64) -> Result<Predictions> {
        // One search serves both: the triage's neighbours are the first of the time's (the
        // ranking is deterministic, so a shorter list is the start of a longer one).
        let ticket = crate::tickets::load_ticket(self.connection(), number)?;
        let neighbours = neighbours(self, index, number, ETA_NEIGHBOURS.max(TRIAGE_NEIGHBOURS))?;
        let voters = &neighbours[..neighbours.len().min(TRIAGE_NEIGHBOURS)];
        Ok(Predictions { triage: self.triage_from(voters, Some(&ticket))?, eta: self.eta_from(ticket.priority, &neighbours) })
    }

    /// The expected resolution of the open backlog, from (at most) `sample` of its tickets.
    pub fn backlog_eta(&self, index: &SearchIndex, sample: usize) -> Result<Option<BacklogEta>> {
        let open: Vec<(i64, i64)> = self
            .connection()
            .prepare_cached("SELECT number, created_at FROM tickets WHERE status NOT IN ('resolved', 'closed') ORDER BY number")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        if open.is_empty() {
            return Ok(None);
        }
        let step = (open.len() / sample.max(1)).max(1);
        let picked: Vec<&(i64, i64)> = open.iter().step_by(step).take(sample).collect();
        let now = self.now();
        let mut remaining = Vec::new();
        for (number, created) in &picked {
            if let Some(eta) = self.eta(index, *number)? {
                let open_for = self.sla.working_seconds(crate::clock::from_ms(*created), now);
                remaining.push(eta.median_seconds - open_for);
            }
        }
        if remaining.is_empty() {
            return Ok(None);
        }
        let overdue = remaining.iter().filter(|r| **r <= 0).count();
        let mut left: Vec<i64> = remaining.iter().map(|r| (*r).max(0)).collect();
        left.sort_unstable();
        let at = |q: f64| left[((left.len() - 1) as f64 * q).round() as usize];
        Ok(Some(BacklogEta {
            open: open.len(),
            sampled: picked.len(),
            estimated: left.len(),
            median_remaining_seconds: at(0.5),
            p80_remaining_seconds: at(0.8),
            overdue_share: overdue as f64 / left.len() as f64,
        }))
    }

    /// How long ticket `number`'s similar solved tickets took to resolve, in working time;
    /// `None` with fewer than three of them.
    pub fn eta(&self, index: &SearchIndex, number: i64) -> Result<Option<Eta>> {
        let priority = crate::tickets::load_ticket(self.connection(), number)?.priority;
        let neighbours = neighbours(self, index, number, ETA_NEIGHBOURS)?;
        Ok(self.eta_from(priority, &neighbours))
    }

    fn eta_from(&self, priority: Priority, neighbours: &[Neighbour]) -> Option<Eta> {
        // Time depends on priority (its SLA) as much as on the problem: the similar tickets of
        // the same priority tell, when there are enough of them.
        let same: Vec<&Neighbour> = neighbours.iter().filter(|n| n.priority == priority && n.counts_for_time && n.resolved_at.is_some()).collect();
        let chosen: Vec<&Neighbour> = if same.len() >= ETA_MINIMUM { same } else { neighbours.iter().collect() };
        self.eta_of(&chosen)
    }

    fn eta_of(&self, neighbours: &[&Neighbour]) -> Option<Eta> {
        let mut times: Vec<(i64, i64)> = neighbours
            .iter()
            .filter(|n| n.counts_for_time)
            .filter_map(|n| {
                n.resolved_at.map(|r| (self.sla.working_seconds(crate::clock::from_ms(n.created_at), crate::clock::from_ms(r)), n.number))
            })
            .collect();
        if times.len() < ETA_MINIMUM {
            return None;
        }
        let from = times.iter().map(|t| t.1).collect();
        times.sort_unstable();
        let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize].0;
        Some(Eta { median_seconds: at(0.5), p80_seconds: at(0.8), n: times.len(), business_hours: self.sla.business_hours.is_some(), from })
    }

    /// Leave-one-out over (at most `sample`, evenly spread) solved tickets: each one's triage
    /// and time predicted from the others, against the truth, beside the obvious baselines.
    pub fn evaluate_predictions(&self, index: &SearchIndex, sample: usize) -> Result<Evaluation> {
        let solved: Vec<i64> = self
            .connection()
            .prepare("SELECT number FROM tickets WHERE status IN ('resolved', 'closed') AND resolved_at IS NOT NULL ORDER BY number")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let step = (solved.len() / sample.max(1)).max(1);
        let picked: Vec<i64> = solved.iter().step_by(step).take(sample).copied().collect();
        let mut truth: Vec<Neighbour> = Vec::new();
        for n in &solved {
            if let Some(x) = neighbour(self.connection(), *n, 1.0)? {
                truth.push(x);
            }
        }
        let by_number: BTreeMap<i64, &Neighbour> = truth.iter().map(|t| (t.number, t)).collect();
        // The majority class of each field over every solved ticket (a baseline that sees the
        // answers' distribution, so a little better than a real one).
        let majority = |f: &dyn Fn(&Neighbour) -> Option<String>| -> Option<String> {
            vote(truth.iter().filter_map(|t| f(t).map(|v| (v.clone(), v, 1.0, t.number)))).into_iter().next().map(|v| v.0)
        };
        type Value = fn(&Neighbour) -> Option<String>;
        let fields: [(&str, Value); 4] = [
            ("type", |n| Some(n.ticket_type.clone())),
            ("priority", |n| Some(n.priority.as_str().to_string())),
            ("team", |n| n.team.clone()),
            ("assignee", |n| n.assignee.as_ref().map(|a| a.0.clone())),
        ];
        let mut rows = Vec::new();
        let mut predictions: Vec<Vec<Suggestion>> = Vec::new();
        for n in &picked {
            predictions.push(self.triage(index, *n)?);
        }
        for (field, get) in &fields {
            let base = majority(get);
            let (mut judged, mut ours, mut theirs) = (0usize, 0usize, 0usize);
            for (n, suggested) in picked.iter().zip(&predictions) {
                let Some(actual) = by_number.get(n).and_then(|t| get(t)) else { continue };
                judged += 1;
                ours += suggested.iter().any(|s| s.field == *field && s.value.eq_ignore_ascii_case(&actual)) as usize;
                theirs += base.as_deref().is_some_and(|b| b.eq_ignore_ascii_case(&actual)) as usize;
            }
            rows.push(FieldAccuracy {
                field: field.to_string(),
                judged,
                accuracy: ours as f64 / judged.max(1) as f64,
                majority: theirs as f64 / judged.max(1) as f64,
            });
        }
        // Time: the neighbours' median against the median of the ticket's priority.
        let mut per_priority: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
        let working = |t: &Neighbour| t.resolved_at.map(|r| self.sla.working_seconds(crate::clock::from_ms(t.created_at), crate::clock::from_ms(r)));
        for t in truth.iter().filter(|t| t.counts_for_time) {
            if let Some(s) = working(t) {
                per_priority.entry(t.priority.as_str()).or_default().push(s);
            }
        }
        for v in per_priority.values_mut() {
            v.sort_unstable();
        }
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        for n in &picked {
            let Some(t) = by_number.get(n).filter(|t| t.counts_for_time) else { continue };
            let Some(actual) = working(t) else { continue };
            let Some(eta) = self.eta(index, *n)? else { continue };
            ours.push((eta.median_seconds - actual).abs());
            let list = &per_priority[t.priority.as_str()];
            theirs.push((list[list.len() / 2] - actual).abs());
        }
        ours.sort_unstable();
        theirs.sort_unstable();
        let median = |v: &[i64]| v.get(v.len() / 2).copied();
        Ok(Evaluation {
            tickets: picked.len(),
            fields: rows,
            eta_judged: ours.len(),
            eta_error: median(&ours),
            priority_median_error: median(&theirs),
        })
    }
}

/// Triage suggestions for a text (a ticket being typed, or one a rule looks at) through `conn`.
pub(crate) fn triage_text_on(conn: &Connection, now: i64, index: &SearchIndex, subject: &str, body: &str) -> Result<Vec<Suggestion>> {
    let mut neighbours = Vec::new();
    for (n, score) in index.neighbours_of_text(conn, subject, body, TRIAGE_NEIGHBOURS)? {
        if let Some(x) = neighbour(conn, n, score as f64)? {
            neighbours.push(x);
        }
    }
    triage_from(conn, now, &neighbours, None)
}

/// The neighbours' vote on each field; `current` marks what the ticket already has.
fn triage_from(conn: &Connection, now: i64, neighbours: &[Neighbour], current: Option<&crate::model::Ticket>) -> Result<Vec<Suggestion>> {
    let total: f64 = neighbours.iter().map(|n| n.weight).sum();
    if neighbours.is_empty() || total <= 0.0 {
        return Ok(vec![]);
    }
    let mut out = Vec::new();
    let mut best = |field: &str, ranked: Vec<(String, String, f64, Vec<i64>)>, voting: f64, current: Option<&str>| {
        if let Some((value, label, weight, from)) = ranked.into_iter().next() {
            out.push(Suggestion {
                field: field.into(),
                current: current.is_some_and(|c| c.eq_ignore_ascii_case(&value)),
                value,
                label,
                confidence: (weight / voting.max(f64::MIN_POSITIVE)).min(1.0),
                from,
            });
        }
    };
    best(
        "type",
        vote(neighbours.iter().map(|n| (n.ticket_type.clone(), n.ticket_type.clone(), n.weight, n.number))),
        total,
        current.map(|c| c.ticket_type.as_str()),
    );
    let priority = vote(neighbours.iter().map(|n| (n.priority.as_str().to_string(), n.priority.label().to_string(), n.weight, n.number)));
    best("priority", priority, total, current.map(|c| c.priority.as_str()));
    // Team and assignee: only the tickets that had one vote (an unassigned solve says
    // nothing about who should take it).
    let with_team: Vec<&Neighbour> = neighbours.iter().filter(|n| n.team.is_some()).collect();
    let team_weight: f64 = with_team.iter().map(|n| n.weight).sum();
    let teams = vote(with_team.iter().filter_map(|n| n.team.clone().map(|t| (t.clone(), t, n.weight, n.number))));
    best("team", teams, team_weight, current.and_then(|c| c.team.as_deref()));
    // Who solved the most similar tickets lately, and has room: older solves count half,
    // and each open ticket on someone's desk a little against them.
    let recent = |n: &Neighbour| if n.resolved_at.is_some_and(|r| now - r <= RECENT_DAYS * 86_400_000) { 1.0 } else { 0.5 };
    let with_agent: Vec<&Neighbour> = neighbours.iter().filter(|n| n.assignee.is_some()).collect();
    let mut agents = vote(with_agent.iter().filter_map(|n| n.assignee.clone().map(|(email, name)| (email, name, n.weight * recent(n), n.number))));
    let agent_weight: f64 = agents.iter().map(|a| a.2).sum();
    for a in &mut agents {
        a.2 /= 1.0 + open_count(conn, &a.0)? as f64 / 20.0;
    }
    agents.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
    let current_agent = current.and_then(|c| c.assignee.as_ref()).map(|a| a.email.clone());
    best("assignee", agents, agent_weight, current_agent.as_deref());
    for (tag, _, weight, from) in vote(neighbours.iter().flat_map(|n| n.tags.iter().map(move |t| (t.to_lowercase(), t.clone(), n.weight, n.number))))
    {
        if weight / total >= TAG_SHARE {
            let has = current.is_some_and(|c| c.tags.iter().any(|t| t.eq_ignore_ascii_case(&tag)));
            out.push(Suggestion { field: "tag".into(), label: tag.clone(), value: tag, confidence: (weight / total).min(1.0), from, current: has });
        }
    }
    Ok(out)
}

/// How many unsolved tickets the agent with this email has.
fn open_count(conn: &Connection, email: &str) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM tickets t JOIN agents a ON a.id = t.assignee_id
             WHERE a.email = ?1 AND t.status NOT IN ('resolved', 'closed')",
        )?
        .query_row([email], |r| r.get(0))?)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldAccuracy {
    pub field: String,
    /// Tickets that had a value for the field.
    pub judged: usize,
    /// Share of them whose value the triage suggested.
    pub accuracy: f64,
    /// Share the majority class would have got right.
    pub majority: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub tickets: usize,
    pub fields: Vec<FieldAccuracy>,
    pub eta_judged: usize,
    /// Median absolute error of the expected time, working seconds.
    pub eta_error: Option<i64>,
    /// The same for "the median of the ticket's priority".
    pub priority_median_error: Option<i64>,
}
