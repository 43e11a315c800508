//! Disk full and read-only (issue 20): a write on a full or read-only data folder fails with a
//! clear error, writes nothing half, leaves what is there readable, and works again when there
//! is room or the disk is back. Disk full on a real, small tmpfs the test mounts. Read-only on a
//! real ext4 file system on a loop device, turned read-only under the open workspace the way a
//! failing disk is: the kernel's own error path (`errors=remount-ro`, triggered through ext4's
//! `trigger_fs_error` knob), since a plain `mount -o remount,ro` is refused while the database
//! is open for writing. Both need root (scripts/test runs them).

use crate::common::ts;
use casebook::model::{MessageKind, NewMessage, NewTicket};
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

/// A 16 MiB ext4 file system in a file, on a loop device, mounted with `errors=remount-ro`.
struct Ext4 {
    image: PathBuf,
    at: PathBuf,
    _dir: tempfile::TempDir,
}

impl Ext4 {
    fn make() -> Ext4 {
        let dir = tempfile::tempdir().unwrap();
        let image = dir.path().join("disk.img");
        std::fs::File::create(&image).unwrap().set_len(16 * 1024 * 1024).unwrap();
        let ok = Command::new("mkfs.ext4").arg("-q").arg(&image).status().unwrap().success();
        assert!(ok, "mkfs.ext4 (e2fsprogs) makes the test's file system");
        let at = dir.path().join("mnt");
        std::fs::create_dir(&at).unwrap();
        let fs = Ext4 { image, at, _dir: dir };
        fs.mount();
        fs
    }

    fn mount(&self) {
        let ok = Command::new("mount").args(["-o", "loop,errors=remount-ro"]).arg(&self.image).arg(&self.at).status().unwrap().success();
        assert!(ok, "mounting a loop device needs root (scripts/test runs this test as root)");
    }

    fn unmount(&self) {
        assert!(Command::new("umount").arg(&self.at).status().unwrap().success(), "the file system unmounts once nothing has it open");
    }

    /// What the kernel does when the disk fails under ext4 mounted with errors=remount-ro.
    fn fail_into_read_only(&self) {
        let out = Command::new("findmnt").args(["-n", "-o", "SOURCE"]).arg(&self.at).output().unwrap();
        let device = String::from_utf8_lossy(&out.stdout).trim().rsplit('/').next().unwrap_or_default().to_string();
        std::fs::write(format!("/sys/fs/ext4/{device}/trigger_fs_error"), "casebook test: the disk failed").unwrap();
        let out = Command::new("findmnt").args(["-n", "-o", "OPTIONS"]).arg(&self.at).output().unwrap();
        let options = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert!(options.split(',').any(|o| o == "ro" || o == "emergency_ro"), "the file system is read-only now: {options}");
    }
}

impl Drop for Ext4 {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.at).status();
    }
}

#[test]
#[ignore = "mounts a loop device: needs root; run by scripts/test"]
fn a_data_folder_turned_read_only_refuses_writes_cleanly_and_work_resumes_when_it_is_back() {
    let fs = Ext4::make();
    let db = fs.at.join("ws.db");
    let clock = Arc::new(FixedClock::new(ts("2026-03-02T09:00:00Z")));
    let mut ws = Workspace::create(&db, clock.clone(), &WorkspaceInit::default()).unwrap();
    for i in 0..5 {
        ws.create_ticket(&ticket(i, "paper jam")).unwrap();
    }
    let events = |ws: &Workspace| -> i64 { ws.connection().query_row("SELECT count(*) FROM events", [], |r| r.get(0)).unwrap() };
    let (tickets_before, events_before) = (count(&ws), events(&ws));

    fs.fail_into_read_only();
    // The write is refused with words that say what happened, and nothing of it is kept.
    let e = ws.create_ticket(&ticket(100, "written while the disk failed")).expect_err("a read-only disk took a write");
    assert!(["disk_error", "read_only"].contains(&e.code()), "{} ({e})", e.code());
    assert!(e.to_string().contains("nothing of this change was kept"), "{e}");
    let e = ws.add_message(1, &NewMessage::new(MessageKind::Public, "a reply while the disk failed")).expect_err("a read-only disk took a reply");
    assert!(["disk_error", "read_only"].contains(&e.code()), "{e}");
    // What is there still reads, as the window shows it.
    assert_eq!((count(&ws), events(&ws)), (tickets_before, events_before));
    assert_eq!(ws.ticket_detail(1).unwrap().ticket.subject, "Printer 0");
    assert_eq!(ws.ticket_detail(5).unwrap().messages.len(), 1);

    // The disk is back (the person unplugs and plugs it in, or the system checks and remounts
    // it): the workspace opens again with everything it had and nothing of the refused writes.
    drop(ws);
    fs.unmount();
    let ok = Command::new("e2fsck").args(["-f", "-y"]).arg(&fs.image).stdout(std::process::Stdio::null()).status().unwrap();
    assert!(ok.code().is_some_and(|c| c <= 1), "e2fsck repairs the file system ({ok})");
    fs.mount();
    let mut ws = Workspace::open(&db, clock).unwrap();
    let ok: String = ws.connection().query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(ok, "ok");
    assert_eq!((count(&ws), events(&ws)), (tickets_before, events_before));
    let t = ws.create_ticket(&ticket(200, "after the disk came back")).unwrap();
    assert_eq!(ws.ticket_detail(t.number).unwrap().ticket.subject, "Printer 200");
    assert_eq!(count(&ws), tickets_before + 1);
}
