//! `casebook bench relevance`: "similar solved tickets" on real, human-labelled data — the
//! SemEval-2016 Task 3 subtask B benchmark in `../shared/relevance/` (read from there, never
//! copied). Each earlier forum question becomes a solved ticket (its first comment the fix),
//! each new question a new ticket, all through the Zendesk import; `similar` ranks the whole
//! pool and each new question's own 10 candidates are scored in that order with the task's
//! measures (MAP, MRR, P@1, P@5, as the organisers' scorer and `run.py` compute them), beside
//! a plain BM25 over subject and body and the task's search-engine order, in the same run.

use crate::clock::FixedClock;
use crate::search::SearchIndex;
use crate::workspace::{Workspace, WorkspaceInit};
use crate::{Error, Result};
use quick_xml::events::Event;
use quick_xml::Reader;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// One candidate (an earlier question) of a new question.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: String,
    /// The task's search engine's rank (its "IR baseline").
    pub engine_rank: u32,
    pub subject: String,
    pub body: String,
    /// The thread's first comment: the "fix" of the solved ticket.
    pub fix: String,
    pub relevant: bool,
}

#[derive(Debug, Clone)]
pub struct Question {
    pub id: String,
    pub subject: String,
    pub body: String,
    pub candidates: Vec<Candidate>,
}

fn clean(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Reads a SemEval-2016 Task 3 CQA-QL file (labels from its RELQ_RELEVANCE2ORGQ attributes).
pub fn load(path: &Path) -> Result<Vec<Question>> {
    let bad = |what: String| Error::validation("file", format!("{}: {what}", path.display()));
    let text = std::fs::read_to_string(path).map_err(|e| bad(format!("cannot be read ({e})")))?;
    let mut reader = Reader::from_str(&text);
    let mut out: Vec<Question> = Vec::new();
    // The element whose text is being read, and that text so far.
    let mut open: Option<String> = None;
    let mut buffer = String::new();
    let mut comments = 0usize;
    let attr = |e: &quick_xml::events::BytesStart, name: &str| -> String {
        e.try_get_attribute(name).ok().flatten().map(|a| a.value.to_string()).unwrap_or_default()
    };
    loop {
        let event = reader.read_event().map_err(|e| bad(format!("is not readable XML at byte {} ({e})", reader.buffer_position())))?;
        match event {
            Event::Start(e) => match e.local_name().as_ref() {
                "OrgQuestion" => {
                    let id = attr(&e, "ORGQ_ID");
                    if out.last().map(|q| q.id != id).unwrap_or(true) {
                        out.push(Question { id, subject: String::new(), body: String::new(), candidates: vec![] });
                    }
                }
                "RelQuestion" => {
                    let label = attr(&e, "RELQ_RELEVANCE2ORGQ");
                    let q = out.last_mut().ok_or_else(|| bad("a RelQuestion outside an OrgQuestion".into()))?;
                    q.candidates.push(Candidate {
                        id: attr(&e, "RELQ_ID"),
                        engine_rank: attr(&e, "RELQ_RANKING_ORDER").parse().unwrap_or(u32::MAX),
                        subject: String::new(),
                        body: String::new(),
                        fix: String::new(),
                        relevant: label == "PerfectMatch" || label == "Relevant",
                    });
                    comments = 0;
                }
                name @ ("OrgQSubject" | "OrgQBody" | "RelQSubject" | "RelQBody" | "RelCText") => {
                    open = Some(name.to_string());
                    buffer.clear();
                }
                _ => {}
            },
            Event::Text(t) if open.is_some() => buffer.push_str(&t.xml10_content()),
            Event::CData(t) if open.is_some() => buffer.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if open.is_some() => match r.resolve_char_ref() {
                Ok(Some(c)) => buffer.push(c),
                _ => buffer.push_str(match r.as_ref() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    _ => " ",
                }),
            },
            Event::End(e) => {
                let name = e.local_name();
                if open.as_deref() == Some(name.as_ref()) {
                    let value = clean(&buffer);
                    let q = out.last_mut().ok_or_else(|| bad("text outside an OrgQuestion".into()))?;
                    match name.as_ref() {
                        "OrgQSubject" => q.subject = value,
                        "OrgQBody" => q.body = value,
                        "RelQSubject" => q.candidates.last_mut().iter_mut().for_each(|c| c.subject = value.clone()),
                        "RelQBody" => q.candidates.last_mut().iter_mut().for_each(|c| c.body = value.clone()),
                        _ => {
                            if comments == 0 && !value.is_empty() {
                                q.candidates.last_mut().iter_mut().for_each(|c| c.fix = value.clone());
                                comments += 1;
                            }
                        }
                    }
                    open = None;
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    for q in &mut out {
        q.candidates.sort_by_key(|c| c.engine_rank);
    }
    if out.is_empty() {
        return Err(bad("holds no OrgQuestion".into()));
    }
    Ok(out)
}

/// The task's measures over rankings given as relevance flags, ×100 (as `run.py`'s
/// `metrics`, from the organisers' scorer v2.2).
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Measures {
    pub map: f64,
    pub mrr: f64,
    pub p1: f64,
    pub p5: f64,
}

pub fn average_precision(flags: &[bool]) -> f64 {
    let (mut hits, mut sum) = (0usize, 0.0);
    for (i, _) in flags.iter().take(10).enumerate().filter(|(_, r)| **r) {
        hits += 1;
        sum += hits as f64 / (i + 1) as f64;
    }
    if hits == 0 {
        0.0
    } else {
        sum / hits as f64
    }
}

pub fn measures(rankings: &[Vec<bool>]) -> Measures {
    let n = rankings.len().max(1) as f64;
    let map = rankings.iter().map(|r| average_precision(r)).sum::<f64>() / n;
    let mrr = rankings.iter().map(|r| r.iter().take(10).position(|x| *x).map(|i| 1.0 / (i + 1) as f64).unwrap_or(0.0)).sum::<f64>() / n;
    let p1 = rankings.iter().filter(|r| r.first() == Some(&true)).count() as f64 / n;
    let p5 = rankings.iter().map(|r| r.iter().take(5).filter(|x| **x).count() as f64 / 5.0).sum::<f64>() / n;
    Measures { map: map * 100.0, mrr: mrr * 100.0, p1: p1 * 100.0, p5: p5 * 100.0 }
}

/// `run.py`'s tokens: lower-cased runs of letters and digits.
fn words(s: &str) -> Vec<String> {
    s.to_lowercase().split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_string).collect()
}

/// The plain BM25 baseline (k1 1.2, b 0.75, Lucene idf, no stemming, no stop words), over
/// the pool's subject and body, exactly as `run.py` computes it.
struct Bm25 {
    idf: HashMap<String, f64>,
    average: f64,
}

impl Bm25 {
    fn new(docs: &[Vec<String>]) -> Bm25 {
        let n = docs.len() as f64;
        let mut df: HashMap<String, usize> = HashMap::new();
        for d in docs {
            let mut seen: Vec<&String> = d.iter().collect();
            seen.sort();
            seen.dedup();
            for w in seen {
                *df.entry(w.clone()).or_default() += 1;
            }
        }
        let idf = df.into_iter().map(|(w, c)| (w, (1.0 + (n - c as f64 + 0.5) / (c as f64 + 0.5)).ln())).collect();
        Bm25 { idf, average: docs.iter().map(Vec::len).sum::<usize>() as f64 / n.max(1.0) }
    }

    fn score(&self, query: &[String], doc: &[String]) -> f64 {
        let (k1, b) = (1.2, 0.75);
        let mut tf: HashMap<&str, f64> = HashMap::new();
        for w in doc {
            *tf.entry(w).or_default() += 1.0;
        }
        let mut qtf: HashMap<&str, f64> = HashMap::new();
        for w in query {
            *qtf.entry(w).or_default() += 1.0;
        }
        let norm = k1 * (1.0 - b + b * doc.len() as f64 / self.average);
        qtf.iter().filter_map(|(w, q)| tf.get(w).map(|f| q * self.idf.get(*w).copied().unwrap_or(0.0) * f * (k1 + 1.0) / (f + norm))).sum()
    }
}

/// One system's figures on one file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SystemRow {
    pub file: String,
    pub system: String,
    pub measures: Measures,
}

/// What `bench relevance` found on one file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FileReport {
    pub file: String,
    pub questions: usize,
    pub candidates: usize,
    pub relevant: usize,
    /// Candidates `similar` did not return at all (ranked after the returned ones).
    pub not_returned: usize,
    pub similar_p50_ms: f64,
    pub similar_p95_ms: f64,
    pub rows: Vec<SystemRow>,
    /// Per question: AP of Casebook and of BM25 (for looking at what goes wrong).
    pub per_question: Vec<(String, f64, f64)>,
}

/// Runs the benchmark on one SemEval file.
pub fn run_file(path: &Path, progress: &mut dyn FnMut(&str)) -> Result<FileReport> {
    let questions = load(path)?;
    let file = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    progress(&format!("{file}: {} questions", questions.len()));
    let dir = tempfile::tempdir()?;
    let clock = Arc::new(FixedClock::new(chrono::Utc::now()));
    let mut ws = Workspace::create(&dir.path().join("relevance.db"), clock, &WorkspaceInit::default())?;
    // As run.py: every candidate a solved ticket (its first comment the agent's reply), then
    // every question a new one, in one Zendesk import.
    let (export, keys) = zendesk_export(&questions);
    let json = dir.path().join("zendesk.json");
    std::fs::write(&json, serde_json::to_vec(&export)?)?;
    let report = ws.import_zendesk(&json)?;
    let number_of: HashMap<&str, i64> = keys.iter().map(String::as_str).zip(report.numbers.iter().copied()).collect();
    let key_of: HashMap<i64, &str> = number_of.iter().map(|(k, n)| (*n, *k)).collect();
    let index = SearchIndex::open(&ws.data_dir())?;
    index.rebuild(ws.connection())?;
    let pool = questions.iter().map(|q| q.candidates.len()).sum::<usize>();

    let mut ours = Vec::new();
    let mut bm25 = Vec::new();
    let mut engine = Vec::new();
    let mut per_question = Vec::new();
    let mut not_returned = 0;
    let mut times = Vec::new();
    let docs: Vec<Vec<String>> = questions.iter().flat_map(|q| q.candidates.iter()).map(|c| words(&format!("{} {}", c.subject, c.body))).collect();
    let baseline = Bm25::new(&docs);
    for q in &questions {
        let number = number_of[format!("q:{}", q.id).as_str()];
        let started = std::time::Instant::now();
        let similar = index.similar(ws.connection(), number, pool)?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        let label: HashMap<&str, bool> = q.candidates.iter().map(|c| (c.id.as_str(), c.relevant)).collect();
        let mut ranked: Vec<&str> = Vec::new();
        for s in &similar {
            if let Some(k) = key_of.get(&s.number).and_then(|k| k.strip_prefix("c:")) {
                if label.contains_key(k) && !ranked.contains(&k) {
                    ranked.push(k);
                }
            }
        }
        // Not returned: after the returned ones, in a fixed order that is not the engine's
        // (by id, as a seeded shuffle would be: no information).
        let mut missing: Vec<&str> = q.candidates.iter().map(|c| c.id.as_str()).filter(|k| !ranked.contains(k)).collect();
        missing.sort_by_key(|k| fnv(k));
        not_returned += missing.len();
        ranked.extend(missing);
        let flags: Vec<bool> = ranked.iter().map(|k| label[k]).collect();
        let query = words(&format!("{} {}", q.subject, q.body));
        let mut scored: Vec<(f64, u64, bool)> =
            q.candidates.iter().map(|c| (baseline.score(&query, &words(&format!("{} {}", c.subject, c.body))), fnv(&c.id), c.relevant)).collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let bm: Vec<bool> = scored.iter().map(|s| s.2).collect();
        per_question.push((q.id.clone(), average_precision(&flags) * 100.0, average_precision(&bm) * 100.0));
        ours.push(flags);
        bm25.push(bm);
        engine.push(q.candidates.iter().map(|c| c.relevant).collect::<Vec<_>>());
    }
    times.sort_by(f64::total_cmp);
    let at = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    let row = |system: &str, rankings: &[Vec<bool>]| SystemRow { file: file.clone(), system: system.into(), measures: measures(rankings) };
    let perfect: Vec<Vec<bool>> = engine
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.sort_by_key(|x| !*x);
            r
        })
        .collect();
    Ok(FileReport {
        questions: questions.len(),
        candidates: pool,
        relevant: questions.iter().flat_map(|q| &q.candidates).filter(|c| c.relevant).count(),
        not_returned,
        similar_p50_ms: at(0.5),
        similar_p95_ms: at(0.95),
        rows: vec![
            row("Casebook similar", &ours),
            row("BM25 subject+body", &bm25),
            row("the task's search-engine order", &engine),
            row("perfect order (ceiling)", &perfect),
        ],
        per_question,
        file,
    })
}

/// A stable, content-derived order for ties and for candidates not returned.
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf29ce484222325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100000001b3))
}

/// The Zendesk export `run.py` writes, and the key of each ticket in import order
/// (`c:<candidate id>` or `q:<question id>`).
fn zendesk_export(questions: &[Question]) -> (serde_json::Value, Vec<String>) {
    use serde_json::json;
    let mut users = vec![json!({"id": 1, "name": "Forum Agent", "email": "agent@eval.test", "role": "agent"})];
    let mut tickets = Vec::new();
    let mut keys = Vec::new();
    let start = chrono::DateTime::parse_from_rfc3339("2020-01-01T10:00:00Z").unwrap().with_timezone(&chrono::Utc);
    let iso = |secs: i64| (start + chrono::Duration::seconds(secs)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut add = |key: String, subject: &str, body: &str, fix: Option<&str>| {
        let zid = tickets.len() as i64 + 1;
        let uid = 1000 + zid;
        users.push(json!({"id": uid, "name": format!("Customer {zid}"), "email": format!("c{zid}@example.com"), "role": "end-user"}));
        let created = zid * 600;
        let subject = if subject.is_empty() { body.split_whitespace().take(8).collect::<Vec<_>>().join(" ") } else { subject.to_string() };
        let subject = if subject.is_empty() { "(no subject)".to_string() } else { subject.chars().take(500).collect() };
        let body = if body.is_empty() { subject.clone() } else { body.to_string() };
        let mut comments = vec![json!({"author_id": uid, "body": body, "public": true, "created_at": iso(created)})];
        if let Some(fix) = fix.filter(|f| !f.is_empty()) {
            comments.push(json!({"author_id": 1, "body": fix, "public": true, "created_at": iso(created + 3600)}));
        }
        tickets.push(json!({
            "id": zid, "subject": subject, "status": if fix.is_some() { "solved" } else { "new" }, "priority": "normal",
            "requester_id": uid, "created_at": iso(created), "updated_at": iso(created + if fix.is_some() { 7200 } else { 0 }),
            "comments": comments,
        }));
        keys.push(key);
    };
    for q in questions {
        for c in &q.candidates {
            add(format!("c:{}", c.id), &c.subject, &c.body, Some(&c.fix));
        }
    }
    for q in questions {
        add(format!("q:{}", q.id), &q.subject, &q.body, None);
    }
    (json!({"tickets": tickets, "users": users, "organizations": []}), keys)
}

/// Runs every file of the benchmark folder that it knows (DEV first, then train part 2).
pub fn relevance(folder: &Path, progress: &mut dyn FnMut(&str)) -> Result<Vec<FileReport>> {
    let data = folder.join("data");
    let files = ["SemEval2016-Task3-CQA-QL-dev.xml", "SemEval2016-Task3-CQA-QL-train-part2.xml"];
    let present: Vec<_> = files.iter().map(|f| data.join(f)).filter(|p| p.exists()).collect();
    if present.is_empty() {
        return Err(Error::validation("folder", format!("{} holds none of {}", data.display(), files.join(", "))));
    }
    present.iter().map(|p| run_file(p, progress)).collect()
}

/// The reports as a Markdown table.
pub fn relevance_table(reports: &[FileReport]) -> String {
    let mut out = String::from("| file | system | MAP | MRR | P@1 | P@5 |\n|---|---|---|---|---|---|\n");
    for r in reports {
        for s in &r.rows {
            let m = s.measures;
            out.push_str(&format!("| {} | {} | {:.2} | {:.2} | {:.2} | {:.2} |\n", r.file, s.system, m.map, m.mrr, m.p1, m.p5));
        }
    }
    for r in reports {
        let better = r.per_question.iter().filter(|q| q.1 > q.2 + 1e-9).count();
        let worse = r.per_question.iter().filter(|q| q.1 + 1e-9 < q.2).count();
        out.push_str(&format!(
            "\n{}: {} questions, {} candidates ({} relevant); similar p50 {:.1} ms, p95 {:.1} ms over the whole pool; {} candidates not returned; against BM25 per question: better {better}, worse {worse}",
            r.file, r.questions, r.candidates, r.relevant, r.similar_p50_ms, r.similar_p95_ms, r.not_returned
        ));
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_measures_are_the_task_scorers() {
        // AP: precision at each relevant position, over the top 10.
        assert!((average_precision(&[true, false, true]) - (1.0 + 2.0 / 3.0) / 2.0).abs() < 1e-12);
        assert_eq!(average_precision(&[false, false]), 0.0);
        let m = measures(&[vec![false, true], vec![true, false]]);
        assert!((m.mrr - 75.0).abs() < 1e-9 && (m.p1 - 50.0).abs() < 1e-9 && (m.p5 - 20.0).abs() < 1e-9);
    }
}
