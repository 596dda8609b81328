//! Admin endpoints: the working-day calendar, message templates and the job queue.

use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Staff};
use crate::state::AppState;
use aduan_app::admin::{JobCounts, JobView, TemplateView};
use aduan_app::calendar::{CalendarView, ExtraDay, ExtraDayKind};
use aduan_app::mail_in::QuarantineView;
use aduan_app::open311::ApiKeyView;
use aduan_app::templates::TemplateText;
use aduan_domain::Language;
use aduan_store::JobState;
use axum::Json;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::StatusCode;
use serde::Deserialize;
use time::Date;
use utoipa::{IntoParams, ToSchema};

fn parse_date(text: &str) -> Result<Date, ApiError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text, &format).map_err(|_| {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_query").field("date", "invalid_date")
    })
}

#[utoipa::path(
    get, path = "/api/v1/admin/calendar", tag = "admin",
    security(("bearer" = [])),
    responses((status = 200, description = "Success", body = CalendarView), (status = 401, description = "Not logged in", body = ErrorBody), (status = 403, description = "Admins only", body = ErrorBody))
)]
/// The working-day calendar: years with holiday data, years missing it, and added days.
pub async fn calendar(
    State(state): State<AppState>,
    Staff(user, _): Staff,
) -> Result<Json<CalendarView>, ApiError> {
    Ok(Json(state.aduan.calendar_view(&user).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarDayBody {
    pub kind: ExtraDayKind,
    /// Why (the decree, the regional holiday), 1–200 characters.
    pub reason: String,
}

#[utoipa::path(
    put, path = "/api/v1/admin/calendar/days/{date}", tag = "admin",
    security(("bearer" = [])),
    params(("date" = String, Path, description = "YYYY-MM-DD")),
    request_body = CalendarDayBody,
    responses((status = 200, description = "The calendar after the change", body = CalendarView), (status = 400, description = "Malformed date", body = ErrorBody), (status = 401, description = "Not logged in", body = ErrorBody), (status = 403, description = "Admins only", body = ErrorBody), (status = 422, description = "Invalid reason, or the day already is what was asked", body = ErrorBody))
)]
/// Adds a day off or a worked weekend day. Due times already set stay; new ones count it.
pub async fn put_calendar_day(
    State(state): State<AppState>,
    Staff(user, _): Staff,
    Path(date): Path<String>,
    ApiJson(body): ApiJson<CalendarDayBody>,
) -> Result<Json<CalendarView>, ApiError> {
    let date = parse_date(&date)?;
    let day = ExtraDay {
        date,
        kind: body.kind,
        reason: body.reason,
    };
    Ok(Json(state.aduan.set_calendar_day(&user, day).await?))
}

#[utoipa::path(
    delete, path = "/api/v1/admin/calendar/days/{date}", tag = "admin",
    security(("bearer" = [])),
    params(("date" = String, Path, description = "YYYY-MM-DD")),
    responses((status = 200, description = "The calendar after the change", body = CalendarView), (status = 401, description = "Not logged in", body = ErrorBody), (status = 403, description = "Admins only", body = ErrorBody), (status = 404, description = "No added day on that date", body = ErrorBody))
)]
/// Removes an added day.
pub async fn delete_calendar_day(
    State(state): State<AppState>,
    Staff(user, _): Staff,
    Path(date): Path<String>,
) -> Result<Json<CalendarView>, ApiError> {
    let date = parse_date(&date)?;
    Ok(Json(state.aduan.remove_calendar_day(&user, date).await?))
}

#[utoipa::path(
    get, path = "/api/v1/admin/email-templates", tag = "admin",
    security(("bearer" = [])),
    responses((status = 200, description = "Success", body = [TemplateView]), (status = 401, description = "Not logged in", body = ErrorBody), (status = 403, description = "Admins only", body = ErrorBody))
)]
/// Every e-mail template in both languages, as in force.
pub async fn email_templates(
    State(state): State<AppState>,
    Staff(user, _): Staff,
) -> Result<Json<Vec<TemplateView>>, ApiError> {
    Ok(Json(state.aduan.email_templates(&user).await?))
}

fn parse_language(code: &str) -> Result<Language, ApiError> {
    Language::parse(code).ok_or_else(ApiError::not_found)
}

#[utoipa::path(
    put, path = "/api/v1/admin/email-templates/{language}/{name}", tag = "admin",
    security(("bearer" = [])),
    params(("language" = String, Path, description = "`id` or `en`"), ("name" = String, Path)),
    request_body = TemplateText,
    responses((status = 200, description = "Every template after the change", body = [TemplateView]), (status = 401, description = "Not logged in", body = ErrorBody), (status = 403, description = "Admins only", body = ErrorBody), (status = 404, description = "No such language or template", body = ErrorBody), (status = 422, description = "The template does not render", body = ErrorBody))
)]
/// Replaces a template's subject and body (minijinja; unknown variables are refused).
pub async fn put_email_template(
    State(state): State<AppState>,
    Staff(user, _): Staff,
    Path((language, name)): Path<(String, String)>,
    ApiJson(body): ApiJson<TemplateText>,
) -> Result<Json<Vec<TemplateView>>, ApiError> {
    let language = parse_language(&language)?;
    Ok(Json(
        state
            .aduan
            .edit_email_template(&user, language, &name, Some(body))
            .await?,
    ))
}

#[utoipa::path(
    delete, path = "/api/v1/admin/email-templates/{language}/{name}", tag = "admin",
    security(("bearer" = [])),
    params(("language" = String, Path), ("name" = String, Path)),
    responses((status = 200, description = "Every template after the change", body = [TemplateView]), (status = 401, description = "Not logged in", body = ErrorBody), (status = 403, description = "Admins only", body = ErrorBody), (status = 404, description = "No such language or template", body = ErrorBody))
)]
/// Puts a template back to the shipped text.
pub async fn reset_email_template(
    State(state): State<AppState>,
    Staff(user, _): Staff,
    Path((language, name)): Path<(String, String)>,
) -> Result<Json<Vec<TemplateView>>, ApiError> {
    let language = parse_language(&language)?;
    Ok(Json(
        state
            .aduan
            .edit_email_template(&user, language, &name, None)
            .await?,
    ))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct JobQuery {
    /// `queued`, `running`, `done` or `failed` (default).
    pub state: Option<String>,
    /// 1–500 (default 100).
    pub limit: Option<u32>,
}

#[utoipa::path(
    get, path = "/api/v1/admin/jobs", tag = "admin",
    security(("bearer" = [])),
    params(JobQuery),
    responses((status = 200, description = "Newest first", body = [JobView]), (status = 400, description = "Bad query", body = ErrorBody), (status = 401, description = "Not logged in", body = ErrorBody), (status = 403, description = "Admins only", body = ErrorBody))
)]
/// Background jobs (e-mail) in one state, with their last error.
pub async fn jobs(
    State(state): State<AppState>,
    Staff(user, _): Staff,
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<JobView>>, ApiError> {
    let bad = |field: &str| {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_query").field(field, "invalid")
    };
    let query: JobQuery = match raw.as_deref() {
        None | Some("") => JobQuery::default(),
        Some(raw) => {
            let uri: axum::http::Uri = format!("/?{raw}").parse().map_err(|_| bad("query"))?;
            axum::extract::Query::<JobQuery>::try_from_uri(&uri)
                .map_err(|_| bad("query"))?
                .0
        }
    };
    let job_state = match query.state.as_deref() {
        None => JobState::Failed,
        Some(code) => JobState::parse(code).ok_or_else(|| bad("state"))?,
    };
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_query").field("limit", "out_of_range")
        );
    }
    Ok(Json(state.aduan.jobs(&user, job_state, limit).await?))
}

#[utoipa::path(
    get, path = "/api/v1/admin/jobs/counts", tag = "admin",
    security(("bearer" = [])),
    responses((status = 200, description = "Success", body = JobCounts), (status = 401, description = "Not logged in", body = ErrorBody), (status = 403, description = "Admins only", body = ErrorBody))
)]
/// How many jobs are queued, running, done and failed.
pub async fn job_counts(
    State(state): State<AppState>,
    Staff(user, _): Staff,
) -> Result<Json<JobCounts>, ApiError> {
    Ok(Json(state.aduan.job_counts(&user).await?))
}

#[utoipa::path(
    post, path = "/api/v1/admin/jobs/{id}/retry", tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204, description = "Queued again"), (status = 401, description = "Not logged in", body = ErrorBody), (status = 403, description = "Admins only", body = ErrorBody), (status = 404, description = "No failed job with this id", body = ErrorBody))
)]
/// Queues a failed job again, with its attempts counted afresh.
pub async fn retry_job(
    State(state): State<AppState>,
    Staff(user, _): Staff,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found())?;
    state.aduan.retry_job(&user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyBody {
    /// Who the key is for (the client application), 1–100 characters.
    pub name: String,
}

/// A newly issued key: shown this once, only its hash is kept.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct IssuedKey {
    pub id: i64,
    pub name: String,
    /// The key for the client's `api_key` parameter.
    pub key: String,
}

#[utoipa::path(
    post, path = "/api/v1/admin/api-keys", tag = "admin",
    security(("bearer" = [])),
    request_body = ApiKeyBody,
    responses((status = 201, description = "Issued; the key is shown only now", body = IssuedKey), (status = 401, description = "Not logged in", body = ErrorBody), (status = 403, description = "Admins only", body = ErrorBody), (status = 422, description = "Missing or invalid name", body = ErrorBody))
)]
/// Issues an API key for an Open311 client.
pub async fn issue_api_key(
    State(state): State<AppState>,
    Staff(user, _): Staff,
    ApiJson(body): ApiJson<ApiKeyBody>,
) -> Result<(StatusCode, Json<IssuedKey>), ApiError> {
    let (id, key) = state.aduan.issue_api_key(&user, &body.name).await?;
    Ok((
        StatusCode::CREATED,
        Json(IssuedKey {
            id,
            name: body.name.trim().to_string(),
            key,
        }),
    ))
}

#[utoipa::path(
    get, path = "/api/v1/admin/api-keys", tag = "admin",
    security(("bearer" = [])),
    responses((status = 200, description = "Every key, newest first, without the keys themselves", body = Vec<ApiKeyView>), (status = 401, description = "Not logged in", body = ErrorBody), (status = 403, description = "Admins only", body = ErrorBody))
)]
/// The API keys issued to client systems.
pub async fn api_keys(
    State(state): State<AppState>,
    Staff(user, _): Staff,
) -> Result<Json<Vec<ApiKeyView>>, ApiError> {
    Ok(Json(state.aduan.api_keys(&user).await?))
}

#[utoipa::path(
    delete, path = "/api/v1/admin/api-keys/{id}", tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204, description = "Revoked: the client's requests are refused from now on"), (status = 401, description = "Not logged in", body = ErrorBody), (status = 403, description = "Admins only", body = ErrorBody), (status = 404, description = "No active key with this id", body = ErrorBody))
)]
/// Revokes an API key.
pub async fn revoke_api_key(
    State(state): State<AppState>,
    Staff(user, _): Staff,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found())?;
    state.aduan.revoke_api_key(&user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct QuarantineQuery {
    /// `held` (default), `retried` or `discarded`.
    pub state: Option<String>,
}

#[utoipa::path(
    get, path = "/api/v1/admin/quarantine", tag = "admin",
    security(("bearer" = [])),
    params(QuarantineQuery),
    responses((status = 200, description = "Mail kept aside, newest first (at most 200)", body = Vec<QuarantineView>), (status = 401, description = "Not logged in", body = ErrorBody), (status = 403, description = "Admins only", body = ErrorBody))
)]
/// Mail that could not become a case or a message, kept whole.
pub async fn quarantine(
    State(state): State<AppState>,
    Staff(user, _): Staff,
    Query(query): Query<QuarantineQuery>,
) -> Result<Json<Vec<QuarantineView>>, ApiError> {
    let which = query.state.as_deref().unwrap_or("held");
    Ok(Json(state.aduan.quarantine(&user, which).await?))
}

#[utoipa::path(
    post, path = "/api/v1/admin/quarantine/{id}/retry", tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, description = "Handled again as genuine mail (no loop checks): a case, a message on a case, or kept again with a new reason", body = Object), (status = 401, description = "Not logged in", body = ErrorBody), (status = 403, description = "Admins only", body = ErrorBody), (status = 404, description = "No held mail with this id", body = ErrorBody))
)]
/// Handles a kept mail again.
pub async fn retry_quarantined(
    State(state): State<AppState>,
    Staff(user, _): Staff,
    Path(id): Path<String>,
) -> Result<Json<aduan_app::mail_in::MailOutcome>, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found())?;
    Ok(Json(state.aduan.retry_quarantined(&user, id).await?))
}

#[utoipa::path(
    post, path = "/api/v1/admin/quarantine/{id}/discard", tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204, description = "Discarded (kept, marked as such)"), (status = 401, description = "Not logged in", body = ErrorBody), (status = 403, description = "Admins only", body = ErrorBody), (status = 404, description = "No held mail with this id", body = ErrorBody))
)]
/// Discards a kept mail.
pub async fn discard_quarantined(
    State(state): State<AppState>,
    Staff(user, _): Staff,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found())?;
    state.aduan.discard_quarantined(&user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
