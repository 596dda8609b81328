//! Statistics of any period and filter, as JSON or as a CSV of every table.

use crate::error::{ApiError, ErrorBody};
use crate::extract::Staff;
use crate::state::AppState;
use aduan_app::statistics::{StatisticsReport, StatsQuery, statistics_csv};
use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Reads the query string; an unknown or repeated parameter is a clear 400, not a guess.
fn query_of<T: serde::de::DeserializeOwned>(raw: Option<String>) -> Result<T, ApiError> {
    let bad = || ApiError::new(StatusCode::BAD_REQUEST, "invalid_query").field("query", "invalid");
    let uri: axum::http::Uri = format!("/?{}", raw.unwrap_or_default())
        .parse()
        .map_err(|_| bad())?;
    Ok(axum::extract::Query::<T>::try_from_uri(&uri)
        .map_err(|_| bad())?
        .0)
}

/// A file to download, named for the browser.
pub fn attachment(name: &str, content_type: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

#[utoipa::path(
    get, path = "/api/v1/stats", tag = "staff",
    security(("bearer" = [])),
    params(StatsQuery),
    responses((status = 200, description = "The figures of the period (no personal data); unit staff get their units' only", body = StatisticsReport), (status = 400, description = "Bad date, period, code or parameter", body = ErrorBody), (status = 401, description = "Not logged in, or the token expired or was revoked", body = ErrorBody), (status = 403, description = "The role may not see statistics", body = ErrorBody))
)]
/// Received, verified, rejected, forwarded, answered and closed in a period; open and overdue
/// at its end; time to verify, answer and close in working days; on-time rate; satisfaction;
/// breakdowns by category, region, channel, kind, unit and week.
pub async fn statistics(
    State(state): State<AppState>,
    Staff(user, _): Staff,
    RawQuery(raw): RawQuery,
) -> Result<Json<StatisticsReport>, ApiError> {
    let query: StatsQuery = query_of(raw)?;
    Ok(Json(state.aduan.statistics(&user, &query).await?))
}

#[utoipa::path(
    get, path = "/api/v1/stats/csv", tag = "staff",
    security(("bearer" = [])),
    params(StatsQuery),
    responses((status = 200, description = "Every table as CSV (section, key, measure, value), UTF-8 with a byte-order mark", content_type = "text/csv", body = String), (status = 400, description = "Bad date, period, code or parameter", body = ErrorBody), (status = 401, description = "Not logged in", body = ErrorBody), (status = 403, description = "The role may not see statistics", body = ErrorBody))
)]
/// The same figures as `/api/v1/stats`, for a spreadsheet.
pub async fn statistics_file(
    State(state): State<AppState>,
    Staff(user, _): Staff,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query: StatsQuery = query_of(raw)?;
    let report = state.aduan.statistics(&user, &query).await?;
    let bytes = statistics_csv(&report)?;
    Ok(attachment(
        &format!("statistik-{}-{}.csv", report.from, report.to),
        "text/csv; charset=utf-8",
        bytes,
    ))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// `xlsx` (default), `pdf`, `csv` or `json`.
    pub format: Option<String>,
}

#[utoipa::path(
    get, path = "/api/v1/reports/monthly/{month}", tag = "staff",
    security(("bearer" = [])),
    params(("month" = String, Path, description = "YYYY-MM"), ReportQuery),
    responses(
        (status = 200, description = "The month's report: a workbook with a summary sheet and one sheet per table (xlsx), a PDF document with the charts, every table as CSV, or the figures as JSON", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = String),
        (status = 400, description = "Unknown format or parameter", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "The role may not see statistics", body = ErrorBody),
        (status = 422, description = "Not a month (YYYY-MM)", body = ErrorBody),
    )
)]
/// The monthly report for leadership and the ministry, as a file.
pub async fn monthly_report(
    State(state): State<AppState>,
    Staff(user, _): Staff,
    axum::extract::Path(month): axum::extract::Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query: ReportQuery = query_of(raw)?;
    let format = query.format.as_deref().unwrap_or("xlsx");
    if !matches!(format, "xlsx" | "pdf" | "csv" | "json") {
        return Err(
            ApiError::new(StatusCode::BAD_REQUEST, "unknown_format").field("format", "unknown")
        );
    }
    let report = state.aduan.monthly_report(Some(&user), &month).await?;
    let file = |kind: &str, bytes: Vec<u8>, content_type: &str| {
        attachment(
            &format!("laporan-bulanan-{}.{kind}", report.month),
            content_type,
            bytes,
        )
    };
    Ok(match format {
        "json" => Json(&report.statistics).into_response(),
        "csv" => file(
            "csv",
            statistics_csv(&report.statistics)?,
            "text/csv; charset=utf-8",
        ),
        "pdf" => file(
            "pdf",
            aduan_app::pdf::monthly_pdf(&report, &state.aduan.organisation())?,
            "application/pdf",
        ),
        _ => file(
            "xlsx",
            aduan_app::reports::monthly_xlsx(&report, &state.aduan.organisation())?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    })
}

#[utoipa::path(
    get, path = "/api/v1/reports/info-service/{year}", tag = "staff",
    security(("bearer" = [])),
    params(("year" = i32, Path, description = "The year, e.g. 2026"), ReportQuery),
    responses(
        (status = 200, description = "The public information service report (laporan layanan informasi publik) of the year: requests, time per request, decisions, exemption grounds, objections; as a workbook (xlsx, the default), a PDF document in the regulation's parts, or JSON", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = aduan_app::reports::InfoServiceFile),
        (status = 400, description = "Unknown format or parameter", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "The role may not see statistics", body = ErrorBody),
        (status = 422, description = "Not a year", body = ErrorBody),
    )
)]
/// The yearly report on information requests that UU 14/2008 asks for.
pub async fn info_service_report(
    State(state): State<AppState>,
    Staff(user, _): Staff,
    axum::extract::Path(year): axum::extract::Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query: ReportQuery = query_of(raw)?;
    let year: i32 = year.trim().parse().map_err(|_| {
        ApiError::from(aduan_app::AppError::Validation(vec![
            aduan_domain::intake::FieldError::new("year", "invalid"),
        ]))
    })?;
    let file = state.aduan.info_service_report(Some(&user), year).await?;
    match query.format.as_deref().unwrap_or("xlsx") {
        "json" => Ok(Json(file).into_response()),
        "xlsx" => Ok(attachment(
            &format!("laporan-layanan-informasi-{year}.xlsx"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            aduan_app::reports::info_service_xlsx(&file)?,
        )),
        "pdf" => Ok(attachment(
            &format!("laporan-layanan-informasi-{year}.pdf"),
            "application/pdf",
            aduan_app::pdf::info_service_pdf(&file)?,
        )),
        _ => {
            Err(ApiError::new(StatusCode::BAD_REQUEST, "unknown_format").field("format", "unknown"))
        }
    }
}
