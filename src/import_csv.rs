//! Tickets from a spreadsheet (PRODUCT C2): a CSV file with a header row, and a mapping from
//! our fields to its columns ("subject=Title", "requester=E-mail"). Columns not mapped are
//! looked up by our field's own name. All or nothing: the first bad row is named with its line
//! and the field, and nothing is written.

use crate::model::{NewTicket, Priority};
use crate::{Error, Result, Workspace};
use std::collections::HashMap;
use std::path::Path;

/// The fields a column can fill.
pub const FIELDS: &[&str] = &["subject", "body", "requester", "requester_name", "organisation", "priority", "type", "tags", "assignee", "team"];

/// Parses "field=Column" pairs.
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

/// Reads the tickets of a CSV file through `mapping` (field → column header).
pub fn read(file: &Path, mapping: &HashMap<String, String>) -> Result<Vec<NewTicket>> {
    let bad = |what: String| Error::validation("file", format!("{}: {what}", file.display()));
    let mut reader = csv::ReaderBuilder::new().flexible(false).trim(csv::Trim::All).from_path(file).map_err(|e| bad(e.to_string()))?;
    let headers: Vec<String> = reader.headers().map_err(|e| bad(e.to_string()))?.iter().map(str::to_string).collect();
    let column = |field: &str| -> Option<usize> {
        let wanted = mapping.get(field).map(String::as_str).unwrap_or(field);
        headers.iter().position(|h| h.eq_ignore_ascii_case(wanted))
    };
    for (field, col) in mapping {
        if column(field).is_none() {
            return Err(bad(format!("there is no column '{col}' for {field} (columns: {})", headers.join(", "))));
        }
    }
    for required in ["subject", "body", "requester"] {
        if column(required).is_none() {
            return Err(bad(format!("no column for {required}: map one with --map {required}=COLUMN (columns: {})", headers.join(", "))));
        }
    }
    let cols: HashMap<&str, usize> = FIELDS.iter().filter_map(|f| column(f).map(|c| (*f, c))).collect();
    let mut tickets = Vec::new();
    for (i, record) in reader.records().enumerate() {
        // Line numbers as a spreadsheet shows them: the header is line 1.
        let line = i + 2;
        let record = record.map_err(|e| bad(format!("line {line}: {e}")))?;
        let get = |f: &str| cols.get(f).and_then(|c| record.get(*c)).map(str::to_string).filter(|s| !s.is_empty());
        let priority = get("priority").map(|p| Priority::parse(&p)).transpose().map_err(|e| bad(format!("line {line}, priority: {e}")))?;
        tickets.push(NewTicket {
            subject: get("subject").unwrap_or_default(),
            description: get("body").unwrap_or_default(),
            requester_email: get("requester").unwrap_or_default(),
            requester_name: get("requester_name"),
            organisation: get("organisation"),
            priority,
            ticket_type: get("type"),
            tags: get("tags").map(|t| t.split([',', ';']).map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()).unwrap_or_default(),
            channel: None,
            assignee_email: get("assignee"),
            team: get("team"),
        });
    }
    Ok(tickets)
}

impl Workspace {
    /// Imports a CSV file's tickets, all or nothing; errors name the spreadsheet line (the
    /// header is line 1).
    pub fn import_csv(&mut self, file: &Path, mapping: &HashMap<String, String>) -> Result<Vec<i64>> {
        let tickets = read(file, mapping)?;
        self.import_records(&tickets, &|i| format!("line {}", i + 2))
    }
}
