//! Words of the text that rules and alerts both read: how alike two subjects are, and how
//! many people a message says are affected. No dictionary: it works alike for English, Polish
//! and Korean.

/// Subjects are "the same request" when their keywords mostly agree (the seeds' "키워드
/// 유사도"): a Dice coefficient over keyword tokens — lower-cased words in spaced scripts,
/// and character pairs inside Hangul/CJK runs, where particles stick to words ("프린터가" and
/// "프린터" share "프린", "린터"). Reply prefixes are dropped. No dictionary, so it works alike
/// for English, Polish and Korean; numbers count as words ("Printer 1" is not "Printer 2").
pub fn subject_similarity(a: &str, b: &str) -> f64 {
    let (ta, tb) = (keyword_tokens(a), keyword_tokens(b));
    if ta.is_empty() || tb.is_empty() {
        return 0.0;
    }
    let mut rest = tb.clone();
    let mut shared = 0usize;
    for t in &ta {
        if let Some(i) = rest.iter().position(|x| x == t) {
            rest.swap_remove(i);
            shared += 1;
        }
    }
    2.0 * shared as f64 / (ta.len() + tb.len()) as f64
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x1100..=0x11FF | 0x3040..=0x30FF | 0x3130..=0x318F | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF)
}

fn keyword_tokens(s: &str) -> Vec<String> {
    let mut s = s.trim().to_lowercase();
    loop {
        let stripped =
            ["re:", "fwd:", "fw:", "aw:", "odp:", "답장:", "회신:"].iter().find_map(|p| s.strip_prefix(p).map(|r| r.trim_start().to_string()));
        match stripped {
            Some(r) => s = r,
            None => break,
        }
    }
    let mut tokens = Vec::new();
    for run in s.split(|c: char| !c.is_alphanumeric()).filter(|r| !r.is_empty()) {
        let chars: Vec<char> = run.chars().collect();
        if chars.iter().any(|c| is_cjk(*c)) && chars.len() > 1 {
            tokens.extend(chars.windows(2).map(|w| w.iter().collect::<String>()));
        } else {
            tokens.push(run.to_string());
        }
    }
    tokens
}

/// Words after a number that say it counts people ("15 users", "20명", "12 użytkowników").
const PEOPLE_WORDS: &[&str] = &[
    "users",
    "user",
    "people",
    "persons",
    "employees",
    "staff",
    "colleagues",
    "customers",
    "clients",
    "agents",
    "seats",
    "machines",
    "computers",
    "laptops",
    "명",
    "사용자",
    "직원",
    "użytkowników",
    "użytkownicy",
    "osób",
    "osoby",
    "pracowników",
    "pracownicy",
    "komputerów",
];

/// The largest number of people the text says are affected, if it says so.
pub fn affected_people(text: &str) -> Option<u32> {
    let lower = text.to_lowercase();
    let chars: Vec<(usize, char)> = lower.char_indices().collect();
    let mut best: Option<u32> = None;
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].1.is_ascii_digit() || (i > 0 && chars[i - 1].1.is_alphanumeric()) {
            i += 1;
            continue;
        }
        let start = chars[i].0;
        while i < chars.len() && (chars[i].1.is_ascii_digit() || chars[i].1 == ',' && chars.get(i + 1).is_some_and(|c| c.1.is_ascii_digit())) {
            i += 1;
        }
        let end = chars.get(i).map(|c| c.0).unwrap_or(lower.len());
        let number: Option<u32> = lower[start..end].replace(',', "").parse().ok();
        // After the number: an optional "+", then at most one other word ("20 more users",
        // "30 of our staff" is not read), then a word for people.
        if lower[end..].starts_with(|c: char| c.is_ascii_alphabetic()) {
            continue; // "404users", "3d": not a count
        }
        let rest = lower[end..].trim_start_matches('+').trim_start();
        let mut words = rest.split(|c: char| c.is_whitespace() || matches!(c, ',' | '.' | '!' | '?' | ')' | ';' | ':'));
        let first = words.next().unwrap_or("");
        let second = words.next().unwrap_or("");
        let counts_people = |w: &str| PEOPLE_WORDS.iter().any(|p| w == *p || (!p.is_ascii() && w.starts_with(p)));
        let says_people = counts_people(first) || (!first.is_empty() && first.chars().count() <= 12 && counts_people(second));
        if let (Some(n), true) = (number, says_people) {
            best = Some(best.map_or(n, |b| b.max(n)));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similar_subjects_in_three_languages() {
        assert_eq!(subject_similarity("VPN drops every 10 minutes", "Re: VPN drops every 10 minutes!"), 1.0);
        assert!(subject_similarity("VPN drops every 10 minutes", "VPN drops every 15 minutes") >= 0.8);
        assert!(subject_similarity("VPN drops every 10 minutes", "Refund for order 1234") < 0.3);
        assert!(subject_similarity("프린터가 작동하지 않습니다", "프린터가 작동하지 않아요") >= 0.6);
        assert!(subject_similarity("프린터가 작동하지 않습니다", "프린터 작동하지 않습니다") >= 0.9);
        assert!(subject_similarity("Printer 1 offline", "Printer 2 offline") < 0.8);
        assert!(subject_similarity("프린터가 작동하지 않습니다", "비밀번호를 잊어버렸습니다") < 0.3);
        assert!(subject_similarity("Nie działa drukarka w biurze", "Nie działa drukarka w biurze!!") >= 0.99);
        assert_eq!(subject_similarity("", "x"), 0.0);
    }

    #[test]
    fn affected_people_are_read_from_the_text() {
        assert_eq!(affected_people("About 15 users cannot log in"), Some(15));
        assert_eq!(affected_people("서버 다운으로 20명이 작업을 못 합니다"), Some(20));
        assert_eq!(affected_people("12 użytkowników nie może się zalogować"), Some(12));
        assert_eq!(affected_people("1,200 employees are offline, 3 printers too"), Some(1200));
        assert_eq!(affected_people("50+ people affected"), Some(50));
        assert_eq!(affected_people("Order 10 arrived late, 3 items missing"), None);
        assert_eq!(affected_people("error 404users"), None);
    }
}
