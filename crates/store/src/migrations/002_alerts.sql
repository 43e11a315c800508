-- Alerts (PRODUCT A2–A4): durable rows, raised by the engine, delivered by the desktop shell,
-- read by a person. At most one per (ticket, kind, cycle, target): `cycle` is the SLA cycle
-- of a resolution alert (a reopened ticket can alert again), 0 otherwise; `target` is the
-- message id of a keyword alert, '' otherwise.
CREATE TABLE alerts (
    id           INTEGER PRIMARY KEY,
    ticket_id    TEXT NOT NULL REFERENCES tickets(id),
    kind         TEXT NOT NULL CHECK (kind IN ('sla_first_response_at_risk', 'sla_first_response_breached',
                                                'sla_resolution_at_risk', 'sla_resolution_breached', 'keyword')),
    cycle        INTEGER NOT NULL,
    target       TEXT NOT NULL,
    detail       TEXT NOT NULL,            -- JSON: matched terms, due instant
    raised_at    INTEGER NOT NULL,
    delivered_at INTEGER,
    silent       INTEGER NOT NULL DEFAULT 0 CHECK (silent IN (0, 1)),   -- delivered without a notification
    read_at      INTEGER,
    UNIQUE (ticket_id, kind, cycle, target)
) STRICT;

CREATE INDEX alerts_raised      ON alerts(raised_at);
CREATE INDEX alerts_undelivered ON alerts(raised_at) WHERE delivered_at IS NULL;
CREATE INDEX alerts_unread      ON alerts(raised_at) WHERE read_at IS NULL;

-- The next SLA instant of the ticket the alert scan has not yet passed, so that a scan
-- reads only the tickets with something new to say (an index range), not every open one.
ALTER TABLE tickets ADD COLUMN sla_alert_at INTEGER;
UPDATE tickets SET sla_alert_at = sla_attention_at;
CREATE INDEX tickets_sla_alert ON tickets(sla_alert_at) WHERE sla_alert_at IS NOT NULL;
