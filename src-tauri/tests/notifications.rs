//! The real delivery path against a real notification daemon: Debian's `dunst` on a private
//! X display (Xvfb) and the private D-Bus session of `dbus-run-session`. It sends through
//! notify-rust exactly as the app does, then reads back what dunst received.
//!
//! Run by scripts/test as:
//!   dbus-run-session -- cargo test --workspace --test notifications -- --ignored

use casebook::model::{MessageKind, NewMessage, NewTicket, Priority};
use casebook::{FixedClock, Workspace, WorkspaceInit};
use casebook_desktop::notifications::{scan_and_deliver, APP_NAME};
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

const DISPLAY: &str = ":96";

struct Daemons(Vec<Child>);

impl Drop for Daemons {
    fn drop(&mut self) {
        for c in self.0.iter_mut().rev() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    for _ in 0..100 {
        if ok() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("{what} did not come up within 10 s");
}

fn start_daemons() -> Daemons {
    assert!(std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(), "run this test inside `dbus-run-session --` so it has a private session bus");
    let xvfb = Command::new("Xvfb").args([DISPLAY, "-screen", "0", "1280x800x24", "-nolisten", "tcp"]).stderr(Stdio::null()).spawn().expect("Xvfb");
    let mut daemons = Daemons(vec![xvfb]);
    // Accepting connections, not just a socket file: a killed Xvfb leaves its socket behind,
    // and dunst started before the new server listens exits at once.
    wait_for("Xvfb", || std::os::unix::net::UnixStream::connect(format!("/tmp/.X11-unix/X{}", &DISPLAY[1..])).is_ok());
    // A private config: nothing from the machine's but Debian's default of reading body markup,
    // and a timeout per urgency so the history
    // (which does not list urgency) shows which one a notification had: critical ones stay.
    let config = std::env::temp_dir().join(format!("casebook-dunstrc-{}", std::process::id()));
    std::fs::write(&config, "[global]\nmarkup = full\n[urgency_low]\ntimeout = 4\n[urgency_normal]\ntimeout = 6\n[urgency_critical]\ntimeout = 0\n")
        .unwrap();
    let dunst =
        Command::new("dunst").arg("-config").arg(&config).env("DISPLAY", DISPLAY).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("dunst");
    daemons.0.push(dunst);
    wait_for("dunst on the session bus", || dunstctl(&["count", "displayed"]).is_some());
    daemons
}

fn dunstctl(args: &[&str]) -> Option<String> {
    let out = Command::new("dunstctl").args(args).env("DISPLAY", DISPLAY).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// (appname, summary, body, urgency) of every notification dunst has shown, oldest first;
/// the urgency as our private config's timeout for it tells (0 = critical).
fn received() -> Vec<(String, String, String, String)> {
    // `history` lists closed notifications only.
    dunstctl(&["close-all"]).expect("dunstctl close-all");
    std::thread::sleep(std::time::Duration::from_millis(200));
    let history: Value = serde_json::from_str(&dunstctl(&["history"]).expect("dunstctl history")).unwrap();
    let field = |n: &Value, k: &str| n[k]["data"].as_str().unwrap_or_default().to_string();
    let mut all: Vec<(i64, (String, String, String, String))> = history["data"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            let urgency = match n["timeout"]["data"].as_i64() {
                Some(0) => "CRITICAL",
                Some(6_000_000) => "NORMAL",
                other => panic!("unexpected timeout {other:?}"),
            };
            (n["id"]["data"].as_i64().unwrap_or(0), (field(n, "appname"), field(n, "summary"), field(n, "body"), urgency.to_string()))
        })
        .collect();
    all.sort_by_key(|(id, _)| *id);
    all.into_iter().map(|(_, n)| n).collect()
}

fn ts(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[test]
#[ignore = "needs dbus-run-session, Xvfb and dunst (scripts/test runs it)"]
fn alerts_reach_a_real_notification_daemon_once() {
    let _daemons = start_daemons();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ws.db");
    let clock = Arc::new(FixedClock::new(ts("2026-03-02T09:00:00Z")));
    let init = WorkspaceInit { name: "Test".into(), admin_name: "Mina Park".into(), admin_email: "mina@acme.test".into() };
    let mut ws = Workspace::create(&db, clock.clone(), &init).unwrap();
    let new = |subject: &str, body: &str, priority| NewTicket {
        subject: subject.into(),
        description: body.into(),
        requester_email: "kim.jiho@acme.kr".into(),
        priority: Some(priority),
        ..Default::default()
    };
    let vpn = ws.create_ticket(&new("VPN drops every 10 minutes", "Since Monday.", Priority::Urgent)).unwrap().number;
    let server = ws.create_ticket(&new("서버 접속 불가", "지금 서버 다운이에요", Priority::Low)).unwrap().number;
    let markup = ws.create_ticket(&new("<b>Tom & Jerry</b>", "Printer fine.", Priority::Low)).unwrap().number;
    clock.advance(Duration::minutes(12));
    ws.add_message(markup, &NewMessage::new(MessageKind::Customer, "Please call back ASAP!")).unwrap();
    let workspace = Mutex::new(Some(ws));

    let out = scan_and_deliver(&workspace, None).unwrap();
    assert_eq!((out.raised, out.notified, out.errors.len()), (1, 4, 0), "{out:?}");
    let got = received();
    let want = [
        (format!("#{server}: customer wrote “서버 다운”"), "서버 접속 불가 (Low priority)".to_string(), "NORMAL"),
        // The outage also set off the complexity rule, whose "notify" is an alert of its own.
        (format!("#{server}: Complex problem escalated to a senior agent"), "서버 접속 불가 (Low priority)".to_string(), "NORMAL"),
        // dunst reads body markup: the subject went escaped, so it shows as the literal text.
        (format!("#{markup}: customer wrote “asap”"), "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt; (Low priority)".to_string(), "NORMAL"),
        (format!("#{vpn}: first response at risk"), "VPN drops every 10 minutes — 3 min left (Urgent priority)".to_string(), "CRITICAL"),
    ];
    assert_eq!(got.len(), 4, "{got:#?}");
    for (n, (summary, body, urgency)) in got.iter().zip(want.iter()) {
        assert_eq!(n.0, APP_NAME);
        assert_eq!(&n.1, summary);
        assert_eq!(&n.2, body, "{got:#?}");
        assert_eq!(&n.3, urgency);
    }

    // The next scans send nothing again.
    for _ in 0..3 {
        let again = scan_and_deliver(&workspace, None).unwrap();
        assert_eq!((again.raised, again.notified), (0, 0));
    }
    assert_eq!(received().len(), 4);

    // Closed and reopened (as the app restarts): nothing is re-sent; a new breach is.
    let ws = workspace.lock().unwrap().take().unwrap();
    drop(ws);
    clock.advance(Duration::minutes(10));
    *workspace.lock().unwrap() = Some(Workspace::open(&db, clock.clone()).unwrap());
    let after = scan_and_deliver(&workspace, None).unwrap();
    assert_eq!((after.raised, after.notified), (1, 1));
    let got = received();
    assert_eq!(got.len(), 5);
    assert_eq!(got[4].1, format!("#{vpn}: first response overdue"));
    assert_eq!(got[4].2, "VPN drops every 10 minutes — 7 min over (Urgent priority)");
    assert_eq!(got[4].3, "CRITICAL");

    // Hostile subjects reach the daemon escaped, each as the literal text: markup that dunst
    // would read (tags, entities, links, images) never arrives as markup.
    let hostile = [
        "<img src=x onerror=alert(1)>",
        "<a href=\"javascript:alert(1)\">click</a>",
        "<svg/onload=alert(1)>",
        "<script>alert(1)</script>",
        "Tom &amp; Jerry &lt;3",
        "<b>bold</b><i>it</i><u>u</u>",
        "]]><![CDATA[x]]>",
        "\"quotes\" & 'apostrophes'",
        "\u{202E}gnp.exe",
        "pay\u{200B}ment",
        "${alert(1)}{{7*7}}",
        "<span style=\"font-size:999px\">big</span>",
    ];
    let escaped = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    for subject in hostile {
        let number = {
            let mut guard = workspace.lock().unwrap();
            let ws = guard.as_mut().unwrap();
            ws.create_ticket(&new(subject, "Please call back ASAP", Priority::Low)).unwrap().number
        };
        scan_and_deliver(&workspace, None).unwrap();
        let got = received();
        let keyword = got.iter().find(|n| n.1 == format!("#{number}: customer wrote “asap”")).unwrap_or_else(|| panic!("{subject}: {got:#?}"));
        assert_eq!(keyword.2, format!("{} (Low priority)", escaped(subject)), "{subject}");
    }
    let got = received();
    assert!(got.iter().all(|n| !n.2.contains('<') && !n.1.contains('<')), "{got:#?}");
}
