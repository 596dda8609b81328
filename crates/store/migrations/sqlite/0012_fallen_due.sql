-- The overdue list, newest first, walked the owed cases from the newest (cases_owed) and kept
-- those past their due time: at a million cases it passed the ~23,000 owed cases not yet due
-- before the first overdue one, four times the cost of any other list. Now the deadline watch
-- marks an owed case once its due time has passed (`fell_due`), and the list reads the marked
-- cases from their own index plus the few unmarked owed cases already past due (those fallen
-- due since the watch's last pass), which the second index finds by due time. The list still
-- compares the due time, so the mark only chooses the index and is never the answer: a case
-- the watch has not reached yet is listed all the same.
-- The state list must match the list query's word for word (`OWED_STATES` in
-- `sql/query.rs`) so that SQLite uses these indexes.
ALTER TABLE cases ADD COLUMN fell_due INTEGER NOT NULL DEFAULT 0;
CREATE INDEX cases_fallen_due ON cases (id, due_at, state)
    WHERE fell_due = 1 AND state IN ('received', 'verified', 'dispositioned', 'in_progress', 'awaiting_approval');
CREATE INDEX cases_falling_due ON cases (due_at, id, state)
    WHERE fell_due = 0 AND state IN ('received', 'verified', 'dispositioned', 'in_progress', 'awaiting_approval');
DROP INDEX cases_owed;
