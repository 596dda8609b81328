//! The deadline watch and stage deadlines against the real 2026 calendar: reminders before a
//! due time, escalation to the unit head and to leadership after it, each once; lapsed
//! reporter windows closing the case; the paused clock; per-kind deadlines; notices.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use aduan_domain::lifecycle::{Context, Workflow, apply};
use aduan_domain::notify::{Audience, notices};
use aduan_domain::org::{DeadlineOverride, Stage};
use aduan_domain::watch::{Duty, duty, next_check, system_events};
use aduan_domain::{Action, Change, Kind, Role, State};
use common::*;
use time::macros::{date, datetime};
use time::{Date, Duration, OffsetDateTime};

fn end_of(date: Date) -> OffsetDateTime {
    calendar().end_of_day(date)
}

/// Runs the watch at `now` and applies what it does.
fn watch(h: &Harness, case: &Workflow, now: OffsetDateTime) -> (Workflow, Vec<Change>) {
    let ctx = Context {
        now,
        org: &h.org,
        calendar: &h.cal,
        ticket: &h.ticket,
        channel: None,
    };
    let events = system_events(case, &ctx).unwrap();
    let mut after = case.clone();
    for event in &events {
        assert_eq!(event.actor, "system");
        assert!(
            event.rule.is_some(),
            "every automatic action names its rule"
        );
        apply(&mut after, event);
    }
    (after, events.into_iter().map(|e| e.change).collect())
}

#[test]
fn a_case_received_before_idulfitri_2026_is_due_after_the_leave() {
    let h = Harness::new();
    // Tuesday 17 March 2026; 18-24 March are Nyepi, Idulfitri and cuti bersama.
    let at = datetime!(2026-03-17 16:30 +7);
    let case = Workflow::received(Kind::Complaint, "rusun".into(), at, &h.org, &h.cal);
    assert_eq!(case.due_at, Some(end_of(date!(2026 - 03 - 27))));
    // Complaints must be settled within 60 calendar days.
    assert_eq!(case.final_due_at, Some(end_of(date!(2026 - 05 - 16))));
    // An information request: 10 working days, past the leave and Good Friday (3 April).
    let info = Workflow::received(Kind::InfoRequest, "rusun".into(), at, &h.org, &h.cal);
    assert_eq!(info.final_due_at, Some(end_of(date!(2026 - 04 - 08))));
    // A case received on the holiday itself counts from the next working day.
    let on_holiday = datetime!(2026-03-21 10:00 +7);
    let case = Workflow::received(Kind::Complaint, "rusun".into(), on_holiday, &h.org, &h.cal);
    assert_eq!(case.due_at, Some(end_of(date!(2026 - 03 - 27))));
}

#[test]
fn reminder_then_unit_head_then_leadership_each_once() {
    let h = Harness::new();
    let at = datetime!(2026-03-17 09:00 +7);
    let case = Workflow::received(Kind::Complaint, "rusun".into(), at, &h.org, &h.cal);
    let due = case.due_at.unwrap();
    // The reminder comes at 08:00 on the working day before the due day.
    let reminder = datetime!(2026-03-26 08:00 +7);
    assert_eq!(next_check(&case, &h.org, &h.cal), Some(reminder));
    assert_eq!(
        duty(&case, reminder - Duration::minutes(1), &h.org, &h.cal),
        None
    );
    let (case, changes) = watch(&h, &case, reminder);
    assert!(
        matches!(&changes[..], [Change::Reminded { unit, due_at }] if unit == "hukmas" && *due_at == due)
    );
    assert!(
        watch(&h, &case, reminder + Duration::hours(3)).1.is_empty(),
        "once"
    );
    // Just after the due time: the unit head.
    let head_at = next_check(&case, &h.org, &h.cal).unwrap();
    assert!(head_at > due && head_at - due <= Duration::SECOND);
    assert!(
        watch(&h, &case, due).1.is_empty(),
        "not overdue at the due time itself"
    );
    let (case, changes) = watch(&h, &case, head_at);
    assert!(matches!(&changes[..], [Change::Escalated { level: 1, .. }]));
    assert_eq!(case.breached_at, Some(due));
    // Leadership after three full working days overdue: 30 March - 1 April.
    let leadership_at = next_check(&case, &h.org, &h.cal).unwrap();
    assert_eq!(
        leadership_at,
        end_of(date!(2026 - 04 - 01)) + Duration::SECOND
    );
    let (case, changes) = watch(&h, &case, leadership_at);
    assert!(matches!(&changes[..], [Change::Escalated { level: 2, .. }]));
    assert_eq!(
        next_check(&case, &h.org, &h.cal),
        None,
        "nothing more for this due time"
    );
    assert!(
        watch(&h, &case, leadership_at + Duration::days(30))
            .1
            .is_empty()
    );
    // A new stage starts a new round.
    let case = h.act(&case, Action::Verify { category: None }, &coordinator());
    assert!(next_check(&case, &h.org, &h.cal).is_some());
    assert_eq!(case.alerts.escalation, 2, "kept for the old due time only");
    assert_eq!(case.alerts.for_due(case.due_at.unwrap()).escalation, 0);
}

#[test]
fn a_watch_that_was_down_escalates_without_reminding_late() {
    let h = Harness::new();
    let case = h.received(Kind::Complaint);
    let long_after = case.due_at.unwrap() + Duration::days(10);
    let (case, changes) = watch(&h, &case, long_after);
    assert!(matches!(&changes[..], [Change::Escalated { level: 2, .. }]));
    assert_eq!(case.alerts.escalation, 2);
    assert_eq!(next_check(&case, &h.org, &h.cal), None);
}

#[test]
fn the_unit_that_owes_the_step_is_the_one_reminded() {
    let h = Harness::new();
    let c = coordinator();
    let officer = staff(Role::UnitOfficer, "rusun");
    let case = h.act(
        &h.received(Kind::Complaint),
        Action::Verify { category: None },
        &c,
    );
    let case = h.act(
        &case,
        Action::Dispose {
            lead_unit: "rusun".into(),
            supporting_units: vec![],
            instruction: "periksa".into(),
            due_date: None,
        },
        &c,
    );
    let case = h.act(&case, Action::Accept {}, &officer);
    let remind = next_check(&case, &h.org, &h.cal).unwrap();
    assert_eq!(
        duty(&case, remind, &h.org, &h.cal),
        Some(Duty::Remind {
            unit: "rusun".into()
        })
    );
    // A draft waiting for the unit head is the unit's; after its approval, the coordinator's.
    let draft = h.act(
        &case,
        Action::SubmitDraft {
            text: "jawaban".into(),
            decision: None,
            exemption: None,
            attachments: Vec::new(),
        },
        &officer,
    );
    assert_eq!(draft.state, State::AwaitingApproval);
    let due = draft.due_at.unwrap();
    assert_eq!(due, h.cal.add_working_days(START, h.org.deadlines.approval));
    assert!(
        matches!(duty(&draft, due + Duration::hours(1), &h.org, &h.cal), Some(Duty::Escalate { unit, level: 1 }) if unit == "rusun")
    );
    let approved = h.act(&draft, Action::Approve {}, &staff(Role::UnitHead, "rusun"));
    assert!(
        matches!(duty(&approved, approved.due_at.unwrap() + Duration::hours(1), &h.org, &h.cal), Some(Duty::Escalate { unit, .. }) if unit == "hukmas")
    );
}

#[test]
fn lapsed_reporter_windows_close_the_case_as_system() {
    let h = Harness::new();
    let c = coordinator();
    let asked = h.act(
        &h.received(Kind::Complaint),
        Action::AskInfo {
            question: "Blok mana?".into(),
        },
        &c,
    );
    let window = asked.due_at.unwrap();
    assert_eq!(
        window,
        h.cal.add_working_days(START, h.org.deadlines.reporter_info)
    );
    assert!(watch(&h, &asked, window).1.is_empty());
    let (closed, changes) = watch(&h, &asked, next_check(&asked, &h.org, &h.cal).unwrap());
    assert!(matches!(&changes[..], [Change::Closed { .. }]));
    assert_eq!(closed.state, State::Closed);
    assert_eq!(
        closed.closed_on_time(),
        Some(true),
        "waiting for the reporter is not the agency's delay"
    );
    assert_eq!(next_check(&closed, &h.org, &h.cal), None);
}

#[test]
fn the_clock_stops_while_the_reporter_is_asked_for_information() {
    let h = Harness::new();
    let c = coordinator();
    let case = h.received(Kind::Complaint);
    let due = case.due_at.unwrap();
    let asked = h.act(
        &case,
        Action::AskInfo {
            question: "Blok mana?".into(),
        },
        &c,
    );
    // Five working days later the reporter answers: the agency's due time moves by five.
    let answered_at = h.cal.add_working_days(START, 5) - Duration::hours(10);
    let resumed = h
        .try_act(
            &asked,
            &Action::AddInfo {
                text: "Blok B".into(),
            },
            &aduan_domain::Actor::Reporter,
            answered_at,
        )
        .unwrap();
    assert_eq!(resumed.state, State::Received);
    assert_eq!(resumed.due_at, Some(h.cal.add_working_days(due, 5)));
    assert_eq!(resumed.breached_at, None);
}

#[test]
fn deadlines_can_differ_per_kind_of_case() {
    let mut h = Harness::new();
    h.org.deadline_overrides.push(DeadlineOverride {
        kind: Kind::Aspiration,
        stage: Stage::Verify,
        working_days: 7,
    });
    h.org.validate().unwrap();
    assert_eq!(h.org.working_days(Kind::Aspiration, Stage::Verify), 7);
    assert_eq!(h.org.working_days(Kind::Complaint, Stage::Verify), 3);
    let aspiration = Workflow::received(Kind::Aspiration, "rusun".into(), START, &h.org, &h.cal);
    assert_eq!(aspiration.due_at, Some(h.cal.add_working_days(START, 7)));
    // A zero-day deadline or the same override twice is refused.
    h.org.deadline_overrides.push(DeadlineOverride {
        kind: Kind::Aspiration,
        stage: Stage::Verify,
        working_days: 9,
    });
    assert!(h.org.validate().is_err());
    h.org.deadline_overrides.clear();
    h.org.deadlines.answer = 0;
    assert!(h.org.validate().is_err());
}

#[test]
fn notices_go_to_whoever_the_event_concerns() {
    let h = Harness::new();
    let c = coordinator();
    let case = h.act(
        &h.received(Kind::Complaint),
        Action::Verify { category: None },
        &c,
    );
    let ctx = Context {
        now: START,
        org: &h.org,
        calendar: &h.cal,
        ticket: &h.ticket,
        channel: None,
    };
    let dispose = Action::Dispose {
        lead_unit: "rusun".into(),
        supporting_units: vec!["swadaya".into()],
        instruction: "periksa".into(),
        due_date: None,
    };
    let events = aduan_domain::lifecycle::decide(&case, &dispose, &c, &ctx).unwrap();
    let audiences: Vec<Audience> = notices(&case, &events[0])
        .into_iter()
        .map(|n| n.audience)
        .collect();
    assert_eq!(
        audiences,
        vec![
            Audience::Unit("rusun".into()),
            Audience::Unit("swadaya".into())
        ]
    );
    // A note is internal: nobody is told.
    let note = aduan_domain::lifecycle::decide(&case, &Action::Note { text: "x".into() }, &c, &ctx)
        .unwrap();
    assert!(notices(&case, &note[0]).is_empty());
    for audience in [
        Audience::Reporter,
        Audience::Unit("rusun".into()),
        Audience::UnitHeads("rusun".into()),
        Audience::Leadership,
    ] {
        assert_eq!(Audience::parse(&audience.key()), Some(audience));
    }
}
