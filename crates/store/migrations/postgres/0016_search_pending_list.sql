-- New cases' words wait in the text index's pending list until it is merged into the index.
-- The merge is done by the insert that finds the list over its limit, while that insert's
-- batch of submissions waits: at PostgreSQL's default of 4 MB one merge held a batch for
-- over 100 ms (p99 of submissions 141-160 ms at 100,000 cases). At 128 kB the merges are
-- shorter and more frequent (p99 28 ms, 3,050 submissions/s against 2,900-3,700/s), and every
-- search, which reads the whole pending list, has less to read.
ALTER INDEX cases_search SET (gin_pending_list_limit = 128);
