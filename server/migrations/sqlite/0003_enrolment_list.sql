-- Station server schema 2 (SQLite): enrolment codes the dashboard lists and cancels. A
-- code's hash could be guessed back to the code, so each code gets an id of its own to be
-- named by; a cancelled code no longer enrols.

ALTER TABLE enrolment ADD COLUMN id TEXT;
ALTER TABLE enrolment ADD COLUMN cancelled_at INTEGER;
UPDATE enrolment SET id = lower(hex(randomblob(16)));
CREATE UNIQUE INDEX enrolment_id ON enrolment(id);
CREATE INDEX enrolment_created ON enrolment(created_at);
