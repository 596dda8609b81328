//! Statistics of any period and filter, for the roles that watch figures: the coordinator,
//! leadership, auditors and monitors see the whole agency, unit staff their own units. The
//! figures carry no personal data, so a monitor sees exactly what leadership sees. The same
//! computation feeds the API, the pages and the report files, so they cannot disagree.

use crate::AppError;
use crate::service::{Aduan, StaffUser};
use crate::shared_cache::{Asking, FiguresKey, Fresh};
use aduan_domain::intake::FieldError;
use aduan_domain::statistics::{Filter, Period, Statistics, Tally};
use aduan_domain::{Channel, Kind, Privacy};
use serde::{Deserialize, Serialize};
use time::{Date, Duration};

use crate::deadlines::MAX_PERIOD_DAYS;

/// A statistics request as it arrives (query string or command line): every field optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    /// First day, YYYY-MM-DD (default: the first of this month).
    pub from: Option<String>,
    /// Last day, included, YYYY-MM-DD (default: today).
    pub to: Option<String>,
    pub kind: Option<String>,
    pub category: Option<String>,
    /// The lead unit.
    pub unit: Option<String>,
    pub channel: Option<String>,
    pub privacy: Option<String>,
    /// A province, as reporters write it.
    pub region: Option<String>,
}

/// The filter as understood, echoed with the figures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FilterView {
    pub kind: Option<String>,
    pub category: Option<String>,
    pub unit: Option<String>,
    pub channel: Option<String>,
    pub privacy: Option<String>,
    pub region: Option<String>,
}

/// The figures of a period with what they are about.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatisticsReport {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub from: Date,
    /// The last day, included.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub to: Date,
    pub filter: FilterView,
    /// Rates are given only over at least this many cases.
    pub min_group: u32,
    /// Whether only some units' cases are counted (unit staff).
    pub units_only: Option<Vec<String>>,
    pub figures: Statistics,
}

fn invalid(field: &str, code: &'static str) -> AppError {
    AppError::Validation(vec![FieldError::new(field, code)])
}

fn date(value: Option<&str>, field: &str) -> Result<Option<Date>, AppError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| Date::parse(v, format).map_err(|_| invalid(field, "invalid")))
        .transpose()
}

fn coded<T>(
    value: Option<&String>,
    field: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<Option<T>, AppError> {
    value
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .map(|v| parse(v).ok_or_else(|| invalid(field, "unknown")))
        .transpose()
}

impl Aduan {
    /// The figures the user may see for the request.
    pub async fn statistics(
        &self,
        user: &StaffUser,
        query: &StatsQuery,
    ) -> Result<StatisticsReport, AppError> {
        let units = self.statistics_units(user)?;
        self.statistics_within(units, query).await
    }

    /// The whole agency's figures, for the command line and scheduled reports.
    pub async fn statistics_all(&self, query: &StatsQuery) -> Result<StatisticsReport, AppError> {
        self.statistics_within(None, query).await
    }

    async fn statistics_within(
        &self,
        units: Option<Vec<String>>,
        query: &StatsQuery,
    ) -> Result<StatisticsReport, AppError> {
        let org = self.organisation();
        let calendar = self.calendar();
        let now = self.now();
        let today = calendar.local_date(now);
        let to = date(query.to.as_deref(), "to")?.unwrap_or(today);
        let from =
            date(query.from.as_deref(), "from")?.unwrap_or_else(|| to.replace_day(1).unwrap_or(to));
        if from > to || (to - from).whole_days() > MAX_PERIOD_DAYS {
            return Err(invalid("from", "invalid_period"));
        }
        let text = |v: Option<&String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        let category = text(query.category.as_ref());
        if category
            .as_ref()
            .is_some_and(|c| !org.categories.iter().any(|k| &k.code == c))
        {
            return Err(invalid("category", "unknown"));
        }
        let unit = text(query.unit.as_ref());
        if unit
            .as_ref()
            .is_some_and(|u| !org.units.iter().any(|k| &k.code == u))
        {
            return Err(invalid("unit", "unknown"));
        }
        let filter = Filter {
            kind: coded(query.kind.as_ref(), "kind", Kind::parse)?,
            category,
            unit,
            channel: coded(query.channel.as_ref(), "channel", Channel::parse)?,
            privacy: coded(query.privacy.as_ref(), "privacy", Privacy::parse)?,
            region: text(query.region.as_ref()).map(|r| r.chars().take(100).collect()),
        };
        let offset = calendar.offset();
        let start = from.midnight().assume_offset(offset);
        // The end of the last day, or now if that is earlier: nothing is overdue in the future.
        let end = (to.midnight().assume_offset(offset) + Duration::DAY)
            .min(now + Duration::SECOND)
            .max(start);
        let min_group = org.reports.min_group;
        let asking = Asking {
            changes: self.changes(),
            ended: end <= now,
            now,
        };
        let key = FiguresKey::new(units.as_deref(), &filter, from, to, min_group);
        let compute = async {
            let period = Period {
                from: start,
                to: end,
            };
            // Counted as the cases are read, a few hundred at a time, between reads: no more
            // than a few chunks of cases are held, and no thread is kept from requests for long.
            let mut tally = Tally::new(period, &calendar, u64::from(min_group));
            self.store
                .each_case_facts(units.as_deref(), &filter, start, end, &mut |case| {
                    tally.add(&case, &calendar)
                })
                .await?;
            Ok(Fresh::new(tally.finish()))
        };
        let figures: Statistics = (*self.figures.get(key, asking, compute).await?).clone();
        Ok(StatisticsReport {
            from,
            to,
            filter: FilterView {
                kind: filter.kind.map(|k| k.code().to_string()),
                category: filter.category,
                unit: filter.unit,
                channel: filter.channel.map(|c| c.code().to_string()),
                privacy: filter.privacy.map(|p| p.code().to_string()),
                region: filter.region,
            },
            min_group: org.reports.min_group,
            units_only: units,
            figures,
        })
    }
}

/// One figure of the summary table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Figure {
    Count(u64),
    /// Working days; none when no case counted.
    Days(Option<i64>),
    /// A percentage or a mean, one decimal; none when not given.
    Rate(Option<f64>),
}

impl Figure {
    /// As written in a CSV cell: empty when there is no value.
    pub fn text(self) -> String {
        match self {
            Figure::Count(n) => n.to_string(),
            Figure::Days(d) => d.map(|d| d.to_string()).unwrap_or_default(),
            Figure::Rate(r) => r.map(|r| format!("{r:.1}")).unwrap_or_default(),
        }
    }

    pub fn number(self) -> Option<f64> {
        match self {
            Figure::Count(n) => Some(n as f64),
            Figure::Days(d) => d.map(|d| d as f64),
            Figure::Rate(r) => r,
        }
    }
}

/// The summary table, in the order every file shows it (codes as in the JSON).
pub fn summary_rows(f: &Statistics) -> Vec<(&'static str, Figure)> {
    use Figure::{Count, Days, Rate};
    vec![
        ("received", Count(f.received)),
        ("verified", Count(f.verified)),
        ("rejected", Count(f.rejected)),
        ("forwarded", Count(f.forwarded)),
        ("answered", Count(f.answered)),
        ("closed", Count(f.closed)),
        ("open_at_end", Count(f.open_at_end)),
        ("overdue_at_end", Count(f.overdue_at_end)),
        ("days_to_verify_median", Days(f.days_to_verify.median)),
        ("days_to_verify_p90", Days(f.days_to_verify.p90)),
        (
            "days_to_first_answer_median",
            Days(f.days_to_first_answer.median),
        ),
        ("days_to_first_answer_p90", Days(f.days_to_first_answer.p90)),
        ("days_to_close_median", Days(f.days_to_close.median)),
        ("days_to_close_p90", Days(f.days_to_close.p90)),
        ("closed_on_time", Count(f.on_time.closed_on_time)),
        ("on_time_rate", Rate(f.on_time.rate)),
        ("ratings", Count(f.satisfaction.ratings)),
        ("rating_average", Rate(f.satisfaction.average)),
        ("accepted", Count(f.satisfaction.accepted)),
        ("objected", Count(f.satisfaction.objected)),
        ("accepted_share", Rate(f.satisfaction.accepted_share)),
        (
            "alleging_maladministration",
            Count(f.alleging_maladministration),
        ),
    ]
}

/// Every table of a report as one CSV in long form (section, key, measure, value), UTF-8 with
/// a byte-order mark so that spreadsheet programs show Indonesian text right.
pub fn statistics_csv(report: &StatisticsReport) -> Result<Vec<u8>, AppError> {
    let f = &report.figures;
    let mut rows: Vec<(&str, String, &str, String)> = Vec::new();
    let rate = |v: Option<f64>| Figure::Rate(v).text();
    let period = format!("{}..{}", report.from, report.to);
    for (measure, figure) in summary_rows(f) {
        rows.push(("summary", period.clone(), measure, figure.text()));
    }
    for (section, counts) in [
        ("category", &f.by_category),
        ("region", &f.by_region),
        ("channel", &f.by_channel),
        ("kind", &f.by_kind),
        ("maladministration", &f.by_maladministration),
    ] {
        for count in counts {
            rows.push((
                section,
                count.key.clone(),
                "received",
                count.cases.to_string(),
            ));
        }
    }
    for unit in &f.by_unit {
        for (measure, value) in [
            ("received", unit.received.to_string()),
            ("closed", unit.closed.to_string()),
            ("open_at_end", unit.open_at_end.to_string()),
            ("overdue_at_end", unit.overdue_at_end.to_string()),
            ("on_time_rate", rate(unit.on_time.rate)),
        ] {
            rows.push(("unit", unit.unit.clone(), measure, value));
        }
    }
    for week in &f.weeks {
        rows.push((
            "week",
            week.week.to_string(),
            "received",
            week.received.to_string(),
        ));
        rows.push((
            "week",
            week.week.to_string(),
            "closed",
            week.closed.to_string(),
        ));
    }
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut writer = csv::Writer::from_writer(&mut out);
        let fail = |e: csv::Error| AppError::Internal(format!("csv: {e}"));
        writer
            .write_record([
                "bagian/section",
                "kunci/key",
                "ukuran/measure",
                "nilai/value",
            ])
            .map_err(fail)?;
        for (section, key, measure, value) in rows {
            writer
                .write_record([section, key.as_str(), measure, value.as_str()])
                .map_err(fail)?;
        }
        writer
            .flush()
            .map_err(|e| AppError::Internal(format!("csv: {e}")))?;
    }
    Ok(out)
}
