-- Typed events (the replayable log). `format` is the payload format of each event: 0 for the
-- history written before typed events (kept and shown, never replayed), 1 and up after. An
-- upgraded workspace appends baseline events with its state as it was (see events::replay).
ALTER TABLE events ADD COLUMN format INTEGER NOT NULL DEFAULT 0;
