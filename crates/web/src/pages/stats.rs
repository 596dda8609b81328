//! The statistics dashboard of the staff workspace: a month's figures with filters, charts
//! drawn on the server (received against finished per week, backlog and on-time rate per unit,
//! the channel mix) with their tables, and the monthly report to download. Leadership,
//! auditors, monitors and the coordinator see the whole agency, unit staff their own units;
//! nothing on it is personal data.

use super::session::Session;
use super::staff::StaffChrome;
use super::{Page, html, no_store};
use crate::routes::stats::attachment;
use crate::state::AppState;
use aduan_app::AppError;
use aduan_app::charts;
use aduan_app::reports::month_bounds;
use aduan_app::statistics::{StatisticsReport, StatsQuery, statistics_csv};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

/// The dashboard's form, as submitted (GET).
#[derive(Debug, Default, Deserialize)]
pub struct StatsForm {
    pub month: Option<String>,
    pub kind: Option<String>,
    pub category: Option<String>,
    pub unit: Option<String>,
    pub channel: Option<String>,
}

/// One choice of a select, with whether it is the one chosen.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// A chart with its caption.
pub struct Chart {
    pub caption: String,
    pub svg: String,
}

/// A headline figure.
pub struct Card {
    pub label: String,
    pub value: String,
}

#[derive(Template)]
#[template(path = "staff_stats.html")]
struct StatsPage {
    page: Page,
    staff: StaffChrome,
    month: String,
    kinds: Vec<Choice>,
    categories: Vec<Choice>,
    units: Vec<Choice>,
    channels: Vec<Choice>,
    units_only: bool,
    cards: Vec<Card>,
    charts: Vec<Chart>,
    /// The ten categories and regions with most cases received: name and count.
    top_categories: Vec<(String, u64)>,
    top_regions: Vec<(String, u64)>,
    /// Complaints received per form of maladministration alleged: name and count.
    maladministration: Vec<(String, u64)>,
    /// The year of the month shown, for the information-service report's links.
    year: String,
    report: StatisticsReport,
}

fn choices(options: Vec<(String, String)>, chosen: Option<&str>) -> Vec<Choice> {
    options
        .into_iter()
        .map(|(value, label)| Choice {
            selected: chosen == Some(value.as_str()),
            value,
            label,
        })
        .collect()
}

fn this_month(state: &AppState) -> String {
    let today = state.aduan.calendar().local_date(state.aduan.now());
    format!("{:04}-{:02}", today.year(), u8::from(today.month()))
}

const CHANNELS: [&str; 8] = [
    "web", "email", "walk_in", "phone", "letter", "lapor", "social", "api",
];

pub async fn stats_page(
    State(state): State<AppState>,
    page: Page,
    session: Session,
    Query(form): Query<StatsForm>,
) -> Response {
    let month = form
        .month
        .clone()
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| this_month(&state));
    let (first, last) = match month_bounds(&month) {
        Ok(bounds) => bounds,
        Err(e) => return super::error_page(page, e),
    };
    let query = StatsQuery {
        from: Some(first.to_string()),
        to: Some(last.to_string()),
        kind: form.kind.clone(),
        category: form.category.clone(),
        unit: form.unit.clone(),
        channel: form.channel.clone(),
        ..StatsQuery::default()
    };
    let report = match state.aduan.statistics(&session.user, &query).await {
        Ok(report) => report,
        Err(e) => return super::error_page(page, e),
    };
    let tr = &page.tr;
    let org = state.aduan.organisation();
    let english = tr.code() == "en";
    let f = &report.figures;
    let not_shown = tr
        .t("stats_not_shown")
        .replace("{n}", &report.min_group.to_string());
    let days = |d: Option<i64>| d.map_or_else(|| "-".to_string(), |d| d.to_string());
    let cards = vec![
        Card {
            label: tr.t("stats_received"),
            value: f.received.to_string(),
        },
        Card {
            label: tr.t("stats_finished"),
            value: f.closed.to_string(),
        },
        Card {
            label: tr.t("stats_open_end"),
            value: f.open_at_end.to_string(),
        },
        Card {
            label: tr.t("stats_overdue_end"),
            value: f.overdue_at_end.to_string(),
        },
        Card {
            label: tr.t("stats_on_time"),
            value: f
                .on_time
                .rate
                .map_or_else(|| not_shown.clone(), |r| format!("{r:.1}%")),
        },
        Card {
            label: tr.t("stats_median_verify"),
            value: days(f.days_to_verify.median),
        },
        Card {
            label: tr.t("stats_median_answer"),
            value: days(f.days_to_first_answer.median),
        },
        Card {
            label: tr.t("stats_p90_answer"),
            value: days(f.days_to_first_answer.p90),
        },
        Card {
            label: tr.t("stats_satisfaction"),
            value: f
                .satisfaction
                .average
                .map_or_else(|| "-".into(), |a| format!("{a:.1} / 5")),
        },
        Card {
            label: tr.t("stats_accepted_share"),
            value: f
                .satisfaction
                .accepted_share
                .map_or_else(|| "-".into(), |a| format!("{a:.1}%")),
        },
    ];
    let words = charts::ChartWords {
        trend: tr.t("stats_trend"),
        backlog: tr.t("stats_backlog_unit"),
        on_time: tr.t("stats_on_time_unit"),
        channels: tr.t("stats_channel_mix"),
        received: tr.t("stats_received"),
        finished: tr.t("stats_finished"),
        open: tr.t("col_open"),
        overdue: tr.t("col_overdue"),
    };
    let charts = charts::statistics_charts(f, &words, |code| tr.t(&format!("ch_{code}")))
        .into_iter()
        .map(|(caption, svg)| Chart { caption, svg })
        .collect();
    let top_categories = f
        .by_category
        .iter()
        .take(10)
        .map(|c| {
            let name = org.categories.iter().find(|k| k.code == c.key).map_or_else(
                || c.key.clone(),
                |k| {
                    if english {
                        k.name_en.clone()
                    } else {
                        k.name_id.clone()
                    }
                },
            );
            (name, c.cases)
        })
        .collect();
    let top_regions = f
        .by_region
        .iter()
        .take(10)
        .map(|r| (r.key.clone(), r.cases))
        .collect();
    let maladministration = f
        .by_maladministration
        .iter()
        .map(|m| (tr.t(&format!("maladministration_{}", m.key)), m.cases))
        .collect();
    let kinds = ["complaint", "info_request", "aspiration"]
        .iter()
        .map(|k| (k.to_string(), tr.t(&format!("kind_{k}"))))
        .collect();
    let categories = org
        .categories
        .iter()
        .map(|c| {
            let name = if english { &c.name_en } else { &c.name_id };
            (c.code.clone(), name.clone())
        })
        .collect();
    let units = org
        .units
        .iter()
        .map(|u| (u.code.clone(), u.name.clone()))
        .collect();
    let channels = CHANNELS
        .iter()
        .map(|c| (c.to_string(), tr.t(&format!("ch_{c}"))))
        .collect();
    no_store(html(StatsPage {
        staff: StaffChrome::of(&session),
        month,
        kinds: choices(kinds, form.kind.as_deref()),
        categories: choices(categories, form.category.as_deref()),
        units: choices(units, form.unit.as_deref()),
        channels: choices(channels, form.channel.as_deref()),
        units_only: report.units_only.is_some(),
        cards,
        charts,
        top_categories,
        top_regions,
        maladministration,
        year: report.from.year().to_string(),
        report,
        page,
    }))
}

#[derive(Debug, Deserialize)]
pub struct DownloadForm {
    pub month: String,
    pub format: String,
}

#[derive(Debug, Deserialize)]
pub struct InfoDownloadForm {
    pub year: String,
    pub format: String,
}

/// The yearly information-service report as a file, for the session's user.
pub async fn info_service_download(
    State(state): State<AppState>,
    page: Page,
    session: Session,
    Query(form): Query<InfoDownloadForm>,
) -> Response {
    let Ok(year) = form.year.trim().parse::<i32>() else {
        return super::error_page(
            page,
            AppError::Validation(vec![aduan_domain::intake::FieldError::new(
                "year", "invalid",
            )]),
        );
    };
    let file = match state
        .aduan
        .info_service_report(Some(&session.user), year)
        .await
    {
        Ok(file) => file,
        Err(e) => return super::error_page(page, e),
    };
    let (bytes, kind, content_type) = match form.format.as_str() {
        "xlsx" => (
            aduan_app::reports::info_service_xlsx(&file),
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        "pdf" => (
            aduan_app::pdf::info_service_pdf(&file),
            "pdf",
            "application/pdf",
        ),
        _ => return super::error_page(page, AppError::NotFound),
    };
    report_file(
        page,
        &format!("laporan-layanan-informasi-{year}.{kind}"),
        content_type,
        bytes,
    )
}

/// A made report file as a download, or the error page if making it failed.
fn report_file(
    page: Page,
    name: &str,
    content_type: &str,
    bytes: Result<Vec<u8>, AppError>,
) -> Response {
    match bytes {
        Ok(bytes) => no_store(attachment(name, content_type, bytes)),
        Err(e) => super::error_page(page, e),
    }
}

/// The monthly report as a file, for the session's user.
pub async fn stats_download(
    State(state): State<AppState>,
    page: Page,
    session: Session,
    Query(form): Query<DownloadForm>,
) -> Response {
    let report = match state
        .aduan
        .monthly_report(Some(&session.user), &form.month)
        .await
    {
        Ok(report) => report,
        Err(e) => return super::error_page(page, e),
    };
    let (bytes, kind, content_type) = match form.format.as_str() {
        "csv" => (
            statistics_csv(&report.statistics),
            "csv",
            "text/csv; charset=utf-8",
        ),
        "xlsx" => (
            aduan_app::reports::monthly_xlsx(&report, &state.aduan.organisation()),
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        "pdf" => (
            aduan_app::pdf::monthly_pdf(&report, &state.aduan.organisation()),
            "pdf",
            "application/pdf",
        ),
        _ => return super::error_page(page, AppError::NotFound),
    };
    report_file(
        page,
        &format!("laporan-bulanan-{}.{kind}", report.month),
        content_type,
        bytes,
    )
}
