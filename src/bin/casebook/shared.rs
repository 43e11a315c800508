//! What the commands share: the context of a run (database, clock, acting agent, output), and
//! the helpers that turn engine answers into text.

use crate::args::*;
use casebook::clock::{parse_instant, Clock};
use casebook::import_history::HistoricTicket;
use casebook::model::{Priority, Status, Ticket};
use casebook::rules::RuleDefinition;
use casebook::search::SearchIndex;
use casebook::sla::{SlaState, SlaStatus, TargetStatus};
use casebook::stats::{self};
use casebook::views::{AssigneeFilter, Filters, SlaFilter, Sort, SortKey, TicketRow, ViewQuery};
use casebook::{Error, Workspace};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Prints a command's answer (`Ctx::out`).
pub(crate) type Printer<'a> = Box<dyn Fn(serde_json::Value, String) + 'a>;

/// The global options of one run, as every command reads them.
#[derive(Clone)]
pub(crate) struct Ctx {
    pub(crate) db: PathBuf,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) json: bool,
    pub(crate) as_agent: Option<String>,
}

impl Ctx {
    /// What a command works with: the database, the clock, the acting agent and the printer
    /// of its answer.
    pub(crate) fn parts(&self) -> (PathBuf, Arc<dyn Clock>, Option<&str>, Printer<'_>) {
        (self.db.clone(), self.clock.clone(), self.as_agent.as_deref(), Box::new(move |value, text| self.out(value, text)))
    }

    /// Prints the answer: `value` as JSON with `--json`, else `text` (when there is any).
    pub(crate) fn out(&self, value: serde_json::Value, text: String) {
        if self.json {
            println!("{}", serde_json::to_string_pretty(&value).unwrap_or_default());
        } else if !text.is_empty() {
            println!("{text}");
        }
    }
}

/// The folder beside the workspace file (attachments, the index, backups, the log).
pub(crate) fn data_dir_of(db: &std::path::Path) -> PathBuf {
    db.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new(".")).to_path_buf()
}

pub(crate) fn default_db() -> PathBuf {
    if let Some(p) = std::env::var_os("CASEBOOK_DB") {
        return PathBuf::from(p);
    }
    dirs::data_dir().unwrap_or_else(|| PathBuf::from(".")).join("casebook").join("casebook.db")
}

/// The dashboard as text: every table, aligned.
pub(crate) fn stats_text(s: &casebook::stats::Stats) -> String {
    let mut text = format!("{} – {} ({:?} points)\n", s.from.format("%Y-%m-%d %H:%M"), s.to.format("%Y-%m-%d %H:%M"), s.bucket);
    for t in stats::tables::tables(s) {
        if t.rows.is_empty() {
            continue;
        }
        let mut widths: Vec<usize> = t.header.iter().map(|h| h.chars().count()).collect();
        for row in &t.rows {
            for (i, cell) in row.iter().enumerate() {
                widths[i] = widths[i].max(cell.chars().count().min(48));
            }
        }
        let line = |cells: Vec<String>| {
            cells
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let c: String = c.chars().take(48).collect();
                    format!("{c:<w$}", w = widths[i])
                })
                .collect::<Vec<_>>()
                .join("  ")
        };
        text.push_str(&format!("\n{}\n{}\n", t.name, line(t.header.iter().map(|h| h.to_string()).collect())));
        for row in t.rows {
            text.push_str(&line(row));
            text.push('\n');
        }
    }
    text.trim_end().to_string()
}

/// A rule definition from a JSON file: bare, or as `rules show --json` prints a rule.
pub(crate) fn read_rule_file(file: &Path) -> anyhow::Result<RuleDefinition> {
    let text = std::fs::read_to_string(file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    let mut value: serde_json::Value = serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{} is not JSON: {e}", file.display()))?;
    if let Some(def) = value.get_mut("definition") {
        value = def.take();
    }
    serde_json::from_value(value).map_err(|e| Error::validation("rule", format!("{}: {e}", file.display())).into())
}

pub(crate) fn open(db: &Path, clock: Arc<dyn Clock>, as_agent: Option<&str>) -> anyhow::Result<Workspace> {
    let mut ws = Workspace::open(db, clock)?;
    if let Some(email) = as_agent {
        ws.act_as(email)?;
    }
    Ok(ws)
}

/// The workspace's search index, brought in line with the database first (replaying new
/// changes, or rebuilding when it was missing or damaged).
pub(crate) fn synced_index(ws: &Workspace) -> anyhow::Result<SearchIndex> {
    let index = SearchIndex::open(&ws.data_dir())?;
    let report = index.sync(ws.connection())?;
    if report.rebuilt {
        eprintln!(
            "note: rebuilt the search index ({}): {} tickets in {:.1} s",
            report.reason.as_deref().unwrap_or("it was out of date"),
            report.tickets_indexed,
            report.seconds
        );
    }
    Ok(index)
}

/// Marks highlighted ranges: bold on a terminal, [brackets] otherwise.
pub(crate) fn mark(text: &str, ranges: &[(usize, usize)]) -> String {
    use std::io::IsTerminal;
    let (open, close) = if std::io::stdout().is_terminal() { ("\x1b[1m", "\x1b[0m") } else { ("[", "]") };
    let mut out = String::new();
    let mut at = 0;
    for &(a, b) in ranges {
        if a < at || b > text.len() || !text.is_char_boundary(a) || !text.is_char_boundary(b) {
            continue;
        }
        out.push_str(&text[at..a]);
        out.push_str(open);
        out.push_str(&text[a..b]);
        out.push_str(close);
        at = b;
    }
    out.push_str(&text[at..]);
    out
}

/// An import file is an array of tickets, or an object with a `tickets` array.
pub(crate) fn parse_import(raw: &str) -> Result<Vec<HistoricTicket>, serde_json::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum File {
        List(Vec<HistoricTicket>),
        Wrapped { tickets: Vec<HistoricTicket> },
    }
    // Parse as a value first so a syntax error is reported as such, with its line.
    let value: serde_json::Value = serde_json::from_str(raw)?;
    Ok(match serde_json::from_value::<File>(value.clone()) {
        Ok(File::List(t)) | Ok(File::Wrapped { tickets: t }) => t,
        Err(_) => {
            // Name the first record that does not fit, with serde's reason.
            let list = value.get("tickets").cloned().unwrap_or(value);
            let items = list.as_array().cloned().ok_or_else(|| serde::de::Error::custom("expected an array of tickets"))?;
            for (i, item) in items.into_iter().enumerate() {
                if let Err(e) = serde_json::from_value::<HistoricTicket>(item) {
                    return Err(serde::de::Error::custom(format!("record {}: {e}", i + 1)));
                }
            }
            return Err(serde::de::Error::custom("expected an array of tickets"));
        }
    })
}

pub(crate) fn apply_filters(q: &mut ViewQuery, a: &FilterArgs, set_sort: bool) -> anyhow::Result<()> {
    let f: &mut Filters = &mut q.filters;
    for s in &a.statuses {
        for part in s.split(',') {
            f.statuses.push(Status::parse(part)?);
        }
    }
    for p in &a.priorities {
        for part in p.split(',') {
            f.priorities.push(Priority::parse(part)?);
        }
    }
    f.types.extend(a.types.iter().cloned());
    if let Some(x) = &a.assignee {
        f.assignee = Some(match x.trim().to_ascii_lowercase().as_str() {
            "me" => AssigneeFilter::Me,
            "none" | "unassigned" => AssigneeFilter::Unassigned,
            _ => AssigneeFilter::Agent(x.trim().to_string()),
        });
    }
    if a.team.is_some() {
        f.team = a.team.clone();
    }
    f.tags.extend(a.tags.iter().cloned());
    if a.requester.is_some() {
        f.requester = a.requester.clone();
    }
    if a.organisation.is_some() {
        f.organisation = a.organisation.clone();
    }
    let date = |s: &Option<String>| -> anyhow::Result<Option<casebook::Timestamp>> { s.as_deref().map(parse_date).transpose() };
    f.created_after = date(&a.created_after)?.or(f.created_after);
    f.created_before = date(&a.created_before)?.or(f.created_before);
    f.updated_after = date(&a.updated_after)?.or(f.updated_after);
    f.updated_before = date(&a.updated_before)?.or(f.updated_before);
    if let Some(s) = &a.sla {
        f.sla = Some(match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "at-risk" | "risk" => SlaFilter::AtRisk,
            "breached" => SlaFilter::Breached,
            "attention" | "needs-attention" => SlaFilter::NeedsAttention,
            "paused" => SlaFilter::Paused,
            _ => return Err(Error::validation("sla", format!("'{s}' is not an SLA state (at-risk, breached, attention, paused)")).into()),
        });
    }
    if let Some(s) = &a.sort {
        q.sort = Sort { key: SortKey::parse(s)?, descending: !a.asc };
    } else if set_sort && a.asc {
        q.sort.descending = false;
    }
    Ok(())
}

/// A date ("2026-03-01") or an instant (RFC 3339).
pub(crate) fn parse_date(s: &str) -> anyhow::Result<casebook::Timestamp> {
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).unwrap().and_utc());
    }
    Ok(parse_instant(s).map_err(|_| Error::validation("date", format!("'{s}' is not a date (YYYY-MM-DD) or time (RFC 3339)")))?)
}

pub(crate) fn minutes(m: i64) -> String {
    match m {
        m if m % (24 * 60) == 0 => format!("{} d", m / (24 * 60)),
        m if m % 60 == 0 => format!("{} h", m / 60),
        m => format!("{m} min"),
    }
}

pub(crate) fn duration_words(seconds: i64) -> String {
    let s = seconds.abs();
    let text = if s >= 86_400 {
        format!("{} d {} h", s / 86_400, (s % 86_400) / 3600)
    } else if s >= 3600 {
        format!("{} h {} min", s / 3600, (s % 3600) / 60)
    } else {
        format!("{} min", s / 60)
    };
    if seconds < 0 {
        format!("{text} overdue")
    } else {
        format!("{text} left")
    }
}

pub(crate) fn target_line(name: &str, t: &TargetStatus) -> String {
    let detail = match (t.state, t.remaining_seconds) {
        (SlaState::Met, _) => format!("met at {}", t.achieved_at.map(|a| a.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default()),
        (SlaState::Breached, None) => "missed".into(),
        (SlaState::Paused, Some(r)) => format!("paused, {}", duration_words(r)),
        (_, Some(r)) => duration_words(r),
        _ => String::new(),
    };
    format!("{name}: {} (target {}) {detail}", t.state.as_str(), minutes(t.target_minutes))
}

pub(crate) fn ticket_header(t: &Ticket, sla: &SlaStatus) -> String {
    format!(
        "#{} {}\n{} · {} · {} · requester {} <{}>{} · assignee {} · team {} · tags {}\n{}\n{}",
        t.number,
        t.subject,
        t.status.label(),
        t.priority.label(),
        t.ticket_type,
        t.requester.name,
        t.requester.email,
        t.requester.organisation.as_ref().map(|o| format!(" ({o})")).unwrap_or_default(),
        t.assignee.as_ref().map(|a| a.name.as_str()).unwrap_or("-"),
        t.team.as_deref().unwrap_or("-"),
        if t.tags.is_empty() { "-".into() } else { t.tags.join(", ") },
        target_line("first response", &sla.first_response),
        target_line("resolution", &sla.resolution),
    )
}

pub(crate) fn ticket_line(t: &Ticket) -> String {
    format!(
        "#{} {} · {} · {} · {} · {}",
        t.number,
        t.subject,
        t.status.label(),
        t.priority.label(),
        t.ticket_type,
        t.assignee.as_ref().map(|a| a.name.as_str()).unwrap_or("unassigned")
    )
}

pub(crate) fn row_line(r: &TicketRow) -> String {
    let sla = match (r.sla.state, r.sla.seconds_left) {
        (SlaState::Met, _) | (SlaState::Ok, None) => String::new(),
        (state, Some(s)) => format!("{} {}", state.as_str(), duration_words(s)),
        (state, None) => state.as_str().to_string(),
    };
    format!(
        "#{:<6} {:<9} {:<7} {:<40} {:<22} {:<18} {}",
        r.number,
        r.status.as_str(),
        r.priority.label(),
        truncate(&r.subject, 40),
        truncate(&r.requester_name, 22),
        r.assignee_name.as_deref().map(|n| truncate(n, 18)).unwrap_or_else(|| "-".into()),
        sla
    )
}

/// Cuts on character boundaries (never inside a Hangul syllable).
pub(crate) fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

pub(crate) fn summarise(payload: &serde_json::Value) -> String {
    let mut s = match payload {
        serde_json::Value::Object(map) => map
            .iter()
            .filter(|(k, v)| !v.is_null() && *k != "id" && *k != "body")
            .map(|(k, v)| format!("{k}={}", v.to_string().trim_matches('"')))
            .collect::<Vec<_>>()
            .join(" "),
        other => other.to_string(),
    };
    if let Some(body) = payload.get("body").and_then(|b| b.as_str()) {
        s.push_str(&format!(" \"{}\"", truncate(&body.replace('\n', " "), 60)));
    }
    s
}
