//! Alerts (PRODUCT A2–A4, DESIGN "alerts"): durable rows that go raised → delivered → read.
//! The engine raises them — SLA alerts by a scan at `now`, keyword alerts in the same
//! transaction as the customer message — and plans their delivery; the desktop shell sends
//! the notifications and reports back. At most one alert per (ticket, kind, cycle, target),
//! enforced by the table, so a scan can run every few seconds for a week and raise each once.

mod delivery;

pub use casebook_core::text::keywords;
pub use casebook_core::text::{KeywordMatcher, DEFAULT_KEYWORDS};
pub use delivery::{mark_delivered, plan_delivery, DeliveryPlan, DeskAgent, Notice, MAX_SEPARATE_NOTICES};

use casebook_core::clock::{from_ms, to_ms, Timestamp};
use casebook_core::error::{Error, Result};
use casebook_core::model::{AlertKind, Priority, Status};
use casebook_core::sla::SlaInstants;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

/// What raises alerts and how they reach this desktop.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AlertSettings {
    /// The kinds that are raised at all.
    pub kinds: Vec<AlertKind>,
    /// Words and phrases that raise a keyword alert when a customer writes them.
    pub keywords: Vec<String>,
    /// While quiet, alerts are still raised and listed but no notification pops up.
    pub quiet_hours: Option<QuietHours>,
    /// Notify only about tickets assigned to the acting agent or one of their teams.
    pub only_mine: bool,
    /// How often the app scans for SLA alerts (it also scans after every change).
    pub scan_interval_seconds: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct QuietHours {
    /// "22:00"
    pub from: String,
    /// "07:00" (before `from` means overnight)
    pub to: String,
    /// IANA time zone the hours are in, e.g. "Asia/Seoul".
    pub timezone: String,
}

impl Default for AlertSettings {
    fn default() -> Self {
        AlertSettings {
            kinds: AlertKind::ALL.to_vec(),
            keywords: DEFAULT_KEYWORDS.iter().map(|s| s.to_string()).collect(),
            quiet_hours: None,
            only_mine: false,
            scan_interval_seconds: 30,
        }
    }
}

impl AlertSettings {
    /// Checks the settings, returning them tidied (keywords trimmed).
    pub fn validated(mut self) -> Result<AlertSettings> {
        self.keywords = keywords::validate(&self.keywords)?;
        if !(5..=3600).contains(&self.scan_interval_seconds) {
            return Err(Error::validation("scan_interval_seconds", "scan every 5 seconds to 1 hour"));
        }
        if let Some(q) = &self.quiet_hours {
            q.bounds()?;
            q.tz()?;
        }
        self.kinds.sort_by_key(|k| AlertKind::ALL.iter().position(|a| a == k));
        self.kinds.dedup();
        Ok(self)
    }
}

impl QuietHours {
    fn bounds(&self) -> Result<(chrono::NaiveTime, chrono::NaiveTime)> {
        let parse = |field: &'static str, s: &str| {
            chrono::NaiveTime::parse_from_str(s.trim(), "%H:%M")
                .map_err(|_| Error::validation(field, format!("'{s}' is not a time of day (e.g. 22:00)")))
        };
        Ok((parse("quiet_from", &self.from)?, parse("quiet_to", &self.to)?))
    }

    fn tz(&self) -> Result<chrono_tz::Tz> {
        self.timezone.parse().map_err(|_| Error::validation("quiet_timezone", format!("'{}' is not a time zone (e.g. Europe/Warsaw)", self.timezone)))
    }

    /// Whether `at` falls in the quiet hours (an overnight range wraps past midnight).
    pub fn contains(&self, at: Timestamp) -> bool {
        let (Ok((from, to)), Ok(tz)) = (self.bounds(), self.tz()) else { return false };
        let local = at.with_timezone(&tz).time();
        if from <= to {
            from <= local && local < to
        } else {
            local >= from || local < to
        }
    }
}

/// An alert as the alert centre and the notifications show it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Alert {
    pub id: i64,
    pub kind: AlertKind,
    pub ticket_number: i64,
    pub ticket_subject: String,
    pub ticket_priority: Priority,
    pub ticket_status: Status,
    /// Keyword alerts: the terms the customer's message matched.
    pub terms: Vec<String>,
    /// SLA alerts: when the target is (or was) due.
    pub due_at: Option<Timestamp>,
    pub raised_at: Timestamp,
    pub delivered_at: Option<Timestamp>,
    /// Rule alerts: the rule that raised it, its message and for whom.
    pub rule: Option<String>,
    pub message: Option<String>,
    pub recipients: Vec<casebook_core::model::Recipient>,
    /// Follow-ups: the agent (email) who asked to be reminded; only their desktop notifies.
    pub for_agent: Option<String>,
    /// Delivered without a notification (quiet hours, not mine, ticket already solved).
    pub silent: bool,
    pub read_at: Option<Timestamp>,
}

/// The JSON kept in `alerts.detail`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Detail {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    terms: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    due_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    to: Vec<casebook_core::model::Recipient>,
    /// Follow-ups: the email of the agent who asked to be reminded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    agent: Option<String>,
}

/// Which alerts to list.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AlertQuery {
    #[serde(default)]
    pub unread_only: bool,
    #[serde(default)]
    pub ticket_number: Option<i64>,
    #[serde(default)]
    pub limit: Option<u32>,
}

/// The SLA instant after which the scan has something new to say about a ticket: the
/// earliest of its instants still ahead of `now`.
pub fn next_sla_alert_at(i: &SlaInstants, now: Timestamp) -> Option<Timestamp> {
    [i.frt_risk_at, i.frt_due_at, i.res_risk_at, i.res_due_at].into_iter().flatten().filter(|t| *t > now).min()
}

/// The SLA alerts a ticket's instants call for at `now`, as (kind, cycle, due, crossed at): per
/// target "breached" once past due, else "at risk" once past the at-risk share. `cycle` is the
/// resolution cycle; first-response alerts always use cycle 0.
fn crossed(i: &SlaInstants, cycle: i64, now: Timestamp) -> Vec<(AlertKind, i64, Option<Timestamp>, Timestamp)> {
    let targets = [
        (i.frt_risk_at, i.frt_due_at, AlertKind::SlaFirstResponseAtRisk, AlertKind::SlaFirstResponseBreached, 0),
        (i.res_risk_at, i.res_due_at, AlertKind::SlaResolutionAtRisk, AlertKind::SlaResolutionBreached, cycle),
    ];
    targets
        .into_iter()
        .filter_map(|(risk, due, at_risk_kind, breached_kind, cycle)| match (risk, due) {
            (_, Some(d)) if d <= now => Some((breached_kind, cycle, due, d)),
            (Some(r), _) if r <= now => Some((at_risk_kind, cycle, due, r)),
            _ => None,
        })
        .collect()
}

/// Records the SLA alerts a ticket would have raised before `now` as already delivered and
/// read: for generated history (the demo), whose past was dealt with at the time.
pub fn record_past_sla_alerts(conn: &Connection, ticket_id: &str, cycle: i64, i: &SlaInstants, now: Timestamp) -> Result<()> {
    for (kind, cycle, due, at) in crossed(i, cycle, now) {
        let detail = Detail { due_at: due.map(to_ms), ..Default::default() };
        conn.prepare_cached(
            "INSERT INTO alerts (ticket_id, kind, cycle, target, detail, raised_at, delivered_at, read_at) VALUES (?1, ?2, ?3, '', ?4, ?5, ?5, ?5)
             ON CONFLICT (ticket_id, kind, cycle, target) DO NOTHING",
        )?
        .execute(params![ticket_id, kind.as_str(), cycle, serde_json::to_string(&detail)?, to_ms(at)])?;
    }
    // This desktop's scan starts after them: only instants still ahead will alert.
    conn.prepare_cached("UPDATE tickets SET sla_alert_at = ?2 WHERE id = ?1")?.execute(params![ticket_id, next_sla_alert_at(i, now).map(to_ms)])?;
    Ok(())
}

/// Inserts an alert unless that (ticket, kind, cycle, target) already has one.
fn raise(conn: &Connection, ticket_id: &str, kind: AlertKind, cycle: i64, target: &str, detail: &Detail, at: Timestamp) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "INSERT INTO alerts (ticket_id, kind, cycle, target, detail, raised_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (ticket_id, kind, cycle, target) DO NOTHING",
        )?
        .execute(params![ticket_id, kind.as_str(), cycle, target, serde_json::to_string(detail)?, to_ms(at)])?;
    Ok(n > 0)
}

/// Raises a keyword alert for a customer message, in the caller's transaction, when the
/// message holds one of the terms. Returns the terms found.
pub fn raise_for_message(
    conn: &Connection,
    settings: &AlertSettings,
    matcher: &KeywordMatcher,
    ticket_id: &str,
    message_id: &str,
    body: &str,
    at: Timestamp,
) -> Result<Vec<String>> {
    if !settings.kinds.contains(&AlertKind::Keyword) {
        return Ok(vec![]);
    }
    let terms = matcher.find(body);
    if !terms.is_empty() {
        raise(conn, ticket_id, AlertKind::Keyword, 0, message_id, &Detail { terms: terms.clone(), ..Default::default() }, at)?;
    }
    Ok(terms)
}

/// Raises the alert of a rule's "notify" action; `target` tells one firing from another.
pub fn raise_for_rule(
    conn: &Connection,
    ticket_id: &str,
    target: &str,
    rule: &str,
    message: &str,
    to: &[casebook_core::model::Recipient],
    at: Timestamp,
) -> Result<bool> {
    let detail = Detail { rule: Some(rule.into()), message: Some(message.into()), to: to.to_vec(), ..Default::default() };
    raise(conn, ticket_id, AlertKind::Rule, 0, target, &detail, at)
}

/// Raises the alert of a time that came (a snooze's end, a follow-up's), once per time.
fn raise_timed(conn: &Connection, ticket_id: &str, kind: AlertKind, at_ms: i64, agent: Option<String>, now: Timestamp) -> Result<bool> {
    let detail = Detail { due_at: Some(at_ms), agent, ..Default::default() };
    raise(conn, ticket_id, kind, 0, &at_ms.to_string(), &detail, now)
}

/// A snooze or follow-up that came due longer ago than this (a laptop off for a holiday, one
/// joining the team) is not announced again; the ticket is simply back.
const ANNOUNCE_WITHIN: chrono::Duration = chrono::Duration::days(7);

/// Raises the alerts of snoozes that ran out and follow-ups that came due by `now` (at most
/// once each: the time is the alert's target, so a new snooze alerts again). Part of the
/// alert scan, in its transaction.
fn scan_timed(conn: &Connection, kinds: &[AlertKind], now: Timestamp, raised: &mut Vec<i64>) -> Result<()> {
    let (now_ms, since) = (to_ms(now), to_ms(now - ANNOUNCE_WITHIN));
    let due: Vec<(String, i64)> = conn
        .prepare_cached(
            "SELECT id, snoozed_until FROM tickets WHERE snoozed_until > ?1 AND snoozed_until <= ?2 AND status NOT IN ('resolved', 'closed')",
        )?
        .query_map(params![since, now_ms], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (id, until) in due {
        if kinds.contains(&AlertKind::SnoozeEnded) && raise_timed(conn, &id, AlertKind::SnoozeEnded, until, None, now)? {
            raised.push(conn.last_insert_rowid());
        }
    }
    let due: Vec<(String, i64, Option<String>)> = conn
        .prepare_cached(
            "SELECT t.id, t.follow_up_at, a.email FROM tickets t LEFT JOIN agents a ON a.id = t.follow_up_by
             WHERE t.follow_up_at > ?1 AND t.follow_up_at <= ?2 AND t.status NOT IN ('resolved', 'closed')",
        )?
        .query_map(params![since, now_ms], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (id, at, by) in due {
        if kinds.contains(&AlertKind::FollowUpDue) && raise_timed(conn, &id, AlertKind::FollowUpDue, at, by, now)? {
            raised.push(conn.last_insert_rowid());
        }
    }
    Ok(())
}

const ALERT_COLUMNS: &str = "a.id, a.kind, t.number, t.subject, t.priority, t.status, a.detail, a.raised_at, a.delivered_at, a.silent, a.read_at";

fn row_to_alert(r: &rusqlite::Row<'_>) -> rusqlite::Result<Alert> {
    let kind: String = r.get(1)?;
    let status: String = r.get(5)?;
    let detail: String = r.get(6)?;
    let detail: Detail = serde_json::from_str(&detail).unwrap_or_default();
    Ok(Alert {
        id: r.get(0)?,
        kind: AlertKind::parse(&kind).unwrap_or(AlertKind::Keyword),
        ticket_number: r.get(2)?,
        ticket_subject: r.get(3)?,
        ticket_priority: Priority::from_rank(r.get(4)?),
        ticket_status: Status::parse(&status).unwrap_or(Status::Open),
        terms: detail.terms,
        due_at: detail.due_at.map(from_ms),
        rule: detail.rule,
        message: detail.message,
        recipients: detail.to,
        for_agent: detail.agent,
        raised_at: from_ms(r.get(7)?),
        delivered_at: r.get::<_, Option<i64>>(8)?.map(from_ms),
        silent: r.get::<_, i64>(9)? != 0,
        read_at: r.get::<_, Option<i64>>(10)?.map(from_ms),
    })
}

/// What one scan did.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ScanReport {
    /// Tickets whose SLA instants the scan looked at.
    pub tickets_examined: u32,
    /// Ids of the alerts it raised.
    pub raised: Vec<i64>,
}

/// The alert settings as stored (the defaults when none were saved).
pub fn load_settings(conn: &Connection) -> Result<AlertSettings> {
    Ok(casebook_store::get_setting(conn, "alerts")?.unwrap_or_default())
}

/// Raises the SLA alerts due at `now` in the caller's transaction: for each running target,
/// "breached" once past due, else "at risk" once past the at-risk share (a ticket first seen
/// already breached gets only the breach); then the snoozes and follow-ups that came due.
/// Reads only tickets whose next SLA instant has passed since the last scan, so a scan with
/// nothing new costs one index probe.
pub fn scan(tx: &Connection, kinds: &[AlertKind], now: Timestamp) -> Result<ScanReport> {
    let now_ms = to_ms(now);
    let mut report = ScanReport::default();
    {
        let mut due = tx.prepare_cached(
            "SELECT id, sla_cycle, frt_risk_at, frt_due_at, res_risk_at, res_due_at FROM tickets
             WHERE sla_alert_at <= ?1 AND status NOT IN ('resolved', 'closed')",
        )?;
        type Row = (String, i64, Option<i64>, Option<i64>, Option<i64>, Option<i64>);
        let rows: Vec<Row> =
            due.query_map([now_ms], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))?.collect::<rusqlite::Result<_>>()?;
        let mut advance = tx.prepare_cached("UPDATE tickets SET sla_alert_at = ?2 WHERE id = ?1")?;
        for (id, cycle, frt_risk, frt_due, res_risk, res_due) in rows {
            report.tickets_examined += 1;
            let instants = SlaInstants {
                frt_risk_at: frt_risk.map(from_ms),
                frt_due_at: frt_due.map(from_ms),
                res_risk_at: res_risk.map(from_ms),
                res_due_at: res_due.map(from_ms),
                attention_at: None,
            };
            for (kind, cycle, due, _) in crossed(&instants, cycle, now) {
                if !kinds.contains(&kind) {
                    continue;
                }
                let detail = Detail { due_at: due.map(to_ms), ..Default::default() };
                if raise(tx, &id, kind, cycle, "", &detail, now)? {
                    report.raised.push(tx.last_insert_rowid());
                }
            }
            advance.execute(params![id, next_sla_alert_at(&instants, now).map(to_ms)])?;
        }
    }
    scan_timed(tx, kinds, now, &mut report.raised)?;
    Ok(report)
}

/// Alerts on tickets the connection's reader may see, newest first.
pub fn list(conn: &Connection, q: &AlertQuery) -> Result<Vec<Alert>> {
    let mut sql = format!("SELECT {ALERT_COLUMNS} FROM alerts a JOIN tickets t ON t.id = a.ticket_id WHERE {}", casebook_store::VISIBLE);
    if q.unread_only {
        sql.push_str(" AND a.read_at IS NULL");
    }
    if q.ticket_number.is_some() {
        sql.push_str(" AND t.number = ?1");
    } else {
        sql.push_str(" AND ?1 IS NULL");
    }
    sql.push_str(" ORDER BY a.raised_at DESC, a.id DESC LIMIT ?2");
    let mut stmt = conn.prepare_cached(&sql)?;
    let limit = q.limit.unwrap_or(500).min(5000) as i64;
    let rows = stmt.query_map(params![q.ticket_number, limit], row_to_alert)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn unread_count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row(
        &format!("SELECT count(*) FROM alerts a JOIN tickets t ON t.id = a.ticket_id WHERE a.read_at IS NULL AND {}", casebook_store::VISIBLE),
        [],
        |r| r.get(0),
    )?)
}

/// Marks one alert read (again is fine).
pub fn mark_read(conn: &Connection, id: i64, now: Timestamp) -> Result<Alert> {
    let n = conn.execute("UPDATE alerts SET read_at = coalesce(read_at, ?2) WHERE id = ?1", params![id, to_ms(now)])?;
    if n == 0 {
        return Err(Error::NotFound { what: "alert", key: id.to_string() });
    }
    get(conn, id)
}

/// Marks every unread alert read; returns how many.
pub fn mark_all_read(conn: &Connection, now: Timestamp) -> Result<usize> {
    Ok(conn.execute("UPDATE alerts SET read_at = ?1 WHERE read_at IS NULL", [to_ms(now)])?)
}

pub fn get(conn: &Connection, id: i64) -> Result<Alert> {
    conn.query_row(&format!("SELECT {ALERT_COLUMNS} FROM alerts a JOIN tickets t ON t.id = a.ticket_id WHERE a.id = ?1"), [id], row_to_alert)
        .optional()?
        .ok_or_else(|| Error::NotFound { what: "alert", key: id.to_string() })
}
