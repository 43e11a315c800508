//! Disk full (issue 20): a write on a full data folder fails with a clear error, writes
//! nothing half, leaves what is there readable, and works again when there is room. On a real,
//! small tmpfs the test mounts (root only: scripts/test runs it). A folder turned read-only
//! under the running app is not tested: the kernel refuses to remount a file system read-only
//! while the database is open for writing.

use crate::common::ts;
use casebook::model::NewTicket;
use casebook::{FixedClock, Workspace, WorkspaceInit};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

/// A tmpfs of `size` mounted for the test's life (on a temporary folder, removed after).
struct Tmpfs(PathBuf, #[allow(dead_code)] tempfile::TempDir);

impl Tmpfs {
    fn mount(size: &str) -> Tmpfs {
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("mount").args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"]).arg(dir.path()).status().unwrap().success();
        assert!(ok, "mounting a tmpfs needs root (scripts/test runs this test as root)");
        Tmpfs(dir.path().to_path_buf(), dir)
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn ticket(i: usize, body: &str) -> NewTicket {
    NewTicket { subject: format!("Printer {i}"), description: body.into(), requester_email: format!("c{i}@acme.test"), ..Default::default() }
}

fn count(ws: &Workspace) -> i64 {
    ws.connection().query_row("SELECT count(*) FROM tickets", [], |r| r.get(0)).unwrap()
}

/// Fills what is left of the file system with one file.
fn fill(dir: &Path) -> PathBuf {
    use std::io::Write;
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    while f.write_all(&chunk).is_ok() {}
    let _ = f.sync_all();
    path
}

#[test]
#[ignore = "mounts a tmpfs: needs root; run by scripts/test"]
fn a_full_disk_refuses_writes_cleanly_and_work_resumes() {
    let fs = Tmpfs::mount("8m");
    let clock = Arc::new(FixedClock::new(ts("2026-03-02T09:00:00Z")));
    let mut ws = Workspace::create(&fs.0.join("ws.db"), clock, &WorkspaceInit::default()).unwrap();
    for i in 0..5 {
        ws.create_ticket(&ticket(i, "paper jam")).unwrap();
    }
    let before = count(&ws);

    // Full: the write is refused with words that say so, and nothing of it is kept.
    let filler = fill(&fs.0);
    let big = "x".repeat(256 * 1024);
    let events = |ws: &Workspace| -> i64 { ws.connection().query_row("SELECT count(*) FROM events", [], |r| r.get(0)).unwrap() };
    let mut refusal = None;
    for i in 0..20 {
        let (tickets_then, events_then) = (count(&ws), events(&ws));
        if let Err(e) = ws.create_ticket(&ticket(100 + i, &big)) {
            // Nothing of the refused ticket: no row, no event.
            assert_eq!((count(&ws), events(&ws)), (tickets_then, events_then));
            refusal = Some(e);
            break;
        }
    }
    let e = refusal.expect("a full disk refused nothing");
    assert_eq!(e.code(), "disk_full", "{e}");
    assert!(e.to_string().contains("disk is full"), "{e}");
    let kept = count(&ws);
    let ok: String = ws.connection().query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(ok, "ok");
    // What is there still reads.
    assert_eq!(ws.ticket_detail(1).unwrap().ticket.subject, "Printer 0");
    // Room again: work resumes, on the same open workspace.
    std::fs::remove_file(filler).unwrap();
    let t = ws.create_ticket(&ticket(200, "after the disk was cleared")).unwrap();
    assert_eq!(count(&ws), kept + 1);
    assert!(kept >= before);
    assert_eq!(ws.ticket_detail(t.number).unwrap().ticket.subject, "Printer 200");
}
