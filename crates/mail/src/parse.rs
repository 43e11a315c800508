//! What a fetched or imported message says, read from its raw bytes without ever failing:
//! a message that cannot be read in part still comes out, with a note saying what was wrong,
//! so it still becomes a ticket and nobody's mail is lost.

use crate::charset;
use crate::quote;
use mail_parser::{Address, HeaderValue, Message, MessageParser, MimeHeaders, PartType};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A person on a message: the address lower-cased, the display name as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mailbox {
    pub name: Option<String>,
    pub address: String,
}

/// A file carried by a message (an attachment, or an inline image named by a `cid:`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailAttachment {
    pub filename: String,
    pub content_type: String,
    pub content_id: Option<String>,
    pub bytes: Vec<u8>,
}

/// A delivery report: which of our messages bounced and for whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bounce {
    /// The Message-ID of the message that could not be delivered, when the report quotes it.
    pub original_message_id: Option<String>,
    pub recipient: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedMail {
    /// Without angle brackets.
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub from: Option<Mailbox>,
    pub reply_to: Option<Mailbox>,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    /// Every Delivered-To / X-Original-To address: which of our addresses it came through.
    pub delivered_to: Vec<String>,
    pub subject: String,
    /// The Date header in ms since the epoch.
    pub date: Option<i64>,
    /// What the sender wrote now: the text body (HTML turned into text when there is no text
    /// part) without the quoted history.
    pub body: String,
    /// The quoted history below it ("On … wrote:", "> …"), folded away in the thread.
    pub quoted: Option<String>,
    pub has_html: bool,
    pub attachments: Vec<MailAttachment>,
    /// Why no automatic mail may answer it (auto-reply, list, bulk, a daemon …), or None.
    pub automatic: Option<String>,
    pub bounce: Option<Bounce>,
    /// What could not be read, in words for the agent (shown on the message).
    pub notes: Vec<String>,
    /// A hash of what makes it this message wherever it was fetched from (not the trace
    /// headers a second mailbox or a re-delivery adds): the same message twice has the same.
    pub fingerprint: String,
}

/// The largest body text kept on a ticket; the rest stays in the raw .eml.
const MAX_BODY_CHARS: usize = 200_000;

pub fn parse(raw: &[u8]) -> ParsedMail {
    let parser = MessageParser::default();
    match parser.parse(raw) {
        Some(m) if !m.headers().is_empty() => from_message(&m, raw),
        _ => unreadable(raw),
    }
}

/// Bytes that are not a mail at all: kept whole as the body text, as far as it decodes.
fn unreadable(raw: &[u8]) -> ParsedMail {
    let text: String = charset::decode_guessing(raw).chars().take(MAX_BODY_CHARS).collect();
    let body = if text.trim().is_empty() { "(empty message)".to_string() } else { text };
    ParsedMail {
        message_id: None,
        in_reply_to: vec![],
        references: vec![],
        from: None,
        reply_to: None,
        to: vec![],
        cc: vec![],
        delivered_to: vec![],
        subject: String::new(),
        date: None,
        fingerprint: fingerprint_of(&[b"unreadable", raw]),
        body,
        quoted: None,
        has_html: false,
        attachments: vec![],
        automatic: None,
        bounce: None,
        notes: vec!["This is not a readable mail message (no headers); its bytes are shown as text.".into()],
    }
}

fn from_message(m: &Message<'_>, raw: &[u8]) -> ParsedMail {
    let mut notes = Vec::new();
    let message_id = m.message_id().map(clean_id).filter(|s| !s.is_empty());
    if message_id.is_none() {
        notes.push("The message has no Message-ID.".into());
    }
    let from = header_mailbox(m, "From", m.from(), &mut notes);
    if from.is_none() {
        notes.push("The message has no readable From address.".into());
    }
    let subject = header_text(m, "Subject", m.subject()).unwrap_or_default();
    let (body, has_html) = body_text(m, &mut notes);
    // Old clients put files in the text itself, uuencoded.
    let (mut body, uuencoded) = crate::uuencode::extract(&body);
    if body.chars().count() > MAX_BODY_CHARS {
        body = body.chars().take(MAX_BODY_CHARS).collect();
        notes.push(format!("The text was cut at {MAX_BODY_CHARS} characters; the whole message is in the .eml."));
    }
    let (new_text, quoted) = quote::split(&body);
    let mut attachments = attachments(m);
    attachments.extend(uuencoded);
    if m.parts.iter().any(|p| p.is_encoding_problem) {
        notes.push("Part of the message was badly encoded (truncated or broken MIME); what could be read is shown.".into());
    }
    let automatic = automatic(m, from.as_ref());
    let bounce = bounce(m, from.as_ref(), &subject);
    let mut fp_parts: Vec<Vec<u8>> = vec![
        message_id.clone().unwrap_or_default().into_bytes(),
        from.as_ref().map(|f| f.address.clone()).unwrap_or_default().into_bytes(),
        m.header_raw("Date").unwrap_or("").trim().as_bytes().to_vec(),
        subject.clone().into_bytes(),
        body.clone().into_bytes(),
    ];
    fp_parts.extend(attachments.iter().map(|a| Sha256::digest(&a.bytes).to_vec()));
    if message_id.is_none() && from.is_none() {
        fp_parts.push(raw.to_vec());
    }
    let fp_refs: Vec<&[u8]> = fp_parts.iter().map(Vec::as_slice).collect();
    ParsedMail {
        in_reply_to: id_list(m.in_reply_to()),
        references: id_list(m.references()),
        reply_to: m.reply_to().and_then(|a| mailboxes(a).into_iter().next()),
        to: m.to().map(mailboxes).unwrap_or_default(),
        cc: m.cc().map(mailboxes).unwrap_or_default(),
        delivered_to: m
            .headers()
            .iter()
            .filter(|h| h.name().eq_ignore_ascii_case("Delivered-To") || h.name().eq_ignore_ascii_case("X-Original-To"))
            .filter_map(|h| h.value().as_text().map(|s| s.trim().trim_matches(['<', '>']).to_ascii_lowercase()))
            .filter(|s| !s.is_empty())
            .collect(),
        date: m.date().map(|d| d.to_timestamp() * 1000),
        fingerprint: fingerprint_of(&fp_refs),
        message_id,
        from,
        subject,
        body: if new_text.trim().is_empty() && quoted.is_none() { "(no text)".to_string() } else { new_text },
        quoted,
        has_html,
        attachments,
        automatic,
        bounce,
        notes,
    }
}

fn fingerprint_of(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    hex::encode(h.finalize())
}

/// `<abc@x>` → `abc@x`.
fn clean_id(s: &str) -> String {
    s.trim().trim_start_matches('<').trim_end_matches('>').trim().to_string()
}

fn id_list(v: &HeaderValue<'_>) -> Vec<String> {
    let ids: Vec<String> = match v {
        HeaderValue::Text(t) => t.split_whitespace().map(clean_id).collect(),
        HeaderValue::TextList(l) => l.iter().flat_map(|t| t.split_whitespace().map(clean_id).collect::<Vec<_>>()).collect(),
        _ => vec![],
    };
    ids.into_iter().filter(|s| !s.is_empty()).collect()
}

fn mailboxes(a: &Address<'_>) -> Vec<Mailbox> {
    a.iter()
        .filter_map(|addr| {
            let address = addr.address()?.trim().to_lowercase();
            if !address.contains('@') {
                return None;
            }
            let name = addr.name().map(|n| n.trim().to_string()).filter(|n| !n.is_empty() && !n.eq_ignore_ascii_case(&address));
            Some(Mailbox { name, address })
        })
        .collect()
}

/// A header's raw bytes, for headers written in 8-bit without an encoded-word.
fn raw_header<'a>(m: &'a Message<'_>, name: &str) -> Option<&'a [u8]> {
    let h = m.headers().iter().find(|h| h.name().eq_ignore_ascii_case(name))?;
    m.raw_message().get(h.offset_start() as usize..h.offset_end() as usize)
}

/// A text header; raw 8-bit bytes in an unknown charset are guessed rather than shown as
/// replacement characters.
fn header_text(m: &Message<'_>, name: &str, parsed: Option<&str>) -> Option<String> {
    if let Some(raw) = raw_header(m, name) {
        if !raw.is_ascii() && std::str::from_utf8(raw).is_err() {
            return Some(charset::decode_guessing(raw).trim().to_string());
        }
    }
    parsed.map(|s| s.trim().to_string())
}

fn header_mailbox(m: &Message<'_>, name: &str, parsed: Option<&Address<'_>>, notes: &mut Vec<String>) -> Option<Mailbox> {
    if let Some(raw) = raw_header(m, name) {
        if !raw.is_ascii() && std::str::from_utf8(raw).is_err() {
            // Decode the 8-bit header, then let the parser read the address out of it.
            let decoded = charset::decode_guessing(raw);
            let wrapped = format!("{name}: {}\r\n\r\n", decoded.trim());
            if let Some(again) = MessageParser::default().parse(wrapped.as_bytes()) {
                if let Some(mb) = again.from().and_then(|a| mailboxes(a).into_iter().next()) {
                    return Some(mb);
                }
            }
        }
    }
    let found = parsed.and_then(|a| mailboxes(a).into_iter().next());
    if found.is_none() {
        if let Some(raw) = m.header_raw(name).map(str::trim).filter(|s| !s.is_empty()) {
            notes.push(format!("The {name} header is not an address: {raw}"));
        }
    }
    found
}

/// The text the sender wrote: the text parts, or the HTML parts as text when there are none.
fn body_text(m: &Message<'_>, notes: &mut Vec<String>) -> (String, bool) {
    let has_html = m.html_body_count() > 0 && m.html_bodies().any(|p| p.is_text_html());
    let mut out = String::new();
    for part in m.text_bodies() {
        let text = match &part.body {
            PartType::Text(t) => part_text(part, t, notes),
            PartType::Html(h) => html_to_text(h),
            _ => continue,
        };
        if !out.is_empty() && !text.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(&text);
    }
    if out.trim().is_empty() {
        if let Some(h) = m.html_bodies().find_map(|p| match &p.body {
            PartType::Html(h) => Some(h.clone()),
            _ => None,
        }) {
            out = html_to_text(&h);
        }
    }
    (out.replace("\r\n", "\n").trim_end().to_string(), has_html)
}

/// A text part as decoded; an undeclared 8-bit charset is guessed from its bytes.
fn part_text(part: &mail_parser::MessagePart<'_>, decoded: &str, notes: &mut Vec<String>) -> String {
    let declared = part.content_type().and_then(|c| c.attribute("charset")).is_some();
    if decoded.contains('\u{FFFD}') && !declared {
        notes.push("The text declared no charset; it was guessed.".into());
    }
    decoded.to_string()
}

pub fn html_to_text(html: &str) -> String {
    // html2text's time grows with the square of the nesting: a hostile or generated mail
    // nested thousands deep takes seconds, so past a depth no person writes, tags are dropped.
    if crate::html::nesting_depth(html) > 200 {
        return crate::html::strip_tags(html);
    }
    // A wide line so paragraphs are not re-wrapped.
    html2text::config::plain().string_from_read(html.as_bytes(), 10_000).unwrap_or_else(|_| crate::html::strip_tags(html))
}

fn attachments(m: &Message<'_>) -> Vec<MailAttachment> {
    let mut out = Vec::new();
    for (i, part) in m.attachments().enumerate() {
        let content_type = part
            .content_type()
            .map(|c| match c.subtype() {
                Some(s) => format!("{}/{}", c.ctype(), s),
                None => c.ctype().to_string(),
            })
            .unwrap_or_else(|| "application/octet-stream".into())
            .to_ascii_lowercase();
        let nested = part.message();
        let filename = part
            .attachment_name()
            .map(crate::safe_filename)
            .filter(|s| !s.is_empty())
            .or_else(|| nested.and_then(|n| n.subject()).map(|s| crate::safe_filename(&format!("{s}.eml"))))
            .unwrap_or_else(|| format!("attachment-{}{}", i + 1, extension_for(&content_type)));
        out.push(MailAttachment {
            filename,
            content_type,
            content_id: part.content_id().map(clean_id).filter(|s| !s.is_empty()),
            bytes: contents(part),
        });
    }
    out
}

/// A part's decoded bytes; a base64 part cut short is decoded as far as it goes (the parser
/// leaves such a part undecoded).
fn contents(part: &mail_parser::MessagePart<'_>) -> Vec<u8> {
    let base64 = part.content_transfer_encoding().is_some_and(|e| e.trim().eq_ignore_ascii_case("base64"));
    if part.is_encoding_problem && base64 {
        use base64::Engine;
        let mut clean: Vec<u8> = part.contents().iter().copied().filter(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/').collect();
        clean.truncate(clean.len() / 4 * 4);
        if let Ok(bytes) = base64::engine::general_purpose::STANDARD_NO_PAD.decode(&clean) {
            return bytes;
        }
    }
    part.contents().to_vec()
}

fn extension_for(content_type: &str) -> &'static str {
    match content_type {
        "message/rfc822" => ".eml",
        "image/png" => ".png",
        "image/jpeg" => ".jpg",
        "image/gif" => ".gif",
        "application/pdf" => ".pdf",
        "text/plain" => ".txt",
        "text/html" => ".html",
        "application/ms-tnef" => ".dat",
        _ => ".bin",
    }
}

/// Why an automatic reply must not answer this message (RFC 3834 and what mail software does
/// in practice), or None for mail a person wrote.
fn automatic(m: &Message<'_>, from: Option<&Mailbox>) -> Option<String> {
    let raw = |name: &str| m.header_raw(name).map(|v| v.trim().to_ascii_lowercase());
    if let Some(v) = raw("Auto-Submitted").filter(|v| !v.is_empty() && !v.starts_with("no")) {
        return Some(format!("Auto-Submitted: {v}"));
    }
    if let Some(v) = raw("Precedence").filter(|v| ["bulk", "junk", "list"].contains(&v.as_str())) {
        return Some(format!("Precedence: {v}"));
    }
    if raw("List-Id").is_some() {
        return Some("a mailing list (List-Id)".into());
    }
    if raw("List-Unsubscribe").is_some() {
        return Some("a mailing (List-Unsubscribe)".into());
    }
    if raw("X-Autoreply").is_some() || raw("X-Autorespond").is_some() {
        return Some("an auto-reply (X-Autoreply)".into());
    }
    if let Some(v) = raw("Return-Path") {
        if v.trim_matches(['<', '>', ' ']).is_empty() {
            return Some("an empty Return-Path (a delivery report)".into());
        }
    }
    if m.content_type().is_some_and(|c| c.ctype().eq_ignore_ascii_case("multipart") && c.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report")))
    {
        return Some("a report (multipart/report)".into());
    }
    if let Some(f) = from {
        let local = f.address.split('@').next().unwrap_or("").replace(['-', '_', '.'], "");
        if ["mailerdaemon", "postmaster", "noreply", "donotreply", "noreplies", "bounce", "bounces"].contains(&local.as_str()) {
            return Some(format!("sent by {}", f.address));
        }
    }
    None
}

/// A delivery failure report: a multipart/report of delivery-status, or a daemon's
/// "Undelivered" mail, with the bounced message's id from the quoted original.
fn bounce(m: &Message<'_>, from: Option<&Mailbox>, subject: &str) -> Option<Bounce> {
    let is_report = m.content_type().is_some_and(|c| {
        c.ctype().eq_ignore_ascii_case("multipart")
            && c.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report"))
            && c.attribute("report-type").is_none_or(|t| t.eq_ignore_ascii_case("delivery-status"))
    });
    let daemon = from.is_some_and(|f| {
        let local = f.address.split('@').next().unwrap_or("").to_ascii_lowercase();
        local == "mailer-daemon" || local == "postmaster"
    });
    let s = subject.to_ascii_lowercase();
    let failure_subject =
        ["undeliver", "delivery status", "delivery failure", "returned mail", "failure notice", "mail delivery failed"].iter().any(|w| s.contains(w));
    if !(is_report || daemon && failure_subject) {
        return None;
    }
    let mut original = None;
    let mut recipient = None;
    let mut status = None;
    for part in &m.parts {
        if let Some(inner) = part.message() {
            if original.is_none() {
                original = inner.message_id().map(clean_id);
            }
            continue;
        }
        let Some(text) = part.text_contents() else { continue };
        for line in text.lines() {
            let l = line.trim();
            let lower = l.to_ascii_lowercase();
            if lower.starts_with("final-recipient:") || (recipient.is_none() && lower.starts_with("original-recipient:")) {
                recipient = l.split(';').nth(1).map(|s| s.trim().to_ascii_lowercase());
            } else if lower.starts_with("diagnostic-code:") || (status.is_none() && lower.starts_with("status:")) {
                status = Some(l.split_once(':').map(|(_, v)| v.trim().to_string()).unwrap_or_default());
            } else if original.is_none() && lower.starts_with("message-id:") {
                original = l.split_once(':').map(|(_, v)| clean_id(v));
            }
        }
    }
    Some(Bounce {
        original_message_id: original.filter(|s| !s.is_empty()),
        recipient,
        reason: status.unwrap_or_else(|| if subject.is_empty() { "delivery failed".into() } else { subject.to_string() }),
    })
}
