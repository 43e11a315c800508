//! A new ticket's whole history, written at once: the bulk paths (the demo, and later imports)
//! make tickets whose every event is known before the first is written. Applying them one by
//! one rewrites the ticket's row once per event; here they are folded into the row in memory,
//! by the same rules `apply` follows, and each row is written once (about a third of the
//! statements). The events stored are the same events, so a replay, which applies them one by
//! one, proves that this fold equals `apply` (`replay::a_fresh_workspace_and_a_demo_replay_exactly`
//! and this module's tests compare every row).
//!
//! Only histories with nothing to settle take this path: anything that would record a
//! conflict, name an alias, carry mail, or fail a check goes through `record`, one event at a
//! time, which gives the same state and the same refusals.

use super::vocabulary::{AttachmentRef, Change, FieldChange};
use super::{append_with_clock, hlc, record, EventCtx};
use crate::clock::{from_ms, to_ms};
use crate::model::{MessageKind, Priority, Status};
use crate::sla::{self, Pause, SlaFacts, SlaSettings};
use crate::Result;
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::BTreeSet;
use uuid::Uuid;

/// The ticket's row as its events leave it (the columns `apply` writes; the rest stay NULL
/// or their default, as they would).
struct Row<'a> {
    id: &'a str,
    number: i64,
    subject: &'a str,
    description: &'a str,
    ticket_type: String,
    priority: Priority,
    status: Status,
    resolution: Option<&'static str>,
    requester_id: &'a str,
    assignee_id: Option<String>,
    team_id: Option<String>,
    channel: &'static str,
    created_at: i64,
    updated_at: i64,
    first_response_at: Option<i64>,
    resolved_at: Option<i64>,
    closed_at: Option<i64>,
    sla_cycle: i64,
    sla_cycle_start: i64,
    last_customer_at: Option<i64>,
    last_agent_reply_at: Option<i64>,
    awaiting_reply_since: Option<i64>,
    status_changed_at: i64,
    tags: BTreeSet<&'a str>,
    /// (started, ended), in the order they started.
    pauses: Vec<(i64, Option<i64>)>,
    messages: Vec<Message<'a>>,
}

struct Message<'a> {
    id: &'a str,
    kind: MessageKind,
    author_agent_id: Option<&'a str>,
    author_customer_id: Option<&'a str>,
    body: &'a str,
    at: i64,
    attachments: &'a [AttachmentRef],
    is_solution: bool,
}

/// How a new ticket's history was written (the state is the same either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    Folded,
    OneByOne,
}

/// Writes a new ticket and its history: `events` in order, the first its `ticket.created`, all
/// of them stored with `ticket_id`. The SLA instants are written with the row, so the ticket
/// needs no `flush_derived`.
pub fn record_new_ticket(conn: &Connection, settings: &SlaSettings, ticket_id: &str, events: Vec<(EventCtx, Change)>) -> Result<Written> {
    let folded = match fold(ticket_id, &events) {
        Some(row) if fits_here(conn, &row)? => Some(row),
        _ => None,
    };
    let Some(row) = folded else { return one_by_one(conn, ticket_id, events).map(|()| Written::OneByOne) };
    // A write the database refuses (a requester that is not there, …) is undone and made again
    // one event at a time, which names what was wrong exactly as `record` always does.
    conn.prepare_cached("SAVEPOINT new_ticket")?.execute([])?;
    match write(conn, settings, &row, &events) {
        Ok(()) => {
            conn.prepare_cached("RELEASE new_ticket")?.execute([])?;
            Ok(Written::Folded)
        }
        Err(_) => {
            conn.execute_batch("ROLLBACK TO new_ticket; RELEASE new_ticket")?;
            drop(row);
            one_by_one(conn, ticket_id, events).map(|()| Written::OneByOne)
        }
    }
}

fn one_by_one(conn: &Connection, ticket_id: &str, events: Vec<(EventCtx, Change)>) -> Result<()> {
    for (ctx, change) in events {
        record(conn, &ctx, Some(ticket_id), change)?;
    }
    Ok(())
}

/// What the database must agree with: the number is free and no entity has an alias (either
/// would make `apply` record a conflict or rename a reference).
fn fits_here(conn: &Connection, row: &Row<'_>) -> Result<bool> {
    let aliases: bool = conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM entity_aliases)")?.query_row([], |r| r.get(0))?;
    let taken = conn.prepare_cached("SELECT 1 FROM tickets WHERE number = ?1")?.query_row([row.number], |_| Ok(())).optional()?.is_some();
    Ok(!aliases && !taken)
}

/// The row the events leave, or None when one of them needs `apply` itself (a conflict to
/// record, mail to file, a kind this fold does not know).
fn fold<'a>(ticket_id: &'a str, events: &'a [(EventCtx, Change)]) -> Option<Row<'a>> {
    let ((first_ctx, first), rest) = events.split_first()?;
    let Change::TicketCreated { id, number, subject, description, ticket_type, priority, requester_id, assignee_id, team_id, channel, tags, .. } =
        first
    else {
        return None;
    };
    if id != ticket_id {
        return None;
    }
    let at = to_ms(first_ctx.at);
    let mut row = Row {
        id,
        number: *number,
        subject,
        description,
        ticket_type: ticket_type.clone(),
        priority: *priority,
        status: Status::New,
        resolution: None,
        requester_id,
        assignee_id: assignee_id.clone(),
        team_id: team_id.clone(),
        channel: channel.as_str(),
        created_at: at,
        updated_at: at,
        first_response_at: None,
        resolved_at: None,
        closed_at: None,
        sla_cycle: 0,
        sla_cycle_start: at,
        last_customer_at: None,
        last_agent_reply_at: None,
        awaiting_reply_since: None,
        status_changed_at: at,
        tags: tags.iter().map(String::as_str).collect(),
        pauses: vec![],
        messages: vec![],
    };
    for (ctx, change) in rest {
        let at = to_ms(ctx.at);
        match change {
            Change::MessageAdded { id, kind, author_agent_id, author_customer_id, body, attachments, first_response, mail: None } => {
                row.messages.push(Message {
                    id,
                    kind: *kind,
                    author_agent_id: author_agent_id.as_deref(),
                    author_customer_id: author_customer_id.as_deref(),
                    body,
                    at,
                    attachments,
                    is_solution: false,
                });
                // As `apply`: a reply by a person answers everything before it; an automatic
                // one (no author) answers nothing.
                let customer = *kind == MessageKind::Customer;
                let answers = *kind == MessageKind::Public && author_agent_id.is_some();
                if *first_response {
                    row.first_response_at = Some(at);
                }
                if customer {
                    row.last_customer_at = Some(row.last_customer_at.map_or(at, |t| t.max(at)));
                    row.awaiting_reply_since = Some(row.awaiting_reply_since.unwrap_or(at));
                } else if answers {
                    row.awaiting_reply_since = None;
                }
                if answers {
                    row.last_agent_reply_at = Some(row.last_agent_reply_at.map_or(at, |t| t.max(at)));
                }
            }
            Change::SolutionMarked { message_id } => {
                if !row.messages.iter().any(|m| m.id == message_id) {
                    return None;
                }
                for m in &mut row.messages {
                    m.is_solution = m.id == message_id;
                }
            }
            Change::StatusChanged { from, to, resolution, resolved_at, closed_at, new_cycle, pause_ends, pause_starts } => {
                if *from != row.status {
                    return None;
                }
                if *pause_ends {
                    for p in row.pauses.iter_mut().filter(|p| p.1.is_none()) {
                        p.1 = Some(at);
                    }
                }
                if *pause_starts && !row.pauses.iter().any(|p| p.0 == at) {
                    row.pauses.push((at, None));
                    row.pauses.sort_by_key(|p| p.0);
                }
                row.status = *to;
                row.resolution = resolution.map(|r| r.as_str());
                row.resolved_at = *resolved_at;
                row.closed_at = *closed_at;
                row.status_changed_at = at;
                if *new_cycle {
                    row.sla_cycle += 1;
                    row.sla_cycle_start = at;
                }
            }
            // A change made from a value the ticket no longer has is a conflict `apply` records.
            Change::FieldChanged(fc) => match fc {
                FieldChange::Priority { from, to } if row.priority == *from || row.priority == *to => row.priority = *to,
                FieldChange::Type { from, to } if row.ticket_type == *from || row.ticket_type == *to => row.ticket_type = to.clone(),
                FieldChange::Assignee { from, to } if row.assignee_id == *from || row.assignee_id == *to => row.assignee_id = to.clone(),
                FieldChange::Team { from, to } if row.team_id == *from || row.team_id == *to => row.team_id = to.clone(),
                FieldChange::Tags { from, to } => {
                    for tag in from.iter().filter(|t| !to.contains(t)) {
                        row.tags.remove(tag.as_str());
                    }
                    row.tags.extend(to.iter().filter(|t| !from.contains(t)).map(String::as_str));
                }
                _ => return None,
            },
            _ => return None,
        }
        // Every kind above moves the ticket's update time.
        row.updated_at = row.updated_at.max(at);
    }
    Some(row)
}

fn write(conn: &Connection, settings: &SlaSettings, row: &Row<'_>, events: &[(EventCtx, Change)]) -> Result<()> {
    let facts = SlaFacts {
        priority: row.priority,
        status: row.status,
        created_at: from_ms(row.created_at),
        cycle_start: from_ms(row.sla_cycle_start),
        first_response_at: row.first_response_at.map(from_ms),
        resolved_at: row.resolved_at.map(from_ms),
        pauses: row.pauses.iter().map(|p| Pause { start: from_ms(p.0), end: p.1.map(from_ms) }).collect(),
    };
    let i = sla::instants(settings, &facts);
    let ms = |t: Option<crate::clock::Timestamp>| t.map(to_ms);
    conn.prepare_cached(
        "INSERT INTO tickets (id, number, subject, description, type, priority, status, resolution, requester_id, assignee_id, team_id,
                              channel, created_at, updated_at, first_response_at, resolved_at, closed_at, sla_cycle, sla_cycle_start,
                              frt_due_at, frt_risk_at, res_due_at, res_risk_at, sla_attention_at, sla_alert_at,
                              last_customer_at, last_agent_reply_at, awaiting_reply_since, status_changed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,
                 ?20, ?21, ?22, ?23, ?24, ?24, ?25, ?26, ?27, ?28)",
    )?
    .execute(params![
        row.id,
        row.number,
        row.subject,
        row.description,
        row.ticket_type,
        row.priority.rank(),
        row.status.as_str(),
        row.resolution,
        row.requester_id,
        row.assignee_id,
        row.team_id,
        row.channel,
        row.created_at,
        row.updated_at,
        row.first_response_at,
        row.resolved_at,
        row.closed_at,
        row.sla_cycle,
        row.sla_cycle_start,
        ms(i.frt_due_at),
        ms(i.frt_risk_at),
        ms(i.res_due_at),
        ms(i.res_risk_at),
        ms(i.attention_at),
        row.last_customer_at,
        row.last_agent_reply_at,
        row.awaiting_reply_since,
        row.status_changed_at,
    ])?;
    let mut tag = conn.prepare_cached("INSERT INTO ticket_tags (ticket_id, tag) VALUES (?1, ?2)")?;
    for t in &row.tags {
        tag.execute(params![row.id, t])?;
    }
    let mut pause = conn.prepare_cached("INSERT INTO sla_pauses (ticket_id, started_at, ended_at) VALUES (?1, ?2, ?3)")?;
    for (started, ended) in &row.pauses {
        pause.execute(params![row.id, started, ended])?;
    }
    let mut message = conn.prepare_cached(
        "INSERT INTO messages (id, ticket_id, kind, author_agent, author_customer, body, created_at, is_solution)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    let mut attachment =
        conn.prepare_cached("INSERT INTO attachments (id, message_id, filename, sha256, size, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
    for m in &row.messages {
        message.execute(params![m.id, row.id, m.kind.as_str(), m.author_agent_id, m.author_customer_id, m.body, m.at, m.is_solution])?;
        for a in m.attachments {
            attachment.execute(params![a.id, m.id, a.filename, a.sha256, a.size, m.at])?;
        }
    }
    // The log's clock read once: each event is one tick after the one before it.
    let mut clock = hlc::last(conn)?;
    for (ctx, change) in events {
        clock = hlc::from_wall_ms(to_ms(ctx.at)).max(clock + 1);
        append_with_clock(conn, &Uuid::now_v7().to_string(), ctx, Some(row.id), change, clock)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Channel, Resolution, Role, Tier};

    const T0: i64 = 1_780_000_000_000;

    fn workspace(dir: &std::path::Path, name: &str) -> Connection {
        let conn = crate::store::create(&dir.join(name)).unwrap();
        let customer = Change::CustomerAdded {
            id: "c1".into(),
            name: "Ana".into(),
            email: "ana@example.com".into(),
            organisation_id: None,
            tier: Tier::Normal,
            created_at: T0,
        };
        record(&conn, &ctx(0), None, customer).unwrap();
        let agent = Change::AgentAdded { id: "a1".into(), name: "Mina".into(), email: "mina@example.com".into(), role: Role::Agent, skills: vec![] };
        record(&conn, &ctx(0), None, agent).unwrap();
        conn
    }

    fn ctx(minutes: i64) -> EventCtx {
        EventCtx { actor: "agent:mina@example.com".into(), device: "d1".into(), at: from_ms(T0 + minutes * 60_000) }
    }

    fn message(id: &str, kind: MessageKind, first_response: bool) -> Change {
        let agent = kind != MessageKind::Customer;
        Change::MessageAdded {
            id: id.into(),
            kind,
            author_agent_id: agent.then(|| "a1".to_string()),
            author_customer_id: (!agent).then(|| "c1".to_string()),
            body: format!("body of {id}"),
            attachments: vec![],
            first_response,
            mail: None,
        }
    }

    fn moved(from: Status, to: Status, resolution: Option<Resolution>, resolved_at: Option<i64>, closed_at: Option<i64>) -> Change {
        Change::StatusChanged {
            from,
            to,
            resolution,
            resolved_at,
            closed_at,
            new_cycle: from == Status::Resolved && !to.is_solved(),
            pause_ends: from == Status::Pending,
            pause_starts: to == Status::Pending,
        }
    }

    /// A history touching every column the fold writes: a pause, a solve, a reopen, fields, tags
    /// and a solution mark.
    fn history(assignee_from: Option<&str>) -> Vec<(EventCtx, Change)> {
        let created = Change::TicketCreated {
            id: "t1".into(),
            number: 1,
            subject: "VPN drops".into(),
            description: "It drops every hour".into(),
            ticket_type: "Technical".into(),
            priority: Priority::Medium,
            requester_id: "c1".into(),
            assignee_id: None,
            team_id: None,
            channel: Channel::Email,
            tags: vec!["vpn".into(), "vpn".into(), "network".into()],
            demo_family: None,
        };
        vec![
            (ctx(1), created),
            (ctx(2), message("m1", MessageKind::Customer, false)),
            (ctx(3), Change::FieldChanged(FieldChange::Assignee { from: assignee_from.map(String::from), to: Some("a1".into()) })),
            (ctx(5), moved(Status::New, Status::Open, None, None, None)),
            (ctx(5), message("m2", MessageKind::Public, true)),
            (ctx(6), moved(Status::Open, Status::Pending, None, None, None)),
            (ctx(30), message("m3", MessageKind::Customer, false)),
            (ctx(31), moved(Status::Pending, Status::Open, None, None, None)),
            (ctx(32), Change::FieldChanged(FieldChange::Priority { from: Priority::Medium, to: Priority::High })),
            (ctx(33), Change::FieldChanged(FieldChange::Tags { from: vec!["network".into(), "vpn".into()], to: vec!["vpn".into(), "wifi".into()] })),
            (ctx(40), message("m4", MessageKind::Public, false)),
            (ctx(40), Change::SolutionMarked { message_id: "m4".into() }),
            (ctx(41), moved(Status::Open, Status::Resolved, Some(Resolution::Solved), Some(T0 + 41 * 60_000), None)),
            (ctx(50), message("m5", MessageKind::Customer, false)),
            (ctx(51), moved(Status::Resolved, Status::Open, None, None, None)),
            (ctx(52), message("m6", MessageKind::Internal, false)),
        ]
    }

    /// The history written by the fold into one workspace and event by event into another.
    fn written_both_ways(assignee_from: Option<&str>) -> (Written, Connection, Connection, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let settings = SlaSettings::default();
        let (folded, one_by_one) = (workspace(dir.path(), "folded.db"), workspace(dir.path(), "one-by-one.db"));
        let how = record_new_ticket(&folded, &settings, "t1", history(assignee_from)).unwrap();
        for (ctx, change) in history(assignee_from) {
            record(&one_by_one, &ctx, Some("t1"), change).unwrap();
        }
        crate::flush_derived(&one_by_one, &settings).unwrap();
        (how, folded, one_by_one, dir)
    }

    #[test]
    fn a_folded_history_leaves_every_row_as_applying_it_event_by_event() {
        let (how, folded, one_by_one, _dir) = written_both_ways(None);
        assert_eq!(how, Written::Folded);
        let digest = |c: &Connection| crate::replay::digest(c).unwrap();
        assert_eq!(digest(&folded), digest(&one_by_one));
        let sla_alert_at = |c: &Connection| c.query_row("SELECT sla_alert_at FROM tickets", [], |r| r.get::<_, Option<i64>>(0)).unwrap();
        assert_eq!(sla_alert_at(&folded), sla_alert_at(&one_by_one));
        let events = |c: &Connection| c.query_row("SELECT count(*) FROM events WHERE ticket_id = 't1'", [], |r| r.get::<_, i64>(0)).unwrap();
        assert_eq!(events(&folded), history(None).len() as i64);
    }

    #[test]
    fn a_history_with_a_conflict_is_applied_event_by_event() {
        // Assigned "from" someone the ticket never had: `apply` records a conflict (whose row
        // names the event's own id, so the two workspaces' digests differ by that alone).
        let (how, folded, _, _dir) = written_both_ways(Some("a2"));
        assert_eq!(how, Written::OneByOne);
        let conflicts: i64 = folded.query_row("SELECT count(*) FROM conflicts WHERE field = 'assignee'", [], |r| r.get(0)).unwrap();
        assert_eq!(conflicts, 1);
    }
}
