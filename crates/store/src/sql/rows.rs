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

/// A result row read by column name, from sqlx or from a native SQLite connection, so that
/// both turn rows into records the same way.
pub trait Columns {
    fn int(&self, name: &str) -> Result<i64>;
    fn opt_int(&self, name: &str) -> Result<Option<i64>>;
    fn text(&self, name: &str) -> Result<String>;
    fn opt_text(&self, name: &str) -> Result<Option<String>>;
}

impl Columns for AnyRow {
    fn int(&self, name: &str) -> Result<i64> {
        Ok(self.try_get(name)?)
    }
    fn opt_int(&self, name: &str) -> Result<Option<i64>> {
        Ok(self.try_get(name)?)
    }
    fn text(&self, name: &str) -> Result<String> {
        Ok(self.try_get(name)?)
    }
    fn opt_text(&self, name: &str) -> Result<Option<String>> {
        Ok(self.try_get(name)?)
    }
}

pub fn case_from_row(row: &dyn Columns) -> Result<CaseRecord> {
    Ok(CaseRecord {
        id: row.int("id")?,
        ticket: Ticket::parse(&row.text("ticket")?).map_err(StoreError::corrupt)?,
        access_hash: row.text("access_hash")?,
        kind: code(&row.text("kind")?, Kind::parse)?,
        title: row.text("title")?,
        privacy: code(&row.text("privacy")?, Privacy::parse)?,
        channel: code(&row.text("channel")?, Channel::parse)?,
        language: code(&row.text("language")?, Language::parse)?,
        registered_by: row.opt_text("registered_by")?,
        created_at: from_micros(row.int("created_at")?)?,
        updated_at: from_micros(row.int("updated_at")?)?,
        details: from_json(&row.text("details")?)?,
        workflow: super::workflow_data::decode(&row.text("workflow")?)?,
        last_seq: row.int("last_seq")?,
    })
}

pub fn summary_from_row(row: &dyn Columns) -> Result<CaseSummary> {
    Ok(CaseSummary {
        id: row.int("id")?,
        ticket: Ticket::parse(&row.text("ticket")?).map_err(StoreError::corrupt)?,
        kind: code(&row.text("kind")?, Kind::parse)?,
        category: row.text("category")?,
        state: code(&row.text("state")?, State::parse)?,
        privacy: code(&row.text("privacy")?, Privacy::parse)?,
        channel: code(&row.text("channel")?, Channel::parse)?,
        lead_unit: row.opt_text("lead_unit")?,
        title: row.text("title")?,
        created_at: from_micros(row.int("created_at")?)?,
        due_at: row.opt_int("due_at")?.map(from_micros).transpose()?,
    })
}

pub fn event_from_row(row: &dyn Columns) -> Result<StoredEvent> {
    Ok(super::event_data::read(&row.text("data")?)?.with_columns(
        row.int("seq")?,
        from_micros(row.int("at")?)?,
        row.text("actor")?,
        row.text("actor_role")?,
        row.int("public")? != 0,
    ))
}

pub fn attachment_from_row(row: &dyn Columns) -> Result<AttachmentMeta> {
    Ok(AttachmentMeta {
        id: row.int("id")?,
        name: row.text("name")?,
        content_type: row.text("content_type")?,
        size: row.int("size")?,
        sha256: row.text("sha256")?,
        uploaded_by: row.text("uploaded_by")?,
        uploaded_at: from_micros(row.int("uploaded_at")?)?,
        purpose: row.text("purpose")?,
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
