//! Real mail servers on 127.0.0.1 for the email tests (the engine's and the window's, which
//! include this file): Dovecot (IMAP, with IDLE) and an SMTP server that records what it
//! receives (Python's aiosmtpd), each with a throwaway config in a temporary folder, and a
//! GNOME Keyring for the passwords. `scripts/system-deps test` installs them; CI never skips
//! these tests.
#![allow(dead_code)]

use std::io::{BufRead, Read};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn need(cmd: &str, package: &str) {
    let found = Command::new("sh").arg("-c").arg(format!("command -v {cmd}")).output().map(|o| o.status.success()).unwrap_or(false);
    assert!(found, "{cmd} is missing: install {package} (scripts/system-deps test does)");
}

pub struct Dovecot {
    pub dir: tempfile::TempDir,
    pub port: u16,
    /// With `start_tls`: the IMAPS port (the plain port then offers STARTTLS).
    pub tls_port: Option<u16>,
    /// With `start_tls`: the CA that signed the server's certificate, to trust in the client.
    pub ca_pem: Option<String>,
    child: Child,
}

/// A CA and a certificate it signed for 127.0.0.1 and localhost, in `dir` (ca.pem, cert.pem,
/// key.pem): what the client is told to trust, and what the server shows.
pub fn certificates(dir: &Path) -> String {
    need("openssl", "openssl");
    let run = |args: &[&str]| {
        let out = Command::new("openssl").args(args).current_dir(dir).output().unwrap();
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    run(&["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Casebook test CA"]);
    run(&["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "cert.csr", "-subj", "/CN=localhost"]);
    std::fs::write(
        dir.join("ext.cnf"),
        "basicConstraints=critical,CA:FALSE\nsubjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "cert.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "cert.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
    std::fs::read_to_string(dir.join("ca.pem")).unwrap()
}

impl Dovecot {
    pub fn start() -> Dovecot {
        Dovecot::start_with(false)
    }

    /// A Dovecot that also speaks TLS: IMAPS on `tls_port`, STARTTLS on `port`.
    pub fn start_tls() -> Dovecot {
        Dovecot::start_with(true)
    }

    fn start_with(tls: bool) -> Dovecot {
        need("dovecot", "dovecot-imapd");
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::set_permissions(d, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let port = free_port();
        std::fs::write(d.join("passwd"), "alice:{PLAIN}secret\n").unwrap();
        // The mail folder belongs to the user dovecot runs the mailbox as.
        std::fs::create_dir_all(d.join("mail/alice")).unwrap();
        let ok = Command::new("chown").args(["-R", "nobody:nogroup"]).arg(d.join("mail")).status().map(|s| s.success()).unwrap_or(false);
        assert!(ok, "chown of the test mail folder");
        let (ca_pem, tls_port, ssl) = if tls {
            let ca = certificates(d);
            let p = free_port();
            (Some(ca), Some(p), format!("ssl = yes\nssl_cert = <{d}/cert.pem\nssl_key = <{d}/key.pem\n", d = d.display()))
        } else {
            (None, None, "ssl = no\n".to_string())
        };
        let imaps = match tls_port {
            Some(p) => format!("inet_listener imaps {{\n    address = 127.0.0.1\n    port = {p}\n    ssl = yes\n  }}"),
            None => "inet_listener imaps {\n    port = 0\n  }".to_string(),
        };
        let conf = format!(
            "protocols = imap\nlisten = 127.0.0.1\ninstance_name = casebook-test-{port}\nbase_dir = {d}/run\nstate_dir = {d}/state\nlog_path = {d}/dovecot.log\n\
             {ssl}disable_plaintext_auth = no\nauth_mechanisms = plain login\nmail_location = maildir:~/Maildir\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {d}/passwd\n}}\n\
             userdb {{\n  driver = static\n  args = uid=nobody gid=nogroup home={d}/mail/%u\n}}\n\
             service imap-login {{\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n  {imaps}\n}}\n\
             service anvil {{\n  chroot =\n}}\nservice imap-login {{\n  chroot =\n}}\n",
            d = d.display()
        );
        std::fs::write(d.join("dovecot.conf"), conf).unwrap();
        let out = std::fs::File::create(d.join("out")).unwrap();
        let child = Command::new("dovecot")
            .args(["-F", "-c"])
            .arg(d.join("dovecot.conf"))
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap();
        let dove = Dovecot { dir, port, tls_port, ca_pem, child };
        dove.wait_ready();
        // The user's mailbox exists before the first fetch.
        dove.doveadm(&["mailbox", "create", "-u", "alice", "Archive"]);
        dove
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) {
                s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
                let mut buf = [0u8; 4];
                if s.read_exact(&mut buf).is_ok() && &buf == b"* OK" {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("dovecot did not greet: {}\n{}", self.file("out"), self.file("dovecot.log"));
    }

    fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
    }

    pub fn doveadm(&self, args: &[&str]) -> String {
        let out = Command::new("doveadm").arg("-c").arg(self.dir.path().join("dovecot.conf")).args(args).output().unwrap();
        assert!(out.status.success(), "doveadm {args:?}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Delivers `raw` into alice's `folder`.
    pub fn deliver(&self, folder: &str, raw: &[u8]) {
        let mut child = Command::new("doveadm")
            .arg("-c")
            .arg(self.dir.path().join("dovecot.conf"))
            .args(["save", "-u", "alice", "-m", folder])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(child.stdin.as_mut().unwrap(), raw).unwrap();
        drop(child.stdin.take());
        assert!(child.wait().unwrap().success());
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        terminate(&mut self.child);
    }
}

const RECORDER: &str = r#"
import asyncio, os, sys, time
from aiosmtpd.controller import Controller
out = sys.argv[1]
class Recorder:
    async def handle_DATA(self, server, session, envelope):
        name = os.path.join(out, "%d-%d.eml" % (time.time_ns(), os.getpid()))
        with open(name + ".tmp", "wb") as f:
            f.write(("X-Envelope-To: %s\r\n" % ",".join(envelope.rcpt_tos)).encode())
            f.write(envelope.original_content)
        os.rename(name + ".tmp", name)
        return "250 OK"
tls = None
if len(sys.argv) > 3:
    import ssl
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(sys.argv[3], sys.argv[4])
c = Controller(Recorder(), hostname="127.0.0.1", port=int(sys.argv[2]), tls_context=tls, require_starttls=tls is not None)
c.start()
print("ready", flush=True)
try:
    while True:
        time.sleep(3600)
finally:
    c.stop()
"#;

pub struct SmtpRecorder {
    pub dir: tempfile::TempDir,
    pub port: u16,
    /// STARTTLS required, with this certificate and key.
    tls: Option<(std::path::PathBuf, std::path::PathBuf)>,
    child: Option<Child>,
}

impl SmtpRecorder {
    pub fn start() -> SmtpRecorder {
        need("python3", "python3");
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut r = SmtpRecorder { dir, port, tls: None, child: None };
        r.resume();
        r
    }

    /// One that requires STARTTLS, showing the certificate in `cert_dir` (see `certificates`).
    pub fn start_starttls(cert_dir: &Path) -> SmtpRecorder {
        need("python3", "python3");
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut r = SmtpRecorder { dir, port, tls: Some((cert_dir.join("cert.pem"), cert_dir.join("key.pem"))), child: None };
        r.resume();
        r
    }

    /// Starts it (again) on the same port.
    pub fn resume(&mut self) {
        let script = self.dir.path().join("recorder.py");
        std::fs::write(&script, RECORDER).unwrap();
        let got = self.dir.path().join("got");
        std::fs::create_dir_all(&got).unwrap();
        let mut child = Command::new("/usr/bin/python3")
            .arg(&script)
            .arg(&got)
            .arg(self.port.to_string())
            .args(self.tls.iter().flat_map(|(c, k)| [c.as_os_str().to_owned(), k.as_os_str().to_owned()]))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ready", "the SMTP recorder did not start (python3-aiosmtpd installed?)");
        self.child = Some(child);
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            terminate(&mut c);
        }
    }

    /// Every message received so far, oldest first.
    pub fn received(&self) -> Vec<String> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path().join("got"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        files.sort();
        files.iter().map(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned()).collect()
    }
}

impl Drop for SmtpRecorder {
    fn drop(&mut self) {
        self.stop();
    }
}

/// SIGTERM, so Dovecot's master stops its children too (SIGKILL would orphan them).
fn terminate(child: &mut Child) {
    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    let _ = child.wait();
}

/// The package's folder as cargo gives it to the running test: a test binary built from a
/// clone elsewhere that shares the build folder (`.ci/run`) has another path compiled in.
fn manifest_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR").map(std::path::PathBuf::from).unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into())
}

/// A message of the parser's corpus (crates/mail/tests/corpus).
pub fn corpus(name: &str) -> Vec<u8> {
    let here = manifest_dir();
    let here = here.as_path();
    let dir = [here, here.parent().unwrap_or(here)].iter().map(|d| d.join("crates/mail/tests/corpus")).find(|d| d.is_dir()).expect("the mail corpus");
    std::fs::read(dir.join(name)).unwrap()
}

/// A Secret Service (GNOME Keyring) on the current D-Bus session, unlocked, with its files in
/// `home`: where the app keeps the mailbox passwords.
pub fn keyring(home: &Path) {
    need("gnome-keyring-daemon", "gnome-keyring");
    let mut child = Command::new("gnome-keyring-daemon")
        .args(["--unlock", "--daemonize", "--components=secrets"])
        .env("HOME", home)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"keyring-pw").unwrap();
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success(), "gnome-keyring-daemon did not start");
}
