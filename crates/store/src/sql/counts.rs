//! Counters kept in the same transaction as every change to a case, so that the backlog and
//! the monthly figures read a few hundred counter rows instead of grouping a million cases.
//!
//! Each case adds one to a few *buckets*, named by text keys:
//! - `open|{unit}|{state}` while the case is open (the backlog);
//! - `month|{YYYY-MM}|{kind}|{category}|{channel}|{state}|{unit}` for the month it was received
//!   in, in the agency's time zone (the monthly statistics).
//!
//! A change takes one from the buckets of the case before and adds one to those after. On
//! PostgreSQL concurrent transactions would queue on the row of a busy bucket, so each
//! transaction writes to one of [`PG_SHARDS`] rows of a bucket, chosen at random, and readers
//! add the shards up; buckets are written in key order so that two transactions never wait on
//! each other in a cycle. SQLite has one writer and uses shard 0.
//!
//! The time zone of the months is stored in the setting [`OFFSET_KEY`]; a store that finds it
//! there keeps counting, and [`rebuild`] recounts everything when it is missing or changes.

use super::Backend;
use super::query::{Arg, Sql};
use crate::time_codec::from_micros;
use crate::*;
use aduan_domain::{Channel, Kind, State};
use futures_util::TryStreamExt;
use sqlx::{AnyConnection, AnyPool, Row};
use std::collections::BTreeMap;
use time::UtcOffset;

pub const OFFSET_KEY: &str = "counts.offset_seconds";
const PG_SHARDS: u64 = 8;

/// What a case contributes to the counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub kind: Kind,
    pub channel: Channel,
    pub category: String,
    pub state: State,
    pub lead_unit: Option<String>,
    pub created_at: OffsetDateTime,
}

impl Facts {
    pub fn of(record: &CaseRecord) -> Self {
        Self::new(
            record.kind,
            record.channel,
            &record.workflow,
            record.created_at,
        )
    }

    pub fn new(
        kind: Kind,
        channel: Channel,
        workflow: &Workflow,
        created_at: OffsetDateTime,
    ) -> Self {
        Self {
            kind,
            channel,
            category: workflow.category.clone(),
            state: workflow.state,
            lead_unit: workflow.lead_unit.clone(),
            created_at,
        }
    }

    fn buckets(&self, offset: UtcOffset) -> Vec<String> {
        let unit = self.lead_unit.as_deref().unwrap_or("");
        let state = self.state.code();
        let mut buckets = vec![format!(
            "{}{}|{}|{}|{}|{state}|{unit}",
            MONTH,
            month_key(self.created_at, offset),
            self.kind.code(),
            self.category,
            self.channel.code(),
        )];
        if is_open(self.state) {
            buckets.push(format!("{OPEN}{unit}|{state}"));
        }
        buckets
    }
}

const OPEN: &str = "open|";
const MONTH: &str = "month|";

/// The states a case leaves the backlog in (`OPEN` in aggregates.rs).
fn is_open(state: State) -> bool {
    !matches!(
        state,
        State::Closed | State::Rejected | State::Forwarded | State::Merged
    )
}

pub fn month_key(at: OffsetDateTime, offset: UtcOffset) -> String {
    let local = at.to_offset(offset);
    format!("{:04}-{:02}", local.year(), u8::from(local.month()))
}

/// How the counters change: `+1` for each bucket of `after`, `-1` for each of `before`.
pub fn delta(before: Option<&Facts>, after: &Facts, offset: UtcOffset) -> BTreeMap<String, i64> {
    let mut delta = BTreeMap::new();
    for bucket in after.buckets(offset) {
        *delta.entry(bucket).or_insert(0) += 1;
    }
    for bucket in before.map(|b| b.buckets(offset)).unwrap_or_default() {
        *delta.entry(bucket).or_insert(0) -= 1;
    }
    delta.retain(|_, n| *n != 0);
    delta
}

/// Adds `delta` to the counters, in key order.
pub async fn apply(
    conn: &mut AnyConnection,
    backend: Backend,
    delta: &BTreeMap<String, i64>,
) -> Result<()> {
    if delta.is_empty() {
        return Ok(());
    }
    if backend == Backend::Postgres {
        return apply_postgres(conn, delta).await;
    }
    for sql in sqlite_statements(delta) {
        sql.query().execute(&mut *conn).await?;
    }
    Ok(())
}

/// The statements that add `delta` to SQLite's counters (one shard: SQLite has one writer).
pub fn sqlite_statements(delta: &BTreeMap<String, i64>) -> Vec<Sql> {
    let rows: Vec<_> = delta.iter().collect();
    rows.chunks(100)
        .map(|chunk| {
            let mut sql = Sql::in_order(
                Backend::Sqlite,
                "INSERT INTO case_counts (bucket, shard, n) VALUES ",
            );
            for (i, (bucket, n)) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ", vec![]);
                }
                sql.push(
                    "(?, ?, ?)",
                    vec![Arg::Text((*bucket).clone()), Arg::Int(0), Arg::Int(**n)],
                );
            }
            sql.push(
                " ON CONFLICT (bucket, shard) DO UPDATE SET n = case_counts.n + excluded.n",
                vec![],
            );
            sql
        })
        .collect()
}

/// PostgreSQL's counters change with one statement whose text is the same for any delta (the
/// buckets travel as one JSON value), so each connection prepares it once. The rows are still
/// written in key order.
async fn apply_postgres(conn: &mut AnyConnection, delta: &BTreeMap<String, i64>) -> Result<()> {
    let shard = i64::try_from(rand_shard()).unwrap_or(0);
    let buckets: Vec<Bucket<'_>> = delta
        .iter()
        .map(|(bucket, n)| Bucket { bucket, n: *n })
        .collect();
    sqlx::query(
        "INSERT INTO case_counts (bucket, shard, n) \
         SELECT d.bucket, $2, d.n FROM json_to_recordset($1::json) AS d(bucket text, n bigint) \
         ORDER BY d.bucket COLLATE \"C\" \
         ON CONFLICT (bucket, shard) DO UPDATE SET n = case_counts.n + excluded.n",
    )
    .bind(super::rows::json(&buckets)?)
    .bind(shard)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[derive(serde::Serialize)]
struct Bucket<'a> {
    bucket: &'a str,
    n: i64,
}

fn rand_shard() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(0);
    hasher.finish() % PG_SHARDS
}

/// Recounts every bucket from the cases (at first start, or when the time zone changed) and
/// records the time zone; runs inside the writer's transaction.
pub async fn rebuild(conn: &mut AnyConnection, backend: Backend, offset: UtcOffset) -> Result<()> {
    sqlx::query("DELETE FROM case_counts")
        .execute(&mut *conn)
        .await?;
    let mut totals: BTreeMap<String, i64> = BTreeMap::new();
    {
        let mut rows =
            sqlx::query("SELECT kind, channel, category, state, lead_unit, created_at FROM cases")
                .fetch(&mut *conn);
        while let Some(row) = rows.try_next().await? {
            let facts = Facts {
                kind: super::rows::code(&row.try_get::<String, _>("kind")?, Kind::parse)?,
                channel: super::rows::code(&row.try_get::<String, _>("channel")?, Channel::parse)?,
                category: row.try_get("category")?,
                state: super::rows::code(&row.try_get::<String, _>("state")?, State::parse)?,
                lead_unit: row.try_get("lead_unit")?,
                created_at: from_micros(row.try_get("created_at")?)?,
            };
            for bucket in facts.buckets(offset) {
                *totals.entry(bucket).or_insert(0) += 1;
            }
        }
    }
    apply(conn, backend, &totals).await?;
    super::accounts::put_setting(
        conn,
        OFFSET_KEY.to_string(),
        offset.whole_seconds().to_string(),
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(())
}

/// The time zone the counters were built in, if they were.
pub fn parse_offset(setting: Option<String>) -> Option<UtcOffset> {
    setting
        .and_then(|s| s.parse::<i32>().ok())
        .and_then(|seconds| UtcOffset::from_whole_seconds(seconds).ok())
}

/// Sums of the buckets that start with `prefix`, shards added up.
async fn read_prefix(reader: &AnyPool, prefix: &str) -> Result<Vec<(String, i64)>> {
    // '}' follows '|' in byte order, so this range holds exactly the keys under `prefix`
    // (the column sorts bytewise on both backends: see the migrations).
    let end = format!("{}}}", prefix.trim_end_matches('|'));
    let rows = sqlx::query(
        "SELECT bucket, CAST(SUM(n) AS BIGINT) AS n FROM case_counts \
         WHERE bucket >= $1 AND bucket < $2 \
         GROUP BY bucket HAVING SUM(n) <> 0",
    )
    .bind(prefix.to_string())
    .bind(end)
    .fetch_all(reader)
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("bucket")?, row.try_get::<i64, _>("n")?)))
        .collect()
}

fn unit_allowed(unit: &str, units: Option<&[String]>) -> bool {
    match units {
        None => true,
        Some(units) => !unit.is_empty() && units.iter().any(|u| u == unit),
    }
}

fn unit_of(unit: &str) -> Option<String> {
    (!unit.is_empty()).then(|| unit.to_string())
}

/// Open cases per (lead unit, state), from the counters.
pub async fn open_counts(
    reader: &AnyPool,
    units: Option<&[String]>,
) -> Result<BTreeMap<(Option<String>, State), i64>> {
    let mut counts = BTreeMap::new();
    for (bucket, n) in read_prefix(reader, OPEN).await? {
        let mut parts = bucket[OPEN.len()..].split('|');
        let (Some(unit), Some(state)) = (parts.next(), parts.next()) else {
            return Err(StoreError::corrupt(format!("bad counter `{bucket}`")));
        };
        if unit_allowed(unit, units) {
            let state = super::rows::code(state, State::parse)?;
            *counts.entry((unit_of(unit), state)).or_insert(0) += n;
        }
    }
    Ok(counts)
}

/// Cases received in the months from `first` (inclusive) to `last` (exclusive), grouped as
/// [`PeriodRow`], from the counters.
pub async fn month_rows(
    reader: &AnyPool,
    units: Option<&[String]>,
    months: &[String],
) -> Result<Vec<PeriodRow>> {
    let mut grouped: BTreeMap<(Kind, String, Channel, State), i64> = BTreeMap::new();
    for month in months {
        let prefix = format!("{MONTH}{month}|");
        for (bucket, n) in read_prefix(reader, &prefix).await? {
            let parts: Vec<&str> = bucket[prefix.len()..].split('|').collect();
            let [kind, category, channel, state, unit] = parts[..] else {
                return Err(StoreError::corrupt(format!("bad counter `{bucket}`")));
            };
            if !unit_allowed(unit, units) {
                continue;
            }
            let key = (
                super::rows::code(kind, Kind::parse)?,
                category.to_string(),
                super::rows::code(channel, Channel::parse)?,
                super::rows::code(state, State::parse)?,
            );
            *grouped.entry(key).or_insert(0) += n;
        }
    }
    Ok(grouped
        .into_iter()
        .map(|((kind, category, channel, state), count)| PeriodRow {
            kind,
            category,
            channel,
            state,
            count,
        })
        .collect())
}

/// The whole months `[from, to)` covers in `offset`, if it starts and ends at month starts.
pub fn whole_months(
    from: OffsetDateTime,
    to: OffsetDateTime,
    offset: UtcOffset,
) -> Option<Vec<String>> {
    let is_month_start = |t: OffsetDateTime| {
        let local = t.to_offset(offset);
        local.day() == 1 && local.time() == time::Time::MIDNIGHT
    };
    if from >= to || !is_month_start(from) || !is_month_start(to) {
        return None;
    }
    let mut months = Vec::new();
    let mut at = from.to_offset(offset).date();
    let end = to.to_offset(offset).date();
    while at < end && months.len() <= 1200 {
        months.push(format!("{:04}-{:02}", at.year(), u8::from(at.month())));
        at = next_month(at)?;
    }
    Some(months)
}

fn next_month(date: time::Date) -> Option<time::Date> {
    let (year, month) = if date.month() == time::Month::December {
        (date.year() + 1, time::Month::January)
    } else {
        (date.year(), date.month().next())
    };
    time::Date::from_calendar_date(year, month, 1).ok()
}
