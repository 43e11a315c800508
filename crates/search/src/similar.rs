//! Similar solved tickets (PRODUCT S2), and why each matched.
//!
//! Measured on real labelled data (`casebook bench relevance`, SemEval-2016 Task 3 B):
//! tantivy's MoreLikeThis kept 30 terms picked with ties in hash order, so a couple of surface
//! words ("vacation", a greeting) decided, a quarter of the relevant tickets were never
//! returned, and the same call could answer differently. What ranks better is plain: every
//! content word of the ticket (its language's stop words out, stemmed as the index stems it)
//! in one BM25 query over the solved tickets' subject, weighted ×2, and body. Re-ranking by
//! subject cosine, whole-text cosine, shared word pairs or the fix's text moved MAP by less
//! than the benchmark's noise (±2 points over 50 questions), so none of it is here.
//!
//! The same database and input give the same answer: the query's words are ordered, ties in
//! score go to the lower ticket number, and no hash order reaches the result.

use super::{analysis, fast_u64, number_of, tantivy_err, ticket_body, ticket_row, Fix, SearchIndex, SimilarTicket};
use casebook_core::clock::Timestamp;
use casebook_core::model::MessageKind;
use casebook_core::{Error, Result};
use rusqlite::{params, Connection, OptionalExtension};
use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap, HashSet};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, Score, Searcher, SegmentReader, Term};

/// Subject matches count this much more than body matches: the subject says what a ticket
/// is about. Tuned on SemEval train part 2 and checked on DEV (1.5 to 3 are all within a
/// point there; 1 and 6 are worse).
const SUBJECT_WEIGHT: f32 = 2.0;
/// A ticket's words in their unstemmed form, matched in any language's tickets (codes,
/// product names, a ticket whose language was told wrong), count this little: tickets in the
/// asker's language come first when scores are close.
const NEUTRAL_WEIGHT: f32 = 0.15;
/// A long ticket's query keeps its this many most telling words (count × idf): enough for
/// every question of the benchmark, and a bound on the work for a pasted log.
const QUERY_WORDS: usize = 48;
/// Of the unstemmed words, fewer: they mostly repeat the stemmed ones and are there for what
/// only they can find.
const NEUTRAL_WORDS: usize = 12;
/// Reference solutions (an agent marked the fix) rank this much higher.
const REFERENCE_BOOST: f32 = 1.3;
/// Each ticket it helped before (up to five) raises a ticket this much; each it did not
/// help (up to three) lowers it as much. Agents' word outweighs a small score gap, never a
/// large one.
const FEEDBACK_STEP: f32 = 0.08;
/// How many matched words a card shows.
const MATCHED_SHOWN: usize = 8;

/// Which fields a query word is looked for in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Kind {
    /// Stemmed in the ticket's language.
    Stemmed,
    /// A bigram of a Korean (CJK) run.
    Cjk,
    /// Folded, unstemmed: in every language's tickets.
    Neutral,
}

/// The asking ticket's words, each with how often it says it.
struct Words {
    lang: analysis::StemLanguage,
    counts: BTreeMap<(Kind, String), f32>,
}

impl Words {
    fn of(manager: &tantivy::tokenizer::TokenizerManager, subject: &str, body: &str) -> Words {
        let lang = analysis::detect_ticket(subject, body);
        let stop: HashSet<&str> = analysis::stop_words(lang).iter().copied().collect();
        let mut counts = BTreeMap::new();
        for text in [subject, body] {
            for (stem, _, _) in analysis::content_words(manager, lang, text) {
                *counts.entry((Kind::Stemmed, stem)).or_insert(0.0) += 1.0;
            }
            for (bigram, _, _) in analysis::spans(manager, analysis::CJK, text) {
                *counts.entry((Kind::Cjk, bigram)).or_insert(0.0) += 1.0;
            }
            for (word, _, _) in analysis::spans(manager, analysis::NEUTRAL, text) {
                if !stop.contains(word.as_str()) && word.chars().count() > 1 {
                    *counts.entry((Kind::Neutral, word)).or_insert(0.0) += 1.0;
                }
            }
        }
        Words { lang, counts }
    }
}

/// Inverse document frequency as BM25 (Lucene) has it, over the live index.
fn idf(searcher: &Searcher, field: Field, word: &str) -> Result<f32> {
    let n = searcher.num_docs() as f32;
    let df = searcher.doc_freq(&Term::from_field_text(field, word)).map_err(tantivy_err)? as f32;
    Ok((1.0 + (n - df + 0.5) / (df + 0.5)).ln())
}

impl SearchIndex {
    /// The most similar solved tickets to ticket `number` (PRODUCT S2), each with its fix and
    /// the words it matched on.
    pub fn similar(&self, conn: &Connection, number: i64, limit: usize) -> Result<Vec<SimilarTicket>> {
        self.similar_of(conn, number, limit, Detail::Cards)
    }

    /// The most similar solved tickets to ticket `number` and their scores, best first, and
    /// nothing else (what predictions from the neighbours need, without the cards' work).
    pub fn neighbours(&self, conn: &Connection, number: i64, limit: usize) -> Result<Vec<(i64, f32)>> {
        Ok(self.similar_of(conn, number, limit, Detail::Ranking)?.into_iter().map(|s| (s.number, s.score)).collect())
    }

    /// The same for a text not yet a ticket (a new ticket being typed).
    pub fn neighbours_of_text(&self, conn: &Connection, subject: &str, body: &str, limit: usize) -> Result<Vec<(i64, f32)>> {
        Ok(self.ranked(conn, subject, body, None, limit, Detail::Ranking)?.into_iter().map(|s| (s.number, s.score)).collect())
    }

    fn similar_of(&self, conn: &Connection, number: i64, limit: usize, detail: Detail) -> Result<Vec<SimilarTicket>> {
        let row = ticket_row(conn, number)?.ok_or_else(|| Error::ticket_not_found(number))?;
        // The customer's words describe the problem; the agents' replies would pull in
        // their own boilerplate.
        let customer_text: String = conn
            .prepare_cached("SELECT group_concat(body, char(10)) FROM (SELECT body FROM messages WHERE ticket_id = ?1 AND kind = 'customer' ORDER BY created_at, id LIMIT 3)")?
            .query_row([&row.id], |r| r.get::<_, Option<String>>(0))?
            .unwrap_or_default();
        self.ranked(conn, &row.subject, &customer_text, Some(&row.id), limit, detail)
    }

    /// The most similar solved tickets to a text (a draft, or a ticket's words).
    pub fn similar_to_text(
        &self,
        conn: &Connection,
        subject: &str,
        body: &str,
        exclude_id: Option<&str>,
        limit: usize,
    ) -> Result<Vec<SimilarTicket>> {
        self.ranked(conn, subject, body, exclude_id, limit, Detail::Cards)
    }

    fn ranked(
        &self,
        conn: &Connection,
        subject: &str,
        body: &str,
        exclude_id: Option<&str>,
        limit: usize,
        detail: Detail,
    ) -> Result<Vec<SimilarTicket>> {
        let g = self.live();
        let f = &g.fields;
        let searcher = g.reader.searcher();
        let words = Words::of(g.index.tokenizers(), subject, body);
        let (subject_stemmed, body_stemmed) = f.stemmed(words.lang);
        let fields_of = |kind: Kind| match kind {
            Kind::Stemmed => (subject_stemmed, body_stemmed, 1.0),
            Kind::Cjk => (f.subject_cjk, f.body_cjk, 1.0),
            Kind::Neutral => (f.subject_neutral, f.body_neutral, NEUTRAL_WEIGHT),
        };
        // The most telling words, in a fixed order (weight, then the word itself).
        let mut chosen: Vec<(f32, Kind, &str, f32)> = Vec::new();
        for ((kind, word), count) in &words.counts {
            let (_, body_field, _) = fields_of(*kind);
            chosen.push((count * idf(&searcher, body_field, word)?, *kind, word.as_str(), *count));
        }
        chosen.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(b.2)));
        let mut per_kind: HashMap<Kind, usize> = HashMap::new();
        chosen.retain(|(_, kind, _, _)| {
            let n = per_kind.entry(*kind).or_default();
            *n += 1;
            *n <= if *kind == Kind::Neutral { NEUTRAL_WORDS } else { QUERY_WORDS }
        });
        if chosen.is_empty() {
            return Ok(vec![]);
        }
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (_, kind, word, count) in &chosen {
            let (subject_field, body_field, weight) = fields_of(*kind);
            for (field, boost) in [(subject_field, SUBJECT_WEIGHT), (body_field, 1.0)] {
                let q = TermQuery::new(Term::from_field_text(field, word), IndexRecordOption::WithFreqs);
                should.push((Occur::Should, Box::new(BoostQuery::new(Box::new(q), boost * weight * count))));
            }
        }
        let solved: Box<dyn Query> = Box::new(BooleanQuery::new(vec![
            (Occur::Should, Box::new(TermQuery::new(Term::from_field_text(f.status, "resolved"), IndexRecordOption::Basic)) as Box<dyn Query>),
            (Occur::Should, Box::new(TermQuery::new(Term::from_field_text(f.status, "closed"), IndexRecordOption::Basic))),
        ]));
        let mut clauses: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Must, Box::new(BooleanQuery::new(should))), (Occur::Must, Box::new(ConstScoreQuery::new(solved, 0.0)))];
        if let Some(id) = exclude_id {
            clauses.push((Occur::MustNot, Box::new(TermQuery::new(Term::from_field_text(f.id, id), IndexRecordOption::Basic))));
        }
        let query = BooleanQuery::new(clauses);
        // Ranked by score with the reference boost, ties to the lower number: exact and
        // deterministic however the index's segments lie.
        let collector = TopDocs::with_limit((limit * 3).max(10)).tweak_score(|segment: &SegmentReader| {
            let numbers = segment.fast_fields().u64("number").expect("the number is a fast field").first_or_default_col(0);
            let references = segment.fast_fields().u64("reference").expect("reference is a fast field").first_or_default_col(0);
            let helped = segment.fast_fields().u64("helped").expect("helped is a fast field").first_or_default_col(0);
            let unhelpful = segment.fast_fields().u64("unhelpful").expect("unhelpful is a fast field").first_or_default_col(0);
            move |doc: DocId, score: Score| {
                let reference = if references.get_val(doc) == 1 { REFERENCE_BOOST } else { 1.0 };
                let feedback = 1.0 + FEEDBACK_STEP * (helped.get_val(doc).min(5) as f32 - unhelpful.get_val(doc).min(3) as f32);
                (score * reference * feedback, Reverse(numbers.get_val(doc)))
            }
        });
        let top = searcher.search(&query, &collector).map_err(tantivy_err)?;
        // What the agent already said of suggestions for this ticket: one that did not help
        // is not suggested again; one that helped says so on its card.
        let mut said: HashMap<String, bool> = HashMap::new();
        if let Some(id) = exclude_id {
            let mut stmt = conn.prepare_cached("SELECT ticket_id, helpful FROM similar_feedback WHERE for_ticket = ?1 AND helpful IS NOT NULL")?;
            for r in stmt.query_map([id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? == 1)))? {
                let (t, helpful) = r?;
                said.insert(t, helpful);
            }
        }
        let asked: HashSet<&str> = chosen.iter().filter(|c| c.1 == Kind::Stemmed).map(|c| c.2).collect();
        let bigrams: HashSet<&str> = chosen.iter().filter(|c| c.1 == Kind::Cjk).map(|c| c.2).collect();
        let mut out = Vec::new();
        for ((score, _), addr) in top {
            if out.len() >= limit {
                break;
            }
            let number = number_of(&searcher, addr)?;
            // Not visible to the person asking: skipped, and the next one takes its place.
            let Some(row) = ticket_row(conn, number)? else { continue };
            let helpful = said.get(&row.id).copied();
            if helpful == Some(false) {
                continue;
            }
            if detail == Detail::Ranking {
                out.push(SimilarTicket {
                    number,
                    fix: None,
                    reference: false,
                    subject: row.subject,
                    status: row.status,
                    resolved_at: row.resolved_at,
                    score,
                    matched: vec![],
                    subject_highlights: vec![],
                    helpful,
                });
                continue;
            }
            let why = Explanation::of(
                &searcher,
                g.index.tokenizers(),
                body_stemmed,
                f.body_cjk,
                words.lang,
                &asked,
                &bigrams,
                &row.subject,
                &ticket_body(conn, &row.id)?,
            )?;
            out.push(SimilarTicket {
                number,
                fix: fix_of(conn, &row.id, row.resolved_at)?,
                reference: fast_u64(&searcher, "reference", addr)? == 1,
                subject: row.subject,
                status: row.status,
                resolved_at: row.resolved_at,
                score,
                matched: why.words,
                subject_highlights: why.subject_highlights,
                helpful,
            });
        }
        Ok(out)
    }
}

/// How much of each similar ticket is wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Detail {
    /// The cards: the fix, why it matched.
    Cards,
    /// Numbers and scores.
    Ranking,
}

/// Why a similar ticket matched: the asked-about words as it writes them, and where they are
/// in its subject.
struct Explanation {
    words: Vec<String>,
    subject_highlights: Vec<(usize, usize)>,
}

impl Explanation {
    #[allow(clippy::too_many_arguments)]
    fn of(
        searcher: &Searcher,
        manager: &tantivy::tokenizer::TokenizerManager,
        body_field: Field,
        cjk_field: Field,
        lang: analysis::StemLanguage,
        asked: &HashSet<&str>,
        bigrams: &HashSet<&str>,
        subject: &str,
        body: &str,
    ) -> Result<Explanation> {
        let mut subject_highlights = Vec::new();
        // word as written (lower-cased) → (it is in the subject, how telling its stem is): a
        // card names first what the subject shares, then the rarest words of the thread.
        let mut found: BTreeMap<String, (bool, f32)> = BTreeMap::new();
        let mut idfs: HashMap<String, f32> = HashMap::new();
        let mut note = |text: &str,
                        spans: Vec<(String, usize, usize)>,
                        field: Field,
                        wanted: &HashSet<&str>,
                        highlights: Option<&mut Vec<(usize, usize)>>|
         -> Result<()> {
            let in_subject = highlights.is_some();
            let mut highlights = highlights;
            for (term, from, to) in spans {
                if !wanted.contains(term.as_str()) {
                    continue;
                }
                if let Some(h) = highlights.as_deref_mut() {
                    h.push((from, to));
                }
                let weight = match idfs.get(&term) {
                    Some(w) => *w,
                    None => {
                        let w = idf(searcher, field, &term)?;
                        idfs.insert(term.clone(), w);
                        w
                    }
                };
                found.entry(text[from..to].to_lowercase()).or_insert((in_subject, weight));
            }
            Ok(())
        };
        note(subject, analysis::content_words(manager, lang, subject), body_field, asked, Some(&mut subject_highlights))?;
        note(subject, analysis::spans(manager, analysis::CJK, subject), cjk_field, bigrams, Some(&mut subject_highlights))?;
        // A long thread is read as far as a person would skim it.
        let body: String = body.chars().take(4000).collect();
        note(&body, analysis::content_words(manager, lang, &body), body_field, asked, None)?;
        note(&body, analysis::spans(manager, analysis::CJK, &body), cjk_field, bigrams, None)?;
        subject_highlights.sort_unstable();
        subject_highlights.dedup();
        let mut words: Vec<(String, (bool, f32))> = found.into_iter().collect();
        words.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(b.1 .1.total_cmp(&a.1 .1)).then(a.0.cmp(&b.0)));
        Ok(Explanation { words: words.into_iter().take(MATCHED_SHOWN).map(|w| w.0).collect(), subject_highlights })
    }
}

/// The fix of a solved ticket: the message an agent marked, else the last public reply
/// before it was resolved.
fn fix_of(conn: &Connection, ticket_id: &str, resolved_at: Option<Timestamp>) -> Result<Option<Fix>> {
    let resolved = resolved_at.map(casebook_core::clock::to_ms).unwrap_or(i64::MAX);
    let mut stmt = conn.prepare_cached(
        "SELECT m.id, m.kind, coalesce(a.name, ''), m.body, m.is_solution FROM messages m LEFT JOIN agents a ON a.id = m.author_agent
         WHERE m.ticket_id = ?1 AND (m.is_solution = 1 OR (m.kind = 'public' AND m.created_at <= ?2))
         ORDER BY m.is_solution DESC, m.created_at DESC, m.id DESC LIMIT 1",
    )?;
    Ok(stmt
        .query_row(params![ticket_id, resolved], |r| {
            Ok(Fix {
                message_id: r.get(0)?,
                kind: MessageKind::parse(&r.get::<_, String>(1)?).unwrap_or(MessageKind::Public),
                author: r.get(2)?,
                body: r.get(3)?,
                marked: r.get::<_, i64>(4)? != 0,
            })
        })
        .optional()?)
}
