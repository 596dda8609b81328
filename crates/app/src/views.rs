//! What each audience is shown of a case. Personal data appears only in the staff view, and
//! only for roles that may see it under the case's privacy choice.

use aduan_domain::lifecycle::{Outcome, Timeliness};
use aduan_domain::{Change, Event, Privacy, Reporter, Role, State};
use aduan_store::{CaseRecord, CaseSummary, StoredEvent};
use serde::Serialize;
use time::OffsetDateTime;

/// A timeline entry the reporter and the public may see.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicEvent {
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: OffsetDateTime,
    /// Event code, e.g. `received`, `answer_published`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The public text of the event (a question, the answer, a reason), if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl PublicEvent {
    pub fn from_event(event: &Event) -> Option<Self> {
        if !event.change.is_public() {
            return None;
        }
        let text = match &event.change {
            Change::Rejected { reason, .. } => Some(reason.code().to_string()),
            Change::Forwarded { agency, .. } => Some(agency.clone()),
            Change::Merged { into } => Some(into.to_string()),
            Change::InfoRequested { question } => Some(question.clone()),
            Change::InfoAdded { text } => Some(text.clone()),
            Change::AnswerPublished { text, .. } => Some(text.clone()),
            Change::Extended { reason } => Some(reason.clone()),
            Change::Rated { rating } => Some(rating.to_string()),
            Change::Objected { reason } => Some(reason.clone()),
            Change::Closed { reason } => Some(reason.code().to_string()),
            _ => None,
        };
        Some(Self {
            at: event.at,
            kind: event.change.code().to_string(),
            text,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnswerView {
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exemption: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub published_at: OffsetDateTime,
    /// Files published with the answer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileView>,
}

/// A published file as the reporter and the public see it: no uploader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FileView {
    pub id: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
}

impl FileView {
    /// The files of `ids` among a case's files, in the answer's order.
    pub fn pick(ids: &[i64], files: &[aduan_store::AttachmentMeta]) -> Vec<FileView> {
        ids.iter()
            .filter_map(|id| files.iter().find(|f| f.id == *id))
            .map(|f| FileView {
                id: f.id,
                name: f.name.clone(),
                content_type: f.content_type.clone(),
                size: f.size,
            })
            .collect()
    }
}

/// What a reporter sees when tracking: no internal notes, no units, no names.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrackView {
    pub ticket: String,
    /// Set when the ticket tracked was merged into this case.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_from: Option<String>,
    pub kind: String,
    pub category: String,
    pub title: String,
    pub state: String,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub received_at: OffsetDateTime,
    /// When the agency's next step is due (absent once the case has ended).
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub expected_by: Option<OffsetDateTime>,
    /// The question to answer, while the agency waits for the reporter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<AnswerView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating: Option<u8>,
    /// Why the case ended, as a code (`rejected:spam`, `forwarded`, `closed:accepted`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    pub timeline: Vec<PublicEvent>,
}

impl TrackView {
    pub fn build(case: &CaseRecord, events: &[StoredEvent]) -> Self {
        let wf = &case.workflow;
        let timeline: Vec<PublicEvent> = events
            .iter()
            .filter_map(|e| PublicEvent::from_event(&e.event))
            .collect();
        let question = (wf.state == State::WaitingReporter)
            .then(|| {
                events.iter().rev().find_map(|e| match &e.event.change {
                    Change::InfoRequested { question } => Some(question.clone()),
                    _ => None,
                })
            })
            .flatten();
        Self {
            ticket: case.ticket.to_string(),
            merged_from: None,
            kind: case.kind.code().into(),
            category: wf.category.clone(),
            title: case.title.clone(),
            state: wf.state.code().into(),
            received_at: case.created_at,
            expected_by: if wf.state.agency_owes() {
                wf.due_at
            } else {
                None
            },
            question,
            answer: wf.answer.as_ref().map(|a| AnswerView {
                text: a.text.clone(),
                decision: a.decision.map(|d| d.code().into()),
                exemption: a.exemption.clone(),
                published_at: a.published_at,
                // Filled by the service, which reads the files.
                files: Vec::new(),
            }),
            rating: wf.rating,
            outcome: wf.outcome.as_ref().map(outcome_code),
            timeline,
        }
    }
}

pub fn outcome_code(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Rejected { reason, .. } => format!("rejected:{}", reason.code()),
        Outcome::Forwarded { .. } => "forwarded".into(),
        Outcome::Merged { into } => format!("merged:{into}"),
        Outcome::Closed { reason } => format!("closed:{}", reason.code()),
    }
}

/// Whether a role may see the reporter's personal data under the case's privacy choice.
pub fn may_see_reporter(role: Role, privacy: Privacy) -> bool {
    match role {
        Role::Coordinator => true,
        Role::UnitOfficer | Role::UnitHead | Role::Leadership | Role::Auditor | Role::Intake => {
            privacy != Privacy::Anonymous
        }
        Role::Monitor | Role::Admin => false,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReporterView {
    pub name: Option<String>,
    pub nik: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
}

impl From<&Reporter> for ReporterView {
    fn from(r: &Reporter) -> Self {
        Self {
            name: r.name.clone(),
            nik: r.nik.as_ref().map(|n| n.as_str().to_string()),
            phone: r.phone.as_ref().map(|p| p.as_str().to_string()),
            email: r.email.as_ref().map(|e| e.as_str().to_string()),
            address: r.address.clone(),
        }
    }
}

/// Where a case came from outside Aduan.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SourceView {
    /// `lapor`, `instagram`, `whatsapp`, …
    pub system: String,
    /// The other system's id (LAPOR!'s tracking id, the message id).
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub sent_at: Option<OffsetDateTime>,
    /// References to files the other system keeps.
    pub attachments: Vec<String>,
}

impl From<&aduan_domain::external::ExternalSource> for SourceView {
    fn from(s: &aduan_domain::external::ExternalSource) -> Self {
        Self {
            system: s.system.clone(),
            id: s.id.clone(),
            link: s.link.clone(),
            sent_at: s.sent_at,
            attachments: s.attachments.clone(),
        }
    }
}

/// A timeline entry for staff: every event, with who did it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffEvent {
    pub seq: i64,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: OffsetDateTime,
    pub actor: String,
    pub actor_role: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    pub public: bool,
    /// The change with its fields, tagged by `type`.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub change: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffCaseView {
    pub ticket: String,
    pub kind: String,
    pub category: String,
    pub state: String,
    pub privacy: String,
    pub channel: String,
    pub language: String,
    pub title: String,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_date: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub location: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_account: Option<String>,
    /// The other system's item the case came from (a LAPOR! report, a social media message).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceView>,
    /// Present only for roles that may see personal data under this case's privacy choice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reporter: Option<ReporterView>,
    pub lead_unit: Option<String>,
    pub supporting_units: Vec<String>,
    pub instruction: Option<String>,
    pub assignee: Option<String>,
    /// Cases marked as related to this one (tickets).
    pub related: Vec<String>,
    /// The forms of maladministration the complaint alleges (codes), as the coordinator
    /// classified it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub maladministration: Vec<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub draft: Option<serde_json::Value>,
    pub answer: Option<AnswerView>,
    pub rating: Option<u8>,
    pub objections: u32,
    pub extended: bool,
    pub outcome: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub received_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub due_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub final_due_at: Option<OffsetDateTime>,
    /// `on_time`, `at_risk` or `overdue` while someone owes a step.
    pub timeliness: Option<String>,
    /// The actions the caller may take now (their fields are checked when taken).
    pub allowed_actions: Vec<String>,
    pub attachments: Vec<AttachmentView>,
    pub events: Vec<StaffEvent>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseListItem {
    pub ticket: String,
    pub kind: String,
    pub category: String,
    pub state: String,
    pub privacy: String,
    pub channel: String,
    pub lead_unit: Option<String>,
    pub title: String,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub received_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub due_at: Option<OffsetDateTime>,
    pub overdue: bool,
}

impl CaseListItem {
    pub fn from_summary(s: &CaseSummary, now: OffsetDateTime) -> Self {
        Self {
            ticket: s.ticket.to_string(),
            kind: s.kind.code().into(),
            category: s.category.clone(),
            state: s.state.code().into(),
            privacy: s.privacy.code().into(),
            channel: s.channel.code().into(),
            lead_unit: s.lead_unit.clone(),
            title: s.title.clone(),
            received_at: s.created_at,
            due_at: s.due_at,
            overdue: s.state.agency_owes() && s.due_at.is_some_and(|d| d < now),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CasePage {
    pub items: Vec<CaseListItem>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

pub fn timeliness_code(t: Option<Timeliness>) -> Option<String> {
    t.map(|t| t.code().to_string())
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BacklogLine {
    /// Lead unit code; absent for cases the coordinator has not dispositioned yet.
    pub unit: Option<String>,
    pub state: String,
    pub open: i64,
    pub overdue: i64,
}

/// Open and overdue cases (*tunggakan*) per unit and stage. No personal data.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BacklogView {
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: OffsetDateTime,
    pub open: i64,
    pub overdue: i64,
    pub lines: Vec<BacklogLine>,
    /// The overdue cases, longest overdue first (at most 100).
    pub overdue_cases: Vec<OverdueCase>,
    pub on_time: OnTimeView,
}

/// One overdue case in the backlog: no title, no personal data.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OverdueCase {
    pub ticket: String,
    pub kind: String,
    pub category: String,
    pub unit: Option<String>,
    pub state: String,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub due_at: OffsetDateTime,
    /// Working days since the due time passed.
    pub working_days_overdue: i64,
}

/// The on-time rate of a period (DOMAIN.md): cases closed on time divided by cases closed plus
/// cases still open past a due time at the period's end.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OnTimeView {
    /// First day of the period, local date.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub from: time::Date,
    /// Last day of the period, local date (inclusive).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub to: time::Date,
    pub closed: i64,
    pub closed_on_time: i64,
    pub open_overdue: i64,
    /// Percent, one decimal; absent when there is nothing to count.
    pub rate_percent: Option<f64>,
}

/// Cases received in a month, counted by kind, category, channel and current state.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthlyStats {
    /// `YYYY-MM`, in the agency's time zone.
    pub month: String,
    pub received: i64,
    pub by_kind: std::collections::BTreeMap<String, i64>,
    pub by_category: std::collections::BTreeMap<String, i64>,
    pub by_channel: std::collections::BTreeMap<String, i64>,
    pub by_state: std::collections::BTreeMap<String, i64>,
}

/// A file of a case, without its content.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttachmentView {
    pub id: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub uploaded_by: String,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub uploaded_at: OffsetDateTime,
    /// `evidence` (came with the report, never published) or `answer` (for the answer).
    pub purpose: String,
}

impl From<aduan_store::AttachmentMeta> for AttachmentView {
    fn from(a: aduan_store::AttachmentMeta) -> Self {
        Self {
            id: a.id,
            name: a.name,
            content_type: a.content_type,
            size: a.size,
            uploaded_by: a.uploaded_by,
            uploaded_at: a.uploaded_at,
            purpose: a.purpose,
        }
    }
}

/// An answered public case as the portal publishes it: no reporter, no description, personal
/// numbers and addresses masked in what is shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublishedCase {
    pub ticket: String,
    pub kind: String,
    pub category: String,
    pub title: String,
    pub received_at: OffsetDateTime,
    pub answered_at: OffsetDateTime,
    pub answer: String,
    pub decision: Option<String>,
    pub files: Vec<FileView>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublishedPage {
    pub items: Vec<PublishedCase>,
    pub next_cursor: Option<String>,
}
