//! Bulk import: many cases with their histories in multi-row statements, one transaction.

use super::query::{Arg, Sql, Statement};
use super::rows::json;
use crate::time_codec::to_micros;
use crate::*;
use sqlx::AnyConnection;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Rows per statement: well under both databases' limits on bound parameters.
const ROWS: usize = 60;

pub async fn import(
    conn: &mut AnyConnection,
    backend: Backend,
    cases: Vec<ImportedCase>,
    access_code: AccessCodeFn,
    counting: Option<time::UtcOffset>,
) -> Result<Vec<Ticket>> {
    let cases = Arc::new(cases);
    // What does not depend on the ids the database hands out (the events' JSON, the search
    // text, the reporters, the counters) is made on another core while the cases are written.
    let prepared = tokio::task::spawn_blocking({
        let cases = cases.clone();
        move || prepare(&cases, backend, counting)
    });
    let tickets =
        reserve_tickets(conn, backend, cases.iter().map(|c| (c.case.kind, c.year))).await?;
    // Each statement is made on another core while the one before it runs: made here, between
    // the runs, the load used one core of two (BENCHMARKS.md, session 22).
    let (ready, mut statements) = tokio::sync::mpsc::channel::<Result<Statement>>(AHEAD);
    let making = tokio::task::spawn_blocking({
        let (cases, tickets) = (cases.clone(), tickets.clone());
        move || {
            case_row_statements(backend, &cases, &tickets, &access_code, &mut |statement| {
                hand_over(&ready, statement)
            });
        }
    });
    let mut ids = HashMap::with_capacity(cases.len());
    while let Some(statement) = statements.recv().await {
        super::cases::collect_case_ids(conn, statement?, &mut ids).await?;
    }
    finished(making.await)?;
    let ids = ids_in_order(&tickets, &ids)?;
    let Prepared {
        cases: prepared,
        counts,
    } = finished(prepared.await)??;
    let (ready, mut statements) = tokio::sync::mpsc::channel::<Result<Statement>>(AHEAD);
    let making = tokio::task::spawn_blocking({
        let cases = cases.clone();
        move || {
            history_statements(backend, &cases, &ids, prepared, &mut |statement| {
                hand_over(&ready, Ok(statement))
            });
        }
    });
    while let Some(statement) = statements.recv().await {
        statement?.execute(&mut *conn).await?;
    }
    finished(making.await)?;
    if !counts.is_empty() {
        super::counts::apply(conn, backend, &counts).await?;
    }
    Ok(tickets)
}

/// The ids the database gave the cases (by ticket), in the order of `tickets`.
pub(super) fn ids_in_order(tickets: &[Ticket], ids: &HashMap<String, i64>) -> Result<Vec<i64>> {
    tickets
        .iter()
        .map(|ticket| {
            ids.get(ticket.as_str())
                .copied()
                .ok_or(StoreError::NotFound("imported case"))
        })
        .collect()
}

/// Statements made ahead of the one running.
pub(super) const AHEAD: usize = 4;

/// Sends a statement, bound, to the import running them; false once it no longer listens (it
/// failed and is rolled back).
fn hand_over(ready: &tokio::sync::mpsc::Sender<Result<Statement>>, statement: Result<Sql>) -> bool {
    ready.blocking_send(statement.map(Sql::into_query)).is_ok()
}

fn finished<T>(joined: std::result::Result<T, tokio::task::JoinError>) -> Result<T> {
    joined.map_err(|e| StoreError::corrupt(format!("preparing the import failed: {e}")))
}

/// The statements that insert the cases' rows, returning each one's id and ticket, each given
/// to `send` as soon as it is made (the first runs while the rest are made), until `send` says
/// no more.
pub(super) fn case_row_statements(
    backend: Backend,
    cases: &[ImportedCase],
    tickets: &[Ticket],
    access_code: &AccessCodeFn,
    send: &mut dyn FnMut(Result<Sql>) -> bool,
) {
    let rows = super::cases::CASE_ROWS;
    for (cases, tickets) in cases.chunks(rows).zip(tickets.chunks(rows)) {
        let records = case_records(cases, tickets, access_code);
        let rows: Vec<(&CaseRecord, Option<OffsetDateTime>)> = records
            .iter()
            .zip(cases)
            .map(|(record, item)| (record, item.next_check_at))
            .collect();
        for statement in super::cases::case_row_statements(backend, &rows) {
            if !send(statement) {
                return;
            }
        }
    }
}

/// The cases' rows, in the order of `cases`, with their tickets.
fn case_records(
    cases: &[ImportedCase],
    tickets: &[Ticket],
    access_code: &AccessCodeFn,
) -> Vec<CaseRecord> {
    cases
        .iter()
        .zip(tickets)
        .map(|(item, ticket)| {
            let case = &item.case;
            let first = item
                .events
                .first()
                .map(|e| e.at)
                .unwrap_or(item.workflow.received_at);
            CaseRecord {
                id: 0,
                access_hash: access_code(ticket).hash_for(ticket),
                ticket: ticket.clone(),
                kind: case.kind,
                title: case.title.clone(),
                privacy: case.privacy,
                channel: case.channel,
                language: case.language,
                registered_by: item.registered_by.clone(),
                created_at: first,
                updated_at: item.events.last().map(|e| e.at).unwrap_or(first),
                details: CaseDetails {
                    description: case.description.clone(),
                    event_date: case.event_date,
                    location: case.location.clone(),
                    channel_account: case.channel_account.clone(),
                    source: None,
                },
                workflow: item.workflow.clone(),
                last_seq: i64::try_from(item.events.len()).unwrap_or(0),
            }
        })
        .collect()
}

/// The statements that write what the cases (with `ids`, in their order) hold besides their
/// rows: reporters, units, the search index (SQLite) and every event, each given to `send` as
/// soon as it is made, until `send` says no more.
pub(super) fn history_statements(
    backend: Backend,
    cases: &[ImportedCase],
    ids: &[i64],
    prepared: Vec<PreparedCase>,
    send: &mut dyn FnMut(Sql) -> bool,
) {
    let mut events: Vec<(i64, i64, PreparedEvent)> = Vec::new();
    let mut rows = cases.iter().zip(ids.iter().copied()).zip(prepared);
    loop {
        let chunk: Vec<((&ImportedCase, i64), PreparedCase)> = rows.by_ref().take(ROWS).collect();
        if chunk.is_empty() {
            break;
        }
        let mut reporters = Sql::in_order(
            backend,
            "INSERT INTO case_reporters (case_id, data) VALUES ",
        );
        let mut units = Sql::in_order(
            backend,
            "INSERT INTO case_units (unit, case_id, is_lead) VALUES ",
        );
        let mut search = Sql::in_order(backend, "INSERT INTO cases_fts (rowid, body) VALUES ");
        for ((item, id), ready) in chunk {
            if let Some(reporter) = ready.reporter {
                reporters.push(
                    if reporters.args().is_empty() {
                        "(?, ?)"
                    } else {
                        ", (?, ?)"
                    },
                    vec![Arg::Int(id), Arg::Text(reporter)],
                );
            }
            let lead = item.workflow.lead_unit.as_ref();
            for unit in item.workflow.involved_units() {
                let args = vec![
                    Arg::Text(unit.clone()),
                    Arg::Int(id),
                    Arg::Int(i64::from(Some(unit) == lead)),
                ];
                let row = if units.args().is_empty() {
                    "(?, ?, ?)"
                } else {
                    ", (?, ?, ?)"
                };
                units.push(row, args);
            }
            if backend == Backend::Sqlite {
                search.push(
                    if search.args().is_empty() {
                        "(?, ?)"
                    } else {
                        ", (?, ?)"
                    },
                    vec![Arg::Int(id), Arg::Text(ready.search_text)],
                );
            }
            events.extend(
                ready
                    .events
                    .into_iter()
                    .enumerate()
                    .map(|(seq, e)| (id, i64::try_from(seq).unwrap_or(0) + 1, e)),
            );
        }
        if !reporters.args().is_empty() && !send(reporters) {
            return;
        }
        if !units.args().is_empty() {
            units.push(" ON CONFLICT DO NOTHING", vec![]);
            if !send(units) {
                return;
            }
        }
        if backend == Backend::Sqlite && !send(search) {
            return;
        }
    }
    let mut events = events.into_iter();
    loop {
        let chunk: Vec<(i64, i64, PreparedEvent)> = events.by_ref().take(ROWS * 2).collect();
        if chunk.is_empty() {
            break;
        }
        let mut sql = Sql::in_order(
            backend,
            "INSERT INTO case_events (case_id, seq, at, actor, actor_role, type, public, data) VALUES ",
        );
        for (i, (id, seq, event)) in chunk.into_iter().enumerate() {
            let args = vec![
                Arg::Int(id),
                Arg::Int(seq),
                Arg::Int(event.at),
                Arg::Text(event.actor),
                Arg::Text(event.actor_role),
                Arg::Text(event.code.into()),
                Arg::Int(i64::from(event.public)),
                Arg::Text(event.data),
            ];
            sql.push(
                if i == 0 {
                    "(?, ?, ?, ?, ?, ?, ?, ?)"
                } else {
                    ", (?, ?, ?, ?, ?, ?, ?, ?)"
                },
                args,
            );
        }
        if !send(sql) {
            return;
        }
    }
}

/// What an import writes that does not depend on the ids the database gives the cases.
pub(super) struct Prepared {
    /// In the order of the cases.
    pub cases: Vec<PreparedCase>,
    /// Changes to the monthly counters, when they are kept.
    pub counts: BTreeMap<String, i64>,
}

pub(super) struct PreparedCase {
    /// The reporter's details as stored (JSON), unless the case has no reporter.
    reporter: Option<String>,
    /// The text the search index keeps (SQLite's FTS5 table; empty on PostgreSQL, which
    /// computes it in the case's row).
    search_text: String,
    events: Vec<PreparedEvent>,
}

struct PreparedEvent {
    at: i64,
    actor: String,
    actor_role: String,
    code: &'static str,
    public: bool,
    data: String,
}

pub(super) fn prepare(
    cases: &[ImportedCase],
    backend: Backend,
    counting: Option<time::UtcOffset>,
) -> Result<Prepared> {
    let mut prepared = Vec::with_capacity(cases.len());
    let mut counts = BTreeMap::new();
    for item in cases {
        let reporter = if item.case.reporter.is_empty() {
            None
        } else {
            Some(json(&item.case.reporter)?)
        };
        let search_text = match backend {
            Backend::Sqlite => {
                aduan_domain::search::index_text(&item.case.title, &item.case.description)
            }
            Backend::Postgres => String::new(),
        };
        let events = item
            .events
            .iter()
            .map(|event| {
                Ok(PreparedEvent {
                    at: to_micros(event.at),
                    actor: event.actor.clone(),
                    actor_role: event.actor_role.clone(),
                    code: event.change.code(),
                    public: event.change.is_public(),
                    data: super::event_data::encode(event)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        if let Some(offset) = counting {
            let created_at = item
                .events
                .first()
                .map(|e| e.at)
                .unwrap_or(item.workflow.received_at);
            let facts = super::counts::Facts::new(
                item.case.kind,
                item.case.channel,
                &item.workflow,
                created_at,
            );
            for (bucket, n) in super::counts::delta(None, &facts, offset) {
                *counts.entry(bucket).or_insert(0) += n;
            }
        }
        prepared.push(PreparedCase {
            reporter,
            search_text,
            events,
        });
    }
    Ok(Prepared {
        cases: prepared,
        counts,
    })
}

/// Takes the next ticket numbers of each year for a whole batch of (kind, year) at once, in
/// the batch's order.
pub async fn reserve_tickets(
    conn: &mut AnyConnection,
    backend: Backend,
    cases: impl Iterator<Item = (aduan_domain::Kind, i32)>,
) -> Result<Vec<Ticket>> {
    let cases: Vec<_> = cases.collect();
    let mut numbers = BTreeMap::new();
    for (year, count) in cases_per_year(&cases) {
        numbers.insert(
            year,
            super::tickets::next_numbers(conn, backend, year, count).await?,
        );
    }
    assign_tickets(&cases, numbers)
}

/// How many of `cases` (kind, year) fall in each year.
pub(super) fn cases_per_year(cases: &[(aduan_domain::Kind, i32)]) -> BTreeMap<i32, i64> {
    let mut per_year: BTreeMap<i32, i64> = BTreeMap::new();
    for (_, year) in cases {
        *per_year.entry(*year).or_default() += 1;
    }
    per_year
}

/// Gives each of `cases`, in order, the next of its year's reserved `numbers`.
pub(super) fn assign_tickets(
    cases: &[(aduan_domain::Kind, i32)],
    numbers: BTreeMap<i32, Vec<i64>>,
) -> Result<Vec<Ticket>> {
    let mut numbers: BTreeMap<i32, std::vec::IntoIter<i64>> = numbers
        .into_iter()
        .map(|(year, numbers)| (year, numbers.into_iter()))
        .collect();
    let mut tickets = Vec::with_capacity(cases.len());
    for &(kind, year) in cases {
        let number = numbers
            .get_mut(&year)
            .and_then(Iterator::next)
            .ok_or(StoreError::NotFound("ticket number"))?;
        tickets.push(Ticket::new(kind, year, u64::try_from(number).unwrap_or(0)));
    }
    Ok(tickets)
}
