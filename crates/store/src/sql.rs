//! The one implementation of [`Store`] over sqlx's `Any` driver. The SQL is shared; the few
//! places where SQLite and PostgreSQL differ are marked by [`Backend`].

use crate::time_codec::{from_micros, to_micros};
use crate::*;
use aduan_domain::{Channel, Kind, Language, Privacy, Role, State};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, AssertSqlSafe, Executor, Row};
use std::path::Path;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct SqlStore {
    backend: Backend,
    /// SQLite allows one writer at a time: writes go through a single connection so they queue
    /// in the pool instead of failing with "database is locked". On PostgreSQL both are one pool.
    writer: AnyPool,
    reader: AnyPool,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

const CASE_COLUMNS: &str = "c.id, c.ticket, c.access_hash, c.kind, c.title, c.privacy, c.channel, c.language, \
     c.registered_by, c.created_at, c.updated_at, c.details, c.workflow, c.last_seq";
const SUMMARY_COLUMNS: &str = "c.id, c.ticket, c.kind, c.category, c.state, c.privacy, c.channel, c.lead_unit, c.title, c.created_at, c.due_at";

impl SqlStore {
    /// Connects to `sqlite://path` (the file and its folder are created) or `postgres://…`,
    /// and applies the backend's migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let store = if url.starts_with("sqlite:") {
            prepare_sqlite_folder(url)?;
            let url = if url.contains('?') {
                url.to_string()
            } else {
                format!("{url}?mode=rwc")
            };
            let options = || {
                AnyPoolOptions::new().after_connect(|conn, _| {
                    Box::pin(async move {
                        // WAL lets readers run beside the writer; FULL makes every commit
                        // durable (fsync) before it is acknowledged.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = FULL").await?;
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        Ok(())
                    })
                })
            };
            let writer = options().max_connections(1).connect(&url).await?;
            SQLITE_MIGRATIONS.run(&writer).await?;
            let reader = options().max_connections(4).connect(&url).await?;
            SqlStore {
                backend: Backend::Sqlite,
                writer,
                reader,
            }
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = AnyPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await?;
            POSTGRES_MIGRATIONS.run(&pool).await?;
            SqlStore {
                backend: Backend::Postgres,
                writer: pool.clone(),
                reader: pool,
            }
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_string()));
        };
        Ok(store)
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }
}

fn prepare_sqlite_folder(url: &str) -> Result<()> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or("");
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    if let Some(parent) = Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent)?;
    }
    Ok(())
}

fn json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(StoreError::corrupt)
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(StoreError::corrupt)
}

fn code<T>(text: &str, parse: fn(&str) -> Option<T>) -> Result<T> {
    parse(text).ok_or_else(|| StoreError::corrupt(format!("unknown code `{text}`")))
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

fn case_from_row(row: &AnyRow) -> Result<CaseRecord> {
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

fn summary_from_row(row: &AnyRow) -> Result<CaseSummary> {
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

fn user_from_row(row: &AnyRow) -> Result<UserRecord> {
    Ok(UserRecord {
        username: row.try_get("username")?,
        role: code(&row.try_get::<String, _>("role")?, Role::parse)?,
        unit: row.try_get("unit")?,
        password_hash: row.try_get("password_hash")?,
        active: row.try_get::<i64, _>("active")? != 0,
        failed_logins: row.try_get("failed_logins")?,
        locked_until: row
            .try_get::<Option<i64>, _>("locked_until")?
            .map(from_micros)
            .transpose()?,
    })
}

/// SQL text with numbered placeholders and their values, built up piece by piece.
struct Sql {
    text: String,
    args: Vec<Arg>,
}

enum Arg {
    Int(i64),
    Text(String),
}

impl Sql {
    fn new(text: &str) -> Self {
        Self {
            text: text.to_string(),
            args: Vec::new(),
        }
    }

    /// Appends `fragment`, replacing each `?` with the next numbered placeholder.
    fn push(&mut self, fragment: &str, args: Vec<Arg>) -> &mut Self {
        let mut args = args.into_iter();
        for c in fragment.chars() {
            if c == '?' {
                if let Some(arg) = args.next() {
                    self.args.push(arg);
                    self.text.push_str(&format!("${}", self.args.len()));
                }
            } else {
                self.text.push(c);
            }
        }
        self
    }

    fn placeholders(&mut self, values: &[String]) -> &mut Self {
        let marks = vec!["?"; values.len()].join(", ");
        self.push(&marks, values.iter().cloned().map(Arg::Text).collect())
    }

    fn query(&self) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments> {
        let mut query = sqlx::query(AssertSqlSafe(self.text.clone()));
        for arg in &self.args {
            query = match arg {
                Arg::Int(v) => query.bind(*v),
                Arg::Text(v) => query.bind(v.clone()),
            };
        }
        query
    }
}

/// Appends the scope condition. Every staff query goes through here.
fn push_scope(sql: &mut Sql, scope: &Scope) {
    match scope {
        Scope::All => {}
        Scope::Units(units) if !units.is_empty() => {
            sql.push(
                " AND EXISTS (SELECT 1 FROM case_units cu WHERE cu.case_id = c.id AND cu.unit IN (",
                vec![],
            );
            sql.placeholders(units);
            sql.push("))", vec![]);
        }
        Scope::RegisteredBy(username) => {
            sql.push(
                " AND c.registered_by = ?",
                vec![Arg::Text(username.clone())],
            );
        }
        Scope::Units(_) | Scope::Nothing => {
            sql.push(" AND 1 = 0", vec![]);
        }
    }
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        self.backend
    }

    async fn health(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    async fn setting(&self, key: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(key.to_string())
            .fetch_optional(&self.reader)
            .await?;
        Ok(row.map(|r| r.try_get("value")).transpose()?)
    }

    async fn put_setting(&self, key: &str, value: &str, now: OffsetDateTime) -> Result<()> {
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(key.to_string())
        .bind(value.to_string())
        .bind(to_micros(now))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn create_case(&self, new: NewCaseRecord<'_>) -> Result<CaseRecord> {
        let case = new.case;
        let now = new.first_event.at;
        let details = CaseDetails {
            description: case.description.clone(),
            event_date: case.event_date,
            location: case.location.clone(),
            channel_account: case.channel_account.clone(),
        };
        let mut tx = self.writer.begin().await?;
        let sequence: i64 = sqlx::query(
            "INSERT INTO ticket_counters (year, last) VALUES ($1, 1) \
             ON CONFLICT (year) DO UPDATE SET last = ticket_counters.last + 1 RETURNING last",
        )
        .bind(i64::from(new.year))
        .fetch_one(&mut *tx)
        .await?
        .try_get("last")?;
        let ticket = Ticket::new(case.kind, new.year, u64::try_from(sequence).unwrap_or(0));
        let access_hash = new.access_code.hash_for(&ticket);
        let id: i64 = sqlx::query(
            "INSERT INTO cases (ticket, access_hash, kind, category, state, privacy, channel, language, \
             lead_unit, title, registered_by, created_at, updated_at, due_at, last_seq, details, workflow) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, 1, $14, $15) RETURNING id",
        )
        .bind(ticket.as_str().to_string())
        .bind(access_hash.clone())
        .bind(case.kind.code())
        .bind(new.workflow.category.clone())
        .bind(new.workflow.state.code())
        .bind(case.privacy.code())
        .bind(case.channel.code())
        .bind(case.language.code())
        .bind(new.workflow.lead_unit.clone())
        .bind(case.title.clone())
        .bind(new.registered_by.map(str::to_string))
        .bind(to_micros(now))
        .bind(new.workflow.due_at.map(to_micros))
        .bind(json(&details)?)
        .bind(json(new.workflow)?)
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        if !case.reporter.is_empty() {
            sqlx::query("INSERT INTO case_reporters (case_id, data) VALUES ($1, $2)")
                .bind(id)
                .bind(json(&case.reporter)?)
                .execute(&mut *tx)
                .await?;
        }
        insert_event(&mut tx, id, 1, new.first_event).await?;
        tx.commit().await?;
        Ok(CaseRecord {
            id,
            ticket,
            access_hash,
            kind: case.kind,
            title: case.title.clone(),
            privacy: case.privacy,
            channel: case.channel,
            language: case.language,
            registered_by: new.registered_by.map(str::to_string),
            created_at: now,
            updated_at: now,
            details,
            workflow: new.workflow.clone(),
            last_seq: 1,
        })
    }

    async fn commit(
        &self,
        before: &CaseRecord,
        after: &Workflow,
        events: &[Event],
    ) -> Result<CaseRecord> {
        let Some(last) = events.last() else {
            return Ok(before.clone());
        };
        let now = last.at;
        let last_seq = before.last_seq + i64::try_from(events.len()).unwrap_or(i64::MAX);
        let mut tx = self.writer.begin().await?;
        let updated = sqlx::query(
            "UPDATE cases SET category = $1, state = $2, lead_unit = $3, updated_at = $4, due_at = $5, \
             last_seq = $6, workflow = $7 WHERE id = $8 AND last_seq = $9",
        )
        .bind(after.category.clone())
        .bind(after.state.code())
        .bind(after.lead_unit.clone())
        .bind(to_micros(now))
        .bind(after.due_at.map(to_micros))
        .bind(last_seq)
        .bind(json(after)?)
        .bind(before.id)
        .bind(before.last_seq)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(StoreError::Conflict);
        }
        for (offset, event) in events.iter().enumerate() {
            let seq = before.last_seq + 1 + i64::try_from(offset).unwrap_or(0);
            insert_event(&mut tx, before.id, seq, event).await?;
        }
        let units_changed = before.workflow.lead_unit != after.lead_unit
            || before.workflow.supporting_units != after.supporting_units;
        if units_changed {
            sqlx::query("DELETE FROM case_units WHERE case_id = $1")
                .bind(before.id)
                .execute(&mut *tx)
                .await?;
            for unit in after.involved_units() {
                let is_lead = after.lead_unit.as_ref() == Some(unit);
                sqlx::query("INSERT INTO case_units (unit, case_id, is_lead) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                    .bind(unit.clone())
                    .bind(before.id)
                    .bind(i64::from(is_lead))
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(CaseRecord {
            workflow: after.clone(),
            updated_at: now,
            last_seq,
            ..before.clone()
        })
    }

    async fn case(&self, ticket: &Ticket, scope: &Scope) -> Result<Option<CaseRecord>> {
        let mut sql = Sql::new(&format!(
            "SELECT {CASE_COLUMNS} FROM cases c WHERE c.ticket = "
        ));
        sql.push("?", vec![Arg::Text(ticket.as_str().to_string())]);
        push_scope(&mut sql, scope);
        let row = sql.query().fetch_optional(&self.reader).await?;
        row.as_ref().map(case_from_row).transpose()
    }

    async fn reporter(&self, case_id: i64) -> Result<Option<Reporter>> {
        let row = sqlx::query("SELECT data FROM case_reporters WHERE case_id = $1")
            .bind(case_id)
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| from_json(&r.try_get::<String, _>("data")?))
            .transpose()
    }

    async fn events(&self, case_id: i64, public_only: bool) -> Result<Vec<StoredEvent>> {
        let rows = sqlx::query(
            "SELECT seq, at, actor, actor_role, public, data FROM case_events \
             WHERE case_id = $1 AND (public = 1 OR $2 = 0) ORDER BY seq",
        )
        .bind(case_id)
        .bind(i64::from(public_only))
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(StoredEvent {
                    seq: row.try_get("seq")?,
                    at: from_micros(row.try_get("at")?)?,
                    actor: row.try_get("actor")?,
                    actor_role: row.try_get("actor_role")?,
                    public: row.try_get::<i64, _>("public")? != 0,
                    event: from_json(&row.try_get::<String, _>("data")?)?,
                })
            })
            .collect()
    }

    async fn list_cases(&self, scope: &Scope, filter: &CaseFilter) -> Result<Vec<CaseSummary>> {
        let mut sql = Sql::new(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM cases c WHERE 1 = 1"
        ));
        push_scope(&mut sql, scope);
        if !filter.states.is_empty() {
            let states: Vec<String> = filter.states.iter().map(|s| s.code().to_string()).collect();
            sql.push(" AND c.state IN (", vec![]);
            sql.placeholders(&states);
            sql.push(")", vec![]);
        }
        if let Some(kind) = filter.kind {
            sql.push(" AND c.kind = ?", vec![Arg::Text(kind.code().into())]);
        }
        if let Some(category) = &filter.category {
            sql.push(" AND c.category = ?", vec![Arg::Text(category.clone())]);
        }
        if let Some(unit) = &filter.unit {
            sql.push(
                " AND EXISTS (SELECT 1 FROM case_units fu WHERE fu.case_id = c.id AND fu.unit = ?)",
                vec![Arg::Text(unit.clone())],
            );
        }
        if let Some(channel) = filter.channel {
            sql.push(" AND c.channel = ?", vec![Arg::Text(channel.code().into())]);
        }
        if let Some(from) = filter.created_from {
            sql.push(" AND c.created_at >= ?", vec![Arg::Int(to_micros(from))]);
        }
        if let Some(to) = filter.created_to {
            sql.push(" AND c.created_at < ?", vec![Arg::Int(to_micros(to))]);
        }
        if let Some(at) = filter.overdue_at {
            sql.push(
                " AND c.due_at IS NOT NULL AND c.due_at < ?",
                vec![Arg::Int(to_micros(at))],
            );
            // Only cases where the agency owes the next step count as overdue.
            let owed: Vec<String> = State::ALL
                .iter()
                .filter(|s| s.agency_owes())
                .map(|s| s.code().to_string())
                .collect();
            sql.push(" AND c.state IN (", vec![]);
            sql.placeholders(&owed);
            sql.push(")", vec![]);
        }
        if let Some(before) = filter.before_id {
            sql.push(" AND c.id < ?", vec![Arg::Int(before)]);
        }
        sql.push(
            " ORDER BY c.id DESC LIMIT ?",
            vec![Arg::Int(i64::from(filter.limit))],
        );
        let rows = sql.query().fetch_all(&self.reader).await?;
        rows.iter().map(summary_from_row).collect()
    }

    async fn create_user(&self, user: &NewUser) -> Result<()> {
        let result = sqlx::query(
            "INSERT INTO users (username, role, unit, password_hash, active, failed_logins, created_at) \
             VALUES ($1, $2, $3, $4, 1, 0, $5)",
        )
        .bind(user.username.clone())
        .bind(user.role.code())
        .bind(user.unit.clone())
        .bind(user.password_hash.clone())
        .bind(to_micros(user.created_at))
        .execute(&self.writer)
        .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_unique_violation(&e) => Err(StoreError::Duplicate("user")),
            Err(e) => Err(e.into()),
        }
    }

    async fn user(&self, username: &str) -> Result<Option<UserRecord>> {
        let row = sqlx::query(
            "SELECT username, role, unit, password_hash, active, failed_logins, locked_until FROM users WHERE username = $1",
        )
        .bind(username.to_string())
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn count_active_admins(&self) -> Result<i64> {
        let row =
            sqlx::query("SELECT COUNT(*) AS n FROM users WHERE role = 'admin' AND active = 1")
                .fetch_one(&self.reader)
                .await?;
        Ok(row.try_get("n")?)
    }

    async fn set_password(&self, username: &str, password_hash: &str) -> Result<()> {
        let done = sqlx::query("UPDATE users SET password_hash = $1, failed_logins = 0, locked_until = NULL WHERE username = $2")
            .bind(password_hash.to_string())
            .bind(username.to_string())
            .execute(&self.writer)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("user"));
        }
        Ok(())
    }

    async fn record_login(
        &self,
        username: &str,
        success: bool,
        locked_until: Option<OffsetDateTime>,
    ) -> Result<()> {
        let sql = if success {
            "UPDATE users SET failed_logins = 0, locked_until = $1 WHERE username = $2"
        } else {
            "UPDATE users SET failed_logins = failed_logins + 1, locked_until = $1 WHERE username = $2"
        };
        sqlx::query(sql)
            .bind(locked_until.map(to_micros))
            .bind(username.to_string())
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn insert_token(
        &self,
        token_hash: &str,
        username: &str,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<()> {
        sqlx::query("INSERT INTO api_tokens (token_hash, username, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash.to_string())
            .bind(username.to_string())
            .bind(to_micros(now))
            .bind(to_micros(expires_at))
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn token(&self, token_hash: &str) -> Result<Option<TokenRecord>> {
        let row = sqlx::query(
            "SELECT username, expires_at, revoked_at FROM api_tokens WHERE token_hash = $1",
        )
        .bind(token_hash.to_string())
        .fetch_optional(&self.reader)
        .await?;
        row.map(|row| {
            Ok(TokenRecord {
                username: row.try_get("username")?,
                expires_at: from_micros(row.try_get("expires_at")?)?,
                revoked: row.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
            })
        })
        .transpose()
    }

    async fn revoke_token(&self, token_hash: &str, now: OffsetDateTime) -> Result<()> {
        sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL",
        )
        .bind(to_micros(now))
        .bind(token_hash.to_string())
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn record_access_failure(&self, ticket: &str, at: OffsetDateTime) -> Result<()> {
        sqlx::query("INSERT INTO access_failures (ticket, at) VALUES ($1, $2)")
            .bind(ticket.to_string())
            .bind(to_micros(at))
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn access_failures_since(&self, ticket: &str, since: OffsetDateTime) -> Result<i64> {
        let row =
            sqlx::query("SELECT COUNT(*) AS n FROM access_failures WHERE ticket = $1 AND at >= $2")
                .bind(ticket.to_string())
                .bind(to_micros(since))
                .fetch_one(&self.reader)
                .await?;
        Ok(row.try_get("n")?)
    }
}

async fn insert_event(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    case_id: i64,
    seq: i64,
    event: &Event,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO case_events (case_id, seq, at, actor, actor_role, type, public, data) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(case_id)
    .bind(seq)
    .bind(to_micros(event.at))
    .bind(event.actor.clone())
    .bind(event.actor_role.clone())
    .bind(event.change.code())
    .bind(i64::from(event.change.is_public()))
    .bind(json(event)?)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
