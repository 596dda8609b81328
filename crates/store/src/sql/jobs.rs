//! The durable job queue. Jobs are rows; a worker claims due ones by moving them to `running`
//! with a lease in one statement, so two workers never hold the same job. On PostgreSQL the
//! claim skips rows another worker is claiming (`FOR UPDATE SKIP LOCKED`); on SQLite the single
//! writer serialises claims.

use super::rows::code;
use crate::time_codec::{from_micros, to_micros};
use crate::*;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool, Row};

const COLUMNS: &str = "j.id, j.kind, j.case_id, c.ticket, j.dedup_key, j.payload, j.secret, j.state, \
     j.attempts, j.max_attempts, j.run_at, j.last_error, j.created_at, j.updated_at";

/// Queues jobs; one whose dedup key is already known is skipped.
pub async fn insert(conn: &mut AnyConnection, case_id: Option<i64>, jobs: &[NewJob]) -> Result<()> {
    for job in jobs {
        sqlx::query(
            "INSERT INTO jobs (kind, case_id, dedup_key, payload, secret, state, attempts, max_attempts, \
             run_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'queued', 0, $6, $7, $7, $7) \
             ON CONFLICT (dedup_key) DO NOTHING",
        )
        .bind(job.kind.clone())
        .bind(job.case_id.or(case_id))
        .bind(job.dedup_key.clone())
        .bind(job.payload.clone())
        .bind(job.secret.clone())
        .bind(job.max_attempts)
        .bind(to_micros(job.run_at))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// [`insert`] for the jobs of several cases at once, one statement per hundred jobs.
pub async fn insert_many(
    conn: &mut AnyConnection,
    backend: super::Backend,
    jobs: &[(i64, &NewJob)],
) -> Result<()> {
    for chunk in jobs.chunks(100) {
        let mut sql = super::query::Sql::in_order(
            backend,
            "INSERT INTO jobs (kind, case_id, dedup_key, payload, secret, state, attempts, max_attempts, \
             run_at, created_at, updated_at) VALUES ",
        );
        for (i, (case_id, job)) in chunk.iter().enumerate() {
            use super::query::Arg;
            let at = to_micros(job.run_at);
            sql.push(
                if i == 0 {
                    "(?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?, ?)"
                } else {
                    ", (?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?, ?)"
                },
                vec![
                    Arg::Text(job.kind.clone()),
                    Arg::OptInt(job.case_id.or(Some(*case_id))),
                    Arg::OptText(job.dedup_key.clone()),
                    Arg::Text(job.payload.clone()),
                    Arg::OptText(job.secret.clone()),
                    Arg::Int(job.max_attempts),
                    Arg::Int(at),
                    Arg::Int(at),
                    Arg::Int(at),
                ],
            );
        }
        sql.push(" ON CONFLICT (dedup_key) DO NOTHING", vec![]);
        sql.query().execute(&mut *conn).await?;
    }
    Ok(())
}

pub async fn claim(
    conn: &mut AnyConnection,
    backend: Backend,
    worker: String,
    now: OffsetDateTime,
    lease_until: OffsetDateTime,
    limit: u32,
) -> Result<Vec<JobRecord>> {
    let lock = match backend {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
    };
    let claimed = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE jobs SET state = 'running', locked_by = $1, attempts = attempts + 1, run_at = $2, \
         updated_at = $3 WHERE id IN (SELECT id FROM jobs WHERE state IN ('queued', 'running') \
         AND run_at <= $3 ORDER BY run_at LIMIT $4{lock}) RETURNING id"
    )))
    .bind(worker)
    .bind(to_micros(lease_until))
    .bind(to_micros(now))
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await?;
    let mut jobs = Vec::with_capacity(claimed.len());
    for row in claimed {
        let id: i64 = row.try_get("id")?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM jobs j LEFT JOIN cases c ON c.id = j.case_id WHERE j.id = $1"
        )))
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
        jobs.push(job_from_row(&row)?);
    }
    jobs.sort_by_key(|j| j.id);
    Ok(jobs)
}

pub async fn finish(
    conn: &mut AnyConnection,
    id: i64,
    worker: String,
    outcome: JobOutcome,
    now: OffsetDateTime,
) -> Result<bool> {
    let (state, run_at, error, keep_secret) = match outcome {
        JobOutcome::Done => ("done", now, None, false),
        JobOutcome::Retry { at, error } => ("queued", at, Some(error), true),
        JobOutcome::Failed { error } => ("failed", now, Some(error), true),
    };
    let secret = if keep_secret { "secret" } else { "NULL" };
    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE jobs SET state = $1, run_at = $2, last_error = $3, secret = {secret}, \
         locked_by = NULL, updated_at = $4 WHERE id = $5 AND locked_by = $6 AND state = 'running'"
    )))
    .bind(state)
    .bind(to_micros(run_at))
    .bind(error)
    .bind(to_micros(now))
    .bind(id)
    .bind(worker)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn list(reader: &AnyPool, state: JobState, limit: u32) -> Result<Vec<JobRecord>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM jobs j LEFT JOIN cases c ON c.id = j.case_id \
         WHERE j.state = $1 ORDER BY j.id DESC LIMIT $2"
    )))
    .bind(state.code())
    .bind(i64::from(limit))
    .fetch_all(reader)
    .await?;
    rows.iter().map(job_from_row).collect()
}

pub async fn retry(conn: &mut AnyConnection, id: i64, now: OffsetDateTime) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE jobs SET state = 'queued', attempts = 0, run_at = $1, updated_at = $1 \
         WHERE id = $2 AND state = 'failed'",
    )
    .bind(to_micros(now))
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn counts(reader: &AnyPool) -> Result<Vec<(JobState, i64)>> {
    let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state ORDER BY state")
        .fetch_all(reader)
        .await?;
    rows.iter()
        .map(|row| {
            let state = code(&row.try_get::<String, _>("state")?, JobState::parse)?;
            Ok((state, row.try_get("n")?))
        })
        .collect()
}

fn job_from_row(row: &AnyRow) -> Result<JobRecord> {
    Ok(JobRecord {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        case_id: row.try_get("case_id")?,
        ticket: row.try_get("ticket")?,
        dedup_key: row.try_get("dedup_key")?,
        payload: row.try_get("payload")?,
        secret: row.try_get("secret")?,
        state: code(&row.try_get::<String, _>("state")?, JobState::parse)?,
        attempts: row.try_get("attempts")?,
        max_attempts: row.try_get("max_attempts")?,
        run_at: from_micros(row.try_get("run_at")?)?,
        last_error: row.try_get("last_error")?,
        created_at: from_micros(row.try_get("created_at")?)?,
        updated_at: from_micros(row.try_get("updated_at")?)?,
    })
}
