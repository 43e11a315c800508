//! Keyword alerts (PRODUCT A3): admin-defined words and phrases found in incoming customer
//! messages. Case-insensitive; whole words where the script separates words with spaces
//! ("asap" matches "ASAP!" but not "wasapi"); substrings for Korean, Chinese and Japanese,
//! where a word runs into its particles ("서버 다운이에요"), with spacing ignored because
//! Korean spacing varies ("서버다운"). A trailing `*` matches any word ending ("awari*").

use crate::{Error, Problem, Result};

/// The defaults: English, Korean and Polish words that usually need a person now.
pub const DEFAULT_KEYWORDS: &[&str] = &[
    "asap",
    "urgent",
    "urgently",
    "angry",
    "furious",
    "refund",
    "chargeback",
    "lawyer",
    "legal action",
    "cancel",
    "unacceptable",
    "server down",
    "network outage",
    "security breach",
    "data loss",
    "서버 다운",
    "네트워크 장애",
    "보안 침해",
    "급해요",
    "긴급",
    "환불",
    "해지",
    "pilne",
    "pilnie",
    "awaria",
    "awarii",
    "reklamacja",
    "reklamację",
    "zwrot pieniędzy",
    "prawnik",
];

pub const MAX_TERMS: usize = 500;
pub const MAX_TERM_CHARS: usize = 100;

#[derive(Debug, Clone)]
struct Term {
    original: String,
    needle: String,
    /// Written in a script without spaces between words: matched as a substring.
    compact: bool,
    /// Ends in `*`: the word may go on.
    prefix: bool,
}

/// A compiled keyword list.
#[derive(Debug, Clone, Default)]
pub struct KeywordMatcher {
    terms: Vec<Term>,
}

fn is_compact_script(c: char) -> bool {
    matches!(c,
        '\u{1100}'..='\u{11FF}' | '\u{3130}'..='\u{318F}' | '\u{AC00}'..='\u{D7AF}'   // Hangul
        | '\u{3040}'..='\u{30FF}'                                                    // kana
        | '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}') // CJK ideographs
}

/// Lower case, with every run of whitespace made one space.
fn normalise(s: &str) -> String {
    s.to_lowercase().split_whitespace().collect::<Vec<_>>().join(" ")
}

fn without_spaces(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Checks an admin's keyword list: trimmed, non-empty, not too long, no repeats.
pub fn validate(terms: &[String]) -> Result<Vec<String>> {
    if terms.len() > MAX_TERMS {
        return Err(Error::invalid("keywords", Problem::TooManyKeywords { max: MAX_TERMS, n: terms.len() }));
    }
    let mut out: Vec<String> = Vec::with_capacity(terms.len());
    for raw in terms {
        let t = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        if t.is_empty() {
            continue;
        }
        if t.trim_end_matches('*').is_empty() {
            return Err(Error::invalid("keywords", Problem::KeywordMatchesAll { keyword: t.to_string() }));
        }
        if t.chars().count() > MAX_TERM_CHARS {
            return Err(Error::invalid("keywords", Problem::KeywordTooLong { keyword: t.to_string(), max: MAX_TERM_CHARS }));
        }
        if out.iter().any(|o| o.to_lowercase() == t.to_lowercase()) {
            return Err(Error::invalid("keywords", Problem::KeywordTwice { keyword: t.to_string() }));
        }
        out.push(t);
    }
    Ok(out)
}

impl KeywordMatcher {
    pub fn new(terms: &[String]) -> KeywordMatcher {
        let terms = terms
            .iter()
            .filter_map(|original| {
                let prefix = original.ends_with('*');
                let needle = normalise(original.trim_end_matches('*'));
                if needle.is_empty() {
                    return None;
                }
                let compact = needle.chars().any(is_compact_script);
                let needle = if compact { without_spaces(&needle) } else { needle };
                Some(Term { original: original.clone(), needle, compact, prefix })
            })
            .collect();
        KeywordMatcher { terms }
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The terms found in `text`, in the order of the list.
    pub fn find(&self, text: &str) -> Vec<String> {
        if self.terms.is_empty() {
            return vec![];
        }
        let spaced = normalise(text);
        let compact = if self.terms.iter().any(|t| t.compact) { without_spaces(&spaced) } else { String::new() };
        self.terms
            .iter()
            .filter(|t| if t.compact { compact.contains(&t.needle) } else { contains_word(&spaced, &t.needle, t.prefix) })
            .map(|t| t.original.clone())
            .collect()
    }
}

/// Whether `needle` occurs in `hay` with no letter or digit right before it, nor right after
/// it (unless it is a prefix).
fn contains_word(hay: &str, needle: &str, prefix: bool) -> bool {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let mut from = 0;
    while let Some(pos) = hay[from..].find(needle) {
        let start = from + pos;
        let end = start + needle.len();
        let before_ok = hay[..start].chars().next_back().is_none_or(|c| !is_word(c));
        let after_ok = prefix || hay[end..].chars().next().is_none_or(|c| !is_word(c));
        if before_ok && after_ok {
            return true;
        }
        from = start + hay[start..].chars().next().map_or(1, char::len_utf8);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(terms: &[&str]) -> KeywordMatcher {
        KeywordMatcher::new(&terms.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn english_words_match_whole_and_case_insensitively() {
        let k = m(&["asap", "server down"]);
        assert_eq!(k.find("Please fix ASAP!"), vec!["asap"]);
        assert_eq!(k.find("asap"), vec!["asap"]);
        assert!(k.find("the wasapi driver").is_empty());
        assert!(k.find("asaps").is_empty());
        assert_eq!(k.find("Our SERVER\n  down since 9"), vec!["server down"]);
        assert!(k.find("the server downloads").is_empty());
    }

    #[test]
    fn korean_matches_inside_words_and_ignores_spacing() {
        let k = m(&["서버 다운", "급해요"]);
        assert_eq!(k.find("지금 서버 다운이에요"), vec!["서버 다운"]);
        assert_eq!(k.find("서버다운 됐어요. 정말 급해요!!"), vec!["서버 다운", "급해요"]);
        assert!(k.find("서버 점검 안내").is_empty());
    }

    #[test]
    fn polish_letters_fold_case_and_prefixes_extend() {
        let k = m(&["pilne", "reklamację", "awari*"]);
        assert_eq!(k.find("PILNE: proszę o kontakt"), vec!["pilne"]);
        assert_eq!(k.find("Składam REKLAMACJĘ."), vec!["reklamację"]);
        assert_eq!(k.find("po awarii sieci"), vec!["awari*"]);
        assert!(k.find("niepilne").is_empty());
    }

    #[test]
    fn the_list_is_checked() {
        assert!(validate(&["*".into()]).is_err());
        assert!(validate(&["ASAP".into(), "asap".into()]).is_err());
        assert!(validate(&["x".repeat(101)]).is_err());
        assert_eq!(validate(&["  legal   action ".into(), "".into()]).unwrap(), vec!["legal action"]);
    }
}
