//! Snooze and follow-up (issue 17). A snoozed ticket leaves the working views until its time
//! (views.rs: `Filters::snoozed`), then comes back with an alert; a follow-up reminds the
//! agent who set it that the customer has not answered by then. A customer's message ends
//! both at once, and solving the ticket ends them too: each by an event, so every laptop and
//! a replay agree. Their alerts are raised by the alert scan (`alerts`), which reads the times.

use crate::clock::{from_ms, to_ms, Timestamp};
use crate::events::{self, Change};
use crate::hooks::{Happened, Hook, HookCtx};
use crate::model::{Status, Ticket};
use crate::tickets::load_writable;
use crate::workspace::Workspace;
use crate::{Error, Problem, Result};
use chrono::{Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Weekday};
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

/// How far ahead a snooze or a follow-up may be set.
const LONGEST: Duration = Duration::days(366);
/// The hour a day named without one starts ("tomorrow", "monday").
const MORNING: u32 = 9;

/// The ticket page's word on both.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Snooze {
    /// Snoozed until then (still ahead).
    pub until: Option<Timestamp>,
    /// A reminder at this time unless the customer answers first.
    pub follow_up_at: Option<Timestamp>,
    /// Who is reminded.
    pub follow_up_by: Option<String>,
}

/// A time as a person writes it, in the time zone `tz`: `2h`, `30m`, `3d`, `1w` (from now),
/// `tomorrow`, `monday` (9:00 unless a time follows: `friday 14:30`), `14:30` (today, or
/// tomorrow once past), `2026-03-09` or `2026-03-09 14:30`, or an RFC 3339 instant.
pub fn parse_when<Tz: TimeZone>(text: &str, now: Timestamp, tz: &Tz) -> Result<Timestamp> {
    let words = text.trim().to_lowercase();
    let bad = || Error::invalid("when", Problem::NotATime { text: text.trim().to_string() });
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text.trim()) {
        return ahead(t.with_timezone(&chrono::Utc), now, text);
    }
    let local_now = now.with_timezone(tz).naive_local();
    let at = |date: NaiveDate, time: NaiveTime| -> Result<Timestamp> {
        let naive = date.and_time(time);
        // A time the clocks skip (spring forward) is taken an hour later.
        let t = tz.from_local_datetime(&naive).earliest().or_else(|| tz.from_local_datetime(&(naive + Duration::hours(1))).earliest());
        t.map(|t| t.with_timezone(&chrono::Utc)).ok_or_else(bad)
    };
    let time_of = |s: &str| NaiveTime::parse_from_str(s, "%H:%M").ok();
    let morning = NaiveTime::from_hms_opt(MORNING, 0, 0).expect("a valid hour");
    let relative = words.strip_prefix("in ").unwrap_or(&words).trim_start_matches('+').replace(' ', "");
    if let Some((n, unit)) = relative.find(|c: char| !c.is_ascii_digit()).map(|i| relative.split_at(i)) {
        if let Ok(n) = n.parse::<i64>() {
            let step = match unit {
                "m" | "min" | "mins" | "minute" | "minutes" => Some(Duration::minutes(n)),
                "h" | "hour" | "hours" => Some(Duration::hours(n)),
                "d" | "day" | "days" => Some(Duration::days(n)),
                "w" | "week" | "weeks" => Some(Duration::weeks(n)),
                _ => None,
            };
            match step {
                Some(step) if step <= LONGEST => return ahead(now + step, now, text),
                Some(_) => return Err(bad()),
                None => {}
            }
        }
    }
    let (day, time) = match words.split_once(' ') {
        Some((d, t)) => (d, Some(time_of(t.trim()).ok_or_else(bad)?)),
        None => (words.as_str(), None),
    };
    let today = local_now.date();
    let weekday = |name: &str| -> Option<Weekday> {
        let all = [
            ("monday", Weekday::Mon),
            ("tuesday", Weekday::Tue),
            ("wednesday", Weekday::Wed),
            ("thursday", Weekday::Thu),
            ("friday", Weekday::Fri),
            ("saturday", Weekday::Sat),
            ("sunday", Weekday::Sun),
        ];
        all.into_iter().find(|(full, _)| name.len() >= 3 && full.starts_with(name)).map(|(_, w)| w)
    };
    let target = if day == "today" {
        at(today, time.ok_or_else(bad)?)?
    } else if day == "tomorrow" {
        at(today + Duration::days(1), time.unwrap_or(morning))?
    } else if let Some(w) = weekday(day) {
        // The next such day, never today.
        let ahead_days = (w.num_days_from_monday() as i64 - today.weekday().num_days_from_monday() as i64 + 7 - 1) % 7 + 1;
        at(today + Duration::days(ahead_days), time.unwrap_or(morning))?
    } else if let Ok(date) = NaiveDate::parse_from_str(day, "%Y-%m-%d") {
        at(date, time.unwrap_or(morning))?
    } else if let (Some(t), None) = (time_of(day), time) {
        let today_at = at(today, t)?;
        if today_at > now {
            today_at
        } else {
            at(today + Duration::days(1), t)?
        }
    } else if let Some((date, t)) = day.split_once('t').and_then(|(d, t)| Some((NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()?, time_of(t)?))) {
        at(date, t)?
    } else {
        return Err(bad());
    };
    ahead(target, now, text)
}

fn ahead(t: Timestamp, now: Timestamp, text: &str) -> Result<Timestamp> {
    if t <= now {
        return Err(Error::invalid("when", Problem::TimePassed { text: text.trim().to_string() }));
    }
    if t - now > LONGEST {
        return Err(Error::invalid("when", Problem::TimeTooFar { text: text.trim().to_string() }));
    }
    Ok(t)
}

/// What the ticket page shows of a ticket's snooze and follow-up at `now`.
pub(crate) fn load(conn: &Connection, ticket_id: &str, now: Timestamp) -> Result<Snooze> {
    let row: Option<(Option<i64>, Option<i64>, Option<String>)> = conn
        .prepare_cached("SELECT t.snoozed_until, t.follow_up_at, a.name FROM tickets t LEFT JOIN agents a ON a.id = t.follow_up_by WHERE t.id = ?1")?
        .query_row([ticket_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let (until, follow_up_at, by) = row.unwrap_or_default();
    Ok(Snooze { until: until.map(from_ms).filter(|t| *t > now), follow_up_at: follow_up_at.map(from_ms), follow_up_by: follow_up_at.and(by) })
}

/// Ends the snooze and the follow-up of a ticket the customer just wrote on, or that was just
/// solved, by recording that they ended (in the change's transaction).
pub(crate) struct SnoozeEnds;

impl Hook for SnoozeEnds {
    fn after(&self, conn: &Connection, hc: &HookCtx<'_>, ticket_id: &str, what: Happened<'_>) -> Result<()> {
        let ends = match what {
            Happened::CustomerMessage { .. } => true,
            Happened::StatusChanged => {
                let status: String = conn.prepare_cached("SELECT status FROM tickets WHERE id = ?1")?.query_row([ticket_id], |r| r.get(0))?;
                Status::parse(&status).is_ok_and(Status::is_solved)
            }
            _ => false,
        };
        if !ends {
            return Ok(());
        }
        let (snoozed, follow_up): (Option<i64>, Option<i64>) = conn
            .prepare_cached("SELECT snoozed_until, follow_up_at FROM tickets WHERE id = ?1")?
            .query_row([ticket_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        if snoozed.is_some_and(|until| until > to_ms(hc.ctx.at)) {
            events::record(conn, hc.ctx, Some(ticket_id), Change::Snoozed { until: None })?;
        }
        if follow_up.is_some() {
            events::record(conn, hc.ctx, Some(ticket_id), Change::FollowUpSet { at: None, by: None })?;
        }
        Ok(())
    }
}

impl Workspace {
    /// Takes ticket `number` out of the working views until `until`; it comes back then with an
    /// alert, or earlier when the customer writes. Solved tickets are not snoozed.
    pub fn snooze(&mut self, number: i64, until: Timestamp) -> Result<Ticket> {
        let until = ahead(until, self.now(), &until.to_rfc3339())?;
        self.write_snooze(number, |_, t| {
            if t.status.is_solved() {
                return Err(Error::invalid("snooze", Problem::SnoozeSolved { number: t.number, status: t.status }));
            }
            Ok(Some(Change::Snoozed { until: Some(to_ms(until)) }))
        })
    }

    /// Back in the views now.
    pub fn unsnooze(&mut self, number: i64) -> Result<Ticket> {
        let now = self.now();
        self.write_snooze(number, |conn, t| Ok(load(conn, &t.id.to_string(), now)?.until.map(|_| Change::Snoozed { until: None })))
    }

    /// Reminds the acting agent at `at` unless the customer answers first; `None` cancels.
    pub fn follow_up(&mut self, number: i64, at: Option<Timestamp>) -> Result<Ticket> {
        let at = at.map(|t| ahead(t, self.now(), &t.to_rfc3339())).transpose()?;
        let me = self.acting_agent_required()?.id.to_string();
        self.write_snooze(number, |_, t| {
            if at.is_some() && t.status.is_solved() {
                return Err(Error::invalid("follow_up", Problem::FollowUpSolved { number: t.number, status: t.status }));
            }
            Ok(Some(Change::FollowUpSet { at: at.map(to_ms), by: at.map(|_| me.clone()) }))
        })
    }

    pub fn snooze_state(&self, number: i64) -> Result<Snooze> {
        let t = self.ticket(number)?;
        load(&self.conn, &t.id.to_string(), self.now())
    }

    /// Decides and records in one transaction, so the decision reads what it changes (the CLI
    /// may write the same file meanwhile).
    fn write_snooze(&mut self, number: i64, decide: impl FnOnce(&Connection, &Ticket) -> Result<Option<Change>>) -> Result<Ticket> {
        let ctx = self.ctx();
        let settings = self.sla.clone();
        let tx = self.begin()?;
        let t = load_writable(&tx, number)?;
        let Some(change) = decide(&tx, &t)? else { return Ok(t) };
        events::record(&tx, &ctx, Some(&t.id.to_string()), change)?;
        events::commit(tx, &settings)?;
        self.ticket(number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Warsaw;

    fn at(s: &str) -> Timestamp {
        chrono::DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&chrono::Utc)
    }

    #[test]
    fn times_as_people_write_them() {
        // Wednesday 2026-03-04, 10:00 in Warsaw (09:00 UTC).
        let now = at("2026-03-04T09:00:00Z");
        let when = |s: &str| parse_when(s, now, &Warsaw).map(|t| t.to_rfc3339());
        assert_eq!(when("2h").unwrap(), "2026-03-04T11:00:00+00:00");
        assert_eq!(when("in 30 min").unwrap(), "2026-03-04T09:30:00+00:00");
        assert_eq!(when("3d").unwrap(), "2026-03-07T09:00:00+00:00");
        assert_eq!(when("tomorrow").unwrap(), "2026-03-05T08:00:00+00:00", "9:00 in Warsaw");
        assert_eq!(when("Tomorrow 14:30").unwrap(), "2026-03-05T13:30:00+00:00");
        assert_eq!(when("monday").unwrap(), "2026-03-09T08:00:00+00:00");
        assert_eq!(when("wed").unwrap(), "2026-03-11T08:00:00+00:00", "a weekday is never today");
        assert_eq!(when("14:30").unwrap(), "2026-03-04T13:30:00+00:00");
        assert_eq!(when("08:00").unwrap(), "2026-03-05T07:00:00+00:00", "past today: tomorrow");
        assert_eq!(when("2026-03-09").unwrap(), "2026-03-09T08:00:00+00:00");
        assert_eq!(when("2026-03-09 17:00").unwrap(), "2026-03-09T16:00:00+00:00");
        assert_eq!(when("2026-03-09T17:00").unwrap(), "2026-03-09T16:00:00+00:00");
        assert_eq!(when("2026-03-30T08:00:00Z").unwrap(), "2026-03-30T08:00:00+00:00");
        // Summer time: 9:00 in Warsaw is 07:00 UTC after the last Sunday of March.
        assert_eq!(when("2026-03-30").unwrap(), "2026-03-30T07:00:00+00:00");
        for bad in ["", "soon", "25:00", "monday noon", "2h30", "-2h", "0m", "2026-02-30"] {
            assert!(when(bad).is_err(), "{bad}");
        }
        assert!(when("2026-03-01").unwrap_err().to_string().contains("already passed"));
        assert!(when("400d").is_err());
    }
}
