//! Search (PRODUCT S1–S5): a tantivy index on disk, derived from SQLite and rebuildable.
//!
//! - **Kept current from the event log.** Every ticket change writes an event in the same
//!   transaction as the change, so the event log *is* the outbox: the index remembers the
//!   last event sequence it applied (in its commit payload) and `catch_up` re-indexes the
//!   tickets named by newer events. One writer; commits are batched by the caller.
//! - **Drift and repair** (S4): `status` compares the payload's sequence and versions and
//!   the document count with the database; `sync` replays what is missing or rebuilds into a
//!   fresh directory and swaps it in while searches keep using the old one. A missing or
//!   unreadable index is rebuilt, never a crash.
//! - **Languages** (S3): see `analysis`.
//!
//! Layout: `<data>/index/CURRENT` names the live generation directory `<data>/index/gen-N`.

pub mod analysis;
mod documents;
pub mod indexer;
mod plain_seek;
pub mod query;
mod similar;

pub use indexer::Indexer;
pub use query::{ParsedQuery, SearchFilters};

use casebook_core::clock::{from_ms, Timestamp};
use casebook_core::model::{MessageKind, Priority, Status};
use casebook_core::{Error, Result};
// The paths the modules below name things by.
use casebook_core::{clock, model};
use casebook_events as events;
use casebook_store as store;
use documents::{Fields, INDEX_SCHEMA_VERSION};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use tantivy::collector::{Count, TopDocs};
use tantivy::indexer::UserOperation;
use tantivy::query::{AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, DisjunctionMaxQuery, Occur, PhraseQuery, Query, RangeQuery, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, Term};

/// What the index records about itself at every commit.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
struct Payload {
    /// The last event sequence whose ticket changes are in the index.
    seq: i64,
    analyzer: u32,
    schema: u32,
}

/// One generation of the index: a directory, its reader and its writer.
struct Generation {
    dir: PathBuf,
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    applied_seq: Mutex<i64>,
}

pub struct SearchIndex {
    root: PathBuf,
    live: RwLock<Arc<Generation>>,
    /// Why the index was not usable when opened (it then starts empty and needs a rebuild).
    open_problem: Mutex<Option<String>>,
    /// There was no index at all when opened (a new workspace, or one made outside the app):
    /// it is simply not built yet, which is not damage.
    was_missing: Mutex<bool>,
}

fn open_problem_was_missing(problem: &Option<String>) -> bool {
    problem.as_deref() == Some(NOT_BUILT)
}

const NOT_BUILT: &str = "there is no index yet";

/// How the index stands against the database.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IndexStatus {
    pub documents: u64,
    pub tickets: i64,
    pub applied_seq: i64,
    pub database_seq: i64,
    /// `None` when in sync.
    pub problem: Option<String>,
    /// Whether replaying the newer events is enough (else a rebuild is needed).
    pub replayable: bool,
    /// No index had been built yet when it was opened (it is built on first use).
    #[serde(default)]
    pub not_built_yet: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SyncReport {
    pub rebuilt: bool,
    pub reason: Option<String>,
    pub tickets_indexed: usize,
    pub seconds: f64,
}

/// A piece of text with the byte ranges that matched the query (rendered by the UI as it
/// likes; never as HTML).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Snippet {
    pub text: String,
    pub highlights: Vec<(usize, usize)>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SearchHit {
    pub number: i64,
    pub subject: String,
    pub status: Status,
    pub priority: Priority,
    pub score: f32,
    pub subject_highlights: Vec<(usize, usize)>,
    pub snippet: Snippet,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
    /// How many tickets match in all.
    pub total: usize,
    /// What in the query was not understood, and how it was read instead.
    pub notes: Vec<String>,
}

/// The reply or note that fixed a solved ticket.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Fix {
    pub message_id: String,
    pub kind: MessageKind,
    pub author: String,
    pub body: String,
    /// An agent marked it as the solution (else: the last public reply before resolving).
    pub marked: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SimilarTicket {
    pub number: i64,
    pub subject: String,
    pub status: Status,
    pub resolved_at: Option<Timestamp>,
    pub score: f32,
    /// Has a marked solution: a reference solution, ranked higher.
    pub reference: bool,
    pub fix: Option<Fix>,
    /// Why it matched: the words it shares with the ticket asked about, as this ticket writes
    /// them: those of its subject first, then the rarest (most telling).
    pub matched: Vec<String>,
    /// Byte ranges of those words in `subject` (rendered as marks, never as HTML).
    pub subject_highlights: Vec<(usize, usize)>,
    /// An agent said it helped with the ticket asked about (a suggestion that did not help
    /// is not suggested again for it).
    pub helpful: Option<bool>,
}

const CURRENT: &str = "CURRENT";

/// How many documents a rebuild hands the indexing threads at a time.
const REBUILD_BATCH: usize = 64;

/// The indexing memory of a rebuild, shared by its threads. At 100k tickets 64 MB built as
/// fast as 256 MB (5.2 s against 5.0 s) with a peak 50 MB lower; 32 MB took 8.5 s, merging the
/// many small segments it makes.
const REBUILD_WRITER_BUDGET: usize = 64 * 1024 * 1024;

/// Subject matches weigh more than body matches.
const SUBJECT_BOOST: f32 = 2.5;

fn tantivy_err(e: impl std::fmt::Display) -> Error {
    Error::Conflict(format!("search index: {e}"))
}

impl Generation {
    fn create(dir: PathBuf) -> Result<Generation> {
        std::fs::create_dir_all(&dir)?;
        let (schema, fields) = documents::schema();
        let index = Index::create_in_dir(&dir, schema).map_err(tantivy_err)?;
        Generation::wrap(dir, index, fields, -1)
    }

    fn open(dir: PathBuf) -> Result<Generation> {
        let index = Index::open_in_dir(&dir).map_err(tantivy_err)?;
        let (schema, fields) = documents::schema();
        if index.schema() != schema {
            return Err(tantivy_err("the index has another layout"));
        }
        let payload = read_payload(&index)?;
        match payload {
            Some(p) if p.analyzer == analysis::ANALYZER_VERSION && p.schema == INDEX_SCHEMA_VERSION => Generation::wrap(dir, index, fields, p.seq),
            Some(_) => Err(tantivy_err("the index was built by another version of the analysers")),
            None => Generation::wrap(dir, index, fields, -1),
        }
    }

    fn wrap(dir: PathBuf, index: Index, fields: Fields, seq: i64) -> Result<Generation> {
        analysis::register(index.tokenizers());
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into().map_err(tantivy_err)?;
        let writer = index.writer_with_num_threads(1, 64 * 1024 * 1024).map_err(tantivy_err)?;
        // A process killed during a commit leaves files the last commit does not list (found
        // by tests/engine/crash.rs: a `.del` file the next commit then wants to create again). Remove
        // them before writing anything.
        writer.garbage_collect_files().wait().map_err(tantivy_err)?;
        Ok(Generation { dir, index, reader, writer: Mutex::new(writer), fields, applied_seq: Mutex::new(seq) })
    }

    fn commit(&self, seq: i64) -> Result<()> {
        let mut writer = self.writer.lock().unwrap();
        let mut prepared = writer.prepare_commit().map_err(tantivy_err)?;
        let payload = Payload { seq, analyzer: analysis::ANALYZER_VERSION, schema: INDEX_SCHEMA_VERSION };
        prepared.set_payload(&serde_json::to_string(&payload)?);
        prepared.commit().map_err(tantivy_err)?;
        drop(writer);
        self.reader.reload().map_err(tantivy_err)?;
        *self.applied_seq.lock().unwrap() = seq;
        Ok(())
    }

    fn reindex(&self, conn: &Connection, ticket_id: &str) -> Result<()> {
        let writer = self.writer.lock().unwrap();
        writer.delete_term(Term::from_field_text(self.fields.id, ticket_id));
        if let Some(t) = documents::ticket_by_id(conn, ticket_id)? {
            writer.add_document(documents::to_document(&self.fields, &t)).map_err(tantivy_err)?;
        }
        Ok(())
    }
}

fn read_payload(index: &Index) -> Result<Option<Payload>> {
    let metas = index.load_metas().map_err(tantivy_err)?;
    Ok(metas.payload.as_deref().and_then(|p| serde_json::from_str(p).ok()))
}

fn database_seq(conn: &Connection) -> Result<i64> {
    crate::events::last_seq(conn)
}

/// Seconds to the millisecond, for the log.
fn round(seconds: f64) -> f64 {
    (seconds * 1000.0).round() / 1000.0
}

fn ticket_count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT count(*) FROM tickets", [], |r| r.get(0))?)
}

impl SearchIndex {
    /// Opens the index of the workspace whose data folder is `data_dir`. An index that is
    /// missing, unreadable or of another version is replaced by an empty one (and `status`
    /// then says it needs a rebuild); opening never fails on the index's account.
    pub fn open(data_dir: &Path) -> Result<SearchIndex> {
        let root = data_dir.join("index");
        std::fs::create_dir_all(&root)?;
        let current = std::fs::read_to_string(root.join(CURRENT)).ok().map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        let (generation, problem) = match &current {
            Some(name) => match Generation::open(root.join(name)) {
                Ok(g) => (g, None),
                Err(e) => (Self::fresh(&root)?, Some(format!("the index could not be opened ({e})"))),
            },
            None => (Self::fresh(&root)?, Some(NOT_BUILT.to_string())),
        };
        let was_missing = current.is_none();
        Ok(SearchIndex { root, live: RwLock::new(Arc::new(generation)), open_problem: Mutex::new(problem), was_missing: Mutex::new(was_missing) })
    }

    /// A new, empty generation, made the live one on disk.
    fn fresh(root: &Path) -> Result<Generation> {
        let g = Generation::create(Self::next_generation_dir(root))?;
        g.commit(-1)?;
        Self::point_current_at(root, &g.dir)?;
        Ok(g)
    }

    fn next_generation_dir(root: &Path) -> PathBuf {
        let n = std::fs::read_dir(root)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_prefix("gen-")).and_then(|n| n.parse::<u64>().ok()))
                    .max()
                    .unwrap_or(0)
            })
            .unwrap_or(0);
        root.join(format!("gen-{}", n + 1))
    }

    /// Atomically makes `dir` the live generation (write a temp file, rename over CURRENT).
    fn point_current_at(root: &Path, dir: &Path) -> Result<()> {
        let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let tmp = root.join("CURRENT.tmp");
        std::fs::write(&tmp, name)?;
        std::fs::File::open(&tmp)?.sync_all()?;
        std::fs::rename(&tmp, root.join(CURRENT))?;
        Ok(())
    }

    fn live(&self) -> Arc<Generation> {
        self.live.read().unwrap().clone()
    }

    pub fn status(&self, conn: &Connection) -> Result<IndexStatus> {
        let g = self.live();
        let documents = g.reader.searcher().num_docs();
        let applied_seq = *g.applied_seq.lock().unwrap();
        let database_seq = database_seq(conn)?;
        let tickets = ticket_count(conn)?;
        let open_problem = self.open_problem.lock().unwrap().clone();
        let (problem, replayable) = if let Some(p) = open_problem {
            (Some(p), false)
        } else if applied_seq > database_seq {
            (
                Some(format!(
                    "the index has changes up to event {applied_seq} but the database only up to {database_seq} (was the database restored?)"
                )),
                false,
            )
        } else if applied_seq < database_seq {
            (Some(format!("{} newer events are not in the index yet", database_seq - applied_seq)), true)
        } else if documents as i64 != tickets {
            (Some(format!("the index has {documents} tickets, the database {tickets}")), false)
        } else {
            (None, true)
        };
        let not_built_yet = *self.was_missing.lock().unwrap() && open_problem_was_missing(&problem);
        Ok(IndexStatus { documents, tickets, applied_seq, database_seq, problem, replayable, not_built_yet })
    }

    /// Brings the index in line with the database: replays newer events, or rebuilds when
    /// replaying cannot be enough. Returns what it did.
    pub fn sync(&self, conn: &Connection) -> Result<SyncReport> {
        let report = self.sync_unlogged(conn)?;
        if let (true, Some(why)) = (report.rebuilt, &report.reason) {
            if why == NOT_BUILT {
                tracing::info!("the search index is built for the first time");
            } else {
                tracing::warn!(why = why.as_str(), "the search index needed a rebuild");
            }
        } else if !report.rebuilt && report.tickets_indexed > 0 {
            tracing::info!(tickets = report.tickets_indexed, seconds = round(report.seconds), "the search index caught up with the database");
        }
        Ok(report)
    }

    fn sync_unlogged(&self, conn: &Connection) -> Result<SyncReport> {
        let started = std::time::Instant::now();
        let status = self.status(conn)?;
        if status.problem.is_some() && !status.replayable {
            let mut r = self.rebuild(conn)?;
            r.reason = status.problem;
            return Ok(r);
        }
        let n = match self.catch_up(conn) {
            Ok(n) => n,
            // Whatever stops the replay, the database has everything: rebuild from it.
            Err(e) => {
                let mut r = self.rebuild(conn)?;
                r.reason = Some(format!("replaying failed ({e})"));
                return Ok(r);
            }
        };
        // After replaying, the counts must agree; if not, the index lost documents.
        let after = self.status(conn)?;
        if after.problem.is_some() {
            let mut r = self.rebuild(conn)?;
            r.reason = after.problem;
            return Ok(r);
        }
        Ok(SyncReport { rebuilt: false, reason: status.problem, tickets_indexed: n, seconds: started.elapsed().as_secs_f64() })
    }

    /// Re-indexes the tickets changed by events newer than the index and commits once.
    /// Returns how many tickets were re-indexed.
    pub fn catch_up(&self, conn: &Connection) -> Result<usize> {
        let g = self.live();
        let from = *g.applied_seq.lock().unwrap();
        let to = database_seq(conn)?;
        if to <= from {
            return Ok(0);
        }
        let ids: Vec<String> = conn
            .prepare_cached("SELECT DISTINCT ticket_id FROM events WHERE seq > ?1 AND seq <= ?2 AND ticket_id IS NOT NULL")?
            .query_map(params![from, to], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let started = std::time::Instant::now();
        for id in &ids {
            g.reindex(conn, id)?;
        }
        g.commit(to)?;
        // A change made here is a ticket or two: worth a line only when it was a big batch
        // (another laptop's work arriving, an import) or slow.
        let seconds = started.elapsed().as_secs_f64();
        if ids.len() > 20 || seconds > 0.5 {
            tracing::info!(tickets = ids.len(), events = to - from, seconds = round(seconds), "the search index applied a batch of changes");
        } else {
            tracing::debug!(tickets = ids.len(), events = to - from, seconds = round(seconds), "the search index applied changes");
        }
        Ok(ids.len())
    }

    /// Builds a complete new generation from the database and swaps it in; searches use the
    /// old generation until the swap.
    pub fn rebuild(&self, conn: &Connection) -> Result<SyncReport> {
        let started = std::time::Instant::now();
        let dir = Self::next_generation_dir(&self.root);
        let (schema, fields) = documents::schema();
        std::fs::create_dir_all(&dir)?;
        let index = Index::create_in_dir(&dir, schema).map_err(tantivy_err)?;
        analysis::register(index.tokenizers());
        // Read the sequence first: changes made during the build are replayed afterwards.
        let seq = database_seq(conn)?;
        let mut count = 0;
        {
            let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, 4);
            let mut writer: IndexWriter = index.writer_with_num_threads(threads, REBUILD_WRITER_BUDGET).map_err(tantivy_err)?;
            // Documents go to the indexing threads a batch at a time, one channel message (and
            // at most one wake-up) per 64 instead of per document.
            let mut batch = Vec::with_capacity(REBUILD_BATCH);
            documents::for_each_ticket(conn, |t| {
                batch.push(UserOperation::Add(documents::to_document(&fields, &t)));
                count += 1;
                if batch.len() == REBUILD_BATCH {
                    writer.run(std::mem::replace(&mut batch, Vec::with_capacity(REBUILD_BATCH))).map_err(tantivy_err)?;
                }
                Ok(())
            })?;
            if !batch.is_empty() {
                writer.run(batch).map_err(tantivy_err)?;
            }
            let mut prepared = writer.prepare_commit().map_err(tantivy_err)?;
            prepared.set_payload(&serde_json::to_string(&Payload { seq, analyzer: analysis::ANALYZER_VERSION, schema: INDEX_SCHEMA_VERSION })?);
            prepared.commit().map_err(tantivy_err)?;
            writer.wait_merging_threads().map_err(tantivy_err)?;
        }
        let generation = Generation::open(dir.clone())?;
        Self::point_current_at(&self.root, &dir)?;
        let old = std::mem::replace(&mut *self.live.write().unwrap(), Arc::new(generation));
        *self.open_problem.lock().unwrap() = None;
        *self.was_missing.lock().unwrap() = false;
        // Old generations go now: searches still running on them keep their files mapped.
        drop(old);
        for entry in std::fs::read_dir(&self.root)?.flatten() {
            let p = entry.path();
            if p.is_dir() && p != dir && p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("gen-")) {
                let _ = std::fs::remove_dir_all(&p);
            }
        }
        self.catch_up(conn)?;
        let seconds = started.elapsed().as_secs_f64();
        tracing::info!(
            tickets = count,
            seconds = round(seconds),
            generation = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default(),
            "the search index was rebuilt"
        );
        Ok(SyncReport { rebuilt: true, reason: None, tickets_indexed: count, seconds })
    }

    /// The whole query for the search box's text and the UI's filters, with the notes on
    /// what was not understood; `None` when there is nothing to search for.
    fn build_query(&self, g: &Generation, raw: &str, filters: &SearchFilters) -> (Option<BooleanQuery>, Vec<String>) {
        let parsed = query::parse(raw);
        let mut all_filters = parsed.filters.clone();
        all_filters.merge(filters);
        let mut notes = parsed.notes.clone();
        let text_query = self.text_query(g, &parsed);
        if text_query.is_none() && all_filters.is_empty() {
            if !raw.trim().is_empty() {
                notes.push("Nothing to search for in that query.".into());
            }
            return (None, notes);
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text_query.unwrap_or_else(|| Box::new(AllQuery)))];
        for f in self.filter_queries(g, &all_filters) {
            clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(f, 0.0))));
        }
        (Some(BooleanQuery::new(clauses)), notes)
    }

    /// The numbers of the best `limit` matches and how many match in all, without loading
    /// anything from the database (what a result count or a benchmark needs).
    pub fn search_numbers(&self, raw: &str, filters: &SearchFilters, limit: usize) -> Result<(Vec<(i64, f32)>, usize)> {
        let g = self.live();
        let (Some(query), _) = self.build_query(&g, raw, filters) else { return Ok((vec![], 0)) };
        let searcher = g.reader.searcher();
        let (top, total) = searcher.search(&query, &(TopDocs::with_limit(limit.clamp(1, 500)).order_by_score(), Count)).map_err(tantivy_err)?;
        let numbers = top.into_iter().map(|(score, addr)| Ok((number_of(&searcher, addr)?, score))).collect::<Result<_>>()?;
        Ok((numbers, total))
    }

    /// The tickets matching `raw` (the search box's text) and `filters`, best first, with
    /// highlighted snippets cut from the text in SQLite.
    pub fn search(&self, conn: &Connection, raw: &str, filters: &SearchFilters, limit: usize) -> Result<SearchResults> {
        let g = self.live();
        let (query, notes) = self.build_query(&g, raw, filters);
        let Some(query) = query else { return Ok(SearchResults { hits: vec![], total: 0, notes }) };
        let searcher = g.reader.searcher();
        let limit = limit.clamp(1, 500);
        // Someone who sees only some teams: read further down the ranking so that the tickets
        // they may not see leave no gap, and count only what they see (of the first 2,000).
        let restricted = !casebook_store::sees_everything(conn)?;
        let fetch = if restricted { RESTRICTED_FETCH } else { limit };
        let (top, mut total) = searcher.search(&query, &(TopDocs::with_limit(fetch).order_by_score(), Count)).map_err(tantivy_err)?;
        let highlighter = Highlighter::new(&searcher, &g.fields, &query);
        let mut hits = Vec::with_capacity(limit);
        let mut visible = 0;
        for (score, addr) in top {
            let number = number_of(&searcher, addr)?;
            let Some(row) = ticket_row(conn, number)? else { continue };
            visible += 1;
            if hits.len() >= limit {
                continue;
            }
            let body = ticket_body(conn, &row.id)?;
            hits.push(SearchHit {
                number,
                subject_highlights: highlighter.subject(&row.subject),
                snippet: highlighter.body(&body),
                subject: row.subject,
                status: row.status,
                priority: row.priority,
                score,
                updated_at: row.updated_at,
            });
        }
        if restricted {
            total = visible;
        }
        Ok(SearchResults { hits, total, notes })
    }

    /// The query for the text part: every word (and phrase) must match in some field;
    /// excluded ones must not. `None` when there is no text to match.
    fn text_query(&self, g: &Generation, p: &ParsedQuery) -> Option<Box<dyn Query>> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for w in p.words.iter().chain(p.phrases.iter()) {
            if let Some(q) = self.across_fields(g, w) {
                clauses.push((Occur::Must, q));
            }
        }
        for group in &p.any_of {
            let alternatives: Vec<(Occur, Box<dyn Query>)> =
                group.iter().filter_map(|w| self.across_fields(g, w)).map(|q| (Occur::Should, q)).collect();
            if !alternatives.is_empty() {
                clauses.push((Occur::Must, Box::new(BooleanQuery::new(alternatives))));
            }
        }
        let positive = !clauses.is_empty();
        for x in &p.excluded {
            if let Some(q) = self.across_fields(g, x) {
                clauses.push((Occur::MustNot, Box::new(plain_seek::PlainSeek(q))));
            }
        }
        if !positive {
            return None;
        }
        Some(Box::new(BooleanQuery::new(clauses)))
    }

    /// One word or phrase, looked for in every text field through that field's analyser;
    /// the best field counts (a little more when several agree).
    fn across_fields(&self, g: &Generation, text: &str) -> Option<Box<dyn Query>> {
        let f = &g.fields;
        let fields = [
            (f.subject_en, analysis::EN, SUBJECT_BOOST),
            (f.subject_pl, analysis::PL, SUBJECT_BOOST),
            (f.subject_de, analysis::DE, SUBJECT_BOOST),
            (f.subject_cjk, analysis::CJK, SUBJECT_BOOST),
            (f.subject_neutral, analysis::NEUTRAL, SUBJECT_BOOST),
            (f.body_en, analysis::EN, 1.0),
            (f.body_pl, analysis::PL, 1.0),
            (f.body_de, analysis::DE, 1.0),
            (f.body_cjk, analysis::CJK, 1.0),
            (f.body_neutral, analysis::NEUTRAL, 1.0),
            (f.requester, analysis::NEUTRAL, 1.0),
        ];
        let manager = g.index.tokenizers();
        let mut disjuncts: Vec<Box<dyn Query>> = Vec::new();
        for (field, analyser, boost) in fields {
            let tokens = analysis::tokens(manager, analyser, text);
            let q: Box<dyn Query> = match tokens.len() {
                0 => continue,
                1 => Box::new(TermQuery::new(Term::from_field_text(field, &tokens[0]), IndexRecordOption::WithFreqs)),
                _ => Box::new(PhraseQuery::new(tokens.iter().map(|t| Term::from_field_text(field, t)).collect())),
            };
            disjuncts.push(if boost != 1.0 { Box::new(BoostQuery::new(q, boost)) } else { q });
        }
        if disjuncts.is_empty() {
            return None;
        }
        Some(Box::new(DisjunctionMaxQuery::with_tie_breaker(disjuncts, 0.1)))
    }

    pub(crate) fn filter_queries(&self, g: &Generation, f: &SearchFilters) -> Vec<Box<dyn Query>> {
        let fields = &g.fields;
        let term = |field, value: &str| -> Box<dyn Query> { Box::new(TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic)) };
        let any_of = |queries: Vec<Box<dyn Query>>| -> Box<dyn Query> {
            Box::new(BooleanQuery::new(queries.into_iter().map(|q| (Occur::Should, q)).collect()))
        };
        let mut out: Vec<Box<dyn Query>> = Vec::new();
        if !f.statuses.is_empty() {
            out.push(any_of(f.statuses.iter().map(|s| term(fields.status, s.as_str())).collect()));
        }
        if !f.priorities.is_empty() {
            out.push(any_of(f.priorities.iter().map(|p| term(fields.priority, p.as_str())).collect()));
        }
        if !f.types.is_empty() {
            out.push(any_of(f.types.iter().map(|t| term(fields.ticket_type, &t.trim().to_lowercase())).collect()));
        }
        if let Some(a) = &f.assignee {
            out.push(term(fields.assignee, &a.trim().to_lowercase()));
        }
        if let Some(t) = &f.team {
            out.push(term(fields.team, &t.trim().to_lowercase()));
        }
        for tag in &f.tags {
            out.push(term(fields.tags, &tag.trim().to_lowercase()));
        }
        if let Some(r) = &f.requester {
            let words = analysis::tokens(g.index.tokenizers(), analysis::NEUTRAL, r);
            let all: Vec<(Occur, Box<dyn Query>)> = words.iter().map(|w| (Occur::Must, term(fields.requester, w))).collect();
            if !all.is_empty() {
                out.push(Box::new(BooleanQuery::new(all)));
            }
        }
        if f.created_after.is_some() || f.created_before.is_some() {
            let lower = f.created_after.map_or(Bound::Unbounded, |t| Bound::Included(Term::from_field_i64(fields.created, t.timestamp())));
            let upper = f.created_before.map_or(Bound::Unbounded, |t| Bound::Excluded(Term::from_field_i64(fields.created, t.timestamp())));
            out.push(Box::new(RangeQuery::new(lower, upper)));
        }
        out
    }
}

fn fast_u64(searcher: &Searcher, field: &str, addr: DocAddress) -> Result<u64> {
    let column = searcher.segment_reader(addr.segment_ord).fast_fields().u64(field).map_err(tantivy_err)?;
    Ok(column.first(addr.doc_id).unwrap_or(0))
}

fn number_of(searcher: &Searcher, addr: DocAddress) -> Result<i64> {
    Ok(fast_u64(searcher, "number", addr)? as i64)
}

struct Row {
    id: String,
    subject: String,
    status: Status,
    priority: Priority,
    updated_at: Timestamp,
    resolved_at: Option<Timestamp>,
}

/// How far down the ranking a search reads for someone who sees only some teams.
const RESTRICTED_FETCH: usize = 2000;

fn ticket_row(conn: &Connection, number: i64) -> Result<Option<Row>> {
    // A ticket the person searching may not see is not a hit (casebook_store::VISIBLE).
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT t.id, t.subject, t.status, t.priority, t.updated_at, t.resolved_at FROM tickets t WHERE t.number = ?1 AND {}",
        casebook_store::VISIBLE
    ))?;
    Ok(stmt
        .query_row([number], |r| {
            Ok(Row {
                id: r.get(0)?,
                subject: r.get(1)?,
                status: Status::parse(&r.get::<_, String>(2)?).unwrap_or(Status::Open),
                priority: Priority::from_rank(r.get(3)?),
                updated_at: from_ms(r.get(4)?),
                resolved_at: r.get::<_, Option<i64>>(5)?.map(from_ms),
            })
        })
        .optional()?)
}

fn ticket_body(conn: &Connection, id: &str) -> Result<String> {
    Ok(conn
        .prepare_cached("SELECT group_concat(body, char(10)) FROM (SELECT body FROM messages WHERE ticket_id = ?1 ORDER BY created_at, id)")?
        .query_row([id], |r| r.get::<_, Option<String>>(0))?
        .unwrap_or_default())
}

/// Cuts snippets from SQLite text with the query's terms highlighted, trying each
/// analyser's view of the text and keeping the one that highlights most.
struct Highlighter {
    subject: Vec<SnippetGenerator>,
    body: Vec<SnippetGenerator>,
}

impl Highlighter {
    fn new(searcher: &Searcher, f: &Fields, query: &dyn Query) -> Highlighter {
        let make = |fields: &[tantivy::schema::Field], chars: usize| {
            fields
                .iter()
                .filter_map(|field| SnippetGenerator::create(searcher, query, *field).ok())
                .map(|mut g| {
                    g.set_max_num_chars(chars);
                    g
                })
                .collect()
        };
        Highlighter {
            subject: make(&[f.subject_neutral, f.subject_en, f.subject_pl, f.subject_de, f.subject_cjk], 1000),
            body: make(&[f.body_neutral, f.body_en, f.body_pl, f.body_de, f.body_cjk], 180),
        }
    }

    fn best(generators: &[SnippetGenerator], text: &str) -> Option<tantivy::snippet::Snippet> {
        generators.iter().map(|g| g.snippet(text)).max_by_key(|s| s.highlighted().len()).filter(|s| !s.highlighted().is_empty())
    }

    fn subject(&self, subject: &str) -> Vec<(usize, usize)> {
        // The subject is short: highlight it whole (offsets into the full subject).
        match Self::best(&self.subject, subject) {
            Some(s) => {
                let base = s.fragment_range().start;
                s.highlighted().iter().map(|r| (base + r.start, base + r.end)).collect()
            }
            None => vec![],
        }
    }

    fn body(&self, body: &str) -> Snippet {
        match Self::best(&self.body, body) {
            Some(s) => Snippet { text: s.fragment().to_string(), highlights: s.highlighted().iter().map(|r| (r.start, r.end)).collect() },
            None => Snippet { text: body.chars().take(180).collect(), highlights: vec![] },
        }
    }
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").field("root", &self.root).finish()
    }
}

/// Returns the live generation's documents' numbers (for checks and tests).
pub fn indexed_numbers(index: &SearchIndex) -> Result<Vec<i64>> {
    let g = index.live();
    let searcher = g.reader.searcher();
    let mut out = Vec::new();
    for segment in searcher.segment_readers() {
        let column = segment.fast_fields().u64("number").map_err(tantivy_err)?;
        out.extend(segment.doc_ids_alive().filter_map(|doc| column.first(doc)).map(|n| n as i64));
    }
    out.sort_unstable();
    Ok(out)
}
