-- Automation rules (PRODUCT R1–R3). A rule is data: its definition is JSON (conditions and
-- actions, validated by the engine), edited in the app, run in `position` order.
CREATE TABLE rules (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE COLLATE NOCASE,
    kind       TEXT NOT NULL CHECK (kind IN ('trigger', 'time')),
    enabled    INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    position   INTEGER NOT NULL,
    builtin    TEXT UNIQUE,             -- the built-in it started as (its key), NULL for a rule people wrote
    definition TEXT NOT NULL,           -- JSON RuleDefinition
    state      TEXT NOT NULL DEFAULT '{}'   -- JSON: e.g. the round-robin cursor
) STRICT;

-- What each rule last did to each ticket: a rule acts at most once per ticket and window
-- (the instants its conditions measure from), so a scan every minute does not re-fire it.
CREATE TABLE rule_firings (
    rule_id   TEXT NOT NULL REFERENCES rules(id) ON DELETE CASCADE,
    ticket_id TEXT NOT NULL REFERENCES tickets(id),
    window_key TEXT NOT NULL,
    fired_at  INTEGER NOT NULL,
    PRIMARY KEY (rule_id, ticket_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX rule_firings_ticket ON rule_firings(ticket_id);

-- The instants rules measure "hours since" from, kept current by the message and status
-- writers so that a time-rule pass reads one row per ticket instead of its whole thread.
ALTER TABLE tickets ADD COLUMN last_customer_at INTEGER;      -- latest customer message
ALTER TABLE tickets ADD COLUMN last_agent_reply_at INTEGER;   -- latest public reply by a person
ALTER TABLE tickets ADD COLUMN awaiting_reply_since INTEGER;  -- oldest customer message no agent has answered
ALTER TABLE tickets ADD COLUMN status_changed_at INTEGER;     -- last status change (creation at first)

UPDATE tickets SET
    last_customer_at = (SELECT max(created_at) FROM messages m WHERE m.ticket_id = tickets.id AND m.kind = 'customer'),
    last_agent_reply_at = (SELECT max(created_at) FROM messages m WHERE m.ticket_id = tickets.id AND m.kind = 'public' AND m.author_agent IS NOT NULL),
    status_changed_at = coalesce((SELECT max(at) FROM events e WHERE e.ticket_id = tickets.id AND e.kind = 'ticket.status_changed'), created_at);
UPDATE tickets SET awaiting_reply_since =
    (SELECT min(created_at) FROM messages m WHERE m.ticket_id = tickets.id AND m.kind = 'customer' AND m.created_at > coalesce(tickets.last_agent_reply_at, -1));

-- Alerts raised by a rule ("notify the lead"): the kind list grows, and a CHECK cannot be
-- altered in SQLite, so the table is rebuilt with its rows.
CREATE TABLE alerts_new (
    id           INTEGER PRIMARY KEY,
    ticket_id    TEXT NOT NULL REFERENCES tickets(id),
    kind         TEXT NOT NULL CHECK (kind IN ('sla_first_response_at_risk', 'sla_first_response_breached',
                                                'sla_resolution_at_risk', 'sla_resolution_breached', 'keyword', 'rule')),
    cycle        INTEGER NOT NULL,
    target       TEXT NOT NULL,
    detail       TEXT NOT NULL,
    raised_at    INTEGER NOT NULL,
    delivered_at INTEGER,
    silent       INTEGER NOT NULL DEFAULT 0 CHECK (silent IN (0, 1)),
    read_at      INTEGER,
    UNIQUE (ticket_id, kind, cycle, target)
) STRICT;
INSERT INTO alerts_new SELECT id, ticket_id, kind, cycle, target, detail, raised_at, delivered_at, silent, read_at FROM alerts;
DROP TABLE alerts;
ALTER TABLE alerts_new RENAME TO alerts;
CREATE INDEX alerts_raised      ON alerts(raised_at);
CREATE INDEX alerts_undelivered ON alerts(raised_at) WHERE delivered_at IS NULL;
CREATE INDEX alerts_unread      ON alerts(raised_at) WHERE read_at IS NULL;
