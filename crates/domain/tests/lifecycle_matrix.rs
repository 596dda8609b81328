//! Every (state × action × actor) combination, against a table written out from DOMAIN.md
//! independently of the implementation's own permission code.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use aduan_domain::lifecycle::Workflow;
use aduan_domain::{ActionCode as A, Actor, Kind, Refusal, Role, State as S};
use common::*;
use time::Duration;

/// Builds a case of `kind` in `state` by walking the normal path.
fn case_in(h: &Harness, kind: Kind, state: S) -> Workflow {
    let c = coordinator();
    let officer = staff(Role::UnitOfficer, "rusun");
    let head = staff(Role::UnitHead, "rusun");
    let mut case = h.received(kind);
    let path: Vec<(A, &Actor)> = match state {
        S::Received => vec![],
        S::Verified => vec![(A::Verify, &c)],
        S::Dispositioned => vec![(A::Verify, &c), (A::Dispose, &c)],
        S::InProgress => vec![(A::Verify, &c), (A::Dispose, &c), (A::Accept, &officer)],
        S::AwaitingApproval => vec![
            (A::Verify, &c),
            (A::Dispose, &c),
            (A::Accept, &officer),
            (A::SubmitDraft, &officer),
        ],
        S::Answered | S::Closed => vec![
            (A::Verify, &c),
            (A::Dispose, &c),
            (A::Accept, &officer),
            (A::SubmitDraft, &officer),
            (A::Approve, &head),
            (A::Approve, &c),
        ],
        S::WaitingReporter => vec![
            (A::Verify, &c),
            (A::Dispose, &c),
            (A::Accept, &officer),
            (A::AskInfo, &officer),
        ],
        S::Rejected => vec![(A::Reject, &c)],
        S::Forwarded => vec![(A::Forward, &c)],
        S::Merged => vec![(A::Merge, &c)],
    };
    for (code, actor) in path {
        case = h.act(&case, sample_action(code, kind), actor);
    }
    if state == S::Closed {
        case = h.act(
            &case,
            sample_action(A::AcceptAnswer, kind),
            &Actor::Reporter,
        );
    }
    assert_eq!(case.state, state);
    case
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Who {
    Coordinator,
    Intake,
    Officer,
    Head,
    OtherOfficer,
    Leadership,
    Auditor,
    Monitor,
    Admin,
    Reporter,
    System,
}

const EVERYONE: [Who; 11] = [
    Who::Coordinator,
    Who::Intake,
    Who::Officer,
    Who::Head,
    Who::OtherOfficer,
    Who::Leadership,
    Who::Auditor,
    Who::Monitor,
    Who::Admin,
    Who::Reporter,
    Who::System,
];

fn actor(who: Who) -> Actor {
    match who {
        Who::Coordinator => coordinator(),
        Who::Intake => staff(Role::Intake, "hukmas"),
        Who::Officer => staff(Role::UnitOfficer, "rusun"),
        Who::Head => staff(Role::UnitHead, "rusun"),
        Who::OtherOfficer => staff(Role::UnitOfficer, "kepatuhan"),
        Who::Leadership => staff(Role::Leadership, "ditjen"),
        Who::Auditor => staff(Role::Auditor, "kepatuhan"),
        Who::Monitor => staff(Role::Monitor, "ditjen"),
        Who::Admin => staff(Role::Admin, "ditjen"),
        Who::Reporter => Actor::Reporter,
        Who::System => Actor::System {
            rule: "test".into(),
        },
    }
}

/// The table: which roles may take an action, in which states, and where it leads.
fn roles_for(action: A) -> &'static [Who] {
    use Who::*;
    match action {
        A::Verify | A::Reject | A::Forward | A::Merge | A::Dispose | A::Extend | A::Classify => {
            &[Coordinator]
        }
        // The coordinator answers only the cases its own unit leads.
        A::Accept | A::Return | A::SubmitDraft => &[Coordinator, Officer, Head],
        A::Assign => &[Head],
        A::AskInfo => &[Coordinator, Officer, Head],
        A::Note | A::Link | A::Unlink => &[Coordinator, Officer, Head],
        A::SendBack | A::Approve => &[Coordinator, Head],
        A::AddInfo | A::AcceptAnswer | A::Object => &[Reporter],
        A::CloseInfoLapsed | A::CloseNoReaction => &[System],
        A::Message => &[Coordinator, Intake, System],
    }
}

fn states_for(action: A) -> &'static [S] {
    match action {
        A::Verify => &[S::Received],
        A::Reject | A::Forward | A::Merge => &[S::Received, S::Verified],
        A::Dispose => &[S::Verified],
        A::Accept => &[S::Dispositioned],
        A::Return => &[S::Dispositioned, S::InProgress],
        A::Assign => &[S::Dispositioned, S::InProgress, S::AwaitingApproval],
        A::AskInfo => &[S::Received, S::Verified, S::Dispositioned, S::InProgress],
        A::AddInfo | A::CloseInfoLapsed => &[S::WaitingReporter],
        A::Note | A::Link | A::Unlink | A::Message => S::ALL,
        // Also after the end, for the reports; a merged case counts in the case it joined.
        A::Classify => &[
            S::Received,
            S::Verified,
            S::Dispositioned,
            S::InProgress,
            S::AwaitingApproval,
            S::Answered,
            S::WaitingReporter,
            S::Closed,
            S::Rejected,
            S::Forwarded,
        ],
        A::SubmitDraft => &[S::InProgress],
        A::SendBack | A::Approve => &[S::AwaitingApproval],
        A::Extend => &[
            S::Received,
            S::Verified,
            S::Dispositioned,
            S::InProgress,
            S::AwaitingApproval,
        ],
        A::AcceptAnswer | A::Object | A::CloseNoReaction => &[S::Answered],
    }
}

fn target(action: A, who: Who, from: S) -> S {
    match action {
        A::Verify => S::Verified,
        A::Reject => S::Rejected,
        A::Forward => S::Forwarded,
        A::Merge => S::Merged,
        A::Dispose => S::Dispositioned,
        A::Accept => S::InProgress,
        A::Return => S::Verified,
        A::AskInfo => S::WaitingReporter,
        A::AddInfo => S::InProgress, // the waiting case was built from in_progress
        A::Message if from == S::WaitingReporter => S::InProgress,
        A::Message => from,
        A::SubmitDraft => S::AwaitingApproval,
        A::SendBack | A::Object => S::InProgress,
        A::Approve if who == Who::Head => S::AwaitingApproval,
        A::Approve => S::Answered,
        A::AcceptAnswer | A::CloseInfoLapsed | A::CloseNoReaction => S::Closed,
        A::Assign | A::Note | A::Extend | A::Link | A::Unlink | A::Classify => from,
    }
}

/// Unit staff only act on cases whose lead unit (or, for notes, any involved unit) is theirs.
fn unit_may(action: A, who: Who, case: &Workflow) -> bool {
    match who {
        Who::Officer | Who::Head => {
            case.lead_unit.as_deref() == Some("rusun")
                || (matches!(action, A::Note | A::Link | A::Unlink) && case.lead_unit.is_some())
        }
        Who::OtherOfficer => false,
        Who::Coordinator if matches!(action, A::Accept | A::Return | A::SubmitDraft) => {
            case.lead_unit.as_deref() == Some("hukmas")
        }
        _ => true,
    }
}

#[test]
fn every_state_action_and_actor() {
    let h = Harness::new();
    let mut checked = 0;
    for kind in [Kind::Complaint, Kind::InfoRequest] {
        for &state in S::ALL {
            let case = case_in(&h, kind, state);
            for &code in A::ALL {
                for who in EVERYONE {
                    let action = sample_action(code, kind);
                    // Far enough ahead that every window has lapsed.
                    let now = START + Duration::days(90);
                    let got = h.try_act(&case, &action, &actor(who), now);
                    let label = format!("{kind} {state} {code} by {who:?}");
                    checked += 1;
                    // Another unit's officer has the officer's role; only the unit differs.
                    let role = if who == Who::OtherOfficer {
                        Who::Officer
                    } else {
                        who
                    };
                    if !roles_for(code).contains(&role) {
                        assert!(
                            matches!(got, Err(Refusal::RoleMayNot { .. })),
                            "{label}: {got:?}"
                        );
                        continue;
                    }
                    if !unit_may(code, who, &case) {
                        assert_eq!(got.as_ref().err(), Some(&Refusal::NotYourUnit), "{label}");
                        continue;
                    }
                    if !states_for(code).contains(&state) {
                        assert!(
                            matches!(got, Err(Refusal::WrongState { .. })),
                            "{label}: {got:?}"
                        );
                        continue;
                    }
                    if code == A::Extend && kind != Kind::InfoRequest {
                        assert_eq!(got.err(), Some(Refusal::NotInfoRequest), "{label}");
                        continue;
                    }
                    if code == A::Classify && kind != Kind::Complaint {
                        assert_eq!(got.err(), Some(Refusal::NotComplaint), "{label}");
                        continue;
                    }
                    if code == A::Unlink {
                        // Nothing was linked to these cases.
                        assert_eq!(got.err(), Some(Refusal::NotLinked), "{label}");
                        continue;
                    }
                    if code == A::Approve && who == Who::Coordinator {
                        // The draft was written by an officer and nobody has approved it yet.
                        assert_eq!(
                            got.err(),
                            Some(Refusal::UnitHeadApprovalRequired),
                            "{label}"
                        );
                        continue;
                    }
                    let next = got.unwrap_or_else(|e| panic!("{label}: refused with {e}"));
                    assert_eq!(next.state, target(code, who, state), "{label}");
                    if next.state.is_terminal() {
                        assert!(next.outcome.is_some(), "{label}: terminal without reason");
                        assert!(next.due_at.is_none(), "{label}: terminal with a due time");
                    }
                }
            }
        }
    }
    assert_eq!(checked, 2 * S::ALL.len() * A::ALL.len() * EVERYONE.len());
}
