//! Mail kept aside, whole, until an admin retries or discards it.

use crate::time_codec::{from_micros, to_micros};
use crate::*;
use sqlx::{AnyConnection, AnyPool, Row};

/// Keeps a mail; the same mail kept again while its first entry is held answers that entry.
pub async fn insert(conn: &mut AnyConnection, mail: NewQuarantinedMail) -> Result<i64> {
    let hash = mail.raw_sha256.clone();
    let row = sqlx::query(
        "INSERT INTO mail_quarantine \
         (received_at, origin, reason, detail, message_id, sender, subject, raw, raw_sha256) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(to_micros(mail.received_at))
    .bind(mail.origin)
    .bind(mail.reason)
    .bind(mail.detail)
    .bind(mail.message_id)
    .bind(mail.sender)
    .bind(mail.subject)
    .bind(mail.raw)
    .bind(mail.raw_sha256)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(row) = row {
        return Ok(row.try_get("id")?);
    }
    let row =
        sqlx::query("SELECT id FROM mail_quarantine WHERE raw_sha256 = $1 AND state = 'held'")
            .bind(hash)
            .fetch_one(conn)
            .await?;
    Ok(row.try_get("id")?)
}

fn from_row(row: &sqlx::any::AnyRow) -> Result<QuarantinedMail> {
    Ok(QuarantinedMail {
        id: row.try_get("id")?,
        received_at: from_micros(row.try_get("received_at")?)?,
        origin: row.try_get("origin")?,
        reason: row.try_get("reason")?,
        detail: row.try_get("detail")?,
        message_id: row.try_get("message_id")?,
        sender: row.try_get("sender")?,
        subject: row.try_get("subject")?,
        size: row.try_get("size")?,
        state: row.try_get("state")?,
    })
}

pub async fn list(reader: &AnyPool, state: &str, limit: u32) -> Result<Vec<QuarantinedMail>> {
    let rows = sqlx::query(
        "SELECT id, received_at, origin, reason, detail, message_id, sender, subject, \
         CAST(LENGTH(raw) AS BIGINT) AS size, state FROM mail_quarantine WHERE state = $1 \
         ORDER BY id DESC LIMIT $2",
    )
    .bind(state.to_string())
    .bind(i64::from(limit))
    .fetch_all(reader)
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn raw(reader: &AnyPool, id: i64) -> Result<Option<(String, Vec<u8>)>> {
    let row = sqlx::query("SELECT state, raw FROM mail_quarantine WHERE id = $1")
        .bind(id)
        .fetch_optional(reader)
        .await?;
    row.map(|r| Ok((r.try_get("state")?, r.try_get::<Vec<u8>, _>("raw")?)))
        .transpose()
}

pub async fn resolve(
    conn: &mut AnyConnection,
    id: i64,
    state: String,
    by: String,
    now: OffsetDateTime,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE mail_quarantine SET state = $1, resolved_by = $2, resolved_at = $3 \
         WHERE id = $4 AND state = 'held'",
    )
    .bind(state)
    .bind(by)
    .bind(to_micros(now))
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
