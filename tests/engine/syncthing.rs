//! Real replication: two Syncthing instances on 127.0.0.1 (throwaway homes, configured before
//! their first start: loopback only, no discovery, relays, NAT or reporting) carry the share
//! between two laptops. Both edit while the peer is paused through the REST API; after
//! resuming they converge, with the same tickets, numbers and digests, and the conflicts
//! listed. Needs the `syncthing` binary (Debian `syncthing`; scripts/system-deps installs it),
//! so it is ignored by a plain `cargo test` and run by scripts/test.

use crate::common::{env, ts, Env};
use casebook::events::replay;
use casebook::model::{NewTicket, Priority};
use casebook::{FixedClock, Workspace};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Syncthing {
    home: PathBuf,
    folder: PathBuf,
    id: String,
    listen: u16,
    gui: u16,
    key: String,
    child: Option<Child>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Syncthing {
    fn new(dir: &Path, name: &str) -> Syncthing {
        let home = dir.join(format!("{name}-home"));
        let folder = dir.join(format!("{name}-share"));
        std::fs::create_dir_all(folder.join(".stfolder")).unwrap();
        let out = Command::new("syncthing").arg("generate").arg(format!("--home={}", home.display())).arg("--no-default-folder").output();
        let out = out.expect("the syncthing binary (Debian `syncthing`) is needed: scripts/system-deps test installs it");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let id = Command::new("syncthing").arg("serve").arg(format!("--home={}", home.display())).arg("--device-id").output().unwrap();
        let id = String::from_utf8(id.stdout).unwrap().trim().to_string();
        Syncthing { home, folder, id, listen: free_port(), gui: free_port(), key: format!("key-{name}-{}", std::process::id()), child: None }
    }

    /// The whole config, written before the first start (the generated one listens on every
    /// interface and announces itself).
    fn configure(&self, peer: &Syncthing) {
        let config = format!(
            r#"<configuration version="36">
    <folder id="casebook" label="casebook" path="{folder}" type="sendreceive" rescanIntervalS="3600" fsWatcherEnabled="true" fsWatcherDelayS="1">
        <filesystemType>basic</filesystemType>
        <device id="{me}"></device>
        <device id="{peer}"></device>
    </folder>
    <device id="{me}" name="me" compression="metadata"><address>dynamic</address></device>
    <device id="{peer}" name="peer" compression="metadata"><address>tcp://127.0.0.1:{peer_port}</address></device>
    <gui enabled="true" tls="false"><address>127.0.0.1:{gui}</address><apikey>{key}</apikey></gui>
    <options>
        <listenAddress>tcp://127.0.0.1:{listen}</listenAddress>
        <globalAnnounceEnabled>false</globalAnnounceEnabled>
        <localAnnounceEnabled>false</localAnnounceEnabled>
        <relaysEnabled>false</relaysEnabled>
        <natEnabled>false</natEnabled>
        <crashReportingEnabled>false</crashReportingEnabled>
        <startBrowser>false</startBrowser>
        <announceLANAddresses>false</announceLANAddresses>
        <urAccepted>-1</urAccepted>
        <autoUpgradeIntervalH>0</autoUpgradeIntervalH>
        <stunKeepaliveStartS>0</stunKeepaliveStartS>
        <reconnectionIntervalS>5</reconnectionIntervalS>
    </options>
</configuration>
"#,
            folder = self.folder.display(),
            me = self.id,
            peer = peer.id,
            peer_port = peer.listen,
            gui = self.gui,
            key = self.key,
            listen = self.listen,
        );
        std::fs::write(self.home.join("config.xml"), config).unwrap();
    }

    fn start(&mut self) {
        let log = std::fs::File::create(self.home.join("log.txt")).unwrap();
        let child = Command::new("syncthing")
            .args(["serve", &format!("--home={}", self.home.display()), "--no-browser", "--no-restart", "--no-upgrade"])
            .env("STHASHING", "minio")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.get("/rest/system/ping").is_err() {
            assert!(Instant::now() < deadline, "syncthing did not answer: {}", self.log());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.home.join("log.txt")).unwrap_or_default()
    }

    fn get(&self, path: &str) -> Result<serde_json::Value, Box<ureq::Error>> {
        Ok(ureq::get(&format!("http://127.0.0.1:{}{path}", self.gui)).set("X-API-Key", &self.key).call()?.into_json().unwrap_or_default())
    }

    fn connected_to(&self, peer: &Syncthing) -> bool {
        self.get("/rest/system/connections").ok().and_then(|v| v["connections"][&peer.id]["connected"].as_bool()).unwrap_or(false)
    }

    /// Pauses or resumes the connection to `peer` (the laptop goes offline and comes back).
    fn set_peer_paused(&self, peer: &Syncthing, paused: bool) {
        ureq::request("PATCH", &format!("http://127.0.0.1:{}/rest/config/devices/{}", self.gui, peer.id))
            .set("X-API-Key", &self.key)
            .send_json(serde_json::json!({ "paused": paused }))
            .unwrap();
    }
}

impl Drop for Syncthing {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SIGTERM stops the monitor and its child; SIGKILL would leave the child behind.
            unsafe {
                libc::kill(child.id() as i32, libc::SIGTERM);
            }
            let deadline = Instant::now() + Duration::from_secs(5);
            while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn wait_for(what: &str, secs: u64, mut ok: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !ok() {
        assert!(started.elapsed() < Duration::from_secs(secs), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
    started.elapsed()
}

fn digest(e: &Env) -> String {
    replay::digest(e.ws.connection()).unwrap()
}

#[test]
#[ignore = "needs the syncthing binary; run by scripts/test"]
fn two_laptops_on_two_syncthing_instances_work_apart_and_converge() {
    let dir = tempfile::tempdir().unwrap();
    let mut sa = Syncthing::new(dir.path(), "a");
    let mut sb = Syncthing::new(dir.path(), "b");
    sa.configure(&sb);
    sb.configure(&sa);
    // The listening peer first: two nodes dialling each other at once can lose seconds.
    sa.start();
    sb.start();
    let t = wait_for("the two Syncthing instances to connect", 60, || sa.connected_to(&sb) && sb.connected_to(&sa));
    eprintln!("syncthing: connected after {t:?}");

    let mut a = env("2026-03-02T09:00:00Z");
    let first = a.ticket("VPN drops every hour", Priority::Low);
    a.ws.sync_init(&sa.folder).unwrap();
    // The new laptop joins from its own copy of the share once Syncthing has brought it.
    let b_dir = tempfile::tempdir().unwrap();
    let b_db = b_dir.path().join("ws.db");
    let clock = Arc::new(FixedClock::new(ts("2026-03-02T09:00:00Z")));
    let mut joined = None;
    let t = wait_for("the share to reach the second laptop", 60, || {
        joined = Workspace::join(&b_db, &sb.folder, clock.clone(), "mina@acme.test").ok();
        joined.is_some()
    });
    eprintln!("syncthing: joined after {t:?}");
    let mut b = Env { dir: b_dir, ws: joined.unwrap().0, clock };
    assert_eq!(b.ws.ticket(first).unwrap().subject, "VPN drops every hour");

    // A change on one laptop is seen on the other (the watcher's delay is 1 s).
    let mut delays = Vec::new();
    for i in 0..3 {
        let n = a.ticket(&format!("Change {i}"), Priority::Low);
        a.ws.sync_pass().unwrap();
        delays.push(wait_for("a change to travel", 30, || {
            b.ws.sync_pass().unwrap();
            b.ws.ticket(n).is_ok()
        }));
    }
    eprintln!("syncthing: change visible on the other laptop after {delays:?} (the watcher)");
    // Told the local Syncthing's address and key, a pass asks it to send at once.
    let api = casebook::sync::SyncthingApi { url: format!("http://127.0.0.1:{}", sa.gui), api_key: sa.key.clone() };
    a.ws.set_syncthing_api(Some(&api)).unwrap();
    let mut delays = Vec::new();
    for i in 0..3 {
        let n = a.ticket(&format!("Sent at once {i}"), Priority::Low);
        let r = a.ws.sync_pass().unwrap();
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        delays.push(wait_for("a change to travel", 30, || {
            b.ws.sync_pass().unwrap();
            b.ws.ticket(n).is_ok()
        }));
    }
    eprintln!("syncthing: change visible on the other laptop after {delays:?} (asked to rescan)");

    // Offline: each laptop pauses the other; both edit the same ticket and make a ticket.
    sa.set_peer_paused(&sb, true);
    sb.set_peer_paused(&sa, true);
    wait_for("the peers to disconnect", 20, || !sa.connected_to(&sb) && !sb.connected_to(&sa));
    a.minutes(1);
    a.ws.set_priority(first, Priority::Urgent).unwrap();
    let made_on_a = new_ticket(&mut a, "Made on A while apart");
    a.ws.sync_pass().unwrap();
    b.minutes(2);
    b.ws.set_priority(first, Priority::High).unwrap();
    let made_on_b = new_ticket(&mut b, "Made on B while apart");
    b.ws.sync_pass().unwrap();
    assert_eq!(made_on_a, made_on_b, "both took the same number while apart");
    sa.set_peer_paused(&sb, false);
    sb.set_peer_paused(&sa, false);
    let t = wait_for("the laptops to converge", 120, || {
        a.ws.sync_pass().unwrap();
        b.ws.sync_pass().unwrap();
        digest(&a) == digest(&b) && a.ws.count(&Default::default()).unwrap() == 9
    });
    eprintln!("syncthing: converged {t:?} after resuming");
    for e in [&a, &b] {
        assert_eq!(e.ws.ticket(first).unwrap().priority, Priority::High);
        assert_eq!(e.ws.ticket(made_on_a).unwrap().subject, "Made on A while apart");
        assert_eq!(e.ws.ticket(made_on_a + 1).unwrap().subject, "Made on B while apart");
        let conflicts = e.ws.conflicts(None).unwrap();
        assert!(conflicts.iter().any(|c| c.kind == "field" && c.field == "priority"), "{conflicts:?}");
        assert!(conflicts.iter().any(|c| c.kind == "number"), "{conflicts:?}");
        let s = e.ws.sync_status().unwrap();
        assert!(s.paused.is_none() && s.divergences.is_empty(), "{s:?}");
        assert!(replay::check(&e.db()).unwrap().ok());
    }
    let conflict_copies: Vec<_> =
        walk(&sa.folder).into_iter().chain(walk(&sb.folder)).filter(|p| p.to_string_lossy().contains("sync-conflict")).collect();
    assert!(conflict_copies.is_empty(), "no file has two writers: {conflict_copies:?}");
}

fn new_ticket(e: &mut Env, subject: &str) -> i64 {
    e.ws.create_ticket(&NewTicket {
        subject: subject.into(),
        description: "details".into(),
        requester_email: "kim@acme.kr".into(),
        ..Default::default()
    })
    .unwrap()
    .number
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}
