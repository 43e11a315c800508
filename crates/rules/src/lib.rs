//! What an automation rule is (PRODUCT R1–R3), apart from running it: conditions and actions
//! as plain data (JSON in the database, forms in the app), the checks that refuse a rule that
//! cannot work, the rule in plain words, the seeds' built-ins, and the facts a rule reads of a
//! ticket. The engine that runs rules is the workspace's (`casebook::rules`): its actions are
//! ticket operations.

mod builtin;
mod definition;
pub mod facts;

pub use builtin::{builtins, BUILTIN_MACROS, COMPLEXITY_TERMS, CONFIRMATIONS, NEGATIONS};
pub use casebook_core::text::{affected_people, subject_similarity};
pub use definition::*;
