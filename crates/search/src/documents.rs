//! What the index holds of a ticket, read from SQLite (the truth). The index stores no text:
//! snippets are cut from the text in SQLite at query time.

use super::analysis::{self, StemLanguage};
use crate::Result;
use rusqlite::Connection;
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, SchemaBuilder, TextFieldIndexing, TextOptions, FAST, INDEXED, STORED, STRING,
};
use tantivy::TantivyDocument;

/// Bump when the fields change: an index of another layout is rebuilt.
pub const INDEX_SCHEMA_VERSION: u32 = 2;

#[derive(Clone, Copy)]
pub struct Fields {
    pub id: Field,
    pub number: Field,
    pub subject_en: Field,
    pub subject_pl: Field,
    pub subject_de: Field,
    pub subject_cjk: Field,
    pub subject_neutral: Field,
    pub body_en: Field,
    pub body_pl: Field,
    pub body_de: Field,
    pub body_cjk: Field,
    pub body_neutral: Field,
    pub requester: Field,
    pub tags: Field,
    pub status: Field,
    pub priority: Field,
    pub ticket_type: Field,
    pub assignee: Field,
    pub team: Field,
    pub created: Field,
    pub updated: Field,
    pub resolved: Field,
    pub reference: Field,
    /// How many tickets it helped as a similar ticket (a vote, or its fix inserted), and how
    /// many it did not help.
    pub helped: Field,
    pub unhelpful: Field,
}

impl Fields {
    /// The subject and body fields a language's stemmer fills.
    pub fn stemmed(&self, lang: StemLanguage) -> (Field, Field) {
        match lang {
            StemLanguage::English => (self.subject_en, self.body_en),
            StemLanguage::Polish => (self.subject_pl, self.body_pl),
            StemLanguage::German => (self.subject_de, self.body_de),
        }
    }
}

fn text(builder: &mut SchemaBuilder, name: &str, analyser: &str) -> Field {
    let indexing = TextFieldIndexing::default().set_tokenizer(analyser).set_index_option(IndexRecordOption::WithFreqsAndPositions);
    builder.add_text_field(name, TextOptions::default().set_indexing_options(indexing))
}

pub fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let numeric = || NumericOptions::default() | INDEXED | FAST;
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        number: b.add_u64_field("number", NumericOptions::default() | INDEXED | FAST | STORED),
        subject_en: text(&mut b, "subject_en", analysis::EN),
        subject_pl: text(&mut b, "subject_pl", analysis::PL),
        subject_de: text(&mut b, "subject_de", analysis::DE),
        subject_cjk: text(&mut b, "subject_cjk", analysis::CJK),
        subject_neutral: text(&mut b, "subject_neutral", analysis::NEUTRAL),
        body_en: text(&mut b, "body_en", analysis::EN),
        body_pl: text(&mut b, "body_pl", analysis::PL),
        body_de: text(&mut b, "body_de", analysis::DE),
        body_cjk: text(&mut b, "body_cjk", analysis::CJK),
        body_neutral: text(&mut b, "body_neutral", analysis::NEUTRAL),
        requester: text(&mut b, "requester", analysis::NEUTRAL),
        tags: b.add_text_field("tags", STRING),
        status: b.add_text_field("status", STRING | FAST),
        priority: b.add_text_field("priority", STRING),
        ticket_type: b.add_text_field("type", STRING),
        assignee: b.add_text_field("assignee", STRING),
        team: b.add_text_field("team", STRING),
        created: b.add_i64_field("created", numeric()),
        updated: b.add_i64_field("updated", numeric()),
        resolved: b.add_i64_field("resolved", numeric()),
        reference: b.add_u64_field("reference", NumericOptions::default() | INDEXED | FAST),
        helped: b.add_u64_field("helped", NumericOptions::default() | FAST),
        unhelpful: b.add_u64_field("unhelpful", NumericOptions::default() | FAST),
    };
    (b.build(), fields)
}

/// Everything the index needs of one ticket.
pub struct TicketText {
    pub id: String,
    pub number: i64,
    pub subject: String,
    /// Every message of the ticket, public and internal (agents search their notes too).
    pub body: String,
    pub status: String,
    pub priority: String,
    pub ticket_type: String,
    pub assignee_email: Option<String>,
    pub team: Option<String>,
    pub requester: String,
    pub tags: Vec<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub resolved_ms: Option<i64>,
    /// An agent marked one of its messages as the fix: a reference solution (PRODUCT S5).
    pub reference: bool,
    pub helped: u64,
    pub unhelpful: u64,
}

const SELECT: &str = "SELECT t.id, t.number, t.subject, t.status, t.priority, t.type, a.email, tm.name,
        t.created_at, t.updated_at, t.resolved_at, c.name || ' ' || c.email || ' ' || coalesce(o.name, ''),
        (SELECT group_concat(tag, ' ') FROM ticket_tags g WHERE g.ticket_id = t.id),
        (SELECT group_concat(body, char(10)) FROM (SELECT body FROM messages m WHERE m.ticket_id = t.id ORDER BY m.created_at, m.id)),
        (SELECT count(*) FROM messages m WHERE m.ticket_id = t.id AND m.is_solution = 1),
        (SELECT count(*) FROM similar_feedback f WHERE f.ticket_id = t.id AND (f.helpful = 1 OR f.fix_inserted_at IS NOT NULL)),
        (SELECT count(*) FROM similar_feedback f WHERE f.ticket_id = t.id AND f.helpful = 0 AND f.fix_inserted_at IS NULL)
    FROM tickets t
    JOIN customers c ON c.id = t.requester_id
    LEFT JOIN organisations o ON o.id = c.organisation_id
    LEFT JOIN agents a ON a.id = t.assignee_id
    LEFT JOIN teams tm ON tm.id = t.team_id";

fn row_to_text(r: &rusqlite::Row<'_>) -> rusqlite::Result<TicketText> {
    let priority: i64 = r.get(4)?;
    let tags: Option<String> = r.get(12)?;
    Ok(TicketText {
        id: r.get(0)?,
        number: r.get(1)?,
        subject: r.get(2)?,
        status: r.get(3)?,
        priority: crate::model::Priority::from_rank(priority).as_str().to_string(),
        ticket_type: r.get(5)?,
        assignee_email: r.get(6)?,
        team: r.get(7)?,
        created_ms: r.get(8)?,
        updated_ms: r.get(9)?,
        resolved_ms: r.get(10)?,
        requester: r.get(11)?,
        tags: tags.map(|t| t.split(' ').map(str::to_string).collect()).unwrap_or_default(),
        body: r.get::<_, Option<String>>(13)?.unwrap_or_default(),
        reference: r.get::<_, i64>(14)? > 0,
        helped: r.get::<_, i64>(15)? as u64,
        unhelpful: r.get::<_, i64>(16)? as u64,
    })
}

/// Calls `each` with every ticket, in number order.
pub fn for_each_ticket(conn: &Connection, mut each: impl FnMut(TicketText) -> Result<()>) -> Result<()> {
    let mut stmt = conn.prepare(&format!("{SELECT} ORDER BY t.number"))?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        each(row_to_text(r)?)?;
    }
    Ok(())
}

pub fn ticket_by_id(conn: &Connection, id: &str) -> Result<Option<TicketText>> {
    use rusqlite::OptionalExtension;
    let mut stmt = conn.prepare_cached(&format!("{SELECT} WHERE t.id = ?1"))?;
    Ok(stmt.query_row([id], row_to_text).optional()?)
}

fn lower(s: &str) -> String {
    s.trim().to_lowercase()
}

pub fn to_document(f: &Fields, t: &TicketText) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    doc.add_text(f.id, &t.id);
    doc.add_u64(f.number, t.number as u64);
    let lang = analysis::detect_ticket(&t.subject, &t.body);
    let (subject_stemmed, body_stemmed) = f.stemmed(lang);
    for field in [subject_stemmed, f.subject_neutral] {
        doc.add_text(field, &t.subject);
    }
    for field in [body_stemmed, f.body_neutral] {
        doc.add_text(field, &t.body);
    }
    // The bigram fields of a text without a CJK character would hold no token: skipping them
    // spares the indexing threads a scan of every text, and the field's statistics are the same.
    if t.subject.chars().any(analysis::is_cjk) {
        doc.add_text(f.subject_cjk, &t.subject);
    }
    if t.body.chars().any(analysis::is_cjk) {
        doc.add_text(f.body_cjk, &t.body);
    }
    // Tags and the number are searchable as words too.
    doc.add_text(f.body_neutral, format!("{} {}", t.tags.join(" "), t.number));
    doc.add_text(f.requester, &t.requester);
    for tag in &t.tags {
        doc.add_text(f.tags, lower(tag));
    }
    doc.add_text(f.status, &t.status);
    doc.add_text(f.priority, &t.priority);
    doc.add_text(f.ticket_type, lower(&t.ticket_type));
    match &t.assignee_email {
        Some(email) => {
            doc.add_text(f.assignee, lower(email));
            doc.add_text(f.assignee, lower(email.split('@').next().unwrap_or(email)));
        }
        None => doc.add_text(f.assignee, "none"),
    }
    if let Some(team) = &t.team {
        doc.add_text(f.team, lower(team));
    }
    doc.add_i64(f.created, t.created_ms / 1000);
    doc.add_i64(f.updated, t.updated_ms / 1000);
    if let Some(r) = t.resolved_ms {
        doc.add_i64(f.resolved, r / 1000);
    }
    doc.add_u64(f.reference, t.reference as u64);
    doc.add_u64(f.helped, t.helped);
    doc.add_u64(f.unhelpful, t.unhelpful);
    doc
}
