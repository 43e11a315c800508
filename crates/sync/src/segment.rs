//! Segment files: an immutable batch of events one device publishes. JSON lines, so a person
//! can read one: a header (workspace, device, number, what the writer had ingested from each
//! other device), one event per line, and a footer with the count and the SHA-256 of every
//! byte before it. A reader treats a file without a whole, matching footer as not there yet
//! (Syncthing may deliver it in pieces); it is written under a temporary name, fsynced and
//! renamed, so on the writer's own disk it is whole or absent.

use casebook_core::{Error, Result};
use casebook_events::StoredEvent;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The segment format this build writes and reads.
pub const SEGMENT_FORMAT: i64 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub segment: i64,
    pub workspace: String,
    pub device: String,
    pub number: i64,
    /// For every other device, the last of its segments the writer had ingested: this
    /// segment's events may depend on those, so a reader ingests those first.
    pub deps: BTreeMap<String, i64>,
    pub count: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Footer {
    end: usize,
    sha256: String,
}

#[derive(Debug, Clone)]
pub struct Segment {
    pub header: Header,
    pub events: Vec<StoredEvent>,
    /// The SHA-256 in its footer: the segment's identity.
    pub sha256: String,
}

/// What reading a segment file found.
#[derive(Debug)]
pub enum Read {
    Whole(Segment),
    /// Not (yet) whole: cut short, or its footer does not match; why.
    Incomplete(String),
    /// Whole, but from a newer Casebook.
    Newer(i64),
}

/// The file name of segment `number`: sorted by name is sorted by number.
pub fn file_name(number: i64) -> String {
    format!("{number:010}.seg")
}

/// The segment number a file name stands for, if it is a segment's.
pub fn number_of(name: &str) -> Option<i64> {
    name.strip_suffix(".seg").filter(|n| n.len() == 10).and_then(|n| n.parse().ok())
}

pub fn encode(header: &Header, events: &[StoredEvent]) -> Result<(Vec<u8>, String)> {
    let mut body = Vec::new();
    serde_json::to_writer(&mut body, header)?;
    body.push(b'\n');
    for e in events {
        serde_json::to_writer(&mut body, e)?;
        body.push(b'\n');
    }
    let sha = hex::encode(Sha256::digest(&body));
    serde_json::to_writer(&mut body, &Footer { end: events.len(), sha256: sha.clone() })?;
    body.push(b'\n');
    Ok((body, sha))
}

pub fn decode(bytes: &[u8]) -> Read {
    let Some(body_end) = bytes.strip_suffix(b"\n").and_then(|b| b.iter().rposition(|&c| c == b'\n')).map(|i| i + 1) else {
        return Read::Incomplete("it has no footer line".into());
    };
    let (body, footer) = bytes.split_at(body_end);
    let Ok(footer) = serde_json::from_slice::<Footer>(footer) else { return Read::Incomplete("its last line is not a footer".into()) };
    let sha = hex::encode(Sha256::digest(body));
    if sha != footer.sha256 {
        return Read::Incomplete("its content does not match its footer's hash".into());
    }
    let mut lines = body.split(|&c| c == b'\n').filter(|l| !l.is_empty());
    let header: Header = match lines.next().map(serde_json::from_slice::<Header>) {
        Some(Ok(h)) => h,
        // A later format may change the header; say which when it names one.
        _ => {
            let format = lines_first_value(body).unwrap_or(0);
            return if format > SEGMENT_FORMAT { Read::Newer(format) } else { Read::Incomplete("its header cannot be read".into()) };
        }
    };
    if header.segment > SEGMENT_FORMAT {
        return Read::Newer(header.segment);
    }
    let mut events = Vec::with_capacity(header.count);
    for line in lines {
        match serde_json::from_slice::<StoredEvent>(line) {
            Ok(e) => events.push(e),
            Err(e) => return Read::Incomplete(format!("an event line cannot be read ({e})")),
        }
    }
    if events.len() != header.count || events.len() != footer.end {
        return Read::Incomplete(format!("it holds {} events but says {}", events.len(), header.count));
    }
    Read::Whole(Segment { header, events, sha256: sha })
}

fn lines_first_value(body: &[u8]) -> Option<i64> {
    let first = body.split(|&c| c == b'\n').next()?;
    serde_json::from_slice::<serde_json::Value>(first).ok()?.get("segment")?.as_i64()
}

/// The event count a segment's header announces (its first line only: cheap on a big file).
pub fn header_count(path: &Path) -> Option<usize> {
    use std::io::BufRead;
    let mut line = String::new();
    std::io::BufReader::new(std::fs::File::open(path).ok()?).read_line(&mut line).ok()?;
    serde_json::from_str::<Header>(&line).ok().map(|h| h.count)
}

pub fn read(path: &Path) -> Result<Read> {
    Ok(decode(&std::fs::read(path)?))
}

/// Writes `bytes` at `path` so that it is whole or absent: a temporary name in the same
/// folder (one Syncthing and readers skip), fsync, rename, fsync the folder.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().ok_or_else(|| Error::Conflict(format!("{} has no folder", path.display())))?;
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // Syncthing never syncs names starting with `~syncthing~` … but it does sync dotfiles; a
    // `.tmp` that a crash leaves behind is ignored by readers (it is not a `.seg`).
    let tmp: PathBuf = dir.join(format!(".{name}.tmp"));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: i64) -> StoredEvent {
        StoredEvent {
            id: format!("e{n}"),
            ticket_id: None,
            actor: "system".into(),
            kind: "settings.changed".into(),
            payload: format!("{{\"key\":\"k\",\"value\":{n}}}"),
            at: n,
            device: "d1".into(),
            format: 1,
            hlc: n << 16,
        }
    }

    #[test]
    fn a_segment_reads_back_whole_and_a_cut_or_altered_one_is_not_whole() {
        let header = Header { segment: 1, workspace: "w".into(), device: "d1".into(), number: 1, deps: BTreeMap::new(), count: 3 };
        let events: Vec<_> = (1..=3).map(event).collect();
        let (bytes, sha) = encode(&header, &events).unwrap();
        match decode(&bytes) {
            Read::Whole(s) => {
                assert_eq!(s.events, events);
                assert_eq!(s.sha256, sha);
                assert_eq!(s.header, header);
            }
            other => panic!("{other:?}"),
        }
        for cut in [0, 1, bytes.len() / 2, bytes.len() - 1] {
            assert!(matches!(decode(&bytes[..cut]), Read::Incomplete(_)), "cut at {cut}");
        }
        let mut altered = bytes.clone();
        altered[20] ^= 1;
        assert!(matches!(decode(&altered), Read::Incomplete(_)));
        let newer = Header { segment: 2, ..header };
        let (bytes, _) = encode(&newer, &events).unwrap();
        assert!(matches!(decode(&bytes), Read::Newer(2)));
        assert_eq!(number_of(&file_name(42)), Some(42));
        assert_eq!(number_of(".0000000042.seg.tmp"), None);
    }
}
