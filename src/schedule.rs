//! When the background jobs are due: the time rules every few minutes, a verified backup a
//! day (the first one a while after the app starts, not at its first start). The desktop's
//! scheduler asks this on every pass; `bench soak` drives the same passes through a month on a
//! fast clock. Times are the workspace clock's, so `--now` and a fake clock move them too.

use crate::clock::{Duration, Timestamp};

/// How often the time rules run (PRODUCT R1: "on a schedule").
pub const RULE_PASS_EVERY_MINUTES: i64 = 5;
pub const BACKUP_EVERY_HOURS: i64 = 24;
/// Scheduled backups kept in the backups folder, newest first.
pub const BACKUPS_KEPT: usize = 7;
/// With no backup yet, the first waits until the app has run this long.
pub const FIRST_BACKUP_AFTER_MINUTES: i64 = 15;
/// A failed backup is tried again after this long, not on every pass.
pub const BACKUP_RETRY_MINUTES: i64 = 60;

#[derive(Debug, Clone)]
pub struct Schedule {
    started: Timestamp,
    last_rules: Option<Timestamp>,
    last_backup: Option<Timestamp>,
}

impl Schedule {
    /// A schedule starting at `now`, the newest backup made at `newest_backup` (None: none yet).
    pub fn new(now: Timestamp, newest_backup: Option<Timestamp>) -> Schedule {
        Schedule { started: now, last_rules: None, last_backup: newest_backup }
    }

    /// True when a pass of the time rules is due (at the first pass, then every few minutes);
    /// the caller runs it, so the next is due a period later.
    pub fn take_rule_pass(&mut self, now: Timestamp) -> bool {
        let due = self.last_rules.is_none_or(|t| now - t >= Duration::minutes(RULE_PASS_EVERY_MINUTES));
        if due {
            self.last_rules = Some(now);
        }
        due
    }

    pub fn backup_due(&self, now: Timestamp) -> bool {
        match self.last_backup {
            Some(t) => now - t >= Duration::hours(BACKUP_EVERY_HOURS),
            None => now - self.started >= Duration::minutes(FIRST_BACKUP_AFTER_MINUTES),
        }
    }

    pub fn backup_made(&mut self, at: Timestamp) {
        self.last_backup = Some(at);
    }

    /// The next try comes after the retry period.
    pub fn backup_failed(&mut self, now: Timestamp) {
        self.last_backup = Some(now - Duration::hours(BACKUP_EVERY_HOURS) + Duration::minutes(BACKUP_RETRY_MINUTES));
    }

    pub fn last_backup(&self) -> Option<Timestamp> {
        self.last_backup
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        chrono::DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&chrono::Utc)
    }

    #[test]
    fn rules_every_five_minutes_and_a_backup_a_day_after_the_first_quarter_hour() {
        let mut s = Schedule::new(at("2026-03-02T09:00:00Z"), None);
        assert!(s.take_rule_pass(at("2026-03-02T09:00:00Z")));
        assert!(!s.take_rule_pass(at("2026-03-02T09:04:59Z")));
        assert!(s.take_rule_pass(at("2026-03-02T09:05:00Z")));
        assert!(!s.backup_due(at("2026-03-02T09:14:00Z")));
        assert!(s.backup_due(at("2026-03-02T09:15:00Z")));
        s.backup_made(at("2026-03-02T09:15:00Z"));
        assert!(!s.backup_due(at("2026-03-03T09:14:59Z")));
        assert!(s.backup_due(at("2026-03-03T09:15:00Z")));
        s.backup_failed(at("2026-03-03T09:15:00Z"));
        assert!(!s.backup_due(at("2026-03-03T10:14:00Z")));
        assert!(s.backup_due(at("2026-03-03T10:15:00Z")));
        // An app started with a backup made an hour ago waits for its day.
        let s = Schedule::new(at("2026-03-02T09:00:00Z"), Some(at("2026-03-02T08:00:00Z")));
        assert!(!s.backup_due(at("2026-03-02T09:30:00Z")));
        assert!(s.backup_due(at("2026-03-03T08:00:00Z")));
    }
}
