-- Mail that could not become a case or a message (unreadable, automatic, a bounce, refused by
-- validation), kept whole so that an admin can retry or discard it and nothing is lost.
CREATE TABLE mail_quarantine (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at BIGINT NOT NULL,
    origin TEXT NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT,
    message_id TEXT,
    sender TEXT,
    subject TEXT,
    raw BYTEA NOT NULL,
    state TEXT NOT NULL DEFAULT 'held',
    resolved_at BIGINT,
    resolved_by TEXT
);
CREATE INDEX mail_quarantine_state ON mail_quarantine (state, id);
