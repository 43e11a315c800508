//! The files mail arrives in when it is imported: one .eml, an mbox (mboxrd or mboxo), or a
//! Maildir folder. Each message comes out as its raw bytes, for the same path fetched mail takes.

use std::path::{Path, PathBuf};

/// One message of a source, with where it was found ("inbox.mbox #12") for the mail log.
pub struct RawMessage {
    pub origin: String,
    pub bytes: Vec<u8>,
}

/// Reads every message of `path`: a Maildir (a folder with cur/ and new/), a folder of .eml
/// files, an mbox (a file whose first line starts "From "), or one .eml.
pub fn read(path: &Path) -> std::io::Result<Vec<RawMessage>> {
    if path.is_dir() {
        let mut files: Vec<PathBuf> = Vec::new();
        let sub = ["cur", "new"].iter().map(|s| path.join(s)).filter(|p| p.is_dir()).collect::<Vec<_>>();
        let dirs = if sub.is_empty() { vec![path.to_path_buf()] } else { sub };
        for d in dirs {
            for e in std::fs::read_dir(&d)? {
                let p = e?.path();
                if p.is_file() && !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')) {
                    files.push(p);
                }
            }
        }
        files.sort();
        return files.into_iter().map(|p| Ok(RawMessage { origin: p.display().to_string(), bytes: std::fs::read(&p)? })).collect();
    }
    let bytes = std::fs::read(path)?;
    let name = path.display().to_string();
    if bytes.starts_with(b"From ") {
        return Ok(split_mbox(&bytes).into_iter().enumerate().map(|(i, b)| RawMessage { origin: format!("{name} #{}", i + 1), bytes: b }).collect());
    }
    Ok(vec![RawMessage { origin: name, bytes }])
}

/// Splits an mbox at its "From " separator lines, undoing the ">From " quoting of mboxrd.
pub fn split_mbox(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut current: Option<Vec<u8>> = None;
    let mut prev_blank = true;
    for line in bytes.split_inclusive(|b| *b == b'\n') {
        if line.starts_with(b"From ") && prev_blank {
            if let Some(m) = current.take() {
                out.push(trim_separator(m));
            }
            current = Some(Vec::new());
            prev_blank = false;
            continue;
        }
        let body = current.get_or_insert_with(Vec::new);
        let unquoted = {
            let n = line.iter().take_while(|b| **b == b'>').count();
            if n > 0 && line[n..].starts_with(b"From ") {
                &line[1..]
            } else {
                line
            }
        };
        body.extend_from_slice(unquoted);
        prev_blank = line == b"\n" || line == b"\r\n";
    }
    if let Some(m) = current {
        out.push(trim_separator(m));
    }
    out.into_iter().filter(|m| !m.iter().all(u8::is_ascii_whitespace)).collect()
}

/// The blank line an mbox writes before the next separator is not part of the message.
fn trim_separator(mut m: Vec<u8>) -> Vec<u8> {
    if m.ends_with(b"\r\n") {
        m.truncate(m.len() - 2);
    } else if m.ends_with(b"\n") {
        m.truncate(m.len() - 1);
    }
    m
}

#[cfg(test)]
mod tests {
    #[test]
    fn mbox_splits_and_unquotes() {
        let mbox =
            b"From a@x Mon Jan  1 00:00:00 2026\nSubject: one\n\nhello\n>From the start\n\nFrom b@x Mon Jan  1 00:00:00 2026\nSubject: two\n\nbye\n";
        let m = super::split_mbox(mbox);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0], b"Subject: one\n\nhello\nFrom the start\n".to_vec());
        assert_eq!(m[1], b"Subject: two\n\nbye".to_vec());
    }
}
