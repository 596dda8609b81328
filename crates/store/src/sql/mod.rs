//! The one implementation of [`Store`] over sqlx's `Any` driver. The SQL is shared; the few
//! places where SQLite and PostgreSQL differ are marked by [`Backend`].

mod accounts;
mod aggregates;
mod batch;
mod cases;
mod counts;
mod event_data;
mod import;
mod intake_analysis;
mod jobs;
mod native;
mod native_import;
mod new_cases_pg;
mod pinned_plans;
mod quarantine;
mod query;
mod rows;
mod search_plan;
pub use search_plan::SearchPath;
mod sources;
mod statistics;
mod tickets;
mod workflow_data;
mod writer;

use crate::*;
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyConnection, AnyPool, Connection, Executor};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use writer::Writer;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct SqlStore {
    backend: Backend,
    writer: Writer,
    reader: AnyPool,
    /// The reads by key (a ticket, a case's events, a token) that answer most requests. On
    /// PostgreSQL a pool of its own that keeps each statement's plan (see `connect`); on
    /// SQLite the reader.
    lookups: AnyPool,
    /// On PostgreSQL, the lists planned once per connection (see `pinned_plans`).
    one_plan_lists: Option<AnyPool>,
    /// On SQLite, the small reads that answer most requests skip sqlx (see `native`).
    native: Option<native::NativeReader>,
    /// On SQLite, the long reads (the statistics' facts), with a smaller page cache.
    scans: Option<native::NativeReader>,
    /// On SQLite, bulk imports skip sqlx too (see `native_import`).
    importer: Option<Arc<native_import::NativeImporter>>,
    /// The time zone of the monthly counters, once they exist (see `counts`).
    counting: std::sync::RwLock<Option<time::UtcOffset>>,
    /// Committed changes to cases, for caches of figures (see `Store::case_changes`).
    case_changes: std::sync::atomic::AtomicU64,
    /// On PostgreSQL, how each text search finds its page (see `search_plan`).
    search_planner: search_plan::SearchPlanner,
    /// On PostgreSQL, the tracking lookups, sent together when they wait at the same moment.
    tracking: Option<batch::Batcher<(String, i64), cases::Tracked>>,
    /// On PostgreSQL, the new cases counted towards analyzing `cases` (see `intake_analysis`).
    intake: Option<Arc<intake_analysis::IntakeAnalysis>>,
}

/// Tracking statements running at once on PostgreSQL, and most lookups in one of them. Two
/// served the most lookups on two cores (1 to 6 tried; BENCHMARKS.md, session 15).
const TRACKING_IN_FLIGHT: usize = 2;
const TRACKING_BATCH: usize = 64;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Settings of every PostgreSQL connection. No JIT: the long reads (a period's statistics)
/// are estimated costly enough to be compiled, and compiling took about 90 ms of a 330 ms
/// read at a million cases, every time.
async fn postgres_session(conn: &mut AnyConnection) -> std::result::Result<(), sqlx::Error> {
    conn.execute("SET jit = off").await.map(|_| ())
}

/// A PostgreSQL pool whose connections run `settings` after the common ones. With none, they
/// keep PostgreSQL's default planning: after five runs a statement is no longer planned again.
async fn postgres_pool(
    url: &str,
    connections: u32,
    settings: &'static [&'static str],
) -> std::result::Result<AnyPool, sqlx::Error> {
    AnyPoolOptions::new()
        .max_connections(connections)
        .test_before_acquire(false)
        .acquire_timeout(Duration::from_secs(10))
        .after_connect(move |conn, _| {
            Box::pin(async move {
                postgres_session(conn).await?;
                for setting in settings {
                    conn.execute(*setting).await?;
                }
                Ok(())
            })
        })
        .connect(url)
        .await
}

/// Settings of every SQLite connection: WAL lets readers run beside the writer; FULL makes
/// every commit durable (fsync) before it is acknowledged.
async fn sqlite_pragmas(conn: &mut AnyConnection) -> std::result::Result<(), sqlx::Error> {
    conn.execute("PRAGMA journal_mode = WAL").await?;
    conn.execute("PRAGMA synchronous = FULL").await?;
    conn.execute("PRAGMA busy_timeout = 10000").await?;
    conn.execute("PRAGMA foreign_keys = ON").await?;
    // 16 MB of page cache per connection (the default is 2 MB): the hot index pages of a
    // million cases stay in memory instead of being copied in from the OS on every query.
    conn.execute("PRAGMA cache_size = -16000").await?;
    conn.execute("PRAGMA temp_store = MEMORY").await?;
    Ok(())
}

/// Limits SQLite's memory across all its connections in the process (mostly page caches, each
/// of which may hold 16 MB) to 48 MiB, about the hot pages of the writer and the two request
/// threads; one library serves sqlx and the native reads, so one call covers both, and above
/// the limit page caches recycle their least recently used pages instead of growing. Without
/// it the caches of the pool, the request threads and the blocking threads of long reads added
/// up to 75 MB under the benchmark's load (BENCHMARKS.md, session 9).
async fn limit_sqlite_memory(conn: &mut AnyConnection) -> std::result::Result<(), sqlx::Error> {
    conn.execute("PRAGMA soft_heap_limit = 50331648").await?;
    Ok(())
}

/// Refreshes the planner's statistics on SQLite, keeping the table sizes (`sqlite_stat1`)
/// but not the value samples (`sqlite_stat4`). With samples stored, SQLite prepares again, on
/// every run, each cached statement whose bound value meets a sampled index, so the tracking
/// lookup and search compiled their statements on every request; without them tracking
/// served half as many again and search's p99 fell by a third (BENCHMARKS.md, session 9). The
/// plans that need a given index name it (`INDEXED BY`).
async fn analyze_sqlite(conn: &mut AnyConnection) -> Result<()> {
    conn.execute("ANALYZE").await?;
    let samples: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_stat4'")
            .fetch_optional(&mut *conn)
            .await?;
    if samples.is_some() {
        conn.execute("DELETE FROM sqlite_stat4").await?;
        // Loads the statistics as they now are into this connection; others load them when
        // they open.
        conn.execute("ANALYZE sqlite_schema").await?;
    }
    Ok(())
}

impl SqlStore {
    /// Connects to `sqlite://path` (the file and its folder are created) or `postgres://…`,
    /// and applies the backend's migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        if url.starts_with("sqlite:") {
            prepare_sqlite_folder(url)?;
            let url = if url.contains('?') {
                url.to_string()
            } else {
                format!("{url}?mode=rwc")
            };
            let mut writer = AnyConnection::connect(&url).await?;
            sqlite_pragmas(&mut writer).await?;
            limit_sqlite_memory(&mut writer).await?;
            SQLITE_MIGRATIONS.run(&mut writer).await?;
            // No ping before each use: SQLite connections are local and do not go stale, and the
            // ping doubled the round trips to each connection's worker thread.
            let reader = AnyPoolOptions::new()
                .max_connections(4)
                .test_before_acquire(false)
                .after_connect(|conn, _| Box::pin(async move { sqlite_pragmas(conn).await }))
                .connect(&url)
                .await?;
            let mut store = SqlStore::new(
                Backend::Sqlite,
                Writer::batched(writer),
                reader.clone(),
                reader,
            )
            .await?;
            if let Some(path) = sqlite_file(&url) {
                store.native = Some(native::NativeReader::new(&path));
                store.scans = Some(native::NativeReader::for_scans(&path));
                store.importer = Some(Arc::new(native_import::NativeImporter::new(&path)));
            }
            Ok(store)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            // sqlx prepares every statement; after five runs PostgreSQL may switch to a generic
            // plan that ignores the values, and a time range like `due_at < $1` then looks
            // unselective and reads the whole table. Plan each run instead.
            let pool = postgres_pool(url, 16, &["SET plan_cache_mode = force_custom_plan"]).await?;
            POSTGRES_MIGRATIONS.run(&pool).await?;
            // Lookups by key have one good plan whatever the key, so they keep PostgreSQL's
            // default: after five runs a statement is no longer planned again (planning took
            // longer than running them).
            let lookups = postgres_pool(url, 8, &[]).await?;
            // Writes keep PostgreSQL's default planning too. Each row a write adds to a table
            // with a foreign key makes PostgreSQL check that the case exists, with a statement
            // of its own that obeys the session's planning: under `force_custom_plan` it was
            // planned again for every row, over all of `cases`' indexes, and that was most of
            // a batch of submissions' work (BENCHMARKS.md, session 17). The writes' own
            // statements are by key or over small partial indexes.
            let writes = postgres_pool(url, 8, &[]).await?;
            let one_plan_lists = postgres_pool(url, 8, &pinned_plans::SETTINGS).await?;
            let mut store = SqlStore::new(
                Backend::Postgres,
                Writer::pooled(writes),
                pool,
                lookups.clone(),
            )
            .await?;
            store.one_plan_lists = Some(one_plan_lists);
            let intake = intake_analysis::IntakeAnalysis::new();
            intake.learn_size(&store.reader).await;
            store.intake = Some(intake);
            store.tracking = Some(batch::Batcher::start(
                TRACKING_IN_FLIGHT,
                TRACKING_BATCH,
                move |wanted: Vec<(String, i64)>| {
                    let lookups = lookups.clone();
                    async move {
                        let reads = native::Reads {
                            pool: &lookups,
                            native: None,
                            scans: None,
                        };
                        cases::for_tracking_many(reads, &wanted).await
                    }
                },
            ));
            Ok(store)
        } else {
            Err(StoreError::UnsupportedUrl(url.to_string()))
        }
    }

    async fn new(
        backend: Backend,
        writer: Writer,
        reader: AnyPool,
        lookups: AnyPool,
    ) -> Result<Self> {
        let counting = counts::parse_offset(accounts::setting(&reader, counts::OFFSET_KEY).await?);
        Ok(SqlStore {
            backend,
            writer,
            reader,
            lookups,
            one_plan_lists: None,
            native: None,
            scans: None,
            importer: None,
            counting: std::sync::RwLock::new(counting),
            case_changes: std::sync::atomic::AtomicU64::new(0),
            search_planner: search_plan::SearchPlanner::default(),
            tracking: None,
            intake: None,
        })
    }

    /// Counts one committed change to cases; called after the commit, so that a reader who
    /// saw the old count never mistakes figures read before the change for current ones.
    fn changed<T>(&self, result: Result<T>) -> Result<T> {
        if result.is_ok() {
            self.case_changes
                .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        }
        result
    }

    fn reads(&self) -> native::Reads<'_> {
        self.reads_through(&self.reader)
    }

    /// Like `reads`, through the pool for lookups by key.
    fn lookups(&self) -> native::Reads<'_> {
        self.reads_through(&self.lookups)
    }

    fn reads_through<'a>(&'a self, pool: &'a AnyPool) -> native::Reads<'a> {
        native::Reads {
            pool,
            native: self.native.as_ref(),
            scans: self.scans.as_ref(),
        }
    }

    fn counting(&self) -> Option<time::UtcOffset> {
        self.counting.read().map(|c| *c).unwrap_or(None)
    }

    /// How a search with `filter` finds its matches: always by walking on SQLite, whose
    /// text index yields them newest first; on PostgreSQL as its statistics say
    /// (`search_plan`). For diagnosis and tests; the lists make the same choice.
    pub async fn search_path(&self, filter: &CaseFilter) -> SearchPath {
        self.list_choices(filter).await.1
    }

    /// The PostgreSQL statistics `filter`'s list is chosen by, when it needs them, and how its
    /// search finds its matches.
    async fn list_choices(
        &self,
        filter: &CaseFilter,
    ) -> (Option<Arc<search_plan::WordFrequencies>>, SearchPath) {
        let frequencies = match self.backend {
            Backend::Postgres if pinned_plans::needs_statistics(filter) => {
                Some(self.search_planner.frequencies(&self.reader).await)
            }
            _ => None,
        };
        let path = match &frequencies {
            Some(f) if !filter.text.is_empty() => f.path(&filter.text, filter.limit),
            _ => SearchPath::Walk,
        };
        (frequencies, path)
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
        self.lookups.close().await;
        if let Some(pool) = &self.one_plan_lists {
            pool.close().await;
        }
    }
}

/// The database file of a `sqlite:` URL; none for an in-memory database, which other
/// connections could not open.
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or("");
    // Decoded as sqlx decodes it, so both open the same file.
    let path = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .ok()?;
    (!path.is_empty() && path != ":memory:" && !url.contains("mode=memory"))
        .then(|| std::path::PathBuf::from(path.as_ref()))
}

fn prepare_sqlite_folder(url: &str) -> Result<()> {
    let Some(path) = sqlite_file(url) else {
        return Ok(());
    };
    if let Some(parent) = Path::new(&path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent)?;
    }
    Ok(())
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
        accounts::setting(&self.reader, key).await
    }

    async fn put_setting(&self, key: &str, value: &str, now: OffsetDateTime) -> Result<()> {
        let (key, value) = (key.to_string(), value.to_string());
        self.writer
            .write(Box::new(move |c| {
                Box::pin(accounts::put_setting(c, key, value, now))
            }))
            .await
    }

    fn case_changes(&self) -> u64 {
        self.case_changes.load(std::sync::atomic::Ordering::Acquire)
    }

    async fn create_case(&self, new: NewCaseRecord<'_>) -> Result<CaseRecord> {
        let owned = cases::OwnedNewCase::new(new, self.backend, self.counting());
        let created = self.changed(self.writer.create(owned).await);
        if let (Ok(_), Some(intake)) = (&created, &self.intake) {
            intake.added(1, &self.reader);
        }
        created
    }

    async fn commit(&self, before: &CaseRecord, update: CaseUpdate<'_>) -> Result<CaseRecord> {
        let (before, update) = (before.clone(), cases::OwnedUpdate::from(update));
        let counting = self.counting().map(|offset| (offset, self.backend));
        let written = self
            .writer
            .write(Box::new(move |c| {
                Box::pin(cases::commit(c, before, update, counting))
            }))
            .await;
        self.changed(written)
    }

    async fn commit_pair(
        &self,
        first: (&CaseRecord, CaseUpdate<'_>),
        second: (&CaseRecord, CaseUpdate<'_>),
    ) -> Result<(CaseRecord, CaseRecord)> {
        let first = (first.0.clone(), cases::OwnedUpdate::from(first.1));
        let second = (second.0.clone(), cases::OwnedUpdate::from(second.1));
        let counting = self.counting().map(|offset| (offset, self.backend));
        let written = self
            .writer
            .write(Box::new(move |c| {
                Box::pin(async move {
                    let a = cases::commit(c, first.0, first.1, counting).await?;
                    let b = cases::commit(c, second.0, second.1, counting).await?;
                    Ok((a, b))
                })
            }))
            .await;
        self.changed(written)
    }

    async fn add_attachments(
        &self,
        case_id: i64,
        at: OffsetDateTime,
        files: Vec<NewAttachment>,
    ) -> Result<Vec<AttachmentMeta>> {
        self.writer
            .write(Box::new(move |c| {
                Box::pin(async move { cases::insert_attachments(c, case_id, at, &files).await })
            }))
            .await
    }

    async fn set_next_check(
        &self,
        case_id: i64,
        last_seq: i64,
        next_check_at: Option<OffsetDateTime>,
    ) -> Result<()> {
        self.writer
            .write(Box::new(move |c| {
                Box::pin(cases::set_next_check(c, case_id, last_seq, next_check_at))
            }))
            .await
    }

    async fn cases_to_check(&self, now: OffsetDateTime, limit: u32) -> Result<Vec<Ticket>> {
        cases::to_check(&self.reader, now, limit).await
    }

    async fn mark_fallen_due(&self, now: OffsetDateTime) -> Result<u64> {
        let backend = self.backend;
        self.writer
            .write(Box::new(move |c| {
                Box::pin(cases::mark_fallen_due(c, backend, now))
            }))
            .await
    }

    async fn import_cases(
        &self,
        cases: Vec<ImportedCase>,
        access_code: AccessCodeFn,
    ) -> Result<Vec<Ticket>> {
        let (backend, counting) = (self.backend, self.counting());
        if let Some(importer) = &self.importer {
            let importer = importer.clone();
            let written = self
                .writer
                .alone(async move {
                    tokio::task::spawn_blocking(move || {
                        importer.import(cases, access_code, counting)
                    })
                    .await
                    .map_err(|e| StoreError::corrupt(format!("the import crashed: {e}")))?
                })
                .await;
            return self.changed(written);
        }
        let written = self
            .writer
            .write(Box::new(move |c| {
                Box::pin(import::import(c, backend, cases, access_code, counting))
            }))
            .await;
        self.changed(written)
    }

    async fn prepare_counts(&self, offset: time::UtcOffset) -> Result<()> {
        if self.counting() == Some(offset) {
            return Ok(());
        }
        let backend = self.backend;
        tracing::info!(offset = %offset, "recounting the backlog and monthly counters");
        self.writer
            .write(Box::new(move |c| {
                Box::pin(counts::rebuild(c, backend, offset))
            }))
            .await?;
        if let Ok(mut counting) = self.counting.write() {
            *counting = Some(offset);
        }
        Ok(())
    }

    async fn analyze(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => {
                // The statistics are refreshed after a bulk load: the import's connection and
                // its large cache are no longer needed.
                if let Some(importer) = self.importer.clone() {
                    self.writer
                        .alone(async move {
                            tokio::task::spawn_blocking(move || importer.release())
                                .await
                                .map_err(|e| StoreError::corrupt(format!("{e}")))?
                        })
                        .await?;
                }
                self.writer
                    .write(Box::new(|c| Box::pin(analyze_sqlite(c))))
                    .await
            }
            // VACUUM cannot run inside a transaction; it also sets the visibility map so that
            // index-only scans work at once instead of after autovacuum gets round to it.
            Backend::Postgres => {
                sqlx::query("VACUUM (ANALYZE)")
                    .execute(&self.reader)
                    .await?;
                self.search_planner.forget();
                Ok(())
            }
        }
    }

    async fn case(&self, ticket: &Ticket, scope: &Scope) -> Result<Option<CaseRecord>> {
        cases::find(self.lookups(), ticket, scope).await
    }

    async fn reporter(&self, case_id: i64) -> Result<Option<Reporter>> {
        cases::reporter(&self.reader, case_id).await
    }

    async fn attachments(&self, case_id: i64) -> Result<Vec<AttachmentMeta>> {
        cases::attachments(self.lookups(), case_id).await
    }

    async fn attachment(&self, case_id: i64, id: i64) -> Result<Option<(AttachmentMeta, Vec<u8>)>> {
        cases::attachment(&self.reader, case_id, id).await
    }

    async fn events(&self, case_id: i64, public_only: bool) -> Result<Vec<StoredEvent>> {
        cases::events(self.lookups(), case_id, public_only).await
    }

    async fn list_cases(&self, scope: &Scope, filter: &CaseFilter) -> Result<Vec<CaseSummary>> {
        let (frequencies, path) = self.list_choices(filter).await;
        // A search the statistics cannot yet place is left to PostgreSQL's estimate.
        let one_plan = self.one_plan_lists.as_ref().filter(|_| {
            path != SearchPath::Planner
                && pinned_plans::list_has_one_plan(scope, filter, frequencies.as_deref())
        });
        let reads = one_plan.map_or_else(|| self.reads(), |pool| self.reads_through(pool));
        cases::list(reads, self.backend, scope, filter, path, one_plan.is_some()).await
    }

    async fn backlog(
        &self,
        units: Option<&[String]>,
        now: OffsetDateTime,
    ) -> Result<Vec<BacklogRow>> {
        aggregates::backlog(&self.reader, units, now, self.counting().is_some()).await
    }

    async fn next_due(&self, at: OffsetDateTime) -> Result<Option<OffsetDateTime>> {
        aggregates::next_due(&self.reader, self.backend, at).await
    }

    async fn period_counts(
        &self,
        units: Option<&[String]>,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<PeriodRow>> {
        aggregates::period_counts(&self.reader, units, from, to, self.counting()).await
    }

    async fn each_case_facts(
        &self,
        units: Option<&[String]>,
        filter: &aduan_domain::statistics::Filter,
        from: OffsetDateTime,
        to: OffsetDateTime,
        each: &mut (dyn FnMut(aduan_domain::statistics::CaseFacts) + Send),
    ) -> Result<()> {
        statistics::each_case_facts(self.reads(), self.backend, units, filter, from, to, each).await
    }

    async fn on_time(
        &self,
        units: Option<&[String]>,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<OnTimeCounts> {
        aggregates::on_time(&self.reader, units, from, to).await
    }

    async fn create_user(&self, user: &NewUser) -> Result<()> {
        let user = user.clone();
        self.writer
            .write(Box::new(move |c| Box::pin(accounts::create_user(c, user))))
            .await
    }

    async fn users(&self) -> Result<Vec<UserRecord>> {
        accounts::users(&self.reader).await
    }

    async fn user(&self, username: &str) -> Result<Option<UserRecord>> {
        accounts::user(&self.reader, username).await
    }

    async fn count_active_admins(&self) -> Result<i64> {
        accounts::count_active_admins(&self.reader).await
    }

    async fn set_password(&self, username: &str, password_hash: &str) -> Result<()> {
        let (username, hash) = (username.to_string(), password_hash.to_string());
        self.writer
            .write(Box::new(move |c| {
                Box::pin(accounts::set_password(c, username, hash))
            }))
            .await
    }

    async fn staff_emails(&self, roles: &[Role], unit: Option<&str>) -> Result<Vec<String>> {
        accounts::staff_emails(&self.reader, roles, unit).await
    }

    async fn enqueue(&self, jobs: &[NewJob]) -> Result<()> {
        let jobs = jobs.to_vec();
        self.writer
            .write(Box::new(move |c| {
                Box::pin(async move { jobs::insert(c, None, &jobs).await })
            }))
            .await
    }

    async fn claim_jobs(
        &self,
        worker: &str,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<JobRecord>> {
        let (backend, worker) = (self.backend, worker.to_string());
        self.writer
            .write(Box::new(move |c| {
                Box::pin(jobs::claim(c, backend, worker, now, lease_until, limit))
            }))
            .await
    }

    async fn finish_job(
        &self,
        id: i64,
        worker: &str,
        outcome: JobOutcome,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let worker = worker.to_string();
        self.writer
            .write(Box::new(move |c| {
                Box::pin(jobs::finish(c, id, worker, outcome, now))
            }))
            .await
    }

    async fn jobs(&self, state: JobState, limit: u32) -> Result<Vec<JobRecord>> {
        jobs::list(&self.reader, state, limit).await
    }

    async fn retry_job(&self, id: i64, now: OffsetDateTime) -> Result<bool> {
        self.writer
            .write(Box::new(move |c| Box::pin(jobs::retry(c, id, now))))
            .await
    }

    async fn job_counts(&self) -> Result<Vec<(JobState, i64)>> {
        jobs::counts(&self.reader).await
    }

    async fn insert_token(
        &self,
        token_hash: &str,
        username: &str,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<()> {
        let (hash, username) = (token_hash.to_string(), username.to_string());
        self.writer
            .write(Box::new(move |c| {
                Box::pin(accounts::insert_token(c, hash, username, now, expires_at))
            }))
            .await
    }

    async fn token(&self, token_hash: &str) -> Result<Option<TokenRecord>> {
        accounts::token(&self.lookups, token_hash).await
    }

    async fn revoke_token(&self, token_hash: &str, now: OffsetDateTime) -> Result<()> {
        let hash = token_hash.to_string();
        self.writer
            .write(Box::new(move |c| {
                Box::pin(accounts::revoke_token(c, hash, now))
            }))
            .await
    }

    async fn record_access_failure(&self, ticket: &str, at: OffsetDateTime) -> Result<()> {
        let ticket = ticket.to_string();
        self.writer
            .write(Box::new(move |c| {
                Box::pin(accounts::record_access_failure(c, ticket, at))
            }))
            .await
    }

    async fn access_failures_since(&self, ticket: &str, since: OffsetDateTime) -> Result<i64> {
        accounts::access_failures_since(&self.reader, ticket, since).await
    }

    async fn case_for_reporter(
        &self,
        ticket: &Ticket,
        since: OffsetDateTime,
    ) -> Result<(i64, Option<CaseRecord>)> {
        cases::for_reporter(self.lookups(), ticket, since).await
    }

    async fn case_for_tracking(
        &self,
        ticket: &Ticket,
        since: OffsetDateTime,
    ) -> Result<(i64, Option<(CaseRecord, Vec<StoredEvent>)>)> {
        match &self.tracking {
            Some(tracking) => {
                tracking
                    .get((
                        ticket.as_str().to_string(),
                        crate::time_codec::to_micros(since),
                    ))
                    .await
            }
            // On SQLite, where nothing is batched, two native reads cost less than building the
            // timeline in SQL.
            None => {
                let (failures, case) = cases::for_reporter(self.lookups(), ticket, since).await?;
                let found = match case {
                    Some(case) => {
                        let events = cases::events(self.lookups(), case.id, true).await?;
                        Some((case, events))
                    }
                    None => None,
                };
                Ok((failures, found))
            }
        }
    }

    async fn sourced_case(&self, system: &str, external_id: &str) -> Result<Option<Ticket>> {
        sources::sourced_case(&self.reader, system, external_id).await
    }

    async fn source_updates(
        &self,
        system: &str,
        since: OffsetDateTime,
        types: &[&str],
        limit: u32,
    ) -> Result<Vec<SourceUpdate>> {
        sources::source_updates(&self.reader, system, since, types, limit).await
    }

    async fn create_api_key(
        &self,
        key_hash: &str,
        name: &str,
        created_by: &str,
        now: OffsetDateTime,
    ) -> Result<i64> {
        let (hash, name, by) = (
            key_hash.to_string(),
            name.to_string(),
            created_by.to_string(),
        );
        self.writer
            .write(Box::new(move |c| {
                Box::pin(sources::create_api_key(c, hash, name, by, now))
            }))
            .await
    }

    async fn api_key(&self, key_hash: &str) -> Result<Option<ApiKeyRecord>> {
        sources::api_key(&self.lookups, key_hash).await
    }

    async fn api_keys(&self) -> Result<Vec<ApiKeyRecord>> {
        sources::api_keys(&self.reader).await
    }

    async fn revoke_api_key(&self, id: i64, now: OffsetDateTime) -> Result<bool> {
        self.writer
            .write(Box::new(move |c| {
                Box::pin(sources::revoke_api_key(c, id, now))
            }))
            .await
    }

    async fn similar_cases(
        &self,
        case_id: i64,
        contact_keys: &[String],
        terms: &[String],
        since: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<(CaseSummary, bool)>> {
        sources::similar_cases(
            &self.reader,
            self.backend,
            case_id,
            contact_keys,
            terms,
            since,
            limit,
        )
        .await
    }

    async fn quarantine_mail(&self, mail: NewQuarantinedMail) -> Result<i64> {
        self.writer
            .write(Box::new(move |c| Box::pin(quarantine::insert(c, mail))))
            .await
    }

    async fn quarantined_mail(&self, state: &str, limit: u32) -> Result<Vec<QuarantinedMail>> {
        quarantine::list(&self.reader, state, limit).await
    }

    async fn quarantined_raw(&self, id: i64) -> Result<Option<(String, Vec<u8>)>> {
        quarantine::raw(&self.reader, id).await
    }

    async fn resolve_quarantined(
        &self,
        id: i64,
        state: &str,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let (state, by) = (state.to_string(), by.to_string());
        self.writer
            .write(Box::new(move |c| {
                Box::pin(quarantine::resolve(c, id, state, by, now))
            }))
            .await
    }
}
