//! Dashboard figures (PRODUCT D1–D5): what is open now, the flow of a period, response and
//! resolution times in calendar and business hours, SLA compliance, per-agent figures,
//! issues and CSAT — for a period, filtered by priority, type, team and agent.
//!
//! Every figure carries a `key`, and the same computation that counts it also lists its
//! tickets, so `tickets_behind(query, key)` returns exactly the tickets behind a number: the
//! window, the CLI and a click-through can never disagree.

mod csat;
mod feedback;
mod snapshot;
pub mod tables;
pub use csat::{rating, Rating};

use casebook_core::clock::{from_ms, to_ms, Timestamp};
use casebook_core::error::{Error, Result};
use casebook_core::model::{Priority, Status};
use casebook_core::sla::{self, OutcomeTimes, SlaFacts, SlaSettings};
use casebook_events as events;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use snapshot::{Row, Snapshot};
use std::cell::RefCell;
use std::collections::HashMap;

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

/// How suggested similar tickets served (issue 19): per ticket asked about in the period.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SuggestionFigures {
    /// Tickets whose reply got a suggested ticket's fix inserted.
    pub fixes_inserted: Count,
    pub helpful: Count,
    pub not_helpful: Count,
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
    pub suggestions: SuggestionFigures,
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
            .filter_map(|(k, id)| {
                k.strip_prefix(prefix).map(|label| Count { key: k.clone(), label: label.to_string(), count: self.lists[*id].len() as i64 })
            })
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
    /// Created in the period and solved by now (the resolution rate's tickets).
    created_solved: usize,
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
            created_solved: k("created_solved"),
            solved: k("solved"),
            reopened: k("reopened"),
            sla: [[k("frt:met"), k("frt:breached")], [k("res:met"), k("res:breached")]],
        }
    }
}

/// The nearest-rank percentile: the smallest value with at least `p` of the values at or
/// below it. Reorders `values` (a selection, not a sort: the dashboard takes several over
/// 100k times).
fn percentile(values: &mut [i64], p: f64) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    let rank = ((p * values.len() as f64).ceil() as usize).clamp(1, values.len());
    Some(*values.select_nth_unstable(rank - 1).1)
}

/// The middle value, or the mean of the two middle ones. Reorders `values`.
fn median(values: &mut [i64]) -> Option<i64> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let (below, mid, _) = values.select_nth_unstable(n / 2);
    let mid = *mid;
    Some(if n % 2 == 1 { mid } else { (below.iter().max().copied().unwrap_or(mid) + mid) / 2 })
}

fn average(values: &[i64]) -> Option<i64> {
    (!values.is_empty()).then(|| (values.iter().map(|v| *v as i128).sum::<i128>() / values.len() as i128) as i64)
}

/// Working seconds between two instants in ms: calendar seconds when there are no business
/// hours, without the date arithmetic (the dashboard asks this 100k times).
fn working_seconds(settings: &SlaSettings, from: i64, to: i64) -> i64 {
    match settings.business_hours {
        None => ((to - from) / 1000).max(0),
        Some(_) => settings.working_seconds(from_ms(from), from_ms(to)),
    }
}

fn ratio(a: i64, b: i64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

const RANGES: [(&str, i64); 7] =
    [("<1 h", HOUR), ("1–4 h", 4 * HOUR), ("4–8 h", 8 * HOUR), ("8–24 h", DAY), ("1–3 d", 3 * DAY), ("3–7 d", 7 * DAY), (">7 d", i64::MAX)];

fn durations(key: &str, items: &[(i64, i64, i64)], sets: &mut Sets) -> Durations {
    // items: (ticket number, calendar ms, business seconds)
    let mut cal: Vec<i64> = items.iter().map(|i| i.1 / 1000).collect();
    let mut biz: Vec<i64> = items.iter().map(|i| i.2).collect();
    let (avg, bavg) = (average(&cal), average(&biz));
    let med = median(&mut cal);
    let bmed = median(&mut biz);
    let range_ids: Vec<usize> = (0..RANGES.len()).map(|i| sets.id(&format!("{key}:{i}"))).collect();
    for (n, ms, _) in items.iter().filter(|i| i.1 >= 0) {
        if let Some(i) = RANGES.iter().position(|(_, upper)| ms < upper) {
            sets.push(range_ids[i], *n);
        }
    }
    let histogram = RANGES.iter().enumerate().map(|(i, (label, _))| sets.count(&format!("{key}:{i}"), *label)).collect();
    let id = sets.id(key);
    for (n, _, _) in items {
        sets.push(id, *n);
    }
    Durations {
        key: key.to_string(),
        count: items.len() as i64,
        median: med,
        average: avg,
        p90: percentile(&mut cal, 0.9),
        business_median: bmed,
        business_average: bavg,
        business_p90: percentile(&mut biz, 0.9),
        histogram,
    }
}

fn compliance(sets: &mut Sets, prefix: &str) -> Compliance {
    let met = sets.count(&format!("{prefix}:met"), "met");
    let breached = sets.count(&format!("{prefix}:breached"), "breached");
    let decided = met.count + breached.count;
    Compliance { rate: ratio(met.count, decided), breach_rate: ratio(breached.count, decided), met, breached }
}

/// The tickets as the dashboard last read them (see `snapshot`), one per workspace connection,
/// and the figures counted from it. Its owner passes the connection, the SLA settings and the
/// time, so the dashboard holds no state of the workspace but this copy.
#[derive(Default)]
pub struct StatsCache(RefCell<Option<Snapshot>>);

impl StatsCache {
    /// The dashboard's figures for a period (see `StatsQuery`).
    pub fn stats(&self, conn: &Connection, sla: &SlaSettings, now: Timestamp, q: &StatsQuery) -> Result<Stats> {
        Ok(self.compute_stats(conn, sla, now, q)?.0)
    }

    /// The tickets behind one figure of `stats` (its `key`), newest first.
    pub fn tickets_behind(&self, conn: &Connection, sla: &SlaSettings, now: Timestamp, q: &StatsQuery, key: &str) -> Result<Vec<i64>> {
        let (_, sets) = self.compute_stats(conn, sla, now, q)?;
        let mut numbers = sets.list(key).cloned().ok_or_else(|| Error::NotFound { what: "figure", key: key.to_string() })?;
        numbers.sort_unstable_by(|a, b| b.cmp(a));
        numbers.dedup();
        Ok(numbers)
    }

    /// Brings the copy of the tickets up to date (the first time, it reads every ticket), so
    /// that counting later only counts.
    pub fn prepare(&self, conn: &Connection, sla: &SlaSettings) -> Result<()> {
        Snapshot::current(&mut self.0.borrow_mut(), conn, sla).map(|_| ())
    }

    /// Drops the copy, for a write that appends no event (the copy follows the log).
    pub fn forget(&mut self) {
        self.0.get_mut().take();
    }

    fn compute_stats(&self, conn: &Connection, sla: &SlaSettings, now: Timestamp, q: &StatsQuery) -> Result<(Stats, Sets)> {
        let now = to_ms(now);
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
        let mut slot = self.0.borrow_mut();
        let snap = Snapshot::current(&mut slot, conn, sla)?;
        let filter = snap.filter(conn, q.priority, q.ticket_type.as_deref(), q.team.as_deref(), q.agent.as_deref())?;
        let rows: Vec<&Row> = snap.rows.iter().filter(|r| filter.admits(r)).collect();
        let settings = sla;
        let mut sets = Sets::default();
        let in_period = |t: i64| t >= from && t < to;

        // Now.
        let status_ids: Vec<usize> = Status::ALL.iter().map(|s| sets.id(&format!("status:{}", s.as_str()))).collect();
        let age_ids: Vec<usize> = (0..5).map(|i| sets.id(&format!("age:{i}"))).collect();
        let (unassigned_id, breached_id, at_risk_id) = (sets.id("unassigned"), sets.id("breached"), sets.id("at_risk"));
        for r in &rows {
            sets.push(status_ids[status_index(r.status)], r.number);
            if r.unsolved() {
                if r.agent_ix.is_none() {
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
        // Indexed like `snap.agents` and `snap.types`; `None` until a ticket counts there.
        let mut per_agent: Vec<Option<AgentAcc>> = (0..snap.agents.len()).map(|_| None).collect();
        let mut per_type: Vec<Option<TypeAcc>> = (0..snap.types.names.len()).map(|_| None).collect();
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
        for r in &rows {
            // SLA outcomes count for tickets created in either period (duplicates aside):
            // per target, 0 met or 1 breached.
            let counts_for_sla = r.created >= prev_from && r.created < to && !r.duplicate;
            let outcomes: [Option<usize>; 2] = if counts_for_sla {
                let times =
                    OutcomeTimes { created: r.created, cycle_start: r.cycle_start, first_response: r.first_response, resolved: r.solved_resolved() };
                sla::outcomes_at_ms(settings, r.priority, times, !r.pauses.is_empty(), now)
                    .unwrap_or_else(|| sla::outcomes_at(settings, &facts(r), from_ms(now)))
                    .map(|o| o.map(|met| if met { 0 } else { 1 }))
            } else {
                [None, None]
            };
            for (acc, (a, b), ids) in [(&mut this, (from, to), &ids[0]), (&mut prev, (prev_from, prev_to), &ids[1])] {
                let inside = |t: i64| t >= a && t < b;
                if inside(r.created) {
                    acc.created += 1;
                    sets.push(ids.created, r.number);
                    if r.solved_at().is_some() {
                        acc.created_solved += 1;
                        sets.push(ids.created_solved, r.number);
                    }
                    if let Some(fr) = r.first_response {
                        acc.frt.push((fr - r.created).max(0) / 1000);
                    }
                    for (target, o) in outcomes.iter().enumerate() {
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
            let ticket_type = &snap.types.names[r.type_ix];
            let agent = r.agent_ix.map(|i| (i, &snap.agents[i].email));
            // This period's details.
            if in_period(r.created) {
                if let Some(fr) = r.first_response {
                    frt_items.push((r.number, (fr - r.created).max(0), working_seconds(settings, r.created, fr)));
                }
                let t = per_type[r.type_ix].get_or_insert_with(|| TypeAcc::new(&mut sets, ticket_type));
                sets.push(t.created_id, r.number);
                for (target, o) in outcomes.iter().enumerate() {
                    if let Some(o) = o {
                        sets.push(priority_ids[r.priority.rank() as usize][target][*o], r.number);
                    }
                }
                if let Some((i, email)) = agent {
                    let a = per_agent[i].get_or_insert_with(|| AgentAcc::new(&mut sets, email));
                    sets.push(a.assigned_id, r.number);
                    if let Some(fr) = r.first_response {
                        a.frt.push((fr - r.created).max(0) / 1000);
                    }
                    for o in outcomes.iter().flatten() {
                        if *o == 0 {
                            a.met += 1;
                        } else {
                            a.breached += 1;
                        }
                    }
                }
            }
            if let Some(solved) = r.solved_at().filter(|t| in_period(*t)) {
                res_items.push((r.number, solved - r.created, working_seconds(settings, r.created, solved)));
                let t = per_type[r.type_ix].get_or_insert_with(|| TypeAcc::new(&mut sets, ticket_type));
                t.resolution.push((solved - r.created) / 1000);
                sets.push(t.solved_id, r.number);
                if let Some((i, email)) = agent {
                    let a = per_agent[i].get_or_insert_with(|| AgentAcc::new(&mut sets, email));
                    sets.push(a.solved_id, r.number);
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

        // Ratings (of the admitted tickets only).
        let (good_id, bad_id) = (sets.id("csat:good"), sets.id("csat:bad"));
        for (r, (good, at)) in rows.iter().filter_map(|r| r.rating.filter(|(_, at)| *at >= prev_from && *at < to).map(|g| (r, g))) {
            let acc = if in_period(at) { &mut this } else { &mut prev };
            if good {
                acc.good += 1;
            } else {
                acc.bad += 1;
            }
            if in_period(at) {
                sets.push(if good { good_id } else { bad_id }, r.number);
                if let Some(a) = r.agent_ix.and_then(|i| per_agent[i].as_mut()) {
                    a.rated += 1;
                    a.good += good as i64;
                }
            }
        }
        let comments = csat::comments_between(conn, from, to, 10, |id| Ok(snap.find(id)?.is_some_and(|ix| filter.admits(&snap.rows[ix]))))?;
        let mut given = feedback::given_between(conn, from, to, |id| Ok(snap.find(id)?.is_some_and(|ix| filter.admits(&snap.rows[ix]))))?;
        given.sort_by_key(|(number, verdict)| (*verdict as u8, *number));
        given.dedup();
        for (number, verdict) in given {
            let key = match verdict {
                events::Verdict::FixInserted => "suggest:fix",
                events::Verdict::Helpful => "suggest:helpful",
                events::Verdict::NotHelpful => "suggest:not_helpful",
            };
            sets.add(key, number);
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
        // `snap.agents` is sorted by email, so the table is too.
        let agents = per_agent
            .into_iter()
            .zip(&snap.agents)
            .filter_map(|(a, agent)| a.map(|a| (a, agent)))
            .map(|(mut a, agent)| AgentFigures {
                email: agent.email.clone(),
                name: agent.name.clone(),
                assigned: sets.count(&format!("agent:{}:assigned", agent.email), "assigned"),
                solved: sets.count(&format!("agent:{}:solved", agent.email), "solved"),
                median_first_response: median(&mut a.frt),
                median_resolution: median(&mut a.res),
                sla_compliance: ratio(a.met, a.met + a.breached),
                csat: ratio(a.good, a.rated),
                rated: a.rated,
                reopen_rate: ratio(a.solved_reopened, a.res.len() as i64),
            })
            .collect();
        let by_type: Vec<Count> = sets.counts_under("type:").into_iter().filter(|c| c.count > 0).collect();
        let mut slowest_types: Vec<TypeSpeed> = per_type
            .into_iter()
            .zip(&snap.types.names)
            .filter_map(|(t, name)| t.filter(|t| !t.resolution.is_empty()).map(|t| (t, name)))
            .map(|(mut t, name)| TypeSpeed {
                solved: sets.count(&format!("type_solved:{name}"), "solved"),
                median_resolution: median(&mut t.resolution),
                ticket_type: name.clone(),
            })
            .collect();
        slowest_types.sort_by(|a, b| b.median_resolution.cmp(&a.median_resolution).then(a.ticket_type.cmp(&b.ticket_type)));

        // Tags of the tickets created in the period, the most frequent first (the problem families).
        let mut tag_ids: Vec<Option<usize>> = vec![None; snap.tags.names.len()];
        for r in rows.iter().filter(|r| in_period(r.created)) {
            for t in &r.tags {
                let id = *tag_ids[*t].get_or_insert_with(|| sets.id(&format!("tag:{}", snap.tags.names[*t])));
                sets.push(id, r.number);
            }
        }
        let mut by_tag = sets.counts_under("tag:");
        by_tag.truncate(15);

        let mut bottlenecks = bottlenecks(&rows, now, q.stuck_hours.unwrap_or(72) as i64, &mut sets);
        for w in &mut bottlenecks.worst {
            w.subject = conn.query_row("SELECT subject FROM tickets WHERE number = ?1", [w.number], |r| r.get(0))?;
        }
        let csat = CsatFigures {
            score: ratio(this.good, this.good + this.bad),
            good: sets.count("csat:good", "good"),
            bad: sets.count("csat:bad", "bad"),
            comments,
        };
        let suggestions = SuggestionFigures {
            fixes_inserted: sets.count("suggest:fix", "fix inserted"),
            helpful: sets.count("suggest:helpful", "helpful"),
            not_helpful: sets.count("suggest:not_helpful", "not helpful"),
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
            suggestions,
        };
        Ok((stats, sets))
    }
}

fn facts(r: &Row) -> SlaFacts {
    SlaFacts {
        priority: r.priority,
        status: r.status,
        created_at: from_ms(r.created),
        cycle_start: from_ms(r.cycle_start),
        first_response_at: r.first_response.map(from_ms),
        resolved_at: r.solved_resolved().map(from_ms),
        pauses: r.pauses.clone(),
    }
}

fn bottlenecks(rows: &[&Row], now: i64, threshold_hours: i64, sets: &mut Sets) -> Bottlenecks {
    let mut stuck: Vec<&Row> = rows.iter().copied().filter(|r| r.unsolved() && now - r.status_changed >= threshold_hours * HOUR).collect();
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

struct AgentAcc {
    assigned_id: usize,
    solved_id: usize,
    frt: Vec<i64>,
    res: Vec<i64>,
    met: i64,
    breached: i64,
    rated: i64,
    good: i64,
    solved_reopened: i64,
}

impl AgentAcc {
    fn new(sets: &mut Sets, email: &str) -> AgentAcc {
        AgentAcc {
            assigned_id: sets.id(&format!("agent:{email}:assigned")),
            solved_id: sets.id(&format!("agent:{email}:solved")),
            frt: Vec::new(),
            res: Vec::new(),
            met: 0,
            breached: 0,
            rated: 0,
            good: 0,
            solved_reopened: 0,
        }
    }
}

struct TypeAcc {
    created_id: usize,
    solved_id: usize,
    /// Resolution times (s) of the period's solved tickets.
    resolution: Vec<i64>,
}

impl TypeAcc {
    fn new(sets: &mut Sets, ticket_type: &str) -> TypeAcc {
        TypeAcc {
            created_id: sets.id(&format!("type:{ticket_type}")),
            solved_id: sets.id(&format!("type_solved:{ticket_type}")),
            resolution: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_percentiles_by_nearest_rank() {
        assert_eq!(median(&mut [5, 1, 3]), Some(3));
        assert_eq!(median(&mut [4, 1, 3, 2]), Some(2));
        assert_eq!(median(&mut []), None);
        let mut shuffled: Vec<i64> = vec![7, 3, 10, 1, 9, 2, 8, 4, 6, 5];
        assert_eq!(percentile(&mut shuffled, 0.9), Some(9));
        assert_eq!(percentile(&mut shuffled, 0.5), Some(5));
        assert_eq!(percentile(&mut [7], 0.9), Some(7));
        assert_eq!(percentile(&mut [], 0.9), None);
        assert_eq!(median(&mut [9, 1, 5, 3]), Some(4));
        assert_eq!(average(&[1, 2, 4]), Some(2));
    }
}
