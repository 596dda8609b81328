-- Counters kept in the same transaction as each change to a case (see src/sql/counts.rs), so
-- that the backlog and the monthly figures do not group the whole table on every request.
-- Several shards per bucket let concurrent transactions add to a busy bucket without queueing
-- on one row. Keys sort bytewise ("C") so that a prefix is one index range. Filled at the next
-- start by a recount.
CREATE TABLE case_counts (
    bucket TEXT COLLATE "C" NOT NULL,
    shard SMALLINT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (bucket, shard)
);
