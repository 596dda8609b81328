//! Rows as the rest of Aduan sees them.

use aduan_domain::{
    Change, Channel, Kind, Language, Location, Privacy, Role, State, Ticket, Workflow,
};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

/// The descriptive part of a case, fixed at intake.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseDetails {
    pub description: String,
    pub event_date: Option<Date>,
    pub location: Location,
    pub channel_account: Option<String>,
    /// The other system's item the case came from (a LAPOR! report, a social media message).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<aduan_domain::external::ExternalSource>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CaseRecord {
    pub id: i64,
    pub ticket: Ticket,
    pub access_hash: String,
    pub kind: Kind,
    pub title: String,
    pub privacy: Privacy,
    pub channel: Channel,
    pub language: Language,
    pub registered_by: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub details: CaseDetails,
    pub workflow: Workflow,
    pub last_seq: i64,
}

/// One row of a case list: no description, no personal data.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseSummary {
    pub id: i64,
    pub ticket: Ticket,
    pub kind: Kind,
    pub category: String,
    pub state: State,
    pub privacy: Privacy,
    pub channel: Channel,
    pub lead_unit: Option<String>,
    pub title: String,
    pub created_at: OffsetDateTime,
    pub due_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub seq: i64,
    pub at: OffsetDateTime,
    pub actor: String,
    pub actor_role: String,
    pub public: bool,
    pub event: aduan_domain::Event,
}

impl StoredEvent {
    pub fn change(&self) -> &Change {
        &self.event.change
    }
}

/// The order of a case list. Every order is total (ties broken by id), so that keyset
/// pagination neither skips nor repeats a case.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CaseSort {
    /// Newest received first: by id, or in a list of a period by the received time (see
    /// [`CaseFilter::in_received_time`]).
    #[default]
    Newest,
    /// Oldest received first, like [`CaseSort::Newest`].
    Oldest,
    /// Soonest due time first; only cases that have a due time (someone owes a step).
    DueSoonest,
}

/// Filters of the staff case list. Every field narrows; `None` means any.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseFilter {
    pub states: Vec<State>,
    pub kind: Option<Kind>,
    pub category: Option<String>,
    pub unit: Option<String>,
    pub channel: Option<Channel>,
    pub created_from: Option<OffsetDateTime>,
    pub created_to: Option<OffsetDateTime>,
    /// Only open cases past their due time at this instant.
    pub overdue_at: Option<OffsetDateTime>,
    /// Only cases due at or after this instant (not yet overdue).
    pub due_from: Option<OffsetDateTime>,
    /// Full-text search terms (stems, see `aduan_domain::search::query_terms`); all must match.
    pub text: Vec<String>,
    /// Keyset cursor: only cases after the case with this id in the order of `sort`.
    pub cursor_id: Option<i64>,
    /// The time the cursor's case is ordered by, when the order is one of times: its due time
    /// with [`CaseSort::DueSoonest`], its received time in a list of a period.
    pub cursor_at: Option<OffsetDateTime>,
    pub limit: u32,
    pub sort: CaseSort,
    /// Only cases with this privacy choice (the public list of answered cases).
    pub privacy: Option<aduan_domain::Privacy>,
}

impl CaseFilter {
    /// Whether the list is ordered by received time (then id) rather than by id alone: a list
    /// of a period, newest or oldest first. Its cases are walked from the index of received
    /// times, from the period's end or start; in id order PostgreSQL walked every newer case
    /// to reach a past month (0.5-1.1 s at 1,000,000 cases). A case is stamped with its
    /// received time when it is stored, so the order reads the same as the order of ids.
    pub fn in_received_time(&self) -> bool {
        self.sort != CaseSort::DueSoonest
            && (self.created_from.is_some() || self.created_to.is_some())
    }

    /// The time `row` is ordered by in this list, when the order is one of times: what a
    /// cursor after `row` carries in [`CaseFilter::cursor_at`].
    pub fn cursor_at_of(&self, row: &CaseSummary) -> Option<OffsetDateTime> {
        if self.sort == CaseSort::DueSoonest {
            row.due_at
        } else if self.in_received_time() {
            Some(row.created_at)
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewUser {
    pub username: String,
    pub role: Role,
    pub unit: Option<String>,
    /// Where notifications for this member go; none means the member gets none.
    pub email: Option<String>,
    pub password_hash: String,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UserRecord {
    pub username: String,
    pub role: Role,
    pub unit: Option<String>,
    pub email: Option<String>,
    pub password_hash: String,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TokenRecord {
    pub username: String,
    pub expires_at: OffsetDateTime,
    pub revoked: bool,
    /// The account the token belongs to, read in the same query (every staff request needs
    /// both); `None` if the account is gone.
    pub user: Option<UserRecord>,
}

/// Open cases of one lead unit in one state, and how many of them are overdue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BacklogRow {
    /// `None` for cases not yet dispositioned (the coordinator owes them).
    pub unit: Option<String>,
    pub state: State,
    pub open: i64,
    pub overdue: i64,
}

/// Cases received in a period, grouped by their attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodRow {
    pub kind: Kind,
    pub category: String,
    pub channel: Channel,
    pub state: State,
    pub count: i64,
}

/// A case with its whole history, for bulk import (demo data, migrations from other systems).
#[derive(Debug, Clone)]
pub struct ImportedCase {
    pub case: aduan_domain::NewCase,
    /// The case as its events leave it.
    pub workflow: Workflow,
    pub events: Vec<aduan_domain::Event>,
    pub registered_by: Option<String>,
    /// The year whose sequence numbers the ticket.
    pub year: i32,
    /// When the deadline watch must next look at it (see `aduan_domain::watch::next_check`).
    pub next_check_at: Option<OffsetDateTime>,
}

/// A job to run later, written in the same transaction as the change that called for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    pub kind: String,
    /// The case it concerns; filled in by the store for jobs written with a case change.
    pub case_id: Option<i64>,
    /// A job whose key was ever queued before is not queued again.
    pub dedup_key: Option<String>,
    /// JSON; shown to admins, so never personal data.
    pub payload: String,
    /// Kept only until the job finishes (e.g. the access code of a receipt mail).
    pub secret: Option<String>,
    pub run_at: OffsetDateTime,
    pub max_attempts: i64,
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    Queued,
    Running,
    Done,
    Failed,
}

impl JobState {
    pub const ALL: [JobState; 4] = [
        JobState::Queued,
        JobState::Running,
        JobState::Done,
        JobState::Failed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }

    pub fn parse(code: &str) -> Option<JobState> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// A job as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRecord {
    pub id: i64,
    pub kind: String,
    pub case_id: Option<i64>,
    pub ticket: Option<String>,
    pub dedup_key: Option<String>,
    pub payload: String,
    pub secret: Option<String>,
    pub state: JobState,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: OffsetDateTime,
    pub last_error: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// How a claimed job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    Done,
    /// Run it again at `at`.
    Retry {
        at: OffsetDateTime,
        error: String,
    },
    /// Give up; an admin may retry it.
    Failed {
        error: String,
    },
}

/// The on-time figures of a period (DOMAIN.md): cases finished in it, how many of those
/// never let a due time pass, and cases still open at its end past a due time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OnTimeCounts {
    pub closed: i64,
    pub closed_on_time: i64,
    pub open_overdue: i64,
}

/// A file to store with a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttachment {
    pub name: String,
    pub content_type: String,
    pub sha256: String,
    pub data: Vec<u8>,
    /// `reporter`, or the staff member's username.
    pub uploaded_by: String,
    /// `evidence` (came with the report) or `answer` (to go out with the answer).
    pub purpose: String,
}

/// What is known of a stored file without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentMeta {
    pub id: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: OffsetDateTime,
    pub purpose: String,
}

/// A public event on a case that came from another system, with that system's id.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceUpdate {
    pub external_id: String,
    pub ticket: Ticket,
    pub event: StoredEvent,
}

/// A key issued to a client system (an Open311 client); the key itself is never stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub id: i64,
    pub name: String,
    pub created_by: String,
    pub created_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
}

/// A mail to keep aside, whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewQuarantinedMail {
    pub received_at: OffsetDateTime,
    /// Where it came from: `smtp`, `imap:INBOX`, …
    pub origin: String,
    /// A stable code: `unreadable`, `automatic`, `bounce`, `own_address`, `invalid`, …
    pub reason: String,
    pub detail: Option<String>,
    pub message_id: Option<String>,
    pub sender: Option<String>,
    pub subject: Option<String>,
    pub raw: Vec<u8>,
    /// Hex SHA-256 of `raw`: while an entry is held, the same mail is kept only once.
    pub raw_sha256: String,
}

/// A mail kept aside, without its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantinedMail {
    pub id: i64,
    pub received_at: OffsetDateTime,
    pub origin: String,
    pub reason: String,
    pub detail: Option<String>,
    pub message_id: Option<String>,
    pub sender: Option<String>,
    pub subject: Option<String>,
    pub size: i64,
    /// `held`, `retried` or `discarded`.
    pub state: String,
}
