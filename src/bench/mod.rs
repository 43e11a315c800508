//! `casebook bench`: performance budgets measured on generated data, each beside the
//! obvious alternative measured in the same run. Printed as a table, never asserted.

mod mail;
pub mod relevance;
mod search;
mod soak;
mod store;
mod sync;

pub use mail::mail;
pub use relevance::{relevance, relevance_table};
pub use search::search;
pub use soak::{soak, SoakOptions, SoakReport};
pub use store::store;
pub use sync::sync;

use crate::Result;
use std::time::Instant;

#[derive(Debug, Clone, serde::Serialize)]
pub struct BenchRow {
    pub measure: String,
    pub casebook: String,
    pub alternative: String,
    pub goal: String,
}

pub(crate) fn row(measure: impl Into<String>, casebook: impl Into<String>, alternative: impl Into<String>, goal: impl Into<String>) -> BenchRow {
    BenchRow { measure: measure.into(), casebook: casebook.into(), alternative: alternative.into(), goal: goal.into() }
}

/// Milliseconds of each run of `f`, `n` times, as (p50, p95).
pub(crate) fn percentiles(n: usize, mut f: impl FnMut(usize) -> Result<()>) -> Result<(f64, f64)> {
    timed_percentiles(n, |i| {
        let t = Instant::now();
        f(i)?;
        Ok(t.elapsed())
    })
}

/// Like `percentiles`, of the part of each run that `f` timed itself (it reports that part),
/// for runs with a set-up that is not measured.
pub(crate) fn timed_percentiles(n: usize, mut f: impl FnMut(usize) -> Result<std::time::Duration>) -> Result<(f64, f64)> {
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        times.push(f(i)?.as_secs_f64() * 1000.0);
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    Ok((at(0.5), at(0.95)))
}

pub(crate) fn ms(p: (f64, f64)) -> String {
    format!("p50 {:.2} ms · p95 {:.2} ms", p.0, p.1)
}

/// The rows as a Markdown table.
pub fn table(rows: &[BenchRow]) -> String {
    let mut out = String::from("| measure | casebook | alternative | goal |\n|---|---|---|---|\n");
    for r in rows {
        out.push_str(&format!("| {} | {} | {} | {} |\n", r.measure, r.casebook, r.alternative, r.goal));
    }
    out
}
