//! The case lifecycle of DOMAIN.md as a pure function: `decide(case, action, actor, context)`
//! returns the events that the action causes, or a precise refusal. `apply` folds an event into
//! the case; the stored case row is nothing but the fold of its events.

use crate::calendar::Calendar;
use crate::case::{Channel, Kind};
use crate::code_enum;
use crate::maladministration::Maladministration;
use crate::org::{Organisation, Stage};
use crate::role::{Actor, Role};
use crate::ticket::Ticket;
use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime};

code_enum! {
    pub enum State {
        Received = "received",
        Verified = "verified",
        Dispositioned = "dispositioned",
        InProgress = "in_progress",
        AwaitingApproval = "awaiting_approval",
        Answered = "answered",
        WaitingReporter = "waiting_reporter",
        Closed = "closed",
        Rejected = "rejected",
        Forwarded = "forwarded",
        Merged = "merged",
    }
}

impl State {
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            State::Closed | State::Rejected | State::Forwarded | State::Merged
        )
    }

    /// States in which the agency (not the reporter) owes the next step.
    pub fn agency_owes(self) -> bool {
        matches!(
            self,
            State::Received
                | State::Verified
                | State::Dispositioned
                | State::InProgress
                | State::AwaitingApproval
        )
    }
}

code_enum! {
    pub enum RejectReason {
        Spam = "spam",
        OutOfScope = "out_of_scope",
        Insufficient = "insufficient",
        Duplicate = "duplicate",
    }
}

code_enum! {
    pub enum CloseReason {
        /// The reporter accepted the answer.
        Accepted = "accepted",
        /// The reporter did not react within the window after the answer.
        NoReaction = "no_reaction",
        /// The reporter did not complete the information asked for within the window.
        InfoNotCompleted = "info_not_completed",
    }
}

code_enum! {
    /// Decisions on information requests (UU 14/2008).
    pub enum Decision {
        Granted = "granted",
        PartlyGranted = "partly_granted",
        Refused = "refused",
        NotHeld = "not_held",
    }
}

/// Why a terminal case ended, always recorded with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Rejected {
        reason: RejectReason,
        note: Option<String>,
    },
    Forwarded {
        agency: String,
        reason: String,
    },
    Merged {
        into: Ticket,
    },
    Closed {
        reason: CloseReason,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub text: String,
    pub decision: Option<Decision>,
    pub exemption: Option<String>,
    pub author: String,
    /// The unit head who approved the draft, when one did.
    pub unit_approved_by: Option<String>,
    /// Files of the case (by id) that go out with the answer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub text: String,
    pub decision: Option<Decision>,
    pub exemption: Option<String>,
    pub published_at: OffsetDateTime,
    pub published_by: String,
    /// Files of the case (by id) published with the answer: the reporter and, for public
    /// cases, everyone may download them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<i64>,
}

/// The workflow part of a case: everything the lifecycle needs to decide.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workflow {
    pub kind: Kind,
    pub category: String,
    pub state: State,
    /// Where a case waiting for the reporter returns to.
    pub resume_state: Option<State>,
    pub lead_unit: Option<String>,
    pub supporting_units: Vec<String>,
    pub instruction: Option<String>,
    pub assignee: Option<String>,
    pub draft: Option<Draft>,
    pub answer: Option<Answer>,
    /// Other cases an officer marked as related (both ways), without merging them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Ticket>,
    /// The forms of maladministration a complaint alleges, as the coordinator classified it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub maladministration: Vec<Maladministration>,
    pub rating: Option<u8>,
    pub objections: u32,
    pub extended: bool,
    pub outcome: Option<Outcome>,
    pub received_at: OffsetDateTime,
    /// When whoever owes the next step must have taken it.
    pub due_at: Option<OffsetDateTime>,
    /// The overall limit: settlement for complaints, the decision for information requests.
    pub final_due_at: Option<OffsetDateTime>,
    /// While waiting for the reporter: when the wait began and the agency's due time then.
    pub paused_at: Option<OffsetDateTime>,
    pub paused_due_at: Option<OffsetDateTime>,
    /// Reminders and escalations already raised, and for which due time.
    #[serde(default)]
    pub alerts: Alerts,
    /// The first due time the agency let pass, if any: the case no longer counts as on time.
    #[serde(default)]
    pub breached_at: Option<OffsetDateTime>,
    /// When the case reached its terminal state.
    #[serde(default)]
    pub closed_at: Option<OffsetDateTime>,
}

/// What the deadline watch has already done about the current due time, so that it never
/// reminds or escalates twice for the same deadline.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alerts {
    /// The due time the alerts below were raised for.
    pub due_at: Option<OffsetDateTime>,
    pub reminded: bool,
    /// 0 none, 1 unit head, 2 leadership.
    pub escalation: u8,
}

impl Alerts {
    /// The alerts that apply to `due`: none if they were raised for another due time.
    pub fn for_due(&self, due: OffsetDateTime) -> Alerts {
        if self.due_at == Some(due) {
            self.clone()
        } else {
            Alerts {
                due_at: Some(due),
                ..Alerts::default()
            }
        }
    }
}

impl Workflow {
    /// A case just received: the coordinator owes verification.
    pub fn received(
        kind: Kind,
        category: String,
        at: OffsetDateTime,
        org: &Organisation,
        cal: &Calendar,
    ) -> Self {
        let final_due_at = match kind {
            Kind::InfoRequest => {
                cal.add_working_days(at, org.working_days(kind, Stage::InfoDecision))
            }
            Kind::Complaint | Kind::Aspiration => {
                let day = cal.local_date(at)
                    + Duration::days(i64::from(org.deadlines.settlement_calendar_days));
                cal.end_of_day(day)
            }
        };
        Self {
            kind,
            category,
            state: State::Received,
            resume_state: None,
            lead_unit: None,
            supporting_units: Vec::new(),
            instruction: None,
            assignee: None,
            draft: None,
            answer: None,
            related: Vec::new(),
            maladministration: Vec::new(),
            rating: None,
            objections: 0,
            extended: false,
            outcome: None,
            received_at: at,
            due_at: Some(cal.add_working_days(at, org.working_days(kind, Stage::Verify))),
            final_due_at: Some(final_due_at),
            paused_at: None,
            paused_due_at: None,
            alerts: Alerts::default(),
            breached_at: None,
            closed_at: None,
        }
    }

    /// Whether a finished case finished without ever letting a due time pass.
    pub fn closed_on_time(&self) -> Option<bool> {
        self.closed_at.map(|_| self.breached_at.is_none())
    }

    /// Units whose staff may see this case.
    pub fn involved_units(&self) -> impl Iterator<Item = &String> {
        self.lead_unit.iter().chain(&self.supporting_units)
    }
}

/// What someone asks to do to a case. The JSON form is `{"action": "verify", ...fields}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    Verify {
        #[serde(default)]
        category: Option<String>,
    },
    Reject {
        reason: RejectReason,
        #[serde(default)]
        note: Option<String>,
    },
    Forward {
        agency: String,
        reason: String,
    },
    Merge {
        into: String,
    },
    /// Marks another case as related, on both cases, without merging them.
    Link {
        ticket: String,
    },
    Unlink {
        ticket: String,
    },
    /// Records which forms of maladministration a complaint alleges (an empty list: none).
    Classify {
        maladministration: Vec<Maladministration>,
    },
    Dispose {
        lead_unit: String,
        #[serde(default)]
        supporting_units: Vec<String>,
        instruction: String,
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
        due_date: Option<Date>,
    },
    Accept {},
    Return {
        reason: String,
    },
    Assign {
        officer: String,
    },
    AskInfo {
        question: String,
    },
    AddInfo {
        text: String,
    },
    /// A message from the reporter that came through a channel (a mail reply, a social media
    /// message naming the ticket), recorded by the system or by intake staff. While the case
    /// waits for the reporter it is their information; otherwise it is kept for staff to read.
    Message {
        text: String,
    },
    Note {
        text: String,
    },
    SubmitDraft {
        text: String,
        #[serde(default)]
        decision: Option<Decision>,
        #[serde(default)]
        exemption: Option<String>,
        /// Ids of files already on the case (uploaded by staff) to send with the answer.
        #[serde(default)]
        attachments: Vec<i64>,
    },
    SendBack {
        reason: String,
    },
    Approve {},
    Extend {
        reason: String,
    },
    AcceptAnswer {
        #[serde(default)]
        rating: Option<u8>,
    },
    Object {
        reason: String,
        #[serde(default)]
        rating: Option<u8>,
    },
    /// System: the reporter's window to add information lapsed.
    CloseInfoLapsed {},
    /// System: the reporter's window to react to the answer lapsed.
    CloseNoReaction {},
}

code_enum! {
    /// The action codes, for errors and permission tables.
    pub enum ActionCode {
        Verify = "verify",
        Reject = "reject",
        Forward = "forward",
        Merge = "merge",
        Link = "link",
        Unlink = "unlink",
        Classify = "classify",
        Dispose = "dispose",
        Accept = "accept",
        Return = "return",
        Assign = "assign",
        AskInfo = "ask_info",
        AddInfo = "add_info",
        Message = "message",
        Note = "note",
        SubmitDraft = "submit_draft",
        SendBack = "send_back",
        Approve = "approve",
        Extend = "extend",
        AcceptAnswer = "accept_answer",
        Object = "object",
        CloseInfoLapsed = "close_info_lapsed",
        CloseNoReaction = "close_no_reaction",
    }
}

impl Action {
    pub fn code(&self) -> ActionCode {
        match self {
            Action::Verify { .. } => ActionCode::Verify,
            Action::Reject { .. } => ActionCode::Reject,
            Action::Forward { .. } => ActionCode::Forward,
            Action::Merge { .. } => ActionCode::Merge,
            Action::Link { .. } => ActionCode::Link,
            Action::Unlink { .. } => ActionCode::Unlink,
            Action::Classify { .. } => ActionCode::Classify,
            Action::Dispose { .. } => ActionCode::Dispose,
            Action::Accept {} => ActionCode::Accept,
            Action::Return { .. } => ActionCode::Return,
            Action::Assign { .. } => ActionCode::Assign,
            Action::AskInfo { .. } => ActionCode::AskInfo,
            Action::AddInfo { .. } => ActionCode::AddInfo,
            Action::Message { .. } => ActionCode::Message,
            Action::Note { .. } => ActionCode::Note,
            Action::SubmitDraft { .. } => ActionCode::SubmitDraft,
            Action::SendBack { .. } => ActionCode::SendBack,
            Action::Approve {} => ActionCode::Approve,
            Action::Extend { .. } => ActionCode::Extend,
            Action::AcceptAnswer { .. } => ActionCode::AcceptAnswer,
            Action::Object { .. } => ActionCode::Object,
            Action::CloseInfoLapsed {} => ActionCode::CloseInfoLapsed,
            Action::CloseNoReaction {} => ActionCode::CloseNoReaction,
        }
    }
}

/// What happened. Each variant is one entry of the timeline and the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    Received {
        channel: Channel,
    },
    Verified {
        category: Option<String>,
    },
    Rejected {
        reason: RejectReason,
        note: Option<String>,
    },
    Forwarded {
        agency: String,
        reason: String,
    },
    Merged {
        into: Ticket,
    },
    Linked {
        ticket: Ticket,
    },
    Unlinked {
        ticket: Ticket,
    },
    /// The forms of maladministration the complaint alleges, replacing any set before.
    Classified {
        maladministration: Vec<Maladministration>,
    },
    Dispositioned {
        lead_unit: String,
        supporting_units: Vec<String>,
        instruction: String,
    },
    AcceptedByUnit,
    Returned {
        reason: String,
    },
    Assigned {
        officer: String,
    },
    InfoRequested {
        question: String,
    },
    InfoAdded {
        text: String,
    },
    /// A message from the reporter through a channel, on a case that was not waiting for one.
    MessageReceived {
        text: String,
    },
    NoteAdded {
        text: String,
    },
    DraftSubmitted {
        text: String,
        decision: Option<Decision>,
        exemption: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<i64>,
    },
    SentBack {
        reason: String,
    },
    ApprovedByUnitHead,
    AnswerPublished {
        text: String,
        decision: Option<Decision>,
        exemption: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<i64>,
    },
    Extended {
        reason: String,
    },
    Rated {
        rating: u8,
    },
    AnswerAccepted,
    Objected {
        reason: String,
    },
    Closed {
        reason: CloseReason,
    },
    /// The unit that owes the next step was reminded that its due time is near.
    Reminded {
        unit: String,
        due_at: OffsetDateTime,
    },
    /// A due time passed: the unit head (level 1) or leadership (level 2) was alerted.
    Escalated {
        unit: String,
        level: u8,
        due_at: OffsetDateTime,
    },
}

impl Change {
    /// Whether the reporter and the public timeline may see this event.
    pub fn is_public(&self) -> bool {
        !matches!(
            self,
            Change::NoteAdded { .. }
                | Change::MessageReceived { .. }
                | Change::Linked { .. }
                | Change::Unlinked { .. }
                | Change::Classified { .. }
                | Change::DraftSubmitted { .. }
                | Change::SentBack { .. }
                | Change::ApprovedByUnitHead
                | Change::Returned { .. }
                | Change::Assigned { .. }
                | Change::Reminded { .. }
                | Change::Escalated { .. }
        )
    }

    pub fn code(&self) -> &'static str {
        match self {
            Change::Received { .. } => "received",
            Change::Verified { .. } => "verified",
            Change::Rejected { .. } => "rejected",
            Change::Forwarded { .. } => "forwarded",
            Change::Merged { .. } => "merged",
            Change::Linked { .. } => "linked",
            Change::Unlinked { .. } => "unlinked",
            Change::Classified { .. } => "classified",
            Change::Dispositioned { .. } => "dispositioned",
            Change::AcceptedByUnit => "accepted_by_unit",
            Change::Returned { .. } => "returned",
            Change::Assigned { .. } => "assigned",
            Change::InfoRequested { .. } => "info_requested",
            Change::InfoAdded { .. } => "info_added",
            Change::MessageReceived { .. } => "message_received",
            Change::NoteAdded { .. } => "note_added",
            Change::DraftSubmitted { .. } => "draft_submitted",
            Change::SentBack { .. } => "sent_back",
            Change::ApprovedByUnitHead => "approved_by_unit_head",
            Change::AnswerPublished { .. } => "answer_published",
            Change::Extended { .. } => "extended",
            Change::Rated { .. } => "rated",
            Change::AnswerAccepted => "answer_accepted",
            Change::Objected { .. } => "objected",
            Change::Closed { .. } => "closed",
            Change::Reminded { .. } => "reminded",
            Change::Escalated { .. } => "escalated",
        }
    }
}

/// One event: the change, who made it, when, through which channel, and the due times after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub at: OffsetDateTime,
    pub actor: String,
    pub actor_role: String,
    /// For automatic actions: the rule that caused it.
    pub rule: Option<String>,
    pub channel: Option<Channel>,
    pub change: Change,
    /// The due time after this event; `None` leaves it as it was.
    pub due_at: Option<OffsetDateTime>,
    pub final_due_at: Option<OffsetDateTime>,
}

/// Why an action was refused. Each variant maps to one error code of the API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("role `{role}` may not `{action}`")]
    RoleMayNot { role: String, action: ActionCode },
    #[error("the case is not assigned to your unit")]
    NotYourUnit,
    #[error("`{action}` is not possible while the case is `{state}`")]
    WrongState { state: State, action: ActionCode },
    #[error("field `{0}` is required")]
    Missing(&'static str),
    #[error("field `{field}` is too long (at most {max} characters)")]
    TooLong { field: &'static str, max: usize },
    #[error("field `{field}` is not valid ({problem})")]
    Invalid {
        field: &'static str,
        problem: &'static str,
    },
    #[error("unknown unit `{0}`")]
    UnknownUnit(String),
    #[error("unknown category `{0}`")]
    UnknownCategory(String),
    #[error("restricted category: only its own unit may handle it")]
    Restricted,
    #[error("the reporter has already objected the maximum number of times")]
    ObjectionLimit,
    #[error("the one extension has already been used")]
    ExtensionUsed,
    #[error("only information requests can do this")]
    NotInfoRequest,
    #[error("only complaints allege maladministration")]
    NotComplaint,
    #[error("an information request answer needs a decision")]
    DecisionRequired,
    #[error("a refusal needs the exemption ground")]
    ExemptionRequired,
    #[error("the unit head must approve the draft first")]
    UnitHeadApprovalRequired,
    #[error("the unit head has already approved this draft")]
    AlreadyApproved,
    #[error("the window has not lapsed yet")]
    WindowOpen,
    #[error("a case cannot be merged into itself")]
    MergeIntoSelf,
    #[error("a case cannot be linked to itself")]
    LinkToSelf,
    #[error("the cases are already linked")]
    AlreadyLinked,
    #[error("the cases are not linked")]
    NotLinked,
}

/// Everything besides the case that a decision depends on.
pub struct Context<'a> {
    pub now: OffsetDateTime,
    pub org: &'a Organisation,
    pub calendar: &'a Calendar,
    pub ticket: &'a Ticket,
    pub channel: Option<Channel>,
}

pub const MAX_SHORT_TEXT: usize = 2_000;
pub const MAX_LONG_TEXT: usize = 20_000;
const MAX_AGENCY: usize = 300;
/// Most files one answer carries.
pub const MAX_ANSWER_FILES: usize = 10;
/// Most cases one case is linked to.
pub const MAX_RELATED: usize = 50;
/// The furthest a coordinator may set a unit's due date, in calendar days.
pub const MAX_DUE_DAYS: i64 = 366;

/// Decides what an action does to a case. Checks, in order: the actor's role, the actor's unit,
/// the case's state, then the action's fields.
pub fn decide(
    case: &Workflow,
    action: &Action,
    actor: &Actor,
    ctx: &Context<'_>,
) -> Result<Vec<Event>, Refusal> {
    let code = action.code();
    authorise(case, code, actor, ctx)?;
    check_state(case, code)?;
    let cal = ctx.calendar;
    let days = |stage: Stage| ctx.org.working_days(case.kind, stage);
    let now = ctx.now;
    let make = |change: Change, due_at: Option<OffsetDateTime>| Event {
        at: now,
        actor: actor.label(),
        actor_role: actor.role_code().to_string(),
        rule: match actor {
            Actor::System { rule } => Some(rule.clone()),
            _ => None,
        },
        channel: ctx.channel,
        change,
        due_at,
        final_due_at: None,
    };
    let events = match action {
        Action::Verify { category } => {
            let category = match category.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(code) if code == case.category => None,
                Some(code) => {
                    ctx.org
                        .category(code)
                        .ok_or_else(|| Refusal::UnknownCategory(code.to_string()))?;
                    Some(code.to_string())
                }
            };
            // The coordinator now owes the disposition, within the same stage allowance.
            vec![make(
                Change::Verified { category },
                Some(cal.add_working_days(now, days(Stage::Verify))),
            )]
        }
        Action::Reject { reason, note } => {
            let note = optional_text(note.as_deref(), "note", MAX_SHORT_TEXT)?;
            vec![make(
                Change::Rejected {
                    reason: *reason,
                    note,
                },
                None,
            )]
        }
        Action::Forward { agency, reason } => {
            let agency = required_text(agency, "agency", MAX_AGENCY)?;
            let reason = required_text(reason, "reason", MAX_SHORT_TEXT)?;
            vec![make(Change::Forwarded { agency, reason }, None)]
        }
        Action::Merge { into } => {
            let into = Ticket::parse(into).map_err(|_| Refusal::Invalid {
                field: "into",
                problem: "invalid",
            })?;
            if &into == ctx.ticket {
                return Err(Refusal::MergeIntoSelf);
            }
            vec![make(Change::Merged { into }, None)]
        }
        Action::Link { ticket } => {
            let ticket = other_ticket(ticket, ctx)?;
            if case.related.contains(&ticket) {
                return Err(Refusal::AlreadyLinked);
            }
            if case.related.len() >= MAX_RELATED {
                return Err(Refusal::Invalid {
                    field: "ticket",
                    problem: "too_many_links",
                });
            }
            vec![make(Change::Linked { ticket }, None)]
        }
        Action::Unlink { ticket } => {
            let ticket = other_ticket(ticket, ctx)?;
            if !case.related.contains(&ticket) {
                return Err(Refusal::NotLinked);
            }
            vec![make(Change::Unlinked { ticket }, None)]
        }
        Action::Classify { maladministration } => {
            if case.kind != Kind::Complaint {
                return Err(Refusal::NotComplaint);
            }
            let maladministration = Maladministration::normalise(maladministration);
            if maladministration == case.maladministration {
                return Err(Refusal::Invalid {
                    field: "maladministration",
                    problem: "unchanged",
                });
            }
            vec![make(Change::Classified { maladministration }, None)]
        }
        Action::Dispose {
            lead_unit,
            supporting_units,
            instruction,
            due_date,
        } => {
            let lead = lead_unit.trim().to_string();
            ctx.org
                .unit(&lead)
                .ok_or_else(|| Refusal::UnknownUnit(lead.clone()))?;
            let mut supporting: Vec<String> = Vec::new();
            for unit in supporting_units {
                let unit = unit.trim().to_string();
                ctx.org
                    .unit(&unit)
                    .ok_or_else(|| Refusal::UnknownUnit(unit.clone()))?;
                if unit != lead && !supporting.contains(&unit) {
                    supporting.push(unit);
                }
            }
            let category = ctx.org.category(&case.category);
            if let Some(category) = category.filter(|c| c.restricted) {
                let allowed = ctx.org.subtree(&category.lead_unit);
                if !allowed.contains(&lead) || !supporting.iter().all(|u| allowed.contains(u)) {
                    return Err(Refusal::Restricted);
                }
            }
            let instruction = required_text(instruction, "instruction", MAX_SHORT_TEXT)?;
            let due = match due_date {
                Some(date) => {
                    let today = cal.local_date(now);
                    if *date < today {
                        return Err(Refusal::Invalid {
                            field: "due_date",
                            problem: "in_the_past",
                        });
                    }
                    // A due date years away would hide a case from every overdue list.
                    if *date > today + Duration::days(MAX_DUE_DAYS) {
                        return Err(Refusal::Invalid {
                            field: "due_date",
                            problem: "out_of_range",
                        });
                    }
                    cal.end_of_day(*date)
                }
                None => cal.add_working_days(now, days(Stage::Answer)),
            };
            vec![make(
                Change::Dispositioned {
                    lead_unit: lead,
                    supporting_units: supporting,
                    instruction,
                },
                Some(due),
            )]
        }
        Action::Accept {} => vec![make(Change::AcceptedByUnit, None)],
        Action::Return { reason } => {
            let reason = required_text(reason, "reason", MAX_SHORT_TEXT)?;
            vec![make(
                Change::Returned { reason },
                Some(cal.add_working_days(now, days(Stage::Verify))),
            )]
        }
        Action::Assign { officer } => {
            let officer = required_text(officer, "officer", 100)?;
            vec![make(Change::Assigned { officer }, None)]
        }
        Action::AskInfo { question } => {
            let question = required_text(question, "question", MAX_SHORT_TEXT)?;
            vec![make(
                Change::InfoRequested { question },
                Some(cal.add_working_days(now, days(Stage::ReporterInfo))),
            )]
        }
        Action::Message { text } if case.state != State::WaitingReporter => {
            let text = required_text(text, "text", MAX_LONG_TEXT)?;
            vec![make(Change::MessageReceived { text }, None)]
        }
        Action::AddInfo { text } | Action::Message { text } => {
            let text = required_text(text, "text", MAX_LONG_TEXT)?;
            // The clock stood still while waiting: push the agency's due times by the pause.
            let paused = case
                .paused_at
                .map_or(0, |p| cal.working_days_between(p, now).max(0));
            let shift = |t: Option<OffsetDateTime>| {
                t.map(|t| cal.add_working_days(t, u32::try_from(paused).unwrap_or(0)))
            };
            let mut event = make(Change::InfoAdded { text }, shift(case.paused_due_at));
            event.final_due_at = shift(case.final_due_at);
            vec![event]
        }
        Action::Note { text } => {
            let text = required_text(text, "text", MAX_LONG_TEXT)?;
            vec![make(Change::NoteAdded { text }, None)]
        }
        Action::SubmitDraft {
            text,
            decision,
            exemption,
            attachments,
        } => {
            let text = required_text(text, "text", MAX_LONG_TEXT)?;
            let attachments = answer_files(attachments)?;
            let exemption = optional_text(exemption.as_deref(), "exemption", MAX_SHORT_TEXT)?;
            match (case.kind, decision) {
                (Kind::InfoRequest, None) => return Err(Refusal::DecisionRequired),
                (Kind::InfoRequest, Some(Decision::Refused | Decision::PartlyGranted))
                    if exemption.is_none() =>
                {
                    return Err(Refusal::ExemptionRequired);
                }
                (Kind::Complaint | Kind::Aspiration, Some(_)) => {
                    return Err(Refusal::NotInfoRequest);
                }
                _ => {}
            }
            // Whoever approves next (unit head or coordinator) owes it within the approval stage.
            vec![make(
                Change::DraftSubmitted {
                    text,
                    decision: *decision,
                    exemption,
                    attachments,
                },
                Some(cal.add_working_days(now, days(Stage::Approval))),
            )]
        }
        Action::SendBack { reason } => {
            let reason = required_text(reason, "reason", MAX_SHORT_TEXT)?;
            vec![make(
                Change::SentBack { reason },
                Some(cal.add_working_days(now, days(Stage::Answer))),
            )]
        }
        Action::Approve {} => approve(case, actor, ctx, &make)?,
        Action::Extend { reason } => {
            if case.kind != Kind::InfoRequest {
                return Err(Refusal::NotInfoRequest);
            }
            if case.extended {
                return Err(Refusal::ExtensionUsed);
            }
            let reason = required_text(reason, "reason", MAX_SHORT_TEXT)?;
            let new_final = case
                .final_due_at
                .map(|t| cal.add_working_days(t, days(Stage::InfoExtension)));
            let mut event = make(Change::Extended { reason }, new_final.max(case.due_at));
            event.final_due_at = new_final;
            vec![event]
        }
        Action::AcceptAnswer { rating } => {
            let mut events = rating_event(*rating, &make)?;
            events.push(make(Change::AnswerAccepted, None));
            events.push(make(
                Change::Closed {
                    reason: CloseReason::Accepted,
                },
                None,
            ));
            events
        }
        Action::Object { reason, rating } => {
            if case.objections >= ctx.org.policy.max_objections {
                return Err(Refusal::ObjectionLimit);
            }
            let reason = required_text(reason, "reason", MAX_SHORT_TEXT)?;
            let mut events = rating_event(*rating, &make)?;
            events.push(make(
                Change::Objected { reason },
                Some(cal.add_working_days(now, days(Stage::Answer))),
            ));
            events
        }
        Action::CloseInfoLapsed {} => {
            lapsed(case, now)?;
            vec![make(
                Change::Closed {
                    reason: CloseReason::InfoNotCompleted,
                },
                None,
            )]
        }
        Action::CloseNoReaction {} => {
            lapsed(case, now)?;
            vec![make(
                Change::Closed {
                    reason: CloseReason::NoReaction,
                },
                None,
            )]
        }
    };
    Ok(events)
}

fn approve(
    case: &Workflow,
    actor: &Actor,
    ctx: &Context<'_>,
    make: &dyn Fn(Change, Option<OffsetDateTime>) -> Event,
) -> Result<Vec<Event>, Refusal> {
    let Some(draft) = &case.draft else {
        return Err(Refusal::WrongState {
            state: case.state,
            action: ActionCode::Approve,
        });
    };
    let is_unit_head = matches!(
        actor,
        Actor::Staff {
            role: Role::UnitHead,
            ..
        }
    );
    if is_unit_head {
        if draft.unit_approved_by.is_some() {
            return Err(Refusal::AlreadyApproved);
        }
        let due = ctx
            .calendar
            .add_working_days(ctx.now, ctx.org.working_days(case.kind, Stage::Approval));
        return Ok(vec![make(Change::ApprovedByUnitHead, Some(due))]);
    }
    if ctx.org.policy.unit_head_approval && draft.unit_approved_by.is_none() {
        return Err(Refusal::UnitHeadApprovalRequired);
    }
    let due = ctx.calendar.add_working_days(
        ctx.now,
        ctx.org.working_days(case.kind, Stage::ReporterReaction),
    );
    Ok(vec![make(
        Change::AnswerPublished {
            text: draft.text.clone(),
            decision: draft.decision,
            exemption: draft.exemption.clone(),
            attachments: draft.attachments.clone(),
        },
        Some(due),
    )])
}

/// The other case of a link: a valid ticket that is not this case's own.
fn other_ticket(text: &str, ctx: &Context<'_>) -> Result<Ticket, Refusal> {
    let ticket = Ticket::parse(text.trim()).map_err(|_| Refusal::Invalid {
        field: "ticket",
        problem: "invalid",
    })?;
    if &ticket == ctx.ticket {
        return Err(Refusal::LinkToSelf);
    }
    Ok(ticket)
}

/// The files of an answer: positive ids, each once, at most [`MAX_ANSWER_FILES`].
fn answer_files(ids: &[i64]) -> Result<Vec<i64>, Refusal> {
    let mut files: Vec<i64> = Vec::new();
    for id in ids {
        if *id <= 0 {
            return Err(Refusal::Invalid {
                field: "attachments",
                problem: "invalid",
            });
        }
        if !files.contains(id) {
            files.push(*id);
        }
    }
    if files.len() > MAX_ANSWER_FILES {
        return Err(Refusal::Invalid {
            field: "attachments",
            problem: "too_many_answer_files",
        });
    }
    Ok(files)
}

fn rating_event(
    rating: Option<u8>,
    make: &dyn Fn(Change, Option<OffsetDateTime>) -> Event,
) -> Result<Vec<Event>, Refusal> {
    match rating {
        None => Ok(Vec::new()),
        Some(r @ 1..=5) => Ok(vec![make(Change::Rated { rating: r }, None)]),
        Some(_) => Err(Refusal::Invalid {
            field: "rating",
            problem: "out_of_range",
        }),
    }
}

fn lapsed(case: &Workflow, now: OffsetDateTime) -> Result<(), Refusal> {
    match case.due_at {
        Some(due) if now > due => Ok(()),
        _ => Err(Refusal::WindowOpen),
    }
}

fn required_text(value: &str, field: &'static str, max: usize) -> Result<String, Refusal> {
    optional_text(Some(value), field, max)?.ok_or(Refusal::Missing(field))
}

fn optional_text(
    value: Option<&str>,
    field: &'static str,
    max: usize,
) -> Result<Option<String>, Refusal> {
    let Some(text) = value.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > max {
        return Err(Refusal::TooLong { field, max });
    }
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(Refusal::Invalid {
            field,
            problem: "control_characters",
        });
    }
    Ok(Some(text.to_string()))
}

/// Whether `actor` may take `action` on the case as it stands (role, unit and state), before
/// any of the action's fields are looked at: what a staff page offers.
pub fn allowed(case: &Workflow, action: ActionCode, actor: &Actor, ctx: &Context<'_>) -> bool {
    authorise(case, action, actor, ctx).is_ok() && check_state(case, action).is_ok()
}

/// Who may do what: the permission table of DOMAIN.md.
fn authorise(
    case: &Workflow,
    action: ActionCode,
    actor: &Actor,
    ctx: &Context<'_>,
) -> Result<(), Refusal> {
    use ActionCode as A;
    let refuse = || Refusal::RoleMayNot {
        role: actor.role_code().to_string(),
        action,
    };
    match actor {
        Actor::Reporter => match action {
            A::AddInfo | A::AcceptAnswer | A::Object => Ok(()),
            _ => Err(refuse()),
        },
        Actor::System { .. } => match action {
            A::CloseInfoLapsed | A::CloseNoReaction | A::Message => Ok(()),
            _ => Err(refuse()),
        },
        Actor::Staff { role, units, .. } => {
            let leads = case.lead_unit.as_ref().is_some_and(|u| units.contains(u));
            let involved = case.involved_units().any(|u| units.contains(u));
            let unit_work = |may: bool| {
                if !may {
                    Err(refuse())
                } else if leads {
                    Ok(())
                } else {
                    Err(Refusal::NotYourUnit)
                }
            };
            match role {
                Role::Coordinator => match action {
                    A::Verify
                    | A::Reject
                    | A::Forward
                    | A::Merge
                    | A::Link
                    | A::Unlink
                    | A::Classify
                    | A::Dispose
                    | A::AskInfo
                    | A::Note
                    | A::SendBack
                    | A::Approve
                    | A::Message
                    | A::Extend => Ok(()),
                    // The coordinating unit also answers the cases it leads itself.
                    A::Accept | A::Return | A::SubmitDraft => {
                        let own = ctx.org.subtree(&ctx.org.agency.coordinator_unit);
                        if case.lead_unit.as_ref().is_some_and(|u| own.contains(u)) {
                            Ok(())
                        } else {
                            Err(Refusal::NotYourUnit)
                        }
                    }
                    _ => Err(refuse()),
                },
                Role::UnitOfficer => match action {
                    A::Accept | A::Return | A::SubmitDraft | A::AskInfo => unit_work(true),
                    A::Note | A::Link | A::Unlink => {
                        if involved {
                            Ok(())
                        } else {
                            Err(Refusal::NotYourUnit)
                        }
                    }
                    _ => Err(refuse()),
                },
                Role::UnitHead => match action {
                    A::Accept
                    | A::Return
                    | A::SubmitDraft
                    | A::AskInfo
                    | A::Approve
                    | A::SendBack
                    | A::Assign => unit_work(true),
                    A::Note | A::Link | A::Unlink => {
                        if involved {
                            Ok(())
                        } else {
                            Err(Refusal::NotYourUnit)
                        }
                    }
                    _ => Err(refuse()),
                },
                Role::Intake => match action {
                    A::Message => Ok(()),
                    _ => Err(refuse()),
                },
                Role::Leadership | Role::Auditor | Role::Monitor | Role::Admin => Err(refuse()),
            }
        }
    }
}

/// The states in which each action is possible.
fn check_state(case: &Workflow, action: ActionCode) -> Result<(), Refusal> {
    use ActionCode as A;
    use State as S;
    let state = case.state;
    let ok = match action {
        A::Verify => state == S::Received,
        A::Reject | A::Forward | A::Merge => matches!(state, S::Received | S::Verified),
        A::Dispose => state == S::Verified,
        A::Accept => state == S::Dispositioned,
        A::Return => matches!(state, S::Dispositioned | S::InProgress),
        A::Assign => matches!(
            state,
            S::Dispositioned | S::InProgress | S::AwaitingApproval
        ),
        A::AskInfo => matches!(
            state,
            S::Received | S::Verified | S::Dispositioned | S::InProgress
        ),
        A::AddInfo | A::CloseInfoLapsed => state == S::WaitingReporter,
        A::Note | A::Link | A::Unlink | A::Message => true,
        // A finished complaint may still be classified for the reports, but not a merged one:
        // it is counted in the case it joined.
        A::Classify => state != S::Merged,
        A::SubmitDraft => state == S::InProgress,
        A::SendBack | A::Approve => state == S::AwaitingApproval,
        A::Extend => state.agency_owes(),
        A::AcceptAnswer | A::Object | A::CloseNoReaction => state == S::Answered,
    };
    if ok {
        Ok(())
    } else {
        Err(Refusal::WrongState { state, action })
    }
}

/// Folds one event into the case.
pub fn apply(case: &mut Workflow, event: &Event) {
    use State as S;
    // Whatever happens after a due time the agency owed shows that it was missed.
    if case.state.agency_owes()
        && case.breached_at.is_none()
        && case.due_at.is_some_and(|due| event.at > due)
    {
        case.breached_at = case.due_at;
    }
    match &event.change {
        Change::Received { .. } => case.state = S::Received,
        Change::Verified { category } => {
            if let Some(category) = category {
                case.category = category.clone();
            }
            case.state = S::Verified;
        }
        Change::Rejected { reason, note } => {
            case.outcome = Some(Outcome::Rejected {
                reason: *reason,
                note: note.clone(),
            });
            case.state = S::Rejected;
        }
        Change::Forwarded { agency, reason } => {
            case.outcome = Some(Outcome::Forwarded {
                agency: agency.clone(),
                reason: reason.clone(),
            });
            case.state = S::Forwarded;
        }
        Change::Merged { into } => {
            case.outcome = Some(Outcome::Merged { into: into.clone() });
            case.state = S::Merged;
        }
        Change::Dispositioned {
            lead_unit,
            supporting_units,
            instruction,
        } => {
            case.lead_unit = Some(lead_unit.clone());
            case.supporting_units = supporting_units.clone();
            case.instruction = Some(instruction.clone());
            case.state = S::Dispositioned;
        }
        Change::AcceptedByUnit => case.state = S::InProgress,
        Change::Returned { .. } => {
            case.lead_unit = None;
            case.supporting_units.clear();
            case.instruction = None;
            case.assignee = None;
            case.draft = None;
            case.state = S::Verified;
        }
        Change::Assigned { officer } => case.assignee = Some(officer.clone()),
        Change::InfoRequested { .. } => {
            case.resume_state = Some(case.state);
            case.paused_at = Some(event.at);
            case.paused_due_at = case.due_at;
            case.state = S::WaitingReporter;
        }
        Change::InfoAdded { .. } => {
            case.state = case.resume_state.take().unwrap_or(S::Received);
            case.paused_at = None;
            case.paused_due_at = None;
        }
        Change::Linked { ticket } => {
            if !case.related.contains(ticket) {
                case.related.push(ticket.clone());
            }
        }
        Change::Unlinked { ticket } => case.related.retain(|t| t != ticket),
        Change::Classified { maladministration } => {
            case.maladministration = maladministration.clone();
        }
        Change::NoteAdded { .. }
        | Change::MessageReceived { .. }
        | Change::Rated { .. }
        | Change::AnswerAccepted
        | Change::Extended { .. } => {}
        Change::DraftSubmitted {
            text,
            decision,
            exemption,
            attachments,
        } => {
            let approved = matches!(event.actor_role.as_str(), "unit_head" | "coordinator");
            case.draft = Some(Draft {
                text: text.clone(),
                decision: *decision,
                exemption: exemption.clone(),
                author: event.actor.clone(),
                unit_approved_by: approved.then(|| event.actor.clone()),
                attachments: attachments.clone(),
            });
            case.state = S::AwaitingApproval;
        }
        Change::SentBack { .. } => {
            if let Some(draft) = &mut case.draft {
                draft.unit_approved_by = None;
            }
            case.state = S::InProgress;
        }
        Change::ApprovedByUnitHead => {
            if let Some(draft) = &mut case.draft {
                draft.unit_approved_by = Some(event.actor.clone());
            }
        }
        Change::AnswerPublished {
            text,
            decision,
            exemption,
            attachments,
        } => {
            case.answer = Some(Answer {
                text: text.clone(),
                decision: *decision,
                exemption: exemption.clone(),
                published_at: event.at,
                published_by: event.actor.clone(),
                attachments: attachments.clone(),
            });
            case.draft = None;
            case.state = S::Answered;
        }
        Change::Objected { .. } => {
            case.objections += 1;
            case.state = S::InProgress;
        }
        Change::Closed { reason } => {
            case.outcome = Some(Outcome::Closed { reason: *reason });
            case.state = S::Closed;
        }
        Change::Reminded { due_at, .. } => {
            let mut alerts = case.alerts.for_due(*due_at);
            alerts.reminded = true;
            case.alerts = alerts;
        }
        Change::Escalated { level, due_at, .. } => {
            let mut alerts = case.alerts.for_due(*due_at);
            alerts.reminded = true;
            alerts.escalation = alerts.escalation.max(*level);
            case.alerts = alerts;
            case.breached_at.get_or_insert(*due_at);
        }
    }
    if let Change::Rated { rating } = &event.change {
        case.rating = Some(*rating);
    }
    if let Change::Extended { .. } = &event.change {
        case.extended = true;
    }
    if let Some(due) = event.due_at {
        case.due_at = Some(due);
    }
    if let Some(due) = event.final_due_at {
        case.final_due_at = Some(due);
    }
    if case.state.is_terminal() {
        case.due_at = None;
        case.resume_state = None;
        case.closed_at.get_or_insert(event.at);
    }
}

code_enum! {
    /// How a case stands against its due time.
    pub enum Timeliness {
        OnTime = "on_time",
        AtRisk = "at_risk",
        Overdue = "overdue",
    }
}

/// On time, at risk (at most one working day left) or overdue.
pub fn timeliness(case: &Workflow, now: OffsetDateTime, cal: &Calendar) -> Option<Timeliness> {
    let due = case.due_at?;
    if now > due {
        Some(Timeliness::Overdue)
    } else if cal.working_days_between(now, due) <= 1 {
        Some(Timeliness::AtRisk)
    } else {
        Some(Timeliness::OnTime)
    }
}
