-- Mail that could not become a case or a message (unreadable, automatic, a bounce, refused by
-- validation), kept whole so that an admin can retry or discard it and nothing is lost.
CREATE TABLE mail_quarantine (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at INTEGER NOT NULL,
    origin TEXT NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT,
    message_id TEXT,
    sender TEXT,
    subject TEXT,
    raw BLOB NOT NULL,
    state TEXT NOT NULL DEFAULT 'held',
    resolved_at INTEGER,
    resolved_by TEXT
);
CREATE INDEX mail_quarantine_state ON mail_quarantine (state, id);
