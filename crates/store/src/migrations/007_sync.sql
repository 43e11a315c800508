-- Team sync (crates/sync): this laptop's own bookkeeping, never replayed or compared.
-- An event made here has no `received_from`; one ingested from a shared folder names the
-- device subfolder it came from (so it is never published again as ours).
ALTER TABLE events ADD COLUMN received_from TEXT;

-- Every segment in this database: published by this device (with the range of its own events
-- it holds, to publish it again if the share lost it) or ingested from another.
CREATE TABLE sync_segments (
    device     TEXT NOT NULL,
    number     INTEGER NOT NULL,
    sha256     TEXT NOT NULL,
    events     INTEGER NOT NULL,
    first_seq  INTEGER,
    last_seq   INTEGER,
    deps       TEXT NOT NULL DEFAULT '{}',
    done_at    INTEGER NOT NULL,
    PRIMARY KEY (device, number)
) STRICT;

-- This laptop's sync settings (the folder, pause) and progress: not shared with the team.
CREATE TABLE sync_local (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- Attachment files an ingested event names that no device folder had yet.
CREATE TABLE sync_wanted_files (
    sha256 TEXT PRIMARY KEY
) STRICT;

-- What merging the laptops' events decided about concurrent changes (state: the fold of the
-- log writes it the same on every laptop). One row per event whose change met a concurrent
-- one: a field set by two laptops (the later in the log's order stands), a status move on a
-- ticket closed elsewhere (not applied), a ticket number taken elsewhere (renumbered).
CREATE TABLE conflicts (
    event_id  TEXT PRIMARY KEY,
    ticket_id TEXT REFERENCES tickets(id),
    kind      TEXT NOT NULL,       -- field | status | number | merge
    field     TEXT NOT NULL,
    kept      TEXT NOT NULL,       -- JSON: the value that stands
    lost      TEXT NOT NULL,       -- JSON: the value that does not
    device    TEXT NOT NULL,       -- where the event was made
    actor     TEXT NOT NULL,
    at        INTEGER NOT NULL
) STRICT;
CREATE INDEX conflicts_ticket ON conflicts(ticket_id);

-- Two laptops that added the same agent or customer (same email), team, organisation, macro
-- or view (same name) while apart: the later one in the log's order is the earlier one under another id.
CREATE TABLE entity_aliases (
    kind    TEXT NOT NULL,         -- agent | team | customer | organisation | macro | view
    id      TEXT NOT NULL,
    same_as TEXT NOT NULL,
    PRIMARY KEY (kind, id)
) STRICT;
