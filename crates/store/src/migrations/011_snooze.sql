-- Snooze and follow-up (issue 17). A snoozed ticket leaves the working views until
-- `snoozed_until`, then comes back with an alert; a follow-up reminds `follow_up_by` at
-- `follow_up_at` that the customer has not answered. A customer's message ends both (an
-- event says so). Both are set and cleared by events only.
ALTER TABLE tickets ADD COLUMN snoozed_until INTEGER;
ALTER TABLE tickets ADD COLUMN follow_up_at INTEGER;
ALTER TABLE tickets ADD COLUMN follow_up_by TEXT REFERENCES agents(id);
CREATE INDEX tickets_snoozed ON tickets(snoozed_until) WHERE snoozed_until IS NOT NULL;
CREATE INDEX tickets_follow_up ON tickets(follow_up_at) WHERE follow_up_at IS NOT NULL;

-- Their alerts: a snooze that ran out, a follow-up that came due. The kind list grows, and a
-- CHECK cannot be altered in SQLite, so the table is rebuilt with its rows (as in 003).
CREATE TABLE alerts_new (
    id           INTEGER PRIMARY KEY,
    ticket_id    TEXT NOT NULL REFERENCES tickets(id),
    kind         TEXT NOT NULL CHECK (kind IN ('sla_first_response_at_risk', 'sla_first_response_breached',
                                                'sla_resolution_at_risk', 'sla_resolution_breached', 'keyword', 'rule',
                                                'snooze_ended', 'follow_up_due')),
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
