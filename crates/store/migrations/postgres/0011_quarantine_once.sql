-- A mail fetched again (the fetcher died after keeping it, before moving it on the mail server)
-- must not be kept twice: while an entry is held, its raw message's hash is unique.
ALTER TABLE mail_quarantine ADD COLUMN raw_sha256 TEXT;
CREATE UNIQUE INDEX mail_quarantine_held_once ON mail_quarantine (raw_sha256) WHERE state = 'held';
