//! Random sequences of actions by random actors never break the invariants of DOMAIN.md.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use aduan_domain::lifecycle::{CloseReason, Context, Outcome, Workflow, apply, decide};
use aduan_domain::{ActionCode, Actor, Event, Kind, Role, State};
use common::*;
use proptest::prelude::*;
use time::Duration;

fn actors() -> Vec<Actor> {
    vec![
        coordinator(),
        staff(Role::UnitOfficer, "rusun"),
        staff(Role::UnitHead, "rusun"),
        staff(Role::UnitOfficer, "swadaya"),
        staff(Role::Leadership, "ditjen"),
        Actor::Reporter,
        Actor::System {
            rule: "window".into(),
        },
    ]
}

fn check_invariants(
    case: &Workflow,
    events: &[Event],
    org_units: &[&str],
) -> Result<(), TestCaseError> {
    if case.state.is_terminal() {
        prop_assert!(case.outcome.is_some(), "terminal without reason");
        prop_assert!(case.due_at.is_none());
    } else {
        prop_assert!(case.outcome.is_none(), "open case with an outcome");
        prop_assert!(case.due_at.is_some(), "open case without a due time");
    }
    let closed_without_answer_allowed = matches!(
        case.outcome,
        Some(Outcome::Closed {
            reason: CloseReason::InfoNotCompleted
        })
    );
    if case.state == State::Answered
        || (case.state == State::Closed && !closed_without_answer_allowed)
    {
        let answer = case.answer.as_ref();
        prop_assert!(
            answer.is_some(),
            "answered or closed without a published answer"
        );
        if case.kind == Kind::InfoRequest {
            prop_assert!(
                answer.and_then(|a| a.decision).is_some(),
                "info request without a decision"
            );
        }
    }
    if case.state == State::WaitingReporter {
        prop_assert!(case.resume_state.is_some());
    }
    for unit in case.involved_units() {
        prop_assert!(org_units.contains(&unit.as_str()));
    }
    // The case is the fold of its events.
    let mut fold = events_origin(case);
    for event in events {
        apply(&mut fold, event);
    }
    prop_assert_eq!(&fold, case);
    Ok(())
}

fn events_origin(case: &Workflow) -> Workflow {
    let h = Harness::new();
    h.received(case.kind)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn random_sequences_keep_invariants(
        info in any::<bool>(),
        steps in proptest::collection::vec((0usize..7, 0usize..ActionCode::ALL.len(), 0i64..6), 1..40),
    ) {
        let h = Harness::new();
        let kind = if info { Kind::InfoRequest } else { Kind::Complaint };
        let mut case = h.received(kind);
        let mut events: Vec<Event> = Vec::new();
        let mut now = START;
        let all = actors();
        for (who, action, days) in steps {
            now += Duration::days(days);
            let code = ActionCode::ALL[action];
            let action = sample_action(code, kind);
            let before = case.clone();
            let ctx = Context { now, org: &h.org, calendar: &h.cal, ticket: &h.ticket, channel: None };
            match decide(&case, &action, &all[who], &ctx) {
                Ok(new_events) => {
                    prop_assert!(!new_events.is_empty());
                    if before.state.is_terminal() {
                        prop_assert!(
                            matches!(code, ActionCode::Note | ActionCode::Link | ActionCode::Unlink | ActionCode::Message | ActionCode::Classify),
                            "only notes, links, messages and classification after the end, not {}", code
                        );
                    }
                    for event in &new_events {
                        apply(&mut case, event);
                    }
                    events.extend(new_events);
                }
                Err(_) => prop_assert_eq!(&case, &before, "a refusal changed the case"),
            }
            check_invariants(&case, &events, &["ditjen", "hukmas", "rusun", "swadaya", "kepatuhan"])?;
        }
    }
}
