//! The facts a period's statistics are computed from: every case open at some moment of the
//! period, with its milestones read from its events. The cases are read once, in id order; their
//! milestone events are then read by those ids, a few hundred cases per query, and merged in
//! order; no query per case, and the period's conditions are evaluated once.
//!
//! "Open at some moment of `[from, to)`" is read as two index-bounded halves rather than one
//! condition no index can bound: the cases that ended at or after `from` (the index of
//! closures), and the cases still open (the partial index of open cases), each created before
//! `to`. SQLite is told which index each half reads (`INDEXED BY`): left to itself, the
//! SQLite built into Aduan read the whole table (760 MB at a million cases) for every month.
//! The creation bound is written `+c.created_at` so that PostgreSQL does not trade the index of
//! closures for a walk through every older case either, and the rows are put in id order here
//! rather than by an `ORDER BY`, which also led SQLite to read the table in id order.

use super::native::{NativeReader, Reads};
use super::query::{Arg, Sql};
use super::rows::{Columns, code, from_json};
use crate::time_codec::{from_micros, to_micros};
use crate::*;
use aduan_domain::statistics::{CaseFacts, Filter, Milestone};
use aduan_domain::{Change, Channel, Event, Kind, Privacy, State};
use sqlx::AnyPool;

const MILESTONE_TYPES: &str = "'verified', 'rejected', 'forwarded', 'answer_published', \
     'info_requested', 'info_added', 'rated', 'answer_accepted', 'objected', 'extended', \
     'classified'";

/// The milestones whose event data matter (a decision, a rating, the forms alleged); the
/// others are known by their type and time, so their data is not read at all.
const TYPES_WITH_DATA: &str = "'answer_published', 'rated', 'classified'";

/// The province of the stored details, extracted by the database: reading each case's whole
/// details (its description above all) would move and parse far more than the statistics use.
fn province(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "CAST(json_extract(c.details, '$.location.province') AS TEXT)",
        Backend::Postgres => "(c.details::json #>> '{location,province}')",
    }
}

/// The cases open at some moment of `[from, to)` as a `SELECT <columns> … UNION ALL SELECT …`
/// of two halves: those that ended at or after the start (merged cases are counted in the case
/// they joined), and those not ended yet (the states of the partial index `cases_open_backlog`).
fn open_in_period(
    sql: &mut Sql,
    backend: Backend,
    columns: &str,
    units: Option<&[String]>,
    filter: &Filter,
    from: OffsetDateTime,
    to: OffsetDateTime,
) {
    let (before_end, since_start) = (to_micros(to), to_micros(from));
    let halves = [
        (
            "cases_by_closed",
            " c.closed_at >= ? AND +c.created_at < ? AND c.state <> 'merged'",
            vec![Arg::Int(since_start), Arg::Int(before_end)],
        ),
        (
            "cases_open_backlog",
            " c.state NOT IN ('closed', 'rejected', 'forwarded', 'merged') \
             AND c.closed_at IS NULL AND +c.created_at < ?",
            vec![Arg::Int(before_end)],
        ),
    ];
    for (i, (index, period, args)) in halves.into_iter().enumerate() {
        let index = match backend {
            Backend::Sqlite => format!(" INDEXED BY {index}"),
            Backend::Postgres => String::new(),
        };
        let union = if i == 0 { "" } else { " UNION ALL" };
        sql.push(
            &format!("{union} SELECT {columns} FROM cases c{index} WHERE"),
            vec![],
        );
        sql.push(period, args);
        conditions(sql, units, filter);
    }
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
    reads: Reads<'_>,
    backend: Backend,
    units: Option<&[String]>,
    filter: &Filter,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Result<Vec<CaseFacts>> {
    let mut cases = Sql::new("");
    let columns = format!(
        "c.id, c.ticket, c.kind, c.category, c.lead_unit, c.channel, c.privacy, c.state, \
         c.created_at, c.closed_at, c.breached_at, c.due_at, {} AS region",
        province(backend)
    );
    open_in_period(&mut cases, backend, &columns, units, filter, from, to);
    let facts = match reads.scans {
        // Hundreds of thousands of rows: read on a thread of their own, not one that answers
        // requests.
        Some(native) => {
            let native = native.clone();
            tokio::task::spawn_blocking(move || native_facts(&native, &cases))
                .await
                .map_err(|e| StoreError::corrupt(format!("the facts read stopped: {e}")))??
        }
        None => pooled_facts(reads.pool, &cases).await?,
    };
    Ok(facts
        .into_iter()
        .map(|(_, case)| case)
        .filter(|case| filter.matches(case))
        .collect())
}

async fn pooled_facts(pool: &AnyPool, cases: &Sql) -> Result<Vec<(i64, CaseFacts)>> {
    let mut facts = Vec::new();
    for row in cases.query().fetch_all(pool).await? {
        facts.push(facts_from_row(&row)?);
    }
    facts.sort_unstable_by_key(|(id, _)| *id);
    for chunk in facts.chunks_mut(EVENTS_PER_QUERY) {
        let mut merge = Merge::default();
        for row in milestones_of(chunk).query().fetch_all(pool).await? {
            merge.add(chunk, &row)?;
        }
    }
    Ok(facts)
}

fn native_facts(native: &NativeReader, cases: &Sql) -> Result<Vec<(i64, CaseFacts)>> {
    let mut facts = Vec::new();
    native.each(cases, |row| {
        facts.push(facts_from_row(row)?);
        Ok(())
    })?;
    facts.sort_unstable_by_key(|(id, _)| *id);
    for chunk in facts.chunks_mut(EVENTS_PER_QUERY) {
        let mut merge = Merge::default();
        native.each(&milestones_of(chunk), |row| merge.add(chunk, row))?;
    }
    Ok(facts)
}

fn facts_from_row(row: &dyn Columns) -> Result<(i64, CaseFacts)> {
    let state = code(&row.text("state")?, State::parse)?;
    let time = |name: &str| row.opt_int(name)?.map(from_micros).transpose();
    Ok((
        row.int("id")?,
        CaseFacts {
            ticket: row.text("ticket")?,
            kind: code(&row.text("kind")?, Kind::parse)?,
            category: row.text("category")?,
            lead_unit: row.opt_text("lead_unit")?,
            channel: code(&row.text("channel")?, Channel::parse)?,
            privacy: code(&row.text("privacy")?, Privacy::parse)?,
            region: row
                .opt_text("region")?
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty()),
            received_at: from_micros(row.int("created_at")?)?,
            closed_at: time("closed_at")?,
            breached_at: time("breached_at")?,
            owed_due_at: time("due_at")?.filter(|_| state.agency_owes()),
            milestones: Vec::new(),
            maladministration: Vec::new(),
        },
    ))
}

/// Cases whose events one query reads: few enough for any database's limit on parameters.
const EVENTS_PER_QUERY: usize = 500;

/// The milestone events of `cases` (ordered by id), in the same order.
fn milestones_of(cases: &[(i64, CaseFacts)]) -> Sql {
    let mut events = Sql::new(&format!(
        "SELECT e.case_id, e.type, e.at, \
         CASE WHEN e.type IN ({TYPES_WITH_DATA}) THEN e.data END AS data FROM case_events e \
         WHERE e.type IN ({MILESTONE_TYPES}) AND e.case_id IN ("
    ));
    let marks = vec!["?"; cases.len()].join(", ");
    events.push(&marks, cases.iter().map(|(id, _)| Arg::Int(*id)).collect());
    events.push(") ORDER BY e.case_id, e.seq", vec![]);
    events
}

/// Adds milestone events, read in case order, to their cases.
#[derive(Default)]
struct Merge {
    at: usize,
}

impl Merge {
    fn add(&mut self, cases: &mut [(i64, CaseFacts)], row: &dyn Columns) -> Result<()> {
        let case_id = row.int("case_id")?;
        // Both are ordered by case id: walk forward to the event's case.
        while cases.get(self.at).is_some_and(|(id, _)| *id < case_id) {
            self.at += 1;
        }
        let Some((_, case)) = cases.get_mut(self.at).filter(|(id, _)| *id == case_id) else {
            return Ok(());
        };
        let at = from_micros(row.int("at")?)?;
        let kind = row.text("type")?;
        let milestone = match (kind.as_str(), row.opt_text("data")?) {
            (_, Some(data)) => match from_json::<Event>(&data)?.change {
                Change::Classified { maladministration } => {
                    // Events are in order: the last classification stands.
                    case.maladministration = maladministration;
                    None
                }
                change => milestone(change),
            },
            ("verified", None) => Some(Milestone::Verified),
            ("rejected", None) => Some(Milestone::Rejected),
            ("forwarded", None) => Some(Milestone::Forwarded),
            ("info_requested", None) => Some(Milestone::Paused),
            ("info_added", None) => Some(Milestone::Resumed),
            ("answer_accepted", None) => Some(Milestone::Accepted),
            ("objected", None) => Some(Milestone::Objected),
            ("extended", None) => Some(Milestone::Extended),
            _ => None,
        };
        if let Some(milestone) = milestone {
            case.milestones.push((at, milestone));
        }
        Ok(())
    }
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
