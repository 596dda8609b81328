-- The overdue list takes the newest of the open cases past their due time. From
-- cases_open_backlog PostgreSQL had to read each such case from the table for its id (SQLite's
-- indexes carry the row id); at a million cases that was 7,500 reads and 22 ms. This index
-- carries the id and the state, so the list is answered from the index alone (3 ms).
CREATE INDEX cases_overdue ON cases (due_at) INCLUDE (id, state)
    WHERE due_at IS NOT NULL AND state NOT IN ('closed', 'rejected', 'forwarded', 'merged');
