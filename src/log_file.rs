//! The troubleshooting log (the seeds' first step is "read the logs"): what the app did on its
//! own — search index catch-ups and rebuilds, scheduler passes that acted, rules that acted,
//! alerts delivered or failed, backups, mail and sync passes — and every error with its cause.
//!
//! It is written with `tracing` as JSON lines into `<data folder>/logs/casebook.DAY.log`, a
//! file a day, the newest fortnight kept. It is device-local (not state, not synced): it says
//! what this laptop did. The Health page and `casebook log` read it back through `entries`.

use crate::clock::Timestamp;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::Layer;

/// The log's folder inside the data folder.
pub const DIR: &str = "logs";
const PREFIX: &str = "casebook";
const SUFFIX: &str = "log";
/// Daily files kept (older ones are removed as a new day starts).
pub const KEPT_FILES: usize = 14;

pub fn folder(data_dir: &Path) -> PathBuf {
    data_dir.join(DIR)
}

/// How serious an entry is, most serious first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
}

impl LogLevel {
    pub fn parse(s: &str) -> Result<LogLevel> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "error" => LogLevel::Error,
            "warn" | "warning" => LogLevel::Warn,
            "info" => LogLevel::Info,
            "debug" | "trace" => LogLevel::Debug,
            other => return Err(Error::validation("level", format!("'{other}' is not a level: use error, warn, info or debug"))),
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
        }
    }
}

/// Starts writing this process's log into `data_dir`'s log folder. `echo` also prints entries
/// of that level and more serious ones to stderr (the desktop's terminal). Calling it again
/// in the same process keeps the first log. A log that cannot be written (a read-only
/// folder) is not a reason to stop working: the error says why and the caller goes on.
pub fn init(data_dir: &Path, echo: Option<LogLevel>) -> Result<()> {
    let dir = folder(data_dir);
    std::fs::create_dir_all(&dir)?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix(PREFIX)
        .filename_suffix(SUFFIX)
        .max_log_files(KEPT_FILES)
        .build(&dir)
        .map_err(|e| Error::validation("log", format!("the log cannot be written in {}: {e}", dir.display())))?;
    // Ours at info; other crates only when they warn.
    let ours = |level| {
        Targets::new()
            .with_default(tracing::Level::WARN)
            .with_target("casebook", level)
            .with_target("casebook_search", level)
            .with_target("casebook_sync", level)
            .with_target("casebook_mail", level)
            .with_target("casebook_desktop", level)
    };
    // The file is written as each entry happens (no writer thread): entries are few, and a
    // CLI command that ends at once still leaves its lines.
    let file = tracing_subscriber::fmt::layer()
        .json()
        .with_current_span(false)
        .with_span_list(false)
        .with_ansi(false)
        .with_writer(appender)
        .with_filter(ours(tracing::Level::INFO));
    let stderr = echo.map(|level| {
        let level = match level {
            LogLevel::Error => tracing::Level::ERROR,
            LogLevel::Warn => tracing::Level::WARN,
            LogLevel::Info => tracing::Level::INFO,
            LogLevel::Debug => tracing::Level::DEBUG,
        };
        tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_target(false).without_time().with_filter(ours(level))
    });
    let subscriber = tracing_subscriber::registry().with(file).with(stderr);
    // Already set (a second workspace opened in the same process): the first log stays.
    let _ = tracing::subscriber::set_global_default(subscriber);
    Ok(())
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct LogEntry {
    pub at: Timestamp,
    pub level: LogLevel,
    /// The part of the app that wrote it (`casebook_search`, `casebook::backup`, …).
    pub target: String,
    pub message: String,
    /// The entry's facts (counts, times, ticket numbers, the error's cause), as text.
    pub fields: BTreeMap<String, String>,
}

/// What to read: the entries since `since`, at `level` or more serious, whose text contains
/// `text` (case-insensitive), the newest `limit`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct LogQuery {
    #[serde(default)]
    pub since: Option<Timestamp>,
    #[serde(default)]
    pub level: Option<LogLevel>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct LogPage {
    /// Oldest first.
    pub entries: Vec<LogEntry>,
    /// How many entries matched in all (more than `entries` when the limit cut them).
    pub matched: u32,
    /// Lines that are not entries (one cut short by a crash, a file edited by hand).
    pub unreadable_lines: u32,
    pub folder: PathBuf,
}

/// How many entries a query without a limit returns.
pub const DEFAULT_LIMIT: u32 = 200;

/// Reads the log of the workspace whose data folder is `data_dir`. No log yet is no entries.
pub fn entries(data_dir: &Path, query: &LogQuery) -> Result<LogPage> {
    let dir = folder(data_dir);
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(d) => d
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(PREFIX) && n.ends_with(SUFFIX)))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => vec![],
        Err(e) => return Err(e.into()),
    };
    // The day in the name sorts them oldest first.
    files.sort();
    let text = query.text.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_lowercase);
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT).max(1) as usize;
    let mut kept = std::collections::VecDeque::with_capacity(limit.min(4096));
    let (mut matched, mut unreadable) = (0u32, 0u32);
    for file in files {
        let reader = std::io::BufReader::new(std::fs::File::open(&file)?);
        for line in reader.split(b'\n') {
            let line = line?;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let Some(entry) = parse_line(&line) else {
                unreadable += 1;
                continue;
            };
            if query.since.is_some_and(|s| entry.at < s) || query.level.is_some_and(|l| entry.level > l) {
                continue;
            }
            if let Some(t) = &text {
                let hay = format!(
                    "{} {} {}",
                    entry.message,
                    entry.target,
                    entry.fields.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ")
                );
                if !hay.to_lowercase().contains(t) {
                    continue;
                }
            }
            matched += 1;
            if kept.len() == limit {
                kept.pop_front();
            }
            kept.push_back(entry);
        }
    }
    Ok(LogPage { entries: kept.into(), matched, unreadable_lines: unreadable, folder: dir })
}

/// One JSON line as tracing-subscriber writes it:
/// `{"timestamp":"…","level":"INFO","fields":{"message":"…",…},"target":"…"}`.
fn parse_line(line: &[u8]) -> Option<LogEntry> {
    let v: serde_json::Value = serde_json::from_slice(line).ok()?;
    let at = chrono::DateTime::parse_from_rfc3339(v.get("timestamp")?.as_str()?).ok()?.with_timezone(&chrono::Utc);
    let level = LogLevel::parse(v.get("level")?.as_str()?).ok()?;
    let target = v.get("target").and_then(|t| t.as_str()).unwrap_or_default().to_string();
    let mut fields = BTreeMap::new();
    let mut message = String::new();
    for (k, value) in v.get("fields")?.as_object()? {
        let text = match value {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if k == "message" {
            message = text;
        } else {
            fields.insert(k.clone(), text);
        }
    }
    Some(LogEntry { at, level, target, message, fields })
}

/// An entry as `casebook log` prints it: time, level, message, then the facts.
pub fn line_of(e: &LogEntry) -> String {
    let facts: Vec<String> = e.fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let at = e.at.format("%Y-%m-%d %H:%M:%S");
    let level = e.level.as_str().to_uppercase();
    if facts.is_empty() {
        format!("{at} {level:<5} {}", e.message)
    } else {
        format!("{at} {level:<5} {}  {}", e.message, facts.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_as_tracing_writes_them_are_read_back_and_broken_ones_counted() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(folder(dir.path())).unwrap();
        let day1 = r#"{"timestamp":"2026-12-01T09:00:00.123456Z","level":"INFO","fields":{"message":"the search index caught up","tickets":12,"ms":3.5},"target":"casebook_search"}
{"timestamp":"2026-12-01T09:05:00Z","level":"ERROR","fields":{"message":"the daily backup failed","error":"the disk is full"},"target":"casebook_desktop"}
{"timestamp":"2026-12-01T09:06:00Z","level":"INF"#;
        let day2 = r#"{"timestamp":"2026-12-02T08:00:00Z","level":"WARN","fields":{"message":"sync stopped","why":"the shared folder is gone"},"target":"casebook"}
"#;
        std::fs::write(folder(dir.path()).join("casebook.2026-12-01.log"), day1).unwrap();
        std::fs::write(folder(dir.path()).join("casebook.2026-12-02.log"), day2).unwrap();
        std::fs::write(folder(dir.path()).join("notes.txt"), "not a log").unwrap();

        let all = entries(dir.path(), &LogQuery::default()).unwrap();
        assert_eq!(
            all.entries.iter().map(|e| e.message.as_str()).collect::<Vec<_>>(),
            ["the search index caught up", "the daily backup failed", "sync stopped"]
        );
        assert_eq!(all.unreadable_lines, 1);
        assert_eq!(all.entries[0].fields["tickets"], "12");
        assert_eq!(line_of(&all.entries[1]), "2026-12-01 09:05:00 ERROR the daily backup failed  error=the disk is full");

        let warnings = entries(dir.path(), &LogQuery { level: Some(LogLevel::Warn), ..Default::default() }).unwrap();
        assert_eq!(warnings.matched, 2);
        let since = chrono::DateTime::parse_from_rfc3339("2026-12-02T00:00:00Z").unwrap().with_timezone(&chrono::Utc);
        assert_eq!(entries(dir.path(), &LogQuery { since: Some(since), ..Default::default() }).unwrap().matched, 1);
        let text = entries(dir.path(), &LogQuery { text: Some("DISK".into()), ..Default::default() }).unwrap();
        assert_eq!(text.entries.len(), 1);
        let last = entries(dir.path(), &LogQuery { limit: Some(1), ..Default::default() }).unwrap();
        assert_eq!((last.matched, last.entries[0].message.as_str()), (3, "sync stopped"));

        let none = tempfile::tempdir().unwrap();
        assert!(entries(none.path(), &LogQuery::default()).unwrap().entries.is_empty());
        assert!(LogLevel::parse("loud").unwrap_err().to_string().contains("error, warn, info or debug"));
    }
}
