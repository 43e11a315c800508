//! "Where did my tickets go?" (PRODUCT S4, the troubleshooting guide in seeds/001): the
//! diagnosis built in. Each check names what is wrong, the tickets concerned, and a fix where
//! there is one; `repair` applies the fixes that are safe to apply without a person.

use crate::attachments;
use crate::clock::to_ms;
use crate::search::{self, SearchIndex};
use crate::{Result, Workspace};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashSet};
use std::path::Path;

/// Events this far ahead of the clock mean a device's clock was wrong.
const CLOCK_SKEW_TOLERANCE_MS: i64 = 5 * 60 * 1000;
/// How many ticket numbers a finding lists.
const MAX_LISTED: usize = 200;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Finding {
    /// database, search, events, attachments, views, clock, sla
    pub area: String,
    pub problem: String,
    /// The tickets concerned (the first 200).
    pub tickets: Vec<i64>,
    /// What to do about it, in words.
    pub fix: String,
    /// Whether `repair` fixes it.
    pub repairable: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct HealthReport {
    pub ok: bool,
    /// What was checked, in words (so "ok" says what it means).
    pub checked: Vec<String>,
    pub findings: Vec<Finding>,
}

fn finding(area: &str, problem: String, tickets: Vec<i64>, fix: &str, repairable: bool) -> Finding {
    Finding { area: area.into(), problem, tickets: tickets.into_iter().take(MAX_LISTED).collect(), fix: fix.into(), repairable }
}

fn numbers(conn: &rusqlite::Connection, sql: &str, p: impl rusqlite::Params) -> Result<Vec<i64>> {
    Ok(conn.prepare(sql)?.query_map(p, |r| r.get(0))?.collect::<rusqlite::Result<_>>()?)
}

/// Files under `attachments/` named by a SHA-256.
fn stored_attachments(data_dir: &Path) -> Vec<String> {
    let mut out = vec![];
    let Ok(dirs) = std::fs::read_dir(data_dir.join("attachments")) else { return out };
    for d in dirs.flatten() {
        if let Ok(files) = std::fs::read_dir(d.path()) {
            for f in files.flatten() {
                let name = f.file_name().to_string_lossy().to_string();
                if name.len() == 64 && name.chars().all(|c| c.is_ascii_hexdigit()) {
                    out.push(name);
                }
            }
        }
    }
    out
}

impl Workspace {
    /// Runs every check. `index`: the workspace's search index, when there is one to check.
    pub fn check_health(&self, index: Option<&SearchIndex>) -> Result<HealthReport> {
        let conn = &self.conn;
        let mut findings = vec![];
        let mut checked = vec![];

        // 1. SQLite itself. A damaged page is reported with the tickets it makes unreadable.
        checked.push("SQLite integrity check and foreign keys".to_string());
        let problems: Vec<String> = match conn.prepare("PRAGMA integrity_check(50)").and_then(|mut s| s.query_map([], |r| r.get(0))?.collect()) {
            Ok(rows) => rows,
            Err(e) => vec![e.to_string()],
        };
        if problems != ["ok"] {
            findings.push(finding(
                "database",
                format!("SQLite reports damage: {}", problems.join("; ")),
                self.unreadable_tickets(),
                "restore the latest backup (`casebook restore`); the tickets listed cannot be read in full",
                false,
            ));
            // The other checks read the same damaged pages; stop here rather than fail later.
            return Ok(HealthReport { ok: false, checked, findings });
        }
        let fk: i64 = conn.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| r.get(0))?;
        if fk > 0 {
            findings.push(finding("database", format!("{fk} rows refer to records that do not exist"), vec![], "restore the latest backup", false));
        }

        // 2. The event log against the tables.
        checked.push("every ticket and message has its event".to_string());
        let no_created = numbers(
            conn,
            "SELECT t.number FROM tickets t WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.ticket_id = t.id AND e.kind = 'ticket.created') ORDER BY t.number",
            [],
        )?;
        if !no_created.is_empty() {
            findings.push(finding(
                "events",
                format!("{} tickets have no creation event (written outside Casebook?)", no_created.len()),
                no_created,
                "their history starts later than the ticket; nothing is lost, but check who edited the database",
                false,
            ));
        }
        let no_message_event = numbers(
            conn,
            "SELECT DISTINCT t.number FROM messages m JOIN tickets t ON t.id = m.ticket_id
             WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.ticket_id = m.ticket_id AND e.kind = 'message.added' AND json_extract(e.payload, '$.id') = m.id)
             ORDER BY t.number",
            [],
        )?;
        if !no_message_event.is_empty() {
            findings.push(finding(
                "events",
                format!("messages on {} tickets have no event in the log (written outside Casebook?)", no_message_event.len()),
                no_message_event,
                "check who edited the database; the messages themselves are intact",
                false,
            ));
        }
        let status_mismatch = numbers(
            conn,
            "SELECT t.number FROM tickets t
             JOIN (SELECT ticket_id, max(seq) AS seq FROM events WHERE kind IN ('ticket.created', 'ticket.status_changed') GROUP BY ticket_id) last
               ON last.ticket_id = t.id
             JOIN events e ON e.seq = last.seq
             WHERE coalesce(json_extract(e.payload, '$.to'), json_extract(e.payload, '$.status'),
                            CASE WHEN e.kind = 'ticket.created' THEN 'new' END) <> t.status
             ORDER BY t.number",
            [],
        )?;
        if !status_mismatch.is_empty() {
            findings.push(finding(
                "events",
                format!("{} tickets have a status their history does not explain (edited outside Casebook?)", status_mismatch.len()),
                status_mismatch,
                "open each ticket and set the status it should have; the change is then in its history",
                false,
            ));
        }

        // 3. Attachments on disk.
        checked.push("attachment files".to_string());
        let data_dir = self.data_dir();
        let referenced: Vec<(String, i64)> = conn
            .prepare(
                "SELECT DISTINCT a.sha256, t.number FROM attachments a JOIN messages m ON m.id = a.message_id JOIN tickets t ON t.id = m.ticket_id",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let missing: BTreeSet<i64> =
            referenced.iter().filter(|(sha, _)| !data_dir.join(attachments::relative_path(sha)).is_file()).map(|(_, n)| *n).collect();
        if !missing.is_empty() {
            findings.push(finding(
                "attachments",
                format!("attachments of {} tickets are missing from the data folder", missing.len()),
                missing.into_iter().collect(),
                "restore the attachments folder from a backup (`casebook restore` into a new folder, then copy attachments/ back)",
                false,
            ));
        }
        let known: HashSet<&str> = referenced.iter().map(|(s, _)| s.as_str()).collect();
        let orphans = stored_attachments(&data_dir).into_iter().filter(|s| !known.contains(s.as_str())).count();
        if orphans > 0 {
            findings.push(finding(
                "attachments",
                format!("{orphans} stored attachment files belong to no message"),
                vec![],
                "repair moves them to attachments-unreferenced/ (nothing is deleted)",
                true,
            ));
        }

        // 4. Tickets no list shows.
        checked.push("tickets that no view shows".to_string());
        let orphaned_assignee = numbers(
            conn,
            "SELECT t.number FROM tickets t JOIN agents a ON a.id = t.assignee_id
             WHERE a.active = 0 AND t.status NOT IN ('resolved', 'closed') ORDER BY t.number",
            [],
        )?;
        if !orphaned_assignee.is_empty() {
            findings.push(finding(
                "views",
                format!(
                    "{} unsolved tickets are assigned to agents who are no longer active: no one's My open shows them, and Unassigned does not either",
                    orphaned_assignee.len()
                ),
                orphaned_assignee,
                "reassign them (they are all in the All view)",
                false,
            ));
        }

        // 5. Clocks.
        checked.push("times in the future".to_string());
        let limit = to_ms(self.now()) + CLOCK_SKEW_TOLERANCE_MS;
        let future = numbers(
            conn,
            "SELECT DISTINCT t.number FROM events e JOIN tickets t ON t.id = e.ticket_id WHERE e.at > ?1
             UNION SELECT number FROM tickets WHERE created_at > ?1 OR updated_at > ?1 ORDER BY 1",
            [limit],
        )?;
        if !future.is_empty() {
            findings.push(finding(
                "clock",
                format!("{} tickets have changes dated in the future: a device's clock was ahead", future.len()),
                future,
                "check the clocks of the laptops that wrote them; SLA times of these tickets may be off",
                false,
            ));
        }

        // 6. Derived SLA instants.
        checked.push("stored SLA instants".to_string());
        let stale_sla = self.stale_sla_tickets()?;
        if !stale_sla.is_empty() {
            findings.push(finding(
                "sla",
                format!("{} tickets have stored SLA times that do not match their history (Breaching soon may miss them)", stale_sla.len()),
                stale_sla,
                "repair recomputes them",
                true,
            ));
        }

        // 7. The search index.
        if let Some(index) = index {
            checked.push("the search index against the database".to_string());
            let status = index.status(conn)?;
            // An index that has simply not caught up yet (a CLI change, a demo, the desktop
            // still indexing) is behind, not damaged: the tickets of the events it has not
            // applied are on their way. Anything else missing is real drift.
            let behind = (status.replayable && status.applied_seq < status.database_seq) || status.not_built_yet;
            let on_the_way: HashSet<i64> = if behind {
                numbers(
                    conn,
                    "SELECT DISTINCT t.number FROM events e JOIN tickets t ON t.id = e.ticket_id WHERE e.seq > ?1 ORDER BY t.number",
                    [status.applied_seq],
                )?
                .into_iter()
                .collect()
            } else {
                HashSet::new()
            };
            if status.not_built_yet {
                checked.push("the search index is not built yet: it is built on first use (the app, a search, `casebook reindex`)".to_string());
            } else if behind {
                let n = status.database_seq - status.applied_seq;
                let tickets = match on_the_way.len() {
                    1 => "1 ticket on its way".to_string(),
                    k => format!("{k} tickets on their way"),
                };
                checked.push(format!(
                    "the search index is {n} event{} behind the database and catches up on its own ({tickets})",
                    if n == 1 { "" } else { "s" }
                ));
            }
            let in_index: HashSet<i64> = search::indexed_numbers(index)?.into_iter().collect();
            let in_db = numbers(conn, "SELECT number FROM tickets ORDER BY number", [])?;
            let not_indexed: Vec<i64> = in_db.iter().copied().filter(|n| !in_index.contains(n) && !on_the_way.contains(n)).collect();
            let db_set: HashSet<i64> = in_db.into_iter().collect();
            let mut stale: Vec<i64> = in_index.iter().copied().filter(|n| !db_set.contains(n)).collect();
            stale.sort_unstable();
            if !not_indexed.is_empty() {
                findings.push(finding(
                    "search",
                    format!("{} tickets are missing from the search index: search cannot find them", not_indexed.len()),
                    not_indexed,
                    "repair rebuilds the index (`casebook reindex`)",
                    true,
                ));
            }
            if !stale.is_empty() {
                findings.push(finding(
                    "search",
                    format!("the search index has {} tickets the database does not", stale.len()),
                    stale,
                    "repair rebuilds the index (`casebook reindex`)",
                    true,
                ));
            }
            if let (Some(p), false, true) = (status.problem, behind, findings.iter().all(|f| f.area != "search")) {
                findings.push(finding("search", format!("the search index is out of date: {p}"), vec![], "repair brings it up to date", true));
            }
        }
        Ok(HealthReport { ok: findings.is_empty(), checked, findings })
    }

    /// Applies the fixes that need no decision: recompute SLA instants, rebuild the index,
    /// move unreferenced attachment files aside. Returns what it did, in words.
    pub fn repair(&mut self, index: Option<&SearchIndex>, report: &HealthReport) -> Result<Vec<String>> {
        let mut done = vec![];
        for f in report.findings.iter().filter(|f| f.repairable) {
            match f.area.as_str() {
                "sla" if !done.iter().any(|d: &String| d.starts_with("Recomputed")) => {
                    let settings = self.sla.clone();
                    let tx = self.begin()?;
                    crate::events::refresh_all_sla(&tx, &settings)?;
                    tx.commit()?;
                    // The repair writes no event, so the dashboard's copy cannot see it.
                    self.forget_stats_snapshot();
                    done.push("Recomputed the SLA times of every unsolved ticket.".to_string());
                }
                "search" if !done.iter().any(|d: &String| d.starts_with("Rebuilt")) => {
                    if let Some(index) = index {
                        let r = index.rebuild(&self.conn)?;
                        done.push(format!("Rebuilt the search index ({} tickets).", r.tickets_indexed));
                    }
                }
                "attachments" => {
                    let data_dir = self.data_dir();
                    let known: HashSet<String> = self
                        .conn
                        .prepare("SELECT DISTINCT sha256 FROM attachments")?
                        .query_map([], |r| r.get(0))?
                        .collect::<rusqlite::Result<_>>()?;
                    let aside = data_dir.join("attachments-unreferenced");
                    let mut moved = 0;
                    for sha in stored_attachments(&data_dir).into_iter().filter(|s| !known.contains(s)) {
                        std::fs::create_dir_all(&aside)?;
                        std::fs::rename(data_dir.join(attachments::relative_path(&sha)), aside.join(&sha))?;
                        moved += 1;
                    }
                    done.push(format!("Moved {moved} unreferenced attachment files to {}.", aside.display()));
                }
                _ => {}
            }
        }
        Ok(done)
    }

    /// Tickets that cannot be read in full (after SQLite reported damage).
    fn unreadable_tickets(&self) -> Vec<i64> {
        let max: i64 = self.conn.query_row("SELECT max(number) FROM tickets", [], |r| r.get(0)).unwrap_or(0);
        let broken = |r: Result<()>| matches!(r, Err(e) if !matches!(e, crate::Error::NotFound { .. }));
        (1..=max).filter(|n| broken(self.ticket_detail(*n).map(|_| ())) || broken(self.history(*n).map(|_| ()))).collect()
    }

    fn stale_sla_tickets(&self) -> Result<Vec<i64>> {
        let rows: Vec<(String, i64, [Option<i64>; 5])> = self
            .conn
            .prepare("SELECT id, number, frt_due_at, frt_risk_at, res_due_at, res_risk_at, sla_attention_at FROM tickets WHERE status NOT IN ('resolved', 'closed')")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, [r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?])))?
            .collect::<rusqlite::Result<_>>()?;
        let mut stale = vec![];
        for (id, number, stored) in rows {
            let i = crate::sla::instants(&self.sla, &crate::events::sla_facts(&self.conn, &id)?);
            let want = [i.frt_due_at, i.frt_risk_at, i.res_due_at, i.res_risk_at, i.attention_at].map(|t| t.map(to_ms));
            if want != stored {
                stale.push(number);
            }
        }
        Ok(stale)
    }
}
