//! uuencoded files in a text body ("begin 644 name" … "end"), as old mail clients send them.

use crate::MailAttachment;

/// The body without its uuencoded blocks, and the files they held.
pub fn extract(body: &str) -> (String, Vec<MailAttachment>) {
    if !body.contains("begin ") {
        return (body.to_string(), vec![]);
    }
    let mut text = Vec::new();
    let mut files = Vec::new();
    let mut lines = body.lines();
    while let Some(line) = lines.next() {
        let Some(name) = begin_line(line) else {
            text.push(line);
            continue;
        };
        let mut bytes = Vec::new();
        let mut ended = false;
        for l in lines.by_ref() {
            if l.trim_end() == "end" {
                ended = true;
                break;
            }
            decode_line(l, &mut bytes);
        }
        if !ended && bytes.is_empty() {
            text.push(line);
            continue;
        }
        files.push(MailAttachment { filename: crate::safe_filename(name), content_type: "application/octet-stream".into(), content_id: None, bytes });
    }
    (text.join("\n").trim_end().to_string(), files)
}

fn begin_line(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("begin ")?;
    let (mode, name) = rest.split_once(' ')?;
    (mode.len() == 3 && mode.bytes().all(|b| (b'0'..=b'7').contains(&b)) && !name.trim().is_empty()).then(|| name.trim())
}

fn decode_line(line: &str, out: &mut Vec<u8>) {
    let b = line.as_bytes();
    let Some(&first) = b.first() else { return };
    let n = (first.wrapping_sub(b' ') & 0x3f) as usize;
    let sextet = |c: u8| c.wrapping_sub(b' ') & 0x3f;
    let data = &b[1..];
    let mut produced = 0;
    for chunk in data.chunks(4) {
        if produced >= n {
            break;
        }
        let c: Vec<u8> = (0..4).map(|i| sextet(*chunk.get(i).unwrap_or(&b' '))).collect();
        let bytes = [c[0] << 2 | c[1] >> 4, c[1] << 4 | c[2] >> 2, c[2] << 6 | c[3]];
        for byte in bytes {
            if produced < n {
                out.push(byte);
                produced += 1;
            }
        }
    }
}
