//! What reacts to a change inside the change's own transaction: keyword alerts and the rules'
//! triggers. The workspace builds the list when it opens (and again when rules or alert
//! settings change); ticket operations run it after their events, and imports pass none. So
//! `tickets` knows neither `rules` nor `alerts`: they hang themselves on it, and the
//! dependencies run one way.

use crate::events::EventCtx;
use crate::sla::SlaSettings;
use crate::Result;
use rusqlite::Connection;
use std::path::Path;
use std::sync::Arc;

/// What just happened to the ticket.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Happened<'a> {
    /// A new ticket: its first message and the customer's words (the subject is theirs too).
    Created {
        message_id: &'a str,
        subject: &'a str,
        body: &'a str,
    },
    CustomerMessage {
        message_id: &'a str,
        body: &'a str,
    },
    AgentReply,
    Note,
    StatusChanged,
    FieldChanged,
}

/// The change's context: who and when, the SLA settings it was made under, the data folder.
pub(crate) struct HookCtx<'a> {
    pub ctx: &'a EventCtx,
    pub sla: &'a SlaSettings,
    pub data_dir: &'a Path,
}

pub(crate) trait Hook: Send + Sync {
    fn after(&self, conn: &Connection, hc: &HookCtx<'_>, ticket_id: &str, what: Happened<'_>) -> Result<()>;
}

/// The hooks in the order they run: alerts first (a rule may act on what they raised).
#[derive(Clone, Default)]
pub(crate) struct Hooks(Vec<Arc<dyn Hook>>);

impl Hooks {
    pub fn new(hooks: Vec<Arc<dyn Hook>>) -> Hooks {
        Hooks(hooks)
    }

    pub fn run(&self, conn: &Connection, hc: &HookCtx<'_>, ticket_id: &str, what: Happened<'_>) -> Result<()> {
        for hook in &self.0 {
            hook.after(conn, hc, ticket_id, what)?;
        }
        Ok(())
    }
}
