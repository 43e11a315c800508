//! Tickets from a spreadsheet (PRODUCT C2): a CSV file with a header row, and a mapping from
//! our fields to its columns ("subject=Title", "requester=E-mail"). Columns not mapped are
//! looked up by our field's own name. All or nothing: the first bad row is named with its line
//! and the field, and nothing is written.

use crate::import_history::{parse_time, subject_from_body, HistoricTicket};
use crate::model::{NewTicket, Priority, Resolution, Status};
use crate::{Error, Result, Workspace};
use std::collections::HashMap;
use std::path::Path;

/// The fields a column can fill.
pub const FIELDS: &[&str] = &[
    "subject",
    "body",
    "requester",
    "requester_name",
    "organisation",
    "priority",
    "type",
    "tags",
    "assignee",
    "team",
    "status",
    "resolution",
    "fix",
    "created",
    "solved",
];

/// How to read a sheet beyond its mapping.
#[derive(Debug, Clone, Default)]
pub struct CsvOptions {
    /// Fields not to read even when a column has their name (e.g. a `type` column that holds
    /// another system's categories).
    pub ignore: Vec<String>,
    /// The requester of rows that name none.
    pub default_requester: Option<String>,
    /// A row with a requester's name but no address gets a customer of its own, at
    /// `name@imported.invalid` (a domain that can never receive mail).
    pub requester_from_name: bool,
    /// A row with no subject takes the first words of its body.
    pub subject_from_body: bool,
}

/// Parses "field=Column" pairs; "field=" (no column) leaves the field out.
pub fn parse_mapping(pairs: &[String]) -> Result<HashMap<String, String>> {
    let mut map = HashMap::new();
    for p in pairs {
        let (field, column) = p.split_once('=').ok_or_else(|| Error::validation("map", format!("'{p}' is not field=Column (e.g. subject=Title)")))?;
        let field = field.trim().to_lowercase();
        if !FIELDS.contains(&field.as_str()) {
            return Err(Error::validation("map", format!("'{field}' is not a ticket field ({})", FIELDS.join(", "))));
        }
        map.insert(field, column.trim().to_string());
    }
    Ok(map)
}

/// A status as helpdesk exports write it ("solved" is Zendesk's and FreeScout's Resolved).
fn status_of(s: &str) -> Result<Status> {
    match s.trim().to_ascii_lowercase().as_str() {
        "solved" | "done" => Ok(Status::Resolved),
        "hold" | "on-hold" | "onhold" => Ok(Status::OnHold),
        "active" => Ok(Status::Open),
        _ => Status::parse(s),
    }
}

/// Reads the tickets of a CSV file through `mapping` (field → column header).
pub fn read(file: &Path, mapping: &HashMap<String, String>, options: &CsvOptions) -> Result<Vec<HistoricTicket>> {
    let bad = |what: String| Error::validation("file", format!("{}: {what}", file.display()));
    let mut reader = csv::ReaderBuilder::new().flexible(false).trim(csv::Trim::All).from_path(file).map_err(|e| bad(e.to_string()))?;
    let headers: Vec<String> = reader.headers().map_err(|e| bad(e.to_string()))?.iter().map(str::to_string).collect();
    let ignored = |field: &str| options.ignore.iter().any(|f| f.eq_ignore_ascii_case(field)) || mapping.get(field).is_some_and(|c| c.is_empty());
    let column = |field: &str| -> Option<usize> {
        if ignored(field) {
            return None;
        }
        let wanted = mapping.get(field).map(String::as_str).unwrap_or(field);
        headers.iter().position(|h| h.eq_ignore_ascii_case(wanted))
    };
    for (field, col) in mapping {
        if !ignored(field) && column(field).is_none() {
            return Err(bad(format!("there is no column '{col}' for {field} (columns: {})", headers.join(", "))));
        }
    }
    let columns = headers.join(", ");
    if column("body").is_none() {
        return Err(bad(format!("no column for body: map one with --map body=COLUMN (columns: {columns})")));
    }
    if column("subject").is_none() && !options.subject_from_body {
        return Err(bad(format!(
            "no column for subject: map one with --map subject=COLUMN, or take the body's first words with --subject-from-body (columns: {columns})"
        )));
    }
    let names_requesters = options.requester_from_name && column("requester_name").is_some();
    if column("requester").is_none() && options.default_requester.is_none() && !names_requesters {
        return Err(bad(format!(
            "no column for requester: map one with --map requester=COLUMN, give --default-requester EMAIL, or --requester-from-name with a requester_name column (columns: {columns})"
        )));
    }
    let cols: HashMap<&str, usize> = FIELDS.iter().filter_map(|f| column(f).map(|c| (*f, c))).collect();
    let mut tickets = Vec::new();
    for (i, record) in reader.records().enumerate() {
        // Line numbers as a spreadsheet shows them: the header is line 1.
        let line = i + 2;
        let record = record.map_err(|e| bad(format!("line {line}: {e}")))?;
        let get = |f: &str| cols.get(f).and_then(|c| record.get(*c)).map(str::to_string).filter(|s| !s.is_empty());
        let at = |f: &str| -> Result<Option<crate::Timestamp>> {
            get(f).map(|v| parse_time(&v)).transpose().map_err(|e| Error::validation("import", format!("line {line} ({f}): {e}")))
        };
        let field_err = |f: &str, e: Error| Error::validation("import", format!("line {line} ({f}): {e}"));
        let priority = get("priority").map(|p| Priority::parse(&p)).transpose().map_err(|e| field_err("priority", e))?;
        let status = get("status").map(|s| status_of(&s)).transpose().map_err(|e| field_err("status", e))?;
        let resolution = get("resolution").map(|r| Resolution::parse(&r)).transpose().map_err(|e| field_err("resolution", e))?;
        let body = get("body").unwrap_or_default();
        let subject = match get("subject") {
            Some(s) => s,
            None if options.subject_from_body => subject_from_body(&body),
            None => String::new(),
        };
        let name = get("requester_name");
        let requester = match (get("requester"), &options.default_requester, &name) {
            (Some(r), _, _) => r,
            (None, _, Some(n)) if options.requester_from_name => format!("{}@imported.invalid", slug(n)),
            (None, Some(d), _) => d.clone(),
            (None, None, _) => String::new(),
        };
        tickets.push(HistoricTicket {
            ticket: NewTicket {
                subject,
                description: body,
                requester_email: requester,
                requester_name: name,
                organisation: get("organisation"),
                priority,
                ticket_type: get("type"),
                tags: get("tags").map(|t| t.split([',', ';']).map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()).unwrap_or_default(),
                channel: None,
                assignee_email: get("assignee"),
                team: get("team"),
            },
            created_at: at("created")?,
            status,
            resolution,
            fix: get("fix"),
            solved_at: at("solved")?,
        });
    }
    Ok(tickets)
}

/// A name as the local part of an address: lower-case letters and digits, dots between words.
fn slug(name: &str) -> String {
    let words: Vec<String> = name
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase())
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() {
        // A name in a script without Latin letters: its characters' code points keep it apart.
        let code: String = name.chars().filter(|c| c.is_alphanumeric()).map(|c| format!("{:x}", c as u32)).collect();
        return format!("u{code}");
    }
    words.join(".")
}

impl Workspace {
    /// Imports a CSV file's tickets with their past (status, resolution, fix, times), all or
    /// nothing; errors name the spreadsheet line (the header is line 1).
    pub fn import_csv(&mut self, file: &Path, mapping: &HashMap<String, String>, options: &CsvOptions) -> Result<Vec<i64>> {
        let tickets = read(file, mapping, options)?;
        self.import_history(&tickets, &|i| format!("line {}", i + 2))
    }
}
