-- The email channel (src/mail, crates/mail).

-- State (the fold of the log writes it): the mail behind a message, received or sent. Every
-- Message-ID stored for a ticket is how a reply finds its ticket, whatever its subject.
CREATE TABLE mail_messages (
    message_id  TEXT PRIMARY KEY REFERENCES messages(id),
    ticket_id   TEXT NOT NULL REFERENCES tickets(id),
    direction   TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    header_id   TEXT NOT NULL,          -- the Message-ID header, without <>
    fingerprint TEXT,                   -- what makes it this message (crates/mail parse)
    from_addr   TEXT NOT NULL,
    to_addrs    TEXT NOT NULL DEFAULT '[]',
    cc_addrs    TEXT NOT NULL DEFAULT '[]',
    subject     TEXT NOT NULL,
    in_reply_to TEXT,
    refs        TEXT NOT NULL DEFAULT '[]',
    raw_sha256  TEXT,                   -- the .eml in the attachment store
    quoted      TEXT,                   -- the quoted history, folded in the thread
    notes       TEXT NOT NULL DEFAULT '[]',
    automatic   TEXT,                   -- why no automatic mail may answer it
    reused_id   INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX mail_messages_header ON mail_messages(header_id);
CREATE INDEX mail_messages_fingerprint ON mail_messages(fingerprint);
CREATE INDEX mail_messages_ticket ON mail_messages(ticket_id);

-- State: mail to send. A public reply on a mail ticket queues here; the laptop that has the
-- mailbox sends it and records that it did (or why it gave up).
CREATE TABLE mail_outbox (
    message_id TEXT PRIMARY KEY REFERENCES messages(id),
    ticket_id  TEXT NOT NULL REFERENCES tickets(id),
    status     TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed', 'bounced')),
    queued_at  INTEGER NOT NULL,
    done_at    INTEGER,
    error      TEXT
) STRICT;
CREATE INDEX mail_outbox_status ON mail_outbox(status, queued_at);

-- State: addresses our mail bounced from, and why.
CREATE TABLE mail_bounced (
    address   TEXT PRIMARY KEY,
    ticket_id TEXT REFERENCES tickets(id),
    reason    TEXT NOT NULL,
    at        INTEGER NOT NULL
) STRICT;

-- This laptop's own (never replayed): the mailbox settings (no password: that is in the OS
-- keyring), how far each folder has been fetched, the send attempts, the automatic mail it
-- sent per sender, and the mail log.
CREATE TABLE mail_local (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE mail_folders (
    folder      TEXT PRIMARY KEY,
    uidvalidity INTEGER NOT NULL,
    last_uid    INTEGER NOT NULL
) STRICT;

CREATE TABLE mail_send_attempts (
    message_id TEXT PRIMARY KEY,
    attempts   INTEGER NOT NULL,
    next_at    INTEGER NOT NULL,
    last_error TEXT,
    started_at INTEGER           -- set while a send is under way (a crash leaves it set)
) STRICT;

CREATE TABLE mail_auto_sent (
    address TEXT PRIMARY KEY,
    at      INTEGER NOT NULL
) STRICT;

CREATE TABLE mail_log (
    id            INTEGER PRIMARY KEY,
    at            INTEGER NOT NULL,
    source        TEXT NOT NULL,      -- "imap INBOX uid 12", "import inbox.mbox #3", "outbox"
    header_id     TEXT,
    from_addr     TEXT,
    subject       TEXT,
    outcome       TEXT NOT NULL,      -- new_ticket | threaded | duplicate | suppressed | bounce | refused | sent | send_failed
    ticket_number INTEGER,
    detail        TEXT NOT NULL
) STRICT;
CREATE INDEX mail_log_at ON mail_log(at);
