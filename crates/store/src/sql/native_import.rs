//! Bulk import on SQLite through a connection of its own (rusqlite), kept for the whole load
//! with a large page cache. A million demo cases make a 6 GB file, and the load's time went
//! mostly to writing pages: with the writer's 16 MB cache, a batch's pages were written out
//! to the WAL while the batch still changed them, and again at each commit, and the index ends
//! and search segments the next batch changes were read back in (BENCHMARKS.md, session 23).
//! The writer runs nothing else while an import writes here ([`super::writer::Writer::alone`]).
//! The statements are the PostgreSQL import's, made on other threads while the one before runs.

use super::Backend;
use super::import::{
    AHEAD, Prepared, assign_tickets, case_row_statements, cases_per_year, history_statements,
    ids_in_order, prepare,
};
use super::native::bind;
use super::query::Sql;
use crate::*;
use rusqlite::{Connection, TransactionBehavior};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc::sync_channel;

/// Prepared statements kept: the import's few shapes, each with a full and a last chunk.
const STATEMENT_CACHE: usize = 32;
/// Page cache of the import connection: holds a batch of 10,000 demo cases (about 60 MB of
/// pages) until its commit, and the pages the next batch changes again. Freed when the load
/// ends ([`NativeImporter::release`]), so a server that imported keeps no more memory.
const CACHE_KIB: u32 = 200_000;
/// Pages the WAL may hold before a commit copies them into the database: more than a batch, so
/// that pages every batch changes are copied once for several batches.
const CHECKPOINT_PAGES: u32 = 20_000;

/// The connection that bulk imports write through, opened at first use and kept until
/// [`NativeImporter::release`].
pub struct NativeImporter {
    path: PathBuf,
    connection: Mutex<Option<Connection>>,
}

impl NativeImporter {
    pub fn new(path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
            connection: Mutex::new(None),
        }
    }

    /// Writes `cases` with their histories in one durable transaction and returns their
    /// tickets, in order. Blocks: run it on a blocking thread, while no other write runs.
    pub fn import(
        &self,
        cases: Vec<ImportedCase>,
        access_code: AccessCodeFn,
        counting: Option<time::UtcOffset>,
    ) -> Result<Vec<Ticket>> {
        let mut held = self
            .connection
            .lock()
            .map_err(|_| StoreError::corrupt("an earlier import crashed"))?;
        let conn = match &mut *held {
            Some(conn) => conn,
            empty => empty.insert(open(&self.path)?),
        };
        let result = import_on(conn, &cases, &access_code, counting);
        if result.as_ref().is_err_and(StoreError::is_connection_fault) {
            *held = None;
        }
        result
    }

    /// Ends a bulk load: copies the WAL into the database, empties it and closes the
    /// connection with its cache.
    pub fn release(&self) -> Result<()> {
        let mut held = self
            .connection
            .lock()
            .map_err(|_| StoreError::corrupt("an earlier import crashed"))?;
        if let Some(conn) = held.take() {
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        }
        Ok(())
    }
}

fn open(path: &Path) -> Result<Connection> {
    let conn = super::native::connect(path, STATEMENT_CACHE)?;
    // As durable as the writer: the WAL is the file's own (set when the store opened it), and
    // every commit is synced before the import is answered.
    conn.execute_batch(&format!(
        "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
         PRAGMA cache_size = -{CACHE_KIB}; PRAGMA temp_store = MEMORY; \
         PRAGMA wal_autocheckpoint = {CHECKPOINT_PAGES};"
    ))?;

    Ok(conn)
}

fn import_on(
    conn: &mut Connection,
    cases: &[ImportedCase],
    access_code: &AccessCodeFn,
    counting: Option<time::UtcOffset>,
) -> Result<Vec<Ticket>> {
    let transaction = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let tickets = reserve_tickets(&transaction, cases)?;
    std::thread::scope(|threads| {
        // What does not depend on the cases' ids is made on another core meanwhile.
        let prepared = threads.spawn(|| prepare(cases, Backend::Sqlite, counting));
        let (ready, statements) = sync_channel::<Result<Sql>>(AHEAD);
        let tickets = &tickets;
        threads.spawn(move || {
            case_row_statements(Backend::Sqlite, cases, tickets, access_code, &mut |s| {
                ready.send(s).is_ok()
            });
        });
        let mut ids = HashMap::with_capacity(cases.len());
        for statement in statements {
            let sql = statement?;
            let mut statement = transaction.prepare_cached(sql.text())?;
            bind(&mut statement, &sql)?;
            let mut rows = statement.raw_query();
            while let Some(row) = rows.next()? {
                ids.insert(row.get::<_, String>(1)?, row.get::<_, i64>(0)?);
            }
        }
        let ids = ids_in_order(tickets, &ids)?;
        let Prepared {
            cases: prepared,
            counts,
        } = prepared
            .join()
            .map_err(|_| StoreError::corrupt("preparing the import crashed"))??;
        let (ready, statements) = sync_channel::<Sql>(AHEAD);
        threads.spawn(move || {
            history_statements(Backend::Sqlite, cases, &ids, prepared, &mut |statement| {
                ready.send(statement).is_ok()
            });
        });
        for sql in statements {
            run(&transaction, &sql)?;
        }
        for sql in super::counts::sqlite_statements(&counts) {
            run(&transaction, &sql)?;
        }
        Ok::<_, StoreError>(())
    })?;
    transaction.commit()?;
    Ok(tickets)
}

fn run(conn: &Connection, sql: &Sql) -> Result<()> {
    let mut statement = conn.prepare_cached(sql.text())?;
    bind(&mut statement, sql)?;
    statement.raw_execute()?;
    Ok(())
}

/// The next ticket numbers of each year for the whole batch, in its order.
fn reserve_tickets(conn: &Connection, cases: &[ImportedCase]) -> Result<Vec<Ticket>> {
    let cases: Vec<_> = cases.iter().map(|c| (c.case.kind, c.year)).collect();
    let mut numbers = BTreeMap::new();
    for (year, count) in cases_per_year(&cases) {
        let last: i64 = conn
            .prepare_cached(super::tickets::SQLITE_TAKE_NUMBERS)?
            .query_row((i64::from(year), count), |row| row.get(0))?;
        numbers.insert(year, (last - count + 1..=last).collect());
    }
    assign_tickets(&cases, numbers)
}
