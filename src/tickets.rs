//! Ticket operations (PRODUCT T1–T6): create, converse, change fields and status, assign,
//! merge and link. Each is one immediate transaction that writes the change, its events and
//! the ticket's refreshed SLA instants together — or nothing.

use crate::clock::{from_ms, to_ms, Timestamp};
use crate::events::sla_facts;
use crate::events::{self, AttachmentRef, Change, EventCtx, FieldChange};
use crate::hooks::{Happened, HookCtx, Hooks};
use crate::model::*;
use crate::people;
use crate::sla::{self, SlaSettings, SlaStatus};
use crate::workspace::Workspace;
use crate::{attachments, validate, Error, Problem, Result};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A ticket with everything its page shows.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TicketDetail {
    pub ticket: Ticket,
    /// Oldest first; includes the messages of tickets merged into this one.
    pub messages: Vec<Message>,
    pub links: Vec<TicketLink>,
    pub sla: SlaStatus,
    /// Newest first: which SLA thresholds it crossed, which keywords its customer wrote.
    pub alerts: Vec<crate::alerts::Alert>,
    /// Newest first: concurrent changes from other laptops and what merging them decided.
    pub conflicts: Vec<crate::model::Conflict>,
    /// The mail behind the messages that came in or go out as mail.
    pub mail: Vec<crate::mail::MessageMail>,
    /// Snoozed until, and the follow-up waiting for the customer's answer.
    pub snooze: crate::snooze::Snooze,
}

/// A field that `set_field` can change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Field {
    Status,
    Priority,
    Type,
    Assignee,
    Team,
    Tags,
}

impl Field {
    pub fn parse(s: &str) -> Result<Field> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "status" => Field::Status,
            "priority" => Field::Priority,
            "type" => Field::Type,
            "assignee" => Field::Assignee,
            "team" => Field::Team,
            "tags" => Field::Tags,
            _ => return Err(Error::validation("field", format!("'{s}' is not a field (status, priority, type, assignee, team, tags)"))),
        })
    }
}

const TICKET_SELECT: &str = "SELECT t.id, t.number, t.subject, t.description, t.type, t.priority, t.status, t.resolution,
        d.number, t.requester_id, a.id, a.name, a.email, tm.name, t.channel, t.created_at, t.updated_at,
        t.first_response_at, t.resolved_at, t.closed_at
    FROM tickets t
    LEFT JOIN tickets d ON d.id = t.duplicate_of
    LEFT JOIN agents a ON a.id = t.assignee_id
    LEFT JOIN teams tm ON tm.id = t.team_id";

pub(crate) fn load_ticket(conn: &Connection, number: i64) -> Result<Ticket> {
    let mut stmt = conn.prepare_cached(&format!("{TICKET_SELECT} WHERE t.number = ?1 AND {}", crate::store::VISIBLE))?;
    let row = stmt
        .query_row([number], |r| {
            let id: String = r.get(0)?;
            let assignee_id: Option<String> = r.get(10)?;
            let ms = |i: usize| -> rusqlite::Result<Option<Timestamp>> { Ok(r.get::<_, Option<i64>>(i)?.map(from_ms)) };
            Ok((
                id,
                r.get::<_, String>(9)?,
                Ticket {
                    id: Uuid::nil(),
                    number: r.get(1)?,
                    subject: r.get(2)?,
                    description: r.get(3)?,
                    ticket_type: r.get(4)?,
                    priority: Priority::from_rank(r.get(5)?),
                    status: Status::parse(&r.get::<_, String>(6)?).unwrap_or(Status::Open),
                    resolution: r.get::<_, Option<String>>(7)?.and_then(|s| Resolution::parse(&s).ok()),
                    duplicate_of: r.get(8)?,
                    requester: Customer { id: Uuid::nil(), name: String::new(), email: String::new(), organisation: None, tier: Tier::Normal },
                    assignee: match assignee_id {
                        Some(aid) => Some(PersonRef { id: Uuid::parse_str(&aid).unwrap_or_default(), name: r.get(11)?, email: r.get(12)? }),
                        None => None,
                    },
                    team: r.get(13)?,
                    tags: vec![],
                    channel: Channel::parse(&r.get::<_, String>(14)?).unwrap_or(Channel::Manual),
                    created_at: from_ms(r.get(15)?),
                    updated_at: from_ms(r.get(16)?),
                    first_response_at: ms(17)?,
                    resolved_at: ms(18)?,
                    closed_at: ms(19)?,
                },
            ))
        })
        .optional()?;
    let (id, requester_id, mut ticket) = row.ok_or_else(|| Error::ticket_not_found(number))?;
    ticket.id = Uuid::parse_str(&id).unwrap_or_default();
    ticket.requester = people::customer_by_id(conn, &requester_id)?;
    ticket.tags = load_tags(conn, &id)?;
    Ok(ticket)
}

fn load_tags(conn: &Connection, ticket_id: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT tag FROM ticket_tags WHERE ticket_id = ?1 ORDER BY tag")?;
    let rows = stmt.query_map([ticket_id], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Loads a ticket that is about to be changed: a Closed ticket is read-only.
pub(crate) fn load_writable(conn: &Connection, number: i64) -> Result<Ticket> {
    let t = load_ticket(conn, number)?;
    if t.status == Status::Closed {
        return Err(Error::TicketClosed { number });
    }
    Ok(t)
}

/// Moves a ticket to `to`, with the side effects the status machine implies: pauses of the
/// SLA clock, resolution and close times, a new resolution cycle on reopen.
pub(crate) fn change_status(conn: &Connection, ctx: &EventCtx, t: &Ticket, to: Status, reason: Option<Resolution>) -> Result<()> {
    if t.status == Status::Closed {
        return Err(Error::TicketClosed { number: t.number });
    }
    if !t.status.allows(to, reason) {
        return Err(Error::IllegalTransition { number: t.number, from: t.status, to });
    }
    if reason.is_some() && !to.is_solved() {
        return Err(Error::invalid("resolution", Problem::ReasonNotApplicable { to }));
    }
    let now = to_ms(ctx.at);
    let resolution = match to {
        Status::Resolved => Some(reason.unwrap_or(Resolution::Solved)),
        Status::Closed => Some(reason.or(t.resolution).unwrap_or(Resolution::Solved)),
        _ => None,
    };
    let change = status_moved(t.status, to, resolution, t.resolved_at.map(to_ms), now);
    events::record(conn, ctx, Some(&t.id.to_string()), change)?;
    Ok(())
}

/// An error of one record of an import, naming the record ("line 4 (subject): …").
pub(crate) fn name_record(e: Error, label: &str) -> Error {
    match e {
        Error::Validation { field, message, .. } => Error::validation(field, format!("{label} ({field}): {message}")),
        Error::NotFound { what, key } => Error::validation("import", format!("{label}: {what} {key} does not exist")),
        other => other,
    }
}

/// The event of a move `from` → `to` at `now` (ms) with what the status machine decides about
/// it: the resolution and close times, a reopen's new SLA cycle, the pause that ends or
/// starts. The one place that decides it, for live changes and generated history alike.
pub(crate) fn status_moved(from: Status, to: Status, resolution: Option<Resolution>, resolved_before: Option<i64>, now: i64) -> Change {
    Change::StatusChanged {
        from,
        to,
        resolution,
        resolved_at: match to {
            Status::Resolved => Some(now),
            Status::Closed => Some(resolved_before.unwrap_or(now)),
            _ => None,
        },
        closed_at: (to == Status::Closed).then_some(now),
        // Reopened: the resolution clock starts a new cycle.
        new_cycle: from == Status::Resolved && !to.is_solved(),
        pause_ends: from == Status::Pending,
        pause_starts: to == Status::Pending,
    }
}

/// Brings ticket `number` to `target` the way the status machine allows, for imported
/// history: through Open, and Resolved before Closed unless the reason closes an unsolved
/// ticket directly (duplicate, no action needed, auto-closed).
pub(crate) fn reach_status(conn: &Connection, ctx: &EventCtx, number: i64, target: Status, reason: Option<Resolution>) -> Result<()> {
    let closes_directly = matches!(reason, Some(Resolution::Duplicate | Resolution::NoActionNeeded | Resolution::AutoClosed));
    let path: &[Status] = match target {
        Status::New => &[],
        Status::Open => &[Status::Open],
        Status::Pending => &[Status::Open, Status::Pending],
        Status::OnHold => &[Status::Open, Status::OnHold],
        Status::Resolved => &[Status::Open, Status::Resolved],
        Status::Closed if closes_directly => &[Status::Open, Status::Closed],
        Status::Closed => &[Status::Open, Status::Resolved, Status::Closed],
    };
    for to in path {
        let current = load_writable(conn, number)?;
        if current.status != *to {
            change_status(conn, ctx, &current, *to, if to.is_solved() { reason } else { None })?;
        }
    }
    Ok(())
}

/// Records a changed field (old and new value): the change, its event and the update time.
pub(crate) fn record_field_change(conn: &Connection, ctx: &EventCtx, ticket_id: &str, change: FieldChange) -> Result<()> {
    events::record(conn, ctx, Some(ticket_id), Change::FieldChanged(change))?;
    Ok(())
}

/// Closes `dup` as a duplicate of `orig`, links them and shows its messages in the original's
/// thread; tickets merged earlier into `dup` move to `orig`. The caller refreshes SLA times.
pub(crate) fn merge_into(conn: &Connection, ctx: &EventCtx, data_dir: &std::path::Path, dup: &Ticket, orig: &Ticket) -> Result<()> {
    if let Some(n) = orig.duplicate_of {
        return Err(Error::invalid("into", Problem::MergedElsewhere { number: orig.number, into: n }));
    }
    let (dup_id, orig_id) = (dup.id.to_string(), orig.id.to_string());
    change_status(conn, ctx, dup, Status::Closed, Some(Resolution::Duplicate))?;
    let repointed: Vec<String> = conn
        .prepare_cached("SELECT id FROM tickets WHERE duplicate_of = ?1 ORDER BY number")?
        .query_map([&dup_id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let merged = Change::Merged { duplicate_id: dup_id.clone(), original_id: orig_id.clone(), original_number: orig.number, repointed };
    events::record(conn, ctx, Some(&dup_id), merged)?;
    events::record(conn, ctx, Some(&orig_id), Change::MergeReceived { duplicate_id: dup_id.clone(), duplicate_number: dup.number })?;
    let note = format!("Ticket #{} \"{}\" was merged into this ticket.", dup.number, dup.subject);
    insert_message(conn, &ctx.with_actor("system"), data_dir, &orig_id, MessageKind::System, None, None, &note, &[])?;
    Ok(())
}

fn next_number(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT coalesce(max(number), 0) + 1 FROM tickets", [], |r| r.get(0))?)
}

#[allow(clippy::too_many_arguments)] // a message is its ticket, kind, author (agent or customer), body and files
pub(crate) fn insert_message(
    conn: &Connection,
    ctx: &EventCtx,
    data_dir: &std::path::Path,
    ticket_id: &str,
    kind: MessageKind,
    author_agent: Option<&str>,
    author_customer: Option<&str>,
    body: &str,
    files: &[std::path::PathBuf],
) -> Result<Uuid> {
    let mut stored = Vec::new();
    for f in files {
        let s = attachments::store(data_dir, f)?;
        stored.push(AttachmentRef { id: Uuid::now_v7().to_string(), filename: s.filename, sha256: s.sha256, size: s.size });
    }
    let message = StoredMessage { kind, author_agent, author_customer, body, attachments: stored, mail: None };
    insert_stored_message(conn, ctx, ticket_id, message)
}

/// A message whose files are already in the attachment store, and the mail it came in as.
pub(crate) struct StoredMessage<'a> {
    pub kind: MessageKind,
    pub author_agent: Option<&'a str>,
    pub author_customer: Option<&'a str>,
    pub body: &'a str,
    pub attachments: Vec<AttachmentRef>,
    pub mail: Option<events::MailMeta>,
}

/// Records a message. A public reply on a mail ticket goes out as mail (queued in the outbox).
pub(crate) fn insert_stored_message(conn: &Connection, ctx: &EventCtx, ticket_id: &str, m: StoredMessage<'_>) -> Result<Uuid> {
    let id = Uuid::now_v7();
    // The ticket's first response: a person's first public reply.
    let first_response = m.kind == MessageKind::Public
        && m.author_agent.is_some()
        && conn.prepare_cached("SELECT first_response_at IS NULL FROM tickets WHERE id = ?1")?.query_row([ticket_id], |r| r.get::<_, bool>(0))?;
    let mail = match m.mail {
        Some(mail) => Some(mail),
        None if m.kind == MessageKind::Public => crate::mail::outgoing(conn, ticket_id, &id, m.author_agent, crate::clock::to_ms(ctx.at))?,
        None => None,
    };
    let change = Change::MessageAdded {
        id: id.to_string(),
        kind: m.kind,
        author_agent_id: m.author_agent.map(str::to_string),
        author_customer_id: m.author_customer.map(str::to_string),
        body: m.body.to_string(),
        attachments: m.attachments,
        first_response,
        mail: mail.map(Box::new),
    };
    events::record(conn, ctx, Some(ticket_id), change)?;
    Ok(id)
}

fn load_messages(conn: &Connection, ticket_id: &str) -> Result<Vec<Message>> {
    // The ticket's own messages and those of tickets merged into it.
    let mut stmt = conn.prepare_cached(
        "SELECT m.id, t.number, m.kind, coalesce(a.name, c.name, 'Casebook'), coalesce(a.email, c.email), m.body, m.created_at, m.is_solution
         FROM messages m JOIN tickets t ON t.id = m.ticket_id
         LEFT JOIN agents a ON a.id = m.author_agent LEFT JOIN customers c ON c.id = m.author_customer
         WHERE m.ticket_id = ?1 OR m.ticket_id IN (SELECT id FROM tickets WHERE duplicate_of = ?1)
         ORDER BY m.created_at, m.id",
    )?;
    let mut messages: Vec<Message> = stmt
        .query_map([ticket_id], |r| {
            let id: String = r.get(0)?;
            Ok(Message {
                id: Uuid::parse_str(&id).unwrap_or_default(),
                ticket_number: r.get(1)?,
                kind: MessageKind::parse(&r.get::<_, String>(2)?).unwrap_or(MessageKind::System),
                author_name: r.get(3)?,
                author_email: r.get(4)?,
                body: r.get(5)?,
                created_at: from_ms(r.get(6)?),
                is_solution: r.get::<_, i64>(7)? != 0,
                attachments: vec![],
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut stmt = conn.prepare_cached("SELECT id, filename, sha256, size FROM attachments WHERE message_id = ?1 ORDER BY created_at, id")?;
    for m in &mut messages {
        m.attachments = stmt
            .query_map([m.id.to_string()], |r| {
                let id: String = r.get(0)?;
                let sha: String = r.get(2)?;
                Ok(Attachment {
                    id: Uuid::parse_str(&id).unwrap_or_default(),
                    filename: r.get(1)?,
                    stored_path: attachments::relative_path(&sha),
                    sha256: sha,
                    size: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
    }
    Ok(messages)
}

fn load_links(conn: &Connection, ticket_id: &str) -> Result<Vec<TicketLink>> {
    let mut stmt = conn.prepare_cached(
        "SELECT l.kind, t.number, t.subject, t.status, 0 FROM ticket_links l JOIN tickets t ON t.id = l.to_ticket WHERE l.from_ticket = ?1
         UNION ALL
         SELECT l.kind, t.number, t.subject, t.status, 1 FROM ticket_links l JOIN tickets t ON t.id = l.from_ticket WHERE l.to_ticket = ?1
         ORDER BY 2",
    )?;
    let rows = stmt.query_map([ticket_id], |r| {
        Ok(TicketLink {
            kind: LinkKind::parse(&r.get::<_, String>(0)?).unwrap_or(LinkKind::Related),
            number: r.get(1)?,
            subject: r.get(2)?,
            status: Status::parse(&r.get::<_, String>(3)?).unwrap_or(Status::Open),
            incoming: r.get::<_, i64>(4)? != 0,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Writes a new ticket, its first message, its events and its SLA instants into `tx`, and
/// runs `hooks` on it (none for imports of old tickets).
pub(crate) fn insert_ticket(
    tx: &Connection,
    ctx: &EventCtx,
    settings: &SlaSettings,
    hooks: Option<&Hooks>,
    data_dir: &std::path::Path,
    new: &NewTicket,
) -> Result<i64> {
    insert_ticket_with(tx, ctx, settings, hooks, data_dir, new, vec![], None).map(|(number, _)| number)
}

/// `insert_ticket` whose first message carries stored files and the mail it came in as;
/// returns the number and the ticket's id.
#[allow(clippy::too_many_arguments)] // insert_ticket's, and the first message's files and mail
pub(crate) fn insert_ticket_with(
    tx: &Connection,
    ctx: &EventCtx,
    settings: &SlaSettings,
    hooks: Option<&Hooks>,
    data_dir: &std::path::Path,
    new: &NewTicket,
    files: Vec<AttachmentRef>,
    mail: Option<events::MailMeta>,
) -> Result<(i64, String)> {
    let subject = validate::subject(&new.subject)?;
    let description = validate::body("body", &new.description, false)?;
    let requester_email = validate::email("requester", &new.requester_email)?;
    let tags = validate::tags(&new.tags)?;
    let priority = new.priority.unwrap_or(Priority::Medium);
    let channel = new.channel.unwrap_or(Channel::Manual);
    let ticket_type = match &new.ticket_type {
        Some(t) => Workspace::resolve_type(tx, t)?,
        None => tx.query_row("SELECT name FROM ticket_types WHERE active = 1 ORDER BY position LIMIT 1", [], |r| r.get(0))?,
    };
    let assignee = new.assignee_email.as_deref().map(|e| people::agent_id(tx, e)).transpose()?;
    let team = new.team.as_deref().map(|t| people::team_id(tx, t)).transpose()?;
    let customer_ctx = ctx.with_actor(format!("customer:{requester_email}"));
    let requester = people::upsert_customer(tx, ctx, &requester_email, new.requester_name.as_deref(), new.organisation.as_deref())?;
    let number = next_number(tx)?;
    let id = Uuid::now_v7().to_string();
    let created = Change::TicketCreated {
        id: id.clone(),
        number,
        subject: subject.clone(),
        description: description.clone(),
        ticket_type,
        priority,
        requester_id: requester.clone(),
        assignee_id: assignee,
        team_id: team,
        channel,
        tags,
        demo_family: None,
    };
    events::record(tx, ctx, Some(&id), created)?;
    let first = StoredMessage {
        kind: MessageKind::Customer,
        author_agent: None,
        author_customer: Some(&requester),
        body: &description,
        attachments: files,
        mail,
    };
    let message_id = insert_stored_message(tx, &customer_ctx, &id, first)?;
    events::flush_derived(tx, settings)?;
    if let Some(hooks) = hooks {
        let message_id = message_id.to_string();
        let what = Happened::Created { message_id: &message_id, subject: &subject, body: &description };
        hooks.run(tx, &HookCtx { ctx, sla: settings, data_dir }, &id, what)?;
    }
    Ok((number, id))
}

impl Workspace {
    /// Creates a ticket; its description is the requester's first message.
    pub fn create_ticket(&mut self, new: &NewTicket) -> Result<Ticket> {
        let ctx = self.ctx();
        let data_dir = self.data_dir();
        let settings = self.sla.clone();
        let hooks = self.hooks.clone();
        let tx = self.begin()?;
        let number = insert_ticket(&tx, &ctx, &settings, Some(&hooks), &data_dir, new)?;
        events::commit(tx, &settings)?;
        self.ticket(number)
    }

    /// Every problem a new ticket has, each with its field: the form shows them all at once
    /// (`create_ticket` stops at the first). Empty when it would be created.
    pub fn check_new_ticket(&self, new: &NewTicket) -> Vec<crate::ErrorPayload> {
        let mut out = Vec::new();
        let mut add = |field: &str, r: Result<()>| {
            if let Err(e) = r {
                let mut p = crate::ErrorPayload::from(&e);
                p.field = Some(p.field.unwrap_or_else(|| field.to_string()));
                out.push(p);
            }
        };
        add("subject", validate::subject(&new.subject).map(|_| ()));
        add("requester", validate::email("requester", &new.requester_email).map(|_| ()));
        add("body", validate::body("body", &new.description, false).map(|_| ()));
        add("tags", validate::tags(&new.tags).map(|_| ()));
        if let Some(t) = &new.ticket_type {
            add("type", Workspace::resolve_type(&self.conn, t).map(|_| ()));
        }
        if let Some(a) = &new.assignee_email {
            add("assignee", people::agent_id(&self.conn, a).map(|_| ()));
        }
        if let Some(t) = &new.team {
            add("team", people::team_id(&self.conn, t).map(|_| ()));
        }
        out
    }

    /// Imports tickets all-or-nothing: the first bad record aborts the whole import, and the
    /// error names it (PRODUCT C2; the full lossless import comes with export).
    pub fn import_tickets(&mut self, tickets: &[NewTicket]) -> Result<Vec<i64>> {
        self.import_records(tickets, &|i| format!("record {}", i + 1))
    }

    /// `import_tickets`, naming the i-th (0-based) record as `label` says in errors ("record 3",
    /// or a spreadsheet's "line 4").
    pub(crate) fn import_records(&mut self, tickets: &[NewTicket], label: &dyn Fn(usize) -> String) -> Result<Vec<i64>> {
        let ctx = self.ctx();
        let data_dir = self.data_dir();
        let settings = self.sla.clone();
        let tx = self.begin()?;
        let mut numbers = Vec::with_capacity(tickets.len());
        for (i, t) in tickets.iter().enumerate() {
            let t = NewTicket { channel: Some(t.channel.unwrap_or(Channel::Import)), ..t.clone() };
            let number = insert_ticket(&tx, &ctx, &settings, None, &data_dir, &t).map_err(|e| name_record(e, &label(i)))?;
            numbers.push(number);
        }
        events::commit(tx, &settings)?;
        Ok(numbers)
    }

    pub fn ticket(&self, number: i64) -> Result<Ticket> {
        load_ticket(&self.conn, number)
    }

    pub fn ticket_detail(&self, number: i64) -> Result<TicketDetail> {
        let ticket = load_ticket(&self.conn, number)?;
        let id = ticket.id.to_string();
        Ok(TicketDetail {
            messages: load_messages(&self.conn, &id)?,
            links: load_links(&self.conn, &id)?,
            sla: sla::status_at(&self.sla, &sla_facts(&self.conn, &id)?, self.now()),
            alerts: self.alerts(&crate::alerts::AlertQuery { ticket_number: Some(number), ..Default::default() })?,
            conflicts: self.conflicts(Some(number))?,
            mail: crate::mail::mail_of_ticket(&self.conn, &id)?,
            snooze: crate::snooze::load(&self.conn, &id, self.now())?,
            ticket,
        })
    }

    pub fn sla_status(&self, number: i64) -> Result<SlaStatus> {
        let ticket = load_ticket(&self.conn, number)?;
        Ok(sla::status_at(&self.sla, &sla_facts(&self.conn, &ticket.id.to_string())?, self.now()))
    }

    /// The ticket's history as people read it: the changes, oldest first, with agents and
    /// teams named (the log names them by id); the rules' bookkeeping of when they acted is
    /// left out.
    pub fn history(&self, number: i64) -> Result<Vec<Event>> {
        let ticket = load_ticket(&self.conn, number)?;
        let mut history = events::for_ticket(&self.conn, &ticket.id.to_string())?;
        history.retain(|e| e.kind != "rule.fired");
        let name = |sql: &str, v: &serde_json::Value| -> Result<serde_json::Value> {
            Ok(match v.as_str() {
                Some(id) => {
                    self.conn.prepare_cached(sql)?.query_row([id], |r| r.get::<_, String>(0)).optional()?.map(Into::into).unwrap_or_else(|| v.clone())
                }
                None => v.clone(),
            })
        };
        for e in history.iter_mut().filter(|e| e.kind == "ticket.field_changed") {
            let sql = match e.payload["field"].as_str() {
                Some("assignee") => "SELECT email FROM agents WHERE id = ?1",
                Some("team") => "SELECT name FROM teams WHERE id = ?1",
                _ => continue,
            };
            for side in ["from", "to"] {
                let shown = name(sql, &e.payload[side])?;
                e.payload[side] = shown;
            }
        }
        Ok(history)
    }

    /// Adds a message. An agent's first public reply is the first response and opens a New
    /// ticket; a customer message reopens a Pending or Resolved one.
    pub fn add_message(&mut self, number: i64, msg: &NewMessage) -> Result<Message> {
        let body = validate::body("body", &msg.body, !msg.attachments.is_empty())?;
        let ctx = self.ctx();
        let data_dir = self.data_dir();
        let settings = self.sla.clone();
        let agent = match msg.kind {
            MessageKind::Public | MessageKind::Internal => Some(self.acting_agent_required()?.clone()),
            _ => None,
        };
        let hooks = self.hooks.clone();
        let tx = self.begin()?;
        let t = load_writable(&tx, number)?;
        let id = t.id.to_string();
        let requester_id = t.requester.id.to_string();
        let msg_id = match msg.kind {
            MessageKind::Public | MessageKind::Internal => {
                let agent_id = agent.as_ref().map(|a| a.id.to_string());
                let id_ = insert_message(&tx, &ctx, &data_dir, &id, msg.kind, agent_id.as_deref(), None, &body, &msg.attachments)?;
                if msg.kind == MessageKind::Public && t.status == Status::New {
                    change_status(&tx, &ctx, &t, Status::Open, None)?;
                }
                id_
            }
            MessageKind::Customer => {
                let cctx = ctx.with_actor(format!("customer:{}", t.requester.email));
                let id_ = insert_message(&tx, &cctx, &data_dir, &id, msg.kind, None, Some(&requester_id), &body, &msg.attachments)?;
                if matches!(t.status, Status::Pending | Status::Resolved) {
                    change_status(&tx, &cctx, &t, Status::Open, None)?;
                }
                id_
            }
            MessageKind::System => insert_message(&tx, &ctx.with_actor("system"), &data_dir, &id, msg.kind, None, None, &body, &msg.attachments)?,
        };
        events::flush_derived(&tx, &settings)?;
        let message_id = msg_id.to_string();
        let happened = match msg.kind {
            MessageKind::Customer => Some(Happened::CustomerMessage { message_id: &message_id, body: &body }),
            MessageKind::Public => Some(Happened::AgentReply),
            MessageKind::Internal => Some(Happened::Note),
            MessageKind::System => None,
        };
        if let Some(happened) = happened {
            hooks.run(&tx, &HookCtx { ctx: &ctx, sla: &settings, data_dir: &data_dir }, &id, happened)?;
        }
        events::commit(tx, &settings)?;
        load_messages(&self.conn, &id)?
            .into_iter()
            .find(|m| m.id == msg_id)
            .ok_or_else(|| Error::Conflict("the message vanished after it was written".into()))
    }

    pub fn set_status(&mut self, number: i64, to: Status, reason: Option<Resolution>) -> Result<Ticket> {
        let ctx = self.ctx();
        let settings = self.sla.clone();
        let (hooks, data_dir) = (self.hooks.clone(), self.data_dir());
        let tx = self.begin()?;
        let t = load_ticket(&tx, number)?;
        change_status(&tx, &ctx, &t, to, reason)?;
        events::flush_derived(&tx, &settings)?;
        hooks.run(&tx, &HookCtx { ctx: &ctx, sla: &settings, data_dir: &data_dir }, &t.id.to_string(), Happened::StatusChanged)?;
        events::commit(tx, &settings)?;
        self.ticket(number)
    }

    pub fn set_priority(&mut self, number: i64, priority: Priority) -> Result<Ticket> {
        self.change_field(number, |_, t| Ok((t.priority != priority).then_some(FieldChange::Priority { from: t.priority, to: priority })))
    }

    pub fn set_type(&mut self, number: i64, ticket_type: &str) -> Result<Ticket> {
        self.change_field(number, |tx, t| {
            let new = Workspace::resolve_type(tx, ticket_type)?;
            Ok((t.ticket_type != new).then(|| FieldChange::Type { from: t.ticket_type.clone(), to: new }))
        })
    }

    /// Assigns to the agent with this email, or unassigns with `None`.
    pub fn assign(&mut self, number: i64, agent_email: Option<&str>) -> Result<Ticket> {
        self.change_field(number, |tx, t| {
            let new = agent_email.map(|e| people::agent_id(tx, e)).transpose()?;
            let old = t.assignee.as_ref().map(|a| a.id.to_string());
            Ok((old != new).then_some(FieldChange::Assignee { from: old, to: new }))
        })
    }

    /// "Take it": assigns the ticket to the acting agent.
    pub fn claim(&mut self, number: i64) -> Result<Ticket> {
        let email = self.acting_agent_required()?.email.clone();
        self.assign(number, Some(&email))
    }

    pub fn set_team(&mut self, number: i64, team: Option<&str>) -> Result<Ticket> {
        self.change_field(number, |tx, t| {
            let new = team.map(|name| people::team_id(tx, name)).transpose()?;
            let old: Option<String> = t.team.as_ref().map(|n| people::team_id(tx, n)).transpose()?;
            Ok((old != new).then_some(FieldChange::Team { from: old, to: new }))
        })
    }

    pub fn set_tags(&mut self, number: i64, tags: &[String]) -> Result<Ticket> {
        let tags = validate::tags(tags)?;
        self.change_field(number, |_, t| Ok((t.tags != tags).then(|| FieldChange::Tags { from: t.tags.clone(), to: tags.clone() })))
    }

    /// Sets a field from its text form, as the CLI and simple forms give it.
    pub fn set_field(&mut self, number: i64, field: Field, value: &str) -> Result<Ticket> {
        let none_if_empty = |v: &str| {
            let v = v.trim();
            (!v.is_empty() && !v.eq_ignore_ascii_case("none") && v != "-").then(|| v.to_string())
        };
        match field {
            Field::Status => self.set_status(number, Status::parse(value)?, None),
            Field::Priority => self.set_priority(number, Priority::parse(value)?),
            Field::Type => self.set_type(number, value),
            Field::Assignee => match none_if_empty(value).as_deref() {
                Some("me") => self.claim(number),
                other => self.assign(number, other),
            },
            Field::Team => self.set_team(number, none_if_empty(value).as_deref()),
            Field::Tags => {
                let tags: Vec<String> = value.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect();
                self.set_tags(number, &tags)
            }
        }
    }

    /// One field change: refuses Closed tickets, writes nothing when the value is the same,
    /// otherwise records `ticket.field_changed` with old and new values.
    fn change_field(&mut self, number: i64, decide: impl FnOnce(&Connection, &Ticket) -> Result<Option<FieldChange>>) -> Result<Ticket> {
        let ctx = self.ctx();
        let settings = self.sla.clone();
        let (hooks, data_dir) = (self.hooks.clone(), self.data_dir());
        let tx = self.begin()?;
        let t = load_writable(&tx, number)?;
        if let Some(change) = decide(&tx, &t)? {
            let id = t.id.to_string();
            record_field_change(&tx, &ctx, &id, change)?;
            events::flush_derived(&tx, &settings)?;
            hooks.run(&tx, &HookCtx { ctx: &ctx, sla: &settings, data_dir: &data_dir }, &id, Happened::FieldChanged)?;
            events::commit(tx, &settings)?;
        } else {
            drop(tx);
        }
        self.ticket(number)
    }

    /// Merges ticket `duplicate` into `original`: the duplicate is closed as a duplicate and
    /// linked; its messages are shown in the original's thread.
    pub fn merge(&mut self, duplicate: i64, original: i64) -> Result<Ticket> {
        if duplicate == original {
            return Err(Error::invalid("into", Problem::MergeIntoItself));
        }
        let ctx = self.ctx();
        let settings = self.sla.clone();
        let data_dir = self.data_dir();
        let tx = self.begin()?;
        let dup = load_writable(&tx, duplicate)?;
        let orig = load_writable(&tx, original)?;
        merge_into(&tx, &ctx, &data_dir, &dup, &orig)?;
        events::commit(tx, &settings)?;
        self.ticket(original)
    }

    /// Links two tickets as related. The second may be closed (an old fix to refer to).
    pub fn link(&mut self, number: i64, related: i64) -> Result<()> {
        if number == related {
            return Err(Error::invalid("link", Problem::LinkToItself));
        }
        let ctx = self.ctx();
        let settings = self.sla.clone();
        let tx = self.begin()?;
        let a = load_writable(&tx, number)?;
        let b = load_ticket(&tx, related)?;
        let (a_id, b_id) = (a.id.to_string(), b.id.to_string());
        let exists: Option<i64> = tx
            .query_row(
                "SELECT 1 FROM ticket_links WHERE kind = 'related' AND ((from_ticket = ?1 AND to_ticket = ?2) OR (from_ticket = ?2 AND to_ticket = ?1))",
                params![a_id, b_id],
                |r| r.get(0),
            )
            .optional()?;
        if exists.is_some() {
            return Ok(());
        }
        events::record(&tx, &ctx, Some(&a_id), Change::Linked { to_id: b_id, to_number: related })?;
        events::commit(tx, &settings)?;
        Ok(())
    }

    /// Marks one public reply or internal note as the fix of its ticket (PRODUCT S2, S5).
    /// Allowed on solved tickets too (except Closed): the fix is often chosen afterwards.
    pub fn mark_solution(&mut self, number: i64, message_id: Uuid) -> Result<()> {
        let ctx = self.ctx();
        let settings = self.sla.clone();
        let tx = self.begin()?;
        let t = load_writable(&tx, number)?;
        let id = t.id.to_string();
        let kind: Option<String> = tx
            .query_row("SELECT kind FROM messages WHERE id = ?1 AND ticket_id = ?2", params![message_id.to_string(), id], |r| r.get(0))
            .optional()?;
        match kind.as_deref() {
            None => return Err(Error::NotFound { what: "message", key: format!("{message_id} on #{number}") }),
            Some("public") | Some("internal") => {}
            Some(_) => return Err(Error::invalid("message", Problem::FixNotAnAgentMessage)),
        }
        events::record(&tx, &ctx, Some(&id), Change::SolutionMarked { message_id: message_id.to_string() })?;
        events::commit(tx, &settings)?;
        Ok(())
    }
}
