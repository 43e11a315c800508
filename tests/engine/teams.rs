//! Teams, roles and who sees what (PRODUCT O3): an agent sees their teams' tickets and those of
//! no team, nowhere anything else (views, counts, a ticket by number, changes, search, similar
//! tickets, alerts, the dashboard); an admin sees all; settings, rules and SLA policies need an
//! admin. Enforced in the engine, so the command line's `--as` obeys it too.

use crate::common::{env, Env};
use casebook::model::{MessageKind, NewMessage, NewTicket, Resolution, Role, Status};
use casebook::people::NewAgent;
use casebook::search::{SearchFilters, SearchIndex};
use casebook::sla::SlaSettings;
use casebook::stats::StatsQuery;
use casebook::views::{Filters, ViewQuery};
use casebook::Error;

fn ticket(e: &mut Env, subject: &str, team: Option<&str>) -> i64 {
    let n =
        e.ws.create_ticket(&NewTicket {
            subject: subject.into(),
            description: format!("{subject}: the customer says it is urgent"),
            requester_email: "kim@acme.kr".into(),
            ..Default::default()
        })
        .unwrap()
        .number;
    e.ws.set_team(n, team).unwrap();
    n
}

/// Technical and Billing; Jiho (agent, Technical), Anna (agent, Billing), Mina the admin.
fn office() -> (Env, i64, i64, i64) {
    let mut e = env("2026-03-02T09:00:00Z");
    e.ws.add_team("Technical", None).unwrap();
    e.ws.add_team("Billing", None).unwrap();
    for (name, email, team) in [("Jiho Kim", "jiho@acme.test", "Technical"), ("Anna Kowalska", "anna@acme.test", "Billing")] {
        e.ws.add_agent(&NewAgent { name: name.into(), email: email.into(), role: Role::Agent, teams: vec![team.into()], skills: vec![] }).unwrap();
    }
    let tech = ticket(&mut e, "VPN drops every hour", Some("Technical"));
    let billing = ticket(&mut e, "Invoice VPN charge is wrong", Some("Billing"));
    let nobody = ticket(&mut e, "VPN question from a new customer", None);
    (e, tech, billing, nobody)
}

fn numbers(e: &Env) -> Vec<i64> {
    let mut n: Vec<i64> = e.ws.list(&ViewQuery::default(), None, 100).unwrap().rows.iter().map(|r| r.number).collect();
    n.sort();
    n
}

#[test]
fn an_agent_sees_their_teams_and_unteamed_tickets_and_nothing_else() {
    let (mut e, tech, billing, nobody) = office();
    let index = SearchIndex::open(&e.ws.data_dir()).unwrap();
    index.sync(e.ws.connection()).unwrap();
    assert_eq!(numbers(&e), [tech, billing, nobody], "the admin sees all");

    e.ws.act_as("jiho@acme.test").unwrap();
    assert_eq!(numbers(&e), [tech, nobody]);
    assert_eq!(e.ws.count(&Filters::default()).unwrap(), 2);
    let all = e.ws.view_counts().unwrap().into_iter().find(|v| v.name == "all").unwrap();
    assert_eq!(all.count, 2);
    assert!(matches!(e.ws.ticket(billing), Err(Error::NotFound { .. })), "a ticket by number");
    assert!(matches!(e.ws.ticket_detail(billing), Err(Error::NotFound { .. })));
    assert!(matches!(e.ws.history(billing), Err(Error::NotFound { .. })));
    assert!(e.ws.add_message(billing, &NewMessage::new(MessageKind::Internal, "peek")).is_err(), "nor changed");
    assert!(e.ws.set_status(billing, Status::Pending, None).is_err());
    let hits: Vec<i64> = index.search(e.ws.connection(), "vpn", &SearchFilters::default(), 20).unwrap().hits.iter().map(|h| h.number).collect();
    assert!(!hits.contains(&billing) && hits.contains(&tech) && hits.contains(&nobody), "{hits:?}");
    assert_eq!(index.search(e.ws.connection(), "vpn", &SearchFilters::default(), 20).unwrap().total, 2);
    // The dashboard counts what they see.
    assert_eq!(e.ws.stats(&StatsQuery::default()).unwrap().headline.created, 2);
    // Alerts: the keyword alert on the Billing ticket is not theirs.
    let alerted: Vec<i64> = e.ws.alerts(&Default::default()).unwrap().iter().map(|a| a.ticket_number).collect();
    assert!(!alerted.contains(&billing), "{alerted:?}");
    assert!(!alerted.is_empty(), "their own tickets' alerts are there");
    // Nor does this desktop pop up a notification for it.
    let plan = e.ws.plan_delivery().unwrap();
    assert!(plan.notices.iter().all(|n| n.ticket_number != Some(billing) && !n.body.contains(&format!("#{billing}"))), "{:?}", plan.notices);
    assert!(!plan.notices.is_empty());

    // Anna sees Billing's, not Technical's.
    e.ws.act_as("anna@acme.test").unwrap();
    assert_eq!(numbers(&e), [billing, nobody]);
    // Joining Technical shows its tickets at once.
    e.ws.act_as("mina@acme.test").unwrap();
    e.ws.join_team("anna@acme.test", "Technical").unwrap();
    e.ws.act_as("anna@acme.test").unwrap();
    assert_eq!(numbers(&e), [tech, billing, nobody]);
}

#[test]
fn similar_tickets_come_only_from_what_the_agent_sees() {
    let (mut e, tech, billing, _) = office();
    e.ws.set_status(billing, Status::Resolved, Some(Resolution::Solved)).unwrap();
    let solved_tech = ticket(&mut e, "Hourly VPN tunnel disconnects on laptops", Some("Technical"));
    e.ws.set_status(solved_tech, Status::Resolved, Some(Resolution::Solved)).unwrap();
    let index = SearchIndex::open(&e.ws.data_dir()).unwrap();
    index.sync(e.ws.connection()).unwrap();
    let similar = |e: &Env| index.similar(e.ws.connection(), tech, 10).unwrap().iter().map(|s| s.number).collect::<Vec<_>>();
    assert!(similar(&e).contains(&billing), "the admin: {:?}", similar(&e));
    e.ws.act_as("jiho@acme.test").unwrap();
    let seen = similar(&e);
    assert!(seen.contains(&solved_tech) && !seen.contains(&billing), "{seen:?}");
    e.ws.act_as("anna@acme.test").unwrap();
    assert!(matches!(index.similar(e.ws.connection(), tech, 10), Err(Error::NotFound { .. })), "nor similar to a ticket one may not see");
}

#[test]
fn settings_rules_and_sla_policies_need_an_admin() {
    let (mut e, ..) = office();
    e.ws.act_as("jiho@acme.test").unwrap();
    let refused = |r: casebook::Result<()>| match r {
        Err(Error::Validation { field: "as", message, .. }) => assert!(message.contains("only an admin"), "{message}"),
        other => panic!("not refused: {other:?}"),
    };
    refused(e.ws.set_sla_settings(SlaSettings::default()));
    refused(e.ws.add_ticket_type("Hardware"));
    refused(e.ws.set_alert_settings(e.ws.alert_settings().clone()));
    refused(e.ws.add_team("Sales", None).map(|_| ()));
    let rule = e.ws.rules().unwrap()[0].id.to_string();
    refused(e.ws.set_rule_enabled(&rule, false).map(|_| ()));
    refused(e.ws.delete_rule(&rule));
    // Working tickets is theirs.
    let n = ticket(&mut e, "Printer offline", Some("Technical"));
    e.ws.add_message(n, &NewMessage::new(MessageKind::Public, "On my way")).unwrap();
    e.ws.act_as("mina@acme.test").unwrap();
    e.ws.set_sla_settings(SlaSettings::default()).unwrap();
}

#[test]
fn the_command_line_as_an_agent_sees_what_they_see() {
    let (e, tech, billing, _) = office();
    drop(e.ws);
    let db = e.dir.path().join("ws.db");
    let run = |args: &[&str]| std::process::Command::new(env!("CARGO_BIN_EXE_casebook")).arg("--db").arg(&db).args(args).output().unwrap();
    let list = run(&["--as", "jiho@acme.test", "--json", "list", "--view", "all"]);
    let v: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    let seen: Vec<i64> = v["tickets"].as_array().unwrap().iter().map(|t| t["number"].as_i64().unwrap()).collect();
    assert!(seen.contains(&tech) && !seen.contains(&billing), "{seen:?}");
    let show = run(&["--as", "jiho@acme.test", "show", &billing.to_string()]);
    assert!(!show.status.success());
    assert!(String::from_utf8_lossy(&show.stderr).contains("does not exist"));
    let sla = run(&["--as", "jiho@acme.test", "sla-policy", "--priority", "high", "--first-response-minutes", "5", "--resolution-minutes", "60"]);
    assert!(!sla.status.success() && String::from_utf8_lossy(&sla.stderr).contains("only an admin"));
}
