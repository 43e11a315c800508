-- Customer satisfaction (PRODUCT D4): one good/bad rating per solved ticket, with an optional
-- comment, entered by an agent from the customer's answer (a new rating replaces the old).
CREATE TABLE csat (
    ticket_id   TEXT PRIMARY KEY REFERENCES tickets(id),
    good        INTEGER NOT NULL CHECK (good IN (0, 1)),
    comment     TEXT NOT NULL DEFAULT '',
    rated_at    INTEGER NOT NULL,
    recorded_by TEXT REFERENCES agents(id)
) STRICT, WITHOUT ROWID;
CREATE INDEX csat_rated ON csat(rated_at);
