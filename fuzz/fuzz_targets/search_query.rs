//! The search box's text, as typed: the parser and the search it becomes (the tantivy query
//! over every field and analyser, with a filter) must answer every string. The whole search
//! with its snippets cut from SQLite runs on one input in 16 (it is a hundred times slower, and
//! its own part, the highlighter, needs few inputs to be covered).
#![no_main]

use casebook::search::{query, SearchFilters};
use casebook_fuzz::Fixture;
use std::cell::RefCell;

thread_local!(static FIXTURE: RefCell<Fixture> = RefCell::new(Fixture::new(60)));

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let raw = casebook_fuzz::text(data);
    let parsed = query::parse(&raw);
    let _ = parsed.has_text();
    FIXTURE.with_borrow(|f| {
        let (top, total) = f.index.search_numbers(&raw, &SearchFilters::default(), 10).expect("every query gets an answer");
        assert!(top.len() <= 10 && total >= top.len());
        if data.iter().fold(0u8, |a, b| a.wrapping_add(*b)) % 16 != 0 {
            return;
        }
        let results = f.index.search(f.ws.connection(), &raw, &SearchFilters::default(), 10).expect("every query gets an answer");
        assert_eq!(results.total, total, "the search and its count disagree");
        assert!(results.hits.len() <= 10);
        assert!(results.total >= results.hits.len());
        // The window cuts the highlighted text at these byte ranges.
        let fits = |text: &str, ranges: &[(usize, usize)]| {
            ranges.iter().all(|&(a, b)| a <= b && b <= text.len() && text.is_char_boundary(a) && text.is_char_boundary(b))
        };
        for hit in &results.hits {
            assert!(fits(&hit.subject, &hit.subject_highlights), "a subject highlight falls outside its text");
            assert!(fits(&hit.snippet.text, &hit.snippet.highlights), "a snippet highlight falls outside its text");
        }
    });
});
