//! Casebook's email channel, without the database: what a message says (`parse`, any charset,
//! broken MIME, bounces and automatic mail told apart), safe HTML (`html`), the files mail
//! comes in (`source`: .eml, .mbox, Maildir), the mail we send (`compose`) and the
//! connections (`imap`, `smtp`). The workspace decides what a message means for its tickets.

pub mod charset;
pub mod html;
pub mod imap;
pub mod parse;
pub mod quote;
pub mod smtp;
pub mod source;
pub mod tls;
mod uuencode;

pub use parse::{parse, Bounce, MailAttachment, Mailbox, ParsedMail};

/// A file name from a message made safe to store and show: no path, no control characters.
pub fn safe_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base.chars().filter(|c| !c.is_control()).collect::<String>().trim().trim_start_matches('.').to_string();
    cleaned.chars().take(200).collect()
}
