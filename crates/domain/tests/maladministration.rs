//! The coordinator records which forms of maladministration a complaint alleges.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use aduan_domain::{Action, Change, Kind, Maladministration as M, Refusal, Role, State};
use common::*;

fn classify(forms: &[M]) -> Action {
    Action::Classify {
        maladministration: forms.to_vec(),
    }
}

#[test]
fn a_classification_replaces_the_last_one_and_keeps_each_form_once() {
    let h = Harness::new();
    let c = coordinator();
    let case = h.received(Kind::Complaint);
    let case = h.act(
        &case,
        classify(&[M::Partiality, M::UndueDelay, M::Partiality]),
        &c,
    );
    assert_eq!(case.maladministration, [M::UndueDelay, M::Partiality]);
    assert_eq!(case.state, State::Received, "classifying moves nothing");
    let case = h.act(&case, classify(&[M::AbuseOfAuthority]), &c);
    assert_eq!(case.maladministration, [M::AbuseOfAuthority]);
    // The same set again records nothing new.
    let same = h.try_act(&case, &classify(&[M::AbuseOfAuthority]), &c, START);
    assert_eq!(
        same.err(),
        Some(Refusal::Invalid {
            field: "maladministration",
            problem: "unchanged"
        })
    );
    // An empty list says the complaint alleges none after all.
    let case = h.act(&case, classify(&[]), &c);
    assert!(case.maladministration.is_empty());
}

#[test]
fn the_event_is_internal_and_only_complaints_are_classified() {
    assert!(
        !Change::Classified {
            maladministration: vec![M::UndueDelay]
        }
        .is_public(),
        "the reporter's timeline does not show the coordinator's classification"
    );
    let h = Harness::new();
    for kind in [Kind::InfoRequest, Kind::Aspiration] {
        let case = h.received(kind);
        let got = h.try_act(&case, &classify(&[M::UndueDelay]), &coordinator(), START);
        assert_eq!(got.err(), Some(Refusal::NotComplaint), "{kind}");
    }
    let case = h.received(Kind::Complaint);
    let got = h.try_act(
        &case,
        &classify(&[M::UndueDelay]),
        &staff(Role::UnitHead, "rusun"),
        START,
    );
    assert!(matches!(got, Err(Refusal::RoleMayNot { .. })), "{got:?}");
}

#[test]
fn the_list_arrives_as_codes_and_an_unknown_code_is_refused() {
    let action: Action = serde_json::from_str(
        r#"{"action": "classify", "maladministration": ["undue_delay", "conflict_of_interest"]}"#,
    )
    .unwrap();
    assert_eq!(action, classify(&[M::UndueDelay, M::ConflictOfInterest]));
    assert!(
        serde_json::from_str::<Action>(
            r#"{"action": "classify", "maladministration": ["korupsi"]}"#
        )
        .is_err()
    );
}
