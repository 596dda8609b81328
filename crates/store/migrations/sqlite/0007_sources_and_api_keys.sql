-- Items of other systems (a SP4N-LAPOR! report, a social media message, an Open311 request) and
-- the case they made or joined. The key makes a second import of the same item find the first.
CREATE TABLE case_sources (
    system TEXT NOT NULL,
    external_id TEXT NOT NULL,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    at INTEGER NOT NULL,
    PRIMARY KEY (system, external_id)
);
CREATE INDEX case_sources_case ON case_sources (case_id);

-- Keys issued by an admin to Open311 clients; only their hash is kept.
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key_hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
