//! The email channel: threading that neither splits nor wrongly merges, exactly once, no
//! loops, bounces; replies out through a real SMTP server and mail in from a real Dovecot,
//! both on 127.0.0.1.

use crate::mail_servers as servers;

use crate::common::env;
use casebook::mail::{MailIdentity, MailboxSettings, Security};
use casebook::model::{MessageKind, NewMessage, Status};
use servers::{corpus, Dovecot, SmtpRecorder};

fn identity(ack: bool) -> MailIdentity {
    MailIdentity {
        address: "support@casebook.test".into(),
        name: "Acme Support".into(),
        reply_to: None,
        other_addresses: vec!["help@casebook.test".into()],
        acknowledge: ack,
        acknowledgement: "We got your mail: it is ticket #{{ticket.number}}.".into(),
    }
}

fn mail(from: &str, subject: &str, id: &str, extra: &str, body: &str) -> Vec<u8> {
    format!("From: {from}\r\nTo: support@casebook.test\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\nDate: Mon, 2 Mar 2026 09:00:00 +0000\r\n{extra}\r\n{body}\r\n").into_bytes()
}

#[test]
fn mail_threads_by_its_headers_never_by_subject_alone() {
    let mut e = env("2026-03-02T09:00:00Z");
    e.ws.set_mail_identity(&identity(false)).unwrap();
    let first = e.ws.receive_mail(&corpus("plain.eml"), "test").unwrap();
    assert_eq!(first.outcome, "new_ticket");
    let n = first.ticket_number.unwrap();
    let t = e.ws.ticket(n).unwrap();
    assert_eq!(t.requester.email, "anna.nowak@example.pl");
    assert_eq!(t.requester.name, "Anna Nowak");
    assert_eq!(t.subject, "Printer on floor 3 is jammed");
    let m = e.ws.ticket_mail(n).unwrap();
    assert_eq!(m[0].cc, ["boss@example.pl", "it@example.pl"]);
    assert!(m[0].raw_path.is_some());

    // An agent answers: the reply gets our own Message-ID, stored for the ticket.
    e.minutes(10);
    e.ws.add_message(n, &NewMessage::new(MessageKind::Public, "Please try turning it off and on.")).unwrap();
    let ours = e.ws.ticket_mail(n).unwrap().into_iter().find(|m| m.direction == "out").unwrap();
    assert_eq!(ours.to, ["anna.nowak@example.pl"]);
    assert_eq!(ours.cc, ["boss@example.pl", "it@example.pl"]);
    assert_eq!(ours.subject, format!("Re: Printer on floor 3 is jammed [#{n}]"));

    // A reply to our reply, by In-Reply-To only (a mobile client), with a changed subject.
    e.minutes(10);
    let r =
        e.ws.receive_mail(
            &mail("anna.nowak@example.pl", "totally different", "m2@example.pl", &format!("In-Reply-To: <{}>\r\n", ours.header_id), "Still jammed."),
            "test",
        )
        .unwrap();
    assert_eq!((r.outcome.as_str(), r.ticket_number), ("threaded", Some(n)), "{r:?}");
    // Reply-all by the CC'd boss, by References only.
    let r =
        e.ws.receive_mail(&mail("boss@example.pl", "Re: printer", "m3@example.pl", "References: <plain-1@example.pl>\r\n", "Buy a new one."), "test")
            .unwrap();
    assert_eq!(r.ticket_number, Some(n), "{r:?}");
    // The same subject from someone else, no headers: a new ticket.
    let r = e.ws.receive_mail(&mail("x@other.com", "Printer on floor 3 is jammed", "m4@other.com", "", "Mine too"), "test").unwrap();
    assert_eq!(r.outcome, "new_ticket");
    assert_ne!(r.ticket_number, Some(n));
    // [#n] from a stranger: a new ticket, linked to n.
    let r = e.ws.receive_mail(&mail("stranger@evil.com", &format!("Re: stuff [#{n}]"), "m5@evil.com", "", "let me in"), "test").unwrap();
    assert_eq!(r.outcome, "new_ticket");
    let linked = e.ws.ticket_detail(r.ticket_number.unwrap()).unwrap();
    assert!(linked.links.iter().any(|l| l.number == n));
    // [#n] from someone on the ticket: threads.
    let r = e.ws.receive_mail(&mail("it@example.pl", &format!("Re: stuff [#{n}]"), "m6@example.pl", "", "IT here."), "test").unwrap();
    assert_eq!((r.outcome.as_str(), r.ticket_number), ("threaded", Some(n)), "{r:?}");
    let d = e.ws.ticket_detail(n).unwrap();
    let customers: Vec<_> =
        d.messages.iter().filter(|m| m.kind == MessageKind::Customer).map(|m| m.author_email.clone().unwrap_or_default()).collect();
    assert_eq!(customers, ["anna.nowak@example.pl", "anna.nowak@example.pl", "boss@example.pl", "it@example.pl"]);

    // The same message again (another folder, another of our addresses): stored once.
    let mut again = b"Delivered-To: help@casebook.test\r\n".to_vec();
    again.extend_from_slice(&corpus("plain.eml"));
    let r = e.ws.receive_mail(&again, "test").unwrap();
    assert_eq!(r.outcome, "duplicate");
    // A different message reusing a Message-ID: stored, and flagged.
    let r = e.ws.receive_mail(&mail("anna.nowak@example.pl", "other", "plain-1@example.pl", "", "A different text."), "test").unwrap();
    assert_ne!(r.outcome, "duplicate");
    let flagged = e.ws.ticket_mail(r.ticket_number.unwrap()).unwrap();
    assert!(flagged.iter().any(|m| m.reused_id && m.notes.iter().any(|n| n.contains("same Message-ID"))));

    // A reply to a ticket merged away lands in the one it was merged into.
    let dup = e.ws.receive_mail(&mail("z@z.com", "dup", "dup-1@z.com", "", "first"), "test").unwrap().ticket_number.unwrap();
    let orig = e.ws.receive_mail(&mail("z@z.com", "orig", "orig-1@z.com", "", "second"), "test").unwrap().ticket_number.unwrap();
    e.ws.merge(dup, orig).unwrap();
    let r = e.ws.receive_mail(&mail("z@z.com", "Re: dup", "dup-2@z.com", "In-Reply-To: <dup-1@z.com>\r\n", "more"), "test").unwrap();
    assert_eq!(r.ticket_number, Some(orig), "{r:?}");

    // Every message left its line in the mail log, and the log says why it threaded.
    let log = e.ws.mail_log(None, Some("anna.nowak"), 100).unwrap();
    assert!(log.iter().any(|l| l.outcome == "threaded" && l.detail.contains("In-Reply-To")), "{log:?}");
    assert!(log.iter().any(|l| l.outcome == "duplicate"));
    // And the log's state replays: a whole refold gives the same tables.
    let check = casebook::events::replay::check(&e.db()).unwrap();
    assert!(check.ok(), "{check:?}");
}

#[test]
fn automatic_mail_gets_no_answer_and_bounces_mark_the_reply() {
    let mut e = env("2026-03-02T09:00:00Z");
    e.ws.set_mail_identity(&identity(true)).unwrap();
    // A person's mail gets the acknowledgement, once a day per sender.
    let n = e.ws.receive_mail(&mail("gone@example.com", "help", "h1@example.com", "", "Help me."), "test").unwrap().ticket_number.unwrap();
    let out: Vec<_> = e.ws.ticket_mail(n).unwrap().into_iter().filter(|m| m.direction == "out").collect();
    assert_eq!(out.len(), 1, "the acknowledgement");
    assert_eq!(out[0].automatic.as_deref(), Some("auto-replied"));
    let n2 = e.ws.receive_mail(&mail("gone@example.com", "again", "h2@example.com", "", "And again."), "test").unwrap().ticket_number.unwrap();
    assert!(e.ws.ticket_mail(n2).unwrap().iter().all(|m| m.direction == "in"), "no second acknowledgement within 24 h");
    // Out-of-office, lists, daemons: no acknowledgement.
    for (i, extra) in [
        "Auto-Submitted: auto-replied\r\n",
        "Precedence: bulk\r\n",
        "List-Id: <x.lists.example.com>\r\n",
        "List-Unsubscribe: <mailto:u@x>\r\n",
        "Return-Path: <>\r\n",
    ]
    .iter()
    .enumerate()
    {
        let r = e.ws.receive_mail(&mail(&format!("p{i}@example.org"), "auto", &format!("a{i}@example.org"), extra, "I am away."), "test").unwrap();
        let t = r.ticket_number.unwrap();
        assert!(e.ws.ticket_mail(t).unwrap().iter().all(|m| m.direction == "in"), "{extra}");
    }
    let r = e.ws.receive_mail(&mail("noreply@shop.example", "your order", "o1@shop.example", "", "Shipped."), "test").unwrap();
    assert!(e.ws.ticket_mail(r.ticket_number.unwrap()).unwrap().iter().all(|m| m.direction == "in"));
    // Mail from our own address is refused, not answered.
    let r = e.ws.receive_mail(&mail("help@casebook.test", "loop", "l1@casebook.test", "", "loop"), "test").unwrap();
    assert_eq!(r.outcome, "refused");

    // The agent replies and resolves; the reply bounces: noted, not reopened, no mail out.
    e.ws.add_message(n, &NewMessage::new(MessageKind::Public, "Here is the fix.")).unwrap();
    e.ws.set_status(n, Status::Resolved, None).unwrap();
    let reply = e.ws.ticket_mail(n).unwrap().into_iter().rfind(|m| m.direction == "out").unwrap();
    let bounce = String::from_utf8(corpus("bounce.eml")).unwrap().replace("casebook-reply-7@casebook.test", &reply.header_id);
    let r = e.ws.receive_mail(bounce.as_bytes(), "test").unwrap();
    assert_eq!((r.outcome.as_str(), r.ticket_number), ("bounce", Some(n)), "{r:?}");
    assert_eq!(e.ws.ticket(n).unwrap().status, Status::Resolved);
    let d = e.ws.ticket_detail(n).unwrap();
    assert!(d.messages.iter().any(|m| m.kind == MessageKind::System && m.body.contains("Delivery failed to gone@example.com")));
    let outbox = e.ws.outbox(50).unwrap();
    assert!(outbox.iter().any(|o| o.message_id == reply.message_id && o.status == "bounced"), "{outbox:?}");
    let check = casebook::events::replay::check(&e.db()).unwrap();
    assert!(check.ok(), "{check:?}");
}

#[test]
fn keyword_alerts_read_the_subject_of_mail() {
    let mut e = env("2026-03-02T09:00:00Z");
    let r = e.ws.receive_mail(&mail("c@c.com", "Need help ASAP!", "k1@c.com", "", "our invoices are wrong"), "test").unwrap();
    let alerts = e.ws.ticket_detail(r.ticket_number.unwrap()).unwrap().alerts;
    assert!(alerts.iter().any(|a| a.terms.iter().any(|t| t.to_lowercase() == "asap")), "{alerts:?}");
}

#[test]
fn import_takes_eml_mbox_and_maildir_once() {
    let mut e = env("2026-03-02T09:00:00Z");
    let dir = tempfile::tempdir().unwrap();
    let mbox = dir.path().join("old.mbox");
    let mut content = Vec::new();
    for i in 0..5 {
        content.extend_from_slice(b"From someone@example.com Mon Mar  2 09:00:00 2026\n");
        content.extend_from_slice(&mail(
            &format!("u{i}@example.com"),
            &format!("old {i}"),
            &format!("old-{i}@example.com"),
            "",
            "Hello.\n>From the archive, quoted as mbox writers do",
        ));
        content.extend_from_slice(b"\n");
    }
    std::fs::write(&mbox, &content).unwrap();
    let first = e.ws.import_mail(&mbox).unwrap();
    assert_eq!(first.new_tickets, 5);
    let again = e.ws.import_mail(&mbox).unwrap();
    assert_eq!((again.new_tickets, again.duplicates), (0, 5));
    let t = e.ws.ticket(first_ticket(&e)).unwrap();
    assert_eq!(t.subject, "old 0");
    let d = e.ws.ticket_detail(t.number).unwrap();
    assert!(d.messages[0].body.contains("Hello.\nFrom the archive"), "{}", d.messages[0].body);
    // Every corpus message becomes a ticket; none is lost or refused.
    let report = e.ws.import_mail(&crate::common::manifest_dir().join("crates/mail/tests/corpus")).unwrap();
    assert_eq!(report.fetched, 19);
    assert_eq!(report.new_tickets + report.threaded + report.other, 19, "{report:?}");
}

fn first_ticket(e: &crate::common::Env) -> i64 {
    e.ws.connection().query_row("SELECT min(number) FROM tickets", [], |r| r.get(0)).unwrap()
}

fn mailbox(dove: &Dovecot, smtp: &SmtpRecorder) -> MailboxSettings {
    MailboxSettings {
        imap_host: "127.0.0.1".into(),
        imap_port: dove.port,
        imap_security: Security::None,
        imap_user: "alice".into(),
        imap_folder: "INBOX".into(),
        smtp_host: "127.0.0.1".into(),
        smtp_port: smtp.port,
        smtp_security: Security::None,
        smtp_user: String::new(),
        extra_ca_pem: None,
    }
}

#[test]
fn mail_from_a_real_imap_server_arrives_exactly_once() {
    let dove = Dovecot::start();
    let smtp = SmtpRecorder::start();
    let mut e = env("2026-03-02T09:00:00Z");
    e.ws.set_mailbox_settings(&mailbox(&dove, &smtp)).unwrap();
    dove.deliver("INBOX", &corpus("plain.eml"));
    dove.deliver("INBOX", &corpus("euc-kr.eml"));
    let r = e.ws.fetch_mail("secret").unwrap();
    assert_eq!((r.fetched, r.new_tickets), (2, 2), "{r:?}");
    let r = e.ws.fetch_mail("secret").unwrap();
    assert_eq!(r.fetched, 0, "nothing new: {r:?}");
    // Read in another client (\Seen) before we fetch it: still fetched, and left as it was.
    dove.deliver("INBOX", &corpus("iso-8859-2.eml"));
    dove.doveadm(&["flags", "add", "-u", "alice", "\\Seen", "mailbox", "INBOX", "all"]);
    let r = e.ws.fetch_mail("secret").unwrap();
    assert_eq!((r.fetched, r.new_tickets), (1, 1), "{r:?}");
    // The server forgets its UIDs: read again from the start, nothing stored twice.
    dove.doveadm(&["mailbox", "update", "-u", "alice", "--uid-validity", "42", "--min-next-uid", "100", "INBOX"]);
    let r = e.ws.fetch_mail("secret").unwrap();
    assert!(r.uidvalidity_reset && r.new_tickets == 0 && r.duplicates == r.fetched, "{r:?}");
    // Moved out and back (expunged and saved again under a new UID): no duplicate.
    dove.doveadm(&["expunge", "-u", "alice", "mailbox", "INBOX", "all"]);
    dove.deliver("INBOX", &corpus("plain.eml"));
    let r = e.ws.fetch_mail("secret").unwrap();
    assert_eq!((r.fetched, r.duplicates, r.new_tickets), (1, 1, 0), "{r:?}");
    assert_eq!(e.ws.connection().query_row("SELECT count(*) FROM tickets", [], |r| r.get::<_, i64>(0)).unwrap(), 3);
    // A wrong password is a clear error that changes nothing.
    let err = e.ws.fetch_mail("wrong").unwrap_err();
    assert_eq!(err.code(), "mail_server", "{err}");
}

#[test]
fn replies_reach_a_real_smtp_server_once_with_their_thread_headers_and_wait_when_it_is_down() {
    let dove = Dovecot::start();
    let mut smtp = SmtpRecorder::start();
    let mut e = env("2026-03-02T09:00:00Z");
    e.ws.set_mail_identity(&identity(false)).unwrap();
    e.ws.set_mailbox_settings(&mailbox(&dove, &smtp)).unwrap();
    let n = e.ws.receive_mail(&corpus("plain.eml"), "test").unwrap().ticket_number.unwrap();
    e.ws.add_message(n, &NewMessage::new(MessageKind::Public, "Please try turning it off and on.")).unwrap();
    let r = e.ws.send_outbox(None).unwrap();
    assert_eq!(r.sent, 1, "{r:?}");
    let got = smtp.received();
    assert_eq!(got.len(), 1);
    let m = &got[0];
    let ours = e.ws.ticket_mail(n).unwrap().into_iter().find(|m| m.direction == "out").unwrap();
    for needle in [
        format!("Message-ID: <{}>", ours.header_id),
        "In-Reply-To: <plain-1@example.pl>".to_string(),
        "References: <plain-1@example.pl>".to_string(),
        format!("Subject: Re: Printer on floor 3 is jammed [#{n}]"),
        "From: \"Mina Park at Acme Support\" <support@casebook.test>".to_string(),
        "X-Envelope-To: anna.nowak@example.pl,boss@example.pl,it@example.pl".to_string(),
        "X-Auto-Response-Suppress: All".to_string(),
    ] {
        assert!(m.to_lowercase().contains(&needle.to_lowercase()), "missing {needle} in:\n{m}");
    }
    assert!(!m.contains("Auto-Submitted"), "a person's reply is not automatic");
    assert_eq!(e.ws.send_outbox(None).unwrap().sent, 0, "sent exactly once");

    // Offline: the reply waits in the outbox and goes once the server is back.
    smtp.stop();
    e.ws.add_message(n, &NewMessage::new(MessageKind::Public, "Any news?")).unwrap();
    let r = e.ws.send_outbox(None).unwrap();
    assert_eq!((r.sent, r.waiting), (0, 1), "{r:?}");
    let waiting = e.ws.outbox(10).unwrap();
    assert_eq!(waiting[0].status, "queued");
    assert!(waiting[0].error.is_some() && waiting[0].attempts == 1);
    assert_eq!(e.ws.send_outbox(None).unwrap().waiting, 0, "not again before its backoff");
    smtp.resume();
    e.minutes(1);
    assert_eq!(e.ws.send_outbox(None).unwrap().sent, 1);
    assert_eq!(smtp.received().len(), 2);
    assert!(e.ws.mail_log(None, Some("send_failed"), 10).unwrap().len() == 1);
}

/// The command line end to end, with the passwords in a real Secret Service (GNOME Keyring
/// on a private D-Bus session, a throwaway home): setup, fetch, reply, send, log, outbox.
#[test]
fn the_command_line_sets_up_a_mailbox_with_its_password_in_the_keyring() {
    for (cmd, pkg) in [("dbus-run-session", "dbus"), ("gnome-keyring-daemon", "gnome-keyring")] {
        let ok = std::process::Command::new("sh").arg("-c").arg(format!("command -v {cmd}")).status().unwrap().success();
        assert!(ok, "{cmd} is missing: install {pkg} (scripts/system-deps test does)");
    }
    let dove = Dovecot::start();
    let smtp = SmtpRecorder::start();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ws.db");
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    dove.deliver("INBOX", &corpus("plain.eml"));
    let bin = env!("CARGO_BIN_EXE_casebook");
    let script = format!(
        r#"set -e
printf 'keyring-pw' | gnome-keyring-daemon --unlock --daemonize --components=secrets >/dev/null
cb() {{ "{bin}" --db "{db}" "$@"; }}
cb init --workspace Test --name "Mina Park" --email mina@acme.test >/dev/null
cb mail identity --address support@casebook.test --name "Acme Support" >/dev/null
printf 'secret\n\n' | cb mail setup --imap-host 127.0.0.1 --imap-port {ip} --imap-security none --imap-user alice --smtp-host 127.0.0.1 --smtp-port {sp} --smtp-security none --password-stdin
if grep -a -q secret "{db}"; then echo "PASSWORD IN THE DATABASE"; exit 1; fi
cb mail fetch
cb --as mina@acme.test reply 1 --body "Try turning it off and on." >/dev/null
cb mail outbox
cb mail send
cb mail log
"#,
        db = db.display(),
        ip = dove.port,
        sp = smtp.port
    );
    let out = std::process::Command::new("dbus-run-session")
        .args(["--", "sh", "-c", &script])
        .env("HOME", &home)
        .env_remove("CASEBOOK_DB")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("the passwords are in the system keyring"), "{text}");
    assert!(text.contains("Fetched 1 message(s): 1 new ticket(s)"), "{text}");
    assert!(text.contains("queued  #1"), "{text}");
    assert!(text.contains("Sent 1,"), "{text}");
    assert!(text.contains("new_ticket") && text.contains("anna.nowak@example.pl"), "{text}");
    assert_eq!(smtp.received().len(), 1);
}

/// TLS both ways (IMAPS, STARTTLS for IMAP and SMTP), with the servers' certificate signed by a
/// CA the mailbox settings trust; without that CA the server is refused, in words.
#[test]
fn mail_over_tls_and_starttls_trusts_exactly_the_given_certificate() {
    let dove = Dovecot::start_tls();
    let smtp = SmtpRecorder::start_starttls(dove.dir.path());
    let mut e = env("2026-03-02T09:00:00Z");
    e.ws.set_mail_identity(&identity(false)).unwrap();
    let mut settings = MailboxSettings {
        imap_host: "127.0.0.1".into(),
        imap_port: dove.tls_port.unwrap(),
        imap_security: Security::Tls,
        imap_user: "alice".into(),
        imap_folder: "INBOX".into(),
        smtp_host: "127.0.0.1".into(),
        smtp_port: smtp.port,
        smtp_security: Security::Starttls,
        smtp_user: String::new(),
        extra_ca_pem: None,
    };
    // Not trusted: a clear error, nothing fetched.
    e.ws.set_mailbox_settings(&settings).unwrap();
    dove.deliver("INBOX", &corpus("plain.eml"));
    let err = e.ws.fetch_mail("secret").unwrap_err();
    assert_eq!(err.code(), "mail_server");
    assert!(err.to_string().to_lowercase().contains("certificate"), "{err}");
    // Trusted: IMAPS, then STARTTLS on the plain port.
    settings.extra_ca_pem = dove.ca_pem.clone();
    e.ws.set_mailbox_settings(&settings).unwrap();
    assert_eq!(e.ws.fetch_mail("secret").unwrap().new_tickets, 1);
    settings.imap_security = Security::Starttls;
    settings.imap_port = dove.port;
    e.ws.set_mailbox_settings(&settings).unwrap();
    dove.deliver("INBOX", &corpus("koi8-r.eml"));
    assert_eq!(e.ws.fetch_mail("secret").unwrap().new_tickets, 1);
    // SMTP with STARTTLS required.
    e.ws.add_message(1, &NewMessage::new(MessageKind::Public, "Over TLS.")).unwrap();
    let r = e.ws.send_outbox(None).unwrap();
    assert_eq!(r.sent, 1, "{r:?} {:?}", e.ws.outbox(5).unwrap());
    assert!(smtp.received()[0].contains("Over TLS."));
}

/// The mailbox laptop's mail reaches the team: another laptop that joins sees the ticket with
/// its mail, the .eml came along (its formatted view works there), and a reply written there
/// is addressed right and queued for the mailbox laptop to send.
#[test]
fn mail_taken_in_on_one_laptop_is_whole_on_another() {
    let mut a = env("2026-03-02T09:00:00Z");
    a.ws.set_mail_identity(&identity(false)).unwrap();
    let n = a.ws.receive_mail(&corpus("inline-cid.eml"), "test").unwrap().ticket_number.unwrap();
    let share = a.dir.path().join("share");
    std::fs::create_dir_all(&share).unwrap();
    a.ws.sync_init(&share).unwrap();
    let other = tempfile::tempdir().unwrap();
    let (mut b, _, _) = casebook::Workspace::join(&other.path().join("b.db"), &share, a.clock.clone(), "mina@acme.test").unwrap();
    let mail = b.ticket_mail(n).unwrap();
    let raw = mail[0].raw_path.as_ref().expect("the .eml");
    assert!(b.data_dir().join(raw).exists(), "the .eml came along");
    let m = b.ticket_detail(n).unwrap().messages[0].id;
    assert!(b.message_html(m).unwrap().unwrap().html.contains("data:image/png"));
    b.add_message(n, &NewMessage::new(MessageKind::Public, "Answered on the second laptop.")).unwrap();
    assert!(b.mailbox_settings().unwrap().is_none(), "the second laptop has no mailbox: it does not send");
    b.sync_pass().unwrap();
    a.ws.sync_pass().unwrap();
    let queued = a.ws.outbox(5).unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!((queued[0].status.as_str(), queued[0].to.as_str()), ("queued", "gina@example.com"));
}

/// A sender address that mail accepts but a customer record cannot hold still makes a ticket
/// (under an unknown sender, with a note), and the message after it is taken in as well.
#[test]
fn an_odd_sender_address_does_not_stop_the_mailbox() {
    let mut e = env("2026-03-02T09:00:00Z");
    let dir = tempfile::tempdir().unwrap();
    let mbox = dir.path().join("odd.mbox");
    let mut content = b"From x Mon Mar  2 09:00:00 2026\n".to_vec();
    content.extend_from_slice(&mail("root@localhost", "cron says hi", "odd-1@localhost", "", "Disk almost full."));
    content.extend_from_slice(b"\nFrom y Mon Mar  2 09:00:00 2026\n");
    content.extend_from_slice(&mail("ok@example.com", "after it", "ok-1@example.com", "", "Fine."));
    std::fs::write(&mbox, content).unwrap();
    let r = e.ws.import_mail(&mbox).unwrap();
    assert_eq!(r.new_tickets, 2, "{r:?}");
    let first = e.ws.connection().query_row("SELECT min(number) FROM tickets", [], |r| r.get::<_, i64>(0)).unwrap();
    let mail = e.ws.ticket_mail(first).unwrap();
    assert!(mail[0].notes.iter().any(|n| n.contains("root@localhost")), "{:?}", mail[0].notes);
}
