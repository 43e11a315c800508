//! Property test: any string typed into the search box gets an answer, never a panic or
//! an error (issue 3, "Bad input").

use casebook::model::Priority;
use casebook::search::{SearchFilters, SearchIndex};
use proptest::prelude::*;
use std::sync::OnceLock;

struct Fixture {
    env: crate::common::Env,
    index: SearchIndex,
}

// The fixture is built once and shared read-only by every case.
fn fixture() -> &'static std::sync::Mutex<Fixture> {
    static F: OnceLock<std::sync::Mutex<Fixture>> = OnceLock::new();
    F.get_or_init(|| {
        let mut env = crate::common::env("2026-03-02T09:00:00Z");
        for s in ["VPN drops every 10 minutes", "서버 다운 급해요", "Nie działa drukarka", "Crash 0xC0000005", "Refund ORD-12345"] {
            env.ticket(s, Priority::High);
        }
        let index = SearchIndex::open(&env.ws.data_dir()).unwrap();
        index.sync(env.ws.connection()).unwrap();
        std::sync::Mutex::new(Fixture { env, index })
    })
}

fn query_strategy() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just("\"".to_string()),
        Just("-".to_string()),
        Just(":".to_string()),
        Just(" OR ".to_string()),
        Just("status:".to_string()),
        Just("before:".to_string()),
        Just("tag:".to_string()),
        Just("서버".to_string()),
        Just("hasło".to_string()),
        Just("vpn".to_string()),
        Just("🙂".to_string()),
        "[a-z]{1,8}",
        "\\PC{1,6}",
        any::<char>().prop_map(|c| c.to_string()),
    ];
    prop::collection::vec(pieces, 0..12).prop_map(|v| v.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn every_query_gets_an_answer(q in query_strategy()) {
        let f = fixture().lock().unwrap();
        let r = f.index.search(f.env.ws.connection(), &q, &SearchFilters::default(), 10);
        prop_assert!(r.is_ok(), "{:?}: {:?}", q, r);
        let r = r.unwrap();
        for h in &r.hits {
            for &(a, b) in h.snippet.highlights.iter().chain(h.subject_highlights.iter()) {
                prop_assert!(a <= b);
            }
        }
    }

    #[test]
    fn random_text_never_breaks_similar(text in "\\PC{0,300}") {
        let f = fixture().lock().unwrap();
        prop_assert!(f.index.similar_to_text(f.env.ws.connection(), &text, &text, None, 5).is_ok());
    }
}
