//! What rules read about a ticket: one row of `tickets` (with the instants rules measure
//! from), plus its tags and texts loaded only when a condition asks for them. A time-rule
//! pass reads one such row per open ticket; the thread itself is never read.

use crate::model::{Channel, Priority, Status, Tier};
use crate::sla::SlaState;
use crate::Result;
use rusqlite::{Connection, OptionalExtension};

/// A ticket as the rules see it. Times are Unix milliseconds.
#[derive(Debug, Clone)]
pub(crate) struct Facts {
    pub id: String,
    pub number: i64,
    pub subject: String,
    pub ticket_type: String,
    pub priority: Priority,
    pub status: Status,
    pub requester_id: String,
    pub tier: Tier,
    pub assignee_id: Option<String>,
    pub assignee_email: Option<String>,
    pub team_id: Option<String>,
    pub team: Option<String>,
    pub channel: Channel,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_agent_reply_at: Option<i64>,
    pub last_customer_at: Option<i64>,
    pub status_changed_at: i64,
    pub awaiting_reply_since: Option<i64>,
    pub sla_cycle: i64,
    pub frt_due_at: Option<i64>,
    pub frt_risk_at: Option<i64>,
    pub res_due_at: Option<i64>,
    pub res_risk_at: Option<i64>,
    tags: Option<Vec<String>>,
    description: Option<String>,
    latest_customer_message: Option<String>,
}

const SELECT: &str = "SELECT t.id, t.number, t.subject, t.type, t.priority, t.status, t.requester_id, c.tier, t.assignee_id, a.email,
        t.team_id, tm.name, t.channel, t.created_at, t.updated_at, t.last_agent_reply_at, t.last_customer_at,
        coalesce(t.status_changed_at, t.created_at), t.awaiting_reply_since, t.sla_cycle, t.frt_due_at, t.frt_risk_at, t.res_due_at, t.res_risk_at
    FROM tickets t JOIN customers c ON c.id = t.requester_id
    LEFT JOIN agents a ON a.id = t.assignee_id LEFT JOIN teams tm ON tm.id = t.team_id";

fn row_to_facts(r: &rusqlite::Row<'_>) -> rusqlite::Result<Facts> {
    Ok(Facts {
        id: r.get(0)?,
        number: r.get(1)?,
        subject: r.get(2)?,
        ticket_type: r.get(3)?,
        priority: Priority::from_rank(r.get(4)?),
        status: Status::parse(&r.get::<_, String>(5)?).unwrap_or(Status::Open),
        requester_id: r.get(6)?,
        tier: Tier::parse(&r.get::<_, String>(7)?).unwrap_or(Tier::Normal),
        assignee_id: r.get(8)?,
        assignee_email: r.get(9)?,
        team_id: r.get(10)?,
        team: r.get(11)?,
        channel: Channel::parse(&r.get::<_, String>(12)?).unwrap_or(Channel::Manual),
        created_at: r.get(13)?,
        updated_at: r.get(14)?,
        last_agent_reply_at: r.get(15)?,
        last_customer_at: r.get(16)?,
        status_changed_at: r.get(17)?,
        awaiting_reply_since: r.get(18)?,
        sla_cycle: r.get(19)?,
        frt_due_at: r.get(20)?,
        frt_risk_at: r.get(21)?,
        res_due_at: r.get(22)?,
        res_risk_at: r.get(23)?,
        tags: None,
        description: None,
        latest_customer_message: None,
    })
}

/// Every ticket that is not closed, in number order; with `only`, those the SQL condition
/// admits (a pre-filter the caller guarantees loses no ticket a rule could act on).
pub(crate) fn load_open(conn: &Connection, only: Option<&str>) -> Result<Vec<Facts>> {
    let only = only.map(|c| format!(" AND ({c})")).unwrap_or_default();
    let mut stmt = conn.prepare(&format!("{SELECT} WHERE t.status <> 'closed'{only} ORDER BY t.number"))?;
    let rows = stmt.query_map([], row_to_facts)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The column an "hours since" counts from, in the `SELECT` above.
pub(crate) fn since_column(since: crate::rules::Since) -> &'static str {
    use crate::rules::Since as S;
    match since {
        S::Created => "t.created_at",
        S::Updated => "t.updated_at",
        S::LastAgentReply => "t.last_agent_reply_at",
        S::LastCustomerReply => "t.last_customer_at",
        S::StatusChange => "coalesce(t.status_changed_at, t.created_at)",
        S::PendingSince => "(CASE WHEN t.status = 'pending' THEN coalesce(t.status_changed_at, t.created_at) END)",
        S::AwaitingReply => "t.awaiting_reply_since",
    }
}

pub(crate) fn load_one(conn: &Connection, ticket_id: &str) -> Result<Option<Facts>> {
    Ok(conn.prepare_cached(&format!("{SELECT} WHERE t.id = ?1"))?.query_row([ticket_id], row_to_facts).optional()?)
}

impl Facts {
    pub fn tags(&mut self, conn: &Connection) -> Result<&[String]> {
        if self.tags.is_none() {
            let mut stmt = conn.prepare_cached("SELECT tag FROM ticket_tags WHERE ticket_id = ?1 ORDER BY tag")?;
            self.tags = Some(stmt.query_map([&self.id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?);
        }
        Ok(self.tags.as_deref().unwrap_or_default())
    }

    /// Keeps the texts already read from `old` (same ticket, re-read after a write).
    pub fn inherit_texts(&mut self, old: &mut Facts) {
        self.description = old.description.take();
        self.latest_customer_message = old.latest_customer_message.take();
    }

    pub fn set_tags(&mut self, tags: Vec<String>) {
        self.tags = Some(tags);
    }

    pub fn description(&mut self, conn: &Connection) -> Result<&str> {
        if self.description.is_none() {
            self.description = Some(conn.prepare_cached("SELECT description FROM tickets WHERE id = ?1")?.query_row([&self.id], |r| r.get(0))?);
        }
        Ok(self.description.as_deref().unwrap_or_default())
    }

    pub fn latest_customer_message(&mut self, conn: &Connection) -> Result<&str> {
        if self.latest_customer_message.is_none() {
            let body: Option<String> = conn
                .prepare_cached("SELECT body FROM messages WHERE ticket_id = ?1 AND kind = 'customer' ORDER BY created_at DESC, id DESC LIMIT 1")?
                .query_row([&self.id], |r| r.get(0))
                .optional()?;
            self.latest_customer_message = Some(body.unwrap_or_default());
        }
        Ok(self.latest_customer_message.as_deref().unwrap_or_default())
    }

    /// The SLA as the stored instants say at `now` (kept current on every change).
    pub fn sla_state(&self, now: i64) -> SlaState {
        match self.status {
            Status::Pending => return SlaState::Paused,
            Status::Resolved | Status::Closed => return SlaState::Met,
            _ => {}
        }
        let past = |t: Option<i64>| t.is_some_and(|t| t <= now);
        if past(self.frt_due_at) || past(self.res_due_at) {
            SlaState::Breached
        } else if past(self.frt_risk_at) || past(self.res_risk_at) {
            SlaState::AtRisk
        } else if self.frt_due_at.is_none() && self.res_due_at.is_none() {
            SlaState::Met
        } else {
            SlaState::Ok
        }
    }

    /// What last happened to the ticket, for a dry run of a trigger over existing tickets.
    pub fn last_event(&self) -> crate::rules::TriggerEvent {
        use crate::rules::TriggerEvent as E;
        if self.updated_at == self.created_at {
            return E::Created;
        }
        let candidates = [
            (self.last_customer_at, E::CustomerMessage),
            (self.last_agent_reply_at, E::AgentReply),
            (Some(self.status_changed_at), E::StatusChanged),
        ];
        candidates.into_iter().find(|(at, _)| *at == Some(self.updated_at)).map(|(_, e)| e).unwrap_or(E::FieldChanged)
    }
}

/// Subjects are "the same request" when their keywords mostly agree (the seeds' "키워드
/// 유사도"): a Dice coefficient over keyword tokens — lower-cased words in spaced scripts,
/// and character pairs inside Hangul/CJK runs, where particles stick to words ("프린터가" and
/// "프린터" share "프린", "린터"). Reply prefixes are dropped. No dictionary, so it works alike
/// for English, Polish and Korean; numbers count as words ("Printer 1" is not "Printer 2").
pub fn subject_similarity(a: &str, b: &str) -> f64 {
    let (ta, tb) = (keyword_tokens(a), keyword_tokens(b));
    if ta.is_empty() || tb.is_empty() {
        return 0.0;
    }
    let mut rest = tb.clone();
    let mut shared = 0usize;
    for t in &ta {
        if let Some(i) = rest.iter().position(|x| x == t) {
            rest.swap_remove(i);
            shared += 1;
        }
    }
    2.0 * shared as f64 / (ta.len() + tb.len()) as f64
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x1100..=0x11FF | 0x3040..=0x30FF | 0x3130..=0x318F | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF)
}

fn keyword_tokens(s: &str) -> Vec<String> {
    let mut s = s.trim().to_lowercase();
    loop {
        let stripped =
            ["re:", "fwd:", "fw:", "aw:", "odp:", "답장:", "회신:"].iter().find_map(|p| s.strip_prefix(p).map(|r| r.trim_start().to_string()));
        match stripped {
            Some(r) => s = r,
            None => break,
        }
    }
    let mut tokens = Vec::new();
    for run in s.split(|c: char| !c.is_alphanumeric()).filter(|r| !r.is_empty()) {
        let chars: Vec<char> = run.chars().collect();
        if chars.iter().any(|c| is_cjk(*c)) && chars.len() > 1 {
            tokens.extend(chars.windows(2).map(|w| w.iter().collect::<String>()));
        } else {
            tokens.push(run.to_string());
        }
    }
    tokens
}

/// Words after a number that say it counts people ("15 users", "20명", "12 użytkowników").
const PEOPLE_WORDS: &[&str] = &[
    "users",
    "user",
    "people",
    "persons",
    "employees",
    "staff",
    "colleagues",
    "customers",
    "clients",
    "agents",
    "seats",
    "machines",
    "computers",
    "laptops",
    "명",
    "사용자",
    "직원",
    "użytkowników",
    "użytkownicy",
    "osób",
    "osoby",
    "pracowników",
    "pracownicy",
    "komputerów",
];

/// The largest number of people the text says are affected, if it says so.
pub fn affected_people(text: &str) -> Option<u32> {
    let lower = text.to_lowercase();
    let chars: Vec<(usize, char)> = lower.char_indices().collect();
    let mut best: Option<u32> = None;
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].1.is_ascii_digit() || (i > 0 && chars[i - 1].1.is_alphanumeric()) {
            i += 1;
            continue;
        }
        let start = chars[i].0;
        while i < chars.len() && (chars[i].1.is_ascii_digit() || chars[i].1 == ',' && chars.get(i + 1).is_some_and(|c| c.1.is_ascii_digit())) {
            i += 1;
        }
        let end = chars.get(i).map(|c| c.0).unwrap_or(lower.len());
        let number: Option<u32> = lower[start..end].replace(',', "").parse().ok();
        // After the number: an optional "+", then at most one other word ("20 more users",
        // "30 of our staff" is not read), then a word for people.
        if lower[end..].starts_with(|c: char| c.is_ascii_alphabetic()) {
            continue; // "404users", "3d": not a count
        }
        let rest = lower[end..].trim_start_matches('+').trim_start();
        let mut words = rest.split(|c: char| c.is_whitespace() || matches!(c, ',' | '.' | '!' | '?' | ')' | ';' | ':'));
        let first = words.next().unwrap_or("");
        let second = words.next().unwrap_or("");
        let counts_people = |w: &str| PEOPLE_WORDS.iter().any(|p| w == *p || (!p.is_ascii() && w.starts_with(p)));
        let says_people = counts_people(first) || (!first.is_empty() && first.chars().count() <= 12 && counts_people(second));
        if let (Some(n), true) = (number, says_people) {
            best = Some(best.map_or(n, |b| b.max(n)));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similar_subjects_in_three_languages() {
        assert_eq!(subject_similarity("VPN drops every 10 minutes", "Re: VPN drops every 10 minutes!"), 1.0);
        assert!(subject_similarity("VPN drops every 10 minutes", "VPN drops every 15 minutes") >= 0.8);
        assert!(subject_similarity("VPN drops every 10 minutes", "Refund for order 1234") < 0.3);
        assert!(subject_similarity("프린터가 작동하지 않습니다", "프린터가 작동하지 않아요") >= 0.6);
        assert!(subject_similarity("프린터가 작동하지 않습니다", "프린터 작동하지 않습니다") >= 0.9);
        assert!(subject_similarity("Printer 1 offline", "Printer 2 offline") < 0.8);
        assert!(subject_similarity("프린터가 작동하지 않습니다", "비밀번호를 잊어버렸습니다") < 0.3);
        assert!(subject_similarity("Nie działa drukarka w biurze", "Nie działa drukarka w biurze!!") >= 0.99);
        assert_eq!(subject_similarity("", "x"), 0.0);
    }

    #[test]
    fn affected_people_are_read_from_the_text() {
        assert_eq!(affected_people("About 15 users cannot log in"), Some(15));
        assert_eq!(affected_people("서버 다운으로 20명이 작업을 못 합니다"), Some(20));
        assert_eq!(affected_people("12 użytkowników nie może się zalogować"), Some(12));
        assert_eq!(affected_people("1,200 employees are offline, 3 printers too"), Some(1200));
        assert_eq!(affected_people("50+ people affected"), Some(50));
        assert_eq!(affected_people("Order 10 arrived late, 3 items missing"), None);
        assert_eq!(affected_people("error 404users"), None);
    }
}
