//! `casebook`: the command-line face of the engine. Each command parses its arguments, calls
//! one engine function and prints the answer as text or, with `--json`, as JSON.

use anyhow::Context;
use casebook::alerts::{AlertQuery, QuietHours};
use casebook::bench;
use casebook::clock::{parse_instant, Clock, FixedClock, SystemClock};
use casebook::demo::{self, DemoOptions};
use casebook::model::{AlertKind, MessageKind, NewMessage, NewTicket, Priority, Resolution, Role, Status, Ticket};
use casebook::people::NewAgent;
use casebook::rules::{Rule, RuleDefinition, RuleKind, RulePassReport, TryTarget};
use casebook::search::{SearchFilters, SearchIndex};
use casebook::sla::{SlaState, SlaStatus, TargetStatus};
use casebook::stats::{self, Bucket, StatsQuery};
use casebook::views::{AssigneeFilter, Filters, SlaFilter, Sort, SortKey, TicketRow, ViewQuery};
use casebook::{Error, ErrorPayload, Field, Workspace, WorkspaceInit};
use clap::{Args, Parser, Subcommand};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(name = "casebook", version, about = "Casebook: an offline-first helpdesk. The engine's command line.")]
struct Cli {
    /// The workspace database (default: $CASEBOOK_DB, else the OS data folder).
    #[arg(long, global = true)]
    db: Option<PathBuf>,
    /// Run as if it were this instant (RFC 3339), e.g. 2026-03-02T09:00:00Z.
    #[arg(long, global = true)]
    now: Option<String>,
    /// Machine-readable output.
    #[arg(long, global = true)]
    json: bool,
    /// Act as the agent with this email (default: the workspace's first admin).
    #[arg(long = "as", global = true)]
    as_agent: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a new workspace and its first admin agent.
    Init {
        #[arg(long, default_value = "Admin")]
        name: String,
        #[arg(long, default_value = "admin@casebook.local")]
        email: String,
        #[arg(long, default_value = "Casebook")]
        workspace: String,
    },
    /// Add generated demo tickets (creating the workspace if there is none).
    Demo {
        #[arg(long, default_value_t = 3000)]
        tickets: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Create a ticket; the body is the customer's first message.
    New(NewArgs),
    /// Add an agent's public reply, an internal note (--internal) or a customer message (--customer).
    Reply {
        number: i64,
        #[arg(long)]
        body: String,
        #[arg(long, conflicts_with = "customer")]
        internal: bool,
        #[arg(long)]
        customer: bool,
        /// Attach a file (repeatable).
        #[arg(long = "attach")]
        attachments: Vec<PathBuf>,
    },
    /// Set a field: status, priority, type, assignee (email, me, none), team, tags (comma-separated).
    Set {
        number: i64,
        field: String,
        value: String,
        /// Resolution reason when resolving or closing.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Take the ticket: assign it to yourself.
    Claim { number: i64 },
    /// Merge ticket N into ticket M (N is closed as a duplicate).
    Merge {
        number: i64,
        #[arg(long)]
        into: i64,
    },
    /// Link two tickets as related.
    Link { number: i64, related: i64 },
    /// Mark a reply or note as the ticket's fix.
    Solution { number: i64, message: String },
    /// Show a ticket with its thread and SLA.
    Show { number: i64 },
    /// List tickets of a view, or with filters.
    List(ListArgs),
    /// Views with their ticket counts; save or delete a view.
    Views {
        #[command(subcommand)]
        action: Option<ViewAction>,
    },
    /// The processing log of a ticket.
    History { number: i64 },
    /// The SLA of one ticket, or (without a number) the policies and every ticket at risk or breached.
    Sla { number: Option<i64> },
    /// Set one priority's SLA targets, or the at-risk share.
    SlaPolicy {
        #[arg(long)]
        priority: Option<String>,
        #[arg(long)]
        first_response_minutes: Option<i64>,
        #[arg(long)]
        resolution_minutes: Option<i64>,
        #[arg(long)]
        at_risk_share: Option<f64>,
        /// Business hours Monday–Friday, e.g. "09:00-18:00@Europe/Warsaw"; "none" for around the clock.
        #[arg(long)]
        business_hours: Option<String>,
    },
    /// Agents: list, or add one.
    Agents {
        #[command(subcommand)]
        action: Option<AgentAction>,
    },
    /// Teams: list, or add one.
    Teams {
        #[command(subcommand)]
        action: Option<TeamAction>,
    },
    /// Ticket types: list, add or remove.
    Types {
        #[command(subcommand)]
        action: Option<TypeAction>,
    },
    /// Macros: list, save, or render one for a ticket.
    Macros {
        #[command(subcommand)]
        action: Option<MacroAction>,
    },
    /// Search every ticket: words (all must match), a OR b, "phrases", -exclusions,
    /// status: priority: type: assignee: tag: requester: team: before: after:.
    Search {
        query: String,
        #[arg(long = "status")]
        statuses: Vec<String>,
        #[arg(long = "priority")]
        priorities: Vec<String>,
        #[arg(long = "tag")]
        tags: Vec<String>,
        #[arg(long)]
        assignee: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// The most similar solved tickets to ticket N, each with the fix that closed it.
    Similar {
        number: i64,
        #[arg(long, default_value_t = 5)]
        limit: usize,
    },
    /// Scan for SLA alerts at --now (raising what is due) and list every alert; or act on them.
    Alerts {
        #[command(subcommand)]
        action: Option<AlertAction>,
        /// Only unread alerts.
        #[arg(long)]
        unread: bool,
    },
    /// Dashboard figures for a period: now, flow, response and resolution times, SLA
    /// compliance, agents, issues, CSAT (`--csv DIR` writes every table).
    Stats {
        /// Start of the period: a date (2026-03-01) or an RFC 3339 instant (default: 30 days before --to).
        #[arg(long)]
        from: Option<String>,
        /// End of the period, exclusive (default: now).
        #[arg(long)]
        to: Option<String>,
        #[arg(long)]
        priority: Option<String>,
        #[arg(long = "type")]
        ticket_type: Option<String>,
        #[arg(long)]
        team: Option<String>,
        /// An agent's email.
        #[arg(long)]
        agent: Option<String>,
        /// Trend points per day or week (default: days up to two months).
        #[arg(long)]
        bucket: Option<String>,
        /// List the tickets behind one figure (its key, as the JSON shows it).
        #[arg(long)]
        tickets: Option<String>,
        /// Write every table as CSV into this folder.
        #[arg(long)]
        csv: Option<PathBuf>,
    },
    /// Record the customer's satisfaction with a solved ticket.
    Rate {
        number: i64,
        /// good or bad
        rating: String,
        #[arg(long, default_value = "")]
        comment: String,
    },
    /// Automation rules: list, show, try (dry run, writes nothing) and run the time rules.
    Rules {
        #[command(subcommand)]
        action: Option<RuleAction>,
    },
    /// Make a backup folder (database, attachments, manifest), verified by restoring it.
    Backup {
        /// Where (default: backups/casebook-YYYYMMDD-HHMMSS beside the database).
        #[arg(long)]
        to: Option<PathBuf>,
        /// Keep only the newest N backups in the default folder.
        #[arg(long)]
        keep: Option<usize>,
    },
    /// Restore a backup folder as the workspace at --db (which must not exist, unless --replace).
    Restore {
        backup: PathBuf,
        /// Replace an existing workspace (it is kept beside as casebook.db.before-restore-…).
        #[arg(long)]
        replace: bool,
    },
    /// Rebuild the search index from the database.
    Reindex,
    /// Look for what is wrong ("where did my tickets go?"); non-zero exit when something is.
    Check {
        /// Apply the fixes that need no decision (reindex, recompute SLA times, move stray files aside).
        #[arg(long)]
        repair: bool,
    },
    /// Rebuild every state table from the event log alone: `--check` compares the result with
    /// the live tables row by row (exit 1 when any differ), `--into NEW.db` keeps it.
    Replay {
        #[arg(long)]
        check: bool,
        #[arg(long)]
        into: Option<PathBuf>,
    },
    /// Import tickets from a JSON file (an array of tickets) into the workspace, or a whole
    /// export (`casebook export`) into a new workspace at --db; all or nothing.
    Import { file: PathBuf },
    /// Import tickets from a spreadsheet (CSV with a header row); all or nothing.
    ImportCsv {
        file: PathBuf,
        /// field=Column, e.g. --map subject=Title --map requester=E-mail (fields: subject, body,
        /// requester, requester_name, organisation, priority, type, tags, assignee, team).
        #[arg(long = "map")]
        mapping: Vec<String>,
    },
    /// Import from Zendesk: {"tickets": [... with "comments"], "users": [...], "organizations": [...]}.
    ImportZendesk { file: PathBuf },
    /// Export the whole workspace, losslessly: FILE (JSON) and FILE's stem + .attachments/ beside it.
    Export { file: PathBuf },
    /// Measure performance on generated data and print a table.
    Bench {
        #[command(subcommand)]
        what: BenchWhat,
    },
}

#[derive(Args)]
struct NewArgs {
    #[arg(long)]
    subject: String,
    #[arg(long)]
    body: String,
    #[arg(long)]
    requester: String,
    #[arg(long)]
    requester_name: Option<String>,
    #[arg(long)]
    organisation: Option<String>,
    #[arg(long)]
    priority: Option<String>,
    #[arg(long = "type")]
    ticket_type: Option<String>,
    #[arg(long = "tag")]
    tags: Vec<String>,
    #[arg(long)]
    assignee: Option<String>,
    #[arg(long)]
    team: Option<String>,
}

#[derive(Args, Clone, Default)]
struct FilterArgs {
    #[arg(long = "status")]
    statuses: Vec<String>,
    #[arg(long = "priority")]
    priorities: Vec<String>,
    #[arg(long = "type")]
    types: Vec<String>,
    /// An agent's email, "me" or "none".
    #[arg(long)]
    assignee: Option<String>,
    #[arg(long)]
    team: Option<String>,
    #[arg(long = "tag")]
    tags: Vec<String>,
    #[arg(long)]
    requester: Option<String>,
    #[arg(long)]
    organisation: Option<String>,
    #[arg(long)]
    created_after: Option<String>,
    #[arg(long)]
    created_before: Option<String>,
    #[arg(long)]
    updated_after: Option<String>,
    #[arg(long)]
    updated_before: Option<String>,
    /// at-risk, breached, attention (either), paused.
    #[arg(long)]
    sla: Option<String>,
    /// updated, created, priority, number, sla, resolved.
    #[arg(long)]
    sort: Option<String>,
    #[arg(long)]
    asc: bool,
}

#[derive(Args)]
struct ListArgs {
    #[arg(long)]
    view: Option<String>,
    #[command(flatten)]
    filters: FilterArgs,
    #[arg(long, default_value_t = 50)]
    limit: usize,
    /// The cursor printed after the previous page.
    #[arg(long)]
    after: Option<String>,
}

#[derive(Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per run; boxing would only obscure the clap derive
enum ViewAction {
    /// Save the filters as a view.
    Save {
        name: String,
        #[command(flatten)]
        filters: FilterArgs,
        #[arg(long)]
        shared: bool,
    },
    Delete {
        name: String,
    },
}

#[derive(Subcommand)]
enum AgentAction {
    Add {
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        admin: bool,
        #[arg(long = "team")]
        teams: Vec<String>,
        #[arg(long = "skill")]
        skills: Vec<String>,
    },
}

#[derive(Subcommand)]
enum TeamAction {
    Add {
        name: String,
        #[arg(long)]
        backup: Option<String>,
    },
}

#[derive(Subcommand)]
enum TypeAction {
    Add { name: String },
    Remove { name: String },
}

#[derive(Subcommand)]
enum MacroAction {
    Save {
        name: String,
        #[arg(long)]
        body: String,
    },
    Render {
        name: String,
        number: i64,
    },
}

#[derive(Subcommand)]
enum RuleAction {
    /// Every rule in the order they run (the default).
    List,
    /// One rule: what it does in words, and its definition (JSON with --json).
    Show { name: String },
    /// Dry run at --now: what the rule (or, without a name, every enabled rule) would change,
    /// ticket by ticket. Writes nothing.
    Test {
        name: Option<String>,
        /// Try a rule from a JSON file (a definition, as `rules show --json` prints it).
        #[arg(long, conflicts_with = "name")]
        file: Option<PathBuf>,
    },
    /// One pass of the enabled time rules at --now, written.
    Run,
    /// Switch a rule on.
    Enable { name: String },
    /// Switch a rule off.
    Disable { name: String },
    /// Move a rule to a place in the order (1 = first).
    Move { name: String, position: usize },
    /// Add a rule, or replace the one with the same name, from a JSON definition file.
    Save { file: PathBuf },
    /// Delete a rule.
    Delete { name: String },
    /// Put a built-in rule back as it shipped.
    Reset { name: String },
}

#[derive(Subcommand)]
enum AlertAction {
    /// Mark one alert read.
    Read { id: i64 },
    /// Mark every alert read.
    ReadAll,
    /// Show or change the alert settings (keywords, kinds, quiet hours, only mine).
    Settings {
        /// Add a keyword (repeatable).
        #[arg(long = "add-keyword")]
        add_keywords: Vec<String>,
        /// Remove a keyword (repeatable).
        #[arg(long = "remove-keyword")]
        remove_keywords: Vec<String>,
        /// Quiet hours as HH:MM-HH:MM@Time/Zone, or "none".
        #[arg(long)]
        quiet_hours: Option<String>,
        #[arg(long)]
        only_mine: Option<bool>,
    },
}

#[derive(Subcommand)]
enum BenchWhat {
    /// Creation rate, view pages, SLA scan and ticket page at N tickets.
    Store {
        #[arg(long, default_value_t = 100_000)]
        tickets: usize,
    },
    /// Index build, query latencies, similar tickets and their precision, against SQLite FTS5.
    Search {
        #[arg(long, default_value_t = 100_000)]
        tickets: usize,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            match e.downcast_ref::<Error>() {
                Some(err) => {
                    eprintln!("error: {err}");
                    if json {
                        println!("{}", json!({ "error": ErrorPayload::from(err) }));
                    }
                }
                None => {
                    eprintln!("error: {e:#}");
                    if json {
                        println!("{}", json!({ "error": { "code": "failed", "message": format!("{e:#}") } }));
                    }
                }
            }
            ExitCode::FAILURE
        }
    }
}

fn default_db() -> PathBuf {
    if let Some(p) = std::env::var_os("CASEBOOK_DB") {
        return PathBuf::from(p);
    }
    dirs::data_dir().unwrap_or_else(|| PathBuf::from(".")).join("casebook").join("casebook.db")
}

/// The dashboard as text: every table, aligned.
fn stats_text(s: &casebook::stats::Stats) -> String {
    let mut text = format!("{} – {} ({:?} points)\n", s.from.format("%Y-%m-%d %H:%M"), s.to.format("%Y-%m-%d %H:%M"), s.bucket);
    for t in stats::tables::tables(s) {
        if t.rows.is_empty() {
            continue;
        }
        let mut widths: Vec<usize> = t.header.iter().map(|h| h.chars().count()).collect();
        for row in &t.rows {
            for (i, cell) in row.iter().enumerate() {
                widths[i] = widths[i].max(cell.chars().count().min(48));
            }
        }
        let line = |cells: Vec<String>| {
            cells
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let c: String = c.chars().take(48).collect();
                    format!("{c:<w$}", w = widths[i])
                })
                .collect::<Vec<_>>()
                .join("  ")
        };
        text.push_str(&format!("\n{}\n{}\n", t.name, line(t.header.iter().map(|h| h.to_string()).collect())));
        for row in t.rows {
            text.push_str(&line(row));
            text.push('\n');
        }
    }
    text.trim_end().to_string()
}

/// A rule definition from a JSON file: bare, or as `rules show --json` prints a rule.
fn read_rule_file(file: &Path) -> anyhow::Result<RuleDefinition> {
    let text = std::fs::read_to_string(file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    let mut value: serde_json::Value = serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{} is not JSON: {e}", file.display()))?;
    if let Some(def) = value.get_mut("definition") {
        value = def.take();
    }
    serde_json::from_value(value).map_err(|e| Error::validation("rule", format!("{}: {e}", file.display())).into())
}

fn open(db: &Path, clock: Arc<dyn Clock>, as_agent: Option<&str>) -> anyhow::Result<Workspace> {
    let mut ws = Workspace::open(db, clock)?;
    if let Some(email) = as_agent {
        ws.act_as(email)?;
    }
    Ok(ws)
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let clock: Arc<dyn Clock> = match &cli.now {
        Some(t) => Arc::new(FixedClock::new(parse_instant(t)?)),
        None => Arc::new(SystemClock),
    };
    let db = cli.db.clone().unwrap_or_else(default_db);
    let json = cli.json;
    let as_agent = cli.as_agent.as_deref();
    let out = |value: serde_json::Value, text: String| {
        if json {
            println!("{}", serde_json::to_string_pretty(&value).unwrap_or_default());
        } else if !text.is_empty() {
            println!("{text}");
        }
    };

    match cli.command {
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
        Command::Set { number, field, value, reason } => {
            let mut ws = open(&db, clock, as_agent)?;
            let field = Field::parse(&field)?;
            let reason = reason.as_deref().map(Resolution::parse).transpose()?;
            let t = match (field, reason) {
                (Field::Status, Some(r)) => ws.set_status(number, Status::parse(&value)?, Some(r))?,
                (_, Some(_)) => return Err(Error::validation("reason", "--reason goes with `set N status resolved|closed`").into()),
                (f, None) => ws.set_field(number, f, &value)?,
            };
            out(serde_json::to_value(&t)?, ticket_line(&t));
        }
        Command::Claim { number } => {
            let mut ws = open(&db, clock, as_agent)?;
            let t = ws.claim(number)?;
            out(serde_json::to_value(&t)?, ticket_line(&t));
        }
        Command::Merge { number, into } => {
            let mut ws = open(&db, clock, as_agent)?;
            let t = ws.merge(number, into)?;
            out(json!({ "merged": number, "into": t }), format!("Merged #{number} into #{}", t.number));
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
        Command::SlaPolicy { priority, first_response_minutes, resolution_minutes, at_risk_share, business_hours } => {
            let mut ws = open(&db, clock, as_agent)?;
            let mut s = ws.sla_settings().clone();
            if let Some(p) = priority {
                let p = Priority::parse(&p)?;
                let policy = s.policies.iter_mut().find(|x| x.priority == p).context("no policy for that priority")?;
                if let Some(m) = first_response_minutes {
                    policy.first_response_minutes = m;
                }
                if let Some(m) = resolution_minutes {
                    policy.resolution_minutes = m;
                }
            } else if first_response_minutes.is_some() || resolution_minutes.is_some() {
                return Err(Error::validation("priority", "say which --priority the targets are for").into());
            }
            if let Some(share) = at_risk_share {
                s.at_risk_share = share;
            }
            if let Some(bh) = business_hours {
                s.business_hours = if bh.trim().eq_ignore_ascii_case("none") {
                    None
                } else {
                    let (hours, tz) = bh.split_once('@').ok_or_else(|| Error::validation("business_hours", "expected HH:MM-HH:MM@Time/Zone"))?;
                    let (start, end) = hours.split_once('-').ok_or_else(|| Error::validation("business_hours", "expected HH:MM-HH:MM@Time/Zone"))?;
                    Some(casebook::sla::BusinessHours::weekdays(tz.trim(), start.trim(), end.trim())?)
                };
            }
            ws.set_sla_settings(s)?;
            out(serde_json::to_value(ws.sla_settings())?, "SLA settings saved.".into());
        }
        Command::Agents { action } => {
            let mut ws = open(&db, clock, as_agent)?;
            if let Some(AgentAction::Add { name, email, admin, teams, skills }) = action {
                let role = if admin { Role::Admin } else { Role::Agent };
                let a = ws.add_agent(&NewAgent { name, email, role, teams, skills })?;
                out(serde_json::to_value(&a)?, format!("Added agent {} <{}>", a.name, a.email));
            } else {
                let agents = ws.agents()?;
                let text = agents
                    .iter()
                    .map(|a| format!("{:<24} {:<40} {:<6} {}", a.name, a.email, a.role.as_str(), a.teams.join(", ")))
                    .collect::<Vec<_>>()
                    .join("\n");
                out(serde_json::to_value(&agents)?, text);
            }
        }
        Command::Teams { action } => {
            let mut ws = open(&db, clock, as_agent)?;
            if let Some(TeamAction::Add { name, backup }) = action {
                let t = ws.add_team(&name, backup.as_deref())?;
                out(serde_json::to_value(&t)?, format!("Added team {}", t.name));
            } else {
                let teams = ws.teams()?;
                let text = teams
                    .iter()
                    .map(|t| format!("{:<20} backup: {}", t.name, t.backup_agent.as_deref().unwrap_or("-")))
                    .collect::<Vec<_>>()
                    .join("\n");
                out(serde_json::to_value(&teams)?, text);
            }
        }
        Command::Types { action } => {
            let mut ws = open(&db, clock, as_agent)?;
            match action {
                Some(TypeAction::Add { name }) => ws.add_ticket_type(&name)?,
                Some(TypeAction::Remove { name }) => ws.remove_ticket_type(&name)?,
                None => {}
            }
            let types = ws.ticket_types()?;
            out(serde_json::to_value(&types)?, types.join("\n"));
        }
        Command::Macros { action } => {
            let mut ws = open(&db, clock, as_agent)?;
            match action {
                None => {
                    let macros = ws.macros()?;
                    let text = macros.iter().map(|m| format!("{}\n  {}", m.name, m.body.replace('\n', "\n  "))).collect::<Vec<_>>().join("\n");
                    out(serde_json::to_value(&macros)?, text);
                }
                Some(MacroAction::Save { name, body }) => {
                    let m = ws.save_macro(&name, &body)?;
                    out(serde_json::to_value(&m)?, format!("Saved macro '{}'", m.name));
                }
                Some(MacroAction::Render { name, number }) => {
                    let text = ws.render_macro(&name, number)?;
                    out(json!({ "macro": name, "ticket": number, "text": text }), text.clone());
                }
            }
        }
        Command::Search { query, statuses, priorities, tags, assignee, limit } => {
            let ws = open(&db, clock, as_agent)?;
            let index = synced_index(&ws)?;
            let filters = SearchFilters {
                statuses: statuses.iter().flat_map(|s| s.split(',')).map(Status::parse).collect::<Result<_, _>>()?,
                priorities: priorities.iter().flat_map(|s| s.split(',')).map(Priority::parse).collect::<Result<_, _>>()?,
                tags,
                assignee,
                ..Default::default()
            };
            let r = index.search(ws.connection(), &query, &filters, limit)?;
            let mut text: Vec<String> = r.notes.iter().map(|n| format!("note: {n}")).collect();
            for h in &r.hits {
                text.push(format!(
                    "#{:<6} {:<9} {:<7} {}\n         {}",
                    h.number,
                    h.status.as_str(),
                    h.priority.label(),
                    mark(&h.subject, &h.subject_highlights),
                    mark(&h.snippet.text, &h.snippet.highlights).replace('\n', " ")
                ));
            }
            text.push(format!("{} of {} matching tickets", r.hits.len(), r.total));
            out(serde_json::to_value(&r)?, text.join("\n"));
        }
        Command::Similar { number, limit } => {
            let ws = open(&db, clock, as_agent)?;
            let index = synced_index(&ws)?;
            let similar = index.similar(ws.connection(), number, limit)?;
            let mut text = vec![format!("Solved tickets like #{number}:")];
            for s in &similar {
                text.push(format!(
                    "#{:<6} {}{}  (solved {})\n         fix{}: {}",
                    s.number,
                    s.subject,
                    if s.reference { " ★ reference" } else { "" },
                    s.resolved_at.map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_default(),
                    s.fix.as_ref().map(|f| format!(" by {}", f.author)).unwrap_or_default(),
                    s.fix.as_ref().map(|f| truncate(&f.body.replace('\n', " "), 160)).unwrap_or_else(|| "(no reply on record)".into())
                ));
            }
            if similar.is_empty() {
                text.push("No similar solved tickets.".into());
            }
            out(serde_json::to_value(&similar)?, text.join("\n"));
        }
        Command::Alerts { action: None, unread } => {
            let mut ws = open(&db, clock, as_agent)?;
            let scan = ws.scan_alerts()?;
            let alerts = ws.alerts(&AlertQuery { unread_only: unread, ..Default::default() })?;
            let mut text = format!("Raised {} new alerts; {} in all:\n", scan.raised.len(), alerts.len());
            for a in &alerts {
                let what = if a.kind == AlertKind::Keyword {
                    a.terms.join(", ")
                } else {
                    a.due_at.map(|d| format!("due {}", d.format("%Y-%m-%d %H:%M"))).unwrap_or_default()
                };
                text.push_str(&format!(
                    "  {:>5}  #{:<6} {:<28} {:<24} raised {}{}\n",
                    a.id,
                    a.ticket_number,
                    a.kind.as_str(),
                    what,
                    a.raised_at.format("%Y-%m-%d %H:%M"),
                    if a.read_at.is_some() { "  (read)" } else { "" }
                ));
            }
            out(json!({ "raised": scan.raised, "alerts": alerts }), text.trim_end().to_string());
        }
        Command::Stats { from, to, priority, ticket_type, team, agent, bucket, tickets, csv } => {
            let ws = open(&db, clock, as_agent)?;
            let day_or_instant = |field: &'static str, s: &str| -> anyhow::Result<casebook::Timestamp> {
                if let Ok(d) = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") {
                    return Ok(d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
                }
                parse_instant(s)
                    .map_err(|_| Error::validation(field, format!("'{s}' is not a date (2026-03-01) or a time (2026-03-01T09:00:00Z)")).into())
            };
            let q = StatsQuery {
                from: from.as_deref().map(|s| day_or_instant("from", s)).transpose()?,
                to: to.as_deref().map(|s| day_or_instant("to", s)).transpose()?,
                days: None,
                priority: priority.as_deref().map(Priority::parse).transpose()?,
                ticket_type,
                team,
                agent,
                bucket: match bucket.as_deref().map(str::trim) {
                    None | Some("auto") => Bucket::Auto,
                    Some("day") => Bucket::Day,
                    Some("week") => Bucket::Week,
                    Some(other) => return Err(Error::validation("bucket", format!("'{other}' is not day, week or auto")).into()),
                },
                stuck_hours: None,
            };
            if let Some(key) = tickets {
                let numbers = ws.tickets_behind(&q, &key)?;
                let text = numbers.iter().map(|n| format!("#{n}")).collect::<Vec<_>>().join(" ");
                out(json!({ "key": key, "tickets": numbers }), format!("{} tickets: {text}", numbers.len()));
                return Ok(());
            }
            let stats = ws.stats(&q)?;
            if let Some(dir) = csv {
                let files = stats::tables::write_all(&stats, &dir)?;
                out(json!({ "files": files }), format!("Wrote {} tables to {}", files.len(), dir.display()));
                return Ok(());
            }
            out(serde_json::to_value(&stats)?, stats_text(&stats));
        }
        Command::Rate { number, rating, comment } => {
            let mut ws = open(&db, clock, as_agent)?;
            let good = match rating.trim().to_ascii_lowercase().as_str() {
                "good" | "+" | "yes" => true,
                "bad" | "-" | "no" => false,
                other => return Err(Error::validation("rating", format!("'{other}' is not good or bad")).into()),
            };
            let r = ws.rate_ticket(number, good, &comment)?;
            out(serde_json::to_value(&r)?, format!("#{number} rated {}", if r.good { "good" } else { "bad" }));
        }
        Command::Rules { action } => {
            let mut ws = open(&db, clock, as_agent)?;
            let list_text = |rules: &[Rule]| {
                let mut text = String::new();
                for r in rules {
                    text.push_str(&format!(
                        "{:>2}. [{}] {:<7} {}  ({} tickets)\n    {}\n",
                        r.position,
                        if r.definition.enabled { "on " } else { "off" },
                        match r.definition.kind {
                            RuleKind::Trigger => "trigger",
                            RuleKind::Time => "time",
                        },
                        r.definition.name,
                        r.tickets_acted_on,
                        r.summary
                    ));
                }
                text.trim_end().to_string()
            };
            let report_text = |r: &RulePassReport| {
                let verb = if r.dry_run { "Dry run, nothing written" } else { "Written" };
                let mut text = format!("{verb}: {} tickets examined, {} rule actions on tickets\n", r.tickets_examined, r.changes.len());
                for c in &r.changes {
                    text.push_str(&format!("  #{:<6} {} — {}\n", c.ticket_number, c.subject, c.rule));
                    for w in &c.changes {
                        text.push_str(&format!("           {w}\n"));
                    }
                }
                for s in &r.stopped {
                    text.push_str(&format!("  #{:<6} {}\n", s.ticket_number, s.reason));
                }
                text.trim_end().to_string()
            };
            match action.unwrap_or(RuleAction::List) {
                RuleAction::List => {
                    let rules = ws.rules()?;
                    out(serde_json::to_value(&rules)?, list_text(&rules));
                }
                RuleAction::Show { name } => {
                    let r = ws.rule(&name)?;
                    let text = format!(
                        "{} ({}, {})\n{}\n\n{}\n\nDefinition:\n{}",
                        r.definition.name,
                        if r.definition.enabled { "on" } else { "off" },
                        r.builtin.as_deref().map(|b| format!("built-in '{b}'")).unwrap_or_else(|| "written here".into()),
                        r.summary,
                        r.definition.note,
                        serde_json::to_string_pretty(&r.definition)?
                    );
                    out(serde_json::to_value(&r)?, text);
                }
                RuleAction::Test { name, file } => {
                    let target = match (name, file) {
                        (Some(name), _) => TryTarget::Saved { name },
                        (None, Some(file)) => TryTarget::Draft { definition: read_rule_file(&file)?, id: None },
                        (None, None) => TryTarget::AllEnabled,
                    };
                    let report = ws.try_rules(&target)?;
                    out(serde_json::to_value(&report)?, report_text(&report));
                }
                RuleAction::Run => {
                    let report = ws.run_time_rules()?;
                    out(serde_json::to_value(&report)?, report_text(&report));
                }
                RuleAction::Enable { name } => {
                    let r = ws.set_rule_enabled(&name, true)?;
                    out(serde_json::to_value(&r)?, format!("Rule '{}' is on", r.definition.name));
                }
                RuleAction::Disable { name } => {
                    let r = ws.set_rule_enabled(&name, false)?;
                    out(serde_json::to_value(&r)?, format!("Rule '{}' is off", r.definition.name));
                }
                RuleAction::Move { name, position } => {
                    let rules = ws.move_rule(&name, position)?;
                    out(serde_json::to_value(&rules)?, list_text(&rules));
                }
                RuleAction::Save { file } => {
                    let def = read_rule_file(&file)?;
                    let existing = ws.rule(&def.name).ok().map(|r| r.id);
                    let r = ws.save_rule(existing, def)?;
                    out(serde_json::to_value(&r)?, format!("Saved rule '{}': {}", r.definition.name, r.summary));
                }
                RuleAction::Delete { name } => {
                    ws.delete_rule(&name)?;
                    out(json!({ "deleted": name }), format!("Deleted rule '{name}'"));
                }
                RuleAction::Reset { name } => {
                    let r = ws.reset_rule(&name)?;
                    out(serde_json::to_value(&r)?, format!("Rule '{}' is as it shipped: {}", r.definition.name, r.summary));
                }
            }
        }
        Command::Alerts { action: Some(AlertAction::Read { id }), .. } => {
            let mut ws = open(&db, clock, as_agent)?;
            let a = ws.mark_alert_read(id)?;
            out(serde_json::to_value(&a)?, format!("Alert {id} on #{} marked read", a.ticket_number));
        }
        Command::Alerts { action: Some(AlertAction::ReadAll), .. } => {
            let mut ws = open(&db, clock, as_agent)?;
            let n = ws.mark_all_alerts_read()?;
            out(json!({ "marked": n }), format!("Marked {n} alerts read"));
        }
        Command::Alerts { action: Some(AlertAction::Settings { add_keywords, remove_keywords, quiet_hours, only_mine }), .. } => {
            let mut ws = open(&db, clock, as_agent)?;
            let mut s = ws.alert_settings().clone();
            let changed = !add_keywords.is_empty() || !remove_keywords.is_empty() || quiet_hours.is_some() || only_mine.is_some();
            s.keywords.extend(add_keywords);
            s.keywords.retain(|k| !remove_keywords.iter().any(|r| r.eq_ignore_ascii_case(k)));
            if let Some(q) = quiet_hours {
                s.quiet_hours = if q.trim().eq_ignore_ascii_case("none") {
                    None
                } else {
                    let bad = || Error::validation("quiet_hours", "expected HH:MM-HH:MM@Time/Zone, e.g. 22:00-07:00@Europe/Warsaw");
                    let (hours, tz) = q.split_once('@').ok_or_else(bad)?;
                    let (from, to) = hours.split_once('-').ok_or_else(bad)?;
                    Some(QuietHours { from: from.trim().into(), to: to.trim().into(), timezone: tz.trim().into() })
                };
            }
            if let Some(m) = only_mine {
                s.only_mine = m;
            }
            if changed {
                ws.set_alert_settings(s)?;
            }
            let s = ws.alert_settings();
            let text = format!(
                "Kinds: {}\nKeywords: {}\nQuiet hours: {}\nOnly my tickets: {}\nScan every {} s",
                s.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", "),
                s.keywords.join(", "),
                s.quiet_hours.as_ref().map(|q| format!("{}–{} ({})", q.from, q.to, q.timezone)).unwrap_or_else(|| "none".into()),
                if s.only_mine { "yes" } else { "no" },
                s.scan_interval_seconds
            );
            out(serde_json::to_value(s)?, text);
        }
        Command::Backup { to, keep } => {
            let ws = open(&db, clock, as_agent)?;
            let folder = ws.data_dir().join("backups");
            let to = to.unwrap_or_else(|| folder.join(casebook::backup::default_name(ws.now())));
            let r = ws.backup(&to)?;
            let removed = match keep {
                Some(n) => casebook::backup::prune(&folder, n.max(1))?,
                None => vec![],
            };
            let mut text = format!(
                "Backed up {} tickets, {} messages, {} events and {} attachments to {} ({:.1} MB, {:.1} s); verified by restoring it.",
                r.content.tickets,
                r.content.messages,
                r.content.events,
                r.attachments,
                r.path.display(),
                r.bytes as f64 / 1e6,
                r.seconds
            );
            if !r.missing_attachments.is_empty() {
                text.push_str(&format!(
                    "\nwarning: {} attachments were already missing from the data folder (run `casebook check`)",
                    r.missing_attachments.len()
                ));
            }
            for p in &removed {
                text.push_str(&format!("\nRemoved the old backup {}", p.display()));
            }
            out(json!({ "backup": r, "removed": removed }), text);
        }
        Command::Restore { backup, replace } => {
            let r = casebook::backup::restore(&backup, &db, replace)?;
            let mut text = format!(
                "Restored {} tickets, {} events and {} attachments into {} (verified first).",
                r.content.tickets,
                r.content.events,
                r.attachments,
                r.db.display()
            );
            if let Some(p) = &r.previous {
                text.push_str(&format!("\nThe workspace it replaced was kept as {}", p.display()));
            }
            out(serde_json::to_value(&r)?, text);
        }
        Command::Reindex => {
            let ws = open(&db, clock, as_agent)?;
            let index = SearchIndex::open(&ws.data_dir())?;
            let r = index.rebuild(ws.connection())?;
            out(serde_json::to_value(&r)?, format!("Rebuilt the search index: {} tickets in {:.1} s", r.tickets_indexed, r.seconds));
        }
        Command::Check { repair } => {
            let mut ws = open(&db, clock, as_agent)?;
            // The index is checked as it is on disk (not repaired on open first).
            let index = SearchIndex::open(&ws.data_dir()).ok();
            let report = ws.check_health(index.as_ref())?;
            let mut text = String::new();
            for f in &report.findings {
                text.push_str(&format!("✗ {}: {}\n", f.area, f.problem));
                if !f.tickets.is_empty() {
                    let shown: Vec<String> = f.tickets.iter().take(30).map(|n| format!("#{n}")).collect();
                    text.push_str(&format!("    tickets: {}{}\n", shown.join(" "), if f.tickets.len() > 30 { " …" } else { "" }));
                }
                text.push_str(&format!("    fix: {}\n", f.fix));
            }
            if report.ok {
                text.push_str(&format!("✓ All good: {}.\n", report.checked.join(", ")));
            }
            let repaired = if repair && !report.ok { ws.repair(index.as_ref(), &report)? } else { vec![] };
            for r in &repaired {
                text.push_str(&format!("repaired: {r}\n"));
            }
            let after = if repaired.is_empty() { None } else { Some(ws.check_health(index.as_ref())?) };
            if let Some(a) = &after {
                text.push_str(&if a.ok { "✓ Everything is in order now.".to_string() } else { format!("{} problems remain.", a.findings.len()) });
            }
            out(
                json!({ "ok": report.ok, "checked": report.checked, "findings": report.findings, "repaired": repaired, "after_repair": after }),
                text.trim_end().to_string(),
            );
            if !after.map_or(report.ok, |a| a.ok) {
                return Err(Error::Conflict("the check found problems".into()).into());
            }
        }
        Command::Replay { check, into } => {
            // Opening upgrades a workspace from before typed events (its baseline).
            let ws = open(&db, clock, as_agent)?;
            if !check && into.is_none() {
                anyhow::bail!("say what to do: replay --check, or replay --into NEW.db");
            }
            if let Some(target) = &into {
                let r = casebook::events::replay::replay_into(ws.connection(), target)?;
                out(
                    json!({ "into": target, "replay": r }),
                    format!("Rebuilt {} from {} events ({} older history events kept) in {:.2} s.", target.display(), r.applied, r.kept, r.seconds),
                );
            }
            if check {
                drop(ws);
                let c = casebook::events::replay::check(&db)?;
                let mut text = format!(
                    "{} events replayed in {:.2} s ({:.0} events/s); {} rows in {} tables compared.\n",
                    c.replay.applied,
                    c.replay.seconds,
                    c.replay.applied as f64 / c.replay.seconds.max(1e-9),
                    c.rows,
                    c.tables
                );
                for d in &c.differences {
                    match &d.column {
                        Some(col) => text.push_str(&format!("✗ {} ({}) {}: live {}, replayed {}\n", d.table, d.key, col, d.live, d.replayed)),
                        None => text.push_str(&format!("✗ {} ({}): live {}, replayed {}\n", d.table, d.key, d.live, d.replayed)),
                    }
                }
                text.push_str(&if c.ok() {
                    "✓ The event log rebuilds the workspace exactly.".to_string()
                } else {
                    format!("{} rows differ between the live tables and the replayed log.", c.rows_differing)
                });
                out(json!({ "ok": c.ok(), "check": c }), text);
                if !c.ok() {
                    return Err(Error::Conflict("replay does not rebuild the workspace".into()).into());
                }
            }
        }
        Command::Import { file } => {
            let raw = std::fs::read_to_string(&file).map_err(|e| Error::validation("file", format!("cannot read {}: {e}", file.display())))?;
            let full = serde_json::from_str::<serde_json::Value>(&raw).is_ok_and(|v| casebook::export::is_full_export(&v));
            if full {
                // A whole workspace: into a new one at --db.
                let r = casebook::export::import(&file, &db)?;
                out(
                    serde_json::to_value(&r)?,
                    format!(
                        "Created {} from {}: {} tickets, {} rows, {} attachments",
                        db.display(),
                        file.display(),
                        r.tickets,
                        r.rows,
                        r.attachments
                    ),
                );
            } else {
                let mut ws = open(&db, clock, as_agent)?;
                let tickets =
                    parse_import(&raw).map_err(|e| Error::validation("file", format!("{} is not a valid import file: {e}", file.display())))?;
                let numbers = ws.import_tickets(&tickets)?;
                out(json!({ "imported": numbers.len(), "numbers": numbers }), format!("Imported {} tickets", numbers.len()));
            }
        }
        Command::ImportCsv { file, mapping } => {
            let mut ws = open(&db, clock, as_agent)?;
            let mapping = casebook::import_csv::parse_mapping(&mapping)?;
            let numbers = ws.import_csv(&file, &mapping)?;
            out(json!({ "imported": numbers.len(), "numbers": numbers }), format!("Imported {} tickets from {}", numbers.len(), file.display()));
        }
        Command::ImportZendesk { file } => {
            let mut ws = open(&db, clock, as_agent)?;
            let r = ws.import_zendesk(&file)?;
            out(
                serde_json::to_value(&r)?,
                format!("Imported {} Zendesk tickets with {} comments; {} agents added", r.tickets, r.messages, r.agents_added),
            );
        }
        Command::Export { file } => {
            let ws = open(&db, clock, as_agent)?;
            let r = ws.export(&file)?;
            out(
                serde_json::to_value(&r)?,
                format!(
                    "Exported {} tickets ({} rows) to {} and {} attachments to {}",
                    r.tickets,
                    r.rows,
                    file.display(),
                    r.attachments,
                    casebook::export::attachments_dir(&file).display()
                ),
            );
        }
        Command::Bench { what: BenchWhat::Search { tickets } } => {
            let rows = bench::search(tickets, &mut |msg| eprintln!("bench: {msg}"))?;
            out(serde_json::to_value(&rows)?, format!("casebook bench search --tickets {tickets}\n\n{}", bench::table(&rows)));
        }
        Command::Bench { what: BenchWhat::Store { tickets } } => {
            let rows = bench::store(tickets, &mut |msg| eprintln!("bench: {msg}"))?;
            out(serde_json::to_value(&rows)?, format!("casebook bench store --tickets {tickets}\n\n{}", bench::table(&rows)));
        }
    }
    Ok(())
}

/// The workspace's search index, brought in line with the database first (replaying new
/// changes, or rebuilding when it was missing or damaged).
fn synced_index(ws: &Workspace) -> anyhow::Result<SearchIndex> {
    let index = SearchIndex::open(&ws.data_dir())?;
    let report = index.sync(ws.connection())?;
    if report.rebuilt {
        eprintln!(
            "note: rebuilt the search index ({}): {} tickets in {:.1} s",
            report.reason.as_deref().unwrap_or("it was out of date"),
            report.tickets_indexed,
            report.seconds
        );
    }
    Ok(index)
}

/// Marks highlighted ranges: bold on a terminal, [brackets] otherwise.
fn mark(text: &str, ranges: &[(usize, usize)]) -> String {
    use std::io::IsTerminal;
    let (open, close) = if std::io::stdout().is_terminal() { ("\x1b[1m", "\x1b[0m") } else { ("[", "]") };
    let mut out = String::new();
    let mut at = 0;
    for &(a, b) in ranges {
        if a < at || b > text.len() || !text.is_char_boundary(a) || !text.is_char_boundary(b) {
            continue;
        }
        out.push_str(&text[at..a]);
        out.push_str(open);
        out.push_str(&text[a..b]);
        out.push_str(close);
        at = b;
    }
    out.push_str(&text[at..]);
    out
}

/// An import file is an array of tickets, or an object with a `tickets` array.
fn parse_import(raw: &str) -> Result<Vec<NewTicket>, serde_json::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum File {
        List(Vec<NewTicket>),
        Wrapped { tickets: Vec<NewTicket> },
    }
    // Parse as a value first so a syntax error is reported as such, with its line.
    let value: serde_json::Value = serde_json::from_str(raw)?;
    Ok(match serde_json::from_value::<File>(value.clone()) {
        Ok(File::List(t)) | Ok(File::Wrapped { tickets: t }) => t,
        Err(_) => {
            // Name the first record that does not fit, with serde's reason.
            let list = value.get("tickets").cloned().unwrap_or(value);
            let items = list.as_array().cloned().ok_or_else(|| serde::de::Error::custom("expected an array of tickets"))?;
            for (i, item) in items.into_iter().enumerate() {
                if let Err(e) = serde_json::from_value::<NewTicket>(item) {
                    return Err(serde::de::Error::custom(format!("record {}: {e}", i + 1)));
                }
            }
            return Err(serde::de::Error::custom("expected an array of tickets"));
        }
    })
}

fn apply_filters(q: &mut ViewQuery, a: &FilterArgs, set_sort: bool) -> anyhow::Result<()> {
    let f: &mut Filters = &mut q.filters;
    for s in &a.statuses {
        for part in s.split(',') {
            f.statuses.push(Status::parse(part)?);
        }
    }
    for p in &a.priorities {
        for part in p.split(',') {
            f.priorities.push(Priority::parse(part)?);
        }
    }
    f.types.extend(a.types.iter().cloned());
    if let Some(x) = &a.assignee {
        f.assignee = Some(match x.trim().to_ascii_lowercase().as_str() {
            "me" => AssigneeFilter::Me,
            "none" | "unassigned" => AssigneeFilter::Unassigned,
            _ => AssigneeFilter::Agent(x.trim().to_string()),
        });
    }
    if a.team.is_some() {
        f.team = a.team.clone();
    }
    f.tags.extend(a.tags.iter().cloned());
    if a.requester.is_some() {
        f.requester = a.requester.clone();
    }
    if a.organisation.is_some() {
        f.organisation = a.organisation.clone();
    }
    let date = |s: &Option<String>| -> anyhow::Result<Option<casebook::Timestamp>> { s.as_deref().map(parse_date).transpose() };
    f.created_after = date(&a.created_after)?.or(f.created_after);
    f.created_before = date(&a.created_before)?.or(f.created_before);
    f.updated_after = date(&a.updated_after)?.or(f.updated_after);
    f.updated_before = date(&a.updated_before)?.or(f.updated_before);
    if let Some(s) = &a.sla {
        f.sla = Some(match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "at-risk" | "risk" => SlaFilter::AtRisk,
            "breached" => SlaFilter::Breached,
            "attention" | "needs-attention" => SlaFilter::NeedsAttention,
            "paused" => SlaFilter::Paused,
            _ => return Err(Error::validation("sla", format!("'{s}' is not an SLA state (at-risk, breached, attention, paused)")).into()),
        });
    }
    if let Some(s) = &a.sort {
        q.sort = Sort { key: SortKey::parse(s)?, descending: !a.asc };
    } else if set_sort && a.asc {
        q.sort.descending = false;
    }
    Ok(())
}

/// A date ("2026-03-01") or an instant (RFC 3339).
fn parse_date(s: &str) -> anyhow::Result<casebook::Timestamp> {
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).unwrap().and_utc());
    }
    Ok(parse_instant(s).map_err(|_| Error::validation("date", format!("'{s}' is not a date (YYYY-MM-DD) or time (RFC 3339)")))?)
}

fn minutes(m: i64) -> String {
    match m {
        m if m % (24 * 60) == 0 => format!("{} d", m / (24 * 60)),
        m if m % 60 == 0 => format!("{} h", m / 60),
        m => format!("{m} min"),
    }
}

fn duration_words(seconds: i64) -> String {
    let s = seconds.abs();
    let text = if s >= 86_400 {
        format!("{} d {} h", s / 86_400, (s % 86_400) / 3600)
    } else if s >= 3600 {
        format!("{} h {} min", s / 3600, (s % 3600) / 60)
    } else {
        format!("{} min", s / 60)
    };
    if seconds < 0 {
        format!("{text} overdue")
    } else {
        format!("{text} left")
    }
}

fn target_line(name: &str, t: &TargetStatus) -> String {
    let detail = match (t.state, t.remaining_seconds) {
        (SlaState::Met, _) => format!("met at {}", t.achieved_at.map(|a| a.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default()),
        (SlaState::Breached, None) => "missed".into(),
        (SlaState::Paused, Some(r)) => format!("paused, {}", duration_words(r)),
        (_, Some(r)) => duration_words(r),
        _ => String::new(),
    };
    format!("{name}: {} (target {}) {detail}", t.state.as_str(), minutes(t.target_minutes))
}

fn ticket_header(t: &Ticket, sla: &SlaStatus) -> String {
    format!(
        "#{} {}\n{} · {} · {} · requester {} <{}>{} · assignee {} · team {} · tags {}\n{}\n{}",
        t.number,
        t.subject,
        t.status.label(),
        t.priority.label(),
        t.ticket_type,
        t.requester.name,
        t.requester.email,
        t.requester.organisation.as_ref().map(|o| format!(" ({o})")).unwrap_or_default(),
        t.assignee.as_ref().map(|a| a.name.as_str()).unwrap_or("-"),
        t.team.as_deref().unwrap_or("-"),
        if t.tags.is_empty() { "-".into() } else { t.tags.join(", ") },
        target_line("first response", &sla.first_response),
        target_line("resolution", &sla.resolution),
    )
}

fn ticket_line(t: &Ticket) -> String {
    format!(
        "#{} {} · {} · {} · {} · {}",
        t.number,
        t.subject,
        t.status.label(),
        t.priority.label(),
        t.ticket_type,
        t.assignee.as_ref().map(|a| a.name.as_str()).unwrap_or("unassigned")
    )
}

fn row_line(r: &TicketRow) -> String {
    let sla = match (r.sla.state, r.sla.seconds_left) {
        (SlaState::Met, _) | (SlaState::Ok, None) => String::new(),
        (state, Some(s)) => format!("{} {}", state.as_str(), duration_words(s)),
        (state, None) => state.as_str().to_string(),
    };
    format!(
        "#{:<6} {:<9} {:<7} {:<40} {:<22} {:<18} {}",
        r.number,
        r.status.as_str(),
        r.priority.label(),
        truncate(&r.subject, 40),
        truncate(&r.requester_name, 22),
        r.assignee_name.as_deref().map(|n| truncate(n, 18)).unwrap_or_else(|| "-".into()),
        sla
    )
}

/// Cuts on character boundaries (never inside a Hangul syllable).
fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

fn summarise(payload: &serde_json::Value) -> String {
    let mut s = match payload {
        serde_json::Value::Object(map) => map
            .iter()
            .filter(|(k, v)| !v.is_null() && *k != "id" && *k != "body")
            .map(|(k, v)| format!("{k}={}", v.to_string().trim_matches('"')))
            .collect::<Vec<_>>()
            .join(" "),
        other => other.to_string(),
    };
    if let Some(body) = payload.get("body").and_then(|b| b.as_str()) {
        s.push_str(&format!(" \"{}\"", truncate(&body.replace('\n', " "), 60)));
    }
    s
}
