//! What a case's `workflow` column holds: the workflow without the fields that are unset.
//!
//! Most of a case's optional facts are unset for most of its life (no draft, no pause, no
//! breach, no alerts), and writing each as a null took about a fifth of the column, which is
//! the largest part of the largest table of a big database (BENCHMARKS.md, session 24). The
//! workflow reads back with its own `Deserialize`, which takes a missing optional field as
//! unset, so rows written whole by earlier versions read as before. Times keep their own form
//! (nanoseconds and offset), so every value comes back exactly.

use super::rows::{from_json, json};
use crate::Result;
use aduan_domain::lifecycle::{Alerts, Answer, Draft, Outcome};
use aduan_domain::{Kind, Maladministration, State, Ticket, Workflow};
use serde::Serialize;
use time::OffsetDateTime;

/// `workflow` as written: every field of [`Workflow`], the unset ones left out.
#[derive(Serialize)]
struct Written<'a> {
    kind: Kind,
    category: &'a str,
    state: State,
    #[serde(skip_serializing_if = "Option::is_none")]
    resume_state: Option<State>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lead_unit: Option<&'a str>,
    supporting_units: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    instruction: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    assignee: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    draft: Option<&'a Draft>,
    #[serde(skip_serializing_if = "Option::is_none")]
    answer: Option<&'a Answer>,
    #[serde(skip_serializing_if = "<[Ticket]>::is_empty")]
    related: &'a [Ticket],
    #[serde(skip_serializing_if = "<[Maladministration]>::is_empty")]
    maladministration: &'a [Maladministration],
    #[serde(skip_serializing_if = "Option::is_none")]
    rating: Option<u8>,
    objections: u32,
    extended: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<&'a Outcome>,
    received_at: OffsetDateTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    due_at: Option<OffsetDateTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    final_due_at: Option<OffsetDateTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    paused_at: Option<OffsetDateTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    paused_due_at: Option<OffsetDateTime>,
    #[serde(skip_serializing_if = "is_default")]
    alerts: &'a Alerts,
    #[serde(skip_serializing_if = "Option::is_none")]
    breached_at: Option<OffsetDateTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    closed_at: Option<OffsetDateTime>,
}

fn is_default(alerts: &&Alerts) -> bool {
    **alerts == Alerts::default()
}

/// The `workflow` column of `workflow`.
pub(super) fn encode(workflow: &Workflow) -> Result<String> {
    // Taken apart field by field, so that a field added to `Workflow` cannot be forgotten here.
    let Workflow {
        kind,
        category,
        state,
        resume_state,
        lead_unit,
        supporting_units,
        instruction,
        assignee,
        draft,
        answer,
        related,
        maladministration,
        rating,
        objections,
        extended,
        outcome,
        received_at,
        due_at,
        final_due_at,
        paused_at,
        paused_due_at,
        alerts,
        breached_at,
        closed_at,
    } = workflow;
    json(&Written {
        kind: *kind,
        category,
        state: *state,
        resume_state: *resume_state,
        lead_unit: lead_unit.as_deref(),
        supporting_units,
        instruction: instruction.as_deref(),
        assignee: assignee.as_deref(),
        draft: draft.as_ref(),
        answer: answer.as_ref(),
        related,
        maladministration,
        rating: *rating,
        objections: *objections,
        extended: *extended,
        outcome: outcome.as_ref(),
        received_at: *received_at,
        due_at: *due_at,
        final_due_at: *final_due_at,
        paused_at: *paused_at,
        paused_due_at: *paused_due_at,
        alerts,
        breached_at: *breached_at,
        closed_at: *closed_at,
    })
}

/// The workflow in a `workflow` column, in either form.
pub(super) fn decode(data: &str) -> Result<Workflow> {
    from_json(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aduan_domain::lifecycle::{CloseReason, Decision};
    use time::macros::datetime;

    /// A workflow with every field set, times with nanoseconds and two offsets.
    fn everything_set() -> Workflow {
        let at = datetime!(2026-03-02 08:15:30.123456789 +07:00);
        Workflow {
            kind: Kind::InfoRequest,
            category: "rusun".into(),
            state: State::Closed,
            resume_state: Some(State::InProgress),
            lead_unit: Some("rusun".into()),
            supporting_units: vec!["air".into(), "hukmas".into()],
            instruction: Some("Mohon dijawab \"segera\"".into()),
            assignee: Some("petugas.rusun".into()),
            draft: Some(Draft {
                text: "Rancangan".into(),
                decision: Some(Decision::Granted),
                exemption: None,
                author: "petugas.rusun".into(),
                unit_approved_by: Some("kepala.rusun".into()),
                attachments: vec![3],
            }),
            answer: Some(Answer {
                text: "Jawaban".into(),
                decision: Some(Decision::Granted),
                exemption: Some("Pasal 17".into()),
                published_at: at,
                published_by: "koordinator".into(),
                attachments: vec![4, 5],
            }),
            related: vec![Ticket::new(Kind::InfoRequest, 2026, 7)],
            maladministration: vec![Maladministration::UndueDelay],
            rating: Some(4),
            objections: 1,
            extended: true,
            outcome: Some(Outcome::Closed {
                reason: CloseReason::Accepted,
            }),
            received_at: at,
            due_at: Some(datetime!(2026-03-16 23:59:59.999999999 +07:00)),
            final_due_at: Some(datetime!(2026-03-23 16:59:59.999999999 UTC)),
            paused_at: Some(at),
            paused_due_at: Some(at),
            alerts: Alerts {
                due_at: Some(at),
                reminded: true,
                escalation: 2,
            },
            breached_at: Some(at),
            closed_at: Some(at),
        }
    }

    /// A workflow just received, without due times: every optional field unset.
    fn nothing_set() -> Workflow {
        let org: aduan_domain::Organisation =
            toml::from_str(include_str!("../../../../config/organisation.toml")).expect("org");
        let holidays: aduan_domain::calendar::HolidayTable =
            toml::from_str(aduan_domain::calendar::SHIPPED_HOLIDAYS).expect("holidays");
        let calendar = aduan_domain::Calendar::new(time::macros::offset!(+7), &holidays);
        let at = datetime!(2026-03-02 08:15:30.123456789 +07:00);
        Workflow {
            due_at: None,
            final_due_at: None,
            ..Workflow::received(Kind::Complaint, "rusun".into(), at, &org, &calendar)
        }
    }

    #[test]
    fn a_workflow_comes_back_exactly_with_every_field_set() {
        let workflow = everything_set();
        let back = decode(&encode(&workflow).expect("encodes")).expect("decodes");
        assert_eq!(back, workflow);
        assert_eq!(
            back.due_at.map(|t| t.offset()),
            workflow.due_at.map(|t| t.offset()),
            "a time keeps its offset"
        );
    }

    #[test]
    fn unset_fields_are_left_out_and_read_back_unset() {
        let workflow = nothing_set();
        let data = encode(&workflow).expect("encodes");
        assert!(!data.contains("null"), "{data}");
        assert!(!data.contains("alerts"), "{data}");
        assert_eq!(decode(&data).expect("decodes"), workflow);
        let whole = json(&workflow).expect("the whole form");
        assert!(data.len() * 3 < whole.len() * 2, "{data} against {whole}");
    }

    #[test]
    fn workflows_written_whole_by_earlier_versions_still_read() {
        for workflow in [everything_set(), nothing_set()] {
            let whole = json(&workflow).expect("the whole form");
            assert_eq!(decode(&whole).expect("decodes"), workflow);
        }
    }

    #[test]
    fn a_column_that_is_not_a_workflow_is_an_error_not_a_panic() {
        for data in ["", "{}", "null", r#"{"kind":"complaint"}"#, "{\"kind\":"] {
            assert!(decode(data).is_err(), "{data:?} was read");
        }
    }
}
