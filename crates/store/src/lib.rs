//! Persistence of Aduan behind one trait, [`Store`], with one implementation, [`SqlStore`], that
//! runs the same code on embedded SQLite and on PostgreSQL (sqlx's `Any` driver, chosen by the
//! URL scheme). Each backend has its own migrations. Queries for staff take a [`Scope`] and apply
//! it in SQL, so a unit officer's query cannot return another unit's case.

mod error;
mod records;
mod sql;
mod time_codec;

pub use error::StoreError;
pub use records::*;
pub use sql::{Backend, SqlStore};

use aduan_domain::{AccessCode, Event, NewCase, Reporter, Scope, Ticket, Workflow};
use async_trait::async_trait;
use time::OffsetDateTime;

pub type Result<T> = std::result::Result<T, StoreError>;

/// Chooses the access code of an imported case once its ticket is known.
pub type AccessCodeFn = std::sync::Arc<dyn Fn(&Ticket) -> AccessCode + Send + Sync>;

#[async_trait]
pub trait Store: Send + Sync {
    fn backend(&self) -> Backend;
    /// Answers when the database answers.
    async fn health(&self) -> Result<()>;

    async fn setting(&self, key: &str) -> Result<Option<String>>;
    async fn put_setting(&self, key: &str, value: &str, now: OffsetDateTime) -> Result<()>;

    /// Stores a new case with its first event and the reporter's data in one transaction,
    /// assigning the next ticket number of the year the case was received in.
    async fn create_case(&self, new: NewCaseRecord<'_>) -> Result<CaseRecord>;
    /// Writes the events of one action and the case they lead to, in one transaction.
    /// Fails with `Conflict` when the case changed since it was read.
    async fn commit(
        &self,
        before: &CaseRecord,
        after: &Workflow,
        events: &[Event],
    ) -> Result<CaseRecord>;
    /// Stores many finished histories at once, in one transaction per call, numbering tickets
    /// in order. `access_code` gives each new ticket its code.
    async fn import_cases(
        &self,
        cases: Vec<ImportedCase>,
        access_code: AccessCodeFn,
    ) -> Result<Vec<Ticket>>;
    /// Refreshes the planner's statistics after a bulk load, so that the first queries on a
    /// freshly filled database do not run on plans made for an empty one.
    async fn analyze(&self) -> Result<()>;
    /// A case, if it exists and lies within the scope.
    async fn case(&self, ticket: &Ticket, scope: &Scope) -> Result<Option<CaseRecord>>;
    async fn reporter(&self, case_id: i64) -> Result<Option<Reporter>>;
    async fn events(&self, case_id: i64, public_only: bool) -> Result<Vec<StoredEvent>>;
    /// Cases within the scope matching the filter, newest first, after the cursor.
    async fn list_cases(&self, scope: &Scope, filter: &CaseFilter) -> Result<Vec<CaseSummary>>;

    /// Open cases per lead unit and state with their overdue counts at `now`; `units` limits
    /// it to cases led by those units.
    async fn backlog(
        &self,
        units: Option<&[String]>,
        now: OffsetDateTime,
    ) -> Result<Vec<BacklogRow>>;
    /// Cases received in `[from, to)`, counted per kind, category, channel and current state.
    async fn period_counts(
        &self,
        units: Option<&[String]>,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<PeriodRow>>;

    async fn create_user(&self, user: &NewUser) -> Result<()>;
    async fn user(&self, username: &str) -> Result<Option<UserRecord>>;
    async fn count_active_admins(&self) -> Result<i64>;
    async fn set_password(&self, username: &str, password_hash: &str) -> Result<()>;
    async fn record_login(
        &self,
        username: &str,
        success: bool,
        locked_until: Option<OffsetDateTime>,
    ) -> Result<()>;

    async fn insert_token(
        &self,
        token_hash: &str,
        username: &str,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<()>;
    async fn token(&self, token_hash: &str) -> Result<Option<TokenRecord>>;
    async fn revoke_token(&self, token_hash: &str, now: OffsetDateTime) -> Result<()>;

    async fn record_access_failure(&self, ticket: &str, at: OffsetDateTime) -> Result<()>;
    async fn access_failures_since(&self, ticket: &str, since: OffsetDateTime) -> Result<i64>;
}

/// What `create_case` needs besides the validated case.
pub struct NewCaseRecord<'a> {
    pub case: &'a NewCase,
    pub workflow: &'a Workflow,
    pub access_code: &'a AccessCode,
    pub first_event: &'a Event,
    /// The staff member who registered it at the desk, if any.
    pub registered_by: Option<&'a str>,
    /// The year whose sequence numbers the ticket (the agency's local year).
    pub year: i32,
}
