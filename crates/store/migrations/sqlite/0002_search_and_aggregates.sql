-- Full-text search over stemmed title and description (see aduan_domain::search). Contentless:
-- the text of a case never changes after intake, so the index only ever gets inserts.
CREATE VIRTUAL TABLE cases_fts USING fts5 (body, content = '', tokenize = 'unicode61 remove_diacritics 2');

-- The backlog reads only open cases: a partial index keeps it small at a million cases.
CREATE INDEX cases_open_backlog ON cases (lead_unit, state, due_at)
    WHERE state NOT IN ('closed', 'rejected', 'forwarded', 'merged');

-- Monthly statistics group the cases received in a period without touching the table.
CREATE INDEX cases_period ON cases (created_at, kind, category, channel, state);

-- Old throttle entries are deleted by age.
CREATE INDEX access_failures_by_age ON access_failures (at);
