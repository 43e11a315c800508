//! `casebook init | demo | new | reply | set | snooze | unsnooze | follow-up | claim | merge | link | solution | show | list |
//! views | history | sla`: the workspace and its tickets.

use crate::args::*;
use crate::shared::*;
use casebook::bulk::{BulkChange, BulkOutcome};
use casebook::demo::{self, DemoOptions};
use casebook::model::{MessageKind, NewMessage, NewTicket, Priority, Resolution, Status};
use casebook::views::ViewQuery;
use casebook::{Error, Field, Workspace, WorkspaceInit};
use serde_json::json;

pub(crate) fn run(cx: &Ctx, command: Command) -> anyhow::Result<()> {
    let (db, clock, as_agent, out) = cx.parts();
    match command {
        Command::Init { name, email, workspace } => {
            let ws = Workspace::create(&db, clock, &WorkspaceInit { name: workspace, admin_name: name, admin_email: email })?;
            let admin = ws.acting_agent().cloned();
            out(
                json!({ "db": db, "workspace": ws.info()?, "admin": admin }),
                format!("Created workspace at {} (admin: {})", db.display(), admin.map(|a| a.email).unwrap_or_default()),
            );
        }
        Command::Demo { tickets, seed } => {
            let mut ws = if db.exists() {
                open(&db, clock, as_agent)?
            } else {
                Workspace::create(&db, clock, &WorkspaceInit { name: "Casebook demo".into(), ..Default::default() })?
            };
            let report = demo::generate(&mut ws, DemoOptions::new(tickets, seed))?;
            out(
                serde_json::to_value(&report)?,
                format!(
                    "Added {} demo tickets ({} messages, {} events, {} customers) in {:.1} s to {}",
                    report.tickets,
                    report.messages,
                    report.events,
                    report.customers,
                    report.seconds,
                    db.display()
                ),
            );
        }
        Command::New(a) => {
            let mut ws = open(&db, clock, as_agent)?;
            let t = ws.create_ticket(&NewTicket {
                subject: a.subject,
                description: a.body,
                requester_email: a.requester,
                requester_name: a.requester_name,
                organisation: a.organisation,
                priority: a.priority.as_deref().map(Priority::parse).transpose()?,
                ticket_type: a.ticket_type,
                tags: a.tags,
                channel: None,
                assignee_email: a.assignee,
                team: a.team,
            })?;
            out(serde_json::to_value(&t)?, format!("Created #{} {}", t.number, t.subject));
        }
        Command::Reply { number, body, internal, customer, attachments } => {
            let mut ws = open(&db, clock, as_agent)?;
            let kind = if customer {
                MessageKind::Customer
            } else if internal {
                MessageKind::Internal
            } else {
                MessageKind::Public
            };
            let m = ws.add_message(number, &NewMessage { kind, body, attachments })?;
            let t = ws.ticket(number)?;
            out(json!({ "message": m, "ticket": t }), format!("Added {} to #{number} (now {})", m.kind.label().to_lowercase(), t.status));
        }
        Command::Set { words, view, reason } => {
            let mut ws = open(&db, clock, as_agent)?;
            let reason = reason.as_deref().map(Resolution::parse).transpose()?;
            let (numbers, field, value) = match (&view, words.as_slice()) {
                (Some(v), [field, value]) => (ws.view_numbers(&ws.view_query(v)?.filters)?, field, value),
                (None, [numbers, field, value]) => (ticket_numbers(numbers)?, field, value),
                (Some(_), _) => return Err(Error::validation("set", "with --view, give the field and the value: set --view NAME FIELD VALUE").into()),
                (None, _) => return Err(Error::validation("set", "give the tickets, the field and the value: set N[,M,…] FIELD VALUE").into()),
            };
            match (numbers.as_slice(), view) {
                // One ticket named: the ticket as it is now, as before.
                ([number], None) => {
                    let number = *number;
                    let t = match (Field::parse(field), reason) {
                        (Ok(Field::Status), Some(r)) => ws.set_status(number, Status::parse(value)?, Some(r))?,
                        (_, Some(_)) => return Err(Error::validation("reason", "--reason goes with `set N status resolved|closed`").into()),
                        (Ok(f), None) => ws.set_field(number, f, value)?,
                        (Err(_), None) => {
                            let change = BulkChange::parse(field, value, None, ws.acting_agent().map(|a| a.email.as_str()))?;
                            bulk_result(&ws.bulk_change(&[number], &change)?)?;
                            ws.ticket(number)?
                        }
                    };
                    out(serde_json::to_value(&t)?, ticket_line(&t));
                }
                _ => {
                    let change = BulkChange::parse(field, value, reason, ws.acting_agent().map(|a| a.email.as_str()))?;
                    let outcome = ws.bulk_change(&numbers, &change)?;
                    out(serde_json::to_value(&outcome)?, bulk_text(field, &outcome));
                }
            }
        }
        Command::Snooze { number, until } => {
            let mut ws = open(&db, clock, as_agent)?;
            let until = casebook::snooze::parse_when(&until, ws.now(), &chrono::Local)?;
            let t = ws.snooze(number, until)?;
            let local = until.with_timezone(&chrono::Local).format("%a %Y-%m-%d %H:%M");
            out(json!({ "ticket": t, "snoozed_until": until }), format!("Snoozed #{number} until {local}"));
        }
        Command::Unsnooze { number } => {
            let mut ws = open(&db, clock, as_agent)?;
            let t = ws.unsnooze(number)?;
            out(json!({ "ticket": t }), format!("#{number} is back in the views"));
        }
        Command::FollowUp { number, if_no_reply_by, cancel } => {
            let mut ws = open(&db, clock, as_agent)?;
            let at = match (if_no_reply_by, cancel) {
                (Some(when), false) => Some(casebook::snooze::parse_when(&when, ws.now(), &chrono::Local)?),
                _ => None,
            };
            let t = ws.follow_up(number, at)?;
            let text = match at {
                Some(at) => format!(
                    "Follow-up on #{number}: a reminder {} unless the customer answers first",
                    at.with_timezone(&chrono::Local).format("%a %Y-%m-%d %H:%M")
                ),
                None => format!("No follow-up on #{number}"),
            };
            out(json!({ "ticket": t, "follow_up_at": at }), text);
        }
        Command::Claim { number } => {
            let mut ws = open(&db, clock, as_agent)?;
            let t = ws.claim(number)?;
            out(serde_json::to_value(&t)?, ticket_line(&t));
        }
        Command::Merge { tickets, into } => {
            let mut ws = open(&db, clock, as_agent)?;
            match ticket_numbers(&tickets)?.as_slice() {
                // One ticket: the original as it is now, as before.
                [number] => {
                    let t = ws.merge(*number, into)?;
                    out(json!({ "merged": number, "into": t }), format!("Merged #{number} into #{}", t.number));
                }
                numbers => {
                    let outcome = ws.bulk_merge(numbers, into)?;
                    let merged = outcome.changed.iter().map(|n| format!("#{n}")).collect::<Vec<_>>().join(", ");
                    let mut text = if merged.is_empty() { format!("Merged nothing into #{into}") } else { format!("Merged {merged} into #{into}") };
                    for s in &outcome.skipped {
                        text.push_str(&format!("\nskipped #{}: {}", s.number, s.reason));
                    }
                    out(serde_json::to_value(&outcome)?, text);
                }
            }
        }
        Command::Link { number, related } => {
            let mut ws = open(&db, clock, as_agent)?;
            ws.link(number, related)?;
            out(json!({ "linked": [number, related] }), format!("Linked #{number} and #{related}"));
        }
        Command::Solution { number, message } => {
            let mut ws = open(&db, clock, as_agent)?;
            let id = uuid::Uuid::parse_str(message.trim()).map_err(|_| Error::validation("message", format!("'{message}' is not a message id")))?;
            ws.mark_solution(number, id)?;
            out(json!({ "ticket": number, "solution": id }), format!("Marked {id} as the fix of #{number}"));
        }
        Command::Show { number } => {
            let ws = open(&db, clock, as_agent)?;
            let d = ws.ticket_detail(number)?;
            let mut text = ticket_header(&d.ticket, &d.sla);
            for m in &d.messages {
                let from = if m.ticket_number != number { format!(" (from #{})", m.ticket_number) } else { String::new() };
                let fix = if m.is_solution { " ✓ fix" } else { "" };
                text.push_str(&format!(
                    "\n── {} · {} · {}{from}{fix} · {}\n{}\n",
                    m.author_name,
                    m.kind.label(),
                    m.created_at.format("%Y-%m-%d %H:%M"),
                    m.id,
                    m.body
                ));
                for a in &m.attachments {
                    text.push_str(&format!("   📎 {} ({} bytes) {}\n", a.filename, a.size, a.stored_path));
                }
            }
            for l in &d.links {
                text.push_str(&format!("\n{} #{} {} [{}]", l.kind.label(), l.number, l.subject, l.status));
            }
            for c in &d.conflicts {
                text.push_str(&format!("\nconflict ({}): {}", c.at.format("%Y-%m-%d %H:%M"), c.text));
            }
            out(serde_json::to_value(&d)?, text);
        }
        Command::List(a) => {
            let ws = open(&db, clock, as_agent)?;
            let mut query = match &a.view {
                Some(v) => ws.view_query(v)?,
                None => ViewQuery::default(),
            };
            apply_filters(&mut query, &a.filters, a.view.is_none())?;
            let page = ws.list(&query, a.after.as_deref(), a.limit)?;
            let total = ws.count(&query.filters)?;
            let mut text: Vec<String> = page.rows.iter().map(row_line).collect();
            if page.rows.is_empty() {
                text.push("No tickets.".into());
            }
            text.push(format!(
                "{} of {total}{}",
                page.rows.len(),
                page.next.as_ref().map(|c| format!(" · next page: --after {c}")).unwrap_or_default()
            ));
            out(json!({ "tickets": page.rows, "total": total, "next": page.next }), text.join("\n"));
        }
        Command::Views { action } => {
            let mut ws = open(&db, clock, as_agent)?;
            match action {
                None => {
                    let counts = ws.view_counts()?;
                    let text = counts.iter().map(|c| format!("{:<20} {:>7}  {}", c.name, c.count, c.label)).collect::<Vec<_>>().join("\n");
                    out(serde_json::to_value(&counts)?, text);
                }
                Some(ViewAction::Save { name, filters, shared }) => {
                    let mut q = ViewQuery::default();
                    apply_filters(&mut q, &filters, true)?;
                    let v = ws.save_view(&name, &q, shared)?;
                    out(serde_json::to_value(&v)?, format!("Saved view '{}' ({})", v.name, if v.shared { "shared" } else { "personal" }));
                }
                Some(ViewAction::Delete { name }) => {
                    ws.delete_view(&name)?;
                    out(json!({ "deleted": name }), format!("Deleted view '{name}'"));
                }
            }
        }
        Command::History { number } => {
            let ws = open(&db, clock, as_agent)?;
            let events = ws.history(number)?;
            let text = events
                .iter()
                .map(|e| format!("{}  {:<28} {:<24} {}", e.at.format("%Y-%m-%d %H:%M:%S"), e.actor, e.kind, summarise(&e.payload)))
                .collect::<Vec<_>>()
                .join("\n");
            out(serde_json::to_value(&events)?, text);
        }
        Command::Sla { number: Some(number) } => {
            let ws = open(&db, clock, as_agent)?;
            let t = ws.ticket(number)?;
            let s = ws.sla_status(number)?;
            out(json!({ "number": number, "status": t.status, "priority": t.priority, "sla": s }), ticket_header(&t, &s));
        }
        Command::Sla { number: None } => {
            let ws = open(&db, clock, as_agent)?;
            let settings = ws.sla_settings().clone();
            let rows = ws.needs_attention()?;
            let mut text = String::from("SLA policies (first response / resolution):\n");
            for p in &settings.policies {
                text.push_str(&format!(
                    "  {:<7} {:>10} / {}\n",
                    p.priority.label(),
                    minutes(p.first_response_minutes),
                    minutes(p.resolution_minutes)
                ));
            }
            text.push_str(&format!(
                "  at risk at {:.0}% of a target; {}\n\n",
                settings.at_risk_share * 100.0,
                match &settings.business_hours {
                    Some(b) => format!("business hours in {}", b.time_zone),
                    None => "the clock runs around the clock".into(),
                }
            ));
            text.push_str(&format!("{} tickets need attention:\n", rows.len()));
            for r in &rows {
                text.push_str(&format!(
                    "  #{:<6} {:<9} {:<7} due {}\n",
                    r.number,
                    r.state.as_str(),
                    r.priority.label(),
                    r.due_at.map(|d| d.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default(),
                ));
            }
            out(json!({ "settings": settings, "attention": rows }), text);
        }
        _ => unreachable!("main sends only its own commands here"),
    }
    Ok(())
}

/// Ticket numbers as a script writes them: `12`, `#12`, `1,2,3`, `10-20`.
pub(crate) fn ticket_numbers(text: &str) -> casebook::Result<Vec<i64>> {
    let bad = |part: &str| Error::validation("tickets", format!("'{part}' is not a ticket number or a range like 10-20"));
    let mut numbers = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let number = |s: &str| s.trim().trim_start_matches('#').parse::<i64>().ok().filter(|n| *n > 0);
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = number(a).zip(number(b)).filter(|(a, b)| a <= b && b - a < 1_000_000).ok_or_else(|| bad(part))?;
                numbers.extend(a..=b);
            }
            None => numbers.push(number(part).ok_or_else(|| bad(part))?),
        }
    }
    if numbers.is_empty() {
        return Err(bad(text));
    }
    Ok(numbers)
}

/// A one-ticket change through the bulk path (add-tags, remove-tags) fails as one would.
fn bulk_result(outcome: &BulkOutcome) -> casebook::Result<()> {
    match outcome.skipped.first() {
        Some(s) => Err(Error::validation("set", format!("#{}: {}", s.number, s.reason))),
        None => Ok(()),
    }
}

/// "Set priority on 3 tickets (#1, #2, #5); 1 already had it; skipped #4: closed tickets do not change".
pub(crate) fn bulk_text(field: &str, o: &BulkOutcome) -> String {
    let list = |ns: &[i64]| ns.iter().map(|n| format!("#{n}")).collect::<Vec<_>>().join(", ");
    let mut text = match o.changed.len() {
        0 => format!("Set {field} on no ticket"),
        1 => format!("Set {field} on 1 ticket ({})", list(&o.changed)),
        n if n <= 20 => format!("Set {field} on {n} tickets ({})", list(&o.changed)),
        n => format!("Set {field} on {n} tickets"),
    };
    match o.unchanged.len() {
        0 => {}
        1 => text.push_str("; 1 already had it"),
        n => text.push_str(&format!("; {n} already had it")),
    }
    for s in &o.skipped {
        text.push_str(&format!("\nskipped #{}: {}", s.number, s.reason));
    }
    text
}
