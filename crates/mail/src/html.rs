//! HTML mail made safe to show: ammonia's allow-list drops script, event handlers, forms,
//! styles that load things and anything else not on it. Remote images are left out until the
//! agent asks for them for that one message; inline images (`cid:`) are the message's own.

use std::collections::HashSet;

/// How many remote images a sanitised message left out.
pub struct SafeHtml {
    pub html: String,
    pub blocked_images: usize,
}

/// Sanitises `html`. `cid` maps an inline image's Content-ID to the URL it is shown from
/// (an image not in it is left out). Remote images are kept only with `load_images`.
pub fn sanitise(html: &str, load_images: bool, cid: std::collections::HashMap<String, String>) -> SafeHtml {
    let blocked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = blocked.clone();
    let mut b = ammonia::Builder::default();
    b.url_schemes(HashSet::from(["http", "https", "mailto", "cid", "data"]))
        .link_rel(Some("noopener noreferrer"))
        .set_tag_attribute_value("a", "target", "_blank")
        .add_tag_attributes("img", ["width", "height"])
        .attribute_filter(move |element, attribute, value| {
            // data: only as an image we embedded (never a link: it could carry a page).
            if value.trim_start().to_ascii_lowercase().starts_with("data:") {
                let ours = element == "img" && attribute == "src" && cid.values().any(|u| u == value);
                return ours.then(|| value.into());
            }
            if element == "img" && attribute == "src" {
                if let Some(id) = value.strip_prefix("cid:") {
                    return cid.get(id).cloned().map(Into::into);
                }
                if !load_images {
                    counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    return None;
                }
            }
            Some(value.into())
        });
    let html = b.clean(html).to_string();
    SafeHtml { html, blocked_images: blocked.load(std::sync::atomic::Ordering::Relaxed) }
}

/// A message's HTML part made safe, its inline images embedded as data: URLs (the window's
/// CSP allows no other source), or None when it has no HTML.
pub fn of_message(raw: &[u8]) -> Option<SafeHtml> {
    use base64::Engine;
    use mail_parser::MimeHeaders;
    let m = mail_parser::MessageParser::default().parse(raw)?;
    let html = m.body_html(0)?.into_owned();
    if !m.html_bodies().any(|p| p.is_text_html()) {
        return None;
    }
    let mut cids = std::collections::HashMap::new();
    for part in m.attachments() {
        let (Some(id), Some(ct)) = (part.content_id(), part.content_type()) else { continue };
        let image = ct.ctype().eq_ignore_ascii_case("image")
            && ct.subtype().is_some_and(|s| ["png", "jpeg", "jpg", "gif", "webp"].contains(&s.to_ascii_lowercase().as_str()));
        if image && part.contents().len() <= 2 * 1024 * 1024 {
            let url = format!(
                "data:image/{};base64,{}",
                ct.subtype().unwrap_or("png").to_ascii_lowercase(),
                base64::engine::general_purpose::STANDARD.encode(part.contents())
            );
            cids.insert(id.trim().trim_start_matches('<').trim_end_matches('>').to_string(), url);
        }
    }
    // Past a nesting no person writes, the tree is flattened rather than walked.
    let html = if nesting_depth(&html) > 200 { strip_tags(&html) } else { html };
    Some(sanitise(&html, false, cids))
}

/// How deep the elements of `html` nest at most (void elements and self-closed ones aside).
pub fn nesting_depth(html: &str) -> usize {
    const VOID: [&str; 14] = ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"];
    let (mut depth, mut max) = (0usize, 0usize);
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..end];
        if tag.starts_with('/') {
            depth = depth.saturating_sub(1);
        } else if !tag.starts_with('!') && !tag.starts_with('?') && !tag.ends_with('/') {
            let name: String = tag.chars().take_while(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
            if !name.is_empty() && !VOID.contains(&name.as_str()) {
                depth += 1;
                max = max.max(depth);
            }
        }
        rest = &rest[end.min(rest.len())..];
    }
    max
}

/// The text of HTML when the converter cannot be used: tags removed.
pub fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::sanitise;

    #[test]
    fn script_handlers_forms_and_remote_images_go() {
        let dirty = r#"<p onclick="alert(1)">Hi<script>alert(2)</script></p><form action="x"><input name=a></form>
            <img src="https://tracker.example/p.gif"><img src="cid:logo@x"><a href="javascript:alert(3)">j</a><a href="https://ok.example">ok</a>"#;
        let cids = std::collections::HashMap::from([("logo@x".to_string(), "casebook-attachment://abc".to_string())]);
        let safe = sanitise(dirty, false, cids);
        assert!(!safe.html.contains("script") && !safe.html.contains("onclick") && !safe.html.contains("<form") && !safe.html.contains("<input"));
        assert!(!safe.html.contains("tracker.example"));
        assert!(!safe.html.contains("javascript:"));
        assert!(safe.html.contains("casebook-attachment://abc"));
        assert!(safe.html.contains(r#"href="https://ok.example""#) && safe.html.contains("noopener"));
        assert_eq!(safe.blocked_images, 1);
        let loaded = sanitise(dirty, true, Default::default());
        assert!(loaded.html.contains("tracker.example") && !loaded.html.contains("script"));
    }
}
