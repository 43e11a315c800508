-- Whether a received mail has an HTML part (the thread offers its formatted view).
ALTER TABLE mail_messages ADD COLUMN has_html INTEGER NOT NULL DEFAULT 0;
