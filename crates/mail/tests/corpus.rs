//! The parser over a corpus of hand-made messages that mail software sends in the wild:
//! legacy charsets, broken MIME, uuencode, TNEF, nested messages, bounces, auto-replies, deep
//! HTML. None may panic, and each must say who wrote it, about what, and what it carries.

use casebook_mail::{parse, ParsedMail};

/// The package's folder as cargo gives it to the running test: a test binary built from a
/// clone elsewhere that shares the build folder (`.ci/run`) has another path compiled in.
fn manifest_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR").map(std::path::PathBuf::from).unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into())
}

fn corpus(name: &str) -> ParsedMail {
    let path = manifest_dir().join("tests/corpus").join(name);
    parse(&std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

fn from(m: &ParsedMail) -> (&str, Option<&str>) {
    let f = m.from.as_ref().expect("a From");
    (f.address.as_str(), f.name.as_deref())
}

#[test]
fn a_plain_mail_has_its_people_subject_and_text() {
    let m = corpus("plain.eml");
    assert_eq!(from(&m), ("anna.nowak@example.pl", Some("Anna Nowak")));
    assert_eq!(m.subject, "Printer on floor 3 is jammed");
    assert_eq!(m.message_id.as_deref(), Some("plain-1@example.pl"));
    assert!(m.body.starts_with("Hello,\nthe printer on floor 3 jams"), "{:?}", m.body);
    assert_eq!(m.cc.iter().map(|c| c.address.as_str()).collect::<Vec<_>>(), ["boss@example.pl", "it@example.pl"]);
    assert!(m.notes.is_empty() && m.automatic.is_none() && m.bounce.is_none());
    assert!(m.date.is_some());
}

#[test]
fn html_only_mail_becomes_text_without_its_script() {
    let m = corpus("html-only.eml");
    assert!(m.has_html);
    assert!(m.body.contains("Our invoice total is wrong"), "{:?}", m.body);
    assert!(!m.body.contains("alert") && !m.body.contains("steal"));
}

#[test]
fn legacy_charsets_come_out_as_the_sender_wrote() {
    let cases = [
        ("iso-8859-2.eml", "Drukarka nie działa", "Zażółć gęślą jaźń", "Paweł Kowalski"),
        ("koi8-r.eml", "Почта", "не работает почта", "Ivan"),
        ("gb18030-raw-header.eml", "打印机坏了", "请帮忙修理", "Li"),
        ("shift-jis.eml", "プリンター", "助けてください", "Taro"),
        ("iso-2022-jp.eml", "請求書", "間違っています", "Hanako"),
        ("euc-kr.eml", "프린터 고장", "프린터가 고장났습니다", "김민수"),
    ];
    for (file, subject, body, name) in cases {
        let m = corpus(file);
        assert!(m.subject.contains(subject), "{file}: subject {:?}", m.subject);
        assert!(m.body.contains(body), "{file}: body {:?}", m.body);
        assert_eq!(m.from.as_ref().and_then(|f| f.name.as_deref()), Some(name), "{file}");
        assert!(!m.body.contains('\u{FFFD}') && !m.subject.contains('\u{FFFD}'), "{file}");
    }
}

#[test]
fn missing_or_broken_headers_are_noted_not_fatal() {
    let m = corpus("no-from-no-id.eml");
    assert!(m.from.is_none() && m.message_id.is_none());
    assert_eq!(m.subject, "who am I");
    assert!(m.body.contains("no From and no Message-ID"));
    assert!(m.notes.iter().any(|n| n.contains("Message-ID")) && m.notes.iter().any(|n| n.contains("From")));
    let m = corpus("broken-from.eml");
    assert!(m.from.is_none());
    assert!(m.notes.iter().any(|n| n.contains("this is not an address")), "{:?}", m.notes);
}

#[test]
fn truncated_mime_keeps_what_was_there() {
    let m = corpus("truncated-mime.eml");
    assert!(m.body.contains("The part before the cut."));
    assert_eq!(m.attachments.len(), 1);
    assert_eq!(m.attachments[0].filename, "report.pdf");
    assert!(m.attachments[0].bytes.starts_with(b"%PDF-1.4"));
}

#[test]
fn nested_messages_uuencode_and_tnef_are_attachments() {
    let m = corpus("nested-rfc822.eml");
    assert!(m.body.contains("See the forwarded mail."));
    let eml = m.attachments.iter().find(|a| a.content_type == "message/rfc822").expect("the forwarded mail");
    assert_eq!(eml.filename, "My order never arrived.eml");
    assert!(parse(&eml.bytes).body.contains("Where is my order?"));

    let m = corpus("uuencode.eml");
    assert!(m.body.contains("Here is the file."));
    let uu = m.attachments.iter().find(|a| a.filename == "hello.txt").expect("the uuencoded file");
    assert_eq!(uu.bytes, b"hi\n");

    let m = corpus("tnef.eml");
    let tnef = m.attachments.iter().find(|a| a.filename == "winmail.dat").expect("winmail.dat");
    assert_eq!(tnef.content_type, "application/ms-tnef");
    assert!(tnef.bytes.starts_with(&[0x78, 0x9f, 0x3e, 0x22]), "the TNEF signature");
}

#[test]
fn deeply_nested_html_does_not_overflow() {
    let m = corpus("deep-html.eml");
    assert!(m.body.contains("deep text") || !m.notes.is_empty(), "{:?}", &m.body[..m.body.len().min(200)]);
}

#[test]
fn bounces_and_auto_replies_are_told_apart() {
    let m = corpus("bounce.eml");
    let b = m.bounce.expect("a bounce");
    assert_eq!(b.original_message_id.as_deref(), Some("casebook-reply-7@casebook.test"));
    assert_eq!(b.recipient.as_deref(), Some("gone@example.com"));
    assert!(b.reason.contains("550"), "{}", b.reason);
    assert!(m.automatic.is_some());

    let m = corpus("out-of-office.eml");
    assert!(m.bounce.is_none());
    assert_eq!(m.automatic.as_deref(), Some("Auto-Submitted: auto-replied"));
    assert!(corpus("plain.eml").automatic.is_none());
}

#[test]
fn inline_images_keep_their_content_id() {
    let m = corpus("inline-cid.eml");
    let shot = m.attachments.iter().find(|a| a.filename == "shot.png").expect("the inline image");
    assert_eq!(shot.content_id.as_deref(), Some("shot@gina"));
    assert!(shot.bytes.starts_with(b"\x89PNG"));
    assert!(m.body.contains("See the error:"));
}

#[test]
fn a_reply_has_its_thread_headers_and_its_quote_folded() {
    let m = corpus("reply.eml");
    assert_eq!(m.in_reply_to, ["reply-a@casebook.test"]);
    assert_eq!(m.references, ["plain-1@example.pl", "reply-a@casebook.test"]);
    assert_eq!(m.body, "It works now, thanks!");
    assert!(m.quoted.as_deref().unwrap().contains("> Please try turning it off and on."));
}

#[test]
fn the_same_message_through_two_mailboxes_has_one_fingerprint() {
    let raw = std::fs::read(manifest_dir().join("tests/corpus/plain.eml")).unwrap();
    let mut other = b"Delivered-To: sales@casebook.test\r\nReceived: from mx2 by here; Mon, 2 Mar 2026 09:16:00 +0100\r\n".to_vec();
    other.extend_from_slice(&raw);
    let (a, b) = (parse(&raw), parse(&other));
    assert_eq!(a.fingerprint, b.fingerprint);
    assert_eq!(b.delivered_to, ["sales@casebook.test"]);
    let changed = String::from_utf8(raw.clone()).unwrap().replace("jams on every page", "is fine now");
    assert_ne!(parse(changed.as_bytes()).fingerprint, a.fingerprint, "a different message reusing the id");
}

#[test]
fn a_thirty_megabyte_attachment_is_kept_whole() {
    let payload: Vec<u8> = (0..30 * 1024 * 1024).map(|i| (i * 7 % 251) as u8).collect();
    let mut b64 = String::new();
    use std::fmt::Write;
    for chunk in base64_lines(&payload) {
        writeln!(b64, "{chunk}\r").unwrap();
    }
    let raw = format!(
        "From: big@example.com\r\nSubject: big\r\nMessage-ID: <big@x>\r\nContent-Type: multipart/mixed; boundary=Z\r\n\r\n--Z\r\nContent-Type: text/plain\r\n\r\nsee file\r\n--Z\r\nContent-Type: application/octet-stream; name=big.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n{b64}--Z--\r\n"
    );
    let m = parse(raw.as_bytes());
    assert_eq!(m.attachments.len(), 1);
    assert_eq!(m.attachments[0].bytes.len(), payload.len());
    assert!(m.attachments[0].bytes == payload);
}

fn base64_lines(bytes: &[u8]) -> Vec<String> {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len() * 4 / 3 + 4);
    for c in bytes.chunks(3) {
        let n = (c[0] as u32) << 16 | (*c.get(1).unwrap_or(&0) as u32) << 8 | *c.get(2).unwrap_or(&0) as u32;
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if c.len() > 1 { T[(n >> 6) as usize & 63] as char } else { '=' });
        out.push(if c.len() > 2 { T[n as usize & 63] as char } else { '=' });
    }
    out.as_bytes().chunks(76).map(|l| String::from_utf8(l.to_vec()).unwrap()).collect()
}

#[test]
fn arbitrary_bytes_never_panic() {
    use std::collections::hash_map::DefaultHasher;
    use std::hash::{Hash, Hasher};
    let seeds: Vec<Vec<u8>> =
        std::fs::read_dir(manifest_dir().join("tests/corpus")).unwrap().map(|e| std::fs::read(e.unwrap().path()).unwrap()).collect();
    // Cut and flip bytes of every corpus message, deterministically.
    for (i, seed) in seeds.iter().enumerate() {
        for round in 0..if seed.len() > 100_000 { 2 } else { 60u64 } {
            let mut h = DefaultHasher::new();
            (i, round).hash(&mut h);
            let r = h.finish();
            let mut b = seed.clone();
            let cut = (r as usize) % (b.len().max(1));
            if round % 3 == 0 {
                b.truncate(cut);
            } else if let Some(x) = b.get_mut(cut) {
                *x ^= (r >> 8) as u8 | 1;
            }
            let m = parse(&b);
            assert!(!m.body.is_empty());
        }
    }
    for junk in [&b""[..], b"\0\0\0", b"\r\n\r\n", b"From:\r\n\r\n", b"Content-Type: multipart/mixed; boundary=\r\n\r\n--"] {
        let m = parse(junk);
        assert!(!m.body.is_empty());
    }
}

#[test]
fn html_mail_is_shown_sanitised_with_its_inline_images() {
    let raw = std::fs::read(manifest_dir().join("tests/corpus/inline-cid.eml")).unwrap();
    let safe = casebook_mail::html::of_message(&raw).expect("it has HTML");
    assert!(safe.html.contains("src=\"data:image/png;base64,iVBORw0KGgo"), "{}", safe.html);
    assert!(!safe.html.contains("cid:"));
    let raw = std::fs::read(manifest_dir().join("tests/corpus/html-only.eml")).unwrap();
    let safe = casebook_mail::html::of_message(&raw).unwrap();
    assert!(safe.html.contains("<b>invoice</b>") && !safe.html.contains("script") && !safe.html.contains("onclick"));
    assert_eq!(safe.blocked_images, 1, "the tracking pixel");
    let hostile = b"From: a@b.c\r\nContent-Type: text/html\r\n\r\n<a href=\"data:text/html,<script>alert(1)</script>\">x</a><img src=\"data:image/svg+xml,<svg onload=alert(1)>\">";
    let safe = casebook_mail::html::of_message(hostile).unwrap();
    assert!(!safe.html.contains("data:"), "{}", safe.html);
    assert!(casebook_mail::html::of_message(b"From: a@b.c\r\n\r\nplain").is_none());
}
