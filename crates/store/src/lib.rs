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
pub use sql::{Backend, SearchPath, SqlStore};

use aduan_domain::{AccessCode, Event, NewCase, Reporter, Role, Scope, Ticket, Workflow};
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

    /// How many changes to cases this store has committed since it was opened: figures read
    /// after the count are at least as new as the count. Changes made by another process on
    /// the same database are not counted.
    fn case_changes(&self) -> u64;

    async fn setting(&self, key: &str) -> Result<Option<String>>;
    async fn put_setting(&self, key: &str, value: &str, now: OffsetDateTime) -> Result<()>;

    /// Stores a new case with its first event and the reporter's data in one transaction,
    /// assigning the next ticket number of the year the case was received in.
    /// Its jobs are queued in the same transaction, for the new case.
    async fn create_case(&self, new: NewCaseRecord<'_>) -> Result<CaseRecord>;
    /// Writes the events of one action, the case they lead to and the jobs they call for, in
    /// one transaction. Fails with `Conflict` when the case changed since it was read.
    async fn commit(&self, before: &CaseRecord, update: CaseUpdate<'_>) -> Result<CaseRecord>;
    /// Commits changes to two cases in one transaction: both or neither (a link between them).
    async fn commit_pair(
        &self,
        first: (&CaseRecord, CaseUpdate<'_>),
        second: (&CaseRecord, CaseUpdate<'_>),
    ) -> Result<(CaseRecord, CaseRecord)>;
    /// Adds files to an existing case (staff documents, files for an answer).
    async fn add_attachments(
        &self,
        case_id: i64,
        at: OffsetDateTime,
        files: Vec<NewAttachment>,
    ) -> Result<Vec<AttachmentMeta>>;
    /// Moves the watch's next look at a case, when it has nothing to do before then.
    async fn set_next_check(
        &self,
        case_id: i64,
        last_seq: i64,
        next_check_at: Option<OffsetDateTime>,
    ) -> Result<()>;
    /// Tickets of the cases the deadline watch must look at by `now`, earliest first.
    async fn cases_to_check(&self, now: OffsetDateTime, limit: u32) -> Result<Vec<Ticket>>;
    /// Marks the owed cases whose due time has passed by `now`, so that the overdue list finds
    /// them in their own index; returns how many it marked. The lists still compare the due
    /// time, so a case not marked yet is listed all the same, only found another way.
    async fn mark_fallen_due(&self, now: OffsetDateTime) -> Result<u64>;
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
    /// Makes sure the backlog and monthly counters exist for months in `offset` (the agency's
    /// time zone), recounting them from the cases if not; from then on every change keeps them.
    async fn prepare_counts(&self, offset: time::UtcOffset) -> Result<()>;
    /// A case, if it exists and lies within the scope.
    async fn case(&self, ticket: &Ticket, scope: &Scope) -> Result<Option<CaseRecord>>;
    async fn reporter(&self, case_id: i64) -> Result<Option<Reporter>>;
    /// The files of a case, oldest first, without their content.
    async fn attachments(&self, case_id: i64) -> Result<Vec<AttachmentMeta>>;
    /// One file of a case with its content.
    async fn attachment(&self, case_id: i64, id: i64) -> Result<Option<(AttachmentMeta, Vec<u8>)>>;
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
    /// The earliest due time at or after `at` of a case the agency still owes an answer on:
    /// until then, without a change, no case becomes overdue.
    async fn next_due(&self, at: OffsetDateTime) -> Result<Option<OffsetDateTime>>;
    /// Hands `each` the facts of every case open at some moment of `[from, to)` (received
    /// before its end, not closed before its start, not merged), within `units` and matching
    /// `filter`, in id order, a few hundred cases at a time: what a period's figures are
    /// counted from without holding all of its cases at once.
    async fn each_case_facts(
        &self,
        units: Option<&[String]>,
        filter: &aduan_domain::statistics::Filter,
        from: OffsetDateTime,
        to: OffsetDateTime,
        each: &mut (dyn FnMut(aduan_domain::statistics::CaseFacts) + Send),
    ) -> Result<()>;
    /// The same facts, all at once: for reports over few cases.
    async fn case_facts(
        &self,
        units: Option<&[String]>,
        filter: &aduan_domain::statistics::Filter,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<aduan_domain::statistics::CaseFacts>> {
        let mut facts = Vec::new();
        self.each_case_facts(units, filter, from, to, &mut |case| facts.push(case))
            .await?;
        Ok(facts)
    }
    /// Cases received in `[from, to)`, counted per kind, category, channel and current state.
    async fn period_counts(
        &self,
        units: Option<&[String]>,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<PeriodRow>>;

    /// The on-time figures of cases finished in `[from, to)` and still open past due at `to`.
    async fn on_time(
        &self,
        units: Option<&[String]>,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<OnTimeCounts>;

    async fn create_user(&self, user: &NewUser) -> Result<()>;
    async fn user(&self, username: &str) -> Result<Option<UserRecord>>;
    /// Every staff account, by username (at most 1,000).
    async fn users(&self) -> Result<Vec<UserRecord>>;
    async fn count_active_admins(&self) -> Result<i64>;
    async fn set_password(&self, username: &str, password_hash: &str) -> Result<()>;
    /// E-mail addresses of active staff with one of `roles`, in `unit` if given.
    async fn staff_emails(&self, roles: &[Role], unit: Option<&str>) -> Result<Vec<String>>;

    /// Queues jobs outside any case change; a job whose dedup key was seen before is skipped.
    async fn enqueue(&self, jobs: &[NewJob]) -> Result<()>;
    /// Takes up to `limit` jobs that are due (or whose previous runner's lease expired) for
    /// `worker`, leasing them until `lease_until`. Concurrent workers never get the same job.
    async fn claim_jobs(
        &self,
        worker: &str,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<JobRecord>>;
    /// Records how a claimed job ended; ignored if the lease passed to another worker.
    async fn finish_job(
        &self,
        id: i64,
        worker: &str,
        outcome: JobOutcome,
        now: OffsetDateTime,
    ) -> Result<bool>;
    /// Jobs in a state, newest first.
    async fn jobs(&self, state: JobState, limit: u32) -> Result<Vec<JobRecord>>;
    /// Queues a failed job again at once; false if there is no such failed job.
    async fn retry_job(&self, id: i64, now: OffsetDateTime) -> Result<bool>;
    /// How many jobs are in each state.
    async fn job_counts(&self) -> Result<Vec<(JobState, i64)>>;

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
    /// The failed access attempts on `ticket` since `since` and the case itself, in one query:
    /// every tracking lookup needs both.
    /// The case an item of another system made or joined, if it was imported before.
    async fn sourced_case(&self, system: &str, external_id: &str) -> Result<Option<Ticket>>;
    /// Public events of the given types from `since` on cases that came from `system`, oldest
    /// first, with the other system's id: what to report back to it. At most `limit`.
    async fn source_updates(
        &self,
        system: &str,
        since: OffsetDateTime,
        types: &[&str],
        limit: u32,
    ) -> Result<Vec<SourceUpdate>>;

    /// Likely duplicates of a case: open cases received since `since` that share a reporter
    /// contact (by hash) or any of the terms; each with whether the contact matched.
    async fn similar_cases(
        &self,
        case_id: i64,
        contact_keys: &[String],
        terms: &[String],
        since: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<(CaseSummary, bool)>>;

    /// Keeps a mail aside, whole; answers its id.
    async fn quarantine_mail(&self, mail: NewQuarantinedMail) -> Result<i64>;
    /// Mail kept aside in a state (`held`, `retried`, `discarded`), newest first.
    async fn quarantined_mail(&self, state: &str, limit: u32) -> Result<Vec<QuarantinedMail>>;
    /// One kept mail's state and raw message.
    async fn quarantined_raw(&self, id: i64) -> Result<Option<(String, Vec<u8>)>>;
    /// Marks a held mail `retried` or `discarded`; false if it is not held.
    async fn resolve_quarantined(
        &self,
        id: i64,
        state: &str,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<bool>;

    /// Stores a new API key (its hash) for a client system; answers its id.
    async fn create_api_key(
        &self,
        key_hash: &str,
        name: &str,
        created_by: &str,
        now: OffsetDateTime,
    ) -> Result<i64>;
    /// The key with this hash, revoked or not.
    async fn api_key(&self, key_hash: &str) -> Result<Option<ApiKeyRecord>>;
    /// Every key, newest first.
    async fn api_keys(&self) -> Result<Vec<ApiKeyRecord>>;
    /// Revokes a key; false if there is no such active key.
    async fn revoke_api_key(&self, id: i64, now: OffsetDateTime) -> Result<bool>;

    async fn case_for_reporter(
        &self,
        ticket: &Ticket,
        since: OffsetDateTime,
    ) -> Result<(i64, Option<CaseRecord>)>;

    /// Like `case_for_reporter`, with the case's public timeline: what a tracking page shows.
    async fn case_for_tracking(
        &self,
        ticket: &Ticket,
        since: OffsetDateTime,
    ) -> Result<(i64, Option<(CaseRecord, Vec<StoredEvent>)>)>;
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
    /// Jobs the new case calls for (the receipt mail); they get the case's id.
    pub jobs: &'a [NewJob],
    /// Files that came with the submission.
    pub attachments: &'a [NewAttachment],
    pub next_check_at: Option<OffsetDateTime>,
    /// The other system's item the case comes from; a second case from the same item fails
    /// with `Duplicate("source")`.
    pub source: Option<&'a aduan_domain::external::ExternalSource>,
}

/// What `commit` writes: the case after the events, the events, and the jobs they call for.
pub struct CaseUpdate<'a> {
    pub after: &'a Workflow,
    pub events: &'a [Event],
    pub jobs: &'a [NewJob],
    pub next_check_at: Option<OffsetDateTime>,
    /// The other system's item these events record (a message joining the case); the same
    /// item a second time fails with `Duplicate("source")` and writes nothing.
    pub source: Option<&'a aduan_domain::external::ExternalSource>,
}
