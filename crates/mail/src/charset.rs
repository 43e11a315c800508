//! Bytes in an unknown charset: 8-bit headers without an encoded-word, bodies that declare
//! no charset. chardetng (Firefox's detector) guesses from the bytes themselves.

/// Valid UTF-8 as it is; anything else decoded in the charset chardetng finds likeliest.
pub fn decode_guessing(bytes: &[u8]) -> String {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return s.to_string();
    }
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(bytes, true);
    let encoding = detector.guess(None, true);
    let (text, _, _) = encoding.decode(bytes);
    text.into_owned()
}
