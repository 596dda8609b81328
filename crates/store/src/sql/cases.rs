//! Cases, their events, reporters and lists.

use super::native::Reads;
use super::query::{Arg, OWED_STATES, Sql, Statement, push_scope};
use super::rows::*;
use super::search_plan::SearchPath;
use crate::time_codec::to_micros;
use crate::*;
use sqlx::{AnyConnection, AnyPool, Row};

/// `NewCaseRecord` with owned data, so that the write can wait in the writer's queue.
#[derive(Clone)]
pub struct OwnedNewCase {
    pub(super) case: aduan_domain::NewCase,
    pub(super) workflow: Workflow,
    pub(super) access_code: AccessCode,
    pub(super) first_event: Event,
    pub(super) registered_by: Option<String>,
    pub(super) year: i32,
    pub(super) jobs: Vec<NewJob>,
    pub(super) attachments: Vec<NewAttachment>,
    pub(super) next_check_at: Option<OffsetDateTime>,
    pub(super) source: Option<aduan_domain::external::ExternalSource>,
    pub(super) backend: Backend,
    pub(super) counting: Option<time::UtcOffset>,
}

impl OwnedNewCase {
    pub fn new(
        new: NewCaseRecord<'_>,
        backend: Backend,
        counting: Option<time::UtcOffset>,
    ) -> Self {
        Self {
            backend,
            counting,
            case: new.case.clone(),
            workflow: new.workflow.clone(),
            access_code: new.access_code.clone(),
            first_event: new.first_event.clone(),
            registered_by: new.registered_by.map(str::to_string),
            year: new.year,
            jobs: new.jobs.to_vec(),
            attachments: new.attachments.to_vec(),
            next_check_at: new.next_check_at,
            source: new.source.cloned(),
        }
    }
}

/// Creates one case: [`create_many`] with a batch of one, so that both paths write the same rows.
pub async fn create(conn: &mut AnyConnection, new: OwnedNewCase) -> Result<CaseRecord> {
    create_many(conn, std::slice::from_ref(&new))
        .await?
        .pop()
        .ok_or(StoreError::NotFound("created case"))
}

/// Creates several cases with one statement per table instead of one per case and table: the
/// SQLite writer uses it for the submissions that arrive together, because there every
/// statement is a hand-off to the connection's thread and back. Gives the same records, in
/// order, as [`create`] one by one would; on any error the caller rolls back and does that.
pub async fn create_many(
    conn: &mut AnyConnection,
    news: &[OwnedNewCase],
) -> Result<Vec<CaseRecord>> {
    use std::collections::BTreeMap;
    let Some(backend) = news.first().map(|n| n.backend) else {
        return Ok(Vec::new());
    };
    let tickets =
        super::import::reserve_tickets(conn, backend, news.iter().map(|n| (n.case.kind, n.year)))
            .await?;
    let mut records = Vec::with_capacity(news.len());
    for (new, ticket) in news.iter().zip(tickets) {
        let case = &new.case;
        let now = new.first_event.at;
        records.push(CaseRecord {
            id: 0,
            access_hash: new.access_code.hash_for(&ticket),
            ticket,
            kind: case.kind,
            title: case.title.clone(),
            privacy: case.privacy,
            channel: case.channel,
            language: case.language,
            registered_by: new.registered_by.clone(),
            created_at: now,
            updated_at: now,
            details: CaseDetails {
                description: case.description.clone(),
                event_date: case.event_date,
                location: case.location.clone(),
                channel_account: case.channel_account.clone(),
                source: new.source.clone(),
            },
            workflow: new.workflow.clone(),
            last_seq: 1,
        });
    }
    let ids = match backend {
        Backend::Postgres => super::new_cases_pg::insert(conn, &records, news).await?,
        Backend::Sqlite => insert_rows_sqlite(conn, &records, news).await?,
    };
    let mut delta = BTreeMap::new();
    for (new, record) in news.iter().zip(&mut records) {
        record.id = ids
            .get(record.ticket.as_str())
            .copied()
            .ok_or(StoreError::NotFound("created case"))?;
        if let Some(offset) = new.counting {
            let facts = super::counts::Facts::of(record);
            for (bucket, n) in super::counts::delta(None, &facts, offset) {
                *delta.entry(bucket).or_insert(0) += n;
            }
        }
    }
    for (new, record) in news.iter().zip(&records) {
        insert_attachments(conn, record.id, record.created_at, &new.attachments).await?;
    }
    let sources: Vec<(i64, OffsetDateTime, &aduan_domain::external::ExternalSource)> = news
        .iter()
        .zip(&records)
        .filter_map(|(new, record)| Some((record.id, record.created_at, new.source.as_ref()?)))
        .collect();
    insert_sources(conn, &sources).await?;
    super::counts::apply(conn, backend, &delta).await?;
    Ok(records)
}

/// SQLite's rows of new cases: one multi-row statement per table (SQLite prepares them in
/// microseconds, and the batch has no round trips to save).
async fn insert_rows_sqlite(
    conn: &mut AnyConnection,
    records: &[CaseRecord],
    news: &[OwnedNewCase],
) -> Result<std::collections::HashMap<String, i64>> {
    let rows: Vec<(&CaseRecord, Option<OffsetDateTime>)> = records
        .iter()
        .zip(news)
        .map(|(record, new)| (record, new.next_check_at))
        .collect();
    let backend = Backend::Sqlite;
    let ids = insert_case_rows(conn, backend, &rows).await?;
    let id_of = |record: &CaseRecord| {
        ids.get(record.ticket.as_str())
            .copied()
            .ok_or(StoreError::NotFound("created case"))
    };
    let mut reporters = Sql::in_order(
        backend,
        "INSERT INTO case_reporters (case_id, data) VALUES ",
    );
    let mut events = Sql::in_order(
        backend,
        "INSERT INTO case_events (case_id, seq, at, actor, actor_role, type, public, data) VALUES ",
    );
    let mut fts = Sql::in_order(backend, "INSERT INTO cases_fts (rowid, body) VALUES ");
    let mut any_reporter = false;
    let mut jobs = Vec::new();
    let mut contacts = Vec::new();
    for (i, (new, record)) in news.iter().zip(records).enumerate() {
        let id = id_of(record)?;
        let comma = if i == 0 { "" } else { ", " };
        if !new.case.reporter.is_empty() {
            let sep = if any_reporter { ", " } else { "" };
            reporters.push(
                &format!("{sep}(?, ?)"),
                vec![Arg::Int(id), Arg::Text(json(&new.case.reporter)?)],
            );
            any_reporter = true;
        }
        let event = &new.first_event;
        events.push(
            &format!("{comma}(?, 1, ?, ?, ?, ?, ?, ?)"),
            vec![
                Arg::Int(id),
                Arg::Int(to_micros(event.at)),
                Arg::Text(event.actor.clone()),
                Arg::Text(event.actor_role.clone()),
                Arg::Text(event.change.code().into()),
                Arg::Int(i64::from(event.change.is_public())),
                Arg::Text(super::event_data::encode(event)?),
            ],
        );
        fts.push(
            &format!("{comma}(?, ?)"),
            vec![
                Arg::Int(id),
                Arg::Text(aduan_domain::search::index_text(
                    &record.title,
                    &record.details.description,
                )),
            ],
        );
        for job in &new.jobs {
            jobs.push((id, job));
        }
        for key in aduan_domain::duplicates::contact_keys(&new.case.reporter) {
            contacts.push((id, key));
        }
    }
    if any_reporter {
        reporters.query().execute(&mut *conn).await?;
    }
    events.query().execute(&mut *conn).await?;
    fts.query().execute(&mut *conn).await?;
    super::jobs::insert_many(conn, backend, &jobs).await?;
    insert_contacts(conn, backend, &contacts).await?;
    Ok(ids)
}

/// Rows per multi-row insert of cases: 21 values each, well under both databases' limits on
/// bound parameters.
pub const CASE_ROWS: usize = 100;

/// Inserts case rows (each with its next check time) in multi-row statements, for the
/// submissions of a batch and for bulk imports; answers each ticket's new id.
pub async fn insert_case_rows(
    conn: &mut AnyConnection,
    backend: Backend,
    rows: &[(&CaseRecord, Option<OffsetDateTime>)],
) -> Result<std::collections::HashMap<String, i64>> {
    let mut ids = std::collections::HashMap::with_capacity(rows.len());
    for sql in case_row_statements(backend, rows) {
        collect_case_ids(conn, sql?.into_query(), &mut ids).await?;
    }
    Ok(ids)
}

/// Runs a statement of `case_row_statements`, adding the ids of its cases, by ticket, to `ids`.
pub async fn collect_case_ids(
    conn: &mut AnyConnection,
    statement: Statement,
    ids: &mut std::collections::HashMap<String, i64>,
) -> Result<()> {
    for row in statement.fetch_all(&mut *conn).await? {
        ids.insert(row.try_get("ticket")?, row.try_get("id")?);
    }
    Ok(())
}

/// The multi-row statements that insert `rows`, returning each case's id and ticket.
pub fn case_row_statements<'a>(
    backend: Backend,
    rows: &'a [(&CaseRecord, Option<OffsetDateTime>)],
) -> impl Iterator<Item = Result<Sql>> + 'a {
    let (search, search_value) = match backend {
        Backend::Sqlite => ("", ""),
        Backend::Postgres => (", search", ", to_tsvector('simple', ?)"),
    };
    rows.chunks(CASE_ROWS).map(move |chunk| {
        let mut sql = Sql::in_order(
            backend,
            &format!(
                "INSERT INTO cases (ticket, access_hash, kind, category, state, privacy, channel, language, \
             lead_unit, title, registered_by, created_at, updated_at, due_at, last_seq, details, workflow, \
             next_check_at, closed_at, breached_at{search}) VALUES "
            ),
        );
        for (i, (record, next_check_at)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ", vec![]);
            }
            let workflow = &record.workflow;
            let mut args = vec![
                Arg::Text(record.ticket.as_str().to_string()),
                Arg::Text(record.access_hash.clone()),
                Arg::Text(record.kind.code().into()),
                Arg::Text(workflow.category.clone()),
                Arg::Text(workflow.state.code().into()),
                Arg::Text(record.privacy.code().into()),
                Arg::Text(record.channel.code().into()),
                Arg::Text(record.language.code().into()),
                Arg::OptText(workflow.lead_unit.clone()),
                Arg::Text(record.title.clone()),
                Arg::OptText(record.registered_by.clone()),
                Arg::Int(to_micros(record.created_at)),
                Arg::Int(to_micros(record.updated_at)),
                Arg::OptInt(workflow.due_at.map(to_micros)),
                Arg::Int(record.last_seq),
                Arg::Text(json(&record.details)?),
                Arg::Text(super::workflow_data::encode(workflow)?),
                Arg::OptInt(next_check_at.map(to_micros)),
                Arg::OptInt(workflow.closed_at.map(to_micros)),
                Arg::OptInt(workflow.breached_at.map(to_micros)),
            ];
            if backend == Backend::Postgres {
                args.push(Arg::Text(aduan_domain::search::index_text(
                    &record.title,
                    &record.details.description,
                )));
            }
            sql.push(
                &format!(
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?{search_value})"
                ),
                args,
            );
        }
        sql.push(" RETURNING id, ticket", vec![]);
        Ok(sql)
    })
}

/// Stores files of a case and returns what is known of them, in the order given.
pub async fn insert_attachments(
    conn: &mut AnyConnection,
    case_id: i64,
    now: OffsetDateTime,
    files: &[NewAttachment],
) -> Result<Vec<AttachmentMeta>> {
    let mut stored = Vec::with_capacity(files.len());
    for file in files {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO case_attachments (case_id, name, content_type, size, sha256, data, uploaded_by, uploaded_at, purpose) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {ATTACHMENT_COLUMNS}"
        )))
        .bind(case_id)
        .bind(file.name.clone())
        .bind(file.content_type.clone())
        .bind(i64::try_from(file.data.len()).unwrap_or(i64::MAX))
        .bind(file.sha256.clone())
        .bind(file.data.clone())
        .bind(file.uploaded_by.clone())
        .bind(to_micros(now))
        .bind(file.purpose.clone())
        .fetch_one(&mut *conn)
        .await?;
        stored.push(attachment_from_row(&row)?);
    }
    Ok(stored)
}

/// `CaseUpdate` with owned data, so that the write can wait in the writer's queue.
pub struct OwnedUpdate {
    pub after: Workflow,
    pub events: Vec<Event>,
    pub jobs: Vec<NewJob>,
    pub next_check_at: Option<OffsetDateTime>,
    pub source: Option<aduan_domain::external::ExternalSource>,
}

impl From<CaseUpdate<'_>> for OwnedUpdate {
    fn from(u: CaseUpdate<'_>) -> Self {
        Self {
            after: u.after.clone(),
            events: u.events.to_vec(),
            jobs: u.jobs.to_vec(),
            next_check_at: u.next_check_at,
            source: u.source.cloned(),
        }
    }
}

pub async fn commit(
    conn: &mut AnyConnection,
    before: CaseRecord,
    update: OwnedUpdate,
    counting: Option<(time::UtcOffset, Backend)>,
) -> Result<CaseRecord> {
    let OwnedUpdate {
        after,
        events,
        jobs,
        next_check_at,
        source,
    } = update;
    let Some(last) = events.last() else {
        return Ok(before);
    };
    let now = last.at;
    let last_seq = before.last_seq + i64::try_from(events.len()).unwrap_or(i64::MAX);
    let updated = sqlx::query(
        "UPDATE cases SET category = $1, state = $2, lead_unit = $3, updated_at = $4, due_at = $5, \
         last_seq = $6, workflow = $7, next_check_at = $10, closed_at = $11, breached_at = $12, \
         fell_due = $13 WHERE id = $8 AND last_seq = $9",
    )
    .bind(after.category.clone())
    .bind(after.state.code())
    .bind(after.lead_unit.clone())
    .bind(to_micros(now))
    .bind(after.due_at.map(to_micros))
    .bind(last_seq)
    .bind(super::workflow_data::encode(&after)?)
    .bind(before.id)
    .bind(before.last_seq)
    .bind(next_check_at.map(to_micros))
    .bind(after.closed_at.map(to_micros))
    .bind(after.breached_at.map(to_micros))
    // Already past due when written (see `mark_fallen_due`); a new due time unmarks the case.
    .bind(i64::from(after.due_at.is_some_and(|due| due < now)))
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() != 1 {
        return Err(StoreError::Conflict);
    }
    if let Some(source) = &source {
        insert_sources(conn, &[(before.id, now, source)]).await?;
    }
    super::jobs::insert(conn, Some(before.id), &jobs).await?;
    for (offset, event) in events.iter().enumerate() {
        let seq = before.last_seq + 1 + i64::try_from(offset).unwrap_or(0);
        insert_event(conn, before.id, seq, event).await?;
    }
    let units_changed = before.workflow.lead_unit != after.lead_unit
        || before.workflow.supporting_units != after.supporting_units;
    if units_changed {
        sqlx::query("DELETE FROM case_units WHERE case_id = $1")
            .bind(before.id)
            .execute(&mut *conn)
            .await?;
        for unit in after.involved_units() {
            let is_lead = after.lead_unit.as_ref() == Some(unit);
            sqlx::query("INSERT INTO case_units (unit, case_id, is_lead) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                .bind(unit.clone())
                .bind(before.id)
                .bind(i64::from(is_lead))
                .execute(&mut *conn)
                .await?;
        }
    }
    if let Some((offset, backend)) = counting {
        let was = super::counts::Facts::of(&before);
        let is = super::counts::Facts::new(before.kind, before.channel, &after, before.created_at);
        super::counts::apply(
            conn,
            backend,
            &super::counts::delta(Some(&was), &is, offset),
        )
        .await?;
    }
    Ok(CaseRecord {
        workflow: after,
        updated_at: now,
        last_seq,
        ..before
    })
}

/// Records the hashes of new cases' reporter contacts, for finding a person's other cases.
async fn insert_contacts(
    conn: &mut AnyConnection,
    backend: Backend,
    contacts: &[(i64, String)],
) -> Result<()> {
    for chunk in contacts.chunks(200) {
        let mut sql = Sql::in_order(backend, "INSERT INTO case_contacts (hash, case_id) VALUES ");
        for (i, (case_id, hash)) in chunk.iter().enumerate() {
            sql.push(
                if i == 0 { "(?, ?)" } else { ", (?, ?)" },
                vec![Arg::Text(hash.clone()), Arg::Int(*case_id)],
            );
        }
        sql.push(" ON CONFLICT DO NOTHING", vec![]);
        sql.query().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Records which items of other systems made or joined which cases; an item seen before fails
/// the whole write with `Duplicate("source")`.
async fn insert_sources(
    conn: &mut AnyConnection,
    sources: &[(i64, OffsetDateTime, &aduan_domain::external::ExternalSource)],
) -> Result<()> {
    if sources.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new("INSERT INTO case_sources (system, external_id, case_id, at) VALUES ");
    for (i, (case_id, at, source)) in sources.iter().enumerate() {
        sql.push(
            if i == 0 {
                "(?, ?, ?, ?)"
            } else {
                ", (?, ?, ?, ?)"
            },
            vec![
                Arg::Text(source.system.clone()),
                Arg::Text(source.id.clone()),
                Arg::Int(*case_id),
                Arg::Int(to_micros(*at)),
            ],
        );
    }
    match sql.query().execute(&mut *conn).await {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => Err(StoreError::Duplicate("source")),
        Err(e) => Err(e.into()),
    }
}

async fn insert_event(
    conn: &mut AnyConnection,
    case_id: i64,
    seq: i64,
    event: &Event,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO case_events (case_id, seq, at, actor, actor_role, type, public, data) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(case_id)
    .bind(seq)
    .bind(to_micros(event.at))
    .bind(event.actor.clone())
    .bind(event.actor_role.clone())
    .bind(event.change.code())
    .bind(i64::from(event.change.is_public()))
    .bind(super::event_data::encode(event)?)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn set_next_check(
    conn: &mut AnyConnection,
    case_id: i64,
    last_seq: i64,
    next_check_at: Option<OffsetDateTime>,
) -> Result<()> {
    sqlx::query("UPDATE cases SET next_check_at = $1 WHERE id = $2 AND last_seq = $3")
        .bind(next_check_at.map(to_micros))
        .bind(case_id)
        .bind(last_seq)
        .execute(conn)
        .await?;
    Ok(())
}

/// See [`crate::Store::mark_fallen_due`]. Only owed cases not marked yet are read, through
/// their index by due time (migrations `0012_fallen_due` on SQLite, `0015` on PostgreSQL).
/// On PostgreSQL a case another transaction is changing is skipped, so the mark never waits
/// for a case's change or takes part in a deadlock with one; the change sets the mark from its
/// own due time, and the next pass marks what is left.
pub async fn mark_fallen_due(
    conn: &mut AnyConnection,
    backend: Backend,
    now: OffsetDateTime,
) -> Result<u64> {
    let falling = format!("fell_due = 0 AND state IN ({OWED_STATES}) AND due_at < $1");
    let sql = match backend {
        Backend::Sqlite => {
            format!("UPDATE cases INDEXED BY cases_falling_due SET fell_due = 1 WHERE {falling}")
        }
        Backend::Postgres => format!(
            "UPDATE cases SET fell_due = 1 WHERE id IN \
             (SELECT id FROM cases WHERE {falling} FOR UPDATE SKIP LOCKED)"
        ),
    };
    let marked = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(to_micros(now))
        .execute(conn)
        .await?;
    Ok(marked.rows_affected())
}

pub async fn to_check(reader: &AnyPool, now: OffsetDateTime, limit: u32) -> Result<Vec<Ticket>> {
    let rows = sqlx::query(
        "SELECT ticket FROM cases WHERE next_check_at IS NOT NULL AND next_check_at <= $1 \
         ORDER BY next_check_at LIMIT $2",
    )
    .bind(to_micros(now))
    .bind(i64::from(limit))
    .fetch_all(reader)
    .await?;
    rows.iter()
        .map(|row| {
            let text: String = row.try_get("ticket")?;
            Ticket::parse(&text).map_err(|_| StoreError::corrupt(format!("bad ticket {text}")))
        })
        .collect()
}

pub async fn find(reads: Reads<'_>, ticket: &Ticket, scope: &Scope) -> Result<Option<CaseRecord>> {
    let mut sql = Sql::new(&format!(
        "SELECT {CASE_COLUMNS} FROM cases c WHERE c.ticket = "
    ));
    sql.push("?", vec![Arg::Text(ticket.as_str().to_string())]);
    push_scope(&mut sql, scope);
    reads.optional(&sql, case_from_row).await
}

/// A ticket's recent access failures and its case, with `more` columns after the case's. The
/// one-row count on the left keeps a row even when the ticket is unknown.
fn access_lookup(ticket: &Ticket, since: OffsetDateTime, more: &str) -> Sql {
    let mut sql = Sql::new(&format!(
        "SELECT f.failures, {CASE_COLUMNS}{more} FROM \
         (SELECT COUNT(*) AS failures FROM access_failures WHERE ticket = $1 AND at >= $2) f \
         LEFT JOIN cases c ON c.ticket = $1"
    ));
    sql.bind_first(Arg::Int(to_micros(since)));
    sql.bind_first(Arg::Text(ticket.as_str().to_string()));
    sql
}

pub async fn for_reporter(
    reads: Reads<'_>,
    ticket: &Ticket,
    since: OffsetDateTime,
) -> Result<(i64, Option<CaseRecord>)> {
    let sql = access_lookup(ticket, since, "");
    let found = reads
        .optional(&sql, |row| {
            let failures = row.int("failures")?;
            let case = match row.opt_int("id")? {
                Some(_) => Some(case_from_row(row)?),
                None => None,
            };
            Ok((failures, case))
        })
        .await?;
    found.ok_or_else(|| StoreError::corrupt("the access count gave no row"))
}

/// What tracking finds for one ticket: its recent access failures, and its case with the
/// public timeline when the ticket exists.
pub type Tracked = (i64, Option<(CaseRecord, Vec<StoredEvent>)>);

/// The public timeline of each case, as one JSON array of `[seq, at, actor, actor_role,
/// data]`: on PostgreSQL each statement is a round trip and a plan, so tracking reads the case
/// and its timeline together (BENCHMARKS.md, session 12).
const PUBLIC_TIMELINE: &str = ", (SELECT json_agg(json_build_array(e.seq, e.at, e.actor, e.actor_role, e.data::json) \
               ORDER BY e.seq)::text \
        FROM case_events e WHERE e.case_id = c.id AND e.public = 1) AS timeline";

/// `for_reporter` with the case's public timeline, for several lookups in one statement
/// (PostgreSQL; see `batch`), answered in their order. Each lookup is a ticket and the start
/// of its access window. The lookups go in as one JSON value, so the statement's text and plan
/// are the same for any number of them.
pub async fn for_tracking_many(
    reads: Reads<'_>,
    lookups: &[(String, i64)],
) -> Result<Vec<Tracked>> {
    #[derive(serde::Serialize)]
    struct Lookup<'a> {
        i: usize,
        t: &'a str,
        s: i64,
    }
    let wanted: Vec<Lookup<'_>> = lookups
        .iter()
        .enumerate()
        .map(|(i, (t, s))| Lookup { i, t, s: *s })
        .collect();
    let mut sql = Sql::new(&format!(
        "SELECT q.i, (SELECT COUNT(*) FROM access_failures a \
                      WHERE a.ticket = q.t AND a.at >= q.s) AS failures, \
                {CASE_COLUMNS}{PUBLIC_TIMELINE} \
         FROM json_to_recordset($1::json) AS q(i bigint, t text, s bigint) \
         LEFT JOIN cases c ON c.ticket = q.t"
    ));
    sql.bind_first(Arg::Text(json(&wanted)?));
    let rows = reads
        .all(&sql, |row| Ok((row.int("i")?, tracked_from_row(row)?)))
        .await?;
    let mut found: Vec<Option<Tracked>> = lookups.iter().map(|_| None).collect();
    for (i, tracked) in rows {
        let slot = usize::try_from(i).ok().and_then(|i| found.get_mut(i));
        match slot {
            Some(slot) => *slot = Some(tracked),
            None => return Err(StoreError::corrupt("a tracking row for no lookup")),
        }
    }
    found
        .into_iter()
        .map(|f| f.ok_or_else(|| StoreError::corrupt("a tracking lookup gave no row")))
        .collect()
}

/// A row of `access_lookup` with the public timeline.
fn tracked_from_row(row: &dyn Columns) -> Result<Tracked> {
    let failures = row.int("failures")?;
    if row.opt_int("id")?.is_none() {
        return Ok((failures, None));
    }
    let case = case_from_row(row)?;
    let events = match row.opt_text("timeline")? {
        Some(timeline) => timeline_events(&timeline)?,
        None => Vec::new(),
    };
    Ok((failures, Some((case, events))))
}

/// The public events of a timeline built by `for_tracking_many`.
fn timeline_events(timeline: &str) -> Result<Vec<StoredEvent>> {
    let rows: Vec<(i64, i64, String, String, super::event_data::Stored)> = from_json(timeline)?;
    rows.into_iter()
        .map(|(seq, at, actor, actor_role, data)| {
            let at = crate::time_codec::from_micros(at)?;
            Ok(data.with_columns(seq, at, actor, actor_role, true))
        })
        .collect()
}

pub async fn reporter(reader: &AnyPool, case_id: i64) -> Result<Option<Reporter>> {
    let row = sqlx::query("SELECT data FROM case_reporters WHERE case_id = $1")
        .bind(case_id)
        .fetch_optional(reader)
        .await?;
    row.map(|r| from_json(&r.try_get::<String, _>("data")?))
        .transpose()
}

const ATTACHMENT_COLUMNS: &str =
    "id, name, content_type, size, sha256, uploaded_by, uploaded_at, purpose";

pub async fn attachments(reads: Reads<'_>, case_id: i64) -> Result<Vec<AttachmentMeta>> {
    let mut sql = Sql::new(&format!(
        "SELECT {ATTACHMENT_COLUMNS} FROM case_attachments WHERE case_id = $1 ORDER BY id"
    ));
    sql.bind_first(Arg::Int(case_id));
    reads.all(&sql, attachment_from_row).await
}

pub async fn attachment(
    reader: &AnyPool,
    case_id: i64,
    id: i64,
) -> Result<Option<(AttachmentMeta, Vec<u8>)>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ATTACHMENT_COLUMNS}, data FROM case_attachments WHERE case_id = $1 AND id = $2"
    )))
    .bind(case_id)
    .bind(id)
    .fetch_optional(reader)
    .await?;
    row.map(|row| {
        Ok((
            attachment_from_row(&row)?,
            row.try_get::<Vec<u8>, _>("data")?,
        ))
    })
    .transpose()
}

pub async fn events(reads: Reads<'_>, case_id: i64, public_only: bool) -> Result<Vec<StoredEvent>> {
    let mut sql = Sql::new(
        "SELECT seq, at, actor, actor_role, public, data FROM case_events \
         WHERE case_id = $1 AND (public = 1 OR $2 = 0) ORDER BY seq",
    );
    sql.bind_first(Arg::Int(i64::from(public_only)));
    sql.bind_first(Arg::Int(case_id));
    reads.all(&sql, event_from_row).await
}

/// On PostgreSQL, the column whose `(column, id)` index a list filtered to one value of it
/// walks, instead of the primary key. Newest first, the primary key reads every recent case
/// that does not match (the closed cases of a category sit behind all the open ones), and the
/// planner, which supposes matches spread evenly, prefers it. A filter `column = value` gives
/// the planner no reason to choose the column's index for the order; the same filter as a
/// range of one value, with the order led by the column, does. The column most likely to
/// skip recent cases leads: the state, then the channel, the category and the kind.
fn walked_column(filter: &CaseFilter) -> Option<&'static str> {
    column_values(filter).first().map(|(column, _)| *column)
}

/// The columns a list filters to one value each, with their values, in the order in which
/// they would lead a walk (see `walked_column`). Several states are not one value.
pub(super) fn column_values(filter: &CaseFilter) -> Vec<(&'static str, String)> {
    let state = match filter.states.as_slice() {
        [state] => Some(state.code().to_string()),
        _ => None,
    };
    [
        ("c.state", state),
        ("c.channel", filter.channel.map(|c| c.code().to_string())),
        ("c.category", filter.category.clone()),
        ("c.kind", filter.kind.map(|k| k.code().to_string())),
    ]
    .into_iter()
    .filter_map(|(column, value)| value.map(|v| (column, v)))
    .collect()
}

/// Whether an overdue list walks the owed cases in its own order until the page is full. Any
/// filter but the states would need the table for every case walked, which could be most of
/// the open cases for a rare value, so those lists collect their overdue cases instead.
fn walks_owed_cases(scope: &Scope, filter: &CaseFilter) -> bool {
    matches!(scope, Scope::All)
        && filter.kind.is_none()
        && filter.category.is_none()
        && filter.unit.is_none()
        && filter.privacy.is_none()
        && filter.channel.is_none()
        && filter.created_from.is_none()
        && filter.created_to.is_none()
        && filter.due_from.is_none()
        && filter.text.is_empty()
}

/// Whether `filter` asks for a plain overdue list in received order, which
/// `overdue_in_received_order` answers.
pub(super) fn is_plain_overdue_in_received_order(scope: &Scope, filter: &CaseFilter) -> bool {
    filter.overdue_at.is_some()
        && walks_owed_cases(scope, filter)
        && filter.sort != CaseSort::DueSoonest
}

/// A plain overdue list (no filter but the states) in received order, newest or oldest first:
/// the cases the deadline watch has marked as fallen due, walked in id order from their index
/// (`cases_fallen_due`), merged with the owed cases past due that it has not marked yet, found
/// by due time (`cases_falling_due`), and cut at the page's end. Both halves compare the due
/// time, so the mark chooses the index and never the answer. Before, the list passed every
/// owed case not yet due (SQLite) or sorted every overdue case (PostgreSQL) for one page.
async fn overdue_in_received_order(
    reads: Reads<'_>,
    backend: Backend,
    filter: &CaseFilter,
    at: time::OffsetDateTime,
) -> Result<Vec<CaseSummary>> {
    let (direction, after) = match filter.sort {
        CaseSort::Oldest => ("", ">"),
        _ => (" DESC", "<"),
    };
    let limit = i64::from(filter.limit);
    // Each half reads ids alone, from its covering index; the page's rows are looked up once
    // the page is known. The statement is planned once on PostgreSQL (`pinned_plans`).
    let mut sql = Sql::new(&format!("SELECT {SUMMARY_COLUMNS} FROM (SELECT id FROM ("));
    for (mark, index, name) in [
        (1, "cases_fallen_due", "fallen"),
        (0, "cases_falling_due", "falling"),
    ] {
        if mark == 0 {
            sql.push(" UNION ALL ", vec![]);
        }
        let index = match backend {
            Backend::Sqlite => format!(" INDEXED BY {index}"),
            Backend::Postgres => String::new(),
        };
        // Word for word the partial indexes' conditions (migration `0012_fallen_due`).
        sql.push(
            &format!(
                "SELECT * FROM (SELECT c.id FROM cases c{index} \
                 WHERE c.fell_due = {mark} AND c.state IN ({OWED_STATES}) AND c.due_at < ?"
            ),
            vec![Arg::Int(to_micros(at))],
        );
        if !filter.states.is_empty() {
            let states: Vec<String> = filter.states.iter().map(|s| s.code().to_string()).collect();
            // `|| ''` keeps PostgreSQL from walking the index of all cases in one state.
            sql.push(" AND (c.state || '') IN (", vec![]);
            sql.placeholders(&states);
            sql.push(")", vec![]);
        }
        // The marked cases are walked in id order from their index. The unmarked ones past due
        // are few (those fallen due since the watch's last pass) and are collected by due time
        // and sorted: `id + 0` names no index to walk, which a plan made without the values
        // (`pinned_plans`) could otherwise take, walking every case in id order to find none.
        let id = if mark == 1 { "c.id" } else { "(c.id + 0)" };
        if let Some(cursor) = filter.cursor_id {
            sql.push(&format!(" AND {id} {after} ?"), vec![Arg::Int(cursor)]);
        }
        // Each half is cut on its own, so that PostgreSQL walks the marked cases' index in
        // order instead of sorting them all (it estimates a handful of marked cases past due).
        sql.push(
            &format!(" ORDER BY {id}{direction} LIMIT ?) {name}"),
            vec![Arg::Int(limit)],
        );
    }
    sql.push(
        &format!(
            ") owed ORDER BY id{direction} LIMIT ?) page \
             JOIN cases c ON c.id = page.id ORDER BY c.id{direction}"
        ),
        vec![Arg::Int(limit)],
    );
    reads.all(&sql, summary_from_row).await
}

pub async fn list(
    reads: Reads<'_>,
    backend: Backend,
    scope: &Scope,
    filter: &CaseFilter,
    text_path: SearchPath,
    one_plan: bool,
) -> Result<Vec<CaseSummary>> {
    let page = list_by(reads, backend, scope, filter, text_path, one_plan).await?;
    // A bounded walk that did not fill the page says nothing of the matches past its bound.
    if walk_bound(backend, filter, text_path).is_some()
        && page.len() < usize::try_from(filter.limit).unwrap_or(usize::MAX)
    {
        return list_by(reads, backend, scope, filter, SearchPath::Matches, one_plan).await;
    }
    Ok(page)
}

/// How many cases a search may walk, in id order from the page's start, before its matches
/// are collected instead (`SearchPath::WalkWithin`). The bound is a range of ids, so only a
/// walk of the primary key takes it; other walks are not bounded.
fn walk_bound(backend: Backend, filter: &CaseFilter, text_path: SearchPath) -> Option<u64> {
    let SearchPath::WalkWithin(cases) = text_path else {
        return None;
    };
    let walks_primary_key = backend == Backend::Postgres
        && filter.overdue_at.is_none()
        && matches!(filter.sort, CaseSort::Newest | CaseSort::Oldest)
        && !filter.in_received_time()
        && filter.unit.is_none()
        && walked_column(filter).is_none();
    walks_primary_key.then_some(cases)
}

/// `list`, finding a search's matches by `text_path`.
async fn list_by(
    reads: Reads<'_>,
    backend: Backend,
    scope: &Scope,
    filter: &CaseFilter,
    text_path: SearchPath,
    one_plan: bool,
) -> Result<Vec<CaseSummary>> {
    // On SQLite a text search starts from the FTS5 table, which walks its matches newest first
    // and stops at the page's end; `c.id IN (matches)` would collect every match first.
    let fts_first = backend == Backend::Sqlite && !filter.text.is_empty();
    let ids_first = !fts_first && filter.overdue_at.is_some();
    let owed_walk = ids_first && walks_owed_cases(scope, filter);
    if let Some(at) = filter.overdue_at
        && is_plain_overdue_in_received_order(scope, filter)
    {
        return overdue_in_received_order(reads, backend, filter, at).await;
    }
    // What is left of the plain overdue lists: in due order, walked on SQLite (below).
    let overdue_walk = backend == Backend::Sqlite && owed_walk;
    // A unit's cases are walked from `case_units (unit, case_id)` in id order, so that a unit
    // with few recent cases does not make the list read every newer case of other units.
    let received_order = filter.in_received_time();
    let by_id = matches!(filter.sort, CaseSort::Newest | CaseSort::Oldest) && !received_order;
    let unit_first = !fts_first && !ids_first && by_id && filter.unit.is_some();
    let mut sql = if fts_first {
        let query = filter
            .text
            .iter()
            // Terms are letters and digits only (see aduan_domain::search), so quoting is safe.
            .map(|t| format!("\"{t}\""))
            .collect::<Vec<_>>()
            .join(" ");
        let mut sql = Sql::new(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM cases_fts JOIN cases c ON c.id = cases_fts.rowid \
             WHERE cases_fts MATCH "
        ));
        sql.push("?", vec![Arg::Text(query)]);
        sql
    } else if ids_first {
        // Overdue cases are found from an index of open cases, and only the page's rows are
        // then read from the table (see below). A plain overdue list in due order walks
        // `cases_by_due` (which holds only cases with a due time) on SQLite and stops at the
        // page's end; with other filters, which that index cannot answer, the overdue cases
        // are collected from the covering index of open cases and sorted.
        let index = match backend {
            Backend::Sqlite if overdue_walk => " INDEXED BY cases_by_due",
            Backend::Sqlite => " INDEXED BY cases_open_backlog",
            // PostgreSQL keeps reading the overdue cases from their covering index
            // (`cases_overdue`) and sorting them: a walk of the owed cases there checks each
            // one's visibility and was not faster.
            Backend::Postgres => "",
        };
        Sql::new(&format!("SELECT c.id FROM cases c{index} WHERE 1 = 1"))
    } else if let Some(unit) = filter.unit.as_ref().filter(|_| unit_first) {
        // CROSS JOIN keeps SQLite's loop on case_units (PostgreSQL plans it as a plain join).
        let mut sql = Sql::new(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM case_units fu CROSS JOIN cases c \
             WHERE c.id = fu.case_id AND fu.unit = "
        ));
        sql.push("?", vec![Arg::Text(unit.clone())]);
        sql
    } else {
        Sql::new(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM cases c WHERE 1 = 1"
        ))
    };
    push_scope(&mut sql, scope);
    // A search whose words are rare sorts its matches from the text index instead of walking
    // the cases: ordering by `id + 0` names no index that could be walked (see `search_plan`;
    // the store asks for this path only on PostgreSQL, for a text search).
    let sorted_matches = text_path == SearchPath::Matches && !ids_first && by_id;
    // From the page's start, a bounded walk reads at most `cases` ids; with no cursor the
    // page starts at the newest (or oldest) case.
    let bound = walk_bound(backend, filter, text_path)
        .map(|cases| i64::try_from(cases).unwrap_or(i64::MAX));
    let walk_within = |sql: &mut Sql| {
        let Some(cases) = bound else {
            return;
        };
        let oldest = filter.sort == CaseSort::Oldest;
        let (condition, arg) = match (filter.cursor_id, oldest) {
            (Some(cursor), false) => (" AND c.id >= ?", cursor.saturating_sub(cases)),
            (Some(cursor), true) => (" AND c.id <= ?", cursor.saturating_add(cases)),
            (None, false) => (" AND c.id >= (SELECT max(id) FROM cases) - ?", cases),
            (None, true) => (" AND c.id <= (SELECT min(id) FROM cases) + ?", cases),
        };
        sql.push(condition, vec![Arg::Int(arg)]);
    };
    let driver = (backend == Backend::Postgres && !ids_first && !unit_first && by_id)
        .then(|| walked_column(filter))
        .flatten()
        .filter(|_| !sorted_matches);
    // The column the list walks is stated as a range of one value (see `walked_column`).
    let equals = |sql: &mut Sql, column: &'static str, value: String| {
        if driver == Some(column) {
            sql.push(
                &format!(" AND {column} >= ? AND {column} <= ?"),
                vec![Arg::Text(value.clone()), Arg::Text(value)],
            );
        } else {
            sql.push(&format!(" AND {column} = ?"), vec![Arg::Text(value)]);
        }
    };
    if let [state] = filter.states.as_slice() {
        equals(&mut sql, "c.state", state.code().to_string());
    } else if !filter.states.is_empty() {
        let states: Vec<String> = filter.states.iter().map(|s| s.code().to_string()).collect();
        sql.push(" AND c.state IN (", vec![]);
        sql.placeholders(&states);
        sql.push(")", vec![]);
    }
    if let Some(kind) = filter.kind {
        equals(&mut sql, "c.kind", kind.code().to_string());
    }
    if let Some(category) = &filter.category {
        equals(&mut sql, "c.category", category.clone());
    }
    if let Some(unit) = filter.unit.as_ref().filter(|_| !unit_first) {
        sql.push(
            " AND EXISTS (SELECT 1 FROM case_units fu WHERE fu.case_id = c.id AND fu.unit = ?)",
            vec![Arg::Text(unit.clone())],
        );
    }
    if let Some(privacy) = filter.privacy {
        sql.push(" AND c.privacy = ?", vec![Arg::Text(privacy.code().into())]);
    }
    if let Some(channel) = filter.channel {
        equals(&mut sql, "c.channel", channel.code().to_string());
    }
    if let Some(from) = filter.created_from {
        sql.push(" AND c.created_at >= ?", vec![Arg::Int(to_micros(from))]);
    }
    if let Some(to) = filter.created_to {
        sql.push(" AND c.created_at < ?", vec![Arg::Int(to_micros(to))]);
    }
    if let Some(at) = filter.overdue_at {
        // A case without a due time fails the comparison. SQLite checks a separate `IS NOT
        // NULL` on every case an overdue walk passes, a third of the walk's time; PostgreSQL's
        // partial index of overdue cases is stated with it.
        let due = match backend {
            Backend::Sqlite => " AND c.due_at < ?",
            Backend::Postgres => " AND c.due_at IS NOT NULL AND c.due_at < ?",
        };
        sql.push(due, vec![Arg::Int(to_micros(at))]);
        // Only cases where the agency owes the next step count as overdue.
        if overdue_walk {
            sql.push(&format!(" AND c.state IN ({OWED_STATES})"), vec![]);
        } else {
            // Stated through the open cases' covering index (`state || ''` keeps SQLite off
            // the index of all states, which would look up every owed case in the table).
            sql.push(
                &format!(
                    " AND c.state NOT IN ('closed', 'rejected', 'forwarded', 'merged') \
                     AND (c.state || '') IN ({OWED_STATES})"
                ),
                vec![],
            );
        }
    }
    if let Some(from) = filter.due_from {
        sql.push(" AND c.due_at >= ?", vec![Arg::Int(to_micros(from))]);
    }
    if !filter.text.is_empty() && backend == Backend::Postgres {
        // Planned once (see `pinned_plans`), the statement itself says how the matches are
        // found: the operator `@@` lets the text index collect them, the same test called as
        // a function cannot, so the cases are walked. The query is made once, in a subquery:
        // from a parameter of a generic plan `to_tsquery` would be made again for every case.
        let condition = match (one_plan, sorted_matches) {
            (false, _) => " AND c.search @@ to_tsquery('simple', ?)",
            (true, true) => " AND c.search @@ (SELECT to_tsquery('simple', ?))",
            (true, false) => " AND ts_match_vq(c.search, (SELECT to_tsquery('simple', ?)))",
        };
        sql.push(condition, vec![Arg::Text(filter.text.join(" & "))]);
    }
    let id = if fts_first {
        "cases_fts.rowid"
    } else if unit_first {
        "fu.case_id"
    } else {
        "c.id"
    };
    // The cursor is stated on the same key: a generic plan takes `id < $n` for a third of
    // the table, and would read that much of the primary key to narrow the matches.
    let sort_key = if sorted_matches {
        format!("{id} + 0")
    } else {
        id.to_string()
    };
    // Ordering by the walked column first names its `(column, id)` index; with one value of
    // that column the order is the same.
    let walk = |direction: &str| {
        driver
            .map(|column| format!("{column}{direction}, "))
            .unwrap_or_default()
    };
    let order = match filter.sort {
        CaseSort::Newest | CaseSort::Oldest if received_order => {
            let (direction, after) = match filter.sort {
                CaseSort::Oldest => ("", ">"),
                _ => (" DESC", "<"),
            };
            match (filter.cursor_id, filter.cursor_at) {
                // The time bounds the walk of `cases_by_created`; the id breaks its ties.
                (Some(cursor), Some(at)) => {
                    let at = to_micros(at);
                    sql.push(
                        &format!(
                            " AND c.created_at {after}= ? AND (c.created_at {after} ? OR {id} {after} ?)"
                        ),
                        vec![Arg::Int(at), Arg::Int(at), Arg::Int(cursor)],
                    );
                }
                // A cursor of an id alone (made before lists of a period were ordered by
                // time): ids follow the received time, so it still marks the place.
                (Some(cursor), None) => {
                    sql.push(&format!(" AND {id} {after} ?"), vec![Arg::Int(cursor)]);
                }
                (None, _) => {}
            }
            format!(" ORDER BY c.created_at{direction}, {id}{direction}")
        }
        CaseSort::Newest => {
            if let Some(cursor) = filter.cursor_id {
                sql.push(&format!(" AND {sort_key} < ?"), vec![Arg::Int(cursor)]);
            }
            walk_within(&mut sql);
            format!(" ORDER BY {}{sort_key} DESC", walk(" DESC"))
        }
        CaseSort::Oldest => {
            if let Some(cursor) = filter.cursor_id {
                sql.push(&format!(" AND {sort_key} > ?"), vec![Arg::Int(cursor)]);
            }
            walk_within(&mut sql);
            format!(" ORDER BY {}{sort_key}", walk(""))
        }
        CaseSort::DueSoonest => {
            sql.push(" AND c.due_at IS NOT NULL", vec![]);
            if let (Some(cursor), Some(due)) = (filter.cursor_id, filter.cursor_at) {
                let due = to_micros(due);
                sql.push(
                    &format!(" AND (c.due_at > ? OR (c.due_at = ? AND {id} > ?))"),
                    vec![Arg::Int(due), Arg::Int(due), Arg::Int(cursor)],
                );
            }
            format!(" ORDER BY c.due_at, {id}")
        }
    };
    sql.push(
        &format!("{order} LIMIT ?"),
        vec![Arg::Int(i64::from(filter.limit))],
    );
    if ids_first {
        sql.wrap(
            &format!("SELECT {SUMMARY_COLUMNS} FROM cases c WHERE c.id IN ("),
            &format!("){order}"),
        );
    }
    reads.all(&sql, summary_from_row).await
}
