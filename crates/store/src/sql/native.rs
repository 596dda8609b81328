//! Reads on SQLite through the C library directly (rusqlite), for the small queries that
//! answer most requests: a case for its reporter, its events and files, a page of the staff
//! list. sqlx runs every SQLite connection on a thread of its own and hands each statement and
//! each row across threads, and its `Any` driver converts every value: for a lookup of a few
//! rows that hand-off costs more than SQLite's work (BENCHMARKS.md). Here each thread that
//! answers requests keeps its own read-only connection and runs the statement in place, from
//! a cache of prepared statements.
//!
//! The SQL is the same text sqlx runs (numbered `$N` placeholders, bound by name), and rows
//! become records through the same [`Columns`] mapping, so both paths answer alike; the
//! store's contract tests run through this one on SQLite.

use super::query::{Arg, Sql};
use super::rows::Columns;
use crate::{Result, StoreError};
use rusqlite::{Connection, OpenFlags, ToSql};
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Distinguishes stores (tests open many in one process), so a thread's connection is only
/// used for the database it was opened on.
static NEXT_READER: AtomicU64 = AtomicU64::new(1);
/// Prepared statements kept per connection: the list's filters make a few dozen shapes.
const STATEMENT_CACHE: usize = 64;
/// Connections a thread keeps open at most (one per store; more only in tests).
const CONNECTIONS_PER_THREAD: usize = 4;

thread_local! {
    static CONNECTIONS: RefCell<Vec<(u64, Connection)>> = const { RefCell::new(Vec::new()) };
}

/// Page cache of a connection on a thread that answers requests: the hot index pages of a
/// million cases stay in memory instead of being copied in from the OS on every query.
const REQUEST_CACHE_KIB: u32 = 16_000;
/// Page cache of a connection for long scans (the statistics' facts). Their pages are mostly
/// read once, and they run on blocking threads, which come and go in numbers: a large cache
/// there only held memory, 16 MB per thread (BENCHMARKS.md, session 9).
const SCAN_CACHE_KIB: u32 = 2_000;

#[derive(Clone)]
pub struct NativeReader {
    id: u64,
    path: PathBuf,
    cache_kib: u32,
}

impl NativeReader {
    /// For the small reads made on the threads that answer requests.
    pub fn new(path: &Path) -> Self {
        Self::with_cache(path, REQUEST_CACHE_KIB)
    }

    /// For long reads made on blocking threads.
    pub fn for_scans(path: &Path) -> Self {
        Self::with_cache(path, SCAN_CACHE_KIB)
    }

    fn with_cache(path: &Path, cache_kib: u32) -> Self {
        Self {
            id: NEXT_READER.fetch_add(1, Ordering::Relaxed),
            path: path.to_path_buf(),
            cache_kib,
        }
    }

    /// Runs `sql` and turns each row into a `T`.
    pub fn rows<T>(
        &self,
        sql: &Sql,
        mut map: impl FnMut(&NativeRow<'_, '_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut found = Vec::new();
        self.each(sql, |row| {
            found.push(map(row)?);
            Ok(())
        })?;
        Ok(found)
    }

    /// Runs `sql` and hands each row to `take`, without collecting them.
    pub fn each(
        &self,
        sql: &Sql,
        mut take: impl FnMut(&NativeRow<'_, '_>) -> Result<()>,
    ) -> Result<()> {
        self.with_connection(|conn| {
            let mut statement = conn.prepare_cached(sql.text())?;
            bind(&mut statement, sql)?;
            let columns: Vec<String> = statement
                .column_names()
                .into_iter()
                .map(str::to_string)
                .collect();
            let mut rows = statement.raw_query();
            while let Some(row) = rows.next()? {
                take(&NativeRow {
                    row,
                    columns: &columns,
                })?;
            }
            Ok(())
        })
    }

    /// The first row of `sql`, if any.
    pub fn row<T>(
        &self,
        sql: &Sql,
        map: impl FnMut(&NativeRow<'_, '_>) -> Result<T>,
    ) -> Result<Option<T>> {
        Ok(self.rows(sql, map)?.into_iter().next())
    }

    fn with_connection<T>(&self, run: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        CONNECTIONS.with(|cell| {
            let mut connections = cell.borrow_mut();
            let at = match connections.iter().position(|(id, _)| *id == self.id) {
                Some(at) => at,
                None => {
                    if connections.len() >= CONNECTIONS_PER_THREAD {
                        connections.remove(0);
                    }
                    connections.push((self.id, open(&self.path, self.cache_kib)?));
                    connections.len() - 1
                }
            };
            let result = run(&connections[at].1);
            if result.as_ref().is_err_and(StoreError::is_connection_fault) {
                connections.remove(at);
            }
            result
        })
    }
}

/// Binds the values of `sql` to its prepared `statement`.
pub fn bind(statement: &mut rusqlite::Statement<'_>, sql: &Sql) -> Result<()> {
    for (i, arg) in sql.args().iter().enumerate() {
        if sql.in_order_marks() {
            statement.raw_bind_parameter(i + 1, Bound(arg))?;
            continue;
        }
        let name = format!("${}", i + 1);
        // A value the text does not use (left out by a condition) is simply not bound.
        if let Some(index) = statement.parameter_index(&name)? {
            statement.raw_bind_parameter(index, Bound(arg))?;
        }
    }
    Ok(())
}

/// A read-write connection to the file that waits for the write lock as sqlx's do and keeps
/// `statements` prepared statements.
pub fn connect(path: &Path, statements: usize) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.set_prepared_statement_cache_capacity(statements);
    Ok(conn)
}

fn open(path: &Path, cache_kib: u32) -> Result<Connection> {
    // Read-write but query-only: a read-only handle could not use the WAL index when it is
    // the first to open the database after a crash.
    let conn = connect(path, STATEMENT_CACHE)?;
    conn.execute_batch(&format!(
        "PRAGMA query_only = ON; PRAGMA cache_size = -{cache_kib}; PRAGMA temp_store = MEMORY;"
    ))?;
    Ok(conn)
}

struct Bound<'a>(&'a Arg);

impl ToSql for Bound<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self.0 {
            Arg::Int(v) => v.to_sql(),
            Arg::Text(v) => v.to_sql(),
            Arg::OptInt(v) => v.to_sql(),
            Arg::OptText(v) => v.to_sql(),
        }
    }
}

/// A row with its statement's column names.
pub struct NativeRow<'r, 's> {
    row: &'r rusqlite::Row<'s>,
    columns: &'r [String],
}

impl NativeRow<'_, '_> {
    fn get<T: rusqlite::types::FromSql>(&self, name: &str) -> Result<T> {
        let index = self
            .columns
            .iter()
            .position(|c| c == name)
            .ok_or_else(|| StoreError::corrupt(format!("no column `{name}`")))?;
        Ok(self.row.get(index)?)
    }
}

impl Columns for NativeRow<'_, '_> {
    fn int(&self, name: &str) -> Result<i64> {
        self.get(name)
    }
    fn opt_int(&self, name: &str) -> Result<Option<i64>> {
        self.get(name)
    }
    fn text(&self, name: &str) -> Result<String> {
        self.get(name)
    }
    fn opt_text(&self, name: &str) -> Result<Option<String>> {
        self.get(name)
    }
}

/// Where a small read goes: to the native connection on SQLite, else to sqlx's pool.
#[derive(Clone, Copy)]
pub struct Reads<'a> {
    pub pool: &'a sqlx::AnyPool,
    pub native: Option<&'a NativeReader>,
    /// For long reads on blocking threads; set whenever `native` is.
    pub scans: Option<&'a NativeReader>,
}

impl Reads<'_> {
    pub async fn all<T>(&self, sql: &Sql, map: fn(&dyn Columns) -> Result<T>) -> Result<Vec<T>> {
        match self.native {
            Some(native) => native.rows(sql, |row| map(row)),
            None => sql
                .query()
                .fetch_all(self.pool)
                .await?
                .iter()
                .map(|row| map(row))
                .collect(),
        }
    }

    pub async fn optional<T>(
        &self,
        sql: &Sql,
        map: fn(&dyn Columns) -> Result<T>,
    ) -> Result<Option<T>> {
        match self.native {
            Some(native) => native.row(sql, |row| map(row)),
            None => sql
                .query()
                .fetch_optional(self.pool)
                .await?
                .as_ref()
                .map(|row| map(row))
                .transpose(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database(rows: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(&format!(
            "PRAGMA journal_mode = WAL; CREATE TABLE t (a INTEGER, b TEXT); \
             INSERT INTO t VALUES {rows};"
        ))
        .unwrap();
        (dir, path)
    }

    fn pairs(row: &NativeRow<'_, '_>) -> Result<(i64, Option<String>)> {
        Ok((row.int("a")?, row.opt_text("b")?))
    }

    #[test]
    fn values_are_bound_by_their_number_wherever_it_stands() {
        let (_dir, path) = database("(1, 'x'), (2, 'y'), (3, 'y'), (4, NULL)");
        let reader = NativeReader::new(&path);
        // `$2` comes first in the text; binding by position would swap the two.
        let mut sql = Sql::new("SELECT a, b FROM t WHERE b = $2 AND a >= $1 ORDER BY a");
        sql.bind_first(Arg::Text("y".into()));
        sql.bind_first(Arg::Int(3));
        assert_eq!(
            reader.rows(&sql, pairs).unwrap(),
            vec![(3, Some("y".into()))]
        );
        // The same statement again, from the cache, with other values.
        let mut again = Sql::new("SELECT a, b FROM t WHERE b = $2 AND a >= $1 ORDER BY a");
        again.bind_first(Arg::Text("y".into()));
        again.bind_first(Arg::Int(0));
        assert_eq!(reader.rows(&again, pairs).unwrap().len(), 2);
        let nulls = Sql::new("SELECT a, b FROM t WHERE b IS NULL");
        assert_eq!(reader.row(&nulls, pairs).unwrap(), Some((4, None)));
        let missing = Sql::new("SELECT a FROM t");
        assert!(matches!(
            reader.rows(&missing, pairs),
            Err(StoreError::Corrupt(_))
        ));
    }

    #[test]
    fn each_store_reads_its_own_file_and_sees_later_commits() {
        let (_one, first) = database("(1, 'first')");
        let (_two, second) = database("(2, 'second')");
        let (a, b) = (NativeReader::new(&first), NativeReader::new(&second));
        let all = Sql::new("SELECT a, b FROM t ORDER BY a");
        assert_eq!(
            a.rows(&all, pairs).unwrap(),
            vec![(1, Some("first".into()))]
        );
        assert_eq!(
            b.rows(&all, pairs).unwrap(),
            vec![(2, Some("second".into()))]
        );
        Connection::open(&first)
            .unwrap()
            .execute("INSERT INTO t VALUES (5, 'later')", [])
            .unwrap();
        assert_eq!(a.rows(&all, pairs).unwrap().len(), 2);
        // The connection only reads.
        let write = Sql::new("INSERT INTO t VALUES (9, 'no') RETURNING a, b");
        assert!(a.rows(&write, pairs).is_err());
    }

    #[test]
    fn readers_for_scans_keep_a_smaller_page_cache_on_the_same_file() {
        let (_dir, path) = database("(1, 'x')");
        let cache = Sql::new("SELECT cache_size AS a, NULL AS b FROM pragma_cache_size");
        let size = |reader: &NativeReader| reader.row(&cache, pairs).unwrap().unwrap().0;
        let (requests, scans) = (NativeReader::new(&path), NativeReader::for_scans(&path));
        assert_eq!(size(&requests), -i64::from(REQUEST_CACHE_KIB));
        assert_eq!(size(&scans), -i64::from(SCAN_CACHE_KIB));
        let all = Sql::new("SELECT a, b FROM t");
        assert_eq!(
            scans.rows(&all, pairs).unwrap(),
            vec![(1, Some("x".into()))]
        );
    }
}
