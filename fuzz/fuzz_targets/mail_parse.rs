//! The mail parser's entry point on any bytes: it must never panic, and what it gives must be
//! usable (a body, a fingerprint); the quote splitter, the HTML sanitiser and the mbox
//! splitter run on what it found.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let m = casebook_mail::parse(data);
    assert!(!m.body.is_empty());
    assert_eq!(m.fingerprint.len(), 64);
    let _ = casebook_mail::quote::split(&m.body);
    let _ = casebook_mail::html::of_message(data);
    let _ = casebook_mail::source::split_mbox(data);
});
