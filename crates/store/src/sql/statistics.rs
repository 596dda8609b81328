//! The facts a period's statistics are computed from: every case open at some moment of the
//! period, with its milestones read from its events. The ids of the period's cases are read
//! once, so the period's conditions are evaluated once; the cases and their milestone events are
//! then read by id, a few hundred cases per query, merged in id order and handed over chunk by
//! chunk: no query per case, and no more than a few chunks in memory.
//!
//! "Open at some moment of `[from, to)`" is read as two index-bounded halves rather than one
//! condition no index can bound: the cases that ended at or after `from` (the index of
//! closures), and the cases still open (the partial index of open cases), each created before
//! `to`. SQLite is told which index each half reads (`INDEXED BY`): left to itself, the
//! SQLite built into Aduan read the whole table (760 MB at a million cases) for every month.
//! The creation bound is written `+c.created_at` so that PostgreSQL does not trade the index of
//! closures for a walk through every older case either, and the ids are put in order here rather
//! than by an `ORDER BY`, which also led SQLite to read the table in id order.

use super::native::{NativeReader, Reads};
use super::query::{Arg, Sql};
use super::rows::{Columns, code};
use crate::time_codec::{from_micros, to_micros};
use crate::*;
use aduan_domain::statistics::{CaseFacts, Filter, Milestone};
use aduan_domain::{Change, Channel, Kind, Privacy, State};
use futures_util::TryStreamExt;

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

/// Hands `each` the facts of every case open at some moment of `[from, to)`, within `units` and
/// matching `filter`, in id order. Only the ids are read for the whole period; the cases and
/// their milestones are then read a few hundred at a time, so that a year of a million cases
/// never sits in memory at once.
pub async fn each_case_facts(
    reads: Reads<'_>,
    backend: Backend,
    units: Option<&[String]>,
    filter: &Filter,
    from: OffsetDateTime,
    to: OffsetDateTime,
    each: &mut (dyn FnMut(CaseFacts) + Send),
) -> Result<()> {
    let mut ids_query = Sql::new("");
    open_in_period(&mut ids_query, backend, "c.id", units, filter, from, to);
    let mut take = |chunk: Vec<CaseFacts>| {
        for case in chunk.into_iter().filter(|case| filter.matches(case)) {
            each(case);
        }
    };
    match reads.scans {
        Some(native) => {
            // Hundreds of thousands of rows: read on a thread of their own, not one that
            // answers requests, a couple of chunks ahead of the caller.
            let native = native.clone();
            let (sender, mut chunks) = tokio::sync::mpsc::channel(2);
            let reading = tokio::task::spawn_blocking(move || {
                let read = native_chunks(&native, backend, &ids_query, |chunk| {
                    sender.blocking_send(Ok(chunk)).is_ok()
                });
                if let Err(e) = read {
                    let _ = sender.blocking_send(Err(e));
                }
            });
            while let Some(chunk) = chunks.recv().await {
                take(chunk?);
            }
            reading
                .await
                .map_err(|e| StoreError::corrupt(format!("the facts read stopped: {e}")))
        }
        None => {
            // Streamed, so that only the ids are kept, not a row for each.
            let mut ids = Vec::new();
            let mut rows = ids_query.query().fetch(reads.pool);
            while let Some(row) = rows.try_next().await? {
                ids.push(row.int("id")?);
            }
            // Its connection goes back to the pool before the chunks' queries.
            drop(rows);
            ids.sort_unstable();
            for chunk in ids.chunks(EVENTS_PER_QUERY) {
                let mut cases = Vec::with_capacity(chunk.len());
                for row in cases_by_id(backend, chunk)
                    .query()
                    .fetch_all(reads.pool)
                    .await?
                {
                    cases.push(facts_from_row(&row)?);
                }
                cases.sort_unstable_by_key(|(id, _)| *id);
                let mut merge = Merge::default();
                for row in milestones_of(backend, &cases)
                    .query()
                    .fetch_all(reads.pool)
                    .await?
                {
                    merge.add(&mut cases, &row)?;
                }
                take(cases.into_iter().map(|(_, case)| case).collect());
            }
            Ok(())
        }
    }
}

/// Reads the cases of `ids` (a query of case ids) and their milestones a chunk at a time, in id
/// order, handing each chunk to `send` until it answers `false` (nobody is listening any more).
fn native_chunks(
    native: &NativeReader,
    backend: Backend,
    ids: &Sql,
    mut send: impl FnMut(Vec<CaseFacts>) -> bool,
) -> Result<()> {
    let mut ids = native.rows(ids, |row| row.int("id"))?;
    ids.sort_unstable();
    for chunk in ids.chunks(EVENTS_PER_QUERY) {
        let mut cases = native.rows(&cases_by_id(backend, chunk), |row| facts_from_row(row))?;
        cases.sort_unstable_by_key(|(id, _)| *id);
        let mut merge = Merge::default();
        native.each(&milestones_of(backend, &cases), |row| {
            merge.add(&mut cases, row)
        })?;
        if !send(cases.into_iter().map(|(_, case)| case).collect()) {
            break;
        }
    }
    Ok(())
}

/// The columns the facts are made of, for cases chosen by id.
fn cases_by_id(backend: Backend, ids: &[i64]) -> Sql {
    let mut cases = Sql::in_order(
        backend,
        &format!(
            "SELECT c.id, c.ticket, c.kind, c.category, c.lead_unit, c.channel, c.privacy, \
             c.state, c.created_at, c.closed_at, c.breached_at, c.due_at, {} AS region \
             FROM cases c WHERE c.id IN (",
            province(backend)
        ),
    );
    cases.push(
        &vec!["?"; ids.len()].join(", "),
        ids.iter().copied().map(Arg::Int).collect(),
    );
    cases.push(")", vec![]);
    cases
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
fn milestones_of(backend: Backend, cases: &[(i64, CaseFacts)]) -> Sql {
    let mut events = Sql::in_order(
        backend,
        &format!(
            "SELECT e.case_id, e.type, e.at, \
         CASE WHEN e.type IN ({TYPES_WITH_DATA}) THEN e.data END AS data FROM case_events e \
         WHERE e.type IN ({MILESTONE_TYPES}) AND e.case_id IN ("
        ),
    );
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
            (_, Some(data)) => match super::event_data::change(&data)? {
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
