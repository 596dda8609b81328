-- Counters kept in the same transaction as each change to a case (see src/sql/counts.rs), so
-- that the backlog and the monthly figures do not group the whole table on every request.
-- Filled at the next start by a recount.
CREATE TABLE case_counts (
    bucket TEXT NOT NULL,
    shard INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (bucket, shard)
);
