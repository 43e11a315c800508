//! Business hours: a weekly schedule, holidays and an IANA time zone. Answers the two
//! questions the SLA clock asks: how much working time lies between two instants, and when
//! a given amount of working time after an instant runs out.

use crate::clock::Timestamp;
use crate::{Error, Result};
use chrono::{Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

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
}

/// Far enough to cover any SLA target; a schedule with no working time never reaches it.
const MAX_DAYS: i64 = 3 * 366;

impl BusinessHours {
    /// Monday–Friday, `start`–`end`, in `tz`.
    pub fn weekdays(tz: &str, start: &str, end: &str) -> Result<BusinessHours> {
        let t = |s: &str| {
            NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| Error::validation("business_hours", format!("'{s}' is not a time of day (HH:MM)")))
        };
        let (start, end) = (t(start)?, t(end)?);
        let bh = BusinessHours {
            time_zone: tz.to_string(),
            week: (1..=5).map(|weekday| WorkingHours { weekday, start, end }).collect(),
            holidays: vec![],
        };
        bh.validate()?;
        Ok(bh)
    }

    pub fn validate(&self) -> Result<()> {
        self.tz()?;
        if self.week.is_empty() {
            return Err(Error::validation("business_hours", "business hours need at least one working day"));
        }
        for w in &self.week {
            if !(1..=7).contains(&w.weekday) {
                return Err(Error::validation("business_hours", format!("weekday {} is not 1 (Monday) … 7 (Sunday)", w.weekday)));
            }
            if w.start >= w.end {
                return Err(Error::validation("business_hours", format!("working hours {}–{} end before they start", w.start, w.end)));
            }
        }
        Ok(())
    }

    fn tz(&self) -> Result<Tz> {
        self.time_zone
            .parse::<Tz>()
            .map_err(|_| Error::validation("time_zone", format!("'{}' is not an IANA time zone (e.g. Europe/Warsaw)", self.time_zone)))
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
