//! End-to-end: the real app in the real WebKit window, driven through tauri-driver and
//! WebKitWebDriver on a private X display, doing what a person does (issue 4).
//!
//! Needs Xvfb, WebKitWebDriver and tauri-driver (scripts/system-deps test; cargo install
//! tauri-driver), so it is `#[ignore]`d in the plain `cargo test` and run by `scripts/test`
//! inside `dbus-run-session`. Screenshots of each main screen go to
//! `$CARGO_TARGET_DIR/e2e-screenshots/`.

#[path = "../../tests/support/mail_servers.rs"]
mod mail_servers;

use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Kills a child process group member politely on drop (SIGTERM: a SIGKILLed tauri-driver
/// leaves WebKitWebDriver holding the port and our output pipes).
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
    }
}

fn target_dir() -> PathBuf {
    // …/target/debug/deps/e2e-HASH → …/target
    std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().parent().unwrap().to_path_buf()
}

/// The app under test: the debug build beside this test, or the one `CASEBOOK_E2E_APP` names
/// (CI points it at the binary the .deb installed: scripts/package).
fn app_binary() -> PathBuf {
    let p = std::env::var_os("CASEBOOK_E2E_APP").map(PathBuf::from).unwrap_or_else(|| target_dir().join("debug/casebook-desktop"));
    assert!(p.exists(), "build the app first: {} is missing", p.display());
    p
}

/// The CLI the scenario calls beside the window: the debug build, or `CASEBOOK_E2E_CLI`'s.
fn cli_binary() -> PathBuf {
    let p = std::env::var_os("CASEBOOK_E2E_CLI").map(PathBuf::from).unwrap_or_else(|| target_dir().join("debug/casebook"));
    assert!(p.exists(), "build the CLI first: {} is missing", p.display());
    p
}

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on port {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn find_tauri_driver() -> PathBuf {
    let home = std::env::var("HOME").unwrap_or_default();
    let cargo_bin = Path::new(&home).join(".cargo/bin/tauri-driver");
    if cargo_bin.exists() {
        cargo_bin
    } else {
        PathBuf::from("tauri-driver")
    }
}

/// A private X display when none is set; it lives as long as the returned guard, which
/// unsets DISPLAY again (the next test of the binary then starts its own, on a new number).
fn private_display() -> Option<PrivateDisplay> {
    if std::env::var("DISPLAY").is_ok() {
        return None;
    }
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(97);
    let display = format!(":{}", NEXT.fetch_sub(1, std::sync::atomic::Ordering::SeqCst));
    let p = Command::new("Xvfb")
        // Room for the wide look at the end; the window itself opens at 1280×800.
        .args([display.as_str(), "-screen", "0", "1920x1080x24", "-nolisten", "tcp"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("Xvfb");
    std::env::set_var("DISPLAY", &display);
    std::thread::sleep(Duration::from_millis(500));
    Some(PrivateDisplay(Process(p)))
}

/// Xvfb, and DISPLAY pointing at it while it runs.
struct PrivateDisplay(#[allow(dead_code)] Process);

impl Drop for PrivateDisplay {
    fn drop(&mut self) {
        std::env::remove_var("DISPLAY");
    }
}

/// A real notification daemon (dunst) on the display, when the test has a private D-Bus
/// session (scripts/test runs it under dbus-run-session): the app's alerts pop up on the
/// Xvfb desktop, and the test can read back what arrived.
fn notification_daemon() -> Option<Process> {
    std::env::var_os("DBUS_SESSION_BUS_ADDRESS")?;
    let config = std::env::temp_dir().join(format!("casebook-e2e-dunstrc-{}", std::process::id()));
    std::fs::write(&config, "[global]\nmarkup = full\nfont = Noto Sans 11\n").ok()?;
    let p = Command::new("dunst").arg("-config").arg(&config).stdout(Stdio::null()).stderr(Stdio::null()).spawn().ok()?;
    std::thread::sleep(Duration::from_millis(500));
    Some(Process(p))
}

fn dunstctl(args: &[&str]) -> String {
    let out = Command::new("dunstctl").args(args).output().expect("dunstctl");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The display, the driver and a WebDriver session on the app.
struct Harness {
    client: Client,
    shots: PathBuf,
    dunst: Option<Process>,
    _driver: Process,
    _xvfb: Option<PrivateDisplay>,
}

impl Harness {
    async fn start(data_dir: &Path, extra_args: &[&str]) -> Harness {
        let xvfb = private_display();
        let dunst = notification_daemon();
        let driver = Process(
            Command::new(find_tauri_driver())
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("tauri-driver (cargo install tauri-driver)"),
        );
        wait_for_port(4444);
        wait_for_port(4445);
        let mut args = vec!["--data-dir".to_string(), data_dir.display().to_string()];
        args.extend(extra_args.iter().map(|s| s.to_string()));
        let caps = serde_json::json!({ "tauri:options": { "application": app_binary(), "args": args } });
        let caps = caps.as_object().unwrap().clone();
        let client = ClientBuilder::native().capabilities(caps).connect("http://127.0.0.1:4444").await.expect("WebDriver session");
        let shots = target_dir().join("e2e-screenshots");
        std::fs::create_dir_all(&shots).unwrap();
        Harness { client, shots, dunst, _driver: driver, _xvfb: xvfb }
    }

    async fn css(&self, selector: &str) -> Element {
        self.client.wait().at_most(Duration::from_secs(60)).for_element(Locator::Css(selector)).await.unwrap_or_else(|e| panic!("{selector}: {e}"))
    }

    /// Finds and clicks `selector`, again when the list re-rendered between the two (a view
    /// that has just been asked for replaces its rows when they arrive).
    async fn click_css(&self, selector: &str) {
        let mut attempt = 0;
        loop {
            match self.css(selector).await.click().await {
                Ok(()) => return,
                Err(e) => {
                    let stale = e.to_string().contains("was not found") || e.to_string().to_lowercase().contains("stale");
                    attempt += 1;
                    assert!(stale && attempt < 5, "{selector}: {e}");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
    }

    async fn xpath(&self, xpath: &str) -> Element {
        self.client.wait().at_most(Duration::from_secs(30)).for_element(Locator::XPath(xpath)).await.unwrap_or_else(|e| panic!("{xpath}: {e}"))
    }

    /// Waits until `selector`'s text contains `text`.
    async fn wait_text(&self, selector: &str, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(e) = self.client.find(Locator::Css(selector)).await {
                if e.text().await.unwrap_or_default().contains(text) {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "'{text}' never appeared in {selector}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The whole X screen, notifications included (WebDriver's screenshot is the page only).
    fn desktop_shot(&self, name: &str) {
        let path = self.shots.join(format!("{name}.png"));
        let _ = Command::new("import").args(["-window", "root"]).arg(&path).status();
    }

    async fn shot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(self.shots.join(format!("{name}.png")), png).unwrap();
    }

    async fn type_into(&self, selector: &str, text: &str) {
        let e = self.css(selector).await;
        e.clear().await.ok();
        e.send_keys(text).await.unwrap();
    }

    async fn keys(&self, keys: &str) {
        self.css("body").await.send_keys(keys).await.unwrap();
    }

    /// Whether `js` becomes true within 10 s and is still true a second later (a state that
    /// must last, not one passed through on the way).
    async fn settles(&self, js: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.script::<bool>(js).await {
            if Instant::now() > deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        self.script::<bool>(js).await
    }

    async fn script<T: serde::de::DeserializeOwned>(&self, js: &str) -> T {
        serde_json::from_value(self.client.execute(js, vec![]).await.unwrap()).unwrap()
    }

    /// Every control on `screen` has a name a screen reader says (issue 17), read from the
    /// window's real accessibility tree over AT-SPI (as Orca reads it), not from the DOM.
    /// A tree with hardly any controls means the tree was not read: that fails too.
    async fn screen_reader_names(&self, screen: &str) -> Result<(), String> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/support/a11y_tree.py");
        let out = tokio::process::Command::new("/usr/bin/python3")
            .arg(&script)
            .arg("casebook-desktop")
            .output()
            .await
            .map_err(|e| format!("reading the accessibility tree ({}): {e}", script.display()))?;
        let report: serde_json::Value = serde_json::from_slice(&out.stdout)
            .map_err(|e| format!("the accessibility tree on {screen}: {e}: {}", String::from_utf8_lossy(&out.stderr)))?;
        let controls = report["controls"].as_u64().unwrap_or(0);
        if controls < 10 {
            return Err(format!("the accessibility tree on {screen} has {controls} controls: it was not read ({report})"));
        }
        match report["unnamed"].as_array() {
            Some(unnamed) if unnamed.is_empty() => Ok(()),
            _ => Err(format!("controls without a name for a screen reader on {screen}: {}", report["unnamed"])),
        }
    }
}

const HOSTILE_SUBJECT: &str = "Zebracorn <img src=x onerror=\"window.__xss=1\"> printer";
const HOSTILE_NAME: &str = "<script>window.__xss=2</script>Mallory";
const HOSTILE_BODY: &str = "Click <a href=\"javascript:window.__xss=3\">here</a> <b onmouseover=\"window.__xss=4\">now</b>";

#[tokio::test]
#[ignore = "needs Xvfb, WebKitWebDriver and tauri-driver: run through scripts/test"]
async fn a_person_works_the_queue_in_the_real_window() {
    let data = tempfile::tempdir().unwrap();
    let h = Harness::start(data.path(), &[]).await;
    let result = scenario(&h, data.path()).await;
    let _ = h.shot("zz-last").await;
    h.client.clone().close().await.ok();
    result.unwrap();
}

async fn scenario(h: &Harness, data: &Path) -> Result<(), String> {
    // First run: open the demo workspace.
    // An empty workspace needs to know who you are: nobody is made "Admin" behind your back.
    h.css("[data-testid=start-empty]").await.click().await.unwrap();
    h.wait_text(".first [role=alert]", "Say who you are").await;
    h.css("[data-testid=open-demo]").await.click().await.unwrap();
    h.css(".row[data-number]").await;
    h.shot("01-first-list").await;

    // The sidebar's views have counts; All lists the demo's tickets.
    h.css("[data-view=all]").await.click().await.unwrap();
    // The count may be written 3000 or 3,000, as the locale has it.
    h.wait_text("section.list header", "All").await;
    let count: String = h.script("return document.querySelector('section.list header').textContent.replace(/[^0-9]/g, '')").await;
    if count != "3000" {
        return Err(format!("the All view counts {count} tickets, not 3000"));
    }

    // Open a solved-looking demo ticket: similar solved tickets with their fixes.
    h.click_css(".row[data-number]").await;
    h.css("article.ticket").await;
    h.css("[data-testid=similar] .card .fix").await;
    h.shot("02-ticket-with-similar").await;
    // Each card says why it matched (issue 19), and the agent's word moves the suggestions:
    // one that did not help goes away for this ticket, one that helped says so.
    h.css("[data-testid=similar] .card [data-testid=matched] mark").await;
    let cards = "return [...document.querySelectorAll('[data-testid=similar] .card strong')].map(e => e.textContent).join(' ')";
    let before: String = h.script(cards).await;
    let first = before.split(' ').next().unwrap_or_default().to_string();
    h.css("[data-testid=similar] .card [data-testid=similar-not-helpful]").await.click().await.unwrap();
    let gone = format!("return ![...document.querySelectorAll('[data-testid=similar] .card strong')].some(e => e.textContent === '{first}')");
    if !h.settles(&gone).await {
        return Err(format!("{first} marked not helpful is still suggested ({before})"));
    }
    h.css("[data-testid=similar] .card [data-testid=similar-helpful]").await.click().await.unwrap();
    if !h
        .settles("return document.querySelector('[data-testid=similar] .card [data-testid=similar-helpful]').getAttribute('aria-pressed') === 'true'")
        .await
    {
        return Err("a suggestion marked helpful does not say so".into());
    }
    // Scrolling the list past its first page with a ticket open loads the next page and stays
    // where it was scrolled to (each page loaded once pulled the list back to the open ticket).
    let (first, reached): (f64, f64) =
        h.script("const el = document.querySelector('.vlist'); const h = el.scrollHeight; el.scrollTop = h; return [h, el.scrollTop]").await;
    if !h.settles(&format!("return document.querySelector('.vlist').scrollHeight > {first} + 1000")).await {
        return Err("scrolling to the end of the list's first page loads no more rows".into());
    }
    let at: f64 = h.script("return document.querySelector('.vlist').scrollTop").await;
    if reached < 1000.0 || at < reached - 54.0 {
        return Err(format!("the list jumped back to the open ticket after a page loaded (scrolled to {at} px)"));
    }
    let _: bool = h.script("document.querySelector('.vlist').scrollTop = 0; return true").await;
    if !h.settles("return document.querySelector('.row.selected') !== null").await {
        return Err("back at the top of the list, the open ticket's row is not shown".into());
    }

    // Keyboard: j moves the selection, Enter opens.
    let before: i64 = h.script("return Number(document.querySelector('.row.selected').dataset.number)").await;
    h.keys("j").await;
    let after: i64 = h.script("return Number(document.querySelector('.row.selected').dataset.number)").await;
    if before == after {
        return Err("j did not move the selection".into());
    }
    h.keys(&char::from(Key::Enter).to_string()).await;

    // New ticket: the validation message for an empty subject, then hostile text.
    h.keys("c").await;
    h.css("form.new").await;
    h.css("[data-testid=create]").await.click().await.unwrap();
    h.wait_text("form.new", "Subject can't be empty").await;
    // Every problem at once: the missing requester and message too, not only the first.
    h.wait_text("form.new", "An email address is needed").await;
    h.css("form.new textarea[name=description][aria-invalid=true]").await;
    h.shot("03-new-ticket-validation").await;
    // The check can fail: a box without a label, put on the page for a moment, is found.
    let _: bool = h.script("const i = document.createElement('input'); i.id = 'a11y-probe'; document.body.appendChild(i); return true").await;
    if h.screen_reader_names("the probe").await.is_ok() {
        return Err("the accessibility check did not find an input without a label".into());
    }
    let _: bool = h.script("document.getElementById('a11y-probe').remove(); return true").await;
    h.screen_reader_names("the new ticket form").await?;
    h.type_into("input[name=subject]", HOSTILE_SUBJECT).await;
    h.type_into("input[name=requester]", "mallory@evil.example").await;
    h.type_into("input[name=requester_name]", HOSTILE_NAME).await;
    h.type_into("textarea[name=description]", HOSTILE_BODY).await;
    // While it is typed, similar solved tickets suggest its triage; a click fills the field.
    h.css("[data-testid=new-suggestions] [data-testid=new-suggestion]").await;
    h.shot("03b-new-ticket-suggestions").await;
    let field: String = h.script("return document.querySelector('[data-testid=new-suggestion]').dataset.field").await;
    h.css("[data-testid=new-suggestion]").await.click().await.unwrap();
    if field != "tag" {
        let filled: String = h.script(&format!("return document.querySelector('form.new [name={field}]').value")).await;
        if filled.is_empty() {
            return Err(format!("taking the suggested {field} did not fill the field"));
        }
    }
    h.css("[data-testid=create]").await.click().await.unwrap();
    h.wait_text("article.ticket h1", "Zebracorn <img").await;
    h.wait_text("article.ticket .thread", "<a href=\"javascript:").await;
    h.wait_text("article.ticket .side", "<script>window.__xss=2</script>Mallory").await;
    // Nothing ran, and no element was made of the text.
    let xss: bool = h
        .script(
            "return window.__xss === undefined && !document.querySelector('article.ticket img, article.ticket .thread a, article.ticket .thread b')",
        )
        .await;
    if !xss {
        return Err("hostile ticket text was interpreted as HTML".into());
    }

    // Reply, then an internal note.
    h.css("[data-testid=mode-reply]").await.click().await.unwrap();
    h.type_into("textarea[aria-label=Message]", "Which printer model is it?").await;
    h.css("[data-testid=send]").await.click().await.unwrap();
    h.wait_text(".msg[data-kind=public]", "Which printer model is it?").await;
    h.wait_text("[data-testid=status]", "Open").await;
    h.css("[data-testid=mode-note]").await.click().await.unwrap();
    h.type_into("textarea[aria-label=Message]", "Looks like the floor-3 printer again").await;
    h.css("[data-testid=send]").await.click().await.unwrap();
    h.wait_text(".msg[data-kind=internal]", "floor-3 printer").await;

    // An attachment: picked from disk, stored, listed under the message.
    let file = std::env::temp_dir().join("casebook-e2e-printer-log.txt");
    std::fs::write(&file, "paper jam at tray 2\n").unwrap();
    h.css("[data-testid=attach]").await.send_keys(&file.display().to_string()).await.unwrap();
    h.css("[data-testid=send]").await.click().await.unwrap();
    h.wait_text(".msg .attachment", "casebook-e2e-printer-log.txt").await;
    // No glyph the fonts here lack (they showed as empty boxes): icons are drawn instead.
    let boxes: bool = h.script("return ['📎', '👍', '👎', '→'].some(g => document.querySelector('article.ticket').innerText.includes(g))").await;
    if boxes {
        return Err("the ticket page uses a glyph (📎 👍 👎 →) that renders as an empty box".into());
    }

    // A draft stays with its ticket: typed here, it is not on the next ticket, the list marks
    // it, and it is back on return (before, it was lost on the way).
    let here: String = h.script("return document.querySelector('article.ticket h1 .muted').textContent.replace(/[^0-9]/g, '')").await;
    h.css("[data-testid=mode-reply]").await.click().await.unwrap();
    h.type_into("textarea[aria-label=Message]", "Draft for Mallory only").await;
    let other = h.css(&format!(".row[data-number]:not([data-number='{here}']):not(:has(.st-closed))")).await;
    let other_number = other.attr("data-number").await.unwrap().unwrap_or_default();
    other.click().await.unwrap();
    h.wait_text("article.ticket h1", &format!("#{other_number}")).await;
    let composer = "return document.querySelector('textarea[aria-label=Message]').value";
    let leaked: String = h.script(composer).await;
    if !leaked.is_empty() {
        return Err(format!("the draft of #{here} followed to #{other_number}: '{leaked}'"));
    }
    h.css(&format!(".row[data-number='{here}'] [data-testid=draft-mark]")).await;
    h.shot("04a-draft-stays-with-its-ticket").await;
    h.css(&format!(".row[data-number='{here}']")).await.click().await.unwrap();
    h.wait_text("article.ticket h1", "Zebracorn").await;
    let back: String = h.script(composer).await;
    if back != "Draft for Mallory only" {
        return Err(format!("the draft of #{here} did not come back: '{back}'"));
    }
    // Esc goes back to the list (the shortcuts sheet says "Back / close"), the ticket still
    // selected; Enter opens it again, its draft still there.
    h.css(&format!(".row[data-number='{here}']")).await.click().await.unwrap();
    // Esc comes while the click's load may still be under way: the closed ticket must not
    // come back when it finishes (it did, and CI caught it once).
    h.keys(&char::from(Key::Escape).to_string()).await;
    if !h.settles("return document.querySelector('article.ticket') === null").await {
        return Err("Esc on a ticket page did not go back to the list (or the ticket came back)".into());
    }
    h.css(&format!(".row.selected[data-number='{here}']")).await;
    h.keys(&char::from(Key::Enter).to_string()).await;
    h.wait_text("article.ticket h1", "Zebracorn").await;
    let again: String = h.script(composer).await;
    if again != "Draft for Mallory only" {
        return Err(format!("the draft of #{here} was lost on Esc: '{again}'"));
    }
    // Undo send: the reply waits a few seconds with Undo; undone, the text is back in the
    // composer and nothing was written, even after the wait.
    h.css("[data-testid=send]").await.click().await.unwrap();
    h.wait_text("[data-testid=toast]", "sending the reply").await;
    h.shot("04a2-undo-send").await;
    h.click_css("[data-testid=toast-undo]").await;
    if !h.settles(&format!("{composer} === 'Draft for Mallory only'")).await {
        let now: String = h.script(composer).await;
        return Err(format!("Undo send did not bring the reply back to the composer: '{now}'"));
    }
    tokio::time::sleep(Duration::from_secs(6)).await;
    let written: bool = h.script("return [...document.querySelectorAll('.msg')].some(m => m.textContent.includes('Draft for Mallory only'))").await;
    if written {
        return Err("an undone reply was written to the ticket".into());
    }

    bulk_change_and_undo(h, &here).await?;
    h.css(&format!(".row[data-number='{here}']")).await.click().await.unwrap();
    h.wait_text("article.ticket h1", "Zebracorn").await;

    // Triage from similar solved tickets (issue 19): the page suggests, each with its
    // confidence; one click applies it, and then it is no longer offered.
    h.css("[data-testid=predictions] [data-testid=suggestion]").await;
    h.shot("04b-triage-suggestions").await;
    let first =
        "const s = document.querySelector('[data-testid=predictions] [data-testid=suggestion]'); return s.dataset.field + '=' + s.dataset.value";
    let suggested: String = h.script(first).await;
    let (field, value) = suggested.split_once('=').unwrap_or_default();
    h.css("[data-testid=predictions] [data-testid=apply-suggestion]").await.click().await.unwrap();
    let applied = format!(
        "return ![...document.querySelectorAll('[data-testid=predictions] [data-testid=suggestion]')].some(s => s.dataset.field === '{field}' && s.dataset.value === '{value}')"
    );
    if !h.settles(&applied).await {
        return Err(format!("the suggestion {suggested} was still offered after it was applied"));
    }

    // Pending, then the customer's answer reopens it.
    h.css("[data-testid=status-select] option[value=pending]").await.click().await.unwrap();
    h.wait_text("[data-testid=status]", "Pending").await;
    h.css("[data-testid=mode-customer]").await.click().await.unwrap();
    h.type_into("textarea[aria-label=Message]", "It is the HP on floor 3. Please fix it ASAP!").await;
    h.css("[data-testid=send]").await.click().await.unwrap();
    h.wait_text("[data-testid=status]", "Open").await;
    // "ASAP" from the customer: the ticket is marked, the alert centre has it, and a
    // notification went to the desktop.
    h.wait_text("[data-testid=ticket-keywords]", "“asap”").await;
    h.css("[data-testid=alerts-unread]").await;
    h.shot("04-ticket-conversation").await;
    let ticket_number: String = h.script("return document.querySelector('article.ticket h1 .muted').textContent").await;
    if h.dunst.is_some() {
        let want = format!("{ticket_number}: customer wrote “asap”");
        let deadline = Instant::now() + Duration::from_secs(20);
        while dunstctl(&["count", "displayed"]).trim() == "0" {
            if Instant::now() > deadline {
                return Err("no notification was displayed for the keyword alert".into());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        h.desktop_shot("04b-notification-on-the-desktop");
        dunstctl(&["close-all"]);
        tokio::time::sleep(Duration::from_millis(300)).await;
        let history = dunstctl(&["history"]);
        if !history.contains(&want) {
            return Err(format!("dunst never received '{want}': {history}"));
        }
    }
    // Each screen starts at its top: scrolled down on the ticket, the alert centre opens at
    // its header.
    let scrolled: f64 = h.script("const p = document.querySelector('main.pane'); p.scrollTop = 300; return p.scrollTop").await;
    if scrolled <= 0.0 {
        return Err("the ticket page could not be scrolled to test the scroll position".into());
    }
    h.css("[data-testid=alerts-nav]").await.click().await.unwrap();
    h.css("[data-testid=alert-list]").await;
    let top: f64 = h.script("return document.querySelector('main.pane').scrollTop").await;
    if top != 0.0 {
        return Err(format!("the alert centre opened {top} px down (the ticket's scroll position carried over)"));
    }
    let row = h.xpath(&format!("//ul[@data-testid='alert-list']/li[@data-kind='keyword' and contains(., '{ticket_number}')]")).await;
    h.shot("04c-alert-centre").await;
    row.find(Locator::Css("button.open")).await.unwrap().click().await.unwrap();
    h.wait_text("article.ticket h1", &ticket_number).await;
    // Opening it marked it read.
    h.css("[data-testid=alerts-nav]").await.click().await.unwrap();
    h.xpath(&format!(
        "//ul[@data-testid='alert-list']/li[@data-kind='keyword' and not(contains(@class, 'unread')) and contains(., '{ticket_number}')]"
    ))
    .await;

    // Search from the palette (Ctrl+K), results as you type, Enter opens.
    h.keys(&format!("{}k", char::from(Key::Control))).await;
    h.type_into("[data-testid=search-input]", "zebracorn").await;
    let hit = h.xpath("//li[@role='option' and contains(., 'Zebracorn')]").await;
    let number: String = hit.attr("data-number").await.unwrap().unwrap_or_default();
    h.css("li[role=option] mark").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    h.css("li[role=option] mark").await;
    h.shot("05-search-palette").await;
    h.css("[data-testid=search-input]").await.send_keys(&char::from(Key::Enter).to_string()).await.unwrap();
    h.wait_text("article.ticket h1", &format!("#{number}")).await;

    // Korean search finds Korean demo tickets.
    h.keys(&format!("{}k", char::from(Key::Control))).await;
    h.type_into("[data-testid=search-input]", "서버").await;
    h.xpath("//li[@role='option']//mark[contains(., '서버')]").await;
    h.keys(&char::from(Key::Escape).to_string()).await;

    // The cheat-sheet and the settings.
    h.keys("?").await;
    h.css("[role=dialog][aria-label='Keyboard shortcuts']").await;
    h.shot("06-shortcuts").await;
    h.keys(&char::from(Key::Escape).to_string()).await;
    h.xpath("//nav//button[contains(., 'Settings')]").await.click().await.unwrap();
    h.css(".settings table").await;
    h.css("[data-testid=alert-settings]").await;
    h.shot("07-settings").await;

    // Team sync: share the workspace into a folder from Settings; a colleague's laptop (the
    // engine, as their app runs it) joins from that folder and replies to the ticket open
    // here; the reply appears in this window without a reload.
    let share = data.join("team-share");
    std::fs::create_dir_all(&share).unwrap();
    h.type_into("[data-testid=sync-folder]", &share.display().to_string()).await;
    h.css("[data-testid=sync-share]").await.click().await.unwrap();
    h.wait_text("[data-testid=sync-state]", "In sync").await;
    h.wait_text("[data-testid=sync-devices]", "this laptop").await;
    h.shot("07f-sync-settings").await;
    let colleague = tempfile::tempdir().unwrap();
    let number: i64 = number.parse().map_err(|e| format!("the search hit's number: {e}"))?;
    let clock = std::sync::Arc::new(casebook::SystemClock);
    let (mut jiho, _, _) = casebook::Workspace::join(&colleague.path().join("casebook.db"), &share, clock, "jiho.kim@casebook-demo.com")
        .map_err(|e| format!("the second laptop cannot join: {e}"))?;
    let reply = casebook::model::NewMessage::new(casebook::model::MessageKind::Internal, "Seen on the second laptop: same printer as last week");
    jiho.add_message(number, &reply).map_err(|e| e.to_string())?;
    jiho.sync_pass().map_err(|e| e.to_string())?;
    h.wait_text("[data-testid=sync-devices]", "jiho.kim@casebook-demo.com").await;
    h.keys(&format!("{}k", char::from(Key::Control))).await;
    h.type_into("[data-testid=search-input]", &format!("#{number}")).await;
    h.css("li[role=option]").await;
    h.css("[data-testid=search-input]").await.send_keys(&char::from(Key::Enter).to_string()).await.unwrap();
    h.wait_text("article.ticket", "Seen on the second laptop").await;
    h.shot("07g-reply-from-another-laptop").await;

    // Presence: the colleague opens the ticket and starts writing; this window says so.
    jiho.set_presence(Some(number), true).map_err(|e| e.to_string())?;
    h.wait_text("[data-testid=ticket-presence]", "Jiho Kim is replying").await;
    // The send-blocker: the colleague adds a note while a reply is being written here; Send
    // first shows it and holds the reply back; a second Send sends it.
    h.css("[data-testid=mode-reply]").await.click().await.unwrap();
    h.type_into("textarea[aria-label=Message]", "The technician is on the way.").await;
    let note = casebook::model::NewMessage::new(casebook::model::MessageKind::Internal, "Wait: the customer already called back");
    jiho.add_message(number, &note).map_err(|e| e.to_string())?;
    jiho.sync_pass().map_err(|e| e.to_string())?;
    h.wait_text("article.ticket", "the customer already called back").await;
    h.css("[data-testid=send]").await.click().await.unwrap();
    h.wait_text("[data-testid=send-held]", "Jiho Kim wrote on this ticket").await;
    h.shot("07h-send-held-back").await;
    let sent: usize = h
        .script(
            "return [...document.querySelectorAll('.msg[data-kind=public]')].filter(m => m.textContent.includes('technician is on the way')).length",
        )
        .await;
    if sent != 0 {
        return Err("the reply went out although a colleague had written meanwhile".into());
    }
    h.css("[data-testid=send]").await.click().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while h
        .script::<usize>(
            "return [...document.querySelectorAll('.msg[data-kind=public]')].filter(m => m.textContent.includes('technician is on the way')).length",
        )
        .await
        != 1
    {
        if Instant::now() > deadline {
            h.shot("07i-second-send").await;
            return Err("the second Send did not send the reply".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    mail_arrives_and_is_answered(h, data).await?;

    // Rules: the built-ins in plain words; switch one on, edit one's hours, try it (a dry
    // run lists the tickets it would change), save it, run the time rules, and the history
    // of a ticket they changed names the rule.
    h.css("[data-testid=rules-nav]").await.click().await.unwrap();
    h.wait_text("[data-testid=rules-list]", "if status is Resolved and its status last changed at least 4 days ago: set status Closed").await;
    let rows: usize = h.script("return document.querySelectorAll('[data-testid=rule-row]').length").await;
    if rows != 11 {
        return Err(format!("the Rules page lists {rows} rules, not the 11 built-ins"));
    }
    h.screen_reader_names("the rules page").await?;
    let row = |name: &str| format!("//li[@data-testid='rule-row'][.//strong[contains(., '{name}')]]");
    h.xpath(&format!("{}//input[@role='switch']", row("VIP customers"))).await.click().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    // Saved, not just ticked: the page is busy (its buttons disabled) until the engine answers.
    while !h.script::<bool>("return [...document.querySelectorAll('[data-testid=rule-row]')].find(r => r.textContent.includes('VIP customers')).querySelector('input[role=switch]').checked && [...document.querySelectorAll('[data-testid=rule-edit]')].every(b => !b.disabled)").await {
        if Instant::now() > deadline {
            return Err("switching the VIP rule on did not stick".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    h.xpath(&format!("{}//button[@data-testid='rule-edit']", row("Close resolved tickets"))).await.click().await.unwrap();
    let hours = h.xpath("//section[@data-testid='rule-editor']//fieldset[@data-testid='rule-all']//input[@type='number']").await;
    hours.clear().await.unwrap();
    hours.send_keys("24").await.unwrap();
    h.css("[data-testid=rule-try]").await.click().await.unwrap();
    h.wait_text("[data-testid=rule-editor] [data-testid=try-results]", "Dry run — nothing was changed.").await;
    let would: usize = h.script("return document.querySelectorAll('[data-testid=rule-editor] [data-testid=try-change]').length").await;
    if would == 0 {
        return Err("the dry run of 'close resolved after 24 hours' lists no ticket on the demo".into());
    }
    h.shot("07b-rule-editor-try").await;
    h.css("[data-testid=rule-save]").await.click().await.unwrap();
    h.wait_text("[data-testid=rules-list]", "its status last changed at least 24 hours ago").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while !h.script::<bool>("return [...document.querySelectorAll('[data-testid=rule-edit]')].every(b => !b.disabled)").await {
        if Instant::now() > deadline {
            return Err("the Rules page stayed busy after saving".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    h.xpath("//section[@aria-label='Rules']//button[contains(., 'Run time rules now')]").await.click().await.unwrap();
    h.wait_text("section[aria-label=Rules] > [data-testid=try-results]", "Done.").await;
    let changed: usize =
        h.script("return document.querySelectorAll('section[aria-label=Rules] > [data-testid=try-results] [data-testid=try-change]').length").await;
    if changed == 0 {
        let shown: String = h.script("return document.querySelector('section[aria-label=Rules] > [data-testid=try-results]').textContent").await;
        return Err(format!("'Run time rules now' changed no ticket after the dry run listed {would}: {shown}"));
    }
    h.css("section[aria-label=Rules] > [data-testid=try-results] [data-testid=try-change] button").await.click().await.unwrap();
    h.wait_text(".history", "rule “").await;
    // It reads as a person writes it: names, not emails; changes in words, not event names.
    let history: String = h.script("return document.querySelector('.history').innerText").await;
    if history.contains('@') || history.contains("_changed") || history.contains("message.added") {
        return Err(format!("the history names emails or events: {history}"));
    }
    h.shot("07c-history-names-the-rule").await;
    // If the rules solved it, the customer's rating can be recorded on it (CSAT).
    let solved: bool = h.script("return document.querySelector('[data-testid=rating]') !== null").await;
    if solved {
        h.css("[data-testid=rating] input").await.send_keys("Quick, thanks").await.unwrap();
        h.css("[data-testid=rate-good]").await.click().await.unwrap();
        h.wait_text("[data-testid=rating-now]", "Good — “Quick, thanks”").await;
    }

    // Dashboard: the demo's figures as charts; a number lists exactly its tickets, and the
    // CLI on the same database counts the same.
    h.css("[data-testid=dashboard-nav]").await.click().await.unwrap();
    h.wait_text("[data-testid=card-created]", "Created").await;
    let charts: usize = h.script("return document.querySelectorAll('section.dashboard canvas').length").await;
    if charts < 4 {
        return Err(format!("the dashboard drew {charts} charts"));
    }
    // The votes given on the similar panel earlier are counted.
    h.wait_text("[data-testid=suggestions]", "1 helpful").await;
    h.wait_text("[data-testid=suggestions]", "1 not helpful").await;
    h.wait_text("[data-testid=backlog-eta]", "half should be resolved within").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    h.shot("07d-dashboard").await;
    h.screen_reader_names("the dashboard").await?;
    let shown: i64 = h.script("return Number(document.querySelector('[data-testid=card-created] strong').textContent.replace(/[^0-9]/g, ''))").await;
    let cli = Command::new(cli_binary())
        .arg("--db")
        .arg(data.join("casebook.db"))
        .args(["--json", "stats"])
        .output()
        .map_err(|e| format!("casebook stats: {e}"))?;
    let from_cli: serde_json::Value = serde_json::from_slice(&cli.stdout).map_err(|e| format!("casebook stats --json: {e}"))?;
    if from_cli["headline"]["created"].as_i64() != Some(shown) || shown == 0 {
        return Err(format!("the window shows {shown} tickets created, the CLI {}", from_cli["headline"]["created"]));
    }
    h.css("[data-testid=card-created]").await.click().await.unwrap();
    h.wait_text("[data-testid=picked]", &format!("{shown} tickets")).await;
    let listed: i64 = h.script("return document.querySelectorAll('[data-testid=picked] li').length").await;
    if listed != shown.min(500) {
        return Err(format!("'Created' says {shown} but lists {listed} tickets"));
    }
    h.shot("07e-dashboard-click-through").await;

    // Health: the check runs on opening; a backup is made, verified, and listed.
    h.css("[data-testid=health-nav]").await.click().await.unwrap();
    h.css("[data-testid=health-ok], [data-testid=findings]").await;
    h.css("[data-testid=backup-now]").await.click().await.unwrap();
    h.wait_text("section.health", "verified by restoring it").await;
    // The troubleshooting log on the same page says so too, and its filter finds it.
    h.wait_text("[data-testid=log-entries]", "a backup was made and verified by restoring it").await;
    h.css("[data-testid=log-filter]").await.send_keys("backup").await.unwrap();
    h.wait_text("[data-testid=log-entries]", "a backup was made").await;
    // The filter waits for a pause in typing: the list must settle on backup entries alone.
    if !h.settles("return [...document.querySelectorAll('[data-testid=log-entry]')].every(e => e.textContent.toLowerCase().includes('backup'))").await
    {
        return Err("the log filter 'backup' still shows other entries".into());
    }
    h.shot("08-health-and-backups").await;

    // Restore from that backup: the window starts afresh on the restored workspace.
    h.css("[data-testid=backup-row] [data-testid=restore]").await.click().await.unwrap();
    h.css("[data-testid=restore-confirm]").await.click().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let gone: bool =
            h.script("return document.querySelector('section.health') === null && document.querySelector('[data-view=all]') !== null").await;
        if gone {
            break;
        }
        if Instant::now() > deadline {
            return Err("the window did not come back after restoring".into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    h.css("[data-view=all]").await.click().await.unwrap();
    h.wait_text("section.list header", "All").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let count: String = h.script("return document.querySelector('section.list header').textContent.replace(/[^0-9]/g, '')").await;
    // The demo's 3000, the hostile one typed in, the one that came by mail.
    if count != "3002" {
        return Err(format!("after restoring, All counts {count} tickets, not 3002"));
    }
    h.shot("09-after-restore").await;

    // In Korean: the views, the list's status pills and a ticket's panels speak it too.
    let language = |lang: &str| {
        format!("const l = [...document.querySelectorAll('select')].find(x => [...x.options].some(o => o.value === 'ko')); l.value = '{lang}'; l.dispatchEvent(new Event('change', {{ bubbles: true }})); return l.value")
    };
    let _: String = h.script(&language("ko")).await;
    h.wait_text("section.list header", "전체").await;
    h.wait_text("section.list", "종료").await;
    h.click_css(".row[data-number]").await;
    h.css("article.ticket").await;
    h.wait_text("[data-testid=similar]", "유사한 해결 티켓").await;
    h.wait_text(".history", "상태:").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    h.shot("10-korean-ticket").await;
    // In Polish, and the Health page's backups counted with Polish plurals.
    let _: String = h.script(&language("pl")).await;
    h.wait_text("section.list header", "Wszystkie").await;
    h.wait_text("section.list", "Zamknięte").await;
    // Headings are drawn in capitals: compare the text, not how it is drawn.
    if !h.settles("return document.querySelector('[data-testid=similar] h2')?.textContent === 'Podobne rozwiązane zgłoszenia'").await {
        return Err("the similar panel is not in Polish".into());
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    h.shot("10b-polish-ticket").await;
    h.css("[data-testid=health-nav]").await.click().await.unwrap();
    // 3002 tickets is "3002 zgłoszenia" (a form for 2, 3, 4 but not 12, 13, 14).
    if !h.settles("return /3002 zgłoszenia/.test(document.querySelector('section.health')?.textContent ?? '')").await {
        return Err("the Health page does not count the backup's tickets in Polish".into());
    }
    h.shot("10c-polish-health").await;
    h.css("[data-view=all]").await.click().await.unwrap();
    let _: String = h.script(&language("en")).await;
    h.wait_text("section.list header", "All").await;
    // Wide: the same ticket on a 1920×1080 window.
    h.client.set_window_size(1920, 1080).await.map_err(|e| format!("resizing the window: {e}"))?;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let width: i64 = h.script("return window.innerWidth").await;
    if width < 1800 {
        return Err(format!("the window did not widen ({width} px)"));
    }
    h.shot("12-wide-ticket").await;
    // Issue 17's screens at this size and in each language: the bulk bar, the view editor, the
    // macros in Settings. Each names itself in the language (the catalogues' test checks
    // every key; this checks that the screens use them).
    let screens = [
        ("en", "wide", "New view", "Macros", "Created", "Then", "'all' is the name of a built-in view"),
        ("ko", "korean", "새 보기", "매크로", "생성", "그러면", "'all'은(는) 기본 보기의 이름입니다"),
        ("pl", "polish", "Nowy widok", "Makra", "Utworzone", "Wtedy", "„all” to nazwa wbudowanego widoku"),
    ];
    for (lang, tag, new_view, macros, created, then, refused) in screens {
        let _: String = h.script(&language(lang)).await;
        h.click_css("[data-view=all]").await;
        h.css(".row[data-number]").await;
        if h.script::<bool>("return document.querySelector('[data-testid=bulk-clear]') !== null").await {
            h.click_css("[data-testid=bulk-clear]").await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let rows: Vec<String> = h.script("return [...document.querySelectorAll('.row[data-number]')].slice(0, 2).map(r => r.dataset.number)").await;
        for (k, n) in rows.iter().enumerate() {
            h.click_css(&format!(".row[data-number='{n}'] [data-testid=row-pick]")).await;
            let picked = format!("return document.querySelector('[data-testid=bulk-count]')?.dataset.count === '{}'", k + 1);
            if !h.settles(&picked).await {
                let now: String = h.script("return String(document.querySelector('[data-testid=bulk-count]')?.textContent)").await;
                return Err(format!("in {lang}, picking #{n} ({} of {rows:?}) left the bulk bar at '{now}'", k + 1));
            }
        }
        h.shot(&format!("13-{tag}-bulk-bar")).await;
        h.keys(&char::from(Key::Escape).to_string()).await;
        h.click_css("[data-testid=new-view]").await;
        h.wait_text("[data-testid=view-editor] h1", new_view).await;
        h.wait_text("[data-testid=view-matches]", "3").await;
        h.shot(&format!("13-{tag}-view-editor")).await;
        // The engine's refusal in the window's language (it was English in every language).
        h.type_into("[data-testid=view-name]", "all").await;
        h.click_css("[data-testid=view-save]").await;
        h.wait_text("[data-testid=view-matches]", refused).await;
        h.shot(&format!("13-{tag}-view-refused")).await;
        h.click_css("[data-testid=settings-nav]").await;
        h.css("[data-testid=macro-settings]").await;
        let _: bool = h.script("document.querySelector('[data-testid=macro-settings]').scrollIntoView(); return true").await;
        h.wait_text("[data-testid=macro-settings] h2", macros).await;
        h.shot(&format!("13-{tag}-macros")).await;
        // The dashboard's words too (they were English in every language).
        h.click_css("[data-testid=dashboard-nav]").await;
        h.wait_text("[data-testid=card-created]", created).await;
        h.css("section.dashboard canvas").await;
        h.shot(&format!("13-{tag}-dashboard")).await;
        // A rule open in the editor.
        h.click_css("[data-testid=rules-nav]").await;
        h.click_css("[data-testid=rule-row] [data-testid=rule-edit]").await;
        h.wait_text("[data-testid=rule-actions] legend", then).await;
        h.shot(&format!("13-{tag}-rule-editor")).await;
    }
    let _: String = h.script(&language("en")).await;
    Ok(())
}

/// Bulk (issue 17): three tickets picked (two by their boxes, one by x on the selected
/// row), p reaches the bar's priority, one change sets it on all three; Ctrl+Z puts each back
/// as it was. `*` picks the whole view, Esc lets go. `keep` (the hostile ticket) is not touched.
async fn bulk_change_and_undo(h: &Harness, keep: &str) -> Result<(), String> {
    h.keys(&char::from(Key::Escape).to_string()).await;
    if !h.settles("return document.querySelector('article.ticket') === null").await {
        return Err("Esc did not go back to the list".into());
    }
    // My open: unsolved tickets only (the demo leaves few unassigned).
    h.keys("gi").await;
    h.wait_text("section.list header", "My open").await;
    h.css(".row[data-number]").await;
    let open_rows = format!(
        "return [...document.querySelectorAll('.row[data-number]')].filter(r => r.dataset.number !== '{keep}').sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top).slice(0, 3).map(r => r.dataset.number)"
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut picks: Vec<String> = h.script(&open_rows).await;
    while picks.len() < 3 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        picks = h.script(&open_rows).await;
    }
    if picks.len() < 3 {
        return Err(format!("the list has fewer than three open tickets to pick: {picks:?}"));
    }
    let priorities = |numbers: &[String]| {
        format!(
            "return [{}].map(n => document.querySelector(`.row[data-number='${{n}}'] .prio`).className.match(/\\bp-(\\w+)/)[1])",
            numbers.join(",")
        )
    };
    let before: Vec<String> = h.script(&priorities(&picks)).await;
    h.click_css(&format!(".row[data-number='{}'] [data-testid=row-pick]", picks[0])).await;
    h.wait_text("[data-testid=bulk-count]", "1").await;
    h.click_css(&format!(".row[data-number='{}'] [data-testid=row-pick]", picks[1])).await;
    h.wait_text("[data-testid=bulk-count]", "2").await;
    // The third by keyboard: open it, back to the list (it stays selected), x.
    h.click_css(&format!(".row[data-number='{}'] .subject", picks[2])).await;
    h.wait_text("article.ticket h1", &format!("#{}", picks[2])).await;
    h.keys(&char::from(Key::Escape).to_string()).await;
    h.css(&format!(".row.selected[data-number='{}']", picks[2])).await;
    h.keys("x").await;
    if !h.settles("return document.querySelector('[data-testid=bulk-count]')?.textContent.startsWith('3')").await {
        h.shot("zz-bulk-x").await;
        let state: String = h.script("return document.querySelector('[data-testid=bulk-count]')?.textContent + ' selected=' + document.querySelector('.row.selected')?.dataset.number + ' active=' + document.activeElement?.tagName").await;
        return Err(format!("x on the selected row did not add it to the two picked: {state}"));
    }
    h.keys("p").await;
    let focused: bool = h.script("return document.activeElement === document.querySelector('[data-testid=bulk-priority]')").await;
    if !focused {
        return Err("p did not reach the bulk bar's priority".into());
    }
    h.shot("05a-bulk-selection").await;
    h.screen_reader_names("the list with the bulk bar").await?;
    h.css("[data-testid=bulk-priority] option[value=urgent]").await.click().await.unwrap();
    h.wait_text("[data-testid=toast]", "Priority").await;
    let urgent = format!("return {}.every(p => p === 'urgent')", priorities(&picks).trim_start_matches("return "));
    if !h.settles(&urgent).await {
        let now: Vec<String> = h.script(&priorities(&picks)).await;
        return Err(format!("the bulk change did not make {picks:?} urgent: {now:?}"));
    }
    if h.script::<bool>("return document.querySelector('[data-testid=bulk-bar]') !== null").await {
        return Err("the selection stayed after the bulk change".into());
    }
    h.shot("05b-bulk-changed-with-undo").await;
    h.keys(&format!("{}z{}", char::from(Key::Control), char::from(Key::Null))).await;
    let restored =
        format!("return JSON.stringify({}) === '{}'", priorities(&picks).trim_start_matches("return "), serde_json::to_string(&before).unwrap());
    if !h.settles(&restored).await {
        let now: Vec<String> = h.script(&priorities(&picks)).await;
        return Err(format!("Ctrl+Z did not put the priorities back: {before:?} before, {now:?} now"));
    }
    h.wait_text("[data-testid=toast]", "Undone").await;
    // Every ticket of the view, then Esc lets go.
    h.keys("*").await;
    let all: String = h.script("return document.querySelector('section.list header').textContent.replace(/[^0-9]/g, '')").await;
    let picked_all = format!("return document.querySelector('[data-testid=bulk-count]')?.textContent.replace(/[^0-9]/g, '') === '{all}'");
    if !h.settles(&picked_all).await {
        return Err(format!("* did not pick the view's {all} tickets"));
    }
    h.keys(&char::from(Key::Escape).to_string()).await;
    if !h.settles("return document.querySelector('[data-testid=bulk-bar]') === null").await {
        return Err("Esc did not let go of the selection".into());
    }
    snooze_and_follow_up(h, &picks[0]).await?;
    macros_that_act(h, &picks).await?;
    views_built_in_the_window(h).await?;
    h.keys("ga").await;
    h.wait_text("section.list header", "All").await;
    Ok(())
}

/// Snooze (issue 17), from My open: z on the ticket, "Tomorrow", and it leaves
/// the view for Snoozed, marked with its time; "Back now" returns it. A follow-up is set and
/// taken off.
async fn snooze_and_follow_up(h: &Harness, n: &str) -> Result<(), String> {
    h.click_css(&format!(".row[data-number='{n}'] .subject")).await;
    h.wait_text("article.ticket h1", &format!("#{n}")).await;
    h.keys("z").await;
    if !h.settles("return document.activeElement?.closest('[data-testid=snooze-menu] .menu') != null").await {
        let state: String = h.script("return 'menu=' + !!document.querySelector('[data-testid=snooze-menu] .menu') + ' active=' + document.activeElement?.outerHTML.slice(0, 80)").await;
        return Err(format!("z did not open the snooze menu with its first choice focused: {state}"));
    }
    h.shot("05c-snooze-menu").await;
    h.css("[data-testid=snooze-menu] [data-choice=tomorrow]").await.click().await.unwrap();
    h.wait_text("[data-testid=snoozed]", "Snoozed until").await;
    h.wait_text("[data-testid=toast]", "snoozed until").await;
    if !h.settles(&format!("return document.querySelector(\".row[data-number='{n}']\") === null")).await {
        return Err(format!("#{n} snoozed is still in My open"));
    }
    h.click_css("[data-view=snoozed]").await;
    h.wait_text("section.list header", "Snoozed").await;
    h.css(&format!(".row[data-number='{n}'] [data-testid=row-snoozed]")).await;
    h.shot("05d-snoozed-view").await;
    h.click_css("[data-testid=unsnooze]").await;
    if !h.settles("return document.querySelector('[data-testid=snoozed]') === null").await {
        return Err(format!("'Back now' did not end the snooze of #{n}"));
    }
    h.css("[data-testid=follow-up-menu] .opener").await.click().await.unwrap();
    h.css("[data-testid=follow-up-menu] [data-choice=friday]").await.click().await.unwrap();
    h.wait_text("[data-testid=follow-up]", "Reminder").await;
    h.click_css("[data-testid=toast] .close").await;
    h.click_css("[data-testid=follow-up-cancel]").await;
    if !h.settles("return document.querySelector('[data-testid=follow-up]') === null").await {
        return Err(format!("the follow-up on #{n} could not be taken off"));
    }
    // The customer beside the ticket: one click lists every ticket of theirs, this one too.
    h.css("[data-testid=customer-panel]").await;
    h.click_css("[data-testid=customer-filter]").await;
    h.wait_text("section.list header", "Tickets of").await;
    h.css(&format!(".row[data-number='{n}']")).await;
    h.shot("05e-customer-and-their-tickets").await;
    h.keys("gi").await;
    h.wait_text("section.list header", "My open").await;
    h.css(&format!(".row[data-number='{n}']")).await;
    Ok(())
}

/// Macros that act (issue 17): one made in Settings with a text and two changes; applied on a
/// ticket it sets them at once (undo in the toast) and puts its text in the composer; from the
/// bulk bar it sets them on the picked tickets, and Ctrl+Z takes them back.
async fn macros_that_act(h: &Harness, picks: &[String]) -> Result<(), String> {
    h.click_css("[data-testid=settings-nav]").await;
    h.css("[data-testid=macro-settings]").await;
    h.type_into("[data-testid=macro-name]", "Escalate to network").await;
    h.type_into("[data-testid=macro-body]", "Hello {{requester.name}}, our network team has #{{ticket.number}} now.").await;
    h.click_css("[data-testid=macro-add-action]").await;
    h.click_css("[data-testid=macro-action]:nth-of-type(1) select[aria-label=Value] option[value=on_hold]").await;
    h.click_css("[data-testid=macro-add-action]").await;
    h.click_css("[data-testid=macro-action]:nth-of-type(2) select option[value=add_tags]").await;
    h.type_into("[data-testid=macro-action]:nth-of-type(2) input[aria-label=Value]", "escalated").await;
    let _: bool = h.script("document.querySelector('[data-testid=macro-save]').scrollIntoView({ block: 'center' }); return true").await;
    h.shot("07a-macro-editor").await;
    h.screen_reader_names("Settings with the macro editor").await?;
    h.click_css("[data-testid=macro-save]").await;
    h.wait_text("[data-testid=macro-settings] .macros", "Status: On hold · Add tags: escalated").await;

    // On one ticket: its changes at once, its text in the composer.
    h.keys("gi").await;
    h.wait_text("section.list header", "My open").await;
    let n = &picks[1];
    h.click_css(&format!(".row[data-number='{n}'] .subject")).await;
    h.wait_text("article.ticket h1", &format!("#{n}")).await;
    let status = "return document.querySelector('[data-testid=status]').textContent";
    let before: String = h.script(status).await;
    h.click_css("select[aria-label='Insert macro…'] option[value='Escalate to network']").await;
    h.wait_text("[data-testid=status]", "On hold").await;
    h.wait_text("[data-testid=toast]", "Macro “Escalate to network”").await;
    let composer = "return document.querySelector('textarea[aria-label=Message]').value";
    if !h.settles(&format!("{composer}.includes('our network team has #{n} now')")).await {
        let text: String = h.script(composer).await;
        return Err(format!("the macro's text did not reach the composer of #{n}: '{text}'"));
    }
    h.shot("05f-macro-applied").await;
    h.screen_reader_names("a ticket with its composer").await?;
    h.click_css("[data-testid=toast-undo]").await;
    h.wait_text("[data-testid=status]", &before).await;
    h.wait_text("[data-testid=toast]", "Undone").await;
    let _: String = h.script("const t = document.querySelector('textarea[aria-label=Message]'); t.value = ''; t.dispatchEvent(new Event('input', { bubbles: true })); return t.value").await;

    // From the bulk bar, on two tickets.
    h.keys(&char::from(Key::Escape).to_string()).await;
    for n in &picks[..2] {
        h.click_css(&format!(".row[data-number='{n}'] [data-testid=row-pick]")).await;
    }
    h.wait_text("[data-testid=bulk-count]", "2").await;
    h.click_css("[data-testid=bulk-macro] option[value='Escalate to network']").await;
    h.wait_text("[data-testid=toast]", "Macro “Escalate to network”").await;
    let held = format!(
        "return [{}].every(n => document.querySelector(`.row[data-number='${{n}}'] [data-testid=row-status]`)?.classList.contains('st-on_hold'))",
        picks[..2].join(",")
    );
    if !h.settles(&held).await {
        return Err(format!("the macro from the bulk bar did not put {:?} on hold", &picks[..2]));
    }
    h.keys(&format!("{}z{}", char::from(Key::Control), char::from(Key::Null))).await;
    h.wait_text("[data-testid=toast]", "Undone").await;
    let back = held.replace(".every(", ".some(");
    if !h.settles(&format!("return !(() => {{ {back} }})()")).await {
        return Err("Ctrl+Z did not take the bulk macro back".into());
    }
    // Merge from the bulk bar: it asks into which (the oldest picked is offered) and says it
    // cannot be undone; the other leaves My open, closed as its duplicate.
    for n in &picks[1..3] {
        h.click_css(&format!(".row[data-number='{n}'] [data-testid=row-pick]")).await;
    }
    h.wait_text("[data-testid=bulk-count]", "2").await;
    h.click_css("[data-testid=bulk-merge]").await;
    let into: String = h.script("return document.querySelector('[data-testid=bulk-merge-into]').value").await;
    let (a, b) = (picks[1].parse::<i64>().unwrap_or(0), picks[2].parse::<i64>().unwrap_or(0));
    if into != a.min(b).to_string() {
        return Err(format!("the merge offered #{into}, not the oldest picked of #{a} and #{b}"));
    }
    h.shot("05i-bulk-merge").await;
    h.click_css("[data-testid=bulk-merge-go]").await;
    h.wait_text("[data-testid=toast]", &format!("Merged into #{into}")).await;
    if h.script::<bool>("return document.querySelector('[data-testid=toast-undo]') !== null").await {
        return Err("a merge offered an undo it cannot keep".into());
    }
    let gone = a.max(b);
    if !h.settles(&format!("return document.querySelector(\".row[data-number='{gone}']\") === null")).await {
        return Err(format!("#{gone}, merged into #{into}, is still in My open"));
    }
    Ok(())
}

/// Saved views built in the window (issue 17): a new view from filters shows its count as it
/// is built, lands in the sidebar and lists only what it says; renamed in place; deleted.
async fn views_built_in_the_window(h: &Harness) -> Result<(), String> {
    h.click_css("[data-testid=new-view]").await;
    h.css("[data-testid=view-editor]").await;
    h.type_into("[data-testid=view-name]", "Urgent and open").await;
    h.click_css("[data-testid=view-priority-urgent]").await;
    h.click_css("[data-testid=view-status-open]").await;
    // The count follows the form a moment after its last change.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    h.wait_text("[data-testid=view-matches]", "match now").await;
    let counted: String = h.script("return document.querySelector('[data-testid=view-matches]').textContent.replace(/[^0-9]/g, '')").await;
    h.shot("05g-view-editor").await;
    h.screen_reader_names("the view editor").await?;
    h.click_css("[data-testid=view-save]").await;
    h.wait_text("section.list header", "Urgent and open").await;
    h.css("[data-testid=saved-views] [data-view='Urgent and open']").await;
    let header = "return document.querySelector('section.list header').textContent.replace(/[^0-9]/g, '')";
    if !h.settles(&format!("{header} === '{counted}'")).await {
        let header: String = h.script(header).await;
        return Err(format!("the editor counted {counted} tickets, the saved view lists {header}"));
    }
    // The rows are the view's once they have arrived (the header changes first).
    let rows = "[...document.querySelectorAll('.row[data-number]')]";
    let only = format!("return {rows}.length > 0 && {rows}.every(r => r.querySelector('.p-urgent') && r.querySelector('.st-open'))");
    if !h.settles(&only).await {
        let wrong: usize =
            h.script(&format!("return {rows}.filter(r => !r.querySelector('.p-urgent') || !r.querySelector('.st-open')).length")).await;
        return Err(format!("the view 'Urgent and open' lists {wrong} tickets that are not urgent and open"));
    }
    h.shot("05h-saved-view-in-the-sidebar").await;
    // Renamed: the same view under its new name, the old name gone.
    h.click_css("[data-testid=saved-views] button[aria-label='Edit view Urgent and open']").await;
    h.type_into("[data-testid=view-name]", "Urgent now").await;
    h.click_css("[data-testid=view-save]").await;
    h.wait_text("section.list header", "Urgent now").await;
    if !h.settles("return !document.querySelector(\"[data-view='Urgent and open']\") && !!document.querySelector(\"[data-view='Urgent now']\")").await
    {
        return Err("the renamed view is not in the sidebar under its new name alone".into());
    }
    h.click_css("[data-testid=saved-views] button[aria-label='Edit view Urgent now']").await;
    h.click_css("[data-testid=view-delete]").await;
    h.click_css("[data-testid=view-delete-yes]").await;
    h.wait_text("section.list header", "My open").await;
    if !h.settles("return !document.querySelector(\"[data-view='Urgent now']\")").await {
        return Err("the deleted view is still in the sidebar".into());
    }
    Ok(())
}

/// Email: the mailbox is set up in Settings (its password goes to the keyring), a customer's
/// mail delivered to a real Dovecot shows as a ticket within seconds (IDLE), the agent
/// answers, and the reply reaches a real SMTP server threaded to the customer's mail; the
/// mail log on the Health page says what happened. Hostile names and subjects stay text.
async fn mail_arrives_and_is_answered(h: &Harness, data: &Path) -> Result<(), String> {
    let keyring_home = data.join("keyring-home");
    std::fs::create_dir_all(&keyring_home).unwrap();
    mail_servers::keyring(&keyring_home);
    let dove = mail_servers::Dovecot::start();
    let smtp = mail_servers::SmtpRecorder::start();
    h.xpath("//nav//button[contains(., 'Settings')]").await.click().await.unwrap();
    h.type_into("[data-testid=mail-address]", "support@casebook.test").await;
    h.type_into("[data-testid=mail-name]", "Casebook Demo Support").await;
    h.css("[data-testid=mail-save-identity]").await.click().await.unwrap();
    h.wait_text("[data-testid=mail-settings] [role=status]", "Saved").await;
    h.type_into("[data-testid=imap-host]", "127.0.0.1").await;
    h.type_into("[data-testid=imap-port]", &dove.port.to_string()).await;
    h.type_into("[data-testid=imap-user]", "alice").await;
    h.type_into("[data-testid=imap-password]", "secret").await;
    h.type_into("[data-testid=smtp-host]", "127.0.0.1").await;
    h.type_into("[data-testid=smtp-port]", &smtp.port.to_string()).await;
    for select in ["imap-security", "smtp-security"] {
        h.client
            .execute(
                &format!("const s = document.querySelector('[data-testid={select}]'); s.value = 'none'; s.dispatchEvent(new Event('change', {{ bubbles: true }}));"),
                vec![],
            )
            .await
            .map_err(|e| e.to_string())?;
    }
    h.css("[data-testid=mail-save-mailbox]").await.click().await.unwrap();
    // Saved and connected, or the error in words.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let said: String = h
            .script("const s = document.querySelector('[data-testid=mail-settings] [role=status], [data-testid=mail-error]'); return s ? s.textContent : ''")
            .await;
        if said.contains("the mailbox answered") {
            break;
        }
        if Instant::now() > deadline || (!said.is_empty() && !said.contains("Saved.")) {
            h.shot("07j-mail-settings-failed").await;
            return Err(format!("the mailbox was not saved and connected: {said}"));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    h.wait_text("[data-testid=mail-state]", "new mail shows within seconds").await;
    h.shot("07j-mail-settings").await;
    if std::fs::read(data.join("casebook.db")).unwrap_or_default().windows(b"secret".len()).any(|w| w == b"secret") {
        return Err("the IMAP password is in the database".into());
    }

    // A customer writes; the ticket shows within seconds (IDLE pushes it).
    let mail = "From: \"Hana <img src=x onerror=window.__xss=5>\" <hana@customer.example>\r\nTo: support@casebook.test\r\n\
        Subject: Quokka scanner <script>window.__xss=6</script> stops at page 2\r\nMessage-ID: <quokka-1@customer.example>\r\n\
        Date: Tue, 1 Dec 2026 09:00:00 +0000\r\n\r\nThe scanner stops after the second page every time.\r\n";
    let delivered = Instant::now();
    dove.deliver("INBOX", mail.as_bytes());
    h.click_css("button.view[data-view=all]").await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !h
        .script::<bool>("return !!document.querySelector('.list') && document.querySelector('.list').textContent.includes('Quokka scanner')")
        .await
    {
        if Instant::now() > deadline {
            h.shot("07j-mail-never-arrived").await;
            let log = Command::new(cli_binary()).arg("--db").arg(data.join("casebook.db")).args(["mail", "log"]).output();
            let log = log.map(|o| String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)).unwrap_or_default();
            return Err(format!("the delivered mail never showed in the list; the mail log says:\n{log}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let seconds = delivered.elapsed().as_secs_f64();
    println!("mail → ticket on screen: {seconds:.1} s");
    h.xpath("//*[@role='option'][contains(., 'Quokka scanner')]").await.click().await.map_err(|e| e.to_string())?;
    h.wait_text("article.ticket h1", "Quokka scanner <script>").await;
    h.wait_text("article.ticket [data-testid=mail-line]", "hana@customer.example").await;
    let clean: bool =
        h.script("return window.__xss === undefined && !document.querySelector('article.ticket h1 script, article.ticket .thread img')").await;
    if !clean {
        return Err("hostile mail became markup".into());
    }
    h.css("[data-testid=mode-reply]").await.click().await.unwrap();
    h.type_into("textarea[aria-label=Message]", "Please update the scanner driver to 4.2; that fixes the page-2 stop.").await;
    h.css("[data-testid=send]").await.click().await.unwrap();
    h.wait_text("article.ticket [data-testid=outbox-status]", "sent").await;
    h.shot("07k-mail-answered").await;
    let got = smtp.received();
    let reply = got.iter().find(|m| m.contains("scanner driver to 4.2")).ok_or("the reply never reached the SMTP server")?;
    for needle in ["In-Reply-To: <quokka-1@customer.example>", "To: hana@customer.example", "Subject: Re: Quokka scanner"] {
        if !reply.contains(needle) {
            return Err(format!("the reply lacks {needle}:\n{reply}"));
        }
    }
    // The mail log says where the mail went.
    h.css("[data-testid=health-nav]").await.click().await.unwrap();
    h.wait_text("[data-testid=mail-log]", "hana@customer.example").await;
    h.wait_text("[data-testid=mail-log]", "sent").await;
    h.shot("07l-mail-log").await;
    Ok(())
}

/// PSS in KiB of a process and all its descendants (the app, WebKitWebProcess,
/// WebKitNetworkProcess): what the app really costs, shared libraries counted once.
fn pss_kib_of_tree(root: u32) -> u64 {
    let mut total = 0;
    let mut stack = vec![root];
    while let Some(pid) = stack.pop() {
        if let Ok(s) = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")) {
            total +=
                s.lines().find(|l| l.starts_with("Pss:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        }
        if let Ok(children) = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")) {
            stack.extend(children.split_whitespace().filter_map(|c| c.parse::<u32>().ok()));
        }
    }
    total
}

fn pid_of(name: &str) -> Option<u32> {
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: u32 = e.file_name().to_str()?.parse().ok()?;
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
        (comm.trim() == name).then_some(pid)
    })
}

/// Reported, not asserted (the machines are shared): cold start to the first painted list,
/// memory, and opening a ticket, on a workspace of `CASEBOOK_PERF_TICKETS` (default 100,000)
/// tickets made by the CLI. Run: `dbus-run-session -- cargo test --test e2e perf -- --ignored --nocapture`.
#[tokio::test]
#[ignore = "a measurement, run by hand (see README)"]
async fn perf_figures() {
    let tickets: usize = std::env::var("CASEBOOK_PERF_TICKETS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let data = tempfile::tempdir().unwrap();
    let cli = target_dir().join(if target_dir().join("release/casebook").exists() { "release/casebook" } else { "debug/casebook" });
    let status = Command::new(&cli)
        .arg("--db")
        .arg(data.path().join("casebook.db"))
        .args(["demo", "--tickets", &tickets.to_string()])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let _display = private_display(); // one display for every run
    let mut starts = vec![];
    let mut report = String::new();
    for run in 0..3 {
        let started = Instant::now();
        let h = Harness::start(data.path(), &[]).await;
        // Painted: the views with their counts and the first view's list (empty for this admin).
        h.css("[data-view=all] .count").await;
        h.css("section.list header").await;
        starts.push(started.elapsed().as_secs_f64());
        h.css("[data-view=all]").await.click().await.unwrap();
        h.css(".row[data-number]").await;
        if run == 2 {
            tokio::time::sleep(Duration::from_secs(3)).await;
            let pss = pid_of("casebook-deskto").map(pss_kib_of_tree).unwrap_or(0);
            // Five of the tickets opened have a draft (issue 17: "opening a ticket with its draft").
            for i in 0..5 {
                let _: bool = h
                    .client
                    .execute_async(
                        "const done = arguments[arguments.length - 1];
                         const rows = document.querySelectorAll('.row[data-number]');
                         const row = rows[arguments[0] % rows.length]; const n = row.dataset.number; row.click();
                         (function wait() { const t = document.querySelector('textarea[aria-label=Message]'); const h = document.querySelector('article.ticket h1');
                           if (t && h && h.textContent.includes('#' + n)) { t.value = 'Draft for #' + n; t.dispatchEvent(new Event('input', { bubbles: true })); done(true); }
                           else requestAnimationFrame(wait); })();",
                        vec![serde_json::json!(i * 3 + 1)],
                    )
                    .await
                    .map(|v| v.as_bool().unwrap_or(false))
                    .unwrap();
            }
            let mut opens = vec![];
            for i in 0..20 {
                opens.push(open_ticket_ms(&h, i * 3 + 1).await);
            }
            opens.sort_by(|a, b| a.partial_cmp(b).unwrap());
            // One ticket opened after a pause, the side panels of the last one done.
            let mut single = vec![];
            for i in 0..6 {
                tokio::time::sleep(Duration::from_millis(1500)).await;
                single.push(open_ticket_ms(&h, i * 5 + 2).await);
            }
            single.sort_by(|a, b| a.partial_cmp(b).unwrap());
            // Of which the engine's answer over IPC (the page's two calls, as it makes them).
            let mut ipc = vec![];
            for i in 0..10 {
                let ms: f64 = serde_json::from_value(
                    h.client
                        .execute_async(
                            "const done = arguments[arguments.length - 1];
                             const rows = document.querySelectorAll('.row[data-number]');
                             const number = Number(rows[arguments[0] % rows.length].dataset.number);
                             const invoke = window.__TAURI_INTERNALS__.invoke; const t0 = performance.now();
                             Promise.all([invoke('ticket_detail', { number }), invoke('ticket_history', { number })]).then(() => done(performance.now() - t0));",
                            vec![serde_json::json!(i * 5 + 3)],
                        )
                        .await
                        .unwrap(),
                )
                .unwrap();
                ipc.push(ms);
            }
            ipc.sort_by(|a, b| a.partial_cmp(b).unwrap());
            // Switching the window's language: from the choice to the next frame painted with
            // the sidebar in the new language.
            let mut switches = vec![];
            for (lang, label) in [("ko", "전체"), ("pl", "Wszystkie"), ("en", "All")].iter().cycle().take(9) {
                let ms: f64 = serde_json::from_value(
                    h.client
                        .execute_async(
                            "const done = arguments[arguments.length - 1];
                             const l = [...document.querySelectorAll('select')].find(x => [...x.options].some(o => o.value === 'ko'));
                             const [want, label] = [arguments[0], arguments[1]];
                             const t0 = performance.now(); l.value = want; l.dispatchEvent(new Event('change', { bubbles: true }));
                             (function wait() { const v = document.querySelector('[data-view=all] span');
                               if (v && v.textContent === label) requestAnimationFrame(() => done(performance.now() - t0)); else requestAnimationFrame(wait); })();",
                            vec![serde_json::json!(lang), serde_json::json!(label)],
                        )
                        .await
                        .unwrap(),
                )
                .unwrap();
                switches.push(ms);
            }
            switches.sort_by(|a, b| a.partial_cmp(b).unwrap());
            // Typing in the palette, a key every 100 ms (a fast typist): from each key to the
            // frame painted with that text's results. A key whose text is overtaken before its
            // answer counts as not answered (the palette asks for the newest text only).
            h.css(".brand button.search").await.click().await.unwrap();
            h.css("[data-testid=search-input]").await;
            let mut typing: Vec<f64> = vec![];
            let mut keys = 0;
            for word in ["printer offline", "password reset", "vpn drops", "serwer", "invoice"] {
                let times: Vec<f64> = serde_json::from_value(
                    h.client
                        .execute_async(
                            "const done = arguments[arguments.length - 1];
                             const word = arguments[0]; const input = document.querySelector('[data-testid=search-input]');
                             const times = []; let i = 0;
                             input.value = ''; input.dispatchEvent(new Event('input', { bubbles: true }));
                             function key() {
                               if (i >= word.length) { setTimeout(() => done(times), 600); return; }
                               const text = word.slice(0, ++i); const t0 = performance.now();
                               input.value = text; input.dispatchEvent(new Event('input', { bubbles: true }));
                               (function wait() { const p = document.querySelector('.palette');
                                 if (p && p.dataset.answered === text) requestAnimationFrame(() => times.push(performance.now() - t0));
                                 else if (input.value === text) requestAnimationFrame(wait); })();
                               setTimeout(key, 100);
                             }
                             setTimeout(key, 300);",
                            vec![serde_json::json!(word)],
                        )
                        .await
                        .unwrap(),
                )
                .unwrap();
                keys += word.chars().count();
                typing.extend(times);
            }
            typing.sort_by(|a, b| a.partial_cmp(b).unwrap());
            h.css("[data-testid=search-input]").await.send_keys(&char::from(Key::Escape).to_string()).await.unwrap();
            // Scrolling All from the top to the last ticket, a hundred rows a frame (a fast
            // fling; the list loads 200 rows a page as it nears the end): every frame's length.
            // It runs longer than WebDriver's script timeout: started here, read when done.
            h.client
                .execute(
                    "const el = document.querySelector('.vlist'); el.scrollTop = 0; window.__scroll = null;
                     const frames = []; let last = 0; let moved = 0; let t0 = 0;
                     function step(now) {
                       frames.push(now - last); last = now;
                       const before = el.scrollTop; el.scrollTop = before + 5400;
                       if (el.scrollTop !== before) moved = now;
                       if (now - moved > 5000 || now - t0 > 240000) window.__scroll = { frames, height: el.scrollHeight, seconds: (moved - t0) / 1000 };
                       else requestAnimationFrame(step);
                     }
                     requestAnimationFrame((now) => { last = now; t0 = now; moved = now; requestAnimationFrame(step); });",
                    vec![],
                )
                .await
                .unwrap();
            let scroll = loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let v = h.client.execute("return window.__scroll;", vec![]).await.unwrap();
                if !v.is_null() {
                    break v;
                }
            };
            let mut frames: Vec<f64> = serde_json::from_value(scroll["frames"].clone()).unwrap();
            // The frames of the last 5 s waited at the bottom for a page that never came.
            let mut waited = 0.0;
            while waited < 5000.0 {
                match frames.pop() {
                    Some(f) => waited += f,
                    None => break,
                }
            }
            let slow = frames.iter().filter(|&&f| f > 50.0).count();
            frames.sort_by(|a, b| a.partial_cmp(b).unwrap());
            let rows_reached = scroll["height"].as_f64().unwrap_or(0.0) / 54.0;
            let p95 = |v: &[f64]| v[((v.len() as f64 * 0.95).ceil() as usize).clamp(1, v.len()) - 1];
            report = format!(
                "memory (PSS, app + WebKit processes) {:.0} MB; opening tickets one after another (5 of 20 with a draft) p50 {:.0} ms, p95 {:.0} ms; one after a pause p50 {:.0} ms, max {:.0} ms (of which the engine over IPC p50 {:.0} ms); switching language p50 {:.0} ms, p95 {:.0} ms; typing in the palette to results shown p50 {:.0} ms, p95 {:.0} ms ({} of {} keys answered for their own text); scrolling All to its end ({:.0} rows, {:.1} s) frames p50 {:.1} ms, p95 {:.1} ms, max {:.0} ms, {} of {} over 50 ms",
                pss as f64 / 1024.0,
                opens[opens.len() / 2],
                p95(&opens),
                single[single.len() / 2],
                single[single.len() - 1],
                ipc[ipc.len() / 2],
                switches[switches.len() / 2],
                p95(&switches),
                typing.get(typing.len() / 2).copied().unwrap_or(f64::NAN),
                if typing.is_empty() { f64::NAN } else { p95(&typing) },
                typing.len(),
                keys,
                rows_reached,
                scroll["seconds"].as_f64().unwrap_or(0.0),
                frames.get(frames.len() / 2).copied().unwrap_or(f64::NAN),
                if frames.is_empty() { f64::NAN } else { p95(&frames) },
                frames.last().copied().unwrap_or(f64::NAN),
                slow,
                frames.len()
            );
        }
        h.client.clone().close().await.ok();
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    starts.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "\n{tickets} tickets: cold start to the first painted list (WebDriver session included) median {:.2} s (of {:?}); {report}\n",
        starts[1], starts
    );
}

/// Clicks the list's row `index` (modulo the rows loaded) and measures, in the page, the time
/// until the ticket page shows that ticket.
async fn open_ticket_ms(h: &Harness, index: usize) -> f64 {
    let js = "const done = arguments[arguments.length - 1];
              const rows = document.querySelectorAll('.row[data-number]');
              const row = rows[arguments[0] % rows.length];
              const n = row.dataset.number; const t0 = performance.now(); row.click();
              (function wait() { const h = document.querySelector('article.ticket h1');
                if (h && h.textContent.includes('#' + n)) done(performance.now() - t0); else requestAnimationFrame(wait); })();";
    serde_json::from_value(h.client.execute_async(js, vec![serde_json::json!(index)]).await.unwrap()).unwrap()
}

/// At least a hundred hostile strings: markup and handlers, SVG, `javascript:` URLs, CSS,
/// template breakouts (Svelte, JS template literals, mustache), broken markup, right-to-left
/// and zero-width characters, very long words — each in a few forms.
fn hostile_payloads() -> Vec<String> {
    let base: Vec<String> = vec![
        "<script>window.__xss=1</script>".into(),
        "<img src=x onerror=\"window.__xss=2\">".into(),
        "<svg onload=\"window.__xss=3\"></svg>".into(),
        "<svg><script>window.__xss=4</script></svg>".into(),
        "<a href=\"javascript:window.__xss=5\">click</a>".into(),
        "<iframe src=\"javascript:window.__xss=6\"></iframe>".into(),
        "<body onload=window.__xss=7>".into(),
        "<div style=\"position:fixed;inset:0;background:red;z-index:9999\">cover</div>".into(),
        "<style>*{display:none !important}</style>".into(),
        "${window.__xss=8}".into(),
        "`${window.__xss=9}`".into(),
        "{{constructor.constructor('window.__xss=10')()}}".into(),
        "{@html '<img src=x onerror=window.__xss=11>'}".into(),
        "\"><img src=x onerror=window.__xss=12>".into(),
        "'><svg/onload=window.__xss=13>".into(),
        "</textarea><script>window.__xss=14</script>".into(),
        "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=15>".into(),
        "<details open ontoggle=window.__xss=16>".into(),
        "<input autofocus onfocus=window.__xss=17>".into(),
        "<object data=\"javascript:window.__xss=18\"></object>".into(),
        "<<script>window.__xss=19//<</script>".into(),
        "&lt;script&gt;window.__xss=20&lt;/script&gt; &amp; &#60;b&#62;".into(),
        "\u{202E}gnp.exe\u{202C} right-to-left override".into(),
        "zero\u{200B}width\u{200D}joiner\u{FEFF}bom\u{2060}".into(),
        "W".repeat(300),
        "שלום עולם مرحبا بالعالم mixed direction".into(),
        "<marquee onstart=window.__xss=21>moving</marquee>".into(),
        "javascript:window.__xss=22".into(),
        "<meta http-equiv=\"refresh\" content=\"0;url=javascript:window.__xss=23\">".into(),
        "<svg><a xlink:href=\"javascript:window.__xss=24\"><text y=20>svg link</text></a></svg>".into(),
    ];
    let mut out = Vec::new();
    for (i, p) in base.iter().enumerate() {
        out.push(p.clone());
        out.push(format!("printer {p} jam"));
        out.push(format!("{p}{p}"));
        out.push(format!("Hello {} world {i}", p.to_uppercase()));
    }
    out
}

/// Issue 20: hostile text in every surface of the window — list, ticket page, similar panel,
/// palette, alert centre, dashboard, rules, macros — never runs (the marker stays undefined,
/// no element is made of it), never widens the page past the window.
#[tokio::test]
#[ignore = "needs Xvfb, WebKitWebDriver and tauri-driver: run through scripts/test"]
async fn hostile_text_in_every_surface_stays_text() {
    use casebook::model::{MessageKind, NewMessage, NewTicket, Status};
    let payloads = hostile_payloads();
    assert!(payloads.len() >= 100);
    let data = tempfile::tempdir().unwrap();
    let db = data.path().join("casebook.db");
    let cli = cli_binary();
    assert!(Command::new(&cli).arg("--db").arg(&db).args(["demo", "--tickets", "300"]).stdout(Stdio::null()).status().unwrap().success());
    {
        let mut ws = casebook::Workspace::open(&db, std::sync::Arc::new(casebook::SystemClock)).unwrap();
        let mut alerts = ws.alert_settings().clone();
        alerts.keywords.push("printer".into());
        ws.set_alert_settings(alerts).unwrap();
        let (mut made, mut refused) = (0, 0);
        for (i, p) in payloads.iter().enumerate() {
            let ticket = NewTicket {
                subject: p.chars().take(200).collect(),
                description: format!("printer {p}"),
                requester_email: format!("mallory{i}@evil.example"),
                requester_name: Some(p.chars().take(100).collect()),
                organisation: Some(p.chars().take(100).collect()),
                ..Default::default()
            };
            // Bad input is refused with a clear error, never half-written: both are fine here.
            let Ok(t) = ws.create_ticket(&ticket) else {
                refused += 1;
                continue;
            };
            made += 1;
            let _ = ws.add_message(t.number, &NewMessage::new(MessageKind::Internal, p.as_str()));
            let _ = ws.add_message(t.number, &NewMessage::new(MessageKind::Customer, format!("printer again {p}")));
            if i % 2 == 0 {
                let _ = ws.add_message(t.number, &NewMessage::new(MessageKind::Public, format!("Fix: {p}")));
                let _ = ws.set_status(t.number, Status::Resolved, None);
            }
            if i % 10 == 0 {
                // Macros that act (their changes are listed in words in Settings) and saved views
                // in the sidebar carry the payloads too.
                let tags = casebook::bulk::BulkChange::AddTags { tags: vec![format!("t{i}")] };
                let _ = ws.save_macro(&format!("Macro {i} {}", p.chars().take(40).collect::<String>()), p, &[tags]);
                if i % 30 == 0 {
                    let _ = ws.save_view(&format!("View {i} {}", p.chars().take(40).collect::<String>()), &Default::default(), true);
                }
                let rule: casebook::rules::RuleDefinition = serde_json::from_value(serde_json::json!({
                    "name": format!("Rule {i} {}", p.chars().take(60).collect::<String>()), "kind": "time", "enabled": false,
                    "note": p, "all": [{ "if": "status", "values": ["open"], "not": false }], "actions": [{ "do": "add_note", "body": p }]
                }))
                .unwrap();
                let _ = ws.save_rule(None, rule);
            }
        }
        assert!(made >= 100, "{made} hostile tickets made, {refused} refused");
        // And a hostile HTML mail, through the import a dropped .eml takes.
        let eml = std::env::var_os("CARGO_MANIFEST_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into())
            .join("tests/fixtures/hostile-html.eml");
        assert_eq!(ws.import_mail(&eml).unwrap().new_tickets, 1);
    }
    let h = Harness::start(data.path(), &[]).await;
    let result = hostile_tour(&h).await;
    let _ = h.shot("zz-hostile-last").await;
    h.client.clone().close().await.ok();
    result.unwrap();
}

/// What must hold on every screen of the hostile tour.
const UNHARMED: &str = "return JSON.stringify({
    xss: window.__xss === undefined ? null : window.__xss,
    made: document.querySelectorAll('[onerror],[onload],[onfocus],[ontoggle],[onstart],[onmouseover],iframe,object,marquee,meta[http-equiv],main script,main style,details').length,
    wide: document.documentElement.scrollWidth > window.innerWidth + 1 ? document.documentElement.scrollWidth : 0,
    spilt: [...document.querySelectorAll('main select, main .card, main .msg, main h1')].filter(e => e.getBoundingClientRect().right > e.parentElement.getBoundingClientRect().right + 1).map(e => e.tagName + '.' + e.className).slice(0, 3),
})";

async fn unharmed(h: &Harness, screen: &str) -> Result<(), String> {
    let report: String = h.script(UNHARMED).await;
    if report != r#"{"xss":null,"made":0,"wide":0,"spilt":[]}"# {
        h.shot(&format!("zz-hostile-{screen}")).await;
        return Err(format!("{screen}: {report}"));
    }
    Ok(())
}

async fn hostile_tour(h: &Harness) -> Result<(), String> {
    h.css("[data-view=all] .count").await;
    h.css("[data-view=all]").await.click().await.unwrap();
    h.css(".row[data-number]").await;
    unharmed(h, "list").await?;
    h.shot("11-hostile-list").await;
    // Ticket pages: the thread, the requester, the organisation, similar solved tickets with
    // hostile fixes and matched words, the suggestions.
    h.click_css(".row[data-number]").await;
    for i in 0..6 {
        // By keyboard, as an agent moves down a queue: j j j, Enter.
        h.keys(&char::from(Key::Escape).to_string()).await;
        for _ in 0..(i * 3) {
            h.keys("j").await;
        }
        let n: i64 = h.script("return Number(document.querySelector('.row.selected').dataset.number)").await;
        h.keys(&char::from(Key::Enter).to_string()).await;
        h.wait_text("article.ticket h1", &format!("#{n}")).await;
        tokio::time::sleep(Duration::from_millis(700)).await;
        unharmed(h, &format!("ticket-{n}")).await?;
        if i == 0 {
            h.shot("11b-hostile-ticket").await;
        }
    }
    // The hostile HTML mail, shown formatted: what the sanitiser let through is rendered with
    // {@html}, so nothing in it may run, load from elsewhere or take over the page.
    h.keys(&char::from(Key::Escape).to_string()).await;
    // The list is virtual: scroll back to its top, where the newest ticket is.
    let _: bool = h
        .script("const s = [...document.querySelectorAll('section.list *')].find(e => e.scrollHeight > e.clientHeight + 10 && ['auto', 'scroll'].includes(getComputedStyle(e).overflowY)); if (s) s.scrollTop = 0; return !!s")
        .await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let mail: i64 = h
        .script("return Number([...document.querySelectorAll('.row[data-number]')].find(r => r.textContent.includes('zxqhtmlmail'))?.dataset.number ?? 0)")
        .await;
    if mail == 0 {
        return Err("the hostile HTML mail's ticket is not in the list".into());
    }
    h.click_css(&format!(".row[data-number='{mail}']")).await;
    h.wait_text("article.ticket h1", "zxqhtmlmail").await;
    h.click_css("[data-testid=show-formatted]").await;
    h.wait_text("[data-testid=html-mail]", "on fire").await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    // As every screen, but a <details> (kept by the sanitiser, its ontoggle gone) is mail's own.
    let made: String = h
        .script("return [...document.querySelectorAll('[onerror],[onload],[onfocus],[ontoggle],[onstart],[onmouseover],iframe,object,marquee,meta[http-equiv],main script,main style,details')].map(e => e.tagName.toLowerCase() + (e.closest('[data-testid=html-mail]') ? '@mail' : '')).join(' ')")
        .await;
    if made != "details@mail" {
        return Err(format!("html-mail: elements made of the mail: {made}"));
    }
    let ok: bool = h.script("return window.__xss === undefined && document.documentElement.scrollWidth <= window.innerWidth + 1").await;
    if !ok {
        return Err("html-mail: the marker was set or the page grew wider than the window".into());
    }
    let leaks: String = h
        .script(
            "const m = document.querySelector('[data-testid=html-mail]'); return JSON.stringify({
                js: m.querySelectorAll('a[href^=\"javascript:\"], a[href^=\"data:\"], [formaction], form, input, base, svg, math, embed, style').length,
                remote: [...m.querySelectorAll('img')].filter(i => /^https?:/.test(i.getAttribute('src') ?? '')).length,
                styled: m.querySelectorAll('[style*=fixed]').length,
                covers: [...m.querySelectorAll('*')].some(e => ['fixed', 'absolute', 'sticky'].includes(getComputedStyle(e).position)),
            })",
        )
        .await;
    if leaks != r#"{"js":0,"remote":0,"styled":0,"covers":false}"# {
        return Err(format!("the formatted HTML mail let through {leaks}"));
    }
    h.shot("11e-hostile-html-mail").await;
    h.keys(&char::from(Key::Escape).to_string()).await;
    // The palette.
    h.keys("/").await;
    h.type_into("[data-testid=search-input]", "printer").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    unharmed(h, "palette").await?;
    h.shot("11c-hostile-palette").await;
    h.keys(&char::from(Key::Escape).to_string()).await;
    // The alert centre (keyword alerts on hostile customer messages), the dashboard, rules,
    // settings (macros).
    for (nav, screen) in [
        ("[data-testid=alerts-nav]", "alerts"),
        ("[data-testid=dashboard-nav]", "dashboard"),
        ("[data-testid=rules-nav]", "rules"),
        ("[data-testid=settings-nav]", "settings"),
    ] {
        h.css(nav).await.click().await.unwrap();
        tokio::time::sleep(Duration::from_millis(1200)).await;
        unharmed(h, screen).await?;
        h.shot(&format!("11d-hostile-{screen}")).await;
    }
    Ok(())
}
