//! On PostgreSQL the lists are planned once per connection (`pinned_plans`) from the planner's
//! statistics of `cases`, and autovacuum refreshes those only once a tenth of the table has
//! changed. A flood of new cases changes what the plans depend on much sooner: every new case
//! is owed, and owed cases are one or two in a hundred of an agency's cases. At 100,000 cases,
//! 13,000 new ones left the statistics counting 1,582 owed cases where there were 14,217, and
//! the overdue list's plan read two indexes instead of one, 1.6 ms of PostgreSQL's time per
//! list instead of 0.25 (BENCHMARKS.md, session 21). So the store counts the cases it adds and
//! analyzes `cases` itself once they reach a twentieth of the table, in the background.
//!
//! It analyzes the columns the lists and counts filter and sort on, not the search words: the
//! words keep ten times PostgreSQL's usual statistics (migration 0012), and the largest target
//! of the columns analyzed sets the sample for all of them, 300,000 rows instead of 30,000. At
//! 100,000 cases the whole analysis took 3.1-3.8 s of a core, most of it sorting that sample's
//! long texts, and ran twice in five seconds of a flood; these columns alone take 0.5 s
//! (BENCHMARKS.md, session 25). Autovacuum still analyzes every column in its own time.

use sqlx::AnyPool;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// New cases, as a share of the table at its last analysis, that make the statistics stale.
const STALE_SHARE: f64 = 0.05;
/// Fewer new cases than this never call for an analysis (autovacuum's own threshold on a
/// small table is about as many).
const MIN_NEW_CASES: u64 = 1_000;

/// Counts the cases added since `cases` was last analyzed, and analyzes it when they are many.
pub struct IntakeAnalysis {
    added: AtomicU64,
    /// New cases that call for an analysis; learnt from the table's size.
    threshold: AtomicU64,
    running: AtomicBool,
}

impl IntakeAnalysis {
    /// Analyzes after `MIN_NEW_CASES` until the table's size is learnt.
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            added: AtomicU64::new(0),
            threshold: AtomicU64::new(MIN_NEW_CASES),
            running: AtomicBool::new(false),
        })
    }

    /// Learns the table's size from the planner's estimate, so that the first analysis comes
    /// after a twentieth of the table, not after the minimum.
    pub async fn learn_size(self: &Arc<Self>, pool: &AnyPool) {
        match table_rows(pool).await {
            Ok(rows) => self.threshold.store(threshold_for(rows), Ordering::Relaxed),
            Err(e) => tracing::warn!(error = %e, "the size of cases could not be read"),
        }
    }

    /// Counts `cases` new cases, committed; starts an analysis when they have become many and
    /// none is running.
    pub fn added(self: &Arc<Self>, cases: u64, pool: &AnyPool) {
        let added = self.added.fetch_add(cases, Ordering::AcqRel) + cases;
        if added < self.threshold.load(Ordering::Relaxed)
            || self.running.swap(true, Ordering::AcqRel)
        {
            return;
        }
        let this = Arc::clone(self);
        let pool = pool.clone();
        tokio::spawn(async move {
            // Cases added while the analysis runs may or may not be in it; counting them
            // towards the next one errs on the side of analyzing sooner.
            let counted = this.added.load(Ordering::Acquire);
            match analyze(&pool).await {
                Ok(rows) => {
                    this.added.fetch_sub(counted, Ordering::AcqRel);
                    this.threshold.store(threshold_for(rows), Ordering::Relaxed);
                    tracing::info!(
                        new_cases = counted,
                        rows,
                        "cases analyzed after a large intake"
                    );
                }
                // Tried again after the next new case; autovacuum still analyzes in its time.
                Err(e) => tracing::warn!(error = %e, "cases could not be analyzed"),
            }
            this.running.store(false, Ordering::Release);
        });
    }
}

/// New cases that call for an analysis of a table of `rows`.
fn threshold_for(rows: i64) -> u64 {
    // Rows are a planner's estimate: -1 before any analysis, never anything huge.
    let share = (rows.max(0) as f64 * STALE_SHARE) as u64;
    share.max(MIN_NEW_CASES)
}

/// The planner's estimate of the rows of `cases` (-1 before any analysis).
async fn table_rows(pool: &AnyPool) -> std::result::Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT reltuples::bigint FROM pg_class WHERE oid = 'cases'::regclass")
        .fetch_one(pool)
        .await
}

/// The columns of `cases` a flood makes stale, named as the list of `ANALYZE cases (...)`:
/// those at PostgreSQL's usual statistics target. A column's own target leaves it out: the
/// search words' raised one (see the module's doc) and the texts kept without statistics
/// (migration 0017). Read from the catalog, so that a column added later is analyzed too. The
/// usual target is -1 before PostgreSQL 17 and null since.
const ANALYZED_COLUMNS: &str = "\
SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
WHERE attrelid = 'cases'::regclass AND attnum > 0 AND NOT attisdropped
  AND (attstattarget IS NULL OR attstattarget < 0)";

async fn analyze(pool: &AnyPool) -> std::result::Result<i64, sqlx::Error> {
    let columns: String = sqlx::query_scalar(ANALYZED_COLUMNS).fetch_one(pool).await?;
    // The names come from the catalog, quoted by PostgreSQL.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("ANALYZE cases ({columns})")))
        .execute(pool)
        .await?;
    table_rows(pool).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_twentieth_of_the_table_calls_for_an_analysis() {
        assert_eq!(threshold_for(1_000_000), 50_000);
        assert_eq!(threshold_for(100_000), 5_000);
        // A small table, or one never analyzed (-1), waits for the minimum.
        assert_eq!(threshold_for(10_000), MIN_NEW_CASES);
        assert_eq!(threshold_for(-1), MIN_NEW_CASES);
    }
}
