//! The facts a period's statistics are computed from: every case open at some moment of the
//! period, with its milestones read from its events. Two ordered reads (cases, then their
//! milestone events) over the same conditions, merged by case id; no query per case.
//!
//! "Open at some moment of `[from, to)`" is read as two index-bounded halves rather than one
//! condition no index can bound: the cases that ended at or after `from` (the index of
//! closures), and the cases still open (the partial index of open cases), each created before
//! `to`. For the recent months people ask about, both halves are small at any table size.

use super::query::{Arg, Sql};
use super::rows::{code, from_json};
use crate::time_codec::{from_micros, to_micros};
use crate::*;
use aduan_domain::statistics::{CaseFacts, Filter, Milestone};
use aduan_domain::{Change, Channel, Event, Kind, Privacy, State};
use serde::Deserialize;
use sqlx::{AnyPool, Row};

const MILESTONE_TYPES: &str = "'verified', 'rejected', 'forwarded', 'answer_published', \
     'info_requested', 'info_added', 'rated', 'answer_accepted', 'objected', 'extended', \
     'classified'";

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

/// The two halves of the cases open at some moment of a period.
#[derive(Clone, Copy)]
enum Half {
    /// Ended at or after the period's start (merged cases are counted in the case they joined).
    EndedSince,
    /// Not ended yet: the states of the partial index `cases_open_backlog`.
    StillOpen,
}

/// The condition of one half of the cases, as a `SELECT <columns> FROM cases c WHERE …`.
fn cases_of(
    sql: &mut Sql,
    columns: &str,
    half: Half,
    units: Option<&[String]>,
    filter: &Filter,
    from: OffsetDateTime,
    to: OffsetDateTime,
) {
    sql.push(&format!(" SELECT {columns} FROM cases c WHERE"), vec![]);
    match half {
        Half::EndedSince => sql.push(
            " c.closed_at >= ? AND c.created_at < ? AND c.state <> 'merged'",
            vec![Arg::Int(to_micros(from)), Arg::Int(to_micros(to))],
        ),
        Half::StillOpen => sql.push(
            " c.state NOT IN ('closed', 'rejected', 'forwarded', 'merged') \
             AND c.closed_at IS NULL AND c.created_at < ?",
            vec![Arg::Int(to_micros(to))],
        ),
    };
    conditions(sql, units, filter);
}

/// Both halves, one after the other.
fn open_in_period(
    sql: &mut Sql,
    columns: &str,
    units: Option<&[String]>,
    filter: &Filter,
    from: OffsetDateTime,
    to: OffsetDateTime,
) {
    cases_of(sql, columns, Half::EndedSince, units, filter, from, to);
    sql.push(" UNION ALL", vec![]);
    cases_of(sql, columns, Half::StillOpen, units, filter, from, to);
}

/// The conditions on `c`, the cases table, besides the period: in scope and matching the
/// filter's coded fields (the region is matched after reading the details).
fn conditions(sql: &mut Sql, units: Option<&[String]>, filter: &Filter) {
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
    let mut cases = Sql::new("SELECT * FROM (");
    open_in_period(
        &mut cases,
        "c.id, c.ticket, c.kind, c.category, c.lead_unit, c.channel, c.privacy, c.state, \
         c.created_at, c.closed_at, c.breached_at, c.due_at, c.details",
        units,
        filter,
        from,
        to,
    );
    cases.push(") AS facts ORDER BY id", vec![]);
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
                maladministration: Vec::new(),
            },
        ));
    }
    let mut events = Sql::new(&format!(
        "SELECT e.case_id, e.data FROM case_events e \
         WHERE e.type IN ({MILESTONE_TYPES}) AND e.case_id IN ("
    ));
    open_in_period(&mut events, "c.id", units, filter, from, to);
    events.push(") ORDER BY e.case_id, e.seq", vec![]);
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
        if let Change::Classified { maladministration } = event.change {
            // Events are in order: the last classification stands.
            case.maladministration = maladministration;
        } else if let Some(milestone) = milestone(event.change) {
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
