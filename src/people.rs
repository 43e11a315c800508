//! Agents, teams, customers and organisations (PRODUCT T1, O3).

use crate::clock::to_ms;
use crate::events::{self, Change, EventCtx};
use crate::model::{Agent, Customer, Role, Team, Tier};
use crate::problem::{AdminArea, Problem};
use crate::workspace::Workspace;
use crate::{validate, Error, Result};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewAgent {
    pub name: String,
    pub email: String,
    pub role: Role,
    #[serde(default)]
    pub teams: Vec<String>,
    #[serde(default)]
    pub skills: Vec<String>,
}

pub(crate) fn insert_agent(conn: &Connection, ctx: &EventCtx, name: &str, email: &str, role: Role, skills: &[String]) -> Result<Uuid> {
    let exists: Option<String> = conn.query_row("SELECT id FROM agents WHERE email = ?1", [email], |r| r.get(0)).optional()?;
    if exists.is_some() {
        return Err(Error::invalid("email", Problem::AgentExists { email: email.to_string() }));
    }
    let id = Uuid::now_v7();
    let change = Change::AgentAdded { id: id.to_string(), name: name.into(), email: email.into(), role, skills: skills.to_vec() };
    events::record(conn, ctx, None, change)?;
    Ok(id)
}

pub(crate) fn team_id(conn: &Connection, name: &str) -> Result<String> {
    conn.query_row("SELECT id FROM teams WHERE name = ?1", [name.trim()], |r| r.get(0))
        .optional()?
        .ok_or_else(|| Error::NotFound { what: "team", key: name.trim().to_string() })
}

/// The ids of the teams an agent (by id) belongs to.
pub(crate) fn team_ids_of(conn: &Connection, agent_id: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT team_id FROM agent_teams WHERE agent_id = ?1")?;
    let rows = stmt.query_map([agent_id], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(crate) fn agent_id(conn: &Connection, email: &str) -> Result<String> {
    conn.query_row("SELECT id FROM agents WHERE email = ?1", [email.trim()], |r| r.get(0))
        .optional()?
        .ok_or_else(|| Error::NotFound { what: "agent", key: email.trim().to_string() })
}

/// Finds the customer with this email, creating them (and their organisation) if new.
/// An existing customer keeps their name unless they had none.
pub(crate) fn upsert_customer(conn: &Connection, ctx: &EventCtx, email: &str, name: Option<&str>, organisation: Option<&str>) -> Result<String> {
    let email = validate::email("requester", email)?;
    if let Some(id) = conn.query_row("SELECT id FROM customers WHERE email = ?1", [&email], |r| r.get::<_, String>(0)).optional()? {
        return Ok(id);
    }
    let name = match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => validate::name("requester name", n)?,
        None => email.split('@').next().unwrap_or(&email).to_string(),
    };
    let org_id = match organisation.map(str::trim).filter(|o| !o.is_empty()) {
        Some(org) => Some(upsert_organisation(conn, ctx, &validate::name("organisation", org)?)?),
        None => None,
    };
    let id = Uuid::now_v7().to_string();
    let change = Change::CustomerAdded { id: id.clone(), name, email, organisation_id: org_id, tier: Tier::Normal, created_at: to_ms(ctx.at) };
    events::record(conn, ctx, None, change)?;
    Ok(id)
}

pub(crate) fn upsert_organisation(conn: &Connection, ctx: &EventCtx, name: &str) -> Result<String> {
    if let Some(id) = conn.query_row("SELECT id FROM organisations WHERE name = ?1", [name], |r| r.get(0)).optional()? {
        return Ok(id);
    }
    let id = Uuid::now_v7().to_string();
    events::record(conn, ctx, None, Change::OrganisationAdded { id: id.clone(), name: name.to_string() })?;
    Ok(id)
}

fn row_to_agent(conn: &Connection, row: &rusqlite::Row<'_>) -> rusqlite::Result<Agent> {
    let id: String = row.get(0)?;
    let role: String = row.get(3)?;
    let skills: String = row.get(4)?;
    let mut stmt =
        conn.prepare_cached("SELECT t.name FROM agent_teams at JOIN teams t ON t.id = at.team_id WHERE at.agent_id = ?1 ORDER BY t.name")?;
    let teams = stmt.query_map([&id], |r| r.get(0))?.collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(Agent {
        id: Uuid::parse_str(&id).unwrap_or_default(),
        name: row.get(1)?,
        email: row.get(2)?,
        role: Role::parse(&role).unwrap_or(Role::Agent),
        teams,
        skills: serde_json::from_str(&skills).unwrap_or_default(),
        active: row.get::<_, i64>(5)? != 0,
    })
}

pub(crate) fn customer_by_id(conn: &Connection, id: &str) -> Result<Customer> {
    let mut stmt = conn.prepare_cached(
        "SELECT c.id, c.name, c.email, o.name, c.tier FROM customers c LEFT JOIN organisations o ON o.id = c.organisation_id WHERE c.id = ?1",
    )?;
    Ok(stmt.query_row([id], |r| {
        let id: String = r.get(0)?;
        let tier: String = r.get(4)?;
        Ok(Customer {
            id: Uuid::parse_str(&id).unwrap_or_default(),
            name: r.get(1)?,
            email: r.get(2)?,
            organisation: r.get(3)?,
            tier: Tier::parse(&tier).unwrap_or(Tier::Normal),
        })
    })?)
}

impl Workspace {
    pub fn add_agent(&mut self, new: &NewAgent) -> Result<Agent> {
        self.require_admin(AdminArea::Agents)?;
        let name = validate::name("name", &new.name)?;
        let email = validate::email("email", &new.email)?;
        let ctx = self.ctx();
        let tx = self.begin()?;
        let id = insert_agent(&tx, &ctx, &name, &email, new.role, &new.skills)?;
        for team in &new.teams {
            let team_id = team_id(&tx, team)?;
            events::record(&tx, &ctx, None, Change::AgentJoinedTeam { agent_id: id.to_string(), team_id })?;
        }
        tx.commit()?;
        if self.acting.is_none() {
            self.acting = Some(self.agent_by_email(&email)?);
        }
        self.agent_by_email(&email)
    }

    pub fn agents(&self) -> Result<Vec<Agent>> {
        let mut stmt = self.conn.prepare_cached("SELECT id, name, email, role, skills, active FROM agents ORDER BY created_at, email")?;
        let rows = stmt.query_map([], |r| row_to_agent(&self.conn, r))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn agent_by_email(&self, email: &str) -> Result<Agent> {
        let mut stmt = self.conn.prepare_cached("SELECT id, name, email, role, skills, active FROM agents WHERE email = ?1")?;
        stmt.query_row([email.trim()], |r| row_to_agent(&self.conn, r))
            .optional()?
            .ok_or_else(|| Error::NotFound { what: "agent", key: email.trim().to_string() })
    }

    pub fn add_team(&mut self, name: &str, backup_agent: Option<&str>) -> Result<Team> {
        self.require_admin(AdminArea::Teams)?;
        let name = validate::name("team", name)?;
        let ctx = self.ctx();
        let tx = self.begin()?;
        if tx.query_row("SELECT 1 FROM teams WHERE name = ?1", [&name], |_| Ok(())).optional()?.is_some() {
            return Err(Error::invalid("team", Problem::TeamExists { name }));
        }
        let backup = backup_agent.map(|e| agent_id(&tx, e)).transpose()?;
        let id = Uuid::now_v7();
        events::record(&tx, &ctx, None, Change::TeamAdded { id: id.to_string(), name: name.clone(), backup_agent_id: backup })?;
        tx.commit()?;
        Ok(Team { id, name, backup_agent: backup_agent.map(str::to_string) })
    }

    pub fn teams(&self) -> Result<Vec<Team>> {
        let mut stmt =
            self.conn.prepare_cached("SELECT t.id, t.name, a.email FROM teams t LEFT JOIN agents a ON a.id = t.backup_agent ORDER BY t.name")?;
        let rows = stmt.query_map([], |r| {
            let id: String = r.get(0)?;
            Ok(Team { id: Uuid::parse_str(&id).unwrap_or_default(), name: r.get(1)?, backup_agent: r.get(2)? })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn join_team(&mut self, agent_email: &str, team: &str) -> Result<()> {
        self.require_admin(AdminArea::Teams)?;
        let ctx = self.ctx();
        let tx = self.begin()?;
        let (agent_id, team_id) = (agent_id(&tx, agent_email)?, team_id(&tx, team)?);
        let member: bool =
            tx.query_row("SELECT count(*) FROM agent_teams WHERE agent_id = ?1 AND team_id = ?2", params![agent_id, team_id], |r| {
                r.get::<_, i64>(0)
            })? > 0;
        if !member {
            events::record(&tx, &ctx, None, Change::AgentJoinedTeam { agent_id, team_id })?;
        }
        tx.commit()?;
        // The acting agent may be the one who joined: what they see changes now.
        if let Some(email) = self.acting.as_ref().map(|a| a.email.clone()) {
            self.acting = self.agent_by_email(&email).ok();
        }
        self.apply_visibility()
    }

    pub fn customer_by_email(&self, email: &str) -> Result<Customer> {
        let id: String = self
            .conn
            .query_row("SELECT id FROM customers WHERE email = ?1", [email.trim()], |r| r.get(0))
            .optional()?
            .ok_or_else(|| Error::NotFound { what: "customer", key: email.trim().to_string() })?;
        customer_by_id(&self.conn, &id)
    }

    /// Adds a customer or updates their name, organisation and tier.
    pub fn save_customer(&mut self, email: &str, name: &str, organisation: Option<&str>, tier: Tier) -> Result<Customer> {
        let email = validate::email("email", email)?;
        let name = validate::name("name", name)?;
        let ctx = self.ctx();
        let tx = self.begin()?;
        let id = upsert_customer(&tx, &ctx, &email, Some(&name), organisation)?;
        let org_id = organisation.map(str::trim).filter(|o| !o.is_empty()).map(|o| upsert_organisation(&tx, &ctx, o)).transpose()?;
        events::record(&tx, &ctx, None, Change::CustomerUpdated { id: id.clone(), name, organisation_id: org_id, tier })?;
        tx.commit()?;
        customer_by_id(&self.conn, &id)
    }
}
