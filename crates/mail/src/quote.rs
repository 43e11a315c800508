//! The quoted history under a reply: folded in the thread and left out of search and alerts,
//! so a customer's "thanks, that worked" is not indexed with the whole conversation again.

/// Splits a body into what was written now and the quoted history below it.
pub fn split(body: &str) -> (String, Option<String>) {
    let lines: Vec<&str> = body.lines().collect();
    let at = lines.iter().enumerate().position(|(i, l)| starts_history(l, lines.get(i + 1).copied()));
    let at = match at {
        Some(i) => Some(i),
        // No attribution line: a trailing block of "> " lines.
        None => {
            let mut i = lines.len();
            while i > 0 && (lines[i - 1].trim_start().starts_with('>') || lines[i - 1].trim().is_empty()) {
                i -= 1;
            }
            let quoted = lines[i..].iter().any(|l| l.trim_start().starts_with('>'));
            (quoted && i > 0).then_some(i)
        }
    };
    match at {
        Some(i) if i > 0 && lines[..i].iter().any(|l| !l.trim().is_empty()) => {
            let head = lines[..i].join("\n").trim_end().to_string();
            let tail = lines[i..].join("\n").trim().to_string();
            (head, (!tail.is_empty()).then_some(tail))
        }
        _ => (body.trim_end().to_string(), None),
    }
}

/// An attribution line ("On Mon, … wrote:", Polish "… napisał(a):", Korean "… 작성:"), an
/// Outlook separator, or a forwarded header block.
fn starts_history(line: &str, next: Option<&str>) -> bool {
    let l = line.trim();
    let lower = l.to_lowercase();
    let quoted_next = next.is_some_and(|n| n.trim_start().starts_with('>') || n.trim().is_empty());
    (lower.ends_with("wrote:") && (lower.starts_with("on ") || quoted_next))
        || ((lower.ends_with("napisał(a):") || lower.ends_with("napisał:") || lower.ends_with("pisze:")) && quoted_next)
        || (l.ends_with("작성:") && quoted_next)
        || lower.starts_with("-----original message-----")
        || lower.starts_with("-----ursprüngliche nachricht-----")
        || lower.starts_with("-----wiadomość oryginalna-----")
        || (lower.starts_with("from: ")
            && next.is_some_and(|n| {
                let n = n.trim().to_lowercase();
                n.starts_with("sent: ") || n.starts_with("date: ")
            }))
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn an_attribution_line_and_quotes_are_history() {
        let (head, tail) = split("Thanks, that worked.\n\nOn Mon, 3 Mar 2026 at 10:00, Support <s@x.com> wrote:\n> Try restarting.\n> Bye");
        assert_eq!(head, "Thanks, that worked.");
        assert!(tail.unwrap().starts_with("On Mon"));
    }

    #[test]
    fn trailing_quotes_without_attribution_are_history() {
        let (head, tail) = split("Still broken.\n> did you restart?\n>\n");
        assert_eq!(head, "Still broken.");
        assert_eq!(tail.as_deref(), Some("> did you restart?\n>"));
    }

    #[test]
    fn a_message_that_is_only_a_quote_keeps_it() {
        let (head, tail) = split("> only a quote");
        assert_eq!(head, "> only a quote");
        assert_eq!(tail, None);
    }

    #[test]
    fn outlook_and_polish_separators() {
        assert_eq!(split("ok\n-----Original Message-----\nFrom: a").0, "ok");
        assert_eq!(split("Dzięki\n\nW dniu 3.03.2026 Jan Kowalski napisał(a):\n> test").0, "Dzięki");
        assert_eq!(split("new\nFrom: Jan\nSent: Monday\nSubject: x").0, "new");
    }
}
