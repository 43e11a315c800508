//! Checks on what people type, shared by every face: the error says what is wrong in words.

use crate::{Error, Problem, Result};

/// The largest message or description accepted (PRODUCT: a body over 1 MiB is refused).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
pub const MAX_SUBJECT_CHARS: usize = 500;

pub fn subject(s: &str) -> Result<String> {
    let s = s.trim();
    if s.is_empty() {
        return Err(Error::invalid("subject", Problem::SubjectEmpty));
    }
    if s.chars().count() > MAX_SUBJECT_CHARS {
        return Err(Error::invalid("subject", Problem::SubjectTooLong { max: MAX_SUBJECT_CHARS }));
    }
    if s.chars().any(|c| c.is_control()) {
        return Err(Error::invalid("subject", Problem::SubjectOneLine));
    }
    Ok(s.to_string())
}

pub fn body(field: &'static str, s: &str, allow_empty: bool) -> Result<String> {
    if s.len() > MAX_BODY_BYTES {
        return Err(Error::invalid(field, Problem::TextTooLarge { kib: s.len() / 1024 }));
    }
    if !allow_empty && s.trim().is_empty() {
        return Err(Error::invalid(field, Problem::MessageEmpty));
    }
    if s.contains('\0') {
        return Err(Error::invalid(field, Problem::TextNul));
    }
    Ok(s.trim_end().to_string())
}

/// A plausible address: one `@`, something before it, a dotted domain after, no spaces.
pub fn email(field: &'static str, s: &str) -> Result<String> {
    let s = s.trim();
    if s.is_empty() {
        return Err(Error::invalid(field, Problem::EmailNeeded));
    }
    let bad = || Error::invalid(field, Problem::NotAnEmail { text: s.to_string() });
    let (local, domain) = s.split_once('@').ok_or_else(bad)?;
    let ok = !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && s.len() <= 254
        && !s.chars().any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\"\\".contains(c));
    if ok {
        Ok(s.to_string())
    } else {
        Err(bad())
    }
}

/// A person's, team's or type's name: trimmed, not empty, one line.
pub fn name(field: &'static str, s: &str) -> Result<String> {
    let s = s.trim();
    if s.is_empty() {
        return Err(Error::invalid(field, Problem::NameEmpty { field: field.to_string() }));
    }
    if s.chars().count() > 200 || s.chars().any(|c| c.is_control()) {
        return Err(Error::invalid(field, Problem::NameTooLong { field: field.to_string() }));
    }
    Ok(s.to_string())
}

/// Tags are lower-case words: letters, digits, `-`, `_`, `/`, `.` (any script).
pub fn tag(s: &str) -> Result<String> {
    let t = s.trim().to_lowercase();
    if t.is_empty() || t.chars().count() > 64 || !t.chars().all(|c| c.is_alphanumeric() || "-_/.".contains(c)) {
        return Err(Error::invalid("tags", Problem::NotATag { text: s.to_string() }));
    }
    Ok(t)
}

pub fn tags(list: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for t in list {
        let t = tag(t)?;
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for ok in ["a@b.co", "kim.jiho@acme.kr", "x+tag@mail.example.pl"] {
            assert!(email("email", ok).is_ok(), "{ok}");
        }
        for bad in ["", "plain", "@b.co", "a@", "a@b", "a b@c.de", "a@@b.de", "a@.de", "a@b..de", "<a@b.de>"] {
            assert!(email("email", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn subjects_and_bodies() {
        assert!(subject("   ").is_err());
        assert_eq!(subject("  VPN drops ").unwrap(), "VPN drops");
        assert!(body("body", &"x".repeat(MAX_BODY_BYTES + 1), false).is_err());
        assert!(body("body", " ", false).is_err());
        assert!(tag("two words").is_err());
        assert_eq!(tags(&["VPN".into(), "vpn".into(), "서버".into()]).unwrap(), vec!["vpn", "서버"]);
    }
}
