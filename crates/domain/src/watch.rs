//! The deadline watch: what Aduan must do by itself about a case, and when it next needs to
//! look. A reminder goes to whoever owes the next step before the due time; once it has passed,
//! the unit head and then leadership are alerted; a reporter's window that lapses closes the
//! case. Each duty is done once per due time (see [`Alerts`](crate::lifecycle::Alerts)).

use crate::calendar::Calendar;
use crate::lifecycle::{Action, Change, Context, Event, Refusal, State, Workflow, decide};
use crate::org::Organisation;
use crate::role::Actor;
use time::{Duration, OffsetDateTime, Time};

/// When the office opens, local time: reminders are raised then, not at midnight.
const OFFICE_OPENS: Time = time::macros::time!(8:00);
/// How long after a due time it counts as passed (due times end at a day's last instant).
const PAST: Duration = Duration::SECOND;

pub const RULE_REMIND: &str = "remind_before_due";
pub const RULE_ESCALATE_HEAD: &str = "escalate_unit_head";
pub const RULE_ESCALATE_LEADERSHIP: &str = "escalate_leadership";
pub const RULE_CLOSE_INFO_LAPSED: &str = "close_info_lapsed";
pub const RULE_CLOSE_NO_REACTION: &str = "close_no_reaction";

/// Who owes the next step of a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// A unit of the agency (the coordinating unit for verification and approval).
    Unit(String),
    /// The reporter: a window that closes the case when it lapses.
    Reporter,
}

pub fn owner(case: &Workflow, org: &Organisation) -> Option<Owner> {
    let coordinator = || Owner::Unit(org.agency.coordinator_unit.clone());
    let lead = || case.lead_unit.clone().map_or_else(coordinator, Owner::Unit);
    match case.state {
        State::Received | State::Verified => Some(coordinator()),
        State::Dispositioned | State::InProgress => Some(lead()),
        State::AwaitingApproval => {
            let head_pending = org.policy.unit_head_approval
                && case
                    .draft
                    .as_ref()
                    .is_some_and(|d| d.unit_approved_by.is_none());
            Some(if head_pending { lead() } else { coordinator() })
        }
        State::WaitingReporter | State::Answered => Some(Owner::Reporter),
        State::Closed | State::Rejected | State::Forwarded | State::Merged => None,
    }
}

/// Something the watch must do now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Duty {
    Remind { unit: String },
    Escalate { unit: String, level: u8 },
    Close(Action),
}

/// The opening of the working day `n` working days before the day of `due`; `None` when
/// reminders are switched off (`n = 0`).
fn reminder_at(due: OffsetDateTime, n: u32, cal: &Calendar) -> Option<OffsetDateTime> {
    if n == 0 {
        return None;
    }
    let mut date = cal.local_date(due);
    let mut left = n;
    while left > 0 {
        date = date.saturating_sub(Duration::DAY);
        if cal.is_working_day(date) {
            left -= 1;
        }
    }
    Some(date.with_time(OFFICE_OPENS).assume_offset(cal.offset()))
}

/// When a due time counts as passed for `after` full working days.
fn escalation_at(due: OffsetDateTime, after: u32, cal: &Calendar) -> OffsetDateTime {
    cal.add_working_days(due, after).max(due) + PAST
}

/// What the watch must do about the case at `now`, if anything.
pub fn duty(
    case: &Workflow,
    now: OffsetDateTime,
    org: &Organisation,
    cal: &Calendar,
) -> Option<Duty> {
    let due = case.due_at?;
    match owner(case, org)? {
        Owner::Reporter => (now >= due + PAST).then_some(Duty::Close(match case.state {
            State::WaitingReporter => Action::CloseInfoLapsed {},
            _ => Action::CloseNoReaction {},
        })),
        Owner::Unit(unit) => {
            let alerts = case.alerts.for_due(due);
            let policy = &org.policy;
            let level = if now >= escalation_at(due, policy.escalate_to_leadership_after, cal) {
                2
            } else if now >= escalation_at(due, policy.escalate_to_head_after, cal) {
                1
            } else {
                0
            };
            if level > alerts.escalation {
                return Some(Duty::Escalate { unit, level });
            }
            let remind = level == 0
                && !alerts.reminded
                && reminder_at(due, policy.remind_before, cal).is_some_and(|at| now >= at);
            remind.then_some(Duty::Remind { unit })
        }
    }
}

/// The next instant at which [`duty`] may have something to do; `None` when nothing is left
/// for the current due time. Stored on the case so that the watch reads only cases that need it.
pub fn next_check(case: &Workflow, org: &Organisation, cal: &Calendar) -> Option<OffsetDateTime> {
    let due = case.due_at?;
    match owner(case, org)? {
        Owner::Reporter => Some(due + PAST),
        Owner::Unit(_) => {
            let alerts = case.alerts.for_due(due);
            let policy = &org.policy;
            let head = escalation_at(due, policy.escalate_to_head_after, cal);
            let leadership = escalation_at(due, policy.escalate_to_leadership_after, cal);
            let reminder = reminder_at(due, policy.remind_before, cal)
                .filter(|at| *at < head && !alerts.reminded && alerts.escalation == 0);
            let head = (alerts.escalation < 1).then_some(head);
            let leadership = (alerts.escalation < 2).then_some(leadership);
            [reminder, head, leadership].into_iter().flatten().min()
        }
    }
}

/// The events of the watch's duty at `ctx.now`, done as `system` with the rule that caused it.
pub fn system_events(case: &Workflow, ctx: &Context<'_>) -> Result<Vec<Event>, Refusal> {
    let Some(duty) = duty(case, ctx.now, ctx.org, ctx.calendar) else {
        return Ok(Vec::new());
    };
    let Some(due) = case.due_at else {
        return Ok(Vec::new());
    };
    let event = |rule: &str, change: Change| Event {
        at: ctx.now,
        actor: "system".into(),
        actor_role: "system".into(),
        rule: Some(rule.into()),
        channel: None,
        change,
        due_at: None,
        final_due_at: None,
    };
    Ok(match duty {
        Duty::Remind { unit } => vec![event(RULE_REMIND, Change::Reminded { unit, due_at: due })],
        Duty::Escalate { unit, level } => {
            let rule = if level >= 2 {
                RULE_ESCALATE_LEADERSHIP
            } else {
                RULE_ESCALATE_HEAD
            };
            vec![event(
                rule,
                Change::Escalated {
                    unit,
                    level,
                    due_at: due,
                },
            )]
        }
        Duty::Close(action) => {
            let rule = match action {
                Action::CloseInfoLapsed {} => RULE_CLOSE_INFO_LAPSED,
                _ => RULE_CLOSE_NO_REACTION,
            };
            let actor = Actor::System { rule: rule.into() };
            decide(case, &action, &actor, ctx)?
        }
    })
}
