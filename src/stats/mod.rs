//! Dashboard figures (PRODUCT D1–D5): what is open now, the flow of a period, response and
//! resolution times in calendar and business hours, SLA compliance, per-agent figures,
//! issues and CSAT — for a period, filtered by priority, type, team and agent.
//!
//! Every figure carries a `key`, and the same computation that counts it also lists its
//! tickets, so `tickets_behind(query, key)` returns exactly the tickets behind a number: the
//! window, the CLI and a click-through can never disagree.

mod csat;
pub mod tables;
pub use csat::Rating;

use crate::clock::{from_ms, to_ms, Timestamp};
use crate::model::{Priority, Resolution, Status};
use crate::sla::{self, Pause, SlaFacts, SlaState};
use crate::{Error, Result, Workspace};
use rusqlite::params;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};

const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;

/// Trend points per day or per week (`auto`: days up to 62 days, weeks beyond).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Bucket {
    #[default]
    Auto,
    Day,
    Week,
}

/// Which tickets and which period.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct StatsQuery {
    /// Start of the period (default: 30 days before `to`).
    #[serde(default)]
    pub from: Option<Timestamp>,
    /// End of the period, exclusive (default: now, included).
    #[serde(default)]
    pub to: Option<Timestamp>,
    /// Without `from`: the period is this many days up to `to` (default 30).
    #[serde(default)]
    pub days: Option<u32>,
    #[serde(default)]
    pub priority: Option<Priority>,
    #[serde(default, rename = "type")]
    pub ticket_type: Option<String>,
    #[serde(default)]
    pub team: Option<String>,
    /// The assignee's email.
    #[serde(default)]
    pub agent: Option<String>,
    #[serde(default)]
    pub bucket: Bucket,
    /// A ticket sitting this long in one unsolved status is a bottleneck (default 72).
    #[serde(default)]
    pub stuck_hours: Option<u32>,
}

/// A counted figure: `key` lists its tickets through `tickets_behind`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Count {
    pub key: String,
    pub label: String,
    pub count: i64,
}

/// Durations in seconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Durations {
    pub key: String,
    pub count: i64,
    pub median: Option<i64>,
    pub average: Option<i64>,
    pub p90: Option<i64>,
    /// The same in business hours (working seconds of the SLA calendar).
    pub business_median: Option<i64>,
    pub business_average: Option<i64>,
    pub business_p90: Option<i64>,
    /// How many fall in each range (<1 h, 1–4 h, 4–8 h, 8–24 h, 1–3 d, 3–7 d, >7 d).
    pub histogram: Vec<Count>,
}

/// Met ÷ applicable: tickets whose target is decided (met, or missed).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Compliance {
    pub met: Count,
    pub breached: Count,
    /// met ÷ (met + breached); none when nothing is decided yet.
    pub rate: Option<f64>,
    pub breach_rate: Option<f64>,
}

/// The headline numbers of one period (and of the one before, to compare).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Headline {
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub created: i64,
    pub solved: i64,
    pub reopened: i64,
    /// Of the tickets created in the period, the share solved by now.
    pub resolution_rate: Option<f64>,
    pub median_first_response: Option<i64>,
    pub median_resolution: Option<i64>,
    pub first_response_compliance: Option<f64>,
    pub resolution_compliance: Option<f64>,
    pub csat: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct NowFigures {
    pub by_status: Vec<Count>,
    pub unassigned: Count,
    pub at_risk: Count,
    pub breached: Count,
    /// Unsolved tickets by age: <1 d, 1–3 d, 3–7 d, 7–30 d, >30 d.
    pub backlog_by_age: Vec<Count>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TrendPoint {
    pub start: Timestamp,
    pub created: Count,
    pub solved: Count,
    pub reopened: Count,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PrioritySla {
    pub priority: Priority,
    pub first_response: Compliance,
    pub resolution: Compliance,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AgentFigures {
    pub email: String,
    pub name: String,
    /// Created in the period and assigned to them.
    pub assigned: Count,
    /// Solved in the period, theirs.
    pub solved: Count,
    pub median_first_response: Option<i64>,
    pub median_resolution: Option<i64>,
    /// Both targets of their tickets created in the period, met ÷ decided.
    pub sla_compliance: Option<f64>,
    pub csat: Option<f64>,
    pub rated: i64,
    /// Of their tickets solved in the period, the share that had been reopened.
    pub reopen_rate: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TypeSpeed {
    pub ticket_type: String,
    pub solved: Count,
    pub median_resolution: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct StuckTicket {
    pub number: i64,
    pub subject: String,
    pub status: Status,
    /// Hours in that status so far.
    pub hours: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Bottlenecks {
    pub threshold_hours: i64,
    pub stuck: Count,
    /// Per status.
    pub by_status: Vec<Count>,
    /// The longest-sitting first.
    pub worst: Vec<StuckTicket>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CsatFigures {
    pub good: Count,
    pub bad: Count,
    /// good ÷ rated.
    pub score: Option<f64>,
    /// The newest ratings with a comment.
    pub comments: Vec<Rating>,
}

/// Everything the dashboard shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Stats {
    pub from: Timestamp,
    pub to: Timestamp,
    pub bucket: Bucket,
    pub now: NowFigures,
    pub headline: Headline,
    pub previous: Headline,
    pub trend: Vec<TrendPoint>,
    pub first_response: Durations,
    pub resolution: Durations,
    pub first_response_sla: Compliance,
    pub resolution_sla: Compliance,
    pub sla_by_priority: Vec<PrioritySla>,
    pub agents: Vec<AgentFigures>,
    pub by_type: Vec<Count>,
    pub by_tag: Vec<Count>,
    pub slowest_types: Vec<TypeSpeed>,
    pub bottlenecks: Bottlenecks,
    pub csat: CsatFigures,
}

/// One ticket as the statistics read it (times in ms).
struct Row {
    id: String,
    number: i64,
    status: Status,
    priority: Priority,
    ticket_type: String,
    /// The assignee's email.
    assignee: Option<String>,
    created: i64,
    first_response: Option<i64>,
    resolved: Option<i64>,
    cycle_start: i64,
    reopened: bool,
    status_changed: i64,
    frt_due: Option<i64>,
    res_due: Option<i64>,
    frt_risk: Option<i64>,
    res_risk: Option<i64>,
    duplicate: bool,
}

impl Row {
    fn unsolved(&self) -> bool {
        !self.status.is_solved()
    }

    /// Solved for real (a duplicate closed in a minute is no resolution time).
    fn solved_at(&self) -> Option<i64> {
        if self.status.is_solved() && !self.duplicate {
            self.resolved
        } else {
            None
        }
    }
}

/// The figure keys and their tickets, collected while counting. A key is interned once
/// (`id`); the pass over 100k tickets then pushes to lists by number, with no text per ticket.
#[derive(Default)]
struct Sets {
    ids: HashMap<String, usize>,
    lists: Vec<Vec<i64>>,
}

impl Sets {
    fn id(&mut self, key: &str) -> usize {
        if let Some(id) = self.ids.get(key) {
            return *id;
        }
        self.lists.push(Vec::new());
        self.ids.insert(key.to_string(), self.lists.len() - 1);
        self.lists.len() - 1
    }

    fn push(&mut self, id: usize, number: i64) {
        self.lists[id].push(number);
    }

    fn add(&mut self, key: &str, number: i64) {
        let id = self.id(key);
        self.push(id, number);
    }

    fn list(&self, key: &str) -> Option<&Vec<i64>> {
        self.ids.get(key).map(|id| &self.lists[*id])
    }

    /// The figure of `key`; the key is kept even when nothing counted, so every key handed
    /// out lists its (possibly no) tickets.
    fn count(&mut self, key: &str, label: impl Into<String>) -> Count {
        let id = self.id(key);
        Count { key: key.to_string(), label: label.into(), count: self.lists[id].len() as i64 }
    }

    /// Every key starting with `prefix`, with its count, the largest first.
    fn counts_under(&self, prefix: &str) -> Vec<Count> {
        let mut out: Vec<Count> = self
            .ids
            .iter()
            .filter_map(|(k, id)| k.strip_prefix(prefix).map(|label| Count { key: k.clone(), label: label.to_string(), count: self.lists[*id].len() as i64 }))
            .collect();
        out.sort_by(|a, b| b.count.cmp(&a.count).then(a.label.cmp(&b.label)));
        out
    }
}

/// A status's place in `Status::ALL`.
fn status_index(s: Status) -> usize {
    Status::ALL.iter().position(|x| *x == s).unwrap_or(0)
}

/// The interned keys of one period ("" this one, "prev:" the one before).
struct PeriodIds {
    created: usize,
    solved: usize,
    reopened: usize,
    /// [first response, resolution] × [met, breached]
    sla: [[usize; 2]; 2],
}

impl PeriodIds {
    fn new(sets: &mut Sets, prefix: &str) -> PeriodIds {
        let mut k = |s: &str| sets.id(&format!("{prefix}{s}"));
        PeriodIds {
            created: k("created"),
            solved: k("solved"),
            reopened: k("reopened"),
            sla: [[k("frt:met"), k("frt:breached")], [k("res:met"), k("res:breached")]],
        }
    }
}

fn percentile(sorted: &[i64], p: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    // Nearest rank: the smallest value with at least p of the values at or below it.
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

fn median(values: &mut [i64]) -> Option<i64> {
    values.sort_unstable();
    if values.is_empty() {
        return None;
    }
    let n = values.len();
    Some(if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2 })
}

fn average(values: &[i64]) -> Option<i64> {
    (!values.is_empty()).then(|| (values.iter().map(|v| *v as i128).sum::<i128>() / values.len() as i128) as i64)
}

fn ratio(a: i64, b: i64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

const RANGES: [(&str, i64); 7] = [("<1 h", HOUR), ("1–4 h", 4 * HOUR), ("4–8 h", 8 * HOUR), ("8–24 h", DAY), ("1–3 d", 3 * DAY), ("3–7 d", 7 * DAY), (">7 d", i64::MAX)];

fn durations(key: &str, items: &[(i64, i64, i64)], sets: &mut Sets) -> Durations {
    // items: (ticket number, calendar ms, business seconds)
    let mut cal: Vec<i64> = items.iter().map(|i| i.1 / 1000).collect();
    let mut biz: Vec<i64> = items.iter().map(|i| i.2).collect();
    let (avg, bavg) = (average(&cal), average(&biz));
    let med = median(&mut cal);
    let bmed = median(&mut biz);
    let mut histogram = Vec::new();
    for (i, (label, upper)) in RANGES.iter().enumerate() {
        let lower = if i == 0 { 0 } else { RANGES[i - 1].1 };
        let k = format!("{key}:{}", i);
        for (n, ms, _) in items {
            if *ms >= lower && *ms < *upper {
                sets.add(&k, *n);
            }
        }
        histogram.push(sets.count(&k, *label));
    }
    let id = sets.id(key);
    for (n, _, _) in items {
        sets.push(id, *n);
    }
    Durations {
        key: key.to_string(),
        count: items.len() as i64,
        median: med,
        average: avg,
        p90: percentile(&cal, 0.9),
        business_median: bmed,
        business_average: bavg,
        business_p90: percentile(&biz, 0.9),
        histogram,
    }
}

fn compliance(sets: &mut Sets, prefix: &str) -> Compliance {
    let met = sets.count(&format!("{prefix}:met"), "met");
    let breached = sets.count(&format!("{prefix}:breached"), "breached");
    let decided = met.count + breached.count;
    Compliance { rate: ratio(met.count, decided), breach_rate: ratio(breached.count, decided), met, breached }
}

impl Workspace {
    /// The dashboard's figures for a period (see `StatsQuery`).
    pub fn stats(&self, q: &StatsQuery) -> Result<Stats> {
        Ok(self.compute_stats(q)?.0)
    }

    /// The tickets behind one figure of `stats` (its `key`), newest first.
    pub fn tickets_behind(&self, q: &StatsQuery, key: &str) -> Result<Vec<i64>> {
        let (_, sets) = self.compute_stats(q)?;
        let mut numbers = sets.list(key).cloned().ok_or_else(|| Error::NotFound { what: "figure", key: key.to_string() })?;
        numbers.sort_unstable_by(|a, b| b.cmp(a));
        numbers.dedup();
        Ok(numbers)
    }

    fn compute_stats(&self, q: &StatsQuery) -> Result<(Stats, Sets)> {
        let now = to_ms(self.now());
        // By default the period ends now, this instant included.
        let to = q.to.map(to_ms).unwrap_or(now + 1);
        let from = q.from.map(to_ms).unwrap_or(to - q.days.unwrap_or(30).max(1) as i64 * DAY);
        if from >= to {
            return Err(Error::validation("from", "the period must start before it ends"));
        }
        if to - from > 3660 * DAY {
            return Err(Error::validation("from", "the period can be at most ten years"));
        }
        let (prev_from, prev_to) = (from - (to - from), from);
        let bucket = match q.bucket {
            Bucket::Auto if to - from <= 62 * DAY => Bucket::Day,
            Bucket::Auto => Bucket::Week,
            b => b,
        };
        let rows = self.stats_rows(q)?;
        let settings = &self.sla;
        let pauses = self.stats_pauses(prev_from)?;
        let mut sets = Sets::default();
        let in_period = |t: i64| t >= from && t < to;

        // Now.
        let status_ids: Vec<usize> = Status::ALL.iter().map(|s| sets.id(&format!("status:{}", s.as_str()))).collect();
        let age_ids: Vec<usize> = (0..5).map(|i| sets.id(&format!("age:{i}"))).collect();
        let (unassigned_id, breached_id, at_risk_id) = (sets.id("unassigned"), sets.id("breached"), sets.id("at_risk"));
        for r in &rows {
            sets.push(status_ids[status_index(r.status)], r.number);
            if r.unsolved() {
                if r.assignee.is_none() {
                    sets.push(unassigned_id, r.number);
                }
                let past = |t: Option<i64>| t.is_some_and(|t| t <= now);
                if past(r.frt_due) || past(r.res_due) {
                    sets.push(breached_id, r.number);
                } else if past(r.frt_risk) || past(r.res_risk) {
                    sets.push(at_risk_id, r.number);
                }
                let age = now - r.created;
                let bucket = [DAY, 3 * DAY, 7 * DAY, 30 * DAY].iter().position(|b| age < *b).unwrap_or(4);
                sets.push(age_ids[bucket], r.number);
            }
        }
        let now_figures = NowFigures {
            by_status: Status::ALL.iter().map(|s| sets.count(&format!("status:{}", s.as_str()), s.label())).collect(),
            unassigned: sets.count("unassigned", "Unassigned"),
            at_risk: sets.count("at_risk", "At risk"),
            breached: sets.count("breached", "Breached"),
            backlog_by_age: ["< 1 day", "1–3 days", "3–7 days", "7–30 days", "> 30 days"]
                .iter()
                .enumerate()
                .map(|(i, l)| sets.count(&format!("age:{i}"), *l))
                .collect(),
        };

        // Flow, efficiency and SLA, for this period and the one before.
        let trend_step = if bucket == Bucket::Week { 7 * DAY } else { DAY };
        let trend_starts: Vec<i64> = (0..).map(|i| from + i * trend_step).take_while(|s| *s < to).collect();
        let mut frt_items = Vec::new();
        let mut res_items = Vec::new();
        let mut per_agent: BTreeMap<String, AgentAcc> = BTreeMap::new();
        let mut per_type: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        let mut prev = PeriodAcc::default();
        let mut this = PeriodAcc::default();
        let ids = [PeriodIds::new(&mut sets, ""), PeriodIds::new(&mut sets, "prev:")];
        // [priority rank][first response, resolution][met, breached]
        let priority_ids: Vec<[[usize; 2]; 2]> = Priority::ALL
            .iter()
            .map(|p| {
                let mut k = |t: &str, s: &str| sets.id(&format!("{t}:{}:{s}", p.as_str()));
                [[k("frt", "met"), k("frt", "breached")], [k("res", "met"), k("res", "breached")]]
            })
            .collect();
        let trend_ids: Vec<[usize; 3]> = (0..trend_starts.len())
            .map(|i| [sets.id(&format!("trend:{i}:created")), sets.id(&format!("trend:{i}:solved")), sets.id(&format!("trend:{i}:reopened"))])
            .collect();
        let mut type_ids: HashMap<String, (usize, usize)> = HashMap::new();
        let mut agent_ids: HashMap<String, (usize, usize)> = HashMap::new();
        let outcome = |state: SlaState| match state {
            SlaState::Met => Some(0),
            SlaState::Breached => Some(1),
            _ => None,
        };
        for r in &rows {
            // SLA outcomes count for tickets created in either period (duplicates aside).
            let counts_for_sla = r.created >= prev_from && r.created < to && !r.duplicate;
            let sla = counts_for_sla.then(|| sla::status_at(settings, &facts(r, &pauses), from_ms(now)));
            let outcomes = sla.as_ref().map(|s| [outcome(s.first_response.state), outcome(s.resolution.state)]);
            for (acc, (a, b), ids) in [(&mut this, (from, to), &ids[0]), (&mut prev, (prev_from, prev_to), &ids[1])] {
                let inside = |t: i64| t >= a && t < b;
                if inside(r.created) {
                    acc.created += 1;
                    sets.push(ids.created, r.number);
                    if r.solved_at().is_some() {
                        acc.created_solved += 1;
                    }
                    if let Some(fr) = r.first_response {
                        acc.frt.push((fr - r.created).max(0) / 1000);
                    }
                    for (target, o) in outcomes.iter().flatten().enumerate() {
                        if let Some(o) = o {
                            sets.push(ids.sla[target][*o], r.number);
                        }
                    }
                }
                if let Some(solved) = r.solved_at().filter(|t| inside(*t)) {
                    acc.solved += 1;
                    sets.push(ids.solved, r.number);
                    acc.res.push((solved - r.created).max(0) / 1000);
                }
                if r.reopened && inside(r.cycle_start) {
                    acc.reopened += 1;
                    sets.push(ids.reopened, r.number);
                }
            }
            let type_id = |sets: &mut Sets, type_ids: &mut HashMap<String, (usize, usize)>| match type_ids.get(r.ticket_type.as_str()) {
                Some(ids) => *ids,
                None => {
                    let ids = (sets.id(&format!("type:{}", r.ticket_type)), sets.id(&format!("type_solved:{}", r.ticket_type)));
                    type_ids.insert(r.ticket_type.clone(), ids);
                    ids
                }
            };
            let agent_id = |sets: &mut Sets, agent_ids: &mut HashMap<String, (usize, usize)>, email: &str| match agent_ids.get(email) {
                Some(ids) => *ids,
                None => {
                    let ids = (sets.id(&format!("agent:{email}:assigned")), sets.id(&format!("agent:{email}:solved")));
                    agent_ids.insert(email.to_string(), ids);
                    ids
                }
            };
            // This period's details.
            if in_period(r.created) {
                if let Some(fr) = r.first_response {
                    frt_items.push((r.number, (fr - r.created).max(0), settings.working_seconds(from_ms(r.created), from_ms(fr))));
                }
                let id = type_id(&mut sets, &mut type_ids).0;
                sets.push(id, r.number);
                for (target, o) in outcomes.iter().flatten().enumerate() {
                    if let Some(o) = o {
                        sets.push(priority_ids[r.priority.rank() as usize][target][*o], r.number);
                    }
                }
                if let Some(email) = &r.assignee {
                    let a = per_agent.entry(email.clone()).or_insert_with(AgentAcc::default);
                    let id = agent_id(&mut sets, &mut agent_ids, email).0;
                    sets.push(id, r.number);
                    if let Some(fr) = r.first_response {
                        a.frt.push((fr - r.created).max(0) / 1000);
                    }
                    for o in outcomes.iter().flatten().flatten() {
                        if *o == 0 {
                            a.met += 1;
                        } else {
                            a.breached += 1;
                        }
                    }
                }
            }
            if let Some(solved) = r.solved_at().filter(|t| in_period(*t)) {
                res_items.push((r.number, solved - r.created, settings.working_seconds(from_ms(r.created), from_ms(solved))));
                per_type.entry(r.ticket_type.clone()).or_default().push((solved - r.created) / 1000);
                let id = type_id(&mut sets, &mut type_ids).1;
                sets.push(id, r.number);
                if let Some(email) = &r.assignee {
                    let a = per_agent.entry(email.clone()).or_insert_with(AgentAcc::default);
                    let id = agent_id(&mut sets, &mut agent_ids, email).1;
                    sets.push(id, r.number);
                    a.res.push((solved - r.created) / 1000);
                    a.solved_reopened += r.reopened as i64;
                }
            }
            let point = |t: i64| in_period(t).then(|| ((t - from) / trend_step) as usize);
            if let Some(i) = point(r.created) {
                sets.push(trend_ids[i][0], r.number);
            }
            if let Some(i) = r.solved_at().and_then(point) {
                sets.push(trend_ids[i][1], r.number);
            }
            if let Some(i) = Some(r.cycle_start).filter(|_| r.reopened).and_then(point) {
                sets.push(trend_ids[i][2], r.number);
            }
        }

        // Ratings.
        let ratings = csat::ratings_between(&self.conn, prev_from, to)?;
        // With filters, only the ratings of the tickets they admit.
        let filtered = q.priority.is_some() || q.ticket_type.is_some() || q.team.is_some() || q.agent.is_some();
        let admitted: Option<HashSet<i64>> = filtered.then(|| rows.iter().map(|r| r.number).collect());
        let mut comments = Vec::new();
        for rating in &ratings {
            let number = &rating.rating.ticket_number;
            if admitted.as_ref().is_some_and(|a| !a.contains(number)) {
                continue;
            }
            let assignee = rating.assignee.as_deref();
            let at = to_ms(rating.rating.rated_at);
            let acc = if in_period(at) { &mut this } else { &mut prev };
            if rating.rating.good {
                acc.good += 1;
            } else {
                acc.bad += 1;
            }
            if in_period(at) {
                sets.add(if rating.rating.good { "csat:good" } else { "csat:bad" }, *number);
                if let Some(a) = assignee.and_then(|e| per_agent.get_mut(e)) {
                    a.rated += 1;
                    a.good += rating.rating.good as i64;
                }
                if !rating.rating.comment.is_empty() && comments.len() < 10 {
                    comments.push(rating.rating.clone());
                }
            }
        }

        let headline = |acc: &mut PeriodAcc, prefix: &str, a: i64, b: i64, sets: &mut Sets| Headline {
            from: Some(from_ms(a)),
            to: Some(from_ms(b)),
            created: acc.created,
            solved: acc.solved,
            reopened: acc.reopened,
            resolution_rate: ratio(acc.created_solved, acc.created),
            median_first_response: median(&mut acc.frt),
            median_resolution: median(&mut acc.res),
            first_response_compliance: compliance(sets, &format!("{prefix}frt")).rate,
            resolution_compliance: compliance(sets, &format!("{prefix}res")).rate,
            csat: ratio(acc.good, acc.good + acc.bad),
        };
        let head = headline(&mut this, "", from, to, &mut sets);
        let previous = headline(&mut prev, "prev:", prev_from, prev_to, &mut sets);
        let trend = trend_starts
            .iter()
            .enumerate()
            .map(|(i, s)| TrendPoint {
                start: from_ms(*s),
                created: sets.count(&format!("trend:{i}:created"), "created"),
                solved: sets.count(&format!("trend:{i}:solved"), "solved"),
                reopened: sets.count(&format!("trend:{i}:reopened"), "reopened"),
            })
            .collect();
        let first_response = durations("first_response", &frt_items, &mut sets);
        let resolution = durations("resolution", &res_items, &mut sets);
        let sla_by_priority = Priority::ALL
            .iter()
            .map(|p| PrioritySla {
                priority: *p,
                first_response: compliance(&mut sets, &format!("frt:{}", p.as_str())),
                resolution: compliance(&mut sets, &format!("res:{}", p.as_str())),
            })
            .collect();
        let agent_names: HashMap<String, String> =
            self.conn.prepare("SELECT email, name FROM agents")?.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
        let agents = per_agent
            .into_iter()
            .map(|(email, mut a)| AgentFigures {
                name: agent_names.get(&email).cloned().unwrap_or_default(),
                assigned: sets.count(&format!("agent:{email}:assigned"), "assigned"),
                solved: sets.count(&format!("agent:{email}:solved"), "solved"),
                median_first_response: median(&mut a.frt),
                median_resolution: median(&mut a.res),
                sla_compliance: ratio(a.met, a.met + a.breached),
                csat: ratio(a.good, a.rated),
                rated: a.rated,
                reopen_rate: ratio(a.solved_reopened, a.res.len() as i64),
                email,
            })
            .collect();
        let by_type: Vec<Count> = sets.counts_under("type:").into_iter().filter(|c| c.count > 0).collect();
        let mut slowest_types: Vec<TypeSpeed> = per_type
            .into_iter()
            .map(|(t, mut v)| TypeSpeed { solved: sets.count(&format!("type_solved:{t}"), "solved"), median_resolution: median(&mut v), ticket_type: t })
            .collect();
        slowest_types.sort_by(|a, b| b.median_resolution.cmp(&a.median_resolution));
        let by_tag = self.stats_tags(admitted.as_ref(), from, to, &mut sets)?;
        let mut bottlenecks = bottlenecks(&rows, now, q.stuck_hours.unwrap_or(72) as i64, &mut sets);
        for w in &mut bottlenecks.worst {
            w.subject = self.conn.query_row("SELECT subject FROM tickets WHERE number = ?1", [w.number], |r| r.get(0))?;
        }
        let csat = CsatFigures {
            score: ratio(this.good, this.good + this.bad),
            good: sets.count("csat:good", "good"),
            bad: sets.count("csat:bad", "bad"),
            comments,
        };
        let stats = Stats {
            from: from_ms(from),
            to: from_ms(to),
            bucket,
            now: now_figures,
            headline: head,
            previous,
            trend,
            first_response,
            resolution,
            first_response_sla: compliance(&mut sets, "frt"),
            resolution_sla: compliance(&mut sets, "res"),
            sla_by_priority,
            agents,
            by_type,
            by_tag,
            slowest_types,
            bottlenecks,
            csat,
        };
        Ok((stats, sets))
    }

    /// Every ticket the filters admit.
    fn stats_rows(&self, q: &StatsQuery) -> Result<Vec<Row>> {
        let mut stmt = self.conn.prepare(
            "SELECT t.id, t.number, t.status, t.priority, t.type, a.email, t.created_at, t.first_response_at,
                    t.resolved_at, t.sla_cycle_start, t.sla_cycle, coalesce(t.status_changed_at, t.created_at),
                    t.frt_due_at, t.res_due_at, t.frt_risk_at, t.res_risk_at, t.resolution
             FROM tickets t LEFT JOIN agents a ON a.id = t.assignee_id LEFT JOIN teams tm ON tm.id = t.team_id
             WHERE (?1 IS NULL OR t.priority = ?1) AND (?2 IS NULL OR t.type = ?2 COLLATE NOCASE)
               AND (?3 IS NULL OR tm.name = ?3 COLLATE NOCASE) AND (?4 IS NULL OR a.email = ?4 COLLATE NOCASE)",
        )?;
        let rows = stmt.query_map(
            params![q.priority.map(|p| p.rank()), q.ticket_type.as_deref(), q.team.as_deref(), q.agent.as_deref()],
            |r| {
                let resolution: Option<String> = r.get(16)?;
                Ok(Row {
                    id: r.get(0)?,
                    number: r.get(1)?,
                    status: Status::parse(r.get_ref(2)?.as_str()?).unwrap_or(Status::Open),
                    priority: Priority::from_rank(r.get(3)?),
                    ticket_type: r.get(4)?,
                    assignee: r.get(5)?,
                    created: r.get(6)?,
                    first_response: r.get(7)?,
                    resolved: r.get(8)?,
                    cycle_start: r.get(9)?,
                    reopened: r.get::<_, i64>(10)? > 0,
                    status_changed: r.get(11)?,
                    frt_due: r.get(12)?,
                    res_due: r.get(13)?,
                    frt_risk: r.get(14)?,
                    res_risk: r.get(15)?,
                    duplicate: resolution.as_deref() == Some(Resolution::Duplicate.as_str()),
                })
            },
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The pauses of tickets created since `since` (their SLA clocks).
    fn stats_pauses(&self, since: i64) -> Result<HashMap<String, Vec<Pause>>> {
        let mut out: HashMap<String, Vec<Pause>> = HashMap::new();
        let mut stmt = self.conn.prepare(
            "SELECT p.ticket_id, p.started_at, p.ended_at FROM sla_pauses p JOIN tickets t ON t.id = p.ticket_id WHERE t.created_at >= ?1",
        )?;
        let mut rows = stmt.query([since])?;
        while let Some(r) = rows.next()? {
            out.entry(r.get(0)?).or_default().push(Pause { start: from_ms(r.get(1)?), end: r.get::<_, Option<i64>>(2)?.map(from_ms) });
        }
        Ok(out)
    }

    /// Tags of the tickets created in the period, the most frequent first (the problem families).
    fn stats_tags(&self, admitted: Option<&HashSet<i64>>, from: i64, to: i64, sets: &mut Sets) -> Result<Vec<Count>> {
        let mut stmt = self.conn.prepare(
            "SELECT t.number, g.tag FROM tickets t JOIN ticket_tags g ON g.ticket_id = t.id WHERE t.created_at >= ?1 AND t.created_at < ?2",
        )?;
        let mut q = stmt.query([from, to])?;
        let mut ids: HashMap<String, usize> = HashMap::new();
        while let Some(r) = q.next()? {
            let number: i64 = r.get(0)?;
            if admitted.is_some_and(|a| !a.contains(&number)) {
                continue;
            }
            let tag = r.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?;
            let id = match ids.get(tag) {
                Some(id) => *id,
                None => {
                    let id = sets.id(&format!("tag:{tag}"));
                    ids.insert(tag.to_string(), id);
                    id
                }
            };
            sets.push(id, number);
        }
        let mut tags = sets.counts_under("tag:");
        tags.truncate(15);
        Ok(tags)
    }
}

fn facts(r: &Row, pauses: &HashMap<String, Vec<Pause>>) -> SlaFacts {
    SlaFacts {
        priority: r.priority,
        status: r.status,
        created_at: from_ms(r.created),
        cycle_start: from_ms(r.cycle_start),
        first_response_at: r.first_response.map(from_ms),
        resolved_at: if r.status.is_solved() { r.resolved.map(from_ms) } else { None },
        pauses: pauses.get(&r.id).cloned().unwrap_or_default(),
    }
}

fn bottlenecks(rows: &[Row], now: i64, threshold_hours: i64, sets: &mut Sets) -> Bottlenecks {
    let mut stuck: Vec<&Row> = rows.iter().filter(|r| r.unsolved() && now - r.status_changed >= threshold_hours * HOUR).collect();
    stuck.sort_by_key(|r| r.status_changed);
    for r in &stuck {
        sets.add("stuck", r.number);
        sets.add(&format!("stuck:{}", r.status.as_str()), r.number);
    }
    Bottlenecks {
        threshold_hours,
        stuck: sets.count("stuck", format!("in one status over {threshold_hours} h")),
        by_status: Status::UNSOLVED.iter().map(|s| sets.count(&format!("stuck:{}", s.as_str()), s.label())).collect(),
        worst: stuck
            .iter()
            .take(10)
            .map(|r| StuckTicket { number: r.number, subject: String::new(), status: r.status, hours: (now - r.status_changed) / HOUR })
            .collect(),
    }
}

#[derive(Default)]
struct PeriodAcc {
    created: i64,
    created_solved: i64,
    solved: i64,
    reopened: i64,
    frt: Vec<i64>,
    res: Vec<i64>,
    good: i64,
    bad: i64,
}

#[derive(Default)]
struct AgentAcc {
    frt: Vec<i64>,
    res: Vec<i64>,
    met: i64,
    breached: i64,
    rated: i64,
    good: i64,
    solved_reopened: i64,
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_percentiles_by_nearest_rank() {
        assert_eq!(median(&mut [5, 1, 3]), Some(3));
        assert_eq!(median(&mut [4, 1, 3, 2]), Some(2));
        assert_eq!(median(&mut []), None);
        let sorted: Vec<i64> = (1..=10).collect();
        assert_eq!(percentile(&sorted, 0.9), Some(9));
        assert_eq!(percentile(&[7], 0.9), Some(7));
        assert_eq!(average(&[1, 2, 4]), Some(2));
    }
}
