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
use std::collections::{BTreeMap, HashMap};

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
    subject: String,
    status: Status,
    priority: Priority,
    ticket_type: String,
    assignee: Option<(String, String)>,
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

/// The figure keys and their tickets, collected while counting.
#[derive(Default)]
struct Sets(BTreeMap<String, Vec<i64>>);

impl Sets {
    fn add(&mut self, key: &str, number: i64) {
        match self.0.get_mut(key) {
            Some(list) => list.push(number),
            None => {
                self.0.insert(key.to_string(), vec![number]);
            }
        }
    }

    fn count(&self, key: &str, label: impl Into<String>) -> Count {
        Count { key: key.to_string(), label: label.into(), count: self.0.get(key).map_or(0, |v| v.len() as i64) }
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
    for (n, _, _) in items {
        sets.add(key, *n);
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

fn compliance(sets: &Sets, prefix: &str) -> Compliance {
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
        let mut numbers = sets.0.get(key).cloned().ok_or_else(|| Error::NotFound { what: "figure", key: key.to_string() })?;
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
        for r in &rows {
            sets.add(&format!("status:{}", r.status.as_str()), r.number);
            if r.unsolved() {
                if r.assignee.is_none() {
                    sets.add("unassigned", r.number);
                }
                let past = |t: Option<i64>| t.is_some_and(|t| t <= now);
                if past(r.frt_due) || past(r.res_due) {
                    sets.add("breached", r.number);
                } else if past(r.frt_risk) || past(r.res_risk) {
                    sets.add("at_risk", r.number);
                }
                let age = now - r.created;
                let bucket = [DAY, 3 * DAY, 7 * DAY, 30 * DAY].iter().position(|b| age < *b).unwrap_or(4);
                sets.add(&format!("age:{bucket}"), r.number);
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
        for r in &rows {
            let status = r.created >= prev_from && r.created < to;
            let sla = status.then(|| sla::status_at(settings, &facts(r, &pauses), from_ms(now)));
            for (acc, (a, b), prefix) in [(&mut this, (from, to), ""), (&mut prev, (prev_from, prev_to), "prev:")] {
                let inside = |t: i64| t >= a && t < b;
                if inside(r.created) {
                    acc.created += 1;
                    sets.add(&format!("{prefix}created"), r.number);
                    if r.solved_at().is_some() {
                        acc.created_solved += 1;
                    }
                    if let Some(fr) = r.first_response {
                        acc.frt.push((fr - r.created).max(0) / 1000);
                    }
                    if let Some(s) = &sla {
                        for (target, state) in [("frt", s.first_response.state), ("res", s.resolution.state)] {
                            if r.duplicate {
                                continue;
                            }
                            match state {
                                SlaState::Met => sets.add(&format!("{prefix}{target}:met"), r.number),
                                SlaState::Breached => sets.add(&format!("{prefix}{target}:breached"), r.number),
                                _ => {}
                            }
                        }
                    }
                }
                if let Some(solved) = r.solved_at().filter(|t| inside(*t)) {
                    acc.solved += 1;
                    sets.add(&format!("{prefix}solved"), r.number);
                    acc.res.push((solved - r.created).max(0) / 1000);
                }
                if r.reopened && inside(r.cycle_start) {
                    acc.reopened += 1;
                    sets.add(&format!("{prefix}reopened"), r.number);
                }
            }
            // This period's details.
            if in_period(r.created) {
                if let Some(fr) = r.first_response {
                    frt_items.push((r.number, (fr - r.created).max(0), settings.working_seconds(from_ms(r.created), from_ms(fr))));
                }
                sets.add(&format!("type:{}", r.ticket_type), r.number);
                if let (Some(s), false) = (&sla, r.duplicate) {
                    for (target, state) in [("frt", s.first_response.state), ("res", s.resolution.state)] {
                        match state {
                            SlaState::Met => sets.add(&format!("{target}:{}:met", r.priority.as_str()), r.number),
                            SlaState::Breached => sets.add(&format!("{target}:{}:breached", r.priority.as_str()), r.number),
                            _ => {}
                        }
                    }
                }
                if let Some((email, name)) = &r.assignee {
                    let a = per_agent.entry(email.clone()).or_insert_with(|| AgentAcc::new(name));
                    sets.add(&format!("agent:{email}:assigned"), r.number);
                    if let Some(fr) = r.first_response {
                        a.frt.push((fr - r.created).max(0) / 1000);
                    }
                    if let (Some(s), false) = (&sla, r.duplicate) {
                        for state in [s.first_response.state, s.resolution.state] {
                            match state {
                                SlaState::Met => a.met += 1,
                                SlaState::Breached => a.breached += 1,
                                _ => {}
                            }
                        }
                    }
                }
            }
            if let Some(solved) = r.solved_at().filter(|t| in_period(*t)) {
                res_items.push((r.number, solved - r.created, settings.working_seconds(from_ms(r.created), from_ms(solved))));
                per_type.entry(r.ticket_type.clone()).or_default().push((solved - r.created) / 1000);
                sets.add(&format!("type_solved:{}", r.ticket_type), r.number);
                if let Some((email, name)) = &r.assignee {
                    let a = per_agent.entry(email.clone()).or_insert_with(|| AgentAcc::new(name));
                    sets.add(&format!("agent:{email}:solved"), r.number);
                    a.res.push((solved - r.created) / 1000);
                    a.solved_reopened += r.reopened as i64;
                }
            }
            let point = |t: i64| in_period(t).then(|| (t - from) / trend_step);
            if let Some(i) = point(r.created) {
                sets.add(&format!("trend:{i}:created"), r.number);
            }
            if let Some(i) = r.solved_at().and_then(point) {
                sets.add(&format!("trend:{i}:solved"), r.number);
            }
            if let Some(i) = Some(r.cycle_start).filter(|_| r.reopened).and_then(point) {
                sets.add(&format!("trend:{i}:reopened"), r.number);
            }
        }

        // Ratings.
        let ratings = csat::ratings_between(&self.conn, prev_from, to)?;
        let numbers: HashMap<&str, (i64, Option<&str>)> =
            rows.iter().map(|r| (r.id.as_str(), (r.number, r.assignee.as_ref().map(|a| a.0.as_str())))).collect();
        let mut comments = Vec::new();
        for rating in &ratings {
            let Some((number, assignee)) = numbers.get(rating.ticket_id.as_str()) else { continue };
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

        let headline = |acc: &mut PeriodAcc, prefix: &str, a: i64, b: i64, sets: &Sets| Headline {
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
        let head = headline(&mut this, "", from, to, &sets);
        let previous = headline(&mut prev, "prev:", prev_from, prev_to, &sets);
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
                first_response: compliance(&sets, &format!("frt:{}", p.as_str())),
                resolution: compliance(&sets, &format!("res:{}", p.as_str())),
            })
            .collect();
        let agents = per_agent
            .into_iter()
            .map(|(email, mut a)| AgentFigures {
                assigned: sets.count(&format!("agent:{email}:assigned"), "assigned"),
                solved: sets.count(&format!("agent:{email}:solved"), "solved"),
                median_first_response: median(&mut a.frt),
                median_resolution: median(&mut a.res),
                sla_compliance: ratio(a.met, a.met + a.breached),
                csat: ratio(a.good, a.rated),
                rated: a.rated,
                reopen_rate: ratio(a.solved_reopened, a.res.len() as i64),
                name: a.name,
                email,
            })
            .collect();
        let mut by_type: Vec<Count> = sets
            .0
            .iter()
            .filter_map(|(k, v)| k.strip_prefix("type:").map(|t| Count { key: k.clone(), label: t.to_string(), count: v.len() as i64 }))
            .collect();
        by_type.sort_by(|a, b| b.count.cmp(&a.count).then(a.label.cmp(&b.label)));
        let mut slowest_types: Vec<TypeSpeed> = per_type
            .into_iter()
            .map(|(t, mut v)| TypeSpeed { solved: sets.count(&format!("type_solved:{t}"), "solved"), median_resolution: median(&mut v), ticket_type: t })
            .collect();
        slowest_types.sort_by(|a, b| b.median_resolution.cmp(&a.median_resolution));
        let by_tag = self.stats_tags(&rows, from, to, &mut sets)?;
        let bottlenecks = bottlenecks(&rows, now, q.stuck_hours.unwrap_or(72) as i64, &mut sets);
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
            first_response_sla: compliance(&sets, "frt"),
            resolution_sla: compliance(&sets, "res"),
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
            "SELECT t.id, t.number, t.subject, t.status, t.priority, t.type, a.email, a.name, t.created_at, t.first_response_at,
                    t.resolved_at, t.sla_cycle_start, t.sla_cycle, coalesce(t.status_changed_at, t.created_at),
                    t.frt_due_at, t.res_due_at, t.frt_risk_at, t.res_risk_at, t.resolution
             FROM tickets t LEFT JOIN agents a ON a.id = t.assignee_id LEFT JOIN teams tm ON tm.id = t.team_id
             WHERE (?1 IS NULL OR t.priority = ?1) AND (?2 IS NULL OR t.type = ?2 COLLATE NOCASE)
               AND (?3 IS NULL OR tm.name = ?3 COLLATE NOCASE) AND (?4 IS NULL OR a.email = ?4 COLLATE NOCASE)",
        )?;
        let rows = stmt.query_map(
            params![q.priority.map(|p| p.rank()), q.ticket_type.as_deref(), q.team.as_deref(), q.agent.as_deref()],
            |r| {
                let email: Option<String> = r.get(6)?;
                let name: Option<String> = r.get(7)?;
                let resolution: Option<String> = r.get(18)?;
                Ok(Row {
                    id: r.get(0)?,
                    number: r.get(1)?,
                    subject: r.get(2)?,
                    status: Status::parse(&r.get::<_, String>(3)?).unwrap_or(Status::Open),
                    priority: Priority::from_rank(r.get(4)?),
                    ticket_type: r.get(5)?,
                    assignee: email.map(|e| (e, name.unwrap_or_default())),
                    created: r.get(8)?,
                    first_response: r.get(9)?,
                    resolved: r.get(10)?,
                    cycle_start: r.get(11)?,
                    reopened: r.get::<_, i64>(12)? > 0,
                    status_changed: r.get(13)?,
                    frt_due: r.get(14)?,
                    res_due: r.get(15)?,
                    frt_risk: r.get(16)?,
                    res_risk: r.get(17)?,
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
    fn stats_tags(&self, rows: &[Row], from: i64, to: i64, sets: &mut Sets) -> Result<Vec<Count>> {
        let created: HashMap<&str, i64> = rows.iter().filter(|r| r.created >= from && r.created < to).map(|r| (r.id.as_str(), r.number)).collect();
        let mut stmt = self.conn.prepare("SELECT g.ticket_id, g.tag FROM ticket_tags g JOIN tickets t ON t.id = g.ticket_id WHERE t.created_at >= ?1 AND t.created_at < ?2")?;
        let mut q = stmt.query([from, to])?;
        while let Some(r) = q.next()? {
            let id: String = r.get(0)?;
            if let Some(n) = created.get(id.as_str()) {
                sets.add(&format!("tag:{}", r.get::<_, String>(1)?), *n);
            }
        }
        let mut tags: Vec<Count> = sets
            .0
            .iter()
            .filter_map(|(k, v)| k.strip_prefix("tag:").map(|t| Count { key: k.clone(), label: t.to_string(), count: v.len() as i64 }))
            .collect();
        tags.sort_by(|a, b| b.count.cmp(&a.count).then(a.label.cmp(&b.label)));
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
            .map(|r| StuckTicket { number: r.number, subject: r.subject.clone(), status: r.status, hours: (now - r.status_changed) / HOUR })
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
    name: String,
    frt: Vec<i64>,
    res: Vec<i64>,
    met: i64,
    breached: i64,
    rated: i64,
    good: i64,
    solved_reopened: i64,
}

impl AgentAcc {
    fn new(name: &str) -> AgentAcc {
        AgentAcc { name: name.to_string(), frt: vec![], res: vec![], met: 0, breached: 0, rated: 0, good: 0, solved_reopened: 0 }
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
        let sorted: Vec<i64> = (1..=10).collect();
        assert_eq!(percentile(&sorted, 0.9), Some(9));
        assert_eq!(percentile(&[7], 0.9), Some(7));
        assert_eq!(average(&[1, 2, 4]), Some(2));
    }
}
