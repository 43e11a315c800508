//! A workspace: one SQLite file and the data folder beside it (attachments, later the search
//! index). `Workspace` is the engine's front door; each domain adds its methods in its own
//! module (`tickets`, `people`, `views`, …).

use crate::clock::{Clock, Timestamp};
use crate::events::{self, Change, EventCtx};
use crate::model::{Agent, Role};
use crate::problem::AdminArea;
use crate::sla::SlaSettings;
use crate::{store, validate, Error, Problem, Result};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use uuid::Uuid;

pub const DEFAULT_TICKET_TYPES: [&str; 5] = ["Technical", "Account", "Order", "Product", "Complaint/Suggestion"];

/// What a new workspace starts with: its name and its first admin.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkspaceInit {
    pub name: String,
    pub admin_name: String,
    pub admin_email: String,
}

impl Default for WorkspaceInit {
    fn default() -> Self {
        WorkspaceInit { name: "Casebook".into(), admin_name: "Admin".into(), admin_email: "admin@casebook.local".into() }
    }
}

pub use crate::model::WorkspaceInfo;

pub struct Workspace {
    pub(crate) conn: Connection,
    db_path: PathBuf,
    pub(crate) clock: Arc<dyn Clock>,
    /// Who this laptop is as a writer of this file (kept beside it, never inside it).
    pub(crate) device: store::device::DeviceIdentity,
    pub(crate) acting: Option<Agent>,
    pub(crate) sla: SlaSettings,
    /// Shared, so each message's transaction takes them without copying the word list.
    pub(crate) alert_settings: Arc<crate::alerts::AlertSettings>,
    /// The compiled keyword list of `alert_settings`.
    pub(crate) keywords: Arc<crate::alerts::KeywordMatcher>,
    /// The enabled rules, compiled; replaced whenever a rule is saved.
    pub(crate) rules: Arc<crate::rules::RuleBook>,
    /// The dashboard's in-memory copy of the tickets, refreshed from the event log.
    pub(crate) stats_cache: crate::stats::StatsCache,
    /// What reacts to a ticket change in its transaction (keyword alerts, then triggers).
    pub(crate) hooks: crate::hooks::Hooks,
    /// The search index, when whoever opened the workspace has one: the rules' triage action
    /// asks it for similar solved tickets.
    pub(crate) similar: Option<Arc<crate::search::SearchIndex>>,
}

impl Workspace {
    /// Creates a new workspace file with its first admin agent and the default settings.
    pub fn create(path: &Path, clock: Arc<dyn Clock>, init: &WorkspaceInit) -> Result<Workspace> {
        let name = validate::name("workspace name", &init.name)?;
        let admin_name = validate::name("name", &init.admin_name)?;
        let admin_email = validate::email("email", &init.admin_email)?;
        let mut conn = store::create(path)?;
        let now = clock.now();
        let result = (|| -> Result<()> {
            let device_id = store::device::device_identity(path)?.device_id;
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let info = WorkspaceInfo {
                workspace_id: Uuid::now_v7().to_string(),
                name,
                device_id: device_id.clone(),
                created_at: now,
                schema_version: store::schema_version(),
            };
            let ctx = EventCtx { actor: "system".into(), device: device_id.clone(), at: now };
            events::record(&tx, &ctx, None, Change::WorkspaceCreated(info))?;
            events::record(&tx, &ctx, None, Change::SlaChanged(SlaSettings::default()))?;
            for t in DEFAULT_TICKET_TYPES {
                events::record(&tx, &ctx, None, Change::TypeAdded { name: t.to_string() })?;
            }
            for (name, body) in crate::macros::DEFAULT_MACROS {
                events::record(
                    &tx,
                    &ctx,
                    None,
                    Change::MacroSaved { id: seeded_id("macro", name), name: name.to_string(), body: body.to_string(), actions: vec![] },
                )?;
            }
            crate::people::insert_agent(&tx, &ctx, &admin_name, &admin_email, Role::Admin, &[])?;
            tx.commit()?;
            Ok(())
        })();
        if let Err(e) = result {
            drop(conn);
            remove_database_files(path);
            let _ = std::fs::remove_file(store::device::identity_path(path));
            return Err(e);
        }
        drop(conn);
        Workspace::open(path, clock)
    }

    /// Opens an existing workspace, acting as its first admin until told otherwise.
    pub fn open(path: &Path, clock: Arc<dyn Clock>) -> Result<Workspace> {
        let mut conn = store::open(path)?;
        let info: WorkspaceInfo = get_setting(&conn, "workspace")?
            .ok_or_else(|| Error::NotAWorkspace { path: path.to_path_buf(), reason: "it has no workspace settings".into() })?;
        let sla = get_setting(&conn, "sla")?.unwrap_or_default();
        let alert_settings = Arc::new(crate::alerts::load_settings(&conn)?);
        let keywords = Arc::new(crate::alerts::KeywordMatcher::new(&alert_settings.keywords));
        let device = store::device::device_identity(path)?;
        {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            // A log from before the clock: its events are ordered as they were written.
            events::hlc::stamp_unstamped(&tx)?;
            let ctx = EventCtx { actor: "system".into(), device: device.device_id.clone(), at: clock.now() };
            // A workspace from before typed events: its state becomes the start of its log.
            if events::replay::baseline_if_needed(&tx, &ctx)? > 0 && info.workspace_id.is_empty() {
                let upgraded = WorkspaceInfo { workspace_id: Uuid::now_v7().to_string(), ..info.clone() };
                events::record(&tx, &ctx, None, Change::SettingChanged { key: "workspace".into(), value: serde_json::to_value(&upgraded)? })?;
            }
            crate::rules::seed_builtins(&tx, &ctx)?;
            tx.commit()?;
        }
        let rules = Arc::new(crate::rules::load_book(&conn)?);
        let mut ws = Workspace {
            conn,
            db_path: path.to_path_buf(),
            clock,
            device,
            acting: None,
            sla,
            alert_settings,
            keywords,
            rules,
            stats_cache: Default::default(),
            hooks: Default::default(),
            similar: None,
        };
        ws.rebuild_hooks();
        ws.acting = ws.agents()?.into_iter().find(|a| a.role == Role::Admin && a.active);
        ws.apply_visibility()?;
        Ok(ws)
    }

    /// Lets the rules find similar solved tickets in `index` (the triage action).
    pub fn use_search_index(&mut self, index: Arc<crate::search::SearchIndex>) {
        self.similar = Some(index);
        self.rebuild_hooks();
    }

    /// The hooks of ticket changes, from the current alert settings and rules.
    pub(crate) fn rebuild_hooks(&mut self) {
        let keywords = crate::alerts::KeywordAlerts { settings: self.alert_settings.clone(), matcher: self.keywords.clone() };
        let triggers = crate::rules::Triggers { book: self.rules.clone(), similar: self.similar.clone() };
        // Snoozes end first: a rule acting on the customer's message sees the ticket back.
        self.hooks = crate::hooks::Hooks::new(vec![Arc::new(crate::snooze::SnoozeEnds), Arc::new(keywords), Arc::new(triggers)]);
    }

    pub fn info(&self) -> Result<WorkspaceInfo> {
        get_setting(&self.conn, "workspace")?.ok_or_else(|| Error::Conflict("the workspace settings are missing".into()))
    }

    pub fn db_path(&self) -> &Path {
        &self.db_path
    }

    /// The folder that holds the database, attachments and derived data.
    pub fn data_dir(&self) -> PathBuf {
        self.db_path.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."))
    }

    /// This laptop's identity as a writer of this workspace.
    pub fn device(&self) -> &store::device::DeviceIdentity {
        &self.device
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    pub fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    /// Read-only access to the database, for derived data and checks.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Acts as the agent with this email from now on.
    pub fn act_as(&mut self, email: &str) -> Result<()> {
        let agent = self.agent_by_email(email)?;
        if !agent.active {
            return Err(Error::invalid("as", Problem::AgentInactive { email: agent.email.clone() }));
        }
        self.acting = Some(agent);
        self.apply_visibility()
    }

    /// What the acting agent may see, on the connection (PRODUCT O3): an admin, or no one
    /// (the system), sees every ticket; an agent sees their teams' and those of no team.
    pub(crate) fn apply_visibility(&self) -> Result<()> {
        match &self.acting {
            Some(a) if a.role != Role::Admin => store::set_visibility(&self.conn, Some(&crate::people::team_ids_of(&self.conn, &a.id.to_string())?)),
            _ => store::set_visibility(&self.conn, None),
        }
    }

    /// Fails unless the acting agent is an admin: settings, rules and SLA policies are theirs.
    pub(crate) fn require_admin(&self, what: AdminArea) -> Result<()> {
        match &self.acting {
            Some(a) if a.role != Role::Admin => Err(Error::invalid("as", Problem::AdminOnly { what, email: a.email.clone() })),
            _ => Ok(()),
        }
    }

    pub fn acting_agent(&self) -> Option<&Agent> {
        self.acting.as_ref()
    }

    pub(crate) fn acting_agent_required(&self) -> Result<&Agent> {
        self.acting.as_ref().ok_or_else(|| Error::invalid("as", Problem::NoAgent))
    }

    /// The event context of an action by the acting agent, at the clock's now.
    pub(crate) fn ctx(&self) -> EventCtx {
        let actor = match &self.acting {
            Some(a) => format!("agent:{}", a.email),
            None => "system".to_string(),
        };
        EventCtx { actor, device: self.device.device_id.clone(), at: self.clock.now() }
    }

    pub(crate) fn begin(&mut self) -> Result<Transaction<'_>> {
        Ok(self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?)
    }

    pub fn sla_settings(&self) -> &SlaSettings {
        &self.sla
    }

    /// Replaces the SLA settings and recomputes the SLA instants of every unsolved ticket.
    pub fn set_sla_settings(&mut self, settings: SlaSettings) -> Result<()> {
        self.require_admin(AdminArea::SlaPolicies)?;
        settings.validate()?;
        let ctx = self.ctx();
        let tx = self.begin()?;
        events::record(&tx, &ctx, None, Change::SlaChanged(settings.clone()))?;
        events::commit(tx, &settings)?;
        self.sla = settings;
        Ok(())
    }

    pub fn ticket_types(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached("SELECT name FROM ticket_types WHERE active = 1 ORDER BY position, name")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn add_ticket_type(&mut self, name: &str) -> Result<()> {
        self.require_admin(AdminArea::TicketTypes)?;
        let name = validate::name("type", name)?;
        let ctx = self.ctx();
        let tx = self.begin()?;
        let existing: Option<(String, i64)> =
            tx.query_row("SELECT name, active FROM ticket_types WHERE name = ?1", [&name], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
        let name = match existing {
            Some((_, 1)) => return Err(Error::invalid("type", Problem::TypeExists { name })),
            // Revived under the spelling it had (the key ignores case).
            Some((old, _)) => old,
            None => name,
        };
        events::record(&tx, &ctx, None, Change::TypeAdded { name })?;
        tx.commit()?;
        Ok(())
    }

    /// Retires a type from the list; tickets that have it keep it.
    pub fn remove_ticket_type(&mut self, name: &str) -> Result<()> {
        self.require_admin(AdminArea::TicketTypes)?;
        let ctx = self.ctx();
        let tx = self.begin()?;
        let found: Option<String> =
            tx.query_row("SELECT name FROM ticket_types WHERE name = ?1 AND active = 1", [name.trim()], |r| r.get(0)).optional()?;
        let Some(name) = found else {
            return Err(Error::NotFound { what: "type", key: name.to_string() });
        };
        events::record(&tx, &ctx, None, Change::TypeRemoved { name })?;
        tx.commit()?;
        Ok(())
    }

    /// The canonical spelling of a type, or a validation error listing the valid ones.
    pub(crate) fn resolve_type(conn: &Connection, name: &str) -> Result<String> {
        store::resolve_type(conn, name)
    }
}

/// Records a new value of a setting (an event, applied by the one writer).
pub(crate) fn put_setting<T: Serialize>(conn: &Connection, ctx: &EventCtx, key: &str, value: &T) -> Result<()> {
    events::record(conn, ctx, None, Change::SettingChanged { key: key.to_string(), value: serde_json::to_value(value)? })?;
    Ok(())
}

/// The id of something every workspace seeds (a built-in rule, a default macro): the same in
/// every workspace, so that two of them agree on it.
pub(crate) fn seeded_id(kind: &str, key: &str) -> String {
    const NAMESPACE: Uuid = Uuid::from_u128(0x6361_7365_626f_6f6b_0000_0000_0000_0001);
    Uuid::new_v5(&NAMESPACE, format!("{kind}:{key}").as_bytes()).to_string()
}

pub(crate) use crate::store::{get_setting, remove_database_files};
