-- Aduan foundation schema (PostgreSQL). Times are Unix microseconds (UTC).

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE ticket_counters (
    year BIGINT PRIMARY KEY,
    last BIGINT NOT NULL
);

CREATE TABLE cases (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    due_at BIGINT,
    last_seq BIGINT NOT NULL,
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
    case_id BIGINT NOT NULL REFERENCES cases (id),
    is_lead BIGINT NOT NULL,
    PRIMARY KEY (unit, case_id)
);
CREATE INDEX case_units_by_case ON case_units (case_id);

-- Personal data lives apart from the case so that no list query can carry it by accident.
CREATE TABLE case_reporters (
    case_id BIGINT PRIMARY KEY REFERENCES cases (id),
    data TEXT NOT NULL
);

CREATE TABLE case_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    type TEXT NOT NULL,
    public BIGINT NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (case_id, seq)
);

-- The timeline and audit trail only grow.
CREATE FUNCTION case_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'case events are append-only';
END;
$$;
CREATE TRIGGER case_events_no_change BEFORE UPDATE OR DELETE ON case_events
FOR EACH ROW EXECUTE FUNCTION case_events_append_only();

CREATE TABLE users (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    unit TEXT,
    password_hash TEXT NOT NULL,
    active BIGINT NOT NULL,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT,
    created_at BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE access_failures (
    ticket TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX access_failures_by_ticket ON access_failures (ticket, at);
