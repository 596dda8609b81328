-- The overdue list, newest first, walks the cases the agency owes a step on from the newest and
-- keeps those past their due time. Before, it collected every overdue case from the index of
-- open cases and sorted them for one page: at a million cases 7,500 overdue cases sorted for
-- 51, 3-5 ms a page and most of the staff list's cost under load. The state list must match
-- the list query's word for word (`OWED_STATES` in `sql/query.rs`) so that SQLite uses this index.
CREATE INDEX cases_owed ON cases (id, due_at, state)
    WHERE state IN ('received', 'verified', 'dispositioned', 'in_progress', 'awaiting_approval');
