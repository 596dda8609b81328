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
    /// Full-text search terms (stems, see `aduan_domain::search::query_terms`); all must match.
    pub text: Vec<String>,
    /// Keyset cursor: only cases with a smaller id.
    pub before_id: Option<i64>,
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewUser {
    pub username: String,
    pub role: Role,
    pub unit: Option<String>,
    pub password_hash: String,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UserRecord {
    pub username: String,
    pub role: Role,
    pub unit: Option<String>,
    pub password_hash: String,
    pub active: bool,
    pub failed_logins: i64,
    pub locked_until: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TokenRecord {
    pub username: String,
    pub expires_at: OffsetDateTime,
    pub revoked: bool,
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
}
