//! The use cases. `Aduan` is cheap to clone and shared by every request.

use crate::auth;
use crate::clock::Clock;
use crate::config;
use crate::views::*;
use crate::{AppError, random_bytes};
use aduan_domain::intake::{CaseInput, validate};
use aduan_domain::lifecycle::{Context, apply, decide, timeliness};
use aduan_domain::watch::next_check;
use aduan_domain::{
    AccessCode, Action, ActionCode, Actor, Calendar, Change, Channel, Event, Organisation, Role,
    Scope, Ticket, Workflow,
};
use aduan_store::{CaseFilter, CaseRecord, CaseUpdate, NewCaseRecord, NewUser, Store, StoredEvent};
use std::sync::{Arc, RwLock};
use time::{Duration, OffsetDateTime};

/// Where the next page of a list starts: the last row's id, and in an order of times (due
/// time, or received time in a list of a period) that time too, in microseconds, as `at_id`.
fn list_cursor(filter: &CaseFilter, row: &aduan_store::CaseSummary) -> String {
    match filter.cursor_at_of(row) {
        Some(at) => format!("{}_{}", at.unix_timestamp_nanos() / 1000, row.id),
        None => row.id.to_string(),
    }
}

/// Settings key under which the organisation in force is kept.
pub(crate) const ORGANISATION_KEY: &str = "organisation";
const TOKEN_LIFETIME: Duration = Duration::hours(12);
const LOGIN_ATTEMPTS: i64 = 5;
const LOCKOUT: Duration = Duration::minutes(15);
/// Wrong access codes for one ticket tolerated within the window before answering 429.
pub const ACCESS_ATTEMPTS: i64 = 5;
const ACCESS_WINDOW: Duration = Duration::minutes(15);
pub const MAX_PAGE_SIZE: u32 = 200;

#[derive(Clone)]
pub struct Aduan {
    pub(crate) store: Arc<dyn Store>,
    /// The organisation in force; an admin's edit swaps it whole.
    pub(crate) organisation: Arc<RwLock<Arc<Organisation>>>,
    /// Held while an admin edits the organisation, so that two edits do not overwrite each other.
    pub(crate) org_edit: Arc<tokio::sync::Mutex<()>>,
    /// Replaced when an admin adds a day off or a working Saturday.
    pub(crate) calendar: Arc<RwLock<Arc<Calendar>>>,
    /// Replaced when an admin edits a message template.
    pub(crate) templates: Arc<RwLock<Arc<crate::templates::Templates>>>,
    pub(crate) clock: Arc<dyn Clock>,
    /// The address citizens reach the portal at, for links in messages.
    pub(crate) public_url: Arc<str>,
    /// The sender of our notifications, to recognise our own mail coming back.
    pub(crate) mail_from: Option<Arc<str>>,
    pub(crate) tokens: Arc<crate::token_cache::TokenCache>,
    /// The public statistics, computed at most once an hour for every visitor.
    pub(crate) public_stats:
        Arc<tokio::sync::Mutex<Option<Arc<crate::public_stats::PublicStatistics>>>>,
    /// Figures of recent statistics requests, shared by the requests that ask the same.
    pub(crate) figures: Arc<crate::shared_cache::FiguresCache>,
    /// Recent backlogs, shared the same way (see `deadlines.rs`).
    pub(crate) backlogs: Arc<crate::deadlines::BacklogCache>,
    /// Recent monthly counts, shared the same way.
    pub(crate) months: Arc<MonthCache>,
    /// Edits of the calendar or the organisation this process made or picked up: like a case
    /// change, they make shared answers stale (working days are counted by the calendar).
    pub(crate) edits: Arc<std::sync::atomic::AtomicU64>,
}

/// Monthly counts by who sees them (their units, or all) and the month.
pub(crate) type MonthCache =
    crate::shared_cache::SharedCache<(Option<Vec<String>>, i32, time::Month), MonthlyStats>;

/// The longest monthly counts and backlogs are reused: they are cheap enough to recompute, and
/// another process writing to the same database shows within this time.
pub(crate) const COUNTS_MAX_AGE: time::Duration = time::Duration::seconds(5);

/// An authenticated staff member.
#[derive(Debug, Clone, PartialEq)]
pub struct StaffUser {
    pub username: String,
    pub role: Role,
    pub unit: Option<String>,
    /// The unit and all units below it.
    pub units: Vec<String>,
}

impl StaffUser {
    pub fn actor(&self) -> Actor {
        Actor::Staff {
            username: self.username.clone(),
            role: self.role,
            units: self.units.clone(),
        }
    }

    pub fn scope(&self) -> Scope {
        Scope::for_staff(&self.username, self.role, &self.units)
    }
}

/// A file as it came in, before it is checked.
#[derive(Debug, Clone)]
pub struct UploadedFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct CreatedCase {
    pub ticket: Ticket,
    /// Shown once to the reporter; only its hash is stored.
    pub access_code: AccessCode,
    pub due_at: Option<OffsetDateTime>,
}

impl Aduan {
    /// Wires the service. The organisation in force is, in order: the one passed in (from a
    /// configuration file, then stored), the stored one, or the shipped default (then stored).
    pub async fn start(
        store: Arc<dyn Store>,
        organisation: Option<Organisation>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, AppError> {
        let now = clock.now();
        let org = match organisation {
            Some(org) => {
                org.validate()
                    .map_err(|e| AppError::Config(e.to_string()))?;
                let stored = store.setting(ORGANISATION_KEY).await?;
                if stored
                    .is_some_and(|text| config::parse_organisation(&text).ok() != Some(org.clone()))
                {
                    tracing::warn!(
                        "the organisation file replaces the stored organisation, including edits made on the admin page"
                    );
                }
                store
                    .put_setting(ORGANISATION_KEY, &to_toml(&org)?, now)
                    .await?;
                org
            }
            None => match store.setting(ORGANISATION_KEY).await? {
                Some(text) => config::parse_organisation(&text)?,
                None => {
                    let org = config::parse_organisation(config::DEFAULT_ORGANISATION)?;
                    store
                        .put_setting(ORGANISATION_KEY, &to_toml(&org)?, now)
                        .await?;
                    tracing::info!(agency = %org.agency.name, "loaded the default organisation");
                    org
                }
            },
        };
        let calendar = crate::calendar::load(store.as_ref(), &org).await?;
        store.prepare_counts(calendar.offset()).await?;
        crate::calendar::warn_uncovered(&calendar, now);
        let templates = crate::templates::load(store.as_ref()).await?;
        Ok(Self {
            store,
            organisation: Arc::new(RwLock::new(Arc::new(org))),
            org_edit: Arc::default(),
            calendar: Arc::new(RwLock::new(Arc::new(calendar))),
            templates: Arc::new(RwLock::new(Arc::new(templates))),
            clock,
            public_url: Arc::from("http://127.0.0.1:8080"),
            mail_from: None,
            tokens: Arc::default(),
            public_stats: Arc::default(),
            figures: Arc::default(),
            backlogs: Arc::new(crate::shared_cache::SharedCache::new(COUNTS_MAX_AGE, 2)),
            months: Arc::new(crate::shared_cache::SharedCache::new(COUNTS_MAX_AGE, 2)),
            edits: Arc::default(),
        })
    }

    /// Grows with every change to a case and every edit of the calendar or the organisation:
    /// while it stays the same, an answer computed from them is still exact. (Both counts only
    /// grow, so their sum changes whenever either does.)
    pub(crate) fn changes(&self) -> u64 {
        self.store
            .case_changes()
            .wrapping_add(self.edits.load(std::sync::atomic::Ordering::Acquire))
    }

    /// Records an edit of the calendar or the organisation (see [`Self::changes`]).
    pub(crate) fn edited(&self) {
        self.edits.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }

    /// The portal's address, as links in mail and Open311 discovery give it.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// The sender of our notifications (`Name <address>` or an address).
    pub fn mail_from(&self) -> Option<String> {
        self.mail_from.as_deref().map(str::to_string)
    }

    pub fn with_mail_from(mut self, from: &str) -> Self {
        self.mail_from = Some(Arc::from(from));
        self
    }

    /// Sets the portal address used in links sent to reporters.
    pub fn with_public_url(mut self, url: &str) -> Self {
        self.public_url = Arc::from(url.trim_end_matches('/'));
        self
    }

    /// The organisation in force (units, categories, deadlines): a snapshot, so that one
    /// request sees one organisation even while an admin edits it.
    pub fn organisation(&self) -> Arc<Organisation> {
        match self.organisation.read() {
            Ok(org) => Arc::clone(&org),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    pub(crate) fn org(&self) -> Arc<Organisation> {
        self.organisation()
    }

    /// The working-day calendar in force (shipped holidays plus an admin's extra days).
    pub fn calendar(&self) -> Arc<Calendar> {
        match self.calendar.read() {
            Ok(cal) => Arc::clone(&cal),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    pub(crate) fn templates(&self) -> Arc<crate::templates::Templates> {
        match self.templates.read() {
            Ok(t) => Arc::clone(&t),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    pub async fn health(&self) -> Result<(), AppError> {
        Ok(self.store.health().await?)
    }

    // ---- Intake -------------------------------------------------------------------------------

    /// Registers a new case. Staff registering a case at the desk pass themselves and the
    /// channel it came through; the public API passes `None` and `Channel::Api`.
    pub async fn create_case(
        &self,
        input: &CaseInput,
        channel: Channel,
        registered_by: Option<&StaffUser>,
        channel_account: Option<String>,
    ) -> Result<CreatedCase, AppError> {
        self.create_case_with_files(input, channel, registered_by, channel_account, Vec::new())
            .await
    }

    /// Registers a new case with the files that came with it, checked by content; a wrong file
    /// is reported with the form's other errors and nothing is stored.
    pub async fn create_case_with_files(
        &self,
        input: &CaseInput,
        channel: Channel,
        registered_by: Option<&StaffUser>,
        channel_account: Option<String>,
        files: Vec<UploadedFile>,
    ) -> Result<CreatedCase, AppError> {
        if let Some(user) = registered_by
            && !matches!(user.role, Role::Intake | Role::Coordinator)
        {
            return Err(AppError::Forbidden);
        }
        self.register_case(input, channel, registered_by, channel_account, files, None)
            .await
    }

    /// Registers a case; the callers check who may. A case from an item of another system
    /// (`source`) fails with `Duplicate("source")` if that item made a case before.
    pub(crate) async fn register_case(
        &self,
        input: &CaseInput,
        channel: Channel,
        registered_by: Option<&StaffUser>,
        channel_account: Option<String>,
        files: Vec<UploadedFile>,
        source: Option<&aduan_domain::external::ExternalSource>,
    ) -> Result<CreatedCase, AppError> {
        let now = self.clock.now();
        let calendar = self.calendar();
        let today = calendar.local_date(now);
        let uploads: Vec<aduan_domain::attachment::Upload<'_>> = files
            .iter()
            .map(|f| aduan_domain::attachment::Upload {
                name: &f.name,
                bytes: &f.bytes,
            })
            .collect();
        let checked = aduan_domain::attachment::check(&uploads);
        // One organisation for the whole submission, even if an admin edits it meanwhile.
        let org = self.org();
        let (mut new, accepted) = match (validate(input, channel, &org, today), checked) {
            (Ok(new), Ok(accepted)) => (new, accepted),
            (Err(mut errors), Err(more)) => {
                errors.extend(more);
                return Err(AppError::Validation(errors));
            }
            (Err(errors), Ok(_)) | (Ok(_), Err(errors)) => {
                return Err(AppError::Validation(errors));
            }
        };
        let uploader = registered_by.map_or_else(|| "reporter".to_string(), |u| u.username.clone());
        let attachments: Vec<aduan_store::NewAttachment> = accepted
            .into_iter()
            .zip(&files)
            .map(|(ok, file)| aduan_store::NewAttachment {
                name: ok.name,
                content_type: ok.content_type.to_string(),
                sha256: hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&file.bytes)),
                data: file.bytes.clone(),
                uploaded_by: uploader.clone(),
                purpose: aduan_domain::attachment::Purpose::Evidence
                    .code()
                    .to_string(),
            })
            .collect();
        new.channel_account = channel_account;
        let workflow = Workflow::received(new.kind, new.category.clone(), now, &org, &calendar);
        let (actor, role) = match registered_by {
            Some(user) => (user.username.clone(), user.role.code().to_string()),
            None => ("reporter".to_string(), "reporter".to_string()),
        };
        let first_event = Event {
            at: now,
            actor,
            actor_role: role,
            rule: None,
            channel: Some(channel),
            change: Change::Received { channel },
            due_at: workflow.due_at,
            final_due_at: workflow.final_due_at,
        };
        let access_code = AccessCode::from_random(random_bytes::<8>()?);
        let jobs = crate::notices::jobs_for_new_case(&workflow, &first_event, &access_code, now);
        let record = self
            .store
            .create_case(NewCaseRecord {
                case: &new,
                workflow: &workflow,
                access_code: &access_code,
                first_event: &first_event,
                registered_by: registered_by.map(|u| u.username.as_str()),
                year: today.year(),
                jobs: &jobs,
                attachments: &attachments,
                next_check_at: next_check(&workflow, &org, &calendar),
                source,
            })
            .await?;
        tracing::info!(ticket = %record.ticket, kind = %new.kind, channel = %channel, "case received");
        Ok(CreatedCase {
            ticket: record.ticket,
            access_code,
            due_at: workflow.due_at,
        })
    }

    /// Imports finished histories in bulk (demo data, migrations from other systems).
    pub async fn import_cases(
        &self,
        cases: Vec<aduan_store::ImportedCase>,
        access_code: aduan_store::AccessCodeFn,
    ) -> Result<Vec<Ticket>, AppError> {
        Ok(self.store.import_cases(cases, access_code).await?)
    }

    /// After a bulk load: marks the loaded cases already past due, as the deadline watch would
    /// on its next pass, and refreshes the database's statistics.
    pub async fn finish_bulk_load(&self) -> Result<(), AppError> {
        self.store.mark_fallen_due(self.clock.now()).await?;
        Ok(self.store.analyze().await?)
    }

    // ---- Reporter -----------------------------------------------------------------------------

    /// Finds a case by ticket and access code. A wrong code answers exactly like an unknown
    /// ticket, and repeated failures for one ticket are throttled.
    pub(crate) async fn reporter_case(
        &self,
        ticket: &str,
        code: &str,
    ) -> Result<CaseRecord, AppError> {
        let Ok(ticket) = Ticket::parse(ticket) else {
            return Err(AppError::NotFound);
        };
        let (failures, case) = self
            .store
            .case_for_reporter(&ticket, self.clock.now() - ACCESS_WINDOW)
            .await?;
        let (case, ()) = self
            .admit_reporter(&ticket, code, failures, case.map(|c| (c, ())))
            .await?;
        Ok(case)
    }

    /// Lets the reporter in to `found` (a case and what was read with it) if the code is
    /// theirs and the ticket is not throttled; records the failure otherwise.
    async fn admit_reporter<T>(
        &self,
        ticket: &Ticket,
        code: &str,
        failures: i64,
        found: Option<(CaseRecord, T)>,
    ) -> Result<(CaseRecord, T), AppError> {
        if failures >= ACCESS_ATTEMPTS {
            tracing::warn!(ticket = %ticket, "access code attempts throttled");
            return Err(AppError::Throttled);
        }
        let code = AccessCode::parse(code).ok();
        let matched = match (&found, &code) {
            (Some((case, _)), Some(code)) => code.matches(&case.ticket, &case.access_hash),
            _ => false,
        };
        match found {
            Some(found) if matched => Ok(found),
            _ => {
                self.store
                    .record_access_failure(ticket.as_str(), self.clock.now())
                    .await?;
                tracing::info!(ticket = %ticket, "wrong access code or unknown ticket");
                Err(AppError::NotFound)
            }
        }
    }

    /// A case's tracking view: its case and public timeline are read together.
    pub async fn track(&self, ticket: &str, code: &str) -> Result<TrackView, AppError> {
        let Ok(ticket) = Ticket::parse(ticket) else {
            return Err(AppError::NotFound);
        };
        let (failures, found) = self
            .store
            .case_for_tracking(&ticket, self.clock.now() - ACCESS_WINDOW)
            .await?;
        let (case, events) = self.admit_reporter(&ticket, code, failures, found).await?;
        self.track_view_of(case, events).await
    }

    async fn track_view(&self, case: CaseRecord) -> Result<TrackView, AppError> {
        let events = self.store.events(case.id, true).await?;
        self.track_view_of(case, events).await
    }

    /// The view of `case`, given its public events.
    async fn track_view_of(
        &self,
        case: CaseRecord,
        events: Vec<StoredEvent>,
    ) -> Result<TrackView, AppError> {
        // A merged case's reporter follows the case it was merged into.
        if let Some(aduan_domain::lifecycle::Outcome::Merged { into }) = &case.workflow.outcome
            && let Some(target) = self.store.case(into, &Scope::All).await?
        {
            let events = self.store.events(target.id, true).await?;
            let mut view = TrackView::build(&target, &events);
            view.merged_from = Some(case.ticket.to_string());
            self.fill_answer_files(&target, &mut view).await?;
            return Ok(view);
        }
        let mut view = TrackView::build(&case, &events);
        self.fill_answer_files(&case, &mut view).await?;
        Ok(view)
    }

    /// Adds information, accepts or objects, as the reporter.
    pub async fn reporter_act(
        &self,
        ticket: &str,
        code: &str,
        action: Action,
    ) -> Result<TrackView, AppError> {
        let case = self.reporter_case(ticket, code).await?;
        let case = self
            .apply_action(case, &action, &Actor::Reporter, None)
            .await?;
        self.track_view(case).await
    }

    // ---- Staff --------------------------------------------------------------------------------

    /// Logs a staff member in. Five failures for one username within 15 minutes lock that name,
    /// whether or not it exists, so that the answers do not tell which usernames exist.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
    ) -> Result<(String, OffsetDateTime), AppError> {
        let now = self.clock.now();
        // The throttle key never carries control characters (PostgreSQL refuses NUL in text).
        let key: String = username
            .to_lowercase()
            .chars()
            .filter(|c| !c.is_control())
            .take(64)
            .collect();
        let key = format!("login:{key}");
        if self
            .store
            .access_failures_since(&key, now - LOCKOUT)
            .await?
            >= LOGIN_ATTEMPTS
        {
            tracing::warn!("login refused: too many failures for this username");
            return Err(AppError::Locked);
        }
        // Names with control characters cannot exist (see add_user); don't send them to the database.
        let plausible =
            !username.is_empty() && username.len() <= 64 && !username.chars().any(char::is_control);
        let user = if plausible {
            self.store.user(username).await?.filter(|u| u.active)
        } else {
            None
        };
        // Unknown users cost the same hashing time as known ones.
        let hash = user
            .as_ref()
            .map_or_else(|| DUMMY_HASH.to_string(), |u| u.password_hash.clone());
        let candidate = password.to_string();
        let verified =
            tokio::task::spawn_blocking(move || auth::verify_password(&candidate, &hash))
                .await
                .map_err(|e| AppError::Internal(e.to_string()))?;
        let Some(user) = user.filter(|_| verified) else {
            self.store.record_access_failure(&key, now).await?;
            tracing::info!("login failed");
            return Err(AppError::BadCredentials);
        };
        let (token, hash) = auth::new_token()?;
        let expires_at = now + TOKEN_LIFETIME;
        self.store
            .insert_token(&hash, &user.username, now, expires_at)
            .await?;
        tracing::info!(username = %user.username, "logged in");
        Ok((token, expires_at))
    }

    pub async fn authenticate(&self, token: &str) -> Result<StaffUser, AppError> {
        let now = self.clock.now();
        let hash = auth::token_hash(token);
        if let Some(user) = self.tokens.get(&hash, now) {
            return Ok(user);
        }
        let record = self
            .store
            .token(&hash)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if record.revoked || record.expires_at <= now {
            return Err(AppError::Unauthenticated);
        }
        let user = record
            .user
            .filter(|u| u.active)
            .ok_or(AppError::Unauthenticated)?;
        let units = user
            .unit
            .as_deref()
            .map(|u| self.org().subtree(u))
            .unwrap_or_default();
        let staff = StaffUser {
            username: user.username,
            role: user.role,
            unit: user.unit,
            units,
        };
        self.tokens.put(&hash, &staff, record.expires_at, now);
        Ok(staff)
    }

    pub async fn logout(&self, token: &str) -> Result<(), AppError> {
        let hash = auth::token_hash(token);
        self.tokens.forget(&hash);
        Ok(self.store.revoke_token(&hash, self.clock.now()).await?)
    }

    pub async fn list_cases(
        &self,
        user: &StaffUser,
        mut filter: CaseFilter,
    ) -> Result<CasePage, AppError> {
        if matches!(user.scope(), Scope::Nothing) {
            return Err(AppError::Forbidden);
        }
        let now = self.clock.now();
        filter.limit = filter.limit.clamp(1, MAX_PAGE_SIZE);
        let limit = filter.limit;
        // One extra row tells whether there is a next page.
        filter.limit += 1;
        let mut rows = self.store.list_cases(&user.scope(), &filter).await?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = if more {
            rows.last().map(|r| list_cursor(&filter, r))
        } else {
            None
        };
        Ok(CasePage {
            items: rows
                .iter()
                .map(|s| CaseListItem::from_summary(s, now))
                .collect(),
            next_cursor,
        })
    }

    /// Reads a list cursor made by [`list_cursor`] for the filter's order into the filter;
    /// `false` when it is not one. A list of a period also takes a cursor of an id alone, as
    /// made before such lists were ordered by received time.
    pub fn apply_cursor(filter: &mut CaseFilter, cursor: &str) -> bool {
        let timed = |cursor: &str| {
            cursor.split_once('_').and_then(|(at, id)| {
                let at = at.parse::<i128>().ok()?;
                let at = OffsetDateTime::from_unix_timestamp_nanos(at.checked_mul(1000)?).ok()?;
                Some((id.parse::<i64>().ok()?, Some(at)))
            })
        };
        let id_alone = |cursor: &str| cursor.parse::<i64>().ok().map(|id| (id, None));
        let parsed = if filter.sort == aduan_store::CaseSort::DueSoonest {
            timed(cursor)
        } else if filter.in_received_time() {
            timed(cursor).or_else(|| id_alone(cursor))
        } else {
            id_alone(cursor)
        };
        match parsed {
            Some((id, at)) if id > 0 => {
                filter.cursor_id = Some(id);
                filter.cursor_at = at;
                true
            }
            _ => false,
        }
    }

    pub(crate) async fn scoped_case(
        &self,
        user: &StaffUser,
        ticket: &str,
    ) -> Result<CaseRecord, AppError> {
        let ticket = Ticket::parse(ticket).map_err(|_| AppError::NotFound)?;
        let scope = user.scope();
        if matches!(scope, Scope::Nothing) {
            return Err(AppError::Forbidden);
        }
        self.store
            .case(&ticket, &scope)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// Answered cases whose reporter chose `public`, newest first, for the portal.
    pub async fn published_cases(
        &self,
        category: Option<String>,
        text: Vec<String>,
        before_id: Option<i64>,
        limit: u32,
    ) -> Result<PublishedPage, AppError> {
        use aduan_domain::redact::public_text;
        let limit = limit.clamp(1, 50);
        let filter = CaseFilter {
            states: vec![aduan_domain::State::Answered, aduan_domain::State::Closed],
            privacy: Some(aduan_domain::Privacy::Public),
            category,
            text,
            cursor_id: before_id,
            limit: limit + 1,
            ..CaseFilter::default()
        };
        let mut rows = self.store.list_cases(&Scope::All, &filter).await?;
        let more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let next_cursor = if more {
            rows.last().map(|r| r.id.to_string())
        } else {
            None
        };
        let mut items = Vec::with_capacity(rows.len());
        for row in rows {
            let Some(case) = self.store.case(&row.ticket, &Scope::All).await? else {
                continue;
            };
            // A closed case without an answer (closed for lack of information) is not published.
            let Some(answer) = &case.workflow.answer else {
                continue;
            };
            items.push(PublishedCase {
                ticket: case.ticket.to_string(),
                kind: case.kind.code().into(),
                category: case.workflow.category.clone(),
                title: public_text(&case.title),
                received_at: case.created_at,
                answered_at: answer.published_at,
                answer: public_text(&answer.text),
                decision: answer.decision.map(|d| d.code().to_string()),
                files: if answer.attachments.is_empty() {
                    Vec::new()
                } else {
                    let files = self.store.attachments(case.id).await?;
                    crate::views::FileView::pick(&answer.attachments, &files)
                },
            });
        }
        Ok(PublishedPage { items, next_cursor })
    }

    /// One file of a case the user may see.
    pub async fn staff_attachment(
        &self,
        user: &StaffUser,
        ticket: &str,
        id: i64,
    ) -> Result<(aduan_store::AttachmentMeta, Vec<u8>), AppError> {
        let case = self.scoped_case(user, ticket).await?;
        self.store
            .attachment(case.id, id)
            .await?
            .ok_or(AppError::NotFound)
    }

    pub async fn staff_case(
        &self,
        user: &StaffUser,
        ticket: &str,
    ) -> Result<StaffCaseView, AppError> {
        let case = self.scoped_case(user, ticket).await?;
        self.staff_view(user, &case).await
    }

    pub async fn act(
        &self,
        user: &StaffUser,
        ticket: &str,
        action: Action,
    ) -> Result<StaffCaseView, AppError> {
        let case = self.scoped_case(user, ticket).await?;
        if let Action::Link { ticket: other } | Action::Unlink { ticket: other } = &action {
            let case = self.link_both(user, case, other, &action).await?;
            return self.staff_view(user, &case).await;
        }
        self.check_references(&case, &action).await?;
        let case = self
            .apply_action(case, &action, &user.actor(), Some(Channel::Api))
            .await?;
        self.staff_view(user, &case).await
    }

    /// Checks what the pure domain cannot: that other cases and users named by an action exist.
    async fn check_references(&self, case: &CaseRecord, action: &Action) -> Result<(), AppError> {
        use aduan_domain::intake::FieldError;
        match action {
            Action::Merge { into } => {
                let target = match Ticket::parse(into) {
                    Ok(t) if t != case.ticket => self.store.case(&t, &Scope::All).await?,
                    _ => None,
                };
                match target {
                    Some(t) if !t.workflow.state.is_terminal() => Ok(()),
                    _ => Err(AppError::Validation(vec![FieldError::new(
                        "into",
                        "unknown_or_closed_case",
                    )])),
                }
            }
            Action::Assign { officer } => {
                let officer = officer.trim();
                let user = if officer.chars().any(char::is_control) {
                    None
                } else {
                    self.store.user(officer).await?
                };
                let org = self.org();
                let in_unit = user.as_ref().is_some_and(|u| {
                    u.active
                        && matches!(u.role, Role::UnitOfficer | Role::UnitHead)
                        && u.unit.as_ref().is_some_and(|unit| {
                            case.workflow
                                .lead_unit
                                .as_ref()
                                .is_some_and(|lead| org.subtree(lead).contains(unit))
                        })
                });
                if in_unit {
                    Ok(())
                } else {
                    Err(AppError::Validation(vec![FieldError::new(
                        "officer",
                        "not_in_unit",
                    )]))
                }
            }
            Action::SubmitDraft { attachments, .. } if !attachments.is_empty() => {
                let files = self.store.attachments(case.id).await?;
                let answer_file = |id: &i64| {
                    files.iter().any(|f| {
                        f.id == *id && f.purpose == aduan_domain::attachment::Purpose::Answer.code()
                    })
                };
                if attachments.iter().all(answer_file) {
                    Ok(())
                } else {
                    Err(AppError::Validation(vec![FieldError::new(
                        "attachments",
                        "unknown_file",
                    )]))
                }
            }
            _ => Ok(()),
        }
    }

    /// Decides and commits an action, retrying once if the case changed meanwhile.
    async fn apply_action(
        &self,
        case: CaseRecord,
        action: &Action,
        actor: &Actor,
        channel: Option<Channel>,
    ) -> Result<CaseRecord, AppError> {
        self.apply_action_from(case, action, actor, channel, None)
            .await
    }

    /// Applies an action that records an item of another system (a message joining the case);
    /// the same item a second time fails with `Duplicate("source")` and changes nothing.
    pub(crate) async fn apply_action_from(
        &self,
        mut case: CaseRecord,
        action: &Action,
        actor: &Actor,
        channel: Option<Channel>,
        source: Option<&aduan_domain::external::ExternalSource>,
    ) -> Result<CaseRecord, AppError> {
        for attempt in 0..2 {
            let calendar = self.calendar();
            let ctx = Context {
                now: self.clock.now(),
                org: &self.org(),
                calendar: &calendar,
                ticket: &case.ticket,
                channel,
            };
            let events = decide(&case.workflow, action, actor, &ctx).inspect_err(|refusal| {
                tracing::info!(ticket = %case.ticket, action = %action.code(), actor = %actor.role_code(), ?refusal, "action refused");
            })?;
            match self
                .commit_events_from(&case, &events, &calendar, source)
                .await
            {
                Ok(updated) => {
                    tracing::info!(ticket = %updated.ticket, action = %action.code(), actor = %actor.role_code(), state = %updated.workflow.state, "action applied");
                    return Ok(updated);
                }
                Err(aduan_store::StoreError::Conflict) if attempt == 0 => {
                    case = self
                        .store
                        .case(&case.ticket, &Scope::All)
                        .await?
                        .ok_or(AppError::NotFound)?;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Conflict)
    }

    /// Commits events decided for a case with the jobs they call for and the watch's next look.
    pub(crate) async fn commit_events(
        &self,
        case: &CaseRecord,
        events: &[Event],
        calendar: &Calendar,
    ) -> Result<CaseRecord, aduan_store::StoreError> {
        self.commit_events_from(case, events, calendar, None).await
    }

    async fn commit_events_from(
        &self,
        case: &CaseRecord,
        events: &[Event],
        calendar: &Calendar,
        source: Option<&aduan_domain::external::ExternalSource>,
    ) -> Result<CaseRecord, aduan_store::StoreError> {
        let (after, jobs, next_check_at) = self.fold_events(case, events, calendar);
        self.store
            .commit(
                case,
                CaseUpdate {
                    after: &after,
                    events,
                    jobs: &jobs,
                    next_check_at,
                    source,
                },
            )
            .await
    }

    /// The case after `events`, the jobs they call for and the watch's next look.
    pub(crate) fn fold_events(
        &self,
        case: &CaseRecord,
        events: &[Event],
        calendar: &Calendar,
    ) -> (
        Workflow,
        Vec<aduan_store::NewJob>,
        Option<time::OffsetDateTime>,
    ) {
        let mut after = case.workflow.clone();
        let mut jobs = Vec::new();
        for (offset, event) in events.iter().enumerate() {
            let seq = case.last_seq + 1 + i64::try_from(offset).unwrap_or(0);
            jobs.extend(crate::notices::jobs_for_event(case.id, seq, &after, event));
            apply(&mut after, event);
        }
        let next = next_check(&after, &self.org(), calendar);
        (after, jobs, next)
    }

    async fn staff_view(
        &self,
        user: &StaffUser,
        case: &CaseRecord,
    ) -> Result<StaffCaseView, AppError> {
        let reporter = if may_see_reporter(user.role, case.privacy) {
            self.store
                .reporter(case.id)
                .await?
                .map(|r| ReporterView::from(&r))
        } else {
            None
        };
        let events = self.store.events(case.id, false).await?;
        let files = self.store.attachments(case.id).await?;
        let wf = &case.workflow;
        let now = self.clock.now();
        Ok(StaffCaseView {
            ticket: case.ticket.to_string(),
            kind: case.kind.code().into(),
            category: wf.category.clone(),
            state: wf.state.code().into(),
            privacy: case.privacy.code().into(),
            channel: case.channel.code().into(),
            language: case.language.code().into(),
            title: case.title.clone(),
            description: case.details.description.clone(),
            event_date: case.details.event_date.map(|d| d.to_string()),
            location: serde_json::to_value(&case.details.location).unwrap_or_default(),
            channel_account: case.details.channel_account.clone(),
            source: case.details.source.as_ref().map(SourceView::from),
            reporter,
            lead_unit: wf.lead_unit.clone(),
            supporting_units: wf.supporting_units.clone(),
            instruction: wf.instruction.clone(),
            assignee: wf.assignee.clone(),
            related: wf.related.iter().map(ToString::to_string).collect(),
            maladministration: wf
                .maladministration
                .iter()
                .map(|m| m.code().to_string())
                .collect(),
            draft: wf.draft.as_ref().and_then(|d| serde_json::to_value(d).ok()),
            answer: wf.answer.as_ref().map(|a| AnswerView {
                text: a.text.clone(),
                decision: a.decision.map(|d| d.code().into()),
                exemption: a.exemption.clone(),
                published_at: a.published_at,
                files: crate::views::FileView::pick(&a.attachments, &files),
            }),
            rating: wf.rating,
            objections: wf.objections,
            extended: wf.extended,
            outcome: wf.outcome.as_ref().map(outcome_code),
            received_at: case.created_at,
            due_at: wf.due_at,
            final_due_at: wf.final_due_at,
            timeliness: timeliness_code(timeliness(wf, now, &self.calendar())),
            allowed_actions: self.allowed_actions(user, case),
            attachments: files.into_iter().map(AttachmentView::from).collect(),
            events: events
                .iter()
                .map(|e| StaffEvent {
                    seq: e.seq,
                    at: e.at,
                    actor: e.actor.clone(),
                    actor_role: e.actor_role.clone(),
                    rule: e.event.rule.clone(),
                    channel: e.event.channel.map(|c| c.code().to_string()),
                    public: e.public,
                    change: serde_json::to_value(&e.event.change).unwrap_or_default(),
                })
                .collect(),
        })
    }

    /// Whether `user` may take `action` on the case now (role, unit and state).
    pub(crate) fn may(&self, user: &StaffUser, case: &CaseRecord, action: ActionCode) -> bool {
        let calendar = self.calendar();
        let ctx = Context {
            now: self.clock.now(),
            org: &self.org(),
            calendar: &calendar,
            ticket: &case.ticket,
            channel: None,
        };
        aduan_domain::lifecycle::allowed(&case.workflow, action, &user.actor(), &ctx)
    }

    /// Staff actions the user may take on the case now.
    fn allowed_actions(&self, user: &StaffUser, case: &CaseRecord) -> Vec<String> {
        use aduan_domain::ActionCode as A;
        A::ALL
            .iter()
            .filter(|code| {
                !matches!(
                    code,
                    A::AddInfo
                        | A::Message
                        | A::AcceptAnswer
                        | A::Object
                        | A::CloseInfoLapsed
                        | A::CloseNoReaction
                )
            })
            .filter(|code| self.may(user, case, **code))
            // The one extension exists only for information requests, once.
            .filter(|code| {
                **code != A::Extend
                    || (case.kind == aduan_domain::Kind::InfoRequest && !case.workflow.extended)
            })
            .map(|code| code.code().to_string())
            .collect()
    }

    /// Which lead units' figures a role may see: all, its own subtree, or none.
    pub(crate) fn statistics_units(
        &self,
        user: &StaffUser,
    ) -> Result<Option<Vec<String>>, AppError> {
        match user.role {
            Role::Coordinator | Role::Leadership | Role::Auditor | Role::Monitor => Ok(None),
            Role::UnitOfficer | Role::UnitHead => Ok(Some(user.units.clone())),
            Role::Intake | Role::Admin => Err(AppError::Forbidden),
        }
    }

    /// Figures of the cases received in one month (`year`, `month` in the agency's time zone).
    pub async fn monthly_stats(
        &self,
        user: &StaffUser,
        year: i32,
        month: time::Month,
    ) -> Result<MonthlyStats, AppError> {
        use aduan_domain::intake::FieldError;
        let units = self.statistics_units(user)?;
        let invalid = || AppError::Validation(vec![FieldError::new("month", "invalid")]);
        let first = time::Date::from_calendar_date(year, month, 1).map_err(|_| invalid())?;
        let next = if month == time::Month::December {
            time::Date::from_calendar_date(year + 1, time::Month::January, 1)
        } else {
            time::Date::from_calendar_date(year, month.next(), 1)
        }
        .map_err(|_| invalid())?;
        let offset = self.calendar().offset();
        let asking = crate::shared_cache::Asking {
            now: self.clock.now(),
            changes: self.changes(),
            ended: false,
        };
        let compute = async {
            let rows = self
                .store
                .period_counts(
                    units.as_deref(),
                    first.midnight().assume_offset(offset),
                    next.midnight().assume_offset(offset),
                )
                .await?;
            let mut stats = MonthlyStats {
                month: format!("{year:04}-{:02}", u8::from(month)),
                received: 0,
                by_kind: Default::default(),
                by_category: Default::default(),
                by_channel: Default::default(),
                by_state: Default::default(),
            };
            for row in rows {
                stats.received += row.count;
                *stats.by_kind.entry(row.kind.code().into()).or_default() += row.count;
                *stats.by_category.entry(row.category).or_default() += row.count;
                *stats
                    .by_channel
                    .entry(row.channel.code().into())
                    .or_default() += row.count;
                *stats.by_state.entry(row.state.code().into()).or_default() += row.count;
            }
            Ok(crate::shared_cache::Fresh::new(stats))
        };
        let key = (units.clone(), year, month);
        Ok((*self.months.get(key, asking, compute).await?).clone())
    }

    // ---- Accounts -----------------------------------------------------------------------------

    pub async fn add_user(
        &self,
        username: &str,
        role: Role,
        unit: Option<&str>,
        email: Option<&str>,
        password: &str,
    ) -> Result<(), AppError> {
        use aduan_domain::intake::FieldError;
        let email = match email.map(str::trim).filter(|e| !e.is_empty()) {
            Some(text) => Some(
                aduan_domain::Email::parse(text)
                    .map_err(|_| AppError::Validation(vec![FieldError::new("email", "invalid")]))?
                    .as_str()
                    .to_string(),
            ),
            None => None,
        };
        let username = username.trim();
        let valid_name = (3..=64).contains(&username.len())
            && username
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if !valid_name {
            return Err(AppError::Validation(vec![FieldError::new(
                "username", "invalid",
            )]));
        }
        if role.needs_unit() && unit.is_none() {
            return Err(AppError::Validation(vec![FieldError::new(
                "unit", "required",
            )]));
        }
        if let Some(unit) = unit
            && self.org().unit(unit).is_none()
        {
            return Err(AppError::Validation(vec![FieldError::new(
                "unit", "unknown",
            )]));
        }
        auth::check_password_strength(password)?;
        let password = password.to_string();
        let hash = tokio::task::spawn_blocking(move || auth::hash_password(&password))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))??;
        self.store
            .create_user(&NewUser {
                username: username.to_string(),
                role,
                unit: unit.map(str::to_string),
                email,
                password_hash: hash,
                created_at: self.clock.now(),
            })
            .await?;
        tracing::info!(username, role = %role, "user added");
        Ok(())
    }

    /// On a database without an active administrator, creates `admin` with a random password
    /// and returns that password, to be shown once.
    pub async fn ensure_admin(&self) -> Result<Option<String>, AppError> {
        if self.store.count_active_admins().await? > 0 {
            return Ok(None);
        }
        let password = auth::generate_password()?;
        match self
            .add_user("admin", Role::Admin, None, None, &password)
            .await
        {
            Ok(()) => Ok(Some(password)),
            // An inactive or re-roled `admin` exists: reset it rather than fail to start.
            Err(AppError::Duplicate(_)) => {
                self.store
                    .set_password("admin", &auth::hash_password(&password)?)
                    .await?;
                Ok(Some(password))
            }
            Err(e) => Err(e),
        }
    }
}

/// A valid argon2id hash of a random string, verified against on unknown usernames.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$5Hj+8Ai0w5vtzjKhkXx5QGXnsGSbXZEJxYBd/0ew6m8";

pub(crate) fn to_toml(org: &Organisation) -> Result<String, AppError> {
    toml::to_string(org).map_err(|e| AppError::Internal(format!("organisation: {e}")))
}
