//! The command line's arguments (clap): the global options and every command.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "casebook", version, about = "Casebook: an offline-first helpdesk. The engine's command line.")]
pub(crate) struct Cli {
    /// The workspace database (default: $CASEBOOK_DB, else the OS data folder).
    #[arg(long, global = true)]
    pub(crate) db: Option<PathBuf>,
    /// Run as if it were this instant (RFC 3339), e.g. 2026-03-02T09:00:00Z.
    #[arg(long, global = true)]
    pub(crate) now: Option<String>,
    /// Machine-readable output.
    #[arg(long, global = true)]
    pub(crate) json: bool,
    /// Act as the agent with this email (default: the workspace's first admin).
    #[arg(long = "as", global = true)]
    pub(crate) as_agent: Option<String>,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
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
    /// Set a field on tickets: `set N[,M,…] FIELD VALUE` (ranges like 10-20 too) or
    /// `set --view NAME FIELD VALUE`. Fields: status, priority, type, assignee (email, me,
    /// none), team, tags (comma-separated, replacing), add-tags, remove-tags. Many tickets
    /// change in one transaction; closed ones are skipped and said.
    #[command(override_usage = "casebook set <N[,M,…]> <FIELD> <VALUE>\n       casebook set --view <NAME> <FIELD> <VALUE>")]
    Set {
        /// The tickets (unless --view), the field and the value.
        #[arg(num_args = 2..=3, required = true, value_names = ["N[,M,…]", "FIELD", "VALUE"])]
        words: Vec<String>,
        /// Every ticket of this view (built-in or saved) instead of numbers.
        #[arg(long)]
        view: Option<String>,
        /// Resolution reason when resolving or closing.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Take the ticket out of the working views until a time: 2h, 3d, tomorrow, monday 9:00,
    /// 14:30, 2026-03-09 14:30 (this computer's time zone) or RFC 3339. It comes back then with
    /// an alert, or earlier when the customer writes.
    Snooze {
        number: i64,
        #[arg(long)]
        until: String,
    },
    /// Back in the views now.
    Unsnooze { number: i64 },
    /// Remind me if the customer has not answered by a time (as for snooze); a customer's
    /// message cancels it.
    FollowUp {
        number: i64,
        #[arg(long, required_unless_present = "cancel")]
        if_no_reply_by: Option<String>,
        /// Take the reminder off.
        #[arg(long, conflicts_with = "if_no_reply_by")]
        cancel: bool,
    },
    /// Take the ticket: assign it to yourself.
    Claim { number: i64 },
    /// Merge ticket N (or N,M,…) into ticket M: each is closed as a duplicate of it.
    Merge {
        /// One ticket, or several (N,M or 10-20) merged into the same original at once.
        #[arg(value_name = "N[,M,…]")]
        tickets: String,
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
    /// The most similar solved tickets to ticket N, each with the fix that closed it; or say
    /// whether a suggested one helped.
    Similar {
        number: i64,
        #[arg(long, default_value_t = 5)]
        limit: usize,
        /// Show why each matched: the words it shares with ticket N, and its score.
        #[arg(long)]
        explain: bool,
        /// Record that solved ticket M helped with ticket N (it ranks higher for later tickets).
        #[arg(long, value_name = "M", conflicts_with = "not_helpful")]
        helpful: Option<i64>,
        /// Record that solved ticket M did not help with ticket N (it is not suggested for N again).
        #[arg(long, value_name = "M")]
        not_helpful: Option<i64>,
    },
    /// Triage suggestions for ticket N from its similar solved tickets (type, priority, team,
    /// assignee, tags, each with a confidence); or, with --evaluate, how often they are right.
    Triage {
        #[arg(required_unless_present = "evaluate")]
        number: Option<i64>,
        /// Leave-one-out over the solved tickets: accuracy per field against the majority
        /// class, and the expected time's error against the priority's median.
        #[arg(long)]
        evaluate: bool,
        /// How many solved tickets the evaluation predicts (evenly spread).
        #[arg(long, default_value_t = 500)]
        sample: usize,
    },
    /// How long ticket N's similar solved tickets took to resolve (working time).
    Eta { number: i64 },
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
    /// The troubleshooting log of what the app and these commands did (index rebuilds, passes
    /// of the scheduler, rules, alerts, backups, mail and sync), oldest first.
    Log {
        /// Only entries since T: an instant (RFC 3339) or a span back from now (30m, 2h, 7d).
        #[arg(long)]
        since: Option<String>,
        /// Only entries at this level or more serious: error, warn, info.
        #[arg(long)]
        level: Option<String>,
        /// Only entries whose message or facts contain this text (any case).
        #[arg(long)]
        grep: Option<String>,
        /// The newest N entries (default 200).
        #[arg(long)]
        limit: Option<u32>,
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
        /// requester, requester_name, organisation, priority, type, tags, assignee, team, and the
        /// past: status, resolution, fix (the reply that solved it), created, solved (times));
        /// field= leaves a field out.
        #[arg(long = "map")]
        mapping: Vec<String>,
        /// A field not to read even when a column has its name (e.g. --ignore type).
        #[arg(long)]
        ignore: Vec<String>,
        /// The requester of rows that name none.
        #[arg(long)]
        default_requester: Option<String>,
        /// A row with a requester's name but no address gets its own customer at NAME@imported.invalid.
        #[arg(long)]
        requester_from_name: bool,
        /// A row with no subject takes the first words of its body.
        #[arg(long)]
        subject_from_body: bool,
    },
    /// Import from Zendesk: {"tickets": [... with "comments"], "users": [...], "organizations": [...]}.
    ImportZendesk { file: PathBuf },
    /// Export the whole workspace, losslessly: FILE (JSON) and FILE's stem + .attachments/ beside it.
    Export { file: PathBuf },
    /// Team sync through a shared folder (Syncthing, a network share): with no subcommand,
    /// one publish and ingest pass.
    Sync {
        #[command(subcommand)]
        action: Option<SyncCmd>,
    },
    /// The email channel: the support address, this laptop's mailbox, fetching, the outbox
    /// and the mail log.
    Mail {
        #[command(subcommand)]
        action: MailCmd,
    },
    /// Measure performance on generated data and print a table.
    Bench {
        #[command(subcommand)]
        what: BenchWhat,
    },
}

#[derive(Args)]
pub(crate) struct NewArgs {
    #[arg(long)]
    pub(crate) subject: String,
    #[arg(long)]
    pub(crate) body: String,
    #[arg(long)]
    pub(crate) requester: String,
    #[arg(long)]
    pub(crate) requester_name: Option<String>,
    #[arg(long)]
    pub(crate) organisation: Option<String>,
    #[arg(long)]
    pub(crate) priority: Option<String>,
    #[arg(long = "type")]
    pub(crate) ticket_type: Option<String>,
    #[arg(long = "tag")]
    pub(crate) tags: Vec<String>,
    #[arg(long)]
    pub(crate) assignee: Option<String>,
    #[arg(long)]
    pub(crate) team: Option<String>,
}

#[derive(Args, Clone, Default)]
pub(crate) struct FilterArgs {
    #[arg(long = "status")]
    pub(crate) statuses: Vec<String>,
    #[arg(long = "priority")]
    pub(crate) priorities: Vec<String>,
    #[arg(long = "type")]
    pub(crate) types: Vec<String>,
    /// An agent's email, "me" or "none".
    #[arg(long)]
    pub(crate) assignee: Option<String>,
    #[arg(long)]
    pub(crate) team: Option<String>,
    #[arg(long = "tag")]
    pub(crate) tags: Vec<String>,
    #[arg(long)]
    pub(crate) requester: Option<String>,
    #[arg(long)]
    pub(crate) organisation: Option<String>,
    #[arg(long)]
    pub(crate) created_after: Option<String>,
    #[arg(long)]
    pub(crate) created_before: Option<String>,
    #[arg(long)]
    pub(crate) updated_after: Option<String>,
    #[arg(long)]
    pub(crate) updated_before: Option<String>,
    /// at-risk, breached, attention (either), paused.
    #[arg(long)]
    pub(crate) sla: Option<String>,
    /// updated, created, priority, number, sla, resolved.
    #[arg(long)]
    pub(crate) sort: Option<String>,
    #[arg(long)]
    pub(crate) asc: bool,
}

#[derive(Args)]
pub(crate) struct ListArgs {
    #[arg(long)]
    pub(crate) view: Option<String>,
    #[command(flatten)]
    pub(crate) filters: FilterArgs,
    #[arg(long, default_value_t = 50)]
    pub(crate) limit: usize,
    /// The cursor printed after the previous page.
    #[arg(long)]
    pub(crate) after: Option<String>,
}

#[derive(Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per run; boxing would only obscure the clap derive
pub(crate) enum ViewAction {
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
pub(crate) enum AgentAction {
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
pub(crate) enum TeamAction {
    Add {
        name: String,
        #[arg(long)]
        backup: Option<String>,
    },
}

#[derive(Subcommand)]
pub(crate) enum TypeAction {
    Add { name: String },
    Remove { name: String },
}

#[derive(Subcommand)]
pub(crate) enum MacroAction {
    /// Add a macro or replace the one of this name: its text, and what applying it sets.
    Save {
        name: String,
        /// The reply's text, with placeholders ({{requester.name}}, {{ticket.number}} …).
        #[arg(long, default_value = "")]
        body: String,
        /// A field it sets, as for `casebook set`: status=resolved, priority=high,
        /// assignee=me (whoever applies it), team=none, add-tags=vpn,wifi … Repeatable, in order.
        #[arg(long = "set", value_name = "FIELD=VALUE")]
        set: Vec<String>,
        /// Resolution reason when it resolves or closes.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Set what the macro sets on tickets (N, N,M or 10-20, or every ticket of --view); its
    /// text is not sent (render it, and reply with it).
    Apply {
        name: String,
        #[arg(required_unless_present = "view")]
        tickets: Option<String>,
        #[arg(long, conflicts_with = "tickets")]
        view: Option<String>,
    },
    Render {
        name: String,
        number: i64,
    },
}

#[derive(Subcommand)]
pub(crate) enum RuleAction {
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
pub(crate) enum AlertAction {
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
pub(crate) enum BenchWhat {
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
    /// Email: an .mbox imported with threading into N tickets, the same again, a pass with
    /// nothing new.
    Mail {
        #[arg(long, default_value_t = 100_000)]
        tickets: usize,
        #[arg(long, default_value_t = 20_000)]
        messages: usize,
    },
    /// Similar solved tickets on real labelled data (SemEval-2016 Task 3 subtask B, DEV and
    /// train part 2): MAP, MRR, P@1 and P@5 beside plain BM25 and the task's search-engine order.
    Relevance {
        /// The benchmark folder (its `data/` holds the SemEval XML files).
        #[arg(long, default_value = "../shared/relevance")]
        folder: std::path::PathBuf,
    },
    /// Team sync: first publication, a laptop joining, ingest, a refold, an idle pass.
    Sync {
        #[arg(long, default_value_t = 100_000)]
        tickets: usize,
    },
    /// A month of a ten-agent team's traffic on a fast clock with the scheduler, rules, alerts,
    /// backups and the index writer beside it; then the checks (exit 1 when one fails).
    Soak {
        #[arg(long, default_value_t = 30)]
        days: u32,
        #[arg(long, default_value_t = 3000)]
        tickets: usize,
        /// Simulated seconds between scheduler passes.
        #[arg(long, default_value_t = 30)]
        pass_seconds: i64,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum SecurityArg {
    Tls,
    Starttls,
    None,
}

#[derive(Subcommand)]
pub(crate) enum MailCmd {
    /// The workspace's support address (shared with the team): what customers write to and
    /// replies come from.
    Identity {
        #[arg(long)]
        address: String,
        /// The name on our mail ("Acme Support").
        #[arg(long, default_value = "")]
        name: String,
        #[arg(long)]
        reply_to: Option<String>,
        /// Another address of ours that delivers to the same mailbox (repeatable).
        #[arg(long = "also")]
        also: Vec<String>,
        /// Acknowledge each new mail ticket with this text ({{ticket.number}} is replaced).
        #[arg(long)]
        acknowledge: Option<String>,
    },
    /// This laptop's mailbox (the one laptop that fetches and sends). The passwords are read
    /// from the environment (CASEBOOK_IMAP_PASSWORD, CASEBOOK_SMTP_PASSWORD) or from stdin
    /// (--password-stdin: the IMAP one, then the SMTP one, a line each) and kept in the
    /// system keyring, never in the database.
    Setup {
        #[arg(long)]
        imap_host: String,
        #[arg(long, default_value_t = 993)]
        imap_port: u16,
        #[arg(long, value_enum, default_value = "tls")]
        imap_security: SecurityArg,
        #[arg(long)]
        imap_user: String,
        #[arg(long, default_value = "INBOX")]
        folder: String,
        #[arg(long)]
        smtp_host: String,
        #[arg(long, default_value_t = 587)]
        smtp_port: u16,
        #[arg(long, value_enum, default_value = "starttls")]
        smtp_security: SecurityArg,
        /// The SMTP login (none: the server takes mail without one).
        #[arg(long, default_value = "")]
        smtp_user: String,
        /// A PEM certificate to trust besides the system's.
        #[arg(long)]
        ca_file: Option<PathBuf>,
        #[arg(long)]
        password_stdin: bool,
    },
    /// One pass: fetch what is new in the mailbox.
    Fetch,
    /// Send what is due in the outbox.
    Send,
    /// Import an .eml, an .mbox or a Maildir folder (the same path as fetched mail; a second
    /// import of the same file adds nothing).
    Import { path: PathBuf },
    /// The mail log, newest first: what became of each message, and why.
    Log {
        #[arg(long)]
        since: Option<String>,
        /// Only lines whose sender, subject, Message-ID or detail contain this.
        #[arg(long)]
        search: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Replies waiting to be sent, and those sent or given up on.
    Outbox {
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
}

#[derive(Subcommand)]
pub(crate) enum SyncCmd {
    /// Publish this workspace into FOLDER (empty, or new), which the team's laptops share.
    Init {
        folder: PathBuf,
    },
    /// Make a new workspace at --db from the share in FOLDER, acting as --as EMAIL.
    Join {
        folder: PathBuf,
    },
    /// Every laptop of the share: its agent, when it was last seen, how far behind this one is.
    Status,
    /// Concurrent changes merged from other laptops, and what stands (of one ticket, or all).
    Conflicts {
        number: Option<i64>,
    },
    /// Let Casebook ask the local Syncthing to send each change at once (its GUI address and
    /// API key, from Syncthing's Settings → GUI); --off forgets them.
    Syncthing {
        #[arg(long, required_unless_present = "off")]
        url: Option<String>,
        #[arg(long, required_unless_present = "off")]
        key: Option<String>,
        #[arg(long)]
        off: bool,
    },
    /// Stop publishing and ingesting on this laptop until `sync resume`.
    Pause,
    Resume,
}
