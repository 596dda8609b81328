//! Bulk import: many cases with their histories in multi-row statements, one transaction.

use super::query::{Arg, Sql};
use super::rows::json;
use crate::time_codec::to_micros;
use crate::*;
use sqlx::AnyConnection;
use std::collections::BTreeMap;

/// Rows per statement: well under both databases' limits on bound parameters.
const ROWS: usize = 60;

pub async fn import(
    conn: &mut AnyConnection,
    backend: Backend,
    cases: Vec<ImportedCase>,
    access_code: AccessCodeFn,
    counting: Option<time::UtcOffset>,
) -> Result<Vec<Ticket>> {
    let cases = std::sync::Arc::new(cases);
    // What does not depend on the ids the database hands out (the events' JSON, the search
    // text, the reporters, the counters) is made on another core while the cases are written.
    let prepared = tokio::task::spawn_blocking({
        let cases = cases.clone();
        move || prepare(&cases, backend, counting)
    });
    let tickets =
        reserve_tickets(conn, backend, cases.iter().map(|c| (c.case.kind, c.year))).await?;
    let mut records = Vec::with_capacity(cases.len());
    for (item, ticket) in cases.iter().zip(&tickets) {
        let case = &item.case;
        let first = item
            .events
            .first()
            .map(|e| e.at)
            .unwrap_or(item.workflow.received_at);
        records.push(CaseRecord {
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
        });
    }
    let rows: Vec<(&CaseRecord, Option<OffsetDateTime>)> = records
        .iter()
        .zip(cases.iter())
        .map(|(record, item)| (record, item.next_check_at))
        .collect();
    let ids = super::cases::insert_case_rows(conn, backend, &rows).await?;
    let id_of = |ticket: &Ticket| {
        ids.get(ticket.as_str())
            .copied()
            .ok_or(StoreError::NotFound("imported case"))
    };

    let prepared = prepared
        .await
        .map_err(|e| StoreError::corrupt(format!("preparing the import failed: {e}")))??;
    let mut rows: Vec<(i64, &ImportedCase, &PreparedCase)> = Vec::with_capacity(cases.len());
    for ((item, ticket), ready) in cases.iter().zip(&tickets).zip(&prepared.cases) {
        rows.push((id_of(ticket)?, item, ready));
    }
    for chunk in rows.chunks(ROWS) {
        let with_reporter: Vec<(i64, &String)> = chunk
            .iter()
            .filter_map(|(id, _, ready)| ready.reporter.as_ref().map(|r| (*id, r)))
            .collect();
        if !with_reporter.is_empty() {
            let mut sql = Sql::in_order(
                backend,
                "INSERT INTO case_reporters (case_id, data) VALUES ",
            );
            for (i, (id, reporter)) in with_reporter.iter().enumerate() {
                sql.push(
                    if i == 0 { "(?, ?)" } else { ", (?, ?)" },
                    vec![Arg::Int(*id), Arg::Text((*reporter).clone())],
                );
            }
            sql.query().execute(&mut *conn).await?;
        }
        let units: Vec<(i64, &String, bool)> = chunk
            .iter()
            .flat_map(|(id, item, _)| {
                let lead = item.workflow.lead_unit.as_ref();
                item.workflow
                    .involved_units()
                    .map(move |u| (*id, u, Some(u) == lead))
            })
            .collect();
        if !units.is_empty() {
            let mut sql = Sql::in_order(
                backend,
                "INSERT INTO case_units (unit, case_id, is_lead) VALUES ",
            );
            for (i, (id, unit, lead)) in units.iter().enumerate() {
                let args = vec![
                    Arg::Text((*unit).clone()),
                    Arg::Int(*id),
                    Arg::Int(i64::from(*lead)),
                ];
                sql.push(if i == 0 { "(?, ?, ?)" } else { ", (?, ?, ?)" }, args);
            }
            sql.push(" ON CONFLICT DO NOTHING", vec![]);
            sql.query().execute(&mut *conn).await?;
        }
        if backend == Backend::Sqlite {
            let mut sql = Sql::in_order(backend, "INSERT INTO cases_fts (rowid, body) VALUES ");
            for (i, (id, _, ready)) in chunk.iter().enumerate() {
                sql.push(
                    if i == 0 { "(?, ?)" } else { ", (?, ?)" },
                    vec![Arg::Int(*id), Arg::Text(ready.search_text.clone())],
                );
            }
            sql.query().execute(&mut *conn).await?;
        }
    }
    let events: Vec<(i64, i64, &PreparedEvent)> = rows
        .iter()
        .flat_map(|(id, _, ready)| {
            ready
                .events
                .iter()
                .enumerate()
                .map(move |(seq, e)| (*id, i64::try_from(seq).unwrap_or(0) + 1, e))
        })
        .collect();
    for chunk in events.chunks(ROWS * 2) {
        let mut sql = Sql::in_order(
            backend,
            "INSERT INTO case_events (case_id, seq, at, actor, actor_role, type, public, data) VALUES ",
        );
        for (i, (id, seq, event)) in chunk.iter().enumerate() {
            let args = vec![
                Arg::Int(*id),
                Arg::Int(*seq),
                Arg::Int(event.at),
                Arg::Text(event.actor.clone()),
                Arg::Text(event.actor_role.clone()),
                Arg::Text(event.code.into()),
                Arg::Int(i64::from(event.public)),
                Arg::Text(event.data.clone()),
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
        sql.query().execute(&mut *conn).await?;
    }
    if !prepared.counts.is_empty() {
        super::counts::apply(conn, backend, &prepared.counts).await?;
    }
    Ok(tickets)
}

/// What an import writes that does not depend on the ids the database gives the cases.
struct Prepared {
    /// In the order of the cases.
    cases: Vec<PreparedCase>,
    /// Changes to the monthly counters, when they are kept.
    counts: BTreeMap<String, i64>,
}

struct PreparedCase {
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

fn prepare(
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
                    data: json(event)?,
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
    let mut per_year: BTreeMap<i32, i64> = BTreeMap::new();
    for (_, year) in &cases {
        *per_year.entry(*year).or_default() += 1;
    }
    let mut numbers: BTreeMap<i32, std::vec::IntoIter<i64>> = BTreeMap::new();
    for (year, count) in per_year {
        numbers.insert(
            year,
            super::tickets::next_numbers(conn, backend, year, count)
                .await?
                .into_iter(),
        );
    }
    let mut tickets = Vec::with_capacity(cases.len());
    for (kind, year) in cases {
        let number = numbers
            .get_mut(&year)
            .and_then(Iterator::next)
            .ok_or(StoreError::NotFound("ticket number"))?;
        tickets.push(Ticket::new(kind, year, u64::try_from(number).unwrap_or(0)));
    }
    Ok(tickets)
}
