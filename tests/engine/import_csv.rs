//! Tickets from a spreadsheet: a column mapping, EN/KO/PL text, and all or nothing with the
//! bad line and field named.

use crate::common::{env, fingerprint};
use casebook::import_csv::parse_mapping;

const SHEET: &str = "\
Title,Description,E-mail,Name,Company,Prio,Labels
VPN drops every 10 minutes,\"Since Monday, every 10 minutes.\",kim.jiho@acme.kr,Kim Jiho,Acme,high,vpn;network
프린터 오류,3층 프린터가 응답하지 않습니다,lee@acme.kr,이수진,Acme,medium,printer
Drukarka nie działa,Od rana nie drukuje,anna@firma.pl,Anna Nowak,Firma,low,
";

fn mapping() -> std::collections::HashMap<String, String> {
    parse_mapping(
        &["subject=Title", "body=Description", "requester=E-mail", "requester_name=Name", "organisation=Company", "priority=Prio", "tags=Labels"]
            .map(String::from),
    )
    .unwrap()
}

#[test]
fn a_spreadsheet_becomes_tickets_through_the_mapping() {
    let mut e = env("2026-03-02T09:00:00Z");
    let file = e.dir.path().join("sheet.csv");
    std::fs::write(&file, SHEET).unwrap();
    let numbers = e.ws.import_csv(&file, &mapping()).unwrap();
    assert_eq!(numbers, vec![1, 2, 3]);
    let t = e.ws.ticket(1).unwrap();
    assert_eq!(
        (t.subject.as_str(), t.priority.as_str(), t.tags.clone()),
        ("VPN drops every 10 minutes", "high", vec!["network".to_string(), "vpn".into()])
    );
    assert_eq!(t.description, "Since Monday, every 10 minutes.");
    assert_eq!(e.ws.ticket(2).unwrap().requester.name, "이수진");
    assert_eq!(e.ws.ticket(3).unwrap().requester.organisation.as_deref(), Some("Firma"));
}

#[test]
fn a_bad_line_is_named_and_nothing_is_imported() {
    let mut e = env("2026-03-02T09:00:00Z");
    let before = fingerprint(&e.db());
    let cases = [
        (SHEET.replace("Drukarka nie działa", ""), "line 4 (subject)"),
        (SHEET.replace("lee@acme.kr", "not-an-email"), "line 3 (requester)"),
        (SHEET.replace(",low,", ",whenever,"), "line 4, priority"),
        (SHEET.replace("Title,", "Heading,"), "no column 'Title' for subject"),
        (format!("{SHEET}one,too,few\n"), "line 5"),
    ];
    for (i, (sheet, words)) in cases.iter().enumerate() {
        let file = e.dir.path().join(format!("bad{i}.csv"));
        std::fs::write(&file, sheet).unwrap();
        let err = e.ws.import_csv(&file, &mapping()).unwrap_err();
        assert!(err.to_string().contains(words), "case {i}: {err}");
    }
    assert!(parse_mapping(&["colour=Red".to_string()]).is_err());
    assert!(parse_mapping(&["subject".to_string()]).is_err());
    assert_eq!(before, fingerprint(&e.db()));
}
