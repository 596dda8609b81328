//! Counts for the backlog and period statistics, read from covering indexes.

use super::query::{Arg, OWED_STATES, Sql};
use super::rows::code;
use crate::time_codec::to_micros;
use crate::*;
use aduan_domain::{Channel, Kind, State};
use sqlx::{AnyPool, Row};

/// Must match the partial index `cases_open_backlog` word for word so SQLite uses it.
const OPEN: &str = "state NOT IN ('closed', 'rejected', 'forwarded', 'merged')";

fn push_units(sql: &mut Sql, units: Option<&[String]>) {
    if let Some(units) = units {
        if units.is_empty() {
            sql.push(" AND 1 = 0", vec![]);
        } else {
            sql.push(" AND lead_unit IN (", vec![]);
            sql.placeholders(units);
            sql.push(")", vec![]);
        }
    }
}

pub async fn backlog(
    reader: &AnyPool,
    units: Option<&[String]>,
    now: OffsetDateTime,
    counted: bool,
) -> Result<Vec<BacklogRow>> {
    if counted {
        return backlog_from_counts(reader, units, now).await;
    }
    let mut sql = Sql::new(&format!(
        "SELECT lead_unit, state, COUNT(*) AS open, \
         SUM(CASE WHEN due_at < $1 AND state IN ({OWED_STATES}) THEN 1 ELSE 0 END) AS overdue \
         FROM cases WHERE {OPEN}"
    ));
    sql.bind_first(Arg::Int(to_micros(now)));
    push_units(&mut sql, units);
    sql.push(
        " GROUP BY lead_unit, state ORDER BY lead_unit, state",
        vec![],
    );
    let rows = sql.query().fetch_all(reader).await?;
    rows.iter()
        .map(|row| {
            Ok(BacklogRow {
                unit: row.try_get("lead_unit")?,
                state: code(&row.try_get::<String, _>("state")?, State::parse)?,
                open: row.try_get("open")?,
                overdue: row.try_get::<Option<i64>, _>("overdue")?.unwrap_or(0),
            })
        })
        .collect()
}

/// The open counts from the counters; only the overdue cases, which depend on the time, are
/// counted from the table (through the index of due times).
async fn backlog_from_counts(
    reader: &AnyPool,
    units: Option<&[String]>,
    now: OffsetDateTime,
) -> Result<Vec<BacklogRow>> {
    let open = super::counts::open_counts(reader, units).await?;
    let mut sql = Sql::new(&format!(
        // `state || ''` keeps SQLite off the index of all states, so that it reads the covering
        // index of open cases instead of looking up every owed case in the table.
        "SELECT lead_unit, state, COUNT(*) AS overdue FROM cases \
         WHERE due_at < $1 AND (state || '') IN ({OWED_STATES}) AND {OPEN}"
    ));
    sql.bind_first(Arg::Int(to_micros(now)));
    push_units(&mut sql, units);
    sql.push(" GROUP BY lead_unit, state", vec![]);
    let mut overdue = std::collections::BTreeMap::new();
    for row in sql.query().fetch_all(reader).await? {
        let unit: Option<String> = row.try_get("lead_unit")?;
        let state = code(&row.try_get::<String, _>("state")?, State::parse)?;
        overdue.insert((unit, state), row.try_get::<i64, _>("overdue")?);
    }
    Ok(open
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|((unit, state), n)| BacklogRow {
            overdue: overdue.get(&(unit.clone(), state)).copied().unwrap_or(0),
            unit,
            state,
            open: n,
        })
        .collect())
}

pub async fn next_due(
    reader: &AnyPool,
    backend: super::Backend,
    at: OffsetDateTime,
) -> Result<Option<OffsetDateTime>> {
    // Walks the due times upwards from `at` and stops at the first owed case. Finished cases
    // have no due time, so few rows are passed over.
    let by_due = match backend {
        super::Backend::Sqlite => " INDEXED BY cases_by_due",
        super::Backend::Postgres => "",
    };
    let mut sql = Sql::new(&format!(
        "SELECT due_at FROM cases{by_due} WHERE due_at >= $1 AND state IN ({OWED_STATES}) \
         ORDER BY due_at LIMIT 1"
    ));
    sql.bind_first(Arg::Int(to_micros(at)));
    let row = sql.query().fetch_optional(reader).await?;
    row.map(|row| crate::time_codec::from_micros(row.try_get("due_at")?))
        .transpose()
}

pub async fn period_counts(
    reader: &AnyPool,
    units: Option<&[String]>,
    from: OffsetDateTime,
    to: OffsetDateTime,
    counting: Option<time::UtcOffset>,
) -> Result<Vec<PeriodRow>> {
    if let Some(months) = counting.and_then(|offset| super::counts::whole_months(from, to, offset))
    {
        return super::counts::month_rows(reader, units, &months).await;
    }
    let mut sql = Sql::new(
        "SELECT kind, category, channel, state, COUNT(*) AS n FROM cases WHERE created_at >= ",
    );
    sql.push(
        "? AND created_at < ?",
        vec![Arg::Int(to_micros(from)), Arg::Int(to_micros(to))],
    );
    push_units(&mut sql, units);
    sql.push(" GROUP BY kind, category, channel, state", vec![]);
    let rows = sql.query().fetch_all(reader).await?;
    rows.iter()
        .map(|row| {
            Ok(PeriodRow {
                kind: code(&row.try_get::<String, _>("kind")?, Kind::parse)?,
                category: row.try_get("category")?,
                channel: code(&row.try_get::<String, _>("channel")?, Channel::parse)?,
                state: code(&row.try_get::<String, _>("state")?, State::parse)?,
                count: row.try_get("n")?,
            })
        })
        .collect()
}

/// The on-time figures of DOMAIN.md for `[from, to)`; `to` should not lie in the future.
pub async fn on_time(
    reader: &AnyPool,
    units: Option<&[String]>,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Result<OnTimeCounts> {
    // Merged cases are counted through the case they were merged into.
    let mut closed = Sql::new(
        "SELECT COUNT(*) AS closed, \
         SUM(CASE WHEN breached_at IS NULL THEN 1 ELSE 0 END) AS on_time \
         FROM cases WHERE closed_at IS NOT NULL AND closed_at >= ",
    );
    closed.push(
        "? AND closed_at < ? AND state <> 'merged'",
        vec![Arg::Int(to_micros(from)), Arg::Int(to_micros(to))],
    );
    push_units(&mut closed, units);
    let row = closed.query().fetch_one(reader).await?;
    let closed_count: i64 = row.try_get("closed")?;
    let on_time: i64 = row.try_get::<Option<i64>, _>("on_time")?.unwrap_or(0);

    // Open at the period's end and past a due time: cases still open (read from the partial
    // index of open cases), plus cases that closed only after the period's end. The unary plus
    // keeps the planner off the creation-time index, which would read the whole table.
    let mut still_open = Sql::new(&format!(
        "SELECT COUNT(*) AS n FROM cases WHERE {OPEN} AND +created_at < $1 \
         AND ((breached_at IS NOT NULL AND breached_at < $1) OR (due_at < $1 AND state IN ({OWED_STATES})))"
    ));
    still_open.bind_first(Arg::Int(to_micros(to)));
    push_units(&mut still_open, units);
    let mut closed_later = Sql::new(
        "SELECT COUNT(*) AS n FROM cases WHERE closed_at >= $1 AND +created_at < $1 \
         AND breached_at IS NOT NULL AND breached_at < $1 AND state <> 'merged'",
    );
    closed_later.bind_first(Arg::Int(to_micros(to)));
    push_units(&mut closed_later, units);
    let mut open_overdue = 0;
    for sql in [still_open, closed_later] {
        let n: i64 = sql.query().fetch_one(reader).await?.try_get("n")?;
        open_overdue += n;
    }
    Ok(OnTimeCounts {
        closed: closed_count,
        closed_on_time: on_time,
        open_overdue,
    })
}
