//! The SLA clock (PRODUCT A1, A2): policies per priority, optional business hours, pauses
//! while Pending, and for any ticket at any instant its targets' state and time left.
//!
//! The same computation serves two purposes: the exact state shown on a ticket, and the
//! instants (due, at risk) stored on the ticket row whenever its facts change, so that
//! "every ticket at risk among 100k" is an index range scan.

mod calendar;

pub use calendar::{BusinessHours, WorkingHours};

use crate::clock::Timestamp;
use crate::model::{Priority, Status};
use crate::{Error, Problem, Result};
use chrono::Duration;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SlaPolicy {
    pub priority: Priority,
    pub first_response_minutes: i64,
    pub resolution_minutes: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SlaSettings {
    pub policies: Vec<SlaPolicy>,
    /// A target is "at risk" once this share of it has elapsed (PRODUCT A2).
    pub at_risk_share: f64,
    /// `None`: the clock runs around the clock.
    pub business_hours: Option<BusinessHours>,
}

impl Default for SlaSettings {
    /// The PRODUCT A1 table.
    fn default() -> Self {
        let p = |priority, first_response_minutes, resolution_minutes| SlaPolicy { priority, first_response_minutes, resolution_minutes };
        SlaSettings {
            policies: vec![
                p(Priority::Urgent, 15, 4 * 60),
                p(Priority::High, 2 * 60, 24 * 60),
                p(Priority::Medium, 24 * 60, 3 * 24 * 60),
                p(Priority::Low, 3 * 24 * 60, 7 * 24 * 60),
            ],
            at_risk_share: 0.75,
            business_hours: None,
        }
    }
}

impl SlaSettings {
    pub fn validate(&self) -> Result<()> {
        for priority in Priority::ALL {
            let n = self.policies.iter().filter(|p| p.priority == *priority).count();
            if n != 1 {
                return Err(Error::invalid("policies", Problem::OnePolicyPerPriority { priority: *priority }));
            }
        }
        for p in &self.policies {
            if p.first_response_minutes <= 0 || p.resolution_minutes <= 0 {
                return Err(Error::invalid("policies", Problem::TargetsPositive { priority: p.priority }));
            }
        }
        if !(self.at_risk_share > 0.0 && self.at_risk_share < 1.0) {
            return Err(Error::invalid("at_risk_share", Problem::AtRiskShare));
        }
        if let Some(bh) = &self.business_hours {
            bh.validate()?;
        }
        Ok(())
    }

    pub fn policy(&self, priority: Priority) -> &SlaPolicy {
        self.policies.iter().find(|p| p.priority == priority).unwrap_or(&self.policies[0])
    }

    /// Working seconds in `[from, to)`.
    pub fn working_seconds(&self, from: Timestamp, to: Timestamp) -> i64 {
        match &self.business_hours {
            Some(bh) => bh.seconds_between(from, to),
            None => (to - from).num_seconds().max(0),
        }
    }

    fn add_working(&self, from: Timestamp, seconds: i64) -> Option<Timestamp> {
        match &self.business_hours {
            Some(bh) => bh.add_seconds(from, seconds),
            None => Some(from + Duration::seconds(seconds)),
        }
    }
}

/// An interval in which the clock stood still; `end: None` means it still does.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Pause {
    pub start: Timestamp,
    pub end: Option<Timestamp>,
}

/// Everything about a ticket that its SLA depends on.
#[derive(Debug, Clone)]
pub struct SlaFacts {
    pub priority: Priority,
    pub status: Status,
    pub created_at: Timestamp,
    /// Start of the resolution clock's current cycle (creation, or the last reopen).
    pub cycle_start: Timestamp,
    pub first_response_at: Option<Timestamp>,
    pub resolved_at: Option<Timestamp>,
    pub pauses: Vec<Pause>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum SlaState {
    Ok,
    AtRisk,
    Breached,
    Met,
    Paused,
}

impl SlaState {
    pub fn as_str(self) -> &'static str {
        match self {
            SlaState::Ok => "ok",
            SlaState::AtRisk => "at_risk",
            SlaState::Breached => "breached",
            SlaState::Met => "met",
            SlaState::Paused => "paused",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum SlaTarget {
    FirstResponse,
    Resolution,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TargetStatus {
    pub target: SlaTarget,
    pub target_minutes: i64,
    pub state: SlaState,
    /// When the target runs out; `None` while paused or once met.
    pub due_at: Option<Timestamp>,
    pub at_risk_at: Option<Timestamp>,
    /// Working seconds left (negative: overdue by that much). `None` once met.
    pub remaining_seconds: Option<i64>,
    /// When the target was met (or missed late).
    pub achieved_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SlaStatus {
    pub first_response: TargetStatus,
    pub resolution: TargetStatus,
}

impl SlaStatus {
    /// The state a list badge shows: the target that needs attention first.
    pub fn headline(&self) -> &TargetStatus {
        let rank = |t: &TargetStatus| match t.state {
            SlaState::Breached => 0,
            SlaState::AtRisk => 1,
            SlaState::Ok => 2,
            SlaState::Paused => 3,
            SlaState::Met => 4,
        };
        let (a, b) = (&self.first_response, &self.resolution);
        if rank(a) < rank(b) || (rank(a) == rank(b) && a.due_at <= b.due_at) {
            a
        } else {
            b
        }
    }
}

/// Where a budget of working time runs out along the ticket's running intervals.
enum Crossing {
    At(Timestamp),
    /// Stopped (met, or now paused) with this many working seconds left.
    Left {
        seconds: i64,
        paused: bool,
    },
    Never,
}

fn crossing(settings: &SlaSettings, facts: &SlaFacts, start: Timestamp, budget: i64, until: Option<Timestamp>) -> Crossing {
    if facts.pauses.is_empty() {
        // Most tickets never paused: one running interval, nothing to sort or allocate.
        return match until {
            Some(u) if u <= start => Crossing::Left { seconds: budget, paused: false },
            Some(u) if budget > settings.working_seconds(start, u) => {
                Crossing::Left { seconds: budget - settings.working_seconds(start, u), paused: false }
            }
            _ => settings.add_working(start, budget).map_or(Crossing::Never, Crossing::At),
        };
    }
    let mut left = budget;
    let mut cursor = start;
    let mut pauses: Vec<&Pause> = facts.pauses.iter().filter(|p| p.end.is_none_or(|e| e > start)).collect();
    pauses.sort_by_key(|p| p.start);
    let mut segments: Vec<(Timestamp, Option<Timestamp>)> = Vec::new();
    let mut open_pause = false;
    for p in pauses {
        let ps = p.start.max(start);
        if ps > cursor {
            segments.push((cursor, Some(ps)));
        }
        match p.end {
            Some(e) => cursor = cursor.max(e),
            None => {
                open_pause = true;
                break;
            }
        }
    }
    if !open_pause {
        segments.push((cursor, None));
    }
    for (a, b) in segments {
        let b = match (b, until) {
            (Some(b), Some(u)) => Some(b.min(u)),
            (b, None) => b,
            (None, u) => u,
        };
        if let Some(b) = b {
            if b <= a {
                break;
            }
            let available = settings.working_seconds(a, b);
            if left <= available {
                return settings.add_working(a, left).map_or(Crossing::Never, Crossing::At);
            }
            left -= available;
        } else {
            return settings.add_working(a, left).map_or(Crossing::Never, Crossing::At);
        }
    }
    if until.is_some() && !open_pause {
        Crossing::Left { seconds: left, paused: false }
    } else {
        Crossing::Left { seconds: left, paused: open_pause }
    }
}

fn target_status(
    settings: &SlaSettings,
    facts: &SlaFacts,
    target: SlaTarget,
    start: Timestamp,
    met_at: Option<Timestamp>,
    minutes: i64,
    now: Timestamp,
) -> TargetStatus {
    let budget = minutes * 60;
    let risk_budget = (budget as f64 * settings.at_risk_share).ceil() as i64;
    let due = crossing(settings, facts, start, budget, met_at);
    let risk = crossing(settings, facts, start, risk_budget, met_at);
    let at = |c: &Crossing| if let Crossing::At(t) = c { Some(*t) } else { None };
    let mut status = TargetStatus {
        target,
        target_minutes: minutes,
        state: SlaState::Ok,
        due_at: at(&due),
        at_risk_at: at(&risk),
        remaining_seconds: None,
        achieved_at: met_at,
    };
    if met_at.is_some() {
        status.state = if status.due_at.is_some() { SlaState::Breached } else { SlaState::Met };
        status.due_at = None;
        status.at_risk_at = None;
        return status;
    }
    match due {
        Crossing::At(d) if now >= d => {
            status.state = SlaState::Breached;
            status.remaining_seconds = Some(-settings.working_seconds(d, now));
        }
        Crossing::At(d) => {
            status.state = match status.at_risk_at {
                Some(r) if now >= r => SlaState::AtRisk,
                _ => SlaState::Ok,
            };
            status.remaining_seconds = Some(settings.working_seconds(now, d));
        }
        Crossing::Left { seconds, paused } => {
            status.state = if paused { SlaState::Paused } else { SlaState::Ok };
            status.remaining_seconds = Some(seconds);
            status.at_risk_at = None;
        }
        Crossing::Never => {}
    }
    status
}

/// The SLA of a ticket at `now`.
pub fn status_at(settings: &SlaSettings, facts: &SlaFacts, now: Timestamp) -> SlaStatus {
    let policy = settings.policy(facts.priority);
    let finished = facts.resolved_at;
    SlaStatus {
        first_response: target_status(
            settings,
            facts,
            SlaTarget::FirstResponse,
            facts.created_at,
            facts.first_response_at.or(finished),
            policy.first_response_minutes,
            now,
        ),
        resolution: target_status(settings, facts, SlaTarget::Resolution, facts.cycle_start, finished, policy.resolution_minutes, now),
    }
}

/// Whether each target, first response and resolution, was met (`Some(true)`), missed
/// (`Some(false)`) or is still undecided (`None`) at `now`: the verdict of `status_at` without
/// its at-risk instants, for the dashboard's pass over every ticket.
pub fn outcomes_at(settings: &SlaSettings, facts: &SlaFacts, now: Timestamp) -> [Option<bool>; 2] {
    let policy = settings.policy(facts.priority);
    let finished = facts.resolved_at;
    let outcome = |start: Timestamp, met_at: Option<Timestamp>, minutes: i64| match (crossing(settings, facts, start, minutes * 60, met_at), met_at) {
        (Crossing::At(_), Some(_)) => Some(false),
        (_, Some(_)) => Some(true),
        (Crossing::At(due), None) if now >= due => Some(false),
        _ => None,
    };
    [
        outcome(facts.created_at, facts.first_response_at.or(finished), policy.first_response_minutes),
        outcome(facts.cycle_start, finished, policy.resolution_minutes),
    ]
}

/// `outcomes_at` in plain arithmetic on instants in ms, for a ticket whose clock never
/// paused under a wall clock (no business hours); `None` when that is not the case. The
/// dashboard asks for 100k verdicts, and most tickets are this simple.
pub fn outcomes_at_ms(settings: &SlaSettings, priority: Priority, times: OutcomeTimes, paused: bool, now: i64) -> Option<[Option<bool>; 2]> {
    if paused || settings.business_hours.is_some() {
        return None;
    }
    let policy = settings.policy(priority);
    let outcome = |start: i64, met_at: Option<i64>, minutes: i64| {
        let budget = minutes * 60;
        match met_at {
            // Met when it came before the whole budget was used up (whole seconds, as `crossing`).
            Some(at) => Some(at <= start || budget > (at - start) / 1000),
            None if now >= start + budget * 1000 => Some(false),
            None => None,
        }
    };
    Some([
        outcome(times.created, times.first_response.or(times.resolved), policy.first_response_minutes),
        outcome(times.cycle_start, times.resolved, policy.resolution_minutes),
    ])
}

/// A ticket's instants in ms, as `outcomes_at_ms` reads them (`resolved` only while solved).
#[derive(Debug, Clone, Copy)]
pub struct OutcomeTimes {
    pub created: i64,
    pub cycle_start: i64,
    pub first_response: Option<i64>,
    pub resolved: Option<i64>,
}

/// The instants stored on the ticket row (see the schema): due and at-risk for each target
/// still running, and the earliest at-risk instant as "needs attention at".
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SlaInstants {
    pub frt_due_at: Option<Timestamp>,
    pub frt_risk_at: Option<Timestamp>,
    pub res_due_at: Option<Timestamp>,
    pub res_risk_at: Option<Timestamp>,
    pub attention_at: Option<Timestamp>,
}

/// These do not depend on `now`: they change only when the ticket's facts do.
pub fn instants(settings: &SlaSettings, facts: &SlaFacts) -> SlaInstants {
    if facts.status.is_solved() {
        return SlaInstants::default();
    }
    // Any instant will do: due/at-risk do not depend on it, only the state does.
    let s = status_at(settings, facts, facts.created_at);
    let attention = [s.first_response.at_risk_at, s.resolution.at_risk_at].into_iter().flatten().min();
    SlaInstants {
        frt_due_at: s.first_response.due_at,
        frt_risk_at: s.first_response.at_risk_at,
        res_due_at: s.resolution.due_at,
        res_risk_at: s.resolution.at_risk_at,
        attention_at: attention,
    }
}
