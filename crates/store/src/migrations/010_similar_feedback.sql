-- What agents said of suggested similar tickets (issue 19): per suggested ticket and the
-- ticket it was suggested for, whether it helped (1), did not (0) or has no vote (NULL), and
-- when its fix was inserted into a reply. A ticket that helped before ranks higher later.
CREATE TABLE similar_feedback (
    ticket_id       TEXT NOT NULL REFERENCES tickets(id),
    for_ticket      TEXT NOT NULL REFERENCES tickets(id),
    helpful         INTEGER CHECK (helpful IN (0, 1)),
    voted_at        INTEGER,
    fix_inserted_at INTEGER,
    agent_id        TEXT REFERENCES agents(id),
    PRIMARY KEY (ticket_id, for_ticket)
) STRICT, WITHOUT ROWID;
CREATE INDEX similar_feedback_for ON similar_feedback(for_ticket);
