//! Items of other systems and the cases they made or joined; keys issued to client systems.

use super::query::{Arg, Sql};
use super::rows::*;
use crate::time_codec::{from_micros, to_micros};
use crate::*;
use sqlx::{AnyConnection, AnyPool, Row};

pub async fn sourced_case(
    reader: &AnyPool,
    system: &str,
    external_id: &str,
) -> Result<Option<Ticket>> {
    let row = sqlx::query(
        "SELECT c.ticket FROM case_sources s JOIN cases c ON c.id = s.case_id \
         WHERE s.system = $1 AND s.external_id = $2",
    )
    .bind(system.to_string())
    .bind(external_id.to_string())
    .fetch_optional(reader)
    .await?;
    row.map(|r| {
        let ticket: String = r.try_get("ticket")?;
        Ticket::parse(&ticket).map_err(StoreError::corrupt)
    })
    .transpose()
}

pub async fn source_updates(
    reader: &AnyPool,
    system: &str,
    since: OffsetDateTime,
    types: &[&str],
    limit: u32,
) -> Result<Vec<SourceUpdate>> {
    if types.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(
        "SELECT s.external_id, c.ticket, e.seq, e.at, e.actor, e.actor_role, e.public, e.data \
         FROM case_sources s JOIN cases c ON c.id = s.case_id \
         JOIN case_events e ON e.case_id = s.case_id \
         WHERE ",
    );
    sql.push(
        "s.system = ? AND e.public = 1 AND e.at >= ? AND e.type IN (",
        vec![Arg::Text(system.to_string()), Arg::Int(to_micros(since))],
    );
    for (i, t) in types.iter().enumerate() {
        sql.push(
            if i == 0 { "?" } else { ", ?" },
            vec![Arg::Text((*t).to_string())],
        );
    }
    sql.push(
        ") ORDER BY e.at, e.case_id, e.seq LIMIT ?",
        vec![Arg::Int(i64::from(limit))],
    );
    let rows = sql.query().fetch_all(reader).await?;
    rows.iter()
        .map(|row| {
            let ticket: String = row.try_get("ticket")?;
            Ok(SourceUpdate {
                external_id: row.try_get("external_id")?,
                ticket: Ticket::parse(&ticket).map_err(StoreError::corrupt)?,
                event: event_from_row(row)?,
            })
        })
        .collect()
}

pub async fn create_api_key(
    conn: &mut AnyConnection,
    key_hash: String,
    name: String,
    created_by: String,
    now: OffsetDateTime,
) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO api_keys (key_hash, name, created_by, created_at) VALUES ($1, $2, $3, $4) \
         RETURNING id",
    )
    .bind(key_hash)
    .bind(name)
    .bind(created_by)
    .bind(to_micros(now))
    .fetch_one(conn)
    .await;
    match row {
        Ok(row) => Ok(row.try_get("id")?),
        Err(e) if is_unique_violation(&e) => Err(StoreError::Duplicate("api key")),
        Err(e) => Err(e.into()),
    }
}

fn key_from_row(row: &sqlx::any::AnyRow) -> Result<ApiKeyRecord> {
    Ok(ApiKeyRecord {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        created_by: row.try_get("created_by")?,
        created_at: from_micros(row.try_get("created_at")?)?,
        revoked_at: row
            .try_get::<Option<i64>, _>("revoked_at")?
            .map(from_micros)
            .transpose()?,
    })
}

pub async fn api_key(reader: &AnyPool, key_hash: &str) -> Result<Option<ApiKeyRecord>> {
    let row = sqlx::query(
        "SELECT id, name, created_by, created_at, revoked_at FROM api_keys WHERE key_hash = $1",
    )
    .bind(key_hash.to_string())
    .fetch_optional(reader)
    .await?;
    row.as_ref().map(key_from_row).transpose()
}

pub async fn api_keys(reader: &AnyPool) -> Result<Vec<ApiKeyRecord>> {
    let rows = sqlx::query(
        "SELECT id, name, created_by, created_at, revoked_at FROM api_keys ORDER BY id DESC LIMIT 1000",
    )
    .fetch_all(reader)
    .await?;
    rows.iter().map(key_from_row).collect()
}

pub async fn revoke_api_key(
    conn: &mut AnyConnection,
    id: i64,
    now: OffsetDateTime,
) -> Result<bool> {
    let done =
        sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(to_micros(now))
            .bind(id)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Open cases received since `since`, other than `case_id`, that share a contact hash or match
/// any of the terms; each with whether the contact matched. Contact matches come first, then the
/// best text matches, at most `limit` in all.
pub async fn similar_cases(
    reader: &AnyPool,
    backend: Backend,
    case_id: i64,
    contact_keys: &[String],
    terms: &[String],
    since: OffsetDateTime,
    limit: u32,
) -> Result<Vec<(CaseSummary, bool)>> {
    let open = "c.state NOT IN ('closed', 'rejected', 'forwarded', 'merged')";
    let mut found: Vec<(CaseSummary, bool)> = Vec::new();
    if !contact_keys.is_empty() {
        let mut sql = Sql::new(&format!(
            "SELECT DISTINCT {SUMMARY_COLUMNS} FROM case_contacts k JOIN cases c ON c.id = k.case_id \
             WHERE {open} AND k.hash IN ("
        ));
        sql.placeholders(contact_keys);
        sql.push(
            ") AND c.id <> ? AND c.created_at >= ? ORDER BY c.id DESC LIMIT ?",
            vec![
                Arg::Int(case_id),
                Arg::Int(to_micros(since)),
                Arg::Int(i64::from(limit)),
            ],
        );
        for row in sql.query().fetch_all(reader).await? {
            found.push((summary_from_row(&row)?, true));
        }
    }
    if !terms.is_empty() {
        let sql = match backend {
            Backend::Sqlite => {
                // Terms are letters and digits only (aduan_domain::search), so quoting is safe.
                let query = terms
                    .iter()
                    .map(|t| format!("\"{t}\""))
                    .collect::<Vec<_>>()
                    .join(" OR ");
                let mut sql = Sql::new(&format!(
                    "SELECT {SUMMARY_COLUMNS} FROM cases_fts JOIN cases c ON c.id = cases_fts.rowid \
                     WHERE {open} AND "
                ));
                sql.push(
                    "cases_fts MATCH ? AND c.id <> ? AND c.created_at >= ? ORDER BY cases_fts.rank LIMIT ?",
                    vec![
                        Arg::Text(query),
                        Arg::Int(case_id),
                        Arg::Int(to_micros(since)),
                        Arg::Int(i64::from(limit)),
                    ],
                );
                sql
            }
            Backend::Postgres => {
                let query = terms.join(" | ");
                let mut sql = Sql::new(&format!(
                    "SELECT {SUMMARY_COLUMNS} FROM cases c WHERE {open} AND "
                ));
                sql.push(
                    "c.search @@ to_tsquery('simple', ?) AND c.id <> ? AND c.created_at >= ? \
                     ORDER BY ts_rank(c.search, to_tsquery('simple', ?)) DESC, c.id DESC LIMIT ?",
                    vec![
                        Arg::Text(query.clone()),
                        Arg::Int(case_id),
                        Arg::Int(to_micros(since)),
                        Arg::Text(query),
                        Arg::Int(i64::from(limit)),
                    ],
                );
                sql
            }
        };
        for row in sql.query().fetch_all(reader).await? {
            let summary = summary_from_row(&row)?;
            if !found.iter().any(|(s, _)| s.id == summary.id) {
                found.push((summary, false));
            }
        }
    }
    found.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(found)
}
