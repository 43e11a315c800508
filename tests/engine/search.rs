//! Search over a real tantivy index on disk (PRODUCT S1–S5): languages, query syntax,
//! filters, snippets, similar solved tickets with their fix, and self-repair.

use crate::common::{env, walk, Env};
use casebook::model::{MessageKind, NewMessage, NewTicket, Priority, Status};
use casebook::search::{SearchFilters, SearchIndex};

fn ticket(e: &mut Env, subject: &str, body: &str, requester: &str) -> i64 {
    e.ws.create_ticket(&NewTicket {
        subject: subject.into(),
        description: body.into(),
        requester_email: requester.into(),
        requester_name: Some("Kim Jiho".into()),
        organisation: Some("Hanbit".into()),
        ..Default::default()
    })
    .unwrap()
    .number
}

fn solve(e: &mut Env, n: i64, fix: &str) {
    e.ws.add_message(n, &NewMessage::new(MessageKind::Public, fix)).unwrap();
    e.ws.set_status(n, Status::Resolved, None).unwrap();
}

fn numbers(index: &SearchIndex, e: &Env, q: &str) -> Vec<i64> {
    let mut n: Vec<i64> = index.search(e.ws.connection(), q, &SearchFilters::default(), 50).unwrap().hits.iter().map(|h| h.number).collect();
    n.sort();
    n
}

fn sample() -> (Env, SearchIndex) {
    let mut e = env("2026-03-02T09:00:00Z");
    ticket(&mut e, "VPN drops every 10 minutes", "Since Monday my VPN connection drops and I lose access to app01.acme.local", "a@acme.test"); // 1
    ticket(&mut e, "Printer offline on 3rd floor", "The printers show offline, jobs stuck in the print queue", "b@acme.test"); // 2
    ticket(&mut e, "서버 다운 - 운영 서버 접속 불가", "운영 서버가 응답이 없습니다. 급해요!", "kim@hanbit.kr"); // 3
    ticket(&mut e, "비밀번호 재설정 메일이 오지 않습니다", "비밀번호를 재설정하려고 하는데 메일이 안 와요", "lee@hanbit.kr"); // 4
    ticket(&mut e, "Nie dostaję maila do resetu hasła", "Kliknąłem 'nie pamiętam hasła', ale mail z linkiem nie przychodzi", "jan@serwery.app"); // 5
    ticket(&mut e, "Crash 0xC0000005 on startup", "The app crashes with error 0xc0000005 after the update", "c@acme.test"); // 6
    let index = SearchIndex::open(&e.ws.data_dir()).unwrap();
    index.sync(e.ws.connection()).unwrap();
    (e, index)
}

#[test]
fn english_words_are_stemmed_and_all_must_match() {
    let (e, index) = sample();
    assert_eq!(numbers(&index, &e, "vpn"), vec![1]);
    assert_eq!(numbers(&index, &e, "dropping VPN"), vec![1], "stemming: dropping ~ drops");
    assert_eq!(numbers(&index, &e, "printer"), vec![2]);
    assert_eq!(numbers(&index, &e, "vpn printer"), Vec::<i64>::new(), "all words must match");
    assert_eq!(numbers(&index, &e, "app01.acme.local"), vec![1], "host names");
    assert_eq!(numbers(&index, &e, "0xc0000005"), vec![6], "codes");
}

#[test]
fn korean_finds_inflected_forms_without_a_dictionary() {
    let (e, index) = sample();
    assert_eq!(numbers(&index, &e, "서버"), vec![3], "서버 finds 서버가");
    assert_eq!(numbers(&index, &e, "서버 다운"), vec![3]);
    assert_eq!(numbers(&index, &e, "비밀번호 재설정"), vec![4], "finds 비밀번호를 재설정");
    assert_eq!(numbers(&index, &e, "재설정"), vec![4]);
}

#[test]
fn polish_is_stemmed_and_diacritics_fold() {
    let (e, index) = sample();
    assert_eq!(numbers(&index, &e, "hasło"), vec![5]);
    assert_eq!(numbers(&index, &e, "haslo"), vec![5], "haslo finds hasło");
    assert_eq!(numbers(&index, &e, "hasła reset"), vec![5]);
}

#[test]
fn phrases_exclusions_and_filters() {
    let (mut e, index) = sample();
    assert_eq!(numbers(&index, &e, r#""print queue""#), vec![2]);
    assert_eq!(numbers(&index, &e, r#""queue print""#), Vec::<i64>::new(), "a phrase keeps its order");
    assert_eq!(numbers(&index, &e, "offline -printer"), Vec::<i64>::new());
    assert_eq!(numbers(&index, &e, "crash -vpn"), vec![6]);
    // An excluded phrase whose words are all in one field but never side by side (its scorer
    // starts exhausted): tantivy's phrase scorer once tripped its own assertion here.
    assert_eq!(numbers(&index, &e, r#"crash -"hanbit kim""#), vec![6]);
    assert_eq!(numbers(&index, &e, r#"crash -"test acme""#), vec![6]);
    assert_eq!(numbers(&index, &e, r#"crash -"acme test""#), Vec::<i64>::new(), "the phrase is in #6's requester");
    e.ws.set_status(1, Status::Pending, None).unwrap();
    e.ws.set_priority(6, Priority::Urgent).unwrap();
    e.ws.set_tags(2, &["hardware".into()]).unwrap();
    index.catch_up(e.ws.connection()).unwrap();
    assert_eq!(numbers(&index, &e, "status:pending"), vec![1]);
    assert_eq!(numbers(&index, &e, "priority:urgent crash"), vec![6]);
    assert_eq!(numbers(&index, &e, "tag:hardware"), vec![2]);
    assert_eq!(numbers(&index, &e, "requester:hanbit.kr"), vec![3, 4]);
    assert_eq!(numbers(&index, &e, "assignee:none vpn"), vec![1]);
    assert_eq!(numbers(&index, &e, "after:2026-03-01 before:2026-03-03 vpn"), vec![1]);
    assert_eq!(numbers(&index, &e, "before:2026-03-01 vpn"), Vec::<i64>::new());
    // Filters from the UI combine without changing the ranking.
    let plain = index.search(e.ws.connection(), "offline", &SearchFilters::default(), 10).unwrap();
    let filtered = index.search(e.ws.connection(), "offline", &SearchFilters { statuses: vec![Status::New], ..Default::default() }, 10).unwrap();
    assert_eq!(plain.hits[0].score, filtered.hits[0].score);
}

#[test]
fn results_carry_highlights_from_the_text_in_sqlite() {
    let (e, index) = sample();
    let r = index.search(e.ws.connection(), "queue", &SearchFilters::default(), 10).unwrap();
    let hit = &r.hits[0];
    assert_eq!(hit.number, 2);
    let (a, b) = hit.snippet.highlights[0];
    assert_eq!(&hit.snippet.text[a..b], "queue");
    let r = index.search(e.ws.connection(), "printer", &SearchFilters::default(), 10).unwrap();
    let (a, b) = r.hits[0].subject_highlights[0];
    assert_eq!(&r.hits[0].subject[a..b], "Printer");
    let r = index.search(e.ws.connection(), "서버", &SearchFilters::default(), 10).unwrap();
    assert!(!r.hits[0].subject_highlights.is_empty(), "Korean highlights too");
}

#[test]
fn odd_queries_answer_and_never_fail() {
    let (e, index) = sample();
    let long = "vpn ".repeat(3000);
    for q in [
        "",
        "   ",
        "the a of",
        "\"",
        "\"vpn",
        "vpn\"",
        "a:b:c",
        "colour:blue",
        ":::",
        "-",
        "--vpn",
        "🙂🙃",
        "서버 vpn hasło",
        "\u{0000}\u{0007}",
        long.as_str(),
        "status:",
        "tag:\"",
        "((vpn",
        "vpn AND OR NOT",
        "*",
        "?",
    ] {
        let r = index.search(e.ws.connection(), q, &SearchFilters::default(), 10);
        assert!(r.is_ok(), "{q:?}: {r:?}");
    }
    let r = index.search(e.ws.connection(), "colour:blue vpn", &SearchFilters::default(), 10).unwrap();
    assert!(!r.notes.is_empty());
    let r = index.search(e.ws.connection(), "\"vpn", &SearchFilters::default(), 10).unwrap();
    assert_eq!(r.hits.len(), 1);
    assert!(!r.notes.is_empty());
}

#[test]
fn similar_solved_tickets_come_with_their_fix() {
    let mut e = env("2026-03-02T09:00:00Z");
    let a = ticket(&mut e, "VPN drops every 10 minutes", "My VPN connection keeps dropping, peer not responding", "a@acme.test");
    solve(&mut e, a, "Raise the keepalive to 25 seconds in the VPN profile and re-import it.");
    // The same problem in the same words: only the marked solution tells them apart.
    let b = ticket(&mut e, "VPN drops every 10 minutes", "My VPN connection keeps dropping, peer not responding", "b@acme.test");
    e.ws.add_message(b, &NewMessage::new(MessageKind::Public, "Which client version?")).unwrap();
    let note = e.ws.add_message(b, &NewMessage::new(MessageKind::Internal, "Fix: new VPN profile with keepalive 25 s")).unwrap();
    e.ws.mark_solution(b, note.id).unwrap();
    e.ws.add_message(b, &NewMessage::new(MessageKind::Public, "Please re-import the profile")).unwrap();
    e.ws.set_status(b, Status::Resolved, None).unwrap();
    let c = ticket(&mut e, "Printer offline", "Printer shows offline", "c@acme.test");
    solve(&mut e, c, "Re-add the printer from the print server.");
    let open = ticket(&mut e, "VPN keeps dropping", "my vpn drops all the time, peer not responding", "d@acme.test");
    let open2 = ticket(&mut e, "VPN drops too", "vpn drops, peer not responding", "f@acme.test");

    let index = SearchIndex::open(&e.ws.data_dir()).unwrap();
    index.sync(e.ws.connection()).unwrap();
    let similar = index.similar(e.ws.connection(), open, 5).unwrap();
    let found: Vec<i64> = similar.iter().map(|s| s.number).collect();
    assert!(found.contains(&a) && found.contains(&b), "{found:?}");
    assert!(!found.contains(&open) && !found.contains(&open2), "only solved tickets, never itself: {found:?}");
    assert_eq!(similar[0].number, b, "the reference solution ranks first");
    let fix_b = similar.iter().find(|s| s.number == b).unwrap().fix.clone().unwrap();
    assert!(fix_b.marked && fix_b.body.contains("keepalive 25 s"), "the marked note is the fix: {fix_b:?}");
    let fix_a = similar.iter().find(|s| s.number == a).unwrap().fix.clone().unwrap();
    assert!(!fix_a.marked && fix_a.body.starts_with("Raise the keepalive"), "else the last public reply: {fix_a:?}");
    assert!(similar.iter().all(|s| s.resolved_at.is_some()));
    // Why each matched: the shared words as the similar ticket writes them, its subject's
    // first (not "my", "all", "the"), and where they are in its subject.
    let why = similar.iter().find(|s| s.number == a).unwrap();
    let mut head = why.matched[..2].to_vec();
    head.sort();
    assert_eq!(head, vec!["drops", "vpn"], "the subject's words first: {:?}", why.matched);
    assert!(why.matched.contains(&"drops".to_string()) && why.matched.contains(&"vpn".to_string()), "{:?}", why.matched);
    assert!(!why.matched.iter().any(|w| ["my", "all", "the"].contains(&w.as_str())), "{:?}", why.matched);
    let marked: Vec<&str> = why.subject_highlights.iter().map(|&(x, y)| &why.subject[x..y]).collect();
    assert_eq!(marked, vec!["VPN", "drops"], "{:?}", why.subject_highlights);
    // From a draft's text too.
    let draft = index.similar_to_text(e.ws.connection(), "printer", "printer offline again", None, 3).unwrap();
    assert_eq!(draft[0].number, c);
}

#[test]
fn what_agents_say_of_suggestions_moves_them() {
    use casebook::events::Verdict;
    let mut e = env("2026-03-02T09:00:00Z");
    let a = ticket(&mut e, "Outlook asks for the password again", "Outlook keeps asking for my password", "a@acme.test");
    solve(&mut e, a, "Clear the saved credentials in Credential Manager.");
    let b = ticket(&mut e, "Outlook asks for the password again", "Outlook keeps asking for my password", "b@acme.test");
    solve(&mut e, b, "Remove the old account profile and add it again.");
    let c = ticket(&mut e, "Outlook password prompt", "Outlook asks for the password every hour", "c@acme.test");
    solve(&mut e, c, "Turn on modern authentication.");
    let first = ticket(&mut e, "Outlook asks for my password", "Outlook keeps asking for the password", "d@acme.test");
    let index = SearchIndex::open(&e.ws.data_dir()).unwrap();
    index.sync(e.ws.connection()).unwrap();
    let order = |e: &Env, n: i64| -> Vec<i64> { index.similar(e.ws.connection(), n, 5).unwrap().iter().map(|s| s.number).collect() };
    // The same words tie; the lower number goes first.
    assert_eq!(order(&e, first)[..2], [a, b]);
    // b's fix helped with this ticket: it says so on b's card, and b now leads for the next
    // ticket like it.
    e.ws.similar_feedback(first, b, Verdict::FixInserted).unwrap();
    e.ws.similar_feedback(first, b, Verdict::Helpful).unwrap();
    let later = ticket(&mut e, "Outlook asks for my password", "Outlook keeps asking for the password", "f@acme.test");
    index.sync(e.ws.connection()).unwrap();
    let cards = index.similar(e.ws.connection(), first, 5).unwrap();
    assert_eq!(cards.iter().find(|s| s.number == b).unwrap().helpful, Some(true));
    assert_eq!(order(&e, later)[..2], [b, a]);
    // a did not help with `later`: not suggested for it again, still for others.
    e.ws.similar_feedback(later, a, Verdict::NotHelpful).unwrap();
    index.sync(e.ws.connection()).unwrap();
    assert!(!order(&e, later).contains(&a));
    assert!(order(&e, first).contains(&a));
    // The dashboard counts the tickets that used a suggested fix and the votes.
    let stats = e.ws.stats(&Default::default()).unwrap();
    assert_eq!((stats.suggestions.fixes_inserted.count, stats.suggestions.helpful.count, stats.suggestions.not_helpful.count), (1, 1, 1));
    assert_eq!(e.ws.tickets_behind(&Default::default(), &stats.suggestions.fixes_inserted.key).unwrap(), vec![first]);
    // Bad input changes nothing.
    assert!(e.ws.similar_feedback(first, first, Verdict::Helpful).is_err());
    assert!(e.ws.similar_feedback(first, later, Verdict::Helpful).unwrap_err().to_string().contains("only a solved ticket"));
    assert!(e.ws.similar_feedback(first, 9999, Verdict::Helpful).is_err());
}

#[test]
fn german_tickets_find_german_fixes_first() {
    let mut e = env("2026-03-02T09:00:00Z");
    let de = ticket(&mut e, "Drucker druckt nicht", "Der Drucker im zweiten Stock druckt seit gestern nicht mehr, Papierstau", "a@acme.test");
    solve(&mut e, de, "Papierstau in Fach 2 entfernt, Drucker neu gestartet.");
    let en = ticket(&mut e, "Printer not printing", "The printer on the second floor stopped printing, Drucker model HP 4250", "b@acme.test");
    solve(&mut e, en, "Cleared the paper jam.");
    let pl = ticket(&mut e, "Drukarka nie drukuje", "Drukarka na drugim piętrze nie drukuje od wczoraj", "c@acme.test");
    solve(&mut e, pl, "Usunięto zacięty papier.");
    // German inflections meet through the German stemmer ("druckt"/"drucken", "Papierstaus").
    let asked =
        ticket(&mut e, "Unser Drucker druckt nicht", "Seit heute Morgen kommt beim Drucken nichts heraus, wieder ein Papierstau", "d@acme.test");
    let index = SearchIndex::open(&e.ws.data_dir()).unwrap();
    index.sync(e.ws.connection()).unwrap();
    let found: Vec<i64> = index.similar(e.ws.connection(), asked, 5).unwrap().iter().map(|s| s.number).collect();
    // The German fix first; the English ticket that names the same "Drucker" model after it
    // (a word in common across languages counts, a little); the Polish one shares nothing.
    assert_eq!(found, vec![de, en], "Polish #{pl} is not among them");
    // Search finds German words in their other forms too ("des Druckers").
    let found = numbers(&index, &e, "Druckers");
    assert!(found.contains(&de) && found.contains(&asked), "{found:?}");
}

#[test]
fn changes_become_searchable_after_catch_up_and_the_index_repairs_itself() {
    let (mut e, index) = sample();
    let status = index.status(e.ws.connection()).unwrap();
    assert_eq!(status.problem, None, "{status:?}");
    let n = ticket(&mut e, "Keyboard sticky keys", "the K key sticks", "x@acme.test");
    assert!(index.status(e.ws.connection()).unwrap().problem.is_some());
    assert_eq!(numbers(&index, &e, "keyboard"), Vec::<i64>::new());
    assert_eq!(index.catch_up(e.ws.connection()).unwrap(), 1);
    assert_eq!(numbers(&index, &e, "keyboard"), vec![n]);
    e.ws.add_message(n, &NewMessage::new(MessageKind::Internal, "replace the keyboard model LX-300")).unwrap();
    index.catch_up(e.ws.connection()).unwrap();
    assert_eq!(numbers(&index, &e, "LX-300"), vec![n], "notes are searchable");
    drop(index);

    // Deleted while closed: rebuilt on the next open.
    let dir = e.ws.data_dir().join("index");
    std::fs::remove_dir_all(&dir).unwrap();
    let index = SearchIndex::open(&e.ws.data_dir()).unwrap();
    assert!(index.status(e.ws.connection()).unwrap().problem.is_some());
    let report = index.sync(e.ws.connection()).unwrap();
    assert!(report.rebuilt);
    assert_eq!(numbers(&index, &e, "keyboard"), vec![n]);
    drop(index);

    // Truncated files: rebuilt, not a crash.
    for entry in walk(&dir) {
        if entry.extension().is_some_and(|x| x == "json") || entry.file_name().is_some_and(|n| n == "meta.json") {
            std::fs::write(&entry, b"{ not json").unwrap();
        }
    }
    let index = SearchIndex::open(&e.ws.data_dir()).unwrap();
    assert!(index.sync(e.ws.connection()).unwrap().rebuilt);
    assert_eq!(numbers(&index, &e, "keyboard"), vec![n]);
    let s = index.status(e.ws.connection()).unwrap();
    assert_eq!((s.problem, s.documents as i64), (None, s.tickets));
}

#[test]
fn the_indexer_thread_makes_changes_searchable_without_being_asked_to_search() {
    use std::sync::Arc;
    let (mut e, index) = sample();
    let index = Arc::new(index);
    let indexer = casebook::search::Indexer::start(e.db(), index.clone(), |_| {}, |err| panic!("{err}")).unwrap();
    let n = ticket(&mut e, "Projector flickers", "The projector in room 4 flickers", "p@acme.test");
    indexer.notify();
    // Wait (generously: the machine is shared) until the writer thread has applied it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while numbers(&index, &e, "projector").is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(numbers(&index, &e, "projector"), vec![n]);
    // A change nobody announces is picked up by the writer's timer.
    e.ws.add_message(n, &NewMessage::new(MessageKind::Internal, "bulb model ZX-90")).unwrap();
    while numbers(&index, &e, "ZX-90").is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(numbers(&index, &e, "ZX-90"), vec![n]);
    indexer.stop();
    assert_eq!(index.status(e.ws.connection()).unwrap().problem, None);
}
