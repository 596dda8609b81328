//! Staff accounts, tokens, settings and the access-code throttle.

use super::query::{Arg, Sql};
use super::rows::*;
use crate::time_codec::{from_micros, to_micros};
use crate::*;
use sqlx::{AnyConnection, AnyPool, Row};

pub async fn setting(reader: &AnyPool, key: &str) -> Result<Option<String>> {
    let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
        .bind(key.to_string())
        .fetch_optional(reader)
        .await?;
    Ok(row.map(|r| r.try_get("value")).transpose()?)
}

pub async fn put_setting(
    conn: &mut AnyConnection,
    key: String,
    value: String,
    now: OffsetDateTime,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(key)
    .bind(value)
    .bind(to_micros(now))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn create_user(conn: &mut AnyConnection, user: NewUser) -> Result<()> {
    let result = sqlx::query(
        "INSERT INTO users (username, role, unit, password_hash, active, failed_logins, created_at, email) \
         VALUES ($1, $2, $3, $4, 1, 0, $5, $6)",
    )
    .bind(user.username)
    .bind(user.role.code())
    .bind(user.unit)
    .bind(user.password_hash)
    .bind(to_micros(user.created_at))
    .bind(user.email)
    .execute(conn)
    .await;
    match result {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => Err(StoreError::Duplicate("user")),
        Err(e) => Err(e.into()),
    }
}

pub async fn user(reader: &AnyPool, username: &str) -> Result<Option<UserRecord>> {
    let row = sqlx::query(
        "SELECT username, role, unit, email, password_hash, active FROM users WHERE username = $1",
    )
    .bind(username.to_string())
    .fetch_optional(reader)
    .await?;
    row.as_ref().map(user_from_row).transpose()
}

pub async fn users(reader: &AnyPool) -> Result<Vec<UserRecord>> {
    let rows = sqlx::query(
        "SELECT username, role, unit, email, password_hash, active FROM users ORDER BY username LIMIT 1000",
    )
    .fetch_all(reader)
    .await?;
    rows.iter().map(user_from_row).collect()
}

pub async fn count_active_admins(reader: &AnyPool) -> Result<i64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE role = 'admin' AND active = 1")
        .fetch_one(reader)
        .await?;
    Ok(row.try_get("n")?)
}

pub async fn set_password(
    conn: &mut AnyConnection,
    username: String,
    password_hash: String,
) -> Result<()> {
    let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE username = $2")
        .bind(password_hash)
        .bind(username)
        .execute(conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound("user"));
    }
    Ok(())
}

pub async fn staff_emails(
    reader: &AnyPool,
    roles: &[Role],
    unit: Option<&str>,
) -> Result<Vec<String>> {
    let mut sql = Sql::new(
        "SELECT DISTINCT email FROM users WHERE active = 1 AND email IS NOT NULL AND role IN (",
    );
    let roles: Vec<String> = roles.iter().map(|r| r.code().to_string()).collect();
    sql.placeholders(&roles);
    sql.push(")", vec![]);
    if let Some(unit) = unit {
        sql.push(" AND unit = ?", vec![Arg::Text(unit.to_string())]);
    }
    sql.push(" ORDER BY email", vec![]);
    let rows = sql.query().fetch_all(reader).await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get("email"))
        .collect::<std::result::Result<_, _>>()?)
}

pub async fn insert_token(
    conn: &mut AnyConnection,
    token_hash: String,
    username: String,
    now: OffsetDateTime,
    expires_at: OffsetDateTime,
) -> Result<()> {
    sqlx::query("INSERT INTO api_tokens (token_hash, username, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(token_hash)
        .bind(username)
        .bind(to_micros(now))
        .bind(to_micros(expires_at))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn token(reader: &AnyPool, token_hash: &str) -> Result<Option<TokenRecord>> {
    let row = sqlx::query(
        "SELECT t.username AS token_user, t.expires_at, t.revoked_at, \
         u.username, u.role, u.unit, u.email, u.password_hash, u.active \
         FROM api_tokens t LEFT JOIN users u ON u.username = t.username WHERE t.token_hash = $1",
    )
    .bind(token_hash.to_string())
    .fetch_optional(reader)
    .await?;
    row.map(|row| {
        let user = match row.try_get::<Option<String>, _>("username")? {
            Some(_) => Some(user_from_row(&row)?),
            None => None,
        };
        Ok(TokenRecord {
            username: row.try_get("token_user")?,
            expires_at: from_micros(row.try_get("expires_at")?)?,
            revoked: row.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
            user,
        })
    })
    .transpose()
}

pub async fn revoke_token(
    conn: &mut AnyConnection,
    token_hash: String,
    now: OffsetDateTime,
) -> Result<()> {
    sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL",
    )
    .bind(to_micros(now))
    .bind(token_hash)
    .execute(conn)
    .await?;
    Ok(())
}

/// Failures older than this are of no use to any throttle and are deleted as new ones arrive,
/// so that the table stays small whatever an attacker sends.
const FAILURE_MEMORY: time::Duration = time::Duration::days(1);

pub async fn record_access_failure(
    conn: &mut AnyConnection,
    ticket: String,
    at: OffsetDateTime,
) -> Result<()> {
    sqlx::query("DELETE FROM access_failures WHERE at < $1")
        .bind(to_micros(at - FAILURE_MEMORY))
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO access_failures (ticket, at) VALUES ($1, $2)")
        .bind(ticket)
        .bind(to_micros(at))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn access_failures_since(
    reader: &AnyPool,
    ticket: &str,
    since: OffsetDateTime,
) -> Result<i64> {
    let row =
        sqlx::query("SELECT COUNT(*) AS n FROM access_failures WHERE ticket = $1 AND at >= $2")
            .bind(ticket.to_string())
            .bind(to_micros(since))
            .fetch_one(reader)
            .await?;
    Ok(row.try_get("n")?)
}
