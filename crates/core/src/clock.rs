//! Time is a parameter: engine logic asks the `Clock` it was given, never the system clock,
//! so SLA and rule behaviour can be tested at any instant.

/// Lengths of time between `Timestamp`s.
pub use chrono::Duration;
use chrono::{DateTime, TimeZone, Utc};
use std::sync::Mutex;

pub type Timestamp = DateTime<Utc>;

pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The real wall clock (used only by the binaries).
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Utc::now()
    }
}

/// A clock that says what it is told: for tests and `--now`.
pub struct FixedClock(Mutex<Timestamp>);

impl FixedClock {
    pub fn new(t: Timestamp) -> Self {
        FixedClock(Mutex::new(t))
    }
    pub fn set(&self, t: Timestamp) {
        *self.0.lock().unwrap() = t;
    }
    pub fn advance(&self, d: chrono::Duration) {
        let mut t = self.0.lock().unwrap();
        *t += d;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap()
    }
}

/// The wall clock moved by a fixed offset: time runs, but from another instant. For trying
/// the app "tomorrow" (`casebook-desktop --now T`) without waiting for it.
pub struct ShiftedClock(chrono::Duration);

impl ShiftedClock {
    pub fn starting_at(t: Timestamp) -> Self {
        ShiftedClock(t - Utc::now())
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> Timestamp {
        Utc::now() + self.0
    }
}

impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now(&self) -> Timestamp {
        (**self).now()
    }
}

/// Timestamps are stored as integer milliseconds since the Unix epoch (UTC).
pub fn to_ms(t: Timestamp) -> i64 {
    t.timestamp_millis()
}

pub fn from_ms(ms: i64) -> Timestamp {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// Parses an RFC 3339 instant ("2026-03-01T09:00:00Z", "2026-03-01T09:00:00+09:00").
pub fn parse_instant(s: &str) -> crate::Result<Timestamp> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| crate::Error::validation("now", format!("'{s}' is not a time (expected RFC 3339, e.g. 2026-03-01T09:00:00Z)")))
}
