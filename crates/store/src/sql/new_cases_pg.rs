//! PostgreSQL writes the rows of a batch of new cases (the case, its reporter, its first event,
//! its jobs and its contact keys) with one statement. The rows travel as JSON values and
//! data-modifying `WITH` clauses insert them, so the statement's text is the same whatever the
//! batch holds: each connection prepares it once, instead of parsing and planning a new
//! multi-row statement per table for every batch size, and the batch costs one round trip
//! instead of one per table.

use super::cases::OwnedNewCase;
use super::rows::json;
use crate::time_codec::to_micros;
use crate::{CaseRecord, Result, StoreError};
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

/// One case with its reporter and first event; `i` keeps the batch's order, so that ids follow
/// ticket numbers as on SQLite.
#[derive(serde::Serialize)]
struct CaseRow<'a> {
    i: usize,
    ticket: &'a str,
    access_hash: &'a str,
    kind: &'a str,
    category: &'a str,
    state: &'a str,
    privacy: &'a str,
    channel: &'a str,
    language: &'a str,
    lead_unit: Option<&'a str>,
    title: &'a str,
    registered_by: Option<&'a str>,
    created_at: i64,
    updated_at: i64,
    due_at: Option<i64>,
    last_seq: i64,
    details: String,
    workflow: String,
    next_check_at: Option<i64>,
    closed_at: Option<i64>,
    breached_at: Option<i64>,
    search: String,
    reporter: Option<String>,
    event_at: i64,
    event_actor: &'a str,
    event_role: &'a str,
    event_type: &'a str,
    event_public: i64,
    event_data: String,
}

#[derive(serde::Serialize)]
struct JobRow<'a> {
    ticket: &'a str,
    kind: &'a str,
    case_id: Option<i64>,
    dedup_key: Option<&'a str>,
    payload: &'a str,
    secret: Option<&'a str>,
    max_attempts: i64,
    run_at: i64,
}

#[derive(serde::Serialize)]
struct ContactRow<'a> {
    ticket: &'a str,
    hash: String,
}

/// The batch's statement. `input` is read by several clauses, so PostgreSQL reads the JSON
/// once. Contact keys need no `ON CONFLICT`: each case is new and its keys differ by kind.
const INSERT_NEW_CASES: &str = "\
WITH input AS MATERIALIZED (
    SELECT * FROM json_to_recordset($1::json) AS x(
        i bigint, ticket text, access_hash text, kind text, category text, state text,
        privacy text, channel text, language text, lead_unit text, title text,
        registered_by text, created_at bigint, updated_at bigint, due_at bigint,
        last_seq bigint, details text, workflow text, next_check_at bigint, closed_at bigint,
        breached_at bigint, search text, reporter text, event_at bigint, event_actor text,
        event_role text, event_type text, event_public bigint, event_data text)
), made AS (
    INSERT INTO cases (ticket, access_hash, kind, category, state, privacy, channel, language,
        lead_unit, title, registered_by, created_at, updated_at, due_at, last_seq, details,
        workflow, next_check_at, closed_at, breached_at, search)
    SELECT ticket, access_hash, kind, category, state, privacy, channel, language, lead_unit,
        title, registered_by, created_at, updated_at, due_at, last_seq, details, workflow,
        next_check_at, closed_at, breached_at, to_tsvector('simple', search)
    FROM input ORDER BY i
    RETURNING id, ticket
), reporters AS (
    INSERT INTO case_reporters (case_id, data)
    SELECT made.id, input.reporter FROM made JOIN input ON input.ticket = made.ticket
    WHERE input.reporter IS NOT NULL
), events AS (
    INSERT INTO case_events (case_id, seq, at, actor, actor_role, type, public, data)
    SELECT made.id, 1, input.event_at, input.event_actor, input.event_role, input.event_type,
        input.event_public, input.event_data
    FROM made JOIN input ON input.ticket = made.ticket
), queued AS (
    INSERT INTO jobs (kind, case_id, dedup_key, payload, secret, state, attempts, max_attempts,
        run_at, created_at, updated_at)
    SELECT j.kind, COALESCE(j.case_id, made.id), j.dedup_key, j.payload, j.secret, 'queued', 0,
        j.max_attempts, j.run_at, j.run_at, j.run_at
    FROM json_to_recordset($2::json) AS j(ticket text, kind text, case_id bigint,
        dedup_key text, payload text, secret text, max_attempts bigint, run_at bigint)
    JOIN made ON made.ticket = j.ticket
    ON CONFLICT (dedup_key) DO NOTHING
), contacts AS (
    INSERT INTO case_contacts (hash, case_id)
    SELECT k.hash, made.id
    FROM json_to_recordset($3::json) AS k(ticket text, hash text)
    JOIN made ON made.ticket = k.ticket
)
SELECT id, ticket FROM made";

/// Inserts the rows of `records` (built from `news`, in the same order) and answers each
/// ticket's new id.
pub async fn insert(
    conn: &mut AnyConnection,
    records: &[CaseRecord],
    news: &[OwnedNewCase],
) -> Result<HashMap<String, i64>> {
    let mut cases = Vec::with_capacity(records.len());
    let mut jobs = Vec::new();
    let mut contacts = Vec::new();
    for (i, (record, new)) in records.iter().zip(news).enumerate() {
        let ticket = record.ticket.as_str();
        cases.push(case_row(i, record, new)?);
        for job in &new.jobs {
            jobs.push(JobRow {
                ticket,
                kind: &job.kind,
                case_id: job.case_id,
                dedup_key: job.dedup_key.as_deref(),
                payload: &job.payload,
                secret: job.secret.as_deref(),
                max_attempts: job.max_attempts,
                run_at: to_micros(job.run_at),
            });
        }
        for hash in aduan_domain::duplicates::contact_keys(&new.case.reporter) {
            contacts.push(ContactRow { ticket, hash });
        }
    }
    let rows = sqlx::query(INSERT_NEW_CASES)
        .bind(json(&cases)?)
        .bind(json(&jobs)?)
        .bind(json(&contacts)?)
        .fetch_all(&mut *conn)
        .await?;
    let mut ids = HashMap::with_capacity(rows.len());
    for row in rows {
        ids.insert(row.try_get::<String, _>("ticket")?, row.try_get("id")?);
    }
    if ids.len() != records.len() {
        return Err(StoreError::corrupt("a new case was not written"));
    }
    Ok(ids)
}

fn case_row<'a>(i: usize, record: &'a CaseRecord, new: &'a OwnedNewCase) -> Result<CaseRow<'a>> {
    let workflow = &record.workflow;
    let reporter = &new.case.reporter;
    let event = &new.first_event;
    Ok(CaseRow {
        i,
        ticket: record.ticket.as_str(),
        access_hash: &record.access_hash,
        kind: record.kind.code(),
        category: &workflow.category,
        state: workflow.state.code(),
        privacy: record.privacy.code(),
        channel: record.channel.code(),
        language: record.language.code(),
        lead_unit: workflow.lead_unit.as_deref(),
        title: &record.title,
        registered_by: record.registered_by.as_deref(),
        created_at: to_micros(record.created_at),
        updated_at: to_micros(record.updated_at),
        due_at: workflow.due_at.map(to_micros),
        last_seq: record.last_seq,
        details: json(&record.details)?,
        workflow: super::workflow_data::encode(workflow)?,
        next_check_at: new.next_check_at.map(to_micros),
        closed_at: workflow.closed_at.map(to_micros),
        breached_at: workflow.breached_at.map(to_micros),
        search: aduan_domain::search::index_text(&record.title, &record.details.description),
        reporter: if reporter.is_empty() {
            None
        } else {
            Some(json(reporter)?)
        },
        event_at: to_micros(event.at),
        event_actor: &event.actor,
        event_role: &event.actor_role,
        event_type: event.change.code(),
        event_public: i64::from(event.change.is_public()),
        event_data: super::event_data::encode(event)?,
    })
}
