//! The complete, lossless export (PRODUCT O4): every row of every table as JSON, with the
//! attachment files in a folder beside it, and the import that rebuilds the same database
//! from it — into a workspace that does not exist yet, all or nothing.
//!
//! The format is the tables themselves (`{"format", "schema_version", "tables": {name: [row,
//! …]}}`), in a fixed order, so an export of an import of an export is byte-identical.

use crate::attachments;
use crate::{store, Error, Result, Workspace};
use rusqlite::types::{Value, ValueRef};
use rusqlite::Connection;
use serde_json::{json, Map};
use std::path::{Path, PathBuf};

pub const FORMAT: &str = "casebook-export-1";

/// The folder beside an export file that holds its attachments: `acme.json` → `acme.attachments/`.
pub fn attachments_dir(file: &Path) -> PathBuf {
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("export");
    file.with_file_name(format!("{stem}.attachments"))
}

fn tables(conn: &Connection) -> Result<Vec<(String, Vec<String>)>> {
    let names: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    names
        .into_iter()
        .map(|t| {
            let cols: Vec<String> = conn
                .prepare(&format!("SELECT name FROM pragma_table_info('{t}') ORDER BY cid"))?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            Ok((t, cols))
        })
        .collect()
}

fn to_json(v: ValueRef<'_>) -> serde_json::Value {
    match v {
        ValueRef::Null => serde_json::Value::Null,
        ValueRef::Integer(i) => json!(i),
        ValueRef::Real(f) => json!(f),
        ValueRef::Text(t) => json!(String::from_utf8_lossy(t)),
        ValueRef::Blob(b) => json!({ "hex": hex::encode(b) }),
    }
}

fn from_json(v: &serde_json::Value) -> std::result::Result<Value, String> {
    Ok(match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Integer(*b as i64),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Integer(i),
            None => Value::Real(n.as_f64().ok_or("a number out of range")?),
        },
        serde_json::Value::String(s) => Value::Text(s.clone()),
        serde_json::Value::Object(o) if o.len() == 1 && o.get("hex").is_some_and(|h| h.is_string()) => {
            Value::Blob(hex::decode(o["hex"].as_str().unwrap_or_default()).map_err(|_| "bad hex bytes")?)
        }
        other => return Err(format!("{other} is not a value a column can hold")),
    })
}

/// What an export or import moved.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct TransferReport {
    pub file: PathBuf,
    pub tickets: usize,
    pub rows: usize,
    pub attachments: usize,
}

impl Workspace {
    /// Writes the whole workspace to `file` (JSON) and its attachments beside it.
    pub fn export(&self, file: &Path) -> Result<TransferReport> {
        let conn = &self.conn;
        let mut out = Map::new();
        let mut rows_total = 0;
        let mut tickets = 0;
        for (table, cols) in tables(conn)? {
            let order: Vec<String> = (1..=cols.len()).map(|i| i.to_string()).collect();
            let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\" ORDER BY {}", order.join(", ")))?;
            let mut rows = stmt.query([])?;
            let mut list = Vec::new();
            while let Some(r) = rows.next()? {
                let mut obj = Map::new();
                for (i, c) in cols.iter().enumerate() {
                    obj.insert(c.clone(), to_json(r.get_ref(i)?));
                }
                list.push(serde_json::Value::Object(obj));
            }
            rows_total += list.len();
            if table == "tickets" {
                tickets = list.len();
            }
            out.insert(table, serde_json::Value::Array(list));
        }
        let doc = json!({ "format": FORMAT, "schema_version": store::schema_version(), "tables": out });
        let dir = attachments_dir(file);
        let shas: Vec<String> =
            conn.prepare("SELECT DISTINCT sha256 FROM attachments ORDER BY sha256")?.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        for sha in &shas {
            let rel = attachments::relative_path(sha);
            let to = dir.join(&rel);
            std::fs::create_dir_all(to.parent().unwrap_or(&dir))?;
            std::fs::copy(self.data_dir().join(&rel), &to)
                .map_err(|e| Error::Conflict(format!("the attachment {rel} cannot be read ({e}); run `casebook check`")))?;
        }
        let tmp = file.with_extension("json.partial");
        std::fs::write(&tmp, serde_json::to_vec_pretty(&doc)?)?;
        std::fs::rename(&tmp, file)?;
        Ok(TransferReport { file: file.to_path_buf(), tickets, rows: rows_total, attachments: shas.len() })
    }
}

/// Whether `raw` looks like a full export (rather than a list of tickets to import).
pub fn is_full_export(raw: &serde_json::Value) -> bool {
    raw.get("format").and_then(|f| f.as_str()) == Some(FORMAT)
}

/// Builds a new workspace at `db` from an export: every row, as it was, in one transaction;
/// the first bad record aborts it, named by table, position and field, and nothing is left.
pub fn import(file: &Path, db: &Path) -> Result<TransferReport> {
    let bad = |what: String| Error::validation("import", format!("{}: {what}", file.display()));
    let raw = std::fs::read(file).map_err(|e| bad(format!("cannot be read ({e})")))?;
    let doc: serde_json::Value = serde_json::from_slice(&raw).map_err(|e| bad(format!("is not JSON ({e})")))?;
    if !is_full_export(&doc) {
        return Err(bad(format!("is not a Casebook export (no \"format\": \"{FORMAT}\")")));
    }
    let version = doc["schema_version"].as_i64().unwrap_or(-1);
    if version != store::schema_version() {
        return Err(bad(format!("was exported from schema {version}; this Casebook reads schema {}", store::schema_version())));
    }
    let tables_in = doc["tables"].as_object().ok_or_else(|| bad("has no tables".into()))?;
    if db.exists() {
        return Err(Error::AlreadyExists { path: db.to_path_buf() });
    }
    let parent = db.parent().filter(|p| !p.as_os_str().is_empty()).map(Path::to_path_buf);
    let made_parent = parent.as_ref().is_some_and(|p| !p.exists());
    let mut conn = store::create(db)?;
    let result = (|| -> Result<TransferReport> {
        let known = tables(&conn)?;
        if let Some(extra) = tables_in.keys().find(|t| !known.iter().any(|(k, _)| k == *t)) {
            return Err(bad(format!("has a table '{extra}' this Casebook does not know")));
        }
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // References are checked once everything is in, so the order of tables does not matter.
        tx.execute_batch("PRAGMA defer_foreign_keys = ON;")?;
        let mut rows_total = 0;
        let mut tickets = 0;
        for (table, cols) in &known {
            let Some(rows) = tables_in.get(table) else { continue };
            let rows = rows.as_array().ok_or_else(|| bad(format!("{table} is not a list")))?;
            let placeholders: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
            let quoted: Vec<String> = cols.iter().map(|c| format!("\"{c}\"")).collect();
            let mut stmt = tx.prepare(&format!("INSERT INTO \"{table}\" ({}) VALUES ({})", quoted.join(", "), placeholders.join(", ")))?;
            for (i, row) in rows.iter().enumerate() {
                let obj = row.as_object().ok_or_else(|| bad(format!("{table} record {}: not an object", i + 1)))?;
                if let Some(unknown) = obj.keys().find(|k| !cols.contains(k)) {
                    return Err(bad(format!("{table} record {}: unknown field '{unknown}'", i + 1)));
                }
                let mut values = Vec::with_capacity(cols.len());
                for c in cols {
                    let v = obj.get(c).unwrap_or(&serde_json::Value::Null);
                    values.push(from_json(v).map_err(|e| bad(format!("{table} record {}, field {c}: {e}", i + 1)))?);
                }
                stmt.execute(rusqlite::params_from_iter(values.iter())).map_err(|e| bad(format!("{table} record {}: {e}", i + 1)))?;
            }
            rows_total += rows.len();
            if table == "tickets" {
                tickets = rows.len();
            }
        }
        first_dangling_reference(&tx).map_err(bad)?;
        tx.commit().map_err(|e| bad(format!("its records do not fit together ({e})")))?;
        // Attachments: copied from beside the file, each checked against its name.
        let data_dir = db.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let from = attachments_dir(file);
        let shas: Vec<String> =
            conn.prepare("SELECT DISTINCT sha256 FROM attachments ORDER BY sha256")?.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        for sha in &shas {
            let rel = attachments::relative_path(sha);
            let content = std::fs::read(from.join(&rel)).map_err(|_| bad(format!("the attachment {rel} is not beside it")))?;
            use sha2::Digest;
            if hex::encode(sha2::Sha256::digest(&content)) != *sha {
                return Err(bad(format!("the attachment {rel} is damaged")));
            }
            let to = data_dir.join(&rel);
            std::fs::create_dir_all(to.parent().unwrap_or(data_dir))?;
            std::fs::write(&to, content)?;
        }
        // It must open as a workspace.
        Workspace::open(db, std::sync::Arc::new(crate::SystemClock)).map_err(|e| bad(format!("does not make a workspace ({e})")))?;
        Ok(TransferReport { file: file.to_path_buf(), tickets, rows: rows_total, attachments: shas.len() })
    })();
    if result.is_err() {
        drop(conn);
        crate::workspace::remove_database_files(db);
        if let (true, Some(dir)) = (made_parent, parent) {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
    result
}

/// Names the first record that refers to something missing.
fn first_dangling_reference(tx: &rusqlite::Transaction<'_>) -> std::result::Result<(), String> {
    let first: Option<(String, i64, String)> = tx
        .query_row("SELECT \"table\", rowid, parent FROM pragma_foreign_key_check LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get::<_, Option<i64>>(1)?.unwrap_or(0), r.get(2)?))
        })
        .ok();
    match first {
        Some((table, rowid, parent)) => Err(format!("a {table} record (row {rowid}) refers to a {parent} record that is not in the file")),
        None => Ok(()),
    }
}
