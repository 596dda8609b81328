//! Imports from SP4N-LAPOR! and social media over the API, and the updates for LAPOR!.

use crate::error::{ApiError, ErrorBody, FieldMessage};
use crate::extract::Staff;
use crate::i18n;
use crate::state::AppState;
use aduan_app::imports::{FileProblem, ImportFormat, ImportReport, MAX_IMPORT_BYTES, RowOutcome};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Largest import request: the largest file and a little room.
pub const IMPORT_BODY_LIMIT: usize = MAX_IMPORT_BYTES + 64 * 1024;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// `json` or `csv`; by default from the Content-Type (`application/json`, `text/csv`).
    pub format: Option<String>,
}

/// What an import did, row by row.
#[derive(Debug, Serialize, ToSchema)]
#[cfg_attr(test, derive(Deserialize))]
pub struct ImportReportBody {
    pub created: usize,
    pub joined: usize,
    pub already_imported: usize,
    pub refused: usize,
    pub rows: Vec<ImportRowBody>,
}

#[derive(Debug, Serialize, ToSchema)]
#[cfg_attr(test, derive(Deserialize))]
pub struct ImportRowBody {
    /// The CSV line (the header is line 1) or the position in the JSON array (from 1).
    pub line: u64,
    /// `created`, `joined`, `already_imported`, `refused` or `unreadable`.
    pub outcome: String,
    /// The case the row made or joined, now or in an earlier import.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    /// Why an unreadable row could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Each wrong field of a refused row.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub fields: Vec<FieldMessage>,
}

pub fn report_body(report: ImportReport) -> ImportReportBody {
    let rows = report
        .rows
        .into_iter()
        .map(|row| {
            let (outcome, ticket, message, errors) = match row.outcome {
                RowOutcome::Created { ticket } => ("created", Some(ticket), None, Vec::new()),
                RowOutcome::Joined { ticket } => ("joined", Some(ticket), None, Vec::new()),
                RowOutcome::AlreadyImported { ticket } => {
                    ("already_imported", Some(ticket), None, Vec::new())
                }
                RowOutcome::Refused { errors } => ("refused", None, None, errors),
                RowOutcome::Unreadable { message } => {
                    ("unreadable", None, Some(message), Vec::new())
                }
            };
            ImportRowBody {
                line: row.line,
                outcome: outcome.to_string(),
                ticket,
                message,
                fields: errors
                    .into_iter()
                    .map(|e| {
                        let (message_id, message_en) = i18n::message("field", e.code);
                        FieldMessage {
                            field: e.field,
                            code: e.code.to_string(),
                            message_id,
                            message_en,
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    ImportReportBody {
        created: report.created,
        joined: report.joined,
        already_imported: report.already_imported,
        refused: report.refused,
        rows,
    }
}

/// The file's format from the query, else from the Content-Type.
fn format_of(query: &ImportQuery, headers: &HeaderMap) -> Result<ImportFormat, ApiError> {
    if let Some(name) = &query.format {
        return ImportFormat::guess(name).ok_or_else(|| {
            ApiError::new(StatusCode::BAD_REQUEST, "unknown_format").field("format", "unknown")
        });
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if content_type.starts_with("application/json") {
        Ok(ImportFormat::Json)
    } else if content_type.starts_with("text/csv") {
        Ok(ImportFormat::Csv)
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unknown_format",
        ))
    }
}

pub fn file_problem(problem: &FileProblem) -> ApiError {
    tracing::info!(%problem, "import file refused");
    match problem {
        FileProblem::TooLarge => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "import_too_large"),
        FileProblem::TooManyRows => {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "import_too_many_rows")
        }
        FileProblem::Empty => ApiError::new(StatusCode::BAD_REQUEST, "import_empty"),
        FileProblem::Unreadable(_) => ApiError::new(StatusCode::BAD_REQUEST, "import_unreadable"),
    }
}

#[utoipa::path(
    post, path = "/api/v1/imports/lapor", tag = "imports",
    security(("bearer" = [])),
    params(ImportQuery),
    request_body(content_type = "application/json", description = "A JSON array of LAPOR! reports, or CSV (text/csv) with a header row; fields in docs/IMPORTS.md"),
    responses(
        (status = 200, description = "Each row's outcome; good rows are imported even when others are refused", body = ImportReportBody),
        (status = 400, description = "Empty or unreadable file, unknown format", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Coordinators, intake and admins only", body = ErrorBody),
        (status = 413, description = "More than 20 MB or 10,000 rows", body = ErrorBody),
        (status = 415, description = "Neither JSON nor CSV", body = ErrorBody),
    )
)]
/// Import reports forwarded by SP4N-LAPOR!; a report imported before is recognised by its
/// tracking id.
pub async fn import_lapor(
    State(state): State<AppState>,
    Staff(user, _): Staff,
    Query(query): Query<ImportQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ImportReportBody>, ApiError> {
    let format = format_of(&query, &headers)?;
    let report = state
        .aduan
        .import_lapor(&user, &body, format)
        .await?
        .map_err(|p| file_problem(&p))?;
    Ok(Json(report_body(report)))
}

#[utoipa::path(
    post, path = "/api/v1/imports/social", tag = "imports",
    security(("bearer" = [])),
    params(ImportQuery),
    request_body(content_type = "application/json", description = "A JSON array of messages, or CSV (text/csv) with a header row: platform, message_id, account, text, time, link, attachments, ticket"),
    responses(
        (status = 200, description = "Each row's outcome", body = ImportReportBody),
        (status = 400, description = "Empty or unreadable file, unknown format", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Coordinators and intake only", body = ErrorBody),
        (status = 413, description = "More than 20 MB or 10,000 rows", body = ErrorBody),
        (status = 415, description = "Neither JSON nor CSV", body = ErrorBody),
    )
)]
/// Import social media and WhatsApp messages: one naming a ticket joins that case, any other
/// makes a case with the account as the contact.
pub async fn import_social(
    State(state): State<AppState>,
    Staff(user, _): Staff,
    Query(query): Query<ImportQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ImportReportBody>, ApiError> {
    let format = format_of(&query, &headers)?;
    let report = state
        .aduan
        .import_social(&user, &body, format)
        .await?
        .map_err(|p| file_problem(&p))?;
    Ok(Json(report_body(report)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// From this day on, `YYYY-MM-DD` in the agency's time.
    pub since: String,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

/// One update for LAPOR! (the schema of the export's rows).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct LaporUpdateSchema {
    tracking_id: String,
    ticket: String,
    /// RFC 3339.
    at: String,
    /// `diverifikasi`, `diproses`, `permintaan_informasi`, `tindak_lanjut`, `selesai`, `ditolak`,
    /// `bukan_kewenangan` or `digabung`.
    status: String,
    /// Public wording only: the answer, the question, the reason.
    text: String,
}

#[utoipa::path(
    get, path = "/api/v1/exports/lapor", tag = "imports",
    security(("bearer" = [])),
    params(ExportQuery),
    responses(
        (status = 200, description = "Updates oldest first (at most 5,000; ask again from the last one's day)", body = Vec<LaporUpdateSchema>),
        (status = 400, description = "Bad date or format", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Coordinators and admins only", body = ErrorBody),
    )
)]
/// What the agency did on cases from SP4N-LAPOR! since a day, to post back to LAPOR!.
pub async fn export_lapor(
    State(state): State<AppState>,
    Staff(user, _): Staff,
    Query(query): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let since = time::Date::parse(query.since.trim(), &format).map_err(|_| {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_query").field("since", "invalid_date")
    })?;
    let since = state.aduan.calendar().start_of_day(since);
    let updates = state.aduan.lapor_updates(&user, since).await?;
    match query.format.as_deref().unwrap_or("json") {
        "json" => Ok(Json(updates).into_response()),
        "csv" => {
            let bytes = aduan_app::imports::lapor_updates_csv(&updates)?;
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                    (
                        header::CONTENT_DISPOSITION,
                        "attachment; filename=\"lapor-updates.csv\"",
                    ),
                ],
                bytes,
            )
                .into_response())
        }
        _ => {
            Err(ApiError::new(StatusCode::BAD_REQUEST, "unknown_format").field("format", "unknown"))
        }
    }
}
