//! Tickets from a spreadsheet: a column mapping, EN/KO/PL text, and all or nothing with the
//! bad line and field named.

use crate::common::{env, fingerprint, ts};
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
    let numbers = e.ws.import_csv(&file, &mapping(), &Default::default()).unwrap();
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
        (SHEET.replace(",low,", ",whenever,"), "line 4 (priority)"),
        (SHEET.replace("Title,", "Heading,"), "no column 'Title' for subject"),
        (format!("{SHEET}one,too,few\n"), "line 5"),
    ];
    for (i, (sheet, words)) in cases.iter().enumerate() {
        let file = e.dir.path().join(format!("bad{i}.csv"));
        std::fs::write(&file, sheet).unwrap();
        let err = e.ws.import_csv(&file, &mapping(), &Default::default()).unwrap_err();
        assert!(err.to_string().contains(words), "case {i}: {err}");
    }
    assert!(parse_mapping(&["colour=Red".to_string()]).is_err());
    assert!(parse_mapping(&["subject".to_string()]).is_err());
    assert_eq!(before, fingerprint(&e.db()));
}

/// A typical helpdesk export: solved tickets with their fix, their own times and assignee, a
/// `type` column of another system's categories, no requester column, a row without a
/// subject. With the options a team moving from a spreadsheet needs, it loads, and "similar
/// solved tickets" finds the fixes on day one.
const EXPORT: &str = "\
Ticket,Title,Description,Customer,Status,Resolution,Fix,Created,Solved,Agent,Type
101,VPN drops every 10 minutes,Since Monday the VPN drops every ten minutes,Kim Jiho,solved,,Raise the keepalive to 25 s in the VPN profile,2025-11-03 09:00,2025-11-03 15:30,jan@support.example,Incident
102,,Printer on floor 3 shows offline since the move,Lee Sujin,closed,solved,Re-add the printer from the print server,2025-11-04,2025-11-05 10:00,jan@support.example,Incident
103,Refund for order 1234,I was charged twice for order 1234,Anna Nowak,open,,,2025-11-06T08:00:00Z,,,Request
";

#[test]
fn a_helpdesk_export_brings_its_solved_tickets_and_their_fixes() {
    use casebook::import_csv::CsvOptions;
    use casebook::model::{MessageKind, Resolution, Role, Status};
    use casebook::search::SearchIndex;
    let mut e = env("2026-03-02T09:00:00Z");
    e.ws.add_agent(&casebook::people::NewAgent {
        name: "Jan Kowalski".into(),
        email: "jan@support.example".into(),
        role: Role::Agent,
        teams: vec![],
        skills: vec![],
    })
    .unwrap();
    let file = e.dir.path().join("export.csv");
    std::fs::write(&file, EXPORT).unwrap();
    let map = parse_mapping(
        &["subject=Title", "body=Description", "requester_name=Customer", "fix=Fix", "created=Created", "solved=Solved", "assignee=Agent"]
            .map(String::from),
    )
    .unwrap();

    // As it was: the type column is read as our ticket type, and nothing names a requester.
    let before = fingerprint(&e.db());
    let err = e.ws.import_csv(&file, &map, &CsvOptions::default()).unwrap_err().to_string();
    assert!(err.contains("no column for requester") && err.contains("--default-requester"), "{err}");
    let opts = CsvOptions { default_requester: Some("someone@acme.test".into()), ..Default::default() };
    let err = e.ws.import_csv(&file, &map, &opts).unwrap_err().to_string();
    assert!(err.contains("line 2 (type): 'Incident' is not a ticket type"), "{err}");
    assert_eq!(before, fingerprint(&e.db()), "refused whole");

    let opts = CsvOptions { ignore: vec!["type".into()], requester_from_name: true, subject_from_body: true, ..Default::default() };
    let numbers = e.ws.import_csv(&file, &map, &opts).unwrap();
    assert_eq!(numbers.len(), 3);
    let vpn = e.ws.ticket_detail(numbers[0]).unwrap();
    assert_eq!((vpn.ticket.status, vpn.ticket.resolution), (Status::Resolved, Some(Resolution::Solved)));
    assert_eq!(vpn.ticket.created_at, ts("2025-11-03T09:00:00Z"));
    assert_eq!(vpn.ticket.resolved_at, Some(ts("2025-11-03T15:30:00Z")));
    assert_eq!(vpn.ticket.assignee.as_ref().map(|a| a.email.as_str()), Some("jan@support.example"));
    assert_eq!(vpn.ticket.requester.email, "kim.jiho@imported.invalid");
    assert_eq!(vpn.ticket.requester.name, "Kim Jiho");
    let fix = vpn.messages.iter().find(|m| m.is_solution).expect("the fix is marked");
    assert_eq!(
        (fix.kind, fix.body.as_str(), fix.author_email.as_deref()),
        (MessageKind::Public, "Raise the keepalive to 25 s in the VPN profile", Some("jan@support.example"))
    );
    assert_eq!(vpn.ticket.first_response_at, Some(ts("2025-11-03T15:30:00Z")));

    let printer = e.ws.ticket(numbers[1]).unwrap();
    assert_eq!(printer.subject, "Printer on floor 3 shows offline since the move", "the body's first words");
    assert_eq!((printer.status, printer.resolution), (Status::Closed, Some(Resolution::Solved)));
    assert_eq!(printer.created_at, ts("2025-11-04T00:00:00Z"));
    let refund = e.ws.ticket(numbers[2]).unwrap();
    assert_eq!((refund.status, refund.ticket_type.as_str()), (Status::Open, "Technical"));

    // History is not news: no rule acted and no alert was raised on it.
    assert!(e.ws.alerts(&Default::default()).unwrap().is_empty());
    assert!(e.ws.history(numbers[0]).unwrap().iter().all(|ev| !ev.actor.starts_with("rule:")));

    // Day one: a new VPN ticket finds the imported fix.
    let new = e.ticket("VPN keeps dropping", casebook::model::Priority::High);
    let index = SearchIndex::open(&e.ws.data_dir()).unwrap();
    index.sync(e.ws.connection()).unwrap();
    let similar = index.similar(e.ws.connection(), new, 5).unwrap();
    assert_eq!(similar.first().map(|s| s.number), Some(numbers[0]), "{similar:?}");
    assert!(similar[0].fix.as_ref().is_some_and(|f| f.marked && f.body.contains("keepalive")));
    let check = casebook::events::replay::check(&e.db()).unwrap();
    assert!(check.ok(), "{:#?}", check.differences);

    // A time in the future, or a status the machine cannot reach, names the line.
    let future = EXPORT.replace("2025-11-06T08:00:00Z", "2027-01-01T08:00:00Z");
    std::fs::write(&file, future).unwrap();
    let err = e.ws.import_csv(&file, &map, &opts).unwrap_err().to_string();
    assert!(err.contains("line 4") && err.contains("future"), "{err}");
    let bad_status = EXPORT.replace(",open,", ",archived,");
    std::fs::write(&file, bad_status).unwrap();
    let err = e.ws.import_csv(&file, &map, &opts).unwrap_err().to_string();
    assert!(err.contains("line 4 (status)"), "{err}");
}
