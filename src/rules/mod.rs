//! Automation rules (PRODUCT R1–R3, DESIGN "rules"): triggers that run right after a ticket
//! changes, in the same transaction, and time rules that a scheduler runs over every ticket
//! that is not closed. Rules are data (JSON in `rules`), start as the seeds' built-ins, and can
//! be tried on the current tickets first: a dry run lists what would change and writes nothing.

mod engine;

pub use casebook_rules::{
    affected_people, builtins, describe, subject_similarity, Action, AssignStrategy, Condition, Recipient, RuleDefinition, RuleKind, Since,
    TextField, TriggerEvent, BUILTIN_MACROS, COMPLEXITY_TERMS, CONFIRMATIONS, NEGATIONS,
};
pub use engine::{RuleChange, RulePassReport, StoppedTicket, MAX_ROUNDS};

pub(crate) use engine::{RuleBook, Triggers, Writer};

use crate::clock::to_ms;
use crate::events::{self, Change, EventCtx};
use crate::problem::AdminArea;
use crate::workspace::{get_setting, put_setting, seeded_id};
use crate::{Error, Problem, Result, Workspace};
use casebook_rules::facts;
use engine::{CompiledRule, Happened, Runner};
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use uuid::Uuid;

/// A stored rule.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Rule {
    pub id: Uuid,
    /// 1-based place in the order rules run in.
    pub position: i64,
    /// The built-in it started as, if any (it can be reset to that).
    pub builtin: Option<String>,
    pub definition: RuleDefinition,
    /// The rule in plain words, made from the definition.
    pub summary: String,
    /// How many tickets it has acted on.
    pub tickets_acted_on: i64,
}

/// What a dry run tries.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum TryTarget {
    /// Every enabled rule, triggers then time rules, in order.
    AllEnabled,
    /// A stored rule (by name or id), enabled or not.
    Saved { name: String },
    /// A rule being edited, before it is saved (`id` when it edits a stored one, so what that
    /// one already did counts).
    Draft {
        definition: RuleDefinition,
        #[serde(default)]
        id: Option<Uuid>,
    },
}

const SEEDED: &str = "rules_seeded";

/// Adds the built-in rules (and the macros they send) to a workspace that never had them.
pub(crate) fn seed_builtins(conn: &Connection, ctx: &EventCtx) -> Result<()> {
    if get_setting::<bool>(conn, SEEDED)?.unwrap_or(false) {
        return Ok(());
    }
    let taken = |sql: &str, key: &str| -> Result<bool> { Ok(conn.query_row(sql, [key], |_| Ok(())).optional()?.is_some()) };
    for (name, body) in BUILTIN_MACROS {
        if !taken("SELECT 1 FROM macros WHERE name = ?1", name)? {
            let change = Change::MacroSaved { id: seeded_id("macro", name), name: name.to_string(), body: body.to_string(), actions: vec![] };
            events::record(conn, ctx, None, change)?;
        }
    }
    for (key, def) in builtins() {
        if taken("SELECT 1 FROM rules WHERE builtin = ?1", key)? || taken("SELECT 1 FROM rules WHERE name = ?1", &def.name)? {
            continue;
        }
        events::record(conn, ctx, None, rule_saved(&seeded_id("rule", key), Some(key.to_string()), &def)?)?;
    }
    put_setting(conn, ctx, SEEDED, &true)?;
    Ok(())
}

/// The event that stores `def` as rule `id`.
fn rule_saved(id: &str, builtin: Option<String>, def: &RuleDefinition) -> Result<Change> {
    Ok(Change::RuleSaved {
        id: id.to_string(),
        name: def.name.clone(),
        kind: kind_str(def.kind).to_string(),
        enabled: def.enabled,
        builtin,
        definition: serde_json::to_value(def)?,
    })
}

fn kind_str(k: RuleKind) -> &'static str {
    match k {
        RuleKind::Trigger => "trigger",
        RuleKind::Time => "time",
    }
}

fn row_to_rule(r: &rusqlite::Row<'_>) -> rusqlite::Result<(String, i64, Option<String>, String, i64)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

const RULE_SELECT: &str =
    "SELECT r.id, r.position, r.builtin, r.definition, (SELECT count(*) FROM rule_firings f WHERE f.rule_id = r.id) FROM rules r";

fn to_rule((id, position, builtin, definition, acted): (String, i64, Option<String>, String, i64)) -> Result<Rule> {
    let definition: RuleDefinition =
        serde_json::from_str(&definition).map_err(|e| Error::Conflict(format!("the stored rule {id} cannot be read ({e}); fix or delete it")))?;
    Ok(Rule { id: Uuid::parse_str(&id).unwrap_or_default(), position, builtin, summary: describe(&definition), definition, tickets_acted_on: acted })
}

/// The enabled rules, compiled, in order.
pub(crate) fn load_book(conn: &Connection) -> Result<RuleBook> {
    let mut book = RuleBook::default();
    let rows: Vec<(String, String)> = conn
        .prepare("SELECT id, definition FROM rules WHERE enabled = 1 ORDER BY position, name")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (id, definition) in rows {
        // A rule that no longer parses (written by a newer Casebook) is skipped, not fatal.
        let Ok(def) = serde_json::from_str::<RuleDefinition>(&definition) else { continue };
        let compiled = Arc::new(CompiledRule::new(id, def));
        match compiled.def.kind {
            RuleKind::Trigger => book.triggers.push(compiled),
            RuleKind::Time => book.time.push(compiled),
        }
    }
    Ok(book)
}

impl Workspace {
    /// Every rule, in the order they run.
    pub fn rules(&self) -> Result<Vec<Rule>> {
        let rows: Vec<_> =
            self.conn.prepare(&format!("{RULE_SELECT} ORDER BY r.position, r.name"))?.query_map([], row_to_rule)?.collect::<rusqlite::Result<_>>()?;
        rows.into_iter().map(to_rule).collect()
    }

    /// A rule by its name (any case) or id.
    pub fn rule(&self, name_or_id: &str) -> Result<Rule> {
        let row = self
            .conn
            .prepare(&format!("{RULE_SELECT} WHERE r.id = ?1 OR r.name = ?1 COLLATE NOCASE"))?
            .query_row([name_or_id.trim()], row_to_rule)
            .optional()?
            .ok_or_else(|| Error::NotFound { what: "rule", key: name_or_id.trim().to_string() })?;
        to_rule(row)
    }

    /// Creates a rule (at the end of the order) or, with `id`, replaces one's definition.
    pub fn save_rule(&mut self, id: Option<Uuid>, definition: RuleDefinition) -> Result<Rule> {
        self.require_admin(AdminArea::Rules)?;
        let def = definition.validated(&self.conn)?;
        let ctx = self.ctx();
        let tx = self.begin()?;
        let taken: Option<String> = tx.query_row("SELECT id FROM rules WHERE name = ?1 COLLATE NOCASE", [&def.name], |r| r.get(0)).optional()?;
        if taken.is_some() && taken != id.map(|i| i.to_string()) {
            return Err(Error::invalid("name", Problem::RuleNameTaken { name: def.name.clone() }));
        }
        let (id, builtin) = match id {
            Some(id) => {
                let builtin: Option<Option<String>> =
                    tx.query_row("SELECT builtin FROM rules WHERE id = ?1", [id.to_string()], |r| r.get(0)).optional()?;
                (id, builtin.ok_or_else(|| Error::NotFound { what: "rule", key: id.to_string() })?)
            }
            None => (Uuid::now_v7(), None),
        };
        events::record(&tx, &ctx, None, rule_saved(&id.to_string(), builtin, &def)?)?;
        tx.commit()?;
        self.reload_rules()?;
        self.rule(&id.to_string())
    }

    /// Switches a rule on or off.
    pub fn set_rule_enabled(&mut self, name_or_id: &str, enabled: bool) -> Result<Rule> {
        self.require_admin(AdminArea::Rules)?;
        let mut rule = self.rule(name_or_id)?;
        rule.definition.enabled = enabled;
        self.save_rule(Some(rule.id), rule.definition)
    }

    /// Moves a rule to `position` (1-based) in the order; the others keep their order.
    pub fn move_rule(&mut self, name_or_id: &str, position: usize) -> Result<Vec<Rule>> {
        self.require_admin(AdminArea::Rules)?;
        let rule = self.rule(name_or_id)?;
        let mut ids: Vec<Uuid> = self.rules()?.into_iter().map(|r| r.id).filter(|id| *id != rule.id).collect();
        let at = position.clamp(1, ids.len() + 1) - 1;
        ids.insert(at, rule.id);
        let ctx = self.ctx();
        let tx = self.begin()?;
        events::record(&tx, &ctx, None, Change::RulesOrdered { ids: ids.iter().map(Uuid::to_string).collect() })?;
        tx.commit()?;
        self.reload_rules()?;
        self.rules()
    }

    /// Deletes a rule (and its record of what it did). A built-in can be switched off instead,
    /// but deleting one is allowed too.
    pub fn delete_rule(&mut self, name_or_id: &str) -> Result<()> {
        self.require_admin(AdminArea::Rules)?;
        let rule = self.rule(name_or_id)?;
        let ctx = self.ctx();
        let tx = self.begin()?;
        events::record(&tx, &ctx, None, Change::RuleDeleted { id: rule.id.to_string() })?;
        tx.commit()?;
        self.reload_rules()
    }

    /// Puts a built-in back as it shipped (keeping whether it is on).
    pub fn reset_rule(&mut self, name_or_id: &str) -> Result<Rule> {
        self.require_admin(AdminArea::Rules)?;
        let rule = self.rule(name_or_id)?;
        let key = rule.builtin.as_deref().ok_or_else(|| Error::validation("rule", format!("'{}' is not a built-in rule", rule.definition.name)))?;
        let (_, mut def) =
            builtins().into_iter().find(|(k, _)| *k == key).ok_or_else(|| Error::NotFound { what: "built-in rule", key: key.into() })?;
        def.enabled = rule.definition.enabled;
        self.save_rule(Some(rule.id), def)
    }

    pub(crate) fn reload_rules(&mut self) -> Result<()> {
        self.rules = Arc::new(load_book(&self.conn)?);
        self.rebuild_hooks();
        Ok(())
    }

    /// The triggers' writer for a change made now by this workspace's actor.
    pub(crate) fn rule_writer(&self, ctx: &crate::events::EventCtx) -> Writer {
        Writer { ctx: ctx.clone(), sla: self.sla.clone(), data_dir: self.data_dir() }
    }

    /// "What would this do?": runs rules over every ticket that is not closed at the clock's
    /// `now`, and lists each change, ticket by ticket, without writing anything. Triggers are
    /// tried as if each ticket had just had its latest change.
    pub fn try_rules(&self, target: &TryTarget) -> Result<RulePassReport> {
        let (triggers, time): (Vec<Arc<CompiledRule>>, Vec<Arc<CompiledRule>>) = match target {
            TryTarget::AllEnabled => (self.rules.triggers.clone(), self.rules.time.clone()),
            TryTarget::Saved { name } => {
                let r = self.rule(name)?;
                split(vec![Arc::new(CompiledRule::new(r.id.to_string(), r.definition))])
            }
            TryTarget::Draft { definition, id } => {
                let def = definition.clone().validated(&self.conn)?;
                let id = id.map(|i| i.to_string()).unwrap_or_else(|| "draft".into());
                split(vec![Arc::new(CompiledRule::new(id, def))])
            }
        };
        // One read transaction: every ticket is seen as of the same moment.
        let tx = self.conn.unchecked_transaction()?;
        let mut runner = Runner::new(&tx, self.now(), None).with_similar(self.similar.clone());
        runner.load_firings(&triggers)?;
        runner.load_firings(&time)?;
        // Triggers look at every open ticket; time rules alone only at those whose clocks ran.
        let only = if triggers.is_empty() { engine::time_prefilter(&time, to_ms(self.now())) } else { None };
        let open = facts::load_open(&tx, only.as_deref())?;
        runner.report.tickets_examined = open.len() as u32;
        for mut f in open {
            if !triggers.is_empty() {
                runner.run_ticket(&triggers, &mut f, Happened::Last)?;
            }
            if !time.is_empty() && f.status != crate::model::Status::Closed {
                runner.run_ticket(&time, &mut f, Happened::Nothing)?;
            }
        }
        let report = runner.finish()?;
        tx.rollback()?;
        Ok(report)
    }

    /// One pass of the enabled time rules over every ticket that is not closed, at the clock's
    /// `now`, written in one transaction.
    pub fn run_time_rules(&mut self) -> Result<RulePassReport> {
        let book = self.rules.clone();
        let ctx = self.ctx();
        let settings = self.sla.clone();
        let writer = self.rule_writer(&ctx);
        let similar = self.similar.clone();
        let tx = self.begin()?;
        let report = crate::store::seeing_everything(&tx, || {
            let mut runner = Runner::new(&tx, ctx.at, Some(writer)).with_similar(similar);
            if !book.time.is_empty() {
                runner.load_firings(&book.time)?;
                let only = engine::time_prefilter(&book.time, to_ms(ctx.at));
                let open = facts::load_open(&tx, only.as_deref())?;
                runner.report.tickets_examined = open.len() as u32;
                for mut f in open {
                    runner.run_ticket(&book.time, &mut f, Happened::Nothing)?;
                }
            }
            runner.finish()
        })?;
        events::commit(tx, &settings)?;
        engine::log_changes("a time rule acted", &report);
        if report.changes.is_empty() {
            tracing::debug!(examined = report.tickets_examined, "time rules ran and changed nothing");
        } else {
            tracing::info!(examined = report.tickets_examined, changed = report.changes.len(), "time rules ran");
        }
        Ok(report)
    }
}

fn split(rules: Vec<Arc<CompiledRule>>) -> (Vec<Arc<CompiledRule>>, Vec<Arc<CompiledRule>>) {
    rules.into_iter().partition(|r| r.def.kind == RuleKind::Trigger)
}
