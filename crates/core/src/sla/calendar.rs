//! Business hours: a weekly schedule, holidays and an IANA time zone. Answers the two
//! questions the SLA clock asks: how much working time lies between two instants, and when
//! a given amount of working time after an instant runs out.

use crate::clock::Timestamp;
use crate::{Error, Problem, Result};
use chrono::{Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};

/// Working hours on one weekday, local time ("09:00"–"18:00").
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct WorkingHours {
    /// 1 = Monday … 7 = Sunday (ISO).
    pub weekday: u32,
    pub start: NaiveTime,
    pub end: NaiveTime,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct BusinessHours {
    /// IANA time zone, e.g. "Europe/Warsaw", "Asia/Seoul".
    pub time_zone: String,
    pub week: Vec<WorkingHours>,
    #[serde(default)]
    pub holidays: Vec<NaiveDate>,
    /// Derived from the fields above on first use; not part of the settings.
    #[serde(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    table: TableCache,
}

/// Far enough to cover any SLA target; a schedule with no working time never reaches it.
const MAX_DAYS: i64 = 3 * 366;

impl BusinessHours {
    /// Monday–Friday, `start`–`end`, in `tz`.
    pub fn weekdays(tz: &str, start: &str, end: &str) -> Result<BusinessHours> {
        let t = |s: &str| {
            NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| Error::invalid("business_hours", Problem::NotATimeOfDay { text: s.to_string() }))
        };
        let (start, end) = (t(start)?, t(end)?);
        let bh = BusinessHours {
            time_zone: tz.to_string(),
            week: (1..=5).map(|weekday| WorkingHours { weekday, start, end }).collect(),
            holidays: vec![],
            table: TableCache::default(),
        };
        bh.validate()?;
        Ok(bh)
    }

    pub fn validate(&self) -> Result<()> {
        self.tz()?;
        if self.week.is_empty() {
            return Err(Error::invalid("business_hours", Problem::NoWorkingDay));
        }
        for w in &self.week {
            if !(1..=7).contains(&w.weekday) {
                return Err(Error::invalid("business_hours", Problem::NotAWeekday { n: w.weekday }));
            }
            if w.start >= w.end {
                return Err(Error::invalid("business_hours", Problem::HoursBackwards { start: w.start.to_string(), end: w.end.to_string() }));
            }
        }
        Ok(())
    }

    fn tz(&self) -> Result<Tz> {
        self.time_zone.parse::<Tz>().map_err(|_| Error::invalid("time_zone", Problem::NotATimeZone { text: self.time_zone.clone() }))
    }

    /// Working intervals of one local date, as UTC instants.
    fn intervals_on(&self, tz: Tz, date: NaiveDate) -> impl Iterator<Item = (Timestamp, Timestamp)> + '_ {
        let working = !self.holidays.contains(&date);
        let weekday = date.weekday().number_from_monday();
        self.week
            .iter()
            .filter(move |w| working && w.weekday == weekday)
            .map(move |w| (local_to_utc(tz, date.and_time(w.start)), local_to_utc(tz, date.and_time(w.end))))
    }

    /// Working seconds in `[from, to)`.
    pub fn seconds_between(&self, from: Timestamp, to: Timestamp) -> i64 {
        if to <= from {
            return 0;
        }
        if let Some(n) = self.table(from).and_then(|t| t.seconds_between(from.timestamp_millis(), to.timestamp_millis())) {
            return n;
        }
        self.walk_seconds_between(from, to)
    }

    /// `seconds_between` day by day: the definition the table must agree with.
    fn walk_seconds_between(&self, from: Timestamp, to: Timestamp) -> i64 {
        let Ok(tz) = self.tz() else { return (to - from).num_seconds() };
        let mut date = from.with_timezone(&tz).date_naive() - Duration::days(1);
        let last = to.with_timezone(&tz).date_naive() + Duration::days(1);
        let mut total = 0;
        while date <= last {
            for (s, e) in self.intervals_on(tz, date) {
                let (s, e) = (s.max(from), e.min(to));
                if e > s {
                    total += (e - s).num_seconds();
                }
            }
            date += Duration::days(1);
        }
        total
    }

    /// The instant at which `seconds` of working time after `from` have passed.
    /// `None` when the schedule never provides that much (no working days at all).
    pub fn add_seconds(&self, from: Timestamp, seconds: i64) -> Option<Timestamp> {
        if let Some(ms) = self.table(from).and_then(|t| t.add_seconds(from.timestamp_millis(), seconds.max(0))) {
            return chrono::DateTime::from_timestamp_millis(ms);
        }
        self.walk_add_seconds(from, seconds)
    }

    /// `add_seconds` day by day: the definition the table must agree with.
    fn walk_add_seconds(&self, from: Timestamp, seconds: i64) -> Option<Timestamp> {
        let Ok(tz) = self.tz() else { return Some(from + Duration::seconds(seconds)) };
        let mut left = seconds.max(0);
        let mut date = from.with_timezone(&tz).date_naive() - Duration::days(1);
        for _ in 0..MAX_DAYS {
            for (s, e) in self.intervals_on(tz, date) {
                if e <= from {
                    continue;
                }
                let s = s.max(from);
                let available = (e - s).num_seconds();
                if left == 0 {
                    return Some(s);
                }
                if left <= available {
                    return Some(s + Duration::seconds(left));
                }
                left -= available;
            }
            date += Duration::days(1);
        }
        None
    }
}

/// How far around the first instant asked about the table reaches; beyond it, the days are
/// walked one by one as before.
const TABLE_YEARS: i64 = 10;

impl BusinessHours {
    /// The table of working intervals around `near`, built on first use (and again if the
    /// schedule was edited since). `None` when the schedule cannot be tabled (no valid time
    /// zone, overlapping hours).
    fn table(&self, near: Timestamp) -> Option<Arc<WorkTable>> {
        let mut slot = self.table.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((built_for, table)) = slot.as_ref() {
            if built_for.0 == self.time_zone && built_for.1 == self.week && built_for.2 == self.holidays {
                return table.clone();
            }
        }
        let table = self.build_table(near).map(Arc::new);
        *slot = Some(((self.time_zone.clone(), self.week.clone(), self.holidays.clone()), table.clone()));
        table
    }

    fn build_table(&self, near: Timestamp) -> Option<WorkTable> {
        let tz = self.tz().ok()?;
        let center = near.with_timezone(&tz).date_naive();
        let (first, last) = (center - Duration::days(366 * TABLE_YEARS), center + Duration::days(366 * TABLE_YEARS));
        let (mut starts, mut ends, mut before) = (Vec::new(), Vec::new(), vec![0]);
        let mut date = first;
        while date <= last {
            for (s, e) in self.intervals_on(tz, date) {
                let (s, e) = (s.timestamp_millis(), e.timestamp_millis());
                // Binary search needs ordered, disjoint intervals; a schedule without them walks.
                if e <= s || ends.last().is_some_and(|prev| *prev > s) {
                    return None;
                }
                starts.push(s);
                ends.push(e);
                before.push(before.last().copied().unwrap_or(0) + (e - s) / 1000);
            }
            date += Duration::days(1);
        }
        // Every interval touching an instant belongs to that instant's local date, so the
        // table answers for instants between the second day's start and the last day's.
        let lo = local_to_utc(tz, (first + Duration::days(1)).and_time(NaiveTime::MIN)).timestamp_millis();
        let hi = local_to_utc(tz, last.and_time(NaiveTime::MIN)).timestamp_millis();
        Some(WorkTable { lo, hi, starts, ends, before })
    }
}

/// The working intervals of a stretch of years in ms, with the working seconds before each:
/// working time between two instants, or after one, by binary search instead of walking
/// the days (the dashboard asks 100k times). Seconds are counted per interval, truncated, as
/// the walk counts them.
#[derive(Debug)]
struct WorkTable {
    lo: i64,
    hi: i64,
    starts: Vec<i64>,
    ends: Vec<i64>,
    /// `before[i]`: working seconds of the intervals before interval `i`.
    before: Vec<i64>,
}

impl WorkTable {
    fn seconds_between(&self, from: i64, to: i64) -> Option<i64> {
        if from < self.lo || to > self.hi {
            return None;
        }
        // The intervals i..j overlap (from, to).
        let i = self.ends.partition_point(|e| *e <= from);
        let j = self.starts.partition_point(|s| *s < to);
        if i >= j {
            return Some(0);
        }
        let part = |k: usize| (self.ends[k].min(to) - self.starts[k].max(from)) / 1000;
        if j - i == 1 {
            return Some(part(i));
        }
        Some(part(i) + (self.before[j - 1] - self.before[i + 1]) + part(j - 1))
    }

    fn add_seconds(&self, from: i64, seconds: i64) -> Option<i64> {
        if from < self.lo || from > self.hi {
            return None;
        }
        let i = self.ends.partition_point(|e| *e <= from);
        if i >= self.starts.len() {
            return None;
        }
        let start = self.starts[i].max(from);
        let available = (self.ends[i] - start) / 1000;
        if seconds <= available {
            return Some(start + seconds * 1000);
        }
        // The first whole interval after i in which the rest runs out.
        let target = self.before[i + 1] + (seconds - available);
        let k = self.before.partition_point(|b| *b < target).checked_sub(1)?;
        if k >= self.starts.len() {
            return None;
        }
        Some(self.starts[k] + (target - self.before[k]) * 1000)
    }
}

/// The cached table and the schedule it was built from. Clones share the table (settings are
/// cloned into many transactions); two schedules are equal whatever their caches hold.
#[derive(Debug, Default)]
#[allow(clippy::type_complexity)]
struct TableCache(Mutex<Option<((String, Vec<WorkingHours>, Vec<NaiveDate>), Option<Arc<WorkTable>>)>>);

impl Clone for TableCache {
    fn clone(&self) -> Self {
        TableCache(Mutex::new(self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()))
    }
}

impl PartialEq for TableCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// Local wall time to UTC. A time that happens twice (autumn DST) takes the first; a time
/// that does not exist (spring DST gap) moves forward past the gap.
fn local_to_utc(tz: Tz, local: NaiveDateTime) -> Timestamp {
    let mut t = local;
    for _ in 0..4 {
        match tz.from_local_datetime(&t) {
            LocalResult::Single(x) => return x.with_timezone(&Utc),
            LocalResult::Ambiguous(a, _) => return a.with_timezone(&Utc),
            LocalResult::None => t += Duration::minutes(30),
        }
    }
    Utc.from_utc_datetime(&local)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn schedule(tz: &str) -> BusinessHours {
        let mut bh = BusinessHours::weekdays(tz, "09:00", "17:30").unwrap();
        // A short Saturday and a holiday, so the table has uneven days to skip.
        bh.week.push(WorkingHours { weekday: 6, start: NaiveTime::from_hms_opt(10, 0, 0).unwrap(), end: NaiveTime::from_hms_opt(12, 0, 0).unwrap() });
        bh.holidays = vec![NaiveDate::from_ymd_opt(2026, 3, 30).unwrap(), NaiveDate::from_ymd_opt(2026, 10, 26).unwrap()];
        bh
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]
        /// The table answers exactly what walking the days answers, to the millisecond, over
        /// DST switches (Warsaw) and without them (Seoul).
        #[test]
        fn the_table_agrees_with_walking_the_days(
            seoul in any::<bool>(),
            from_ms in 0i64..(400 * 86_400_000),
            span_ms in 0i64..(40 * 86_400_000),
            budget in 0i64..(200 * 3600),
        ) {
            let bh = schedule(if seoul { "Asia/Seoul" } else { "Europe/Warsaw" });
            let base = chrono::DateTime::from_timestamp_millis(1_767_225_600_000).unwrap(); // 2026-01-01
            let from = base + Duration::milliseconds(from_ms);
            let to = from + Duration::milliseconds(span_ms);
            prop_assert!(bh.table(from).is_some(), "a weekly schedule is tabled");
            prop_assert_eq!(bh.seconds_between(from, to), bh.walk_seconds_between(from, to));
            prop_assert_eq!(bh.add_seconds(from, budget), bh.walk_add_seconds(from, budget));
        }
    }

    #[test]
    fn an_edited_schedule_builds_its_table_again() {
        let mut bh = schedule("Europe/Warsaw");
        let monday = chrono::DateTime::parse_from_rfc3339("2026-03-30T06:00:00Z").unwrap().with_timezone(&Utc);
        let tuesday = monday + Duration::days(1);
        assert_eq!(bh.seconds_between(monday, tuesday), 0, "30 March is a holiday");
        bh.holidays.clear();
        assert_eq!(bh.seconds_between(monday, tuesday), 8 * 3600 + 1800);
    }
}
