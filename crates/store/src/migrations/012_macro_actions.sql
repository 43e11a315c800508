-- Macros that act (issue 17): besides its text, a macro may set fields on the ticket it is
-- applied to (status, priority, type, team, assignee, tags). A JSON list of the same changes
-- a bulk action makes; agents by email, teams by name, as in rule definitions.
ALTER TABLE macros ADD COLUMN actions TEXT NOT NULL DEFAULT '[]';
