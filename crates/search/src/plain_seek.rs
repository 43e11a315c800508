//! A query wrapper whose scorer answers tantivy's "dangerous seek" with a plain one.
//!
//! Why: tantivy 0.27 hands an excluded clause's scorer to `Exclude`, which asks it
//! `seek_danger(doc)` for each candidate. A phrase scorer whose phrase occurs nowhere in the
//! segment starts at TERMINATED, and its `seek_danger` debug-asserts that the target is not
//! below where it stands, so `crash -"words never side by side"` panics in a build with debug
//! assertions (the fuzzer's; found by `fuzz search_query`, 2026-12-02). A release build answers
//! correctly. This scorer never forwards a seek to a target at or below the inner scorer's
//! document, which keeps every inner scorer inside its own assertions; it costs the skip-ahead
//! of `seek_danger`, which an exclusion hardly needs (it is asked once per candidate anyway).

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, Term};

#[derive(Debug)]
pub(crate) struct PlainSeek(pub Box<dyn Query>);

impl Clone for PlainSeek {
    fn clone(&self) -> Self {
        PlainSeek(self.0.box_clone())
    }
}

impl Query for PlainSeek {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(PlainSeekWeight(self.0.weight(enable_scoring)?)))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.0.query_terms(visitor)
    }
}

struct PlainSeekWeight(Box<dyn Weight>);

impl Weight for PlainSeekWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(PlainSeekScorer(self.0.scorer(reader, boost)?)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.0.explain(reader, doc)
    }

    fn count(&self, reader: &SegmentReader) -> tantivy::Result<u32> {
        self.0.count(reader)
    }
}

struct PlainSeekScorer(Box<dyn Scorer>);

impl DocSet for PlainSeekScorer {
    fn advance(&mut self) -> DocId {
        self.0.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        let doc = self.0.doc();
        if doc >= target {
            return doc;
        }
        self.0.seek(target)
    }

    // `seek_danger` is DocSet's default: it seeks (above) only when the target is ahead.

    fn doc(&self) -> DocId {
        self.0.doc()
    }

    fn size_hint(&self) -> u32 {
        self.0.size_hint()
    }

    fn cost(&self) -> u64 {
        self.0.cost()
    }
}

impl Scorer for PlainSeekScorer {
    fn score(&mut self) -> Score {
        self.0.score()
    }
}
