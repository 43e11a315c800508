-- Casebook schema 1. Append-only: never edit a shipped migration, add a new file.
-- Times are integer milliseconds since the Unix epoch (UTC). Ids are UUID v7 text.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL            -- JSON
) STRICT;

CREATE TABLE organisations (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE
) STRICT;

CREATE TABLE customers (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    email           TEXT NOT NULL UNIQUE COLLATE NOCASE,
    organisation_id TEXT REFERENCES organisations(id),
    tier            TEXT NOT NULL DEFAULT 'normal' CHECK (tier IN ('vip', 'normal')),
    created_at      INTEGER NOT NULL
) STRICT;

CREATE TABLE teams (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    backup_agent TEXT REFERENCES agents(id)
) STRICT;

CREATE TABLE agents (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    email      TEXT NOT NULL UNIQUE COLLATE NOCASE,
    role       TEXT NOT NULL CHECK (role IN ('admin', 'agent')),
    skills     TEXT NOT NULL DEFAULT '[]',   -- JSON array of strings
    active     INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE agent_teams (
    agent_id TEXT NOT NULL REFERENCES agents(id),
    team_id  TEXT NOT NULL REFERENCES teams(id),
    PRIMARY KEY (agent_id, team_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE ticket_types (
    name     TEXT PRIMARY KEY COLLATE NOCASE,
    position INTEGER NOT NULL,
    active   INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE tickets (
    id                TEXT PRIMARY KEY,
    number            INTEGER NOT NULL UNIQUE,
    subject           TEXT NOT NULL CHECK (length(subject) > 0),
    description       TEXT NOT NULL,
    type              TEXT NOT NULL,
    priority          INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 3),   -- 0 urgent … 3 low
    status            TEXT NOT NULL CHECK (status IN ('new','open','pending','on_hold','resolved','closed')),
    resolution        TEXT CHECK (resolution IN ('solved','duplicate','no_action_needed','auto_closed','confirmed_by_customer')),
    duplicate_of      TEXT REFERENCES tickets(id),
    requester_id      TEXT NOT NULL REFERENCES customers(id),
    assignee_id       TEXT REFERENCES agents(id),
    team_id           TEXT REFERENCES teams(id),
    channel           TEXT NOT NULL CHECK (channel IN ('manual','email','import')),
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    first_response_at INTEGER,
    resolved_at       INTEGER,
    closed_at         INTEGER,
    -- SLA: the resolution clock's current cycle starts here (creation, or the last reopen).
    sla_cycle         INTEGER NOT NULL DEFAULT 0,
    sla_cycle_start   INTEGER NOT NULL,
    -- Derived SLA instants (NULL when met, paused or not applicable), kept current on every
    -- change so that "breaching soon" is an index range scan, not a computation per ticket.
    frt_due_at        INTEGER,
    frt_risk_at       INTEGER,
    res_due_at        INTEGER,
    res_risk_at       INTEGER,
    sla_attention_at  INTEGER              -- min of the risk instants still ahead of the ticket
) STRICT;

-- Sort indexes end in `number`, the tie-breaker of every sort, so a page is read in order.
CREATE INDEX tickets_status_updated   ON tickets(status, updated_at, number);
CREATE INDEX tickets_updated          ON tickets(updated_at, number);
CREATE INDEX tickets_created          ON tickets(created_at, number);
CREATE INDEX tickets_assignee_status  ON tickets(assignee_id, status, updated_at, number);
CREATE INDEX tickets_team_status      ON tickets(team_id, status, updated_at, number);
CREATE INDEX tickets_requester        ON tickets(requester_id, created_at);
-- Covering: listing every ticket that needs attention reads this index alone.
CREATE INDEX tickets_attention        ON tickets(sla_attention_at, number, priority, frt_due_at, res_due_at)
    WHERE sla_attention_at IS NOT NULL;
CREATE INDEX tickets_resolved         ON tickets(resolved_at) WHERE resolved_at IS NOT NULL;
CREATE INDEX tickets_duplicate_of     ON tickets(duplicate_of) WHERE duplicate_of IS NOT NULL;

CREATE TABLE ticket_tags (
    ticket_id TEXT NOT NULL REFERENCES tickets(id),
    tag       TEXT NOT NULL,
    PRIMARY KEY (ticket_id, tag)
) STRICT, WITHOUT ROWID;
CREATE INDEX ticket_tags_tag ON ticket_tags(tag, ticket_id);

-- Intervals in which the SLA clock stood still (the ticket was Pending).
CREATE TABLE sla_pauses (
    ticket_id  TEXT NOT NULL REFERENCES tickets(id),
    started_at INTEGER NOT NULL,
    ended_at   INTEGER,
    PRIMARY KEY (ticket_id, started_at)
) STRICT, WITHOUT ROWID;

CREATE TABLE messages (
    id           TEXT PRIMARY KEY,
    ticket_id    TEXT NOT NULL REFERENCES tickets(id),
    kind         TEXT NOT NULL CHECK (kind IN ('public','internal','customer','system')),
    author_agent TEXT REFERENCES agents(id),
    author_customer TEXT REFERENCES customers(id),
    body         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    is_solution  INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX messages_ticket ON messages(ticket_id, created_at);

CREATE TABLE attachments (
    id          TEXT PRIMARY KEY,
    message_id  TEXT NOT NULL REFERENCES messages(id),
    filename    TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    size        INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX attachments_message ON attachments(message_id);
CREATE INDEX attachments_sha ON attachments(sha256);

CREATE TABLE ticket_links (
    from_ticket TEXT NOT NULL REFERENCES tickets(id),
    to_ticket   TEXT NOT NULL REFERENCES tickets(id),
    kind        TEXT NOT NULL CHECK (kind IN ('related','duplicate')),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (from_ticket, to_ticket, kind),
    CHECK (from_ticket <> to_ticket)
) STRICT, WITHOUT ROWID;
CREATE INDEX ticket_links_to ON ticket_links(to_ticket);

-- The history of everything (PRODUCT T4): written in the same transaction as the change.
-- `seq` orders this device's log; `id` (UUID v7) identifies an event across devices.
CREATE TABLE events (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    id        TEXT NOT NULL UNIQUE,
    ticket_id TEXT REFERENCES tickets(id),
    actor     TEXT NOT NULL,
    kind      TEXT NOT NULL,
    payload   TEXT NOT NULL,      -- JSON; carries the new values so the log can be replayed
    at        INTEGER NOT NULL,
    device    TEXT NOT NULL
) STRICT;
CREATE INDEX events_ticket ON events(ticket_id, seq);

CREATE TABLE macros (
    id    TEXT PRIMARY KEY,
    name  TEXT NOT NULL UNIQUE COLLATE NOCASE,
    body  TEXT NOT NULL
) STRICT;

CREATE TABLE saved_views (
    id       TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    owner_id TEXT REFERENCES agents(id),      -- NULL = shared with the team
    query    TEXT NOT NULL,                   -- JSON ViewQuery
    UNIQUE (owner_id, name)
) STRICT;
