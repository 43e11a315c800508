//! The one writer: the only code that writes the state tables. Each event is applied from its
//! own facts and the state the events before it built, so the live workspace and a replay of
//! its log end up the same.
//!
//! Derived columns are recomputed here and nowhere else: `updated_at` and the instants rules
//! measure from, as each event lands; the SLA instants (a computation per ticket) once per
//! transaction, for the tickets it changed (`flush_derived`, called by `commit`). They are a
//! function of the ticket's facts and the SLA settings only, so when they are computed does
//! not change what they are.

use super::vocabulary::{Change, FieldChange, Verdict};
use crate::clock::{from_ms, to_ms, Timestamp};
use crate::model::{MessageKind, Priority, Status};
use crate::sla::{self, Pause, SlaFacts, SlaSettings};
use crate::{Error, Result};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

/// The state tables, in an order in which each row's references come before it. These are
/// what replay rebuilds; everything else in the file is derived or this device's own.
pub const STATE_TABLES: &[(&str, &[&str])] = &[
    ("settings", &["key"]),
    ("organisations", &["id"]),
    ("customers", &["id"]),
    ("agents", &["id"]),
    ("teams", &["id"]),
    ("agent_teams", &["agent_id", "team_id"]),
    ("ticket_types", &["name"]),
    ("tickets", &["id"]),
    ("ticket_tags", &["ticket_id", "tag"]),
    ("sla_pauses", &["ticket_id", "started_at"]),
    ("messages", &["id"]),
    ("attachments", &["id"]),
    ("ticket_links", &["from_ticket", "to_ticket", "kind"]),
    ("macros", &["id"]),
    ("saved_views", &["id"]),
    ("rules", &["id"]),
    ("rule_firings", &["rule_id", "ticket_id"]),
    ("csat", &["ticket_id"]),
    ("conflicts", &["event_id"]),
    ("entity_aliases", &["kind", "id"]),
    ("mail_messages", &["message_id"]),
    ("mail_outbox", &["message_id"]),
    ("mail_bounced", &["address"]),
    ("similar_feedback", &["ticket_id", "for_ticket"]),
];

/// Columns of state tables that are this device's own: `tickets.sla_alert_at` is how far this
/// desktop's alert scan has got (alerts are raised and delivered per desktop).
pub const DEVICE_COLUMNS: &[(&str, &str)] = &[("tickets", "sla_alert_at")];

/// The mail behind a message; a reply going out is queued in the outbox.
fn apply_mail(conn: &Connection, ticket_id: &str, message_id: &str, at: i64, m: &crate::MailMeta) -> Result<()> {
    let json = |v: &Vec<String>| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
    conn.prepare_cached(
        "INSERT INTO mail_messages (message_id, ticket_id, direction, header_id, fingerprint, from_addr, to_addrs, cc_addrs, subject,
             in_reply_to, refs, raw_sha256, quoted, notes, automatic, reused_id, has_html)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    )?
    .execute(params![
        message_id,
        ticket_id,
        if m.direction == "out" { "out" } else { "in" },
        m.header_id,
        m.fingerprint,
        m.from,
        json(&m.to),
        json(&m.cc),
        m.subject,
        m.in_reply_to,
        json(&m.references),
        m.raw_sha256,
        m.quoted,
        json(&m.notes),
        m.automatic,
        m.reused_id,
        m.has_html
    ])?;
    if m.direction == "out" {
        conn.prepare_cached("INSERT INTO mail_outbox (message_id, ticket_id, status, queued_at) VALUES (?1, ?2, 'queued', ?3)")?
            .execute(params![message_id, ticket_id, at])?;
    }
    Ok(())
}

fn bad(what: impl Into<String>) -> Error {
    Error::Conflict(what.into())
}

fn need_ticket(ticket_id: Option<&str>) -> Result<&str> {
    ticket_id.ok_or_else(|| bad("ticket_id: a ticket event names no ticket"))
}

/// Fails unless exactly one row changed: the event names something that does not exist.
fn one(n: usize, what: &str) -> Result<()> {
    if n == 1 {
        Ok(())
    } else {
        Err(bad(format!("{what} does not exist")))
    }
}

fn mark_dirty(conn: &Connection, ticket_id: &str) -> Result<()> {
    conn.prepare_cached("INSERT OR IGNORE INTO temp.derived_pending (ticket_id) VALUES (?1)")?.execute([ticket_id])?;
    Ok(())
}

/// Which event is being applied: what a conflict record names.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    pub event_id: &'a str,
    pub device: &'a str,
    pub actor: &'a str,
}

/// Writes `change` (an event at `at`, in ms) into the state tables.
pub fn apply(conn: &Connection, ticket_id: Option<&str>, at: i64, change: &Change, origin: Origin<'_>) -> Result<()> {
    let resolved = resolve_aliases(conn, change)?;
    let change = resolved.as_ref().unwrap_or(change);
    match apply_inner(conn, ticket_id, at, change, origin) {
        Err(Error::Database(rusqlite::Error::SqliteFailure(e, text))) if e.code == rusqlite::ErrorCode::ConstraintViolation => {
            Err(bad(explain_constraint(conn, ticket_id, change, text.as_deref().unwrap_or("a constraint failed"))))
        }
        other => other,
    }
}

fn apply_inner(conn: &Connection, ticket_id: Option<&str>, at: i64, change: &Change, origin: Origin<'_>) -> Result<()> {
    // Whether the statements below already moved `updated_at`, and whether they changed a
    // fact the SLA instants are computed from (so the ticket needs them recomputed).
    let mut touched = false;
    let mut sla_facts_changed = false;
    match change {
        Change::WorkspaceCreated(info) => put_setting(conn, "workspace", &serde_json::to_string(info)?)?,
        Change::Baseline { table, row } => insert_row(conn, table, row)?,
        Change::SlaChanged(settings) => {
            put_setting(conn, "sla", &serde_json::to_string(settings)?)?;
            refresh_all_sla(conn, settings)?;
        }
        Change::SettingChanged { key, value } => put_setting(conn, key, &value.to_string())?,
        Change::TypeAdded { name } => {
            let revived = conn.execute("UPDATE ticket_types SET active = 1 WHERE name = ?1", [name])?;
            if revived == 0 {
                conn.execute(
                    "INSERT INTO ticket_types (name, position) VALUES (?1, (SELECT coalesce(max(position), -1) + 1 FROM ticket_types))",
                    [name],
                )?;
            }
        }
        Change::TypeRemoved { name } => {
            one(conn.execute("UPDATE ticket_types SET active = 0 WHERE name = ?1", [name])?, &format!("name: the type '{name}'"))?
        }
        Change::AgentAdded { id, name, email, role, skills } => {
            let taken: Option<String> = conn.query_row("SELECT id FROM agents WHERE email = ?1", [email], |r| r.get(0)).optional()?;
            match taken {
                Some(existing) if existing != *id => alias(conn, "agent", id, &existing)?,
                _ => {
                    conn.execute(
                        "INSERT INTO agents (id, name, email, role, skills, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        params![id, name, email, role.as_str(), serde_json::to_string(skills)?, at],
                    )?;
                }
            }
        }
        Change::AgentJoinedTeam { agent_id, team_id } => {
            conn.execute("INSERT OR IGNORE INTO agent_teams (agent_id, team_id) VALUES (?1, ?2)", params![agent_id, team_id])?;
        }
        Change::TeamAdded { id, name, backup_agent_id } => {
            let taken: Option<String> = conn.query_row("SELECT id FROM teams WHERE name = ?1", [name], |r| r.get(0)).optional()?;
            match taken {
                Some(existing) if existing != *id => alias(conn, "team", id, &existing)?,
                _ => {
                    conn.execute("INSERT INTO teams (id, name, backup_agent) VALUES (?1, ?2, ?3)", params![id, name, backup_agent_id])?;
                }
            }
        }
        Change::TeamBackupSet { id, backup_agent_id } => {
            one(conn.execute("UPDATE teams SET backup_agent = ?2 WHERE id = ?1", params![id, backup_agent_id])?, &format!("id: the team {id}"))?
        }
        Change::OrganisationAdded { id, name } => {
            let taken: Option<String> = conn.query_row("SELECT id FROM organisations WHERE name = ?1", [name], |r| r.get(0)).optional()?;
            match taken {
                Some(existing) if existing != *id => alias(conn, "organisation", id, &existing)?,
                _ => {
                    conn.execute("INSERT INTO organisations (id, name) VALUES (?1, ?2)", params![id, name])?;
                }
            }
        }
        Change::CustomerAdded { id, name, email, organisation_id, tier, created_at } => {
            let taken: Option<String> =
                conn.prepare_cached("SELECT id FROM customers WHERE email = ?1")?.query_row([email], |r| r.get(0)).optional()?;
            match taken {
                Some(existing) if existing != *id => alias(conn, "customer", id, &existing)?,
                _ => {
                    conn.prepare_cached(
                        "INSERT INTO customers (id, name, email, organisation_id, tier, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    )?
                    .execute(params![id, name, email, organisation_id, tier.as_str(), created_at])?;
                }
            }
        }
        Change::CustomerUpdated { id, name, organisation_id, tier } => one(
            conn.execute(
                "UPDATE customers SET name = ?2, organisation_id = ?3, tier = ?4 WHERE id = ?1",
                params![id, name, organisation_id, tier.as_str()],
            )?,
            &format!("id: the customer {id}"),
        )?,

        Change::TicketCreated {
            id, number, subject, description, ticket_type, priority, requester_id, assignee_id, team_id, channel, tags, ..
        } => {
            if ticket_id != Some(id.as_str()) {
                return Err(bad("id: the ticket created is not the ticket the event is stored with"));
            }
            // Another laptop's ticket, earlier in the log, took this number while the two were
            // apart: this one takes the next free number, and the conflict says so.
            let taken = conn.prepare_cached("SELECT 1 FROM tickets WHERE number = ?1")?.query_row([number], |_| Ok(())).optional()?.is_some();
            let wanted = *number;
            let number = if taken {
                conn.prepare_cached("SELECT coalesce(max(number), 0) + 1 FROM tickets")?.query_row([], |r| r.get::<_, i64>(0))?
            } else {
                wanted
            };
            conn.prepare_cached(
                "INSERT INTO tickets (id, number, subject, description, type, priority, status, requester_id, assignee_id, team_id, channel,
                                      created_at, updated_at, sla_cycle_start, status_changed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'new', ?7, ?8, ?9, ?10, ?11, ?11, ?11, ?11)",
            )?
            .execute(params![
                id,
                number,
                subject,
                description,
                ticket_type,
                priority.rank(),
                requester_id,
                assignee_id,
                team_id,
                channel.as_str(),
                at
            ])?;
            set_tags(conn, id, tags)?;
            if number != wanted {
                conflict(conn, origin, id, "number", "number", &number.to_string(), &wanted.to_string(), at)?;
            }
            touched = true;
            sla_facts_changed = true;
        }
        Change::MessageAdded { id, kind, author_agent_id, author_customer_id, body, attachments, first_response, mail } => {
            let t = need_ticket(ticket_id)?;
            conn.prepare_cached(
                "INSERT INTO messages (id, ticket_id, kind, author_agent, author_customer, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![id, t, kind.as_str(), author_agent_id, author_customer_id, body, at])?;
            for a in attachments {
                conn.prepare_cached("INSERT INTO attachments (id, message_id, filename, sha256, size, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?
                    .execute(params![a.id, id, a.filename, a.sha256, a.size, at])?;
            }
            if let Some(m) = mail {
                apply_mail(conn, t, id, at, m)?;
            }
            // The first response, the update time and the instants rules measure from, in one
            // statement: a reply by a person answers everything before it; an automatic reply
            // (a rule's, with no author) answers nothing.
            let customer = *kind == MessageKind::Customer;
            let answers = *kind == MessageKind::Public && author_agent_id.is_some();
            let n = conn
                .prepare_cached(
                    "UPDATE tickets SET updated_at = max(updated_at, ?2),
                        first_response_at = CASE WHEN ?3 THEN ?2 ELSE first_response_at END,
                        last_customer_at = CASE WHEN ?4 THEN max(coalesce(last_customer_at, ?2), ?2) ELSE last_customer_at END,
                        last_agent_reply_at = CASE WHEN ?5 THEN max(coalesce(last_agent_reply_at, ?2), ?2) ELSE last_agent_reply_at END,
                        awaiting_reply_since = CASE WHEN ?4 THEN coalesce(awaiting_reply_since, ?2) WHEN ?5 THEN NULL ELSE awaiting_reply_since END
                     WHERE id = ?1",
                )?
                .execute(params![t, at, first_response, customer, answers])?;
            one(n, &format!("ticket_id: the ticket {t}"))?;
            touched = true;
            sla_facts_changed = *first_response;
        }
        Change::MailSent { message_id, error } => {
            let t = need_ticket(ticket_id)?;
            let status = if error.is_some() { "failed" } else { "sent" };
            let n = conn
                .prepare_cached(
                    "UPDATE mail_outbox SET status = ?3, done_at = ?4, error = ?5 WHERE message_id = ?1 AND ticket_id = ?2 AND status = 'queued'",
                )?
                .execute(params![message_id, t, status, at, error])?;
            // Sent twice (two laptops raced): the first record stands.
            let _ = n;
        }
        Change::MailBounced { message_id, recipient, reason } => {
            let t = need_ticket(ticket_id)?;
            if let Some(m) = message_id {
                conn.prepare_cached("UPDATE mail_outbox SET status = 'bounced', error = ?2 WHERE message_id = ?1")?.execute(params![m, reason])?;
            }
            conn.prepare_cached("INSERT OR REPLACE INTO mail_bounced (address, ticket_id, reason, at) VALUES (?1, ?2, ?3, ?4)")?
                .execute(params![recipient, t, reason, at])?;
        }
        Change::SolutionMarked { message_id } => {
            let t = need_ticket(ticket_id)?;
            let n: i64 = conn
                .prepare_cached("SELECT count(*) FROM messages WHERE id = ?1 AND ticket_id = ?2")?
                .query_row(params![message_id, t], |r| r.get(0))?;
            one(n as usize, &format!("message_id: the message {message_id} on this ticket"))?;
            conn.prepare_cached("UPDATE messages SET is_solution = (id = ?2) WHERE ticket_id = ?1")?.execute(params![t, message_id])?;
        }
        Change::StatusChanged { from, to, resolution, resolved_at, closed_at, new_cycle, pause_ends, pause_starts } => {
            let t = need_ticket(ticket_id)?;
            // The status this move was decided from is not the ticket's any more: another
            // laptop moved it meanwhile. Closed stays final; any other move stands (the later
            // one in the log's order), and either way the conflict is kept.
            let current = status_of(conn, t)?;
            if current != *from {
                let lost = serde_json::to_string(to)?;
                let kept = serde_json::to_string(&current)?;
                if current == Status::Closed {
                    conflict(conn, origin, t, "status", "status", &kept, &lost, at)?;
                    return Ok(());
                }
                conflict(conn, origin, t, "status", "status", &lost, &kept, at)?;
            }
            if *pause_ends {
                conn.prepare_cached("UPDATE sla_pauses SET ended_at = ?2 WHERE ticket_id = ?1 AND ended_at IS NULL")?.execute(params![t, at])?;
            }
            if *pause_starts {
                conn.prepare_cached("INSERT OR IGNORE INTO sla_pauses (ticket_id, started_at) VALUES (?1, ?2)")?.execute(params![t, at])?;
            }
            let n = conn
                .prepare_cached(
                    "UPDATE tickets SET status = ?2, resolution = ?3, resolved_at = ?4, closed_at = ?5, status_changed_at = ?6,
                            sla_cycle = sla_cycle + ?7, sla_cycle_start = CASE WHEN ?7 = 1 THEN ?6 ELSE sla_cycle_start END,
                            updated_at = max(updated_at, ?6)
                     WHERE id = ?1",
                )?
                .execute(params![t, to.as_str(), resolution.map(|r| r.as_str()), resolved_at, closed_at, at, *new_cycle as i64])?;
            one(n, &format!("ticket_id: the ticket {t}"))?;
            touched = true;
            sla_facts_changed = true;
        }
        Change::FieldChanged(fc) => {
            let t = need_ticket(ticket_id)?;
            field_conflict(conn, t, fc, origin, at)?;
            // A field's statement moves `updated_at` too; tags are rows of their own.
            touched = !matches!(fc, FieldChange::Tags { .. });
            let n = match fc {
                FieldChange::Priority { to, .. } => {
                    sla_facts_changed = true;
                    let sql = "UPDATE tickets SET priority = ?2, updated_at = max(updated_at, ?3) WHERE id = ?1";
                    conn.prepare_cached(sql)?.execute(params![t, to.rank(), at])?
                }
                FieldChange::Type { to, .. } => conn
                    .prepare_cached("UPDATE tickets SET type = ?2, updated_at = max(updated_at, ?3) WHERE id = ?1")?
                    .execute(params![t, to, at])?,
                FieldChange::Assignee { to, .. } => conn
                    .prepare_cached("UPDATE tickets SET assignee_id = ?2, updated_at = max(updated_at, ?3) WHERE id = ?1")?
                    .execute(params![t, to, at])?,
                FieldChange::Team { to, .. } => conn
                    .prepare_cached("UPDATE tickets SET team_id = ?2, updated_at = max(updated_at, ?3) WHERE id = ?1")?
                    .execute(params![t, to, at])?,
                // Tags merge: what this change added and removed, applied to the tags as they are
                // (so two laptops tagging one ticket while apart keep both tags).
                FieldChange::Tags { from, to } => {
                    let mut remove = conn.prepare_cached("DELETE FROM ticket_tags WHERE ticket_id = ?1 AND tag = ?2")?;
                    for tag in from.iter().filter(|t| !to.contains(t)) {
                        remove.execute(params![t, tag])?;
                    }
                    let mut add = conn.prepare_cached("INSERT OR IGNORE INTO ticket_tags (ticket_id, tag) VALUES (?1, ?2)")?;
                    for tag in to.iter().filter(|t| !from.contains(t)) {
                        add.execute(params![t, tag])?;
                    }
                    conn.prepare_cached("SELECT count(*) FROM tickets WHERE id = ?1")?.query_row([t], |r| r.get::<_, i64>(0))? as usize
                }
            };
            one(n, &format!("ticket_id: the ticket {t}"))?;
        }
        Change::Merged { duplicate_id, original_id, repointed, .. } => {
            if ticket_id != Some(duplicate_id.as_str()) {
                return Err(bad("duplicate_id: the merged ticket is not the ticket the event is stored with"));
            }
            // Two laptops that merged two tickets into each other while apart: the first merge
            // in the log's order stands, the other one is kept as a conflict.
            let original_of_original: Option<Option<String>> =
                conn.query_row("SELECT duplicate_of FROM tickets WHERE id = ?1", [original_id], |r| r.get(0)).optional()?;
            if let Some(Some(o)) = &original_of_original {
                if o == duplicate_id {
                    conflict(conn, origin, duplicate_id, "merge", "duplicate_of", "null", &serde_json::to_string(original_id)?, at)?;
                    return Ok(());
                }
            }
            one(conn.execute("UPDATE tickets SET duplicate_of = ?2 WHERE id = ?1", params![duplicate_id, original_id])?, "duplicate_id: the ticket")?;
            for r in repointed {
                conn.execute("UPDATE tickets SET duplicate_of = ?2 WHERE id = ?1", params![r, original_id])?;
            }
            conn.execute(
                "INSERT OR IGNORE INTO ticket_links (from_ticket, to_ticket, kind, created_at) VALUES (?1, ?2, 'duplicate', ?3)",
                params![duplicate_id, original_id, at],
            )?;
        }
        Change::MergeReceived { .. } => {}
        Change::Linked { to_id, .. } => {
            let t = need_ticket(ticket_id)?;
            conn.execute(
                "INSERT OR IGNORE INTO ticket_links (from_ticket, to_ticket, kind, created_at) VALUES (?1, ?2, 'related', ?3)",
                params![t, to_id, at],
            )?;
        }
        Change::Snoozed { until } => {
            let t = need_ticket(ticket_id)?;
            let n = conn.prepare_cached("UPDATE tickets SET snoozed_until = ?2 WHERE id = ?1")?.execute(params![t, until])?;
            one(n, "the ticket")?;
        }
        Change::FollowUpSet { at: due, by } => {
            let t = need_ticket(ticket_id)?;
            let n = conn.prepare_cached("UPDATE tickets SET follow_up_at = ?2, follow_up_by = ?3 WHERE id = ?1")?.execute(params![t, due, by])?;
            one(n, "the ticket")?;
        }
        Change::Rated { good, comment, recorded_by } => {
            let t = need_ticket(ticket_id)?;
            conn.prepare_cached(
                "INSERT INTO csat (ticket_id, good, comment, rated_at, recorded_by) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (ticket_id) DO UPDATE SET good = excluded.good, comment = excluded.comment, rated_at = excluded.rated_at,
                                                     recorded_by = excluded.recorded_by",
            )?
            .execute(params![t, *good as i64, comment, at, recorded_by])?;
        }
        Change::SimilarFeedback { for_id, verdict, agent_id } => {
            let t = need_ticket(ticket_id)?;
            // A vote replaces the earlier vote; an inserted fix stays recorded either way.
            let (helpful, voted, inserted) = match verdict {
                Verdict::Helpful => (Some(1), Some(at), None),
                Verdict::NotHelpful => (Some(0), Some(at), None),
                Verdict::FixInserted => (None, None, Some(at)),
            };
            conn.prepare_cached(
                "INSERT INTO similar_feedback (ticket_id, for_ticket, helpful, voted_at, fix_inserted_at, agent_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (ticket_id, for_ticket) DO UPDATE SET helpful = coalesce(excluded.helpful, helpful),
                     voted_at = coalesce(excluded.voted_at, voted_at), fix_inserted_at = coalesce(fix_inserted_at, excluded.fix_inserted_at),
                     agent_id = coalesce(excluded.agent_id, agent_id)",
            )?
            .execute(params![t, for_id, helpful, voted, inserted, agent_id])?;
        }

        Change::MacroSaved { id, name, body, actions } => {
            // Two laptops that made a macro of the same name while apart made one macro.
            let taken: Option<String> = conn.query_row("SELECT id FROM macros WHERE name = ?1", [name], |r| r.get(0)).optional()?;
            let id = match taken {
                Some(existing) if existing != same_as(conn, "macro", id)? => {
                    alias(conn, "macro", id, &existing)?;
                    existing
                }
                _ => same_as(conn, "macro", id)?,
            };
            conn.execute(
                "INSERT INTO macros (id, name, body, actions) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, body = excluded.body, actions = excluded.actions",
                params![id, name, body, serde_json::Value::Array(actions.clone()).to_string()],
            )?;
        }
        Change::ViewSaved { id, name, owner_id, query } => {
            let taken: Option<String> =
                conn.query_row("SELECT id FROM saved_views WHERE name = ?1 AND owner_id IS ?2", params![name, owner_id], |r| r.get(0)).optional()?;
            let id = match taken {
                Some(existing) if existing != same_as(conn, "view", id)? => {
                    alias(conn, "view", id, &existing)?;
                    existing
                }
                _ => same_as(conn, "view", id)?,
            };
            conn.execute(
                "INSERT INTO saved_views (id, name, owner_id, query) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, owner_id = excluded.owner_id, query = excluded.query",
                params![id, name, owner_id, query.to_string()],
            )?;
        }
        // Deleted on two laptops while apart: gone either way.
        Change::ViewDeleted { id } => {
            conn.execute("DELETE FROM saved_views WHERE id = ?1", [same_as(conn, "view", id)?])?;
        }
        Change::RuleSaved { id, name, kind, enabled, builtin, definition } => {
            conn.execute(
                "INSERT INTO rules (id, name, kind, enabled, position, builtin, definition)
                 VALUES (?1, ?2, ?3, ?4, (SELECT coalesce(max(position), 0) + 1 FROM rules), ?5, ?6)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, enabled = excluded.enabled,
                                                definition = excluded.definition",
                params![id, name, kind, *enabled as i64, builtin, definition.to_string()],
            )?;
        }
        Change::RulesOrdered { ids } => {
            for (i, id) in ids.iter().enumerate() {
                one(conn.execute("UPDATE rules SET position = ?2 WHERE id = ?1", params![id, i as i64 + 1])?, &format!("ids: the rule {id}"))?;
            }
        }
        Change::RuleDeleted { id } => one(conn.execute("DELETE FROM rules WHERE id = ?1", [id])?, &format!("id: the rule {id}"))?,
        Change::RuleStateChanged { id, state } => {
            one(conn.execute("UPDATE rules SET state = ?2 WHERE id = ?1", params![id, state.to_string()])?, &format!("id: the rule {id}"))?
        }
        Change::RuleFired { rule_id, window } => {
            let t = need_ticket(ticket_id)?;
            conn.prepare_cached(
                "INSERT INTO rule_firings (rule_id, ticket_id, window_key, fired_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (rule_id, ticket_id) DO UPDATE SET window_key = excluded.window_key, fired_at = excluded.fired_at",
            )?
            .execute(params![rule_id, t, window, at])?;
        }
        Change::RuleNotified { .. } | Change::RulesStopped { .. } => {}
    }
    if let (Some(t), true, false) = (ticket_id, change.touches_ticket(), touched) {
        let n = conn.prepare_cached("UPDATE tickets SET updated_at = max(updated_at, ?2) WHERE id = ?1")?.execute(params![t, at])?;
        one(n, &format!("ticket_id: the ticket {t}"))?;
    }
    if let (Some(t), true) = (ticket_id, sla_facts_changed) {
        mark_dirty(conn, t)?;
    }
    Ok(())
}

/// Names what a refused write points at that is not there (or is there twice).
fn explain_constraint(conn: &Connection, ticket_id: Option<&str>, change: &Change, sqlite_says: &str) -> String {
    let exists = |table: &str, id: &str| -> bool {
        conn.query_row(&format!("SELECT 1 FROM {table} WHERE id = ?1"), [id], |_| Ok(())).optional().ok().flatten().is_some()
    };
    let mut refs: Vec<(&str, &str, &str)> = Vec::new();
    if let Some(t) = ticket_id {
        if !matches!(change, Change::TicketCreated { .. }) {
            refs.push(("ticket_id", "tickets", t));
        }
    }
    match change {
        Change::TicketCreated { requester_id, assignee_id, team_id, .. } => {
            refs.push(("requester_id", "customers", requester_id));
            if let Some(a) = assignee_id {
                refs.push(("assignee_id", "agents", a));
            }
            if let Some(t) = team_id {
                refs.push(("team_id", "teams", t));
            }
        }
        Change::MessageAdded { author_agent_id, author_customer_id, .. } => {
            if let Some(a) = author_agent_id {
                refs.push(("author_agent_id", "agents", a));
            }
            if let Some(c) = author_customer_id {
                refs.push(("author_customer_id", "customers", c));
            }
        }
        Change::FieldChanged(FieldChange::Assignee { to: Some(a), .. }) => refs.push(("to", "agents", a)),
        Change::FieldChanged(FieldChange::Team { to: Some(t), .. }) => refs.push(("to", "teams", t)),
        Change::AgentJoinedTeam { agent_id, team_id } => {
            refs.push(("agent_id", "agents", agent_id));
            refs.push(("team_id", "teams", team_id));
        }
        Change::TeamAdded { backup_agent_id: Some(a), .. } | Change::TeamBackupSet { backup_agent_id: Some(a), .. } => {
            refs.push(("backup_agent_id", "agents", a))
        }
        Change::CustomerAdded { organisation_id: Some(o), .. } | Change::CustomerUpdated { organisation_id: Some(o), .. } => {
            refs.push(("organisation_id", "organisations", o))
        }
        Change::Merged { original_id, .. } => refs.push(("original_id", "tickets", original_id)),
        Change::Linked { to_id, .. } => refs.push(("to_id", "tickets", to_id)),
        Change::RuleFired { rule_id, .. } => refs.push(("rule_id", "rules", rule_id)),
        Change::Rated { recorded_by: Some(a), .. } => refs.push(("recorded_by", "agents", a)),
        Change::FollowUpSet { by: Some(a), .. } => refs.push(("by", "agents", a)),
        Change::SimilarFeedback { for_id, agent_id, .. } => {
            refs.push(("for_id", "tickets", for_id));
            if let Some(a) = agent_id {
                refs.push(("agent_id", "agents", a));
            }
        }
        _ => {}
    }
    for (field, table, id) in refs {
        if !exists(table, id) {
            return format!("{field}: {} {id} does not exist", table.trim_end_matches('s'));
        }
    }
    format!("it does not fit what is already there ({sqlite_says})")
}

/// The change with every person, team and organisation it names under the id they go by,
/// when two laptops made one of them twice (None: nothing to change, the common case).
fn resolve_aliases(conn: &Connection, change: &Change) -> Result<Option<Change>> {
    let any: bool = conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM entity_aliases)")?.query_row([], |r| r.get(0))?;
    if !any {
        return Ok(None);
    }
    let id = |kind: &str, v: &mut String| -> Result<()> {
        *v = same_as(conn, kind, v)?;
        Ok(())
    };
    let opt = |kind: &str, v: &mut Option<String>| -> Result<()> {
        if let Some(x) = v {
            *x = same_as(conn, kind, x)?;
        }
        Ok(())
    };
    let mut c = change.clone();
    match &mut c {
        Change::AgentJoinedTeam { agent_id, team_id } => {
            id("agent", agent_id)?;
            id("team", team_id)?;
        }
        Change::TeamAdded { backup_agent_id, .. } => opt("agent", backup_agent_id)?,
        Change::TeamBackupSet { id: team, backup_agent_id } => {
            id("team", team)?;
            opt("agent", backup_agent_id)?;
        }
        Change::CustomerAdded { organisation_id, .. } => opt("organisation", organisation_id)?,
        Change::CustomerUpdated { id: customer, organisation_id, .. } => {
            id("customer", customer)?;
            opt("organisation", organisation_id)?;
        }
        Change::TicketCreated { requester_id, assignee_id, team_id, .. } => {
            id("customer", requester_id)?;
            opt("agent", assignee_id)?;
            opt("team", team_id)?;
        }
        Change::MessageAdded { author_agent_id, author_customer_id, .. } => {
            opt("agent", author_agent_id)?;
            opt("customer", author_customer_id)?;
        }
        Change::FieldChanged(FieldChange::Assignee { from, to }) => {
            opt("agent", from)?;
            opt("agent", to)?;
        }
        Change::FieldChanged(FieldChange::Team { from, to }) => {
            opt("team", from)?;
            opt("team", to)?;
        }
        Change::Rated { recorded_by, .. } => opt("agent", recorded_by)?,
        Change::SimilarFeedback { agent_id, .. } => opt("agent", agent_id)?,
        Change::ViewSaved { owner_id, .. } => opt("agent", owner_id)?,
        _ => return Ok(None),
    }
    Ok(Some(c))
}

/// The id an entity goes by: itself, or the one it was found to be the same as.
fn same_as(conn: &Connection, kind: &str, id: &str) -> Result<String> {
    let other: Option<String> =
        conn.prepare_cached("SELECT same_as FROM entity_aliases WHERE kind = ?1 AND id = ?2")?.query_row([kind, id], |r| r.get(0)).optional()?;
    Ok(other.unwrap_or_else(|| id.to_string()))
}

fn alias(conn: &Connection, kind: &str, id: &str, same_as: &str) -> Result<()> {
    conn.execute("INSERT OR IGNORE INTO entity_aliases (kind, id, same_as) VALUES (?1, ?2, ?3)", params![kind, id, same_as])?;
    Ok(())
}

fn status_of(conn: &Connection, ticket_id: &str) -> Result<Status> {
    let s: Option<String> = conn.prepare_cached("SELECT status FROM tickets WHERE id = ?1")?.query_row([ticket_id], |r| r.get(0)).optional()?;
    let s = s.ok_or_else(|| bad(format!("ticket_id: the ticket {ticket_id} does not exist")))?;
    Status::parse(&s)
}

#[allow(clippy::too_many_arguments)]
fn conflict(conn: &Connection, origin: Origin<'_>, ticket_id: &str, kind: &str, field: &str, kept: &str, lost: &str, at: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO conflicts (event_id, ticket_id, kind, field, kept, lost, device, actor, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![origin.event_id, ticket_id, kind, field, kept, lost, origin.device, origin.actor, at])?;
    Ok(())
}

/// A field set from a value it no longer has: another laptop set it meanwhile. The change
/// still stands (it is the later one in the log's order); the value it replaced is kept as
/// the conflict's loser.
fn field_conflict(conn: &Connection, ticket_id: &str, fc: &FieldChange, origin: Origin<'_>, at: i64) -> Result<()> {
    let column = match fc {
        FieldChange::Priority { .. } => "priority",
        FieldChange::Type { .. } => "type",
        FieldChange::Assignee { .. } => "assignee_id",
        FieldChange::Team { .. } => "team_id",
        FieldChange::Tags { .. } => return Ok(()),
    };
    let current: Option<rusqlite::types::Value> =
        conn.prepare_cached(&format!("SELECT {column} FROM tickets WHERE id = ?1"))?.query_row([ticket_id], |r| r.get(0)).optional()?;
    let Some(current) = current else { return Ok(()) };
    use rusqlite::types::Value as V;
    let (field, now, from, to) = match (fc, current) {
        (FieldChange::Priority { from, to }, V::Integer(rank)) => {
            let now = Priority::from_rank(rank);
            ("priority", serde_json::to_string(&now)?, serde_json::to_string(from)?, serde_json::to_string(to)?)
        }
        (FieldChange::Type { from, to }, V::Text(now)) => {
            ("type", serde_json::to_string(&now)?, serde_json::to_string(from)?, serde_json::to_string(to)?)
        }
        (FieldChange::Assignee { from, to }, now) | (FieldChange::Team { from, to }, now) => {
            let now = match now {
                V::Text(t) => Some(t),
                _ => None,
            };
            let field = if matches!(fc, FieldChange::Assignee { .. }) { "assignee" } else { "team" };
            (field, serde_json::to_string(&now)?, serde_json::to_string(from)?, serde_json::to_string(to)?)
        }
        _ => return Ok(()),
    };
    if now != from && now != to {
        conflict(conn, origin, ticket_id, "field", field, &to, &now, at)?;
    }
    Ok(())
}

fn put_setting(conn: &Connection, key: &str, json: &str) -> Result<()> {
    conn.execute("INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value", params![key, json])?;
    Ok(())
}

fn set_tags(conn: &Connection, ticket_id: &str, tags: &[String]) -> Result<()> {
    conn.prepare_cached("DELETE FROM ticket_tags WHERE ticket_id = ?1")?.execute([ticket_id])?;
    let mut stmt = conn.prepare_cached("INSERT OR IGNORE INTO ticket_tags (ticket_id, tag) VALUES (?1, ?2)")?;
    for tag in tags {
        stmt.execute(params![ticket_id, tag])?;
    }
    Ok(())
}

/// A baseline row, as it was read: only into a state table, only its own columns.
fn insert_row(conn: &Connection, table: &str, row: &serde_json::Map<String, serde_json::Value>) -> Result<()> {
    if !STATE_TABLES.iter().any(|(t, _)| *t == table) {
        return Err(bad(format!("table: '{table}' is not a state table")));
    }
    let known: Vec<String> =
        conn.prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))?.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    let mut cols = Vec::new();
    let mut values: Vec<rusqlite::types::Value> = Vec::new();
    for (k, v) in row {
        if !known.contains(k) {
            return Err(bad(format!("row: '{table}' has no column '{k}'")));
        }
        cols.push(format!("\"{k}\""));
        values.push(match v {
            serde_json::Value::Null => rusqlite::types::Value::Null,
            serde_json::Value::Bool(b) => rusqlite::types::Value::Integer(*b as i64),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => rusqlite::types::Value::Integer(i),
                None => rusqlite::types::Value::Real(n.as_f64().unwrap_or(0.0)),
            },
            serde_json::Value::String(s) => rusqlite::types::Value::Text(s.clone()),
            other => rusqlite::types::Value::Text(other.to_string()),
        });
    }
    let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
    conn.prepare_cached(&format!("INSERT INTO \"{table}\" ({}) VALUES ({})", cols.join(", "), marks.join(", ")))?
        .execute(rusqlite::params_from_iter(values))?;
    Ok(())
}

pub fn sla_facts(conn: &Connection, ticket_id: &str) -> Result<SlaFacts> {
    let mut stmt =
        conn.prepare_cached("SELECT priority, status, created_at, sla_cycle_start, first_response_at, resolved_at FROM tickets WHERE id = ?1")?;
    let mut facts = stmt.query_row([ticket_id], |r| {
        Ok(SlaFacts {
            priority: Priority::from_rank(r.get(0)?),
            status: Status::parse(&r.get::<_, String>(1)?).unwrap_or(Status::Open),
            created_at: from_ms(r.get(2)?),
            cycle_start: from_ms(r.get(3)?),
            first_response_at: r.get::<_, Option<i64>>(4)?.map(from_ms),
            resolved_at: r.get::<_, Option<i64>>(5)?.map(from_ms),
            pauses: vec![],
        })
    })?;
    let mut stmt = conn.prepare_cached("SELECT started_at, ended_at FROM sla_pauses WHERE ticket_id = ?1 ORDER BY started_at")?;
    facts.pauses = stmt
        .query_map([ticket_id], |r| Ok(Pause { start: from_ms(r.get(0)?), end: r.get::<_, Option<i64>>(1)?.map(from_ms) }))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(facts)
}

/// Recomputes the stored SLA instants of one ticket from its facts (and starts this desktop's
/// alert scan over for it).
fn refresh_sla(conn: &Connection, settings: &SlaSettings, ticket_id: &str) -> Result<()> {
    let facts = sla_facts(conn, ticket_id)?;
    let i = sla::instants(settings, &facts);
    let ms = |t: Option<Timestamp>| t.map(to_ms);
    conn.prepare_cached(
        "UPDATE tickets SET frt_due_at = ?2, frt_risk_at = ?3, res_due_at = ?4, res_risk_at = ?5, sla_attention_at = ?6,
                            sla_alert_at = ?6 WHERE id = ?1",
    )?
    .execute(params![ticket_id, ms(i.frt_due_at), ms(i.frt_risk_at), ms(i.res_due_at), ms(i.res_risk_at), ms(i.attention_at)])?;
    Ok(())
}

/// The SLA instants of every unsolved ticket (solved ones have none), e.g. after new settings.
pub fn refresh_all_sla(conn: &Connection, settings: &SlaSettings) -> Result<()> {
    let ids: Vec<String> = conn
        .prepare("SELECT id FROM tickets WHERE status NOT IN ('resolved', 'closed')")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for id in ids {
        refresh_sla(conn, settings, &id)?;
    }
    conn.execute("DELETE FROM temp.derived_pending WHERE ticket_id IN (SELECT id FROM tickets WHERE status NOT IN ('resolved', 'closed'))", [])?;
    Ok(())
}

/// Brings the SLA instants of the tickets changed since the last flush up to date: before
/// anything reads them in the same transaction (the rules), and at commit.
pub fn flush_derived(conn: &Connection, settings: &SlaSettings) -> Result<()> {
    let ids: Vec<String> =
        conn.prepare_cached("SELECT ticket_id FROM temp.derived_pending")?.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    if ids.is_empty() {
        return Ok(());
    }
    for id in &ids {
        refresh_sla(conn, settings, id)?;
    }
    conn.prepare_cached("DELETE FROM temp.derived_pending")?.execute([])?;
    Ok(())
}

/// Commits a unit of work: its derived columns first, then the transaction.
pub fn commit(tx: Transaction<'_>, settings: &SlaSettings) -> Result<()> {
    flush_derived(&tx, settings)?;
    tx.commit()?;
    Ok(())
}
