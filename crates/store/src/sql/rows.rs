//! Turning rows into records, and the small encodings shared by every query.

use crate::time_codec::from_micros;
use crate::*;
use aduan_domain::{Channel, Kind, Language, Privacy, Role, State};
use sqlx::Row;
use sqlx::any::AnyRow;

pub const CASE_COLUMNS: &str = "c.id, c.ticket, c.access_hash, c.kind, c.title, c.privacy, c.channel, c.language, \
     c.registered_by, c.created_at, c.updated_at, c.details, c.workflow, c.last_seq";
pub const SUMMARY_COLUMNS: &str = "c.id, c.ticket, c.kind, c.category, c.state, c.privacy, c.channel, c.lead_unit, c.title, c.created_at, c.due_at";

pub fn json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(StoreError::corrupt)
}

pub fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(StoreError::corrupt)
}

pub fn code<T>(text: &str, parse: fn(&str) -> Option<T>) -> Result<T> {
    parse(text).ok_or_else(|| StoreError::corrupt(format!("unknown code `{text}`")))
}

pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

pub fn case_from_row(row: &AnyRow) -> Result<CaseRecord> {
    let ticket: String = row.try_get("ticket")?;
    Ok(CaseRecord {
        id: row.try_get("id")?,
        ticket: Ticket::parse(&ticket).map_err(StoreError::corrupt)?,
        access_hash: row.try_get("access_hash")?,
        kind: code(&row.try_get::<String, _>("kind")?, Kind::parse)?,
        title: row.try_get("title")?,
        privacy: code(&row.try_get::<String, _>("privacy")?, Privacy::parse)?,
        channel: code(&row.try_get::<String, _>("channel")?, Channel::parse)?,
        language: code(&row.try_get::<String, _>("language")?, Language::parse)?,
        registered_by: row.try_get("registered_by")?,
        created_at: from_micros(row.try_get("created_at")?)?,
        updated_at: from_micros(row.try_get("updated_at")?)?,
        details: from_json(&row.try_get::<String, _>("details")?)?,
        workflow: from_json(&row.try_get::<String, _>("workflow")?)?,
        last_seq: row.try_get("last_seq")?,
    })
}

pub fn summary_from_row(row: &AnyRow) -> Result<CaseSummary> {
    let ticket: String = row.try_get("ticket")?;
    Ok(CaseSummary {
        id: row.try_get("id")?,
        ticket: Ticket::parse(&ticket).map_err(StoreError::corrupt)?,
        kind: code(&row.try_get::<String, _>("kind")?, Kind::parse)?,
        category: row.try_get("category")?,
        state: code(&row.try_get::<String, _>("state")?, State::parse)?,
        privacy: code(&row.try_get::<String, _>("privacy")?, Privacy::parse)?,
        channel: code(&row.try_get::<String, _>("channel")?, Channel::parse)?,
        lead_unit: row.try_get("lead_unit")?,
        title: row.try_get("title")?,
        created_at: from_micros(row.try_get("created_at")?)?,
        due_at: row
            .try_get::<Option<i64>, _>("due_at")?
            .map(from_micros)
            .transpose()?,
    })
}

pub fn user_from_row(row: &AnyRow) -> Result<UserRecord> {
    Ok(UserRecord {
        username: row.try_get("username")?,
        role: code(&row.try_get::<String, _>("role")?, Role::parse)?,
        unit: row.try_get("unit")?,
        email: row.try_get("email")?,
        password_hash: row.try_get("password_hash")?,
        active: row.try_get::<i64, _>("active")? != 0,
    })
}
