//! Backups (PRODUCT O4): made while the workspace is in use, verified by restoring, restored
//! into a new folder only (or replacing explicitly), and bad backups refused changing nothing.

use crate::common::{env, fingerprint, walk};
use casebook::backup::{self, content_summary};
use casebook::model::{MessageKind, NewMessage, Priority};
use casebook::{Error, Workspace};
use std::sync::Arc;

fn workspace_with_content() -> crate::common::Env {
    let mut e = env("2026-03-02T09:00:00Z");
    for i in 0..20 {
        let n = e.ticket(&format!("Printer {i} offline"), Priority::High);
        e.ws.add_message(n, &NewMessage::new(MessageKind::Public, "Which model?")).unwrap();
    }
    let file = e.dir.path().join("log.txt");
    std::fs::write(&file, "paper jam at tray 2").unwrap();
    let mut msg = NewMessage::new(MessageKind::Internal, "log attached");
    msg.attachments = vec![file];
    e.ws.add_message(1, &msg).unwrap();
    e
}

#[test]
fn a_backup_restores_to_an_identical_workspace() {
    let e = workspace_with_content();
    let to = e.dir.path().join("backups").join("b1");
    let report = e.ws.backup(&to).unwrap();
    assert_eq!((report.content.tickets, report.attachments), (20, 1));
    assert_eq!(report.content, content_summary(e.ws.connection()).unwrap());
    assert!(report.missing_attachments.is_empty());

    let target = tempfile::tempdir().unwrap();
    let db = target.path().join("restored").join("casebook.db");
    let r = backup::restore(&to, &db, false).unwrap();
    assert_eq!(r.content, report.content);
    assert_eq!(fingerprint(&db), fingerprint(&e.db()), "the restored database holds exactly the same rows");
    let restored = Workspace::open(&db, e.ws.clock()).unwrap();
    let detail = restored.ticket_detail(1).unwrap();
    let att = &detail.messages.iter().find(|m| !m.attachments.is_empty()).unwrap().attachments[0];
    let bytes = std::fs::read(db.parent().unwrap().join(&att.stored_path)).unwrap();
    assert_eq!(bytes, b"paper jam at tray 2");
}

#[test]
fn a_backup_taken_between_writes_is_consistent() {
    // The app keeps working: writes before and after the backup, none half-included.
    let mut e = workspace_with_content();
    let to = e.dir.path().join("b");
    let report = e.ws.backup(&to).unwrap();
    e.ticket("After the backup", Priority::Low);
    assert_eq!(backup::verify(&to).unwrap(), report.content);
    assert_eq!(content_summary(e.ws.connection()).unwrap().tickets, 21);
}

#[test]
fn restore_never_overwrites_a_live_workspace_unless_asked() {
    let mut e = workspace_with_content();
    let to = e.dir.path().join("b");
    e.ws.backup(&to).unwrap();
    e.ticket("Newer than the backup", Priority::Low);
    let before = fingerprint(&e.db());
    let err = backup::restore(&to, &e.db(), false).unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
    assert_eq!(before, fingerprint(&e.db()));

    let db = e.db();
    drop(e.ws);
    let r = backup::restore(&to, &db, true).unwrap();
    assert!(Workspace::open(&db, Arc::new(casebook::SystemClock)).unwrap().ticket(21).is_err());
    let kept = r.previous.unwrap();
    assert!(kept.exists(), "the replaced workspace is kept beside");
    assert_eq!(fingerprint(&kept), before);
}

#[test]
fn damaged_or_foreign_backups_are_refused_and_change_nothing() {
    let e = workspace_with_content();
    let good = e.dir.path().join("good");
    e.ws.backup(&good).unwrap();
    let copy = |name: &str| {
        let to = e.dir.path().join(name);
        for f in walk(&good) {
            let rel = f.strip_prefix(&good).unwrap();
            std::fs::create_dir_all(to.join(rel).parent().unwrap()).unwrap();
            std::fs::copy(&f, to.join(rel)).unwrap();
        }
        to
    };
    let truncated = copy("truncated");
    let len = std::fs::metadata(truncated.join("casebook.db")).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(truncated.join("casebook.db")).unwrap().set_len(len / 2).unwrap();
    let corrupt = copy("corrupt");
    {
        use std::io::{Seek, SeekFrom, Write};
        let mut f = std::fs::OpenOptions::new().write(true).open(corrupt.join("casebook.db")).unwrap();
        f.seek(SeekFrom::Start(len / 2)).unwrap();
        f.write_all(&[0xA5; 8192]).unwrap();
    }
    let foreign = copy("foreign");
    std::fs::remove_file(foreign.join("casebook.db")).unwrap();
    rusqlite::Connection::open(foreign.join("casebook.db")).unwrap().execute_batch("CREATE TABLE notes (x TEXT);").unwrap();
    let no_manifest = copy("no-manifest");
    std::fs::remove_file(no_manifest.join("manifest.json")).unwrap();
    let bad_attachment = copy("bad-attachment");
    let att = walk(&bad_attachment.join("attachments"))[0].clone();
    std::fs::write(att, "tampered").unwrap();
    let plain_file = e.dir.path().join("notes.txt");
    std::fs::write(&plain_file, "hello").unwrap();

    for bad in [&truncated, &corrupt, &foreign, &no_manifest, &bad_attachment, &plain_file] {
        let target = tempfile::tempdir().unwrap();
        let db = target.path().join("casebook.db");
        let err = backup::restore(bad, &db, false).unwrap_err();
        assert!(matches!(err, Error::Validation { .. }), "{}: {err:?}", bad.display());
        assert!(err.to_string().contains("not a usable Casebook backup"), "{err}");
        assert!(walk(target.path()).is_empty(), "{}: restore wrote {:?}", bad.display(), walk(target.path()));
    }
}

/// Found by the `backup_manifest` fuzz target's design: a manifest is input like any other.
#[test]
fn a_crafted_manifest_cannot_reach_outside_the_backup_or_crash_the_check() {
    use sha2::Digest;
    let e = workspace_with_content();
    let good = e.dir.path().join("good");
    e.ws.backup(&good).unwrap();
    let manifest_of = |m: &serde_json::Value| std::fs::write(good.join("manifest.json"), serde_json::to_vec(m).unwrap()).unwrap();
    let genuine: serde_json::Value = serde_json::from_slice(&std::fs::read(good.join("manifest.json")).unwrap()).unwrap();

    // A file beside the backup, named by its own hash as attachments are: before the fix the
    // check passed and a restore wrote it outside the new workspace's folder.
    let content = b"planted";
    let sha = hex::encode(sha2::Sha256::digest(content));
    let planted = e.dir.path().join("outside").join(&sha);
    std::fs::create_dir_all(planted.parent().unwrap()).unwrap();
    std::fs::write(&planted, content).unwrap();
    let target = e.dir.path().join("restored").join("in");
    for rel in [format!("../outside/{sha}"), planted.display().to_string(), format!("attachments/../../outside/{sha}")] {
        let mut m = genuine.clone();
        m["attachments"].as_array_mut().unwrap().push(rel.clone().into());
        manifest_of(&m);
        let err = backup::restore(&good, &target.join("casebook.db"), false).unwrap_err();
        assert!(err.to_string().contains("not an attachment's place"), "{rel}: {err}");
        assert!(!e.dir.path().join("restored").exists(), "{rel}: restore wrote something");
    }

    // A checksum of any text is refused with the comparison, not a panic on a byte boundary.
    let mut m = genuine.clone();
    m["content"]["checksum"] = "éééééééééééééééé".into();
    manifest_of(&m);
    let err = backup::verify(&good).unwrap_err();
    assert!(err.to_string().contains("does not match its manifest") && err.to_string().contains("éééééé"), "{err}");

    manifest_of(&genuine);
    backup::verify(&good).unwrap();
}

#[test]
fn old_backups_are_pruned_to_the_newest() {
    let e = workspace_with_content();
    let dir = e.dir.path().join("backups");
    for name in ["casebook-20260301-090000", "casebook-20260302-090000", "casebook-20260303-090000"] {
        e.ws.backup(&dir.join(name)).unwrap();
    }
    let removed = backup::prune(&dir, 2).unwrap();
    assert_eq!(removed, vec![dir.join("casebook-20260301-090000")]);
    assert!(dir.join("casebook-20260303-090000").exists());
}
