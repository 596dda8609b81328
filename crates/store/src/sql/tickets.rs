//! Ticket numbers: a sequence per year. On SQLite a counter row, safe because one writer does
//! all writes. On PostgreSQL a counter row would make every submission wait for the previous
//! one's commit (its row lock is held until then), so each year has a sequence instead: no lock,
//! never a number twice, at worst a gap after a rollback or crash. Numbers are handed out in
//! order of request, so within a year they still rise with time of receipt.

use super::Backend;
use crate::Result;
use sqlx::{AnyConnection, Row};

/// Takes `$2` numbers of the year `$1` on SQLite; returns the last one taken.
pub const SQLITE_TAKE_NUMBERS: &str = "INSERT INTO ticket_counters (year, last) VALUES ($1, $2) \
     ON CONFLICT (year) DO UPDATE SET last = ticket_counters.last + $2 RETURNING last";

/// `count` new numbers of `year`, ascending.
pub async fn next_numbers(
    conn: &mut AnyConnection,
    backend: Backend,
    year: i32,
    count: i64,
) -> Result<Vec<i64>> {
    match backend {
        Backend::Sqlite => {
            let last: i64 = sqlx::query(SQLITE_TAKE_NUMBERS)
                .bind(i64::from(year))
                .bind(count)
                .fetch_one(&mut *conn)
                .await?
                .try_get("last")?;
            Ok((last - count + 1..=last).collect())
        }
        Backend::Postgres => {
            // Migration 0003 creates the sequences of 2000-2100. The year is an integer we
            // format ourselves: no injection possible.
            let sequence = format!("ticket_seq_{year}");
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT nextval('{sequence}') AS n FROM generate_series(1, $1::bigint)"
            )))
            .bind(count)
            .fetch_all(&mut *conn)
            .await?;
            let mut numbers = rows
                .iter()
                .map(|r| r.try_get::<i64, _>("n"))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            numbers.sort_unstable();
            Ok(numbers)
        }
    }
}
