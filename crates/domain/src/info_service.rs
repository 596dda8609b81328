//! The yearly report on the public information service (*laporan layanan informasi publik*,
//! UU 14/2008 and Perki 1/2021 Pasal 56): how many requests, how long each took, how many were
//! granted fully or in part, how many refused and on which exemption grounds, and what became
//! of objections. Computed from the same case facts as every other statistic.

use crate::Kind;
use crate::calendar::Calendar;
use crate::lifecycle::Decision;
use crate::statistics::{CaseFacts, Count, Durations, Milestone, Period, ranked};
use serde::Serialize;
use std::collections::BTreeMap;
use time::Date;

/// One request, as the report lists it (no personal data: the ticket is public).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestRow {
    pub ticket: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub received: Date,
    /// The day of the first decision, if one was made.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub decided: Option<Date>,
    /// Working days to the first decision, without the days waiting for the requester.
    pub working_days: Option<i64>,
    pub extended: bool,
    /// `granted`, `partly_granted`, `refused`, `not_held`.
    pub decision: Option<String>,
    pub exemption: Option<String>,
    pub objected: bool,
}

/// The figures of the report for a period (normally a year).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InfoServiceReport {
    /// Requests received in the period.
    pub requests: u64,
    /// Requests with a first decision in the period.
    pub decided: u64,
    pub granted: u64,
    pub partly_granted: u64,
    pub refused: u64,
    /// The information is not held by the agency.
    pub not_held: u64,
    /// Decided without letting a due time pass.
    pub decided_on_time: u64,
    /// Requests whose decision deadline was extended.
    pub extended: u64,
    /// Open at the period's end.
    pub pending_at_end: u64,
    pub days_to_decide: Durations,
    /// Exemption grounds of refusals and partial grants, most used first.
    pub exemptions: Vec<Count>,
    /// Objections (*keberatan*) raised in the period.
    pub objections: u64,
    /// Of those, answered again afterwards.
    pub objections_answered: u64,
    /// Of those answered, with more information given than before (refused or not held to a
    /// grant, or partly to fully).
    pub objections_granted_more: u64,
    pub rows: Vec<RequestRow>,
}

/// How open a decision is, to tell whether an objection won more.
fn openness(decision: Option<&Decision>) -> u8 {
    match decision {
        Some(Decision::Granted) => 3,
        Some(Decision::PartlyGranted) => 2,
        Some(Decision::Refused) | Some(Decision::NotHeld) | None => 1,
    }
}

/// The report over the information requests among `cases`.
pub fn info_service(cases: &[CaseFacts], period: Period, cal: &Calendar) -> InfoServiceReport {
    let mut report = InfoServiceReport {
        requests: 0,
        decided: 0,
        granted: 0,
        partly_granted: 0,
        refused: 0,
        not_held: 0,
        decided_on_time: 0,
        extended: 0,
        pending_at_end: 0,
        days_to_decide: Durations::default(),
        exemptions: Vec::new(),
        objections: 0,
        objections_answered: 0,
        objections_granted_more: 0,
        rows: Vec::new(),
    };
    let mut days = Vec::new();
    let mut exemptions = BTreeMap::<String, u64>::new();
    for case in cases.iter().filter(|c| c.kind == Kind::InfoRequest) {
        let answers: Vec<(time::OffsetDateTime, Option<&Decision>, Option<&String>)> = case
            .milestones
            .iter()
            .filter_map(|(at, m)| match m {
                Milestone::Answered {
                    decision,
                    exemption,
                } => Some((*at, decision.as_ref(), exemption.as_ref())),
                _ => None,
            })
            .collect();
        let first = answers.first().copied();
        let received_in = period.contains(case.received_at);
        let decided_in = first.is_some_and(|(at, _, _)| period.contains(at));
        let extended = case
            .milestones
            .iter()
            .any(|(_, m)| *m == Milestone::Extended);
        if received_in {
            report.requests += 1;
        }
        if case.received_at < period.to && case.closed_at.is_none_or(|c| c >= period.to) {
            // Still open at the end, unless its decision came within the period and only
            // the requester's reaction is awaited.
            if first.is_none_or(|(at, _, _)| at >= period.to) {
                report.pending_at_end += 1;
            }
        }
        if decided_in && let Some((at, decision, exemption)) = first {
            report.decided += 1;
            let taken = case.agency_days(at, cal);
            days.push(taken);
            if case.breached_at.is_none_or(|b| b > at) {
                report.decided_on_time += 1;
            }
            if extended {
                report.extended += 1;
            }
            match decision {
                Some(Decision::Granted) => report.granted += 1,
                Some(Decision::PartlyGranted) => report.partly_granted += 1,
                Some(Decision::Refused) => report.refused += 1,
                Some(Decision::NotHeld) => report.not_held += 1,
                None => {}
            }
            if matches!(decision, Some(Decision::Refused | Decision::PartlyGranted))
                && let Some(ground) = exemption.filter(|e| !e.trim().is_empty())
            {
                *exemptions.entry(ground.trim().to_string()).or_default() += 1;
            }
        }
        let mut objected = false;
        for (at, milestone) in &case.milestones {
            if *milestone != Milestone::Objected || !period.contains(*at) {
                continue;
            }
            objected = true;
            report.objections += 1;
            let before = answers.iter().rev().find(|(a, _, _)| a < at);
            let after = answers.iter().find(|(a, _, _)| a > at);
            if let Some((_, decision_after, _)) = after {
                report.objections_answered += 1;
                let was = before.and_then(|(_, d, _)| *d);
                if openness(*decision_after) > openness(was) {
                    report.objections_granted_more += 1;
                }
            }
        }
        if received_in || decided_in || objected {
            report.rows.push(RequestRow {
                ticket: case.ticket.clone(),
                received: cal.local_date(case.received_at),
                decided: first.map(|(at, _, _)| cal.local_date(at)),
                working_days: first.map(|(at, _, _)| case.agency_days(at, cal)),
                extended,
                decision: first.and_then(|(_, d, _)| d).map(|d| d.code().to_string()),
                exemption: first.and_then(|(_, _, e)| e).cloned(),
                objected: case
                    .milestones
                    .iter()
                    .any(|(_, m)| *m == Milestone::Objected),
            });
        }
    }
    report.days_to_decide = Durations::of(days);
    report.exemptions = ranked(exemptions);
    report
        .rows
        .sort_by(|a, b| (a.received, &a.ticket).cmp(&(b.received, &b.ticket)));
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Channel, Privacy};
    use time::OffsetDateTime;
    use time::macros::datetime;

    fn cal() -> Calendar {
        let table: crate::calendar::HolidayTable =
            toml::from_str(crate::calendar::SHIPPED_HOLIDAYS).unwrap();
        Calendar::new(time::macros::offset!(+7), &table)
    }

    fn request(ticket: &str, received: OffsetDateTime) -> CaseFacts {
        CaseFacts {
            ticket: ticket.into(),
            kind: Kind::InfoRequest,
            category: "informasi".into(),
            lead_unit: Some("hukmas".into()),
            channel: Channel::Web,
            privacy: Privacy::Public,
            region: None,
            received_at: received,
            closed_at: None,
            breached_at: None,
            owed_due_at: None,
            milestones: Vec::new(),
            maladministration: Vec::new(),
        }
    }

    fn answered(decision: Decision, exemption: Option<&str>) -> Milestone {
        Milestone::Answered {
            decision: Some(decision),
            exemption: exemption.map(str::to_string),
        }
    }

    #[test]
    fn a_year_of_requests_is_counted_as_the_regulation_asks() {
        let year = Period {
            from: datetime!(2026-01-01 00:00 +7),
            to: datetime!(2027-01-01 00:00 +7),
        };
        // Granted in 3 working days.
        let mut a = request("INF-2026-000001", datetime!(2026-03-02 09:00 +7));
        a.milestones = vec![(
            datetime!(2026-03-05 10:00 +7),
            answered(Decision::Granted, None),
        )];
        a.closed_at = Some(datetime!(2026-03-20 10:00 +7));
        // Refused on an exemption ground, objected to, then granted in part, after an
        // extension and a breached deadline.
        let mut b = request("INF-2026-000002", datetime!(2026-06-01 09:00 +7));
        b.breached_at = Some(datetime!(2026-06-16 00:00 +7));
        b.milestones = vec![
            (datetime!(2026-06-10 10:00 +7), Milestone::Extended),
            (
                datetime!(2026-06-22 10:00 +7),
                answered(Decision::Refused, Some("Pasal 17 huruf h")),
            ),
            (datetime!(2026-06-25 10:00 +7), Milestone::Objected),
            (
                datetime!(2026-07-06 10:00 +7),
                answered(Decision::PartlyGranted, Some("Pasal 17 huruf h")),
            ),
        ];
        // Received in December, still waiting for a decision at the year's end.
        let c = request("INF-2026-000003", datetime!(2026-12-28 09:00 +7));
        // A complaint is not an information request.
        let mut d = request("ADU-2026-000004", datetime!(2026-05-04 09:00 +7));
        d.kind = Kind::Complaint;

        let r = info_service(&[a, b, c, d], year, &cal());
        assert_eq!(
            (
                r.requests,
                r.decided,
                r.granted,
                r.refused,
                r.partly_granted,
                r.pending_at_end
            ),
            (3, 2, 1, 1, 0, 1)
        );
        assert_eq!((r.decided_on_time, r.extended), (1, 1));
        assert_eq!(
            r.exemptions,
            [Count {
                key: "Pasal 17 huruf h".into(),
                cases: 1
            }]
        );
        assert_eq!(
            (
                r.objections,
                r.objections_answered,
                r.objections_granted_more
            ),
            (1, 1, 1)
        );
        // 2 to 22 June has 15 weekdays; 16 June (1 Muharram) is a holiday.
        assert_eq!(r.rows[1].working_days, Some(14));
        assert_eq!(r.rows[0].working_days, Some(3));
        assert_eq!(r.days_to_decide.cases, 2);
        assert_eq!(r.rows.len(), 3);
        assert_eq!(r.rows[2].decision, None);
    }
}
