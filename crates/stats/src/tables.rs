//! The dashboard's figures as tables (title, header, rows of text): what `stats --csv DIR`
//! writes and what the window exports, one CSV file per table.

use super::{Count, Durations, Stats};
use casebook_core::error::{Error, Result};
use std::path::{Path, PathBuf};

pub struct Table {
    /// File stem: "trend", "agents", …
    pub name: &'static str,
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn pct(v: Option<f64>) -> String {
    v.map(|v| format!("{:.1}", v * 100.0)).unwrap_or_default()
}

fn counts(name: &'static str, first: &'static str, list: &[Count]) -> Table {
    Table { name, header: vec![first, "tickets"], rows: list.iter().map(|c| vec![c.label.clone(), c.count.to_string()]).collect() }
}

fn duration_rows(label: &str, d: &Durations) -> Vec<String> {
    vec![
        label.to_string(),
        d.count.to_string(),
        opt(d.median),
        opt(d.average),
        opt(d.p90),
        opt(d.business_median),
        opt(d.business_average),
        opt(d.business_p90),
    ]
}

/// Every table of the dashboard.
pub fn tables(s: &Stats) -> Vec<Table> {
    let (h, p) = (&s.headline, &s.previous);
    let headline = vec![
        ("tickets created", h.created.to_string(), p.created.to_string()),
        ("tickets solved", h.solved.to_string(), p.solved.to_string()),
        ("tickets reopened", h.reopened.to_string(), p.reopened.to_string()),
        ("resolution rate %", pct(h.resolution_rate), pct(p.resolution_rate)),
        ("median first response (s)", opt(h.median_first_response), opt(p.median_first_response)),
        ("median resolution (s)", opt(h.median_resolution), opt(p.median_resolution)),
        ("first response SLA met %", pct(h.first_response_compliance), pct(p.first_response_compliance)),
        ("resolution SLA met %", pct(h.resolution_compliance), pct(p.resolution_compliance)),
        ("CSAT %", pct(h.csat), pct(p.csat)),
    ];
    let mut out = vec![
        Table {
            name: "headline",
            header: vec!["measure", "this period", "previous period"],
            rows: headline.into_iter().map(|(a, b, c)| vec![a.to_string(), b, c]).collect(),
        },
        counts("status_now", "status", &s.now.by_status),
        counts("backlog_age", "age", &s.now.backlog_by_age),
        Table {
            name: "trend",
            header: vec!["from", "created", "solved", "reopened"],
            rows: s
                .trend
                .iter()
                .map(|t| {
                    vec![
                        t.start.format("%Y-%m-%d").to_string(),
                        t.created.count.to_string(),
                        t.solved.count.to_string(),
                        t.reopened.count.to_string(),
                    ]
                })
                .collect(),
        },
        Table {
            name: "times",
            header: vec!["measure", "tickets", "median s", "average s", "p90 s", "business median s", "business average s", "business p90 s"],
            rows: vec![duration_rows("first response", &s.first_response), duration_rows("resolution", &s.resolution)],
        },
        Table {
            name: "time_distribution",
            header: vec!["range", "first response", "resolution"],
            rows: s
                .first_response
                .histogram
                .iter()
                .zip(&s.resolution.histogram)
                .map(|(a, b)| vec![a.label.clone(), a.count.to_string(), b.count.to_string()])
                .collect(),
        },
        Table {
            name: "sla_by_priority",
            header: vec![
                "priority",
                "first response met",
                "first response breached",
                "first response met %",
                "resolution met",
                "resolution breached",
                "resolution met %",
            ],
            rows: s
                .sla_by_priority
                .iter()
                .map(|p| {
                    vec![
                        p.priority.label().to_string(),
                        p.first_response.met.count.to_string(),
                        p.first_response.breached.count.to_string(),
                        pct(p.first_response.rate),
                        p.resolution.met.count.to_string(),
                        p.resolution.breached.count.to_string(),
                        pct(p.resolution.rate),
                    ]
                })
                .collect(),
        },
        Table {
            name: "agents",
            header: vec![
                "agent",
                "email",
                "assigned",
                "solved",
                "median first response s",
                "median resolution s",
                "SLA met %",
                "CSAT %",
                "rated",
                "reopen rate %",
            ],
            rows: s
                .agents
                .iter()
                .map(|a| {
                    vec![
                        a.name.clone(),
                        a.email.clone(),
                        a.assigned.count.to_string(),
                        a.solved.count.to_string(),
                        opt(a.median_first_response),
                        opt(a.median_resolution),
                        pct(a.sla_compliance),
                        pct(a.csat),
                        a.rated.to_string(),
                        pct(a.reopen_rate),
                    ]
                })
                .collect(),
        },
        counts("types", "type", &s.by_type),
        counts("tags", "tag", &s.by_tag),
        Table {
            name: "slowest_types",
            header: vec!["type", "solved", "median resolution s"],
            rows: s.slowest_types.iter().map(|t| vec![t.ticket_type.clone(), t.solved.count.to_string(), opt(t.median_resolution)]).collect(),
        },
        Table {
            name: "bottlenecks",
            header: vec!["ticket", "subject", "status", "hours in status"],
            rows: s
                .bottlenecks
                .worst
                .iter()
                .map(|t| vec![t.number.to_string(), t.subject.clone(), t.status.label().to_string(), t.hours.to_string()])
                .collect(),
        },
    ];
    out.push(Table {
        name: "csat",
        header: vec!["ticket", "rating", "comment", "rated at"],
        rows: s
            .csat
            .comments
            .iter()
            .map(|r| vec![r.ticket_number.to_string(), if r.good { "good" } else { "bad" }.into(), r.comment.clone(), r.rated_at.to_rfc3339()])
            .collect(),
    });
    out
}

/// Writes one table as CSV to `path`.
pub fn write_table(table: &Table, path: &Path) -> Result<()> {
    let mut w = csv::Writer::from_path(path).map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
    let io = |e: csv::Error| Error::Io(std::io::Error::other(e.to_string()));
    w.write_record(&table.header).map_err(io)?;
    for row in &table.rows {
        w.write_record(row).map_err(io)?;
    }
    w.flush()?;
    Ok(())
}

/// Writes every table as `DIR/<name>.csv`; returns the files.
pub fn write_all(stats: &Stats, dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    tables(stats)
        .iter()
        .map(|t| {
            let path = dir.join(format!("{}.csv", t.name));
            write_table(t, &path).map(|_| path)
        })
        .collect()
}
