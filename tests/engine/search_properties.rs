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

/// Many solved tickets in few words, so that scores tie often; one index kept current ticket
/// by ticket (many small segments), another rebuilt at once (other segments, other threads).
struct Ties {
    env: crate::common::Env,
    incremental: SearchIndex,
    rebuilt: SearchIndex,
    _other: tempfile::TempDir,
}

const WORDS: [&str; 8] = ["printer", "offline", "vpn", "drops", "password", "reset", "invoice", "wrong"];

fn ties() -> &'static std::sync::Mutex<Ties> {
    use casebook::model::{MessageKind, NewMessage, NewTicket, Status};
    static T: OnceLock<std::sync::Mutex<Ties>> = OnceLock::new();
    T.get_or_init(|| {
        let mut env = crate::common::env("2026-03-02T09:00:00Z");
        let incremental = SearchIndex::open(&env.ws.data_dir()).unwrap();
        for i in 0..60usize {
            // Pairs of words, each pair several times: identical tickets tie exactly.
            let (a, b) = (WORDS[i % WORDS.len()], WORDS[(i / WORDS.len() + i) % WORDS.len()]);
            let n = env
                .ws
                .create_ticket(&NewTicket {
                    subject: format!("{a} {b}"),
                    description: format!("the {b} is {a}"),
                    // Each its own requester: the built-in rules would merge a repeat.
                    requester_email: format!("c{i}@acme.test"),
                    ..Default::default()
                })
                .unwrap()
                .number;
            env.ws.add_message(n, &NewMessage::new(MessageKind::Public, format!("fixed the {a}"))).unwrap();
            env.ws.set_status(n, Status::Resolved, None).unwrap();
            incremental.sync(env.ws.connection()).unwrap();
        }
        let other = tempfile::tempdir().unwrap();
        let rebuilt = SearchIndex::open(other.path()).unwrap();
        rebuilt.rebuild(env.ws.connection()).unwrap();
        std::sync::Mutex::new(Ties { env, incremental, rebuilt, _other: other })
    })
}

/// What must not change between two answers: the order, why each matched, the marks.
type Answer = Vec<(i64, Vec<String>, Vec<(usize, usize)>)>;

fn similar_key(s: &[casebook::search::SimilarTicket]) -> Answer {
    s.iter().map(|t| (t.number, t.matched.clone(), t.subject_highlights.clone())).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 120, ..ProptestConfig::default() })]

    /// Issue 19: the same database and input give the same similar tickets, in the same
    /// order, from any index of it, every time; equal scores are ordered by ticket number.
    #[test]
    fn similar_is_deterministic(subject in prop::collection::vec(prop::sample::select(WORDS.to_vec()), 1..4),
                                body in prop::collection::vec(prop::sample::select(WORDS.to_vec()), 0..8),
                                limit in 1usize..12) {
        let t = ties().lock().unwrap();
        let (subject, body) = (subject.join(" "), body.join(" "));
        let conn = t.env.ws.connection();
        let first = t.incremental.similar_to_text(conn, &subject, &body, None, limit).unwrap();
        prop_assert!(!first.is_empty(), "{subject} / {body}");
        prop_assert_eq!(similar_key(&first), similar_key(&t.incremental.similar_to_text(conn, &subject, &body, None, limit).unwrap()));
        let other = t.rebuilt.similar_to_text(conn, &subject, &body, None, limit).unwrap();
        prop_assert_eq!(similar_key(&first), similar_key(&other), "{} / {}", subject, body);
        for pair in first.windows(2) {
            prop_assert!(pair[0].score > pair[1].score || (pair[0].score == pair[1].score && pair[0].number < pair[1].number), "{:?}", pair.iter().map(|s| (s.number, s.score)).collect::<Vec<_>>());
        }
        // A shorter list is the start of a longer one.
        let longer = t.incremental.similar_to_text(conn, &subject, &body, None, limit + 5).unwrap();
        prop_assert_eq!(similar_key(&first), similar_key(&longer[..first.len()]));
    }
}
