//! The facts a period's statistics are computed from: every case open at some moment of the
//! period, with its milestones read from its events. Two ordered reads (cases, then their
//! milestone events) over the same conditions, merged by case id; no query per case.

use super::query::{Arg, Sql};
use super::rows::{code, from_json};
use crate::time_codec::{from_micros, to_micros};
use crate::*;
use aduan_domain::statistics::{CaseFacts, Filter, Milestone};
use aduan_domain::{Change, Channel, Event, Kind, Privacy, State};
use serde::Deserialize;
use sqlx::{AnyPool, Row};

const MILESTONE_TYPES: &str = "'verified', 'rejected', 'forwarded', 'answer_published', \
     'info_requested', 'info_added', 'rated', 'answer_accepted', 'objected', 'extended'";

/// Only the region of the stored details is read.
#[derive(Deserialize)]
struct DetailsRegion {
    #[serde(default)]
    location: RegionOnly,
}

#[derive(Deserialize, Default)]
struct RegionOnly {
    #[serde(default)]
    province: Option<String>,
}

/// The conditions on `c`, the cases table: open at some moment of `[from, to)`, in scope and
/// matching the filter's coded fields (the region is matched after reading the details).
fn conditions(
    sql: &mut Sql,
    units: Option<&[String]>,
    filter: &Filter,
    from: OffsetDateTime,
    to: OffsetDateTime,
) {
    sql.push(
        " c.created_at < ? AND (c.closed_at IS NULL OR c.closed_at >= ?) AND c.state <> 'merged'",
        vec![Arg::Int(to_micros(to)), Arg::Int(to_micros(from))],
    );
    if let Some(units) = units {
        if units.is_empty() {
            sql.push(" AND 1 = 0", vec![]);
        } else {
            sql.push(" AND c.lead_unit IN (", vec![]);
            sql.placeholders(units);
            sql.push(")", vec![]);
        }
    }
    let coded = [
        ("c.kind", filter.kind.map(|k| k.code().to_string())),
        ("c.category", filter.category.clone()),
        ("c.lead_unit", filter.unit.clone()),
        ("c.channel", filter.channel.map(|c| c.code().to_string())),
        ("c.privacy", filter.privacy.map(|p| p.code().to_string())),
    ];
    for (column, value) in coded {
        if let Some(value) = value {
            sql.push(&format!(" AND {column} = ?"), vec![Arg::Text(value)]);
        }
    }
}

pub async fn case_facts(
    reader: &AnyPool,
    units: Option<&[String]>,
    filter: &Filter,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Result<Vec<CaseFacts>> {
    let mut cases = Sql::new(
        "SELECT c.id, c.ticket, c.kind, c.category, c.lead_unit, c.channel, c.privacy, c.state, \
         c.created_at, c.closed_at, c.breached_at, c.due_at, c.details FROM cases c WHERE",
    );
    conditions(&mut cases, units, filter, from, to);
    cases.push(" ORDER BY c.id", vec![]);
    let mut facts: Vec<(i64, CaseFacts)> = Vec::new();
    for row in cases.query().fetch_all(reader).await? {
        let state = code(&row.try_get::<String, _>("state")?, State::parse)?;
        let due_at: Option<i64> = row.try_get("due_at")?;
        let details: DetailsRegion = from_json(&row.try_get::<String, _>("details")?)?;
        facts.push((
            row.try_get("id")?,
            CaseFacts {
                ticket: row.try_get("ticket")?,
                kind: code(&row.try_get::<String, _>("kind")?, Kind::parse)?,
                category: row.try_get("category")?,
                lead_unit: row.try_get("lead_unit")?,
                channel: code(&row.try_get::<String, _>("channel")?, Channel::parse)?,
                privacy: code(&row.try_get::<String, _>("privacy")?, Privacy::parse)?,
                region: details
                    .location
                    .province
                    .map(|p| p.trim().to_string())
                    .filter(|p| !p.is_empty()),
                received_at: from_micros(row.try_get("created_at")?)?,
                closed_at: row
                    .try_get::<Option<i64>, _>("closed_at")?
                    .map(from_micros)
                    .transpose()?,
                breached_at: row
                    .try_get::<Option<i64>, _>("breached_at")?
                    .map(from_micros)
                    .transpose()?,
                owed_due_at: due_at
                    .filter(|_| state.agency_owes())
                    .map(from_micros)
                    .transpose()?,
                milestones: Vec::new(),
            },
        ));
    }
    let mut events = Sql::new(&format!(
        "SELECT e.case_id, e.data FROM case_events e JOIN cases c ON c.id = e.case_id \
         WHERE e.type IN ({MILESTONE_TYPES}) AND"
    ));
    conditions(&mut events, units, filter, from, to);
    events.push(" ORDER BY e.case_id, e.seq", vec![]);
    let mut at = 0;
    for row in events.query().fetch_all(reader).await? {
        let case_id: i64 = row.try_get("case_id")?;
        // Both reads are ordered by case id: walk forward to the event's case.
        while facts.get(at).is_some_and(|(id, _)| *id < case_id) {
            at += 1;
        }
        let Some((_, case)) = facts.get_mut(at).filter(|(id, _)| *id == case_id) else {
            // A case created between the two reads: counted next time.
            continue;
        };
        let event: Event = from_json(&row.try_get::<String, _>("data")?)?;
        if let Some(milestone) = milestone(event.change) {
            case.milestones.push((event.at, milestone));
        }
    }
    Ok(facts
        .into_iter()
        .map(|(_, case)| case)
        .filter(|case| filter.matches(case))
        .collect())
}

fn milestone(change: Change) -> Option<Milestone> {
    Some(match change {
        Change::Verified { .. } => Milestone::Verified,
        Change::Rejected { .. } => Milestone::Rejected,
        Change::Forwarded { .. } => Milestone::Forwarded,
        Change::AnswerPublished {
            decision,
            exemption,
            ..
        } => Milestone::Answered {
            decision,
            exemption,
        },
        Change::InfoRequested { .. } => Milestone::Paused,
        Change::InfoAdded { .. } => Milestone::Resumed,
        Change::Rated { rating } => Milestone::Rated(rating),
        Change::AnswerAccepted => Milestone::Accepted,
        Change::Objected { .. } => Milestone::Objected,
        Change::Extended { .. } => Milestone::Extended,
        _ => return None,
    })
}
