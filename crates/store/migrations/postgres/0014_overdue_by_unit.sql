-- The backlog counts the overdue cases per lead unit and state. PostgreSQL's estimate for that
-- count can fall to a handful of rows (the SQLite-minded `state || ''` in the statement has no
-- statistics), and then it read them through cases_overdue and fetched each case's unit from the
-- table: 25-30 ms warm and seconds under load at a million cases. With the unit in the index
-- the count is answered from the index alone whichever index the planner picks.
DROP INDEX cases_overdue;
CREATE INDEX cases_overdue ON cases (due_at) INCLUDE (id, state, lead_unit)
    WHERE due_at IS NOT NULL AND state NOT IN ('closed', 'rejected', 'forwarded', 'merged');
