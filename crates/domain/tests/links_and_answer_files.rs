//! Related cases and the files an answer carries, through decide and apply.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use aduan_domain::lifecycle::Workflow;
use aduan_domain::{Action, ActionCode as A, Actor, Change, Kind, Refusal, Role, Ticket};
use common::*;

fn link(ticket: &str) -> Action {
    Action::Link {
        ticket: ticket.into(),
    }
}

fn in_progress(h: &Harness) -> Workflow {
    let c = coordinator();
    let officer = staff(Role::UnitOfficer, "rusun");
    let mut case = h.received(Kind::Complaint);
    for (code, actor) in [(A::Verify, &c), (A::Dispose, &c), (A::Accept, &officer)] {
        case = h.act(&case, sample_action(code, Kind::Complaint), actor);
    }
    case
}

#[test]
fn links_are_kept_once_and_can_be_undone() {
    let h = Harness::new();
    let c = coordinator();
    let case = h.received(Kind::Complaint);
    let linked = h.act(&case, link(" ADU-2026-000009 "), &c);
    let other = Ticket::parse("ADU-2026-000009").unwrap();
    assert_eq!(linked.related, vec![other.clone()]);
    assert_eq!(linked.state, case.state, "a link changes no state");
    assert_eq!(
        h.try_act(&linked, &link("ADU-2026-000009"), &c, START)
            .err(),
        Some(Refusal::AlreadyLinked)
    );
    let second = h.act(&linked, link("INF-2025-000001"), &c);
    assert_eq!(second.related.len(), 2);
    let undone = h.act(
        &second,
        Action::Unlink {
            ticket: "ADU-2026-000009".into(),
        },
        &c,
    );
    assert_eq!(
        undone.related,
        vec![Ticket::parse("INF-2025-000001").unwrap()]
    );
}

#[test]
fn a_link_needs_another_valid_ticket() {
    let h = Harness::new();
    let c = coordinator();
    let case = h.received(Kind::Complaint);
    let own = h.ticket.to_string();
    assert_eq!(
        h.try_act(&case, &link(&own), &c, START).err(),
        Some(Refusal::LinkToSelf)
    );
    for bad in ["", "ADU-2026", "<script>", "ADU-2026-0000001'"] {
        assert!(
            matches!(
                h.try_act(&case, &link(bad), &c, START),
                Err(Refusal::Invalid {
                    field: "ticket",
                    ..
                })
            ),
            "{bad:?}"
        );
    }
}

#[test]
fn links_are_internal_and_closed_cases_can_be_linked() {
    let h = Harness::new();
    let c = coordinator();
    let rejected = h.act(
        &h.received(Kind::Complaint),
        sample_action(A::Reject, Kind::Complaint),
        &c,
    );
    let linked = h.act(&rejected, link("ADU-2026-000002"), &c);
    assert_eq!(linked.related.len(), 1);
    assert!(
        !Change::Linked {
            ticket: Ticket::parse("ADU-2026-000002").unwrap()
        }
        .is_public()
    );
    // Staff of an uninvolved unit may not link.
    assert_eq!(
        h.try_act(
            &rejected,
            &link("ADU-2026-000002"),
            &staff(Role::UnitOfficer, "rusun"),
            START
        )
        .err(),
        Some(Refusal::NotYourUnit)
    );
}

fn draft(files: Vec<i64>) -> Action {
    Action::SubmitDraft {
        text: "Jawaban dengan lampiran".into(),
        decision: None,
        exemption: None,
        attachments: files,
    }
}

#[test]
fn the_files_of_the_draft_are_published_with_the_answer() {
    let h = Harness::new();
    let officer = staff(Role::UnitOfficer, "rusun");
    let head = staff(Role::UnitHead, "rusun");
    let case = in_progress(&h);
    let drafted = h.act(&case, draft(vec![12, 3, 12]), &officer);
    assert_eq!(drafted.draft.as_ref().unwrap().attachments, vec![12, 3]);
    let approved = h.act(&drafted, Action::Approve {}, &head);
    let published = h.act(&approved, Action::Approve {}, &coordinator());
    let answer = published.answer.expect("published");
    assert_eq!(answer.attachments, vec![12, 3]);
    assert!(published.draft.is_none());
}

#[test]
fn answer_files_are_checked() {
    let h = Harness::new();
    let officer = staff(Role::UnitOfficer, "rusun");
    let case = in_progress(&h);
    let refused = |files: Vec<i64>| h.try_act(&case, &draft(files), &officer, START).err();
    assert!(matches!(
        refused(vec![0]),
        Some(Refusal::Invalid {
            field: "attachments",
            problem: "invalid"
        })
    ));
    assert!(matches!(
        refused((1..=11).collect()),
        Some(Refusal::Invalid {
            field: "attachments",
            problem: "too_many_answer_files"
        })
    ));
    assert_eq!(refused((1..=10).collect()), None);
}

#[test]
fn events_stored_before_files_and_links_still_read() {
    // Events and workflows written before these fields existed have none of them.
    let old = r#"{"type":"answer_published","text":"t","decision":null,"exemption":null}"#;
    let change: Change = serde_json::from_str(old).unwrap();
    assert!(
        matches!(change, Change::AnswerPublished { attachments, .. } if attachments.is_empty())
    );
    let case = h_case_json();
    let back: Workflow = serde_json::from_str(&case).unwrap();
    assert!(back.related.is_empty());
}

fn h_case_json() -> String {
    let h = Harness::new();
    let mut value = serde_json::to_value(h.received(Kind::Complaint)).unwrap();
    value.as_object_mut().unwrap().remove("related");
    value.to_string()
}

#[test]
fn actor_of_unlink_must_be_allowed() {
    let h = Harness::new();
    let linked = h.act(
        &h.received(Kind::Complaint),
        link("ADU-2026-000009"),
        &coordinator(),
    );
    assert!(matches!(
        h.try_act(
            &linked,
            &Action::Unlink {
                ticket: "ADU-2026-000009".into()
            },
            &Actor::Reporter,
            START
        ),
        Err(Refusal::RoleMayNot { .. })
    ));
}
