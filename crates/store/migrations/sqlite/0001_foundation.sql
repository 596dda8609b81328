-- Aduan foundation schema (SQLite). Times are Unix microseconds (UTC).

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE ticket_counters (
    year INTEGER PRIMARY KEY,
    last INTEGER NOT NULL
);

CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    ticket TEXT NOT NULL UNIQUE,
    access_hash TEXT NOT NULL,
    kind TEXT NOT NULL,
    category TEXT NOT NULL,
    state TEXT NOT NULL,
    privacy TEXT NOT NULL,
    channel TEXT NOT NULL,
    language TEXT NOT NULL,
    lead_unit TEXT,
    title TEXT NOT NULL,
    registered_by TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    due_at INTEGER,
    last_seq INTEGER NOT NULL,
    details TEXT NOT NULL,
    workflow TEXT NOT NULL
);
CREATE INDEX cases_by_state ON cases (state, id);
CREATE INDEX cases_by_category ON cases (category, id);
CREATE INDEX cases_by_kind ON cases (kind, id);
CREATE INDEX cases_by_channel ON cases (channel, id);
CREATE INDEX cases_by_created ON cases (created_at, id);
CREATE INDEX cases_by_due ON cases (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX cases_by_registrar ON cases (registered_by, id) WHERE registered_by IS NOT NULL;

-- Lead and supporting units of each case: what unit staff may see.
CREATE TABLE case_units (
    unit TEXT NOT NULL,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    is_lead INTEGER NOT NULL,
    PRIMARY KEY (unit, case_id)
);
CREATE INDEX case_units_by_case ON case_units (case_id);

-- Personal data lives apart from the case so that no list query can carry it by accident.
CREATE TABLE case_reporters (
    case_id INTEGER PRIMARY KEY REFERENCES cases (id),
    data TEXT NOT NULL
);

CREATE TABLE case_events (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    type TEXT NOT NULL,
    public INTEGER NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (case_id, seq)
);

-- The timeline and audit trail only grow.
CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events
BEGIN SELECT RAISE(ABORT, 'case events are append-only'); END;
CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events
BEGIN SELECT RAISE(ABORT, 'case events are append-only'); END;

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    unit TEXT,
    password_hash TEXT NOT NULL,
    active INTEGER NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER,
    created_at INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
);

CREATE TABLE access_failures (
    ticket TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX access_failures_by_ticket ON access_failures (ticket, at);
