-- Every event gets a hybrid logical clock (`hlc`: milliseconds << 16 plus a counter), so the
-- events of several laptops have one order: (hlc, device, id). `device` is the event's origin.
-- Events from before this migration are stamped in their order on first open (events::clock).
ALTER TABLE events ADD COLUMN hlc INTEGER;
CREATE INDEX events_order ON events(hlc, device, id);
