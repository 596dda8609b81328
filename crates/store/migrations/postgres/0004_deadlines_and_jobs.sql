-- Deadline watch, on-time accounting and the job queue (issue: deadlines that hold).

-- When the deadline watch must next look at a case (a reminder, an escalation, a lapsed
-- window); NULL when nothing is pending. The watch reads only rows due by now.
ALTER TABLE cases ADD COLUMN next_check_at BIGINT;
CREATE INDEX cases_next_check ON cases (next_check_at) WHERE next_check_at IS NOT NULL;
-- Cases stored before the watch existed are looked at when their due time comes.
UPDATE cases SET next_check_at = due_at
    WHERE due_at IS NOT NULL AND state NOT IN ('closed', 'rejected', 'forwarded', 'merged');

-- When a case reached its terminal state, and the first due time the agency let pass: the
-- on-time rate of a period is read from these two.
ALTER TABLE cases ADD COLUMN closed_at BIGINT;
ALTER TABLE cases ADD COLUMN breached_at BIGINT;
-- Both indexes cover their queries (no table reads): the closures of a period, and the open
-- cases with what the backlog and the on-time rate ask of them.
CREATE INDEX cases_by_closed ON cases (closed_at, state, breached_at, lead_unit, created_at)
    WHERE closed_at IS NOT NULL;
DROP INDEX cases_open_backlog;
CREATE INDEX cases_open_backlog ON cases (lead_unit, state, due_at, breached_at, created_at)
    WHERE state NOT IN ('closed', 'rejected', 'forwarded', 'merged');
-- Cases that ended before these columns existed: their last change is when they ended.
UPDATE cases SET closed_at = updated_at WHERE state IN ('closed', 'rejected', 'forwarded', 'merged');

-- Staff addresses for notifications.
ALTER TABLE users ADD COLUMN email TEXT;

-- Durable jobs, written in the same transaction as the change that calls for them (the
-- transactional outbox for e-mail). `run_at` is when a queued job may run, or when the lease of
-- a running one expires, so one index finds both. `secret` holds what must not outlive the job
-- (the access code of a receipt mail) and is cleared when it finishes.
CREATE TABLE jobs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind TEXT NOT NULL,
    case_id BIGINT REFERENCES cases (id),
    dedup_key TEXT UNIQUE,
    payload TEXT NOT NULL,
    secret TEXT,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    run_at BIGINT NOT NULL,
    locked_by TEXT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX jobs_ready ON jobs (run_at) WHERE state IN ('queued', 'running');
CREATE INDEX jobs_by_state ON jobs (state, id);
