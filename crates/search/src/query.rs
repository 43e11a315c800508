//! The search box's language (PRODUCT S1): plain words (all must match), `a OR b`,
//! "phrases", -exclusions, and field:value filters (status:, priority:, type:, assignee:, tag:,
//! requester:, team:, before:, after:). Anything it cannot read is searched as plain words
//! with a note saying so; it never fails.

use crate::clock::Timestamp;
use crate::model::{Priority, Status};
use serde::{Deserialize, Serialize};

/// Longer queries are cut here (with a note): nobody types more, and it bounds the work.
pub const MAX_QUERY_CHARS: usize = 1000;

/// Filters that narrow a search without changing its ranking.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SearchFilters {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statuses: Vec<Status>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub priorities: Vec<Priority>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<String>,
    /// An agent's email (or its part before @), or "none" for unassigned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Words that must appear in the requester's name, email or organisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requester: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_after: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_before: Option<Timestamp>,
}

impl SearchFilters {
    pub fn is_empty(&self) -> bool {
        self == &SearchFilters::default()
    }

    /// Adds the filters of `other` (the UI's) to these (the query's).
    pub fn merge(&mut self, other: &SearchFilters) {
        self.statuses.extend(other.statuses.iter().copied());
        self.priorities.extend(other.priorities.iter().copied());
        self.types.extend(other.types.iter().cloned());
        self.tags.extend(other.tags.iter().cloned());
        if other.assignee.is_some() {
            self.assignee = other.assignee.clone();
        }
        if other.team.is_some() {
            self.team = other.team.clone();
        }
        if other.requester.is_some() {
            self.requester = other.requester.clone();
        }
        self.created_after = other.created_after.or(self.created_after);
        self.created_before = other.created_before.or(self.created_before);
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedQuery {
    pub words: Vec<String>,
    /// Groups written `a OR b OR c`: one of each group must match.
    pub any_of: Vec<Vec<String>>,
    pub phrases: Vec<String>,
    /// Words or phrases that must not appear.
    pub excluded: Vec<String>,
    pub filters: SearchFilters,
    /// What was not understood and how it was read instead.
    pub notes: Vec<String>,
}

impl ParsedQuery {
    pub fn has_text(&self) -> bool {
        !self.words.is_empty() || !self.phrases.is_empty() || !self.any_of.is_empty()
    }
}

/// Splits the query into pieces, honouring quotes; an unbalanced quote ends quoting.
fn pieces(q: &str, notes: &mut Vec<String>) -> Vec<(bool, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut was_quoted = false;
    for c in q.chars() {
        match c {
            '"' if quoted => {
                quoted = false;
                out.push((true, std::mem::take(&mut current)));
                was_quoted = true;
            }
            '"' => {
                quoted = true;
                if !current.is_empty() && !current.ends_with(':') && current != "-" {
                    out.push((false, std::mem::take(&mut current)));
                }
            }
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    out.push((was_quoted, std::mem::take(&mut current)));
                }
                was_quoted = false;
            }
            c => current.push(c),
        }
    }
    if quoted {
        notes.push("A quote was not closed; the text after it was searched as plain words.".into());
        // Prefix kept (e.g. `-` or `type:`) but the phrase becomes words.
        for w in current.split_whitespace() {
            out.push((false, w.to_string()));
        }
    } else if !current.is_empty() {
        out.push((was_quoted, current));
    }
    out
}

pub fn parse(raw: &str) -> ParsedQuery {
    let mut p = ParsedQuery::default();
    let mut q: String = raw.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if q.chars().count() > MAX_QUERY_CHARS {
        q = q.chars().take(MAX_QUERY_CHARS).collect();
        p.notes.push(format!("The query was cut to its first {MAX_QUERY_CHARS} characters."));
    }
    let mut notes = Vec::new();
    for (quoted, piece) in pieces(&q, &mut notes) {
        // A quoted piece that ends up here is a phrase (possibly with a prefix such as - or key:).
        let (negated, body) = match piece.strip_prefix('-') {
            Some(rest) if !rest.is_empty() || quoted => (true, rest.to_string()),
            _ => (false, piece.clone()),
        };
        if quoted && !body.contains(':') {
            push_text(&mut p, negated, body, true);
            continue;
        }
        if let Some((key, value)) = body.split_once(':') {
            if !negated && !value.is_empty() && apply_filter(&mut p, key, value) {
                continue;
            }
            if !value.is_empty() && !key.is_empty() && !is_filter_key(key) && !key.chars().all(|c| c.is_ascii_digit()) {
                notes.push(format!("There is no field '{key}'; '{body}' was searched as words."));
            }
            for w in body.split(':').filter(|w| !w.is_empty()) {
                push_text(&mut p, negated, w.to_string(), quoted);
            }
            continue;
        }
        push_text(&mut p, negated, body, quoted);
    }
    p.notes.extend(notes);
    group_alternatives(&mut p);
    p
}

/// Turns `x OR y` among the words into an any-of group (a stray OR stays a word).
fn group_alternatives(p: &mut ParsedQuery) {
    if !p.words.iter().any(|w| w == "OR") {
        return;
    }
    let mut words: Vec<String> = Vec::new();
    let mut groups: Vec<Vec<String>> = Vec::new();
    let mut i = 0;
    let w = std::mem::take(&mut p.words);
    while i < w.len() {
        if w[i] != "OR" && w.get(i + 1).is_some_and(|x| x == "OR") && w.get(i + 2).is_some_and(|x| x != "OR") {
            let mut group = vec![w[i].clone()];
            i += 1;
            while i + 1 < w.len() && w[i] == "OR" && w[i + 1] != "OR" {
                group.push(w[i + 1].clone());
                i += 2;
            }
            groups.push(group);
        } else {
            words.push(w[i].clone());
            i += 1;
        }
    }
    p.words = words;
    p.any_of = groups;
}

fn push_text(p: &mut ParsedQuery, negated: bool, text: String, phrase: bool) {
    let text = text.trim().to_string();
    if text.is_empty() || text.chars().all(|c| c == '-' || c == ':') {
        return;
    }
    if negated {
        p.excluded.push(text);
    } else if phrase && text.split_whitespace().count() > 1 {
        p.phrases.push(text);
    } else {
        p.words.push(text);
    }
}

const FILTER_KEYS: [&str; 10] = ["status", "priority", "type", "assignee", "tag", "tags", "requester", "team", "before", "after"];

fn is_filter_key(key: &str) -> bool {
    FILTER_KEYS.contains(&key.to_ascii_lowercase().as_str())
}

/// Applies `key:value`; false (with a note) when the value is not one the field takes.
fn apply_filter(p: &mut ParsedQuery, key: &str, value: &str) -> bool {
    let f = &mut p.filters;
    let value = value.trim_matches('"');
    match key.to_ascii_lowercase().as_str() {
        "status" => match Status::parse(value) {
            Ok(s) => f.statuses.push(s),
            Err(e) => return note(p, e),
        },
        "priority" => match Priority::parse(value) {
            Ok(x) => f.priorities.push(x),
            Err(e) => return note(p, e),
        },
        "type" => f.types.push(value.to_string()),
        "assignee" => f.assignee = Some(value.to_string()),
        "tag" | "tags" => f.tags.push(value.to_lowercase()),
        "requester" => f.requester = Some(value.to_string()),
        "team" => f.team = Some(value.to_string()),
        "before" | "after" => match parse_day(value) {
            Some(t) if key.eq_ignore_ascii_case("before") => f.created_before = Some(t),
            Some(t) => f.created_after = Some(t),
            None => {
                p.notes.push(format!("'{value}' is not a date (YYYY-MM-DD); it was searched as words."));
                return false;
            }
        },
        _ => return false,
    }
    true
}

fn note(p: &mut ParsedQuery, e: crate::Error) -> bool {
    p.notes.push(format!("{e}; it was searched as words."));
    false
}

fn parse_day(s: &str) -> Option<Timestamp> {
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    }
    crate::clock::parse_instant(s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_phrases_exclusions_and_filters() {
        let p = parse(r#"vpn "drops every" -printer -"print queue" status:open priority:high tag:VPN after:2026-01-01"#);
        assert_eq!(p.words, vec!["vpn"]);
        assert_eq!(p.phrases, vec!["drops every"]);
        assert_eq!(p.excluded, vec!["printer", "print queue"]);
        assert_eq!(p.filters.statuses, vec![Status::Open]);
        assert_eq!(p.filters.priorities, vec![Priority::High]);
        assert_eq!(p.filters.tags, vec!["vpn"]);
        assert!(p.filters.created_after.is_some());
        assert!(p.notes.is_empty());
    }

    #[test]
    fn or_groups() {
        let p = parse("vpn OR printer offline OR down urgent");
        assert_eq!(p.any_of, vec![vec!["vpn", "printer"], vec!["offline", "down"]]);
        assert_eq!(p.words, vec!["urgent"]);
        let p = parse("OR vpn OR");
        assert_eq!(p.words, vec!["OR", "vpn", "OR"]);
        assert!(p.any_of.is_empty());
    }

    #[test]
    fn what_cannot_be_read_becomes_words_with_a_note() {
        let p = parse(r#"vpn "unclosed phrase"#);
        assert_eq!(p.words, vec!["vpn", "unclosed", "phrase"]);
        assert_eq!(p.notes.len(), 1);
        let p = parse("colour:blue status:sleeping");
        assert_eq!(p.words, vec!["colour", "blue", "status", "sleeping"]);
        assert_eq!(p.notes.len(), 2);
        let p = parse("error 10:30 :: - \"\" -");
        assert_eq!(p.words, vec!["error", "10", "30"]);
        let p = parse(&"a".repeat(10_000));
        assert_eq!(p.words[0].len(), MAX_QUERY_CHARS);
        assert!(!p.notes.is_empty());
        let p = parse("\u{0007}서버 다운\u{0000} 🙂");
        assert_eq!(p.words, vec!["서버", "다운", "🙂"]);
        let p = parse(r#"type:"Complaint/Suggestion" refund"#);
        assert_eq!(p.filters.types, vec!["Complaint/Suggestion"]);
        assert_eq!(p.words, vec!["refund"]);
    }
}
