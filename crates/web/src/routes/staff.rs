//! Endpoints for staff, with a bearer token. What each may see is scoped in the store.

use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Staff};
use crate::routes::public::CreatedResponse;
use crate::state::AppState;
use aduan_app::duplicates::DuplicateView;
use aduan_app::views::{BacklogView, CasePage, MonthlyStats, StaffCaseView};
use aduan_domain::intake::CaseInput;
use aduan_domain::{Action, Channel, Kind, State as CaseState};
use aduan_store::{CaseFilter, CaseSort};
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CaseQuery {
    /// One or more states, comma-separated.
    pub state: Option<String>,
    pub kind: Option<String>,
    pub category: Option<String>,
    /// Cases whose lead or supporting units include this unit.
    pub unit: Option<String>,
    pub channel: Option<String>,
    /// Received on or after this date (YYYY-MM-DD, agency time) or instant (RFC 3339).
    pub from: Option<String>,
    /// Received before this date (exclusive) or instant.
    pub to: Option<String>,
    /// `true`: only open cases past their due time.
    pub overdue: Option<bool>,
    /// Full-text search in title and description; Indonesian word forms match their stem.
    pub q: Option<String>,
    /// Order: `newest` received first (default), `oldest` first, or `due`: soonest due time
    /// first, only cases in which someone still owes a step.
    pub sort: Option<String>,
    /// The `next_cursor` of the previous page (of the same order).
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

#[utoipa::path(
    get, path = "/api/v1/cases", tag = "staff",
    security(("bearer" = [])),
    params(CaseQuery),
    responses((status = 200, description = "Success", body = CasePage), (status = 400, description = "Malformed request, unknown field or wrong type", body = ErrorBody), (status = 401, description = "Not logged in, or the token expired or was revoked", body = ErrorBody), (status = 403, description = "The role may not do this", body = ErrorBody))
)]
/// List the cases the caller may see, newest first.
pub async fn list_cases(
    State(state): State<AppState>,
    Staff(user, _): Staff,
    RawQuery(raw): RawQuery,
) -> Result<Json<CasePage>, ApiError> {
    let query: CaseQuery = match raw.as_deref() {
        None | Some("") => CaseQuery::default(),
        Some(raw) => parse_case_query(raw)?,
    };
    let filter = to_filter(&state, query)?;
    Ok(Json(state.aduan.list_cases(&user, filter).await?))
}

/// Query strings are decoded by serde_urlencoded through axum's `Query`; we keep the field name
/// of the first problem.
pub(crate) fn parse_case_query(raw: &str) -> Result<CaseQuery, ApiError> {
    let uri: axum::http::Uri = format!("/?{raw}")
        .parse()
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query"))?;
    axum::extract::Query::<CaseQuery>::try_from_uri(&uri)
        .map(|q| q.0)
        .map_err(|rejection| {
            let text = rejection.body_text();
            let mut error = ApiError::new(StatusCode::BAD_REQUEST, "invalid_query");
            if let Some(start) = text.find("unknown field `") {
                let rest = &text[start + 15..];
                if let Some(end) = rest.find('`') {
                    error = error.field(&rest[..end], "unknown_field");
                }
            } else if text.contains("overdue") {
                error = error.field("overdue", "invalid");
            } else if text.contains("limit") {
                error = error.field("limit", "invalid");
            }
            error
        })
}

pub(crate) fn to_filter(state: &AppState, q: CaseQuery) -> Result<CaseFilter, ApiError> {
    let mut errors = ApiError::new(StatusCode::BAD_REQUEST, "invalid_query");
    let org = state.aduan.organisation();
    let cal = state.aduan.calendar();
    let mut states = Vec::new();
    for code in q
        .state
        .iter()
        .flat_map(|s| s.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        match CaseState::parse(code) {
            Some(s) => states.push(s),
            None => errors = errors.field("state", "unknown"),
        }
    }
    let kind = q.kind.as_deref().and_then(|k| {
        Kind::parse(k).or_else(|| {
            errors.fields.push(("kind".into(), "unknown".into()));
            None
        })
    });
    if let Some(c) = &q.category
        && org.category(c).is_none()
    {
        errors = errors.field("category", "unknown");
    }
    if let Some(u) = &q.unit
        && org.unit(u).is_none()
    {
        errors = errors.field("unit", "unknown");
    }
    let channel = q.channel.as_deref().and_then(|c| {
        Channel::parse(c).or_else(|| {
            errors.fields.push(("channel".into(), "unknown".into()));
            None
        })
    });
    let mut instant = |field: &str, value: &Option<String>| -> Option<OffsetDateTime> {
        let value = value.as_deref()?;
        if let Ok(t) = OffsetDateTime::parse(value, &Rfc3339) {
            return Some(t);
        }
        match Date::parse(
            value,
            time::macros::format_description!("[year]-[month]-[day]"),
        ) {
            Ok(d) => Some(d.midnight().assume_offset(cal.offset())),
            Err(_) => {
                errors.fields.push((field.into(), "invalid_date".into()));
                None
            }
        }
    };
    let created_from = instant("from", &q.from);
    let created_to = instant("to", &q.to);
    let sort = match q.sort.as_deref() {
        None | Some("") | Some("newest") => CaseSort::Newest,
        Some("oldest") => CaseSort::Oldest,
        Some("due") => CaseSort::DueSoonest,
        Some(_) => {
            errors = errors.field("sort", "unknown");
            CaseSort::Newest
        }
    };
    let text = match q.q.as_deref().map(str::trim) {
        None | Some("") => Vec::new(),
        Some(query) if query.chars().count() > 200 => {
            errors = errors.field("q", "too_long");
            Vec::new()
        }
        Some(query) => {
            let terms = aduan_domain::search::query_terms(query);
            if terms.is_empty() {
                errors = errors.field("q", "invalid");
            }
            terms
        }
    };
    let limit = q.limit.unwrap_or(50);
    if !(1..=aduan_app::MAX_PAGE_SIZE).contains(&limit) {
        errors = errors.field("limit", "out_of_range");
    }
    if !errors.fields.is_empty() {
        return Err(errors);
    }
    Ok(CaseFilter {
        states,
        kind,
        category: q.category,
        unit: q.unit,
        channel,
        created_from,
        created_to,
        overdue_at: q.overdue.unwrap_or(false).then(|| state.aduan.now()),
        text,
        limit,
        sort,
        privacy: None,
        ..CaseFilter::default()
    })
    .and_then(|mut filter| match q.cursor.as_deref() {
        None | Some("") => Ok(filter),
        Some(cursor) if aduan_app::Aduan::apply_cursor(&mut filter, cursor) => Ok(filter),
        Some(_) => {
            Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_query").field("cursor", "invalid"))
        }
    })
}

#[utoipa::path(
    get, path = "/api/v1/cases/{ticket}", tag = "staff",
    security(("bearer" = [])),
    params(("ticket" = String, Path)),
    responses((status = 200, description = "Success", body = StaffCaseView), (status = 401, description = "Not logged in, or the token expired or was revoked", body = ErrorBody), (status = 404, description = "Unknown, or outside the caller's units", body = ErrorBody))
)]
/// One case with its whole timeline; personal data only as the role and privacy allow.
pub async fn get_case(
    State(state): State<AppState>,
    Staff(user, _): Staff,
    Path(ticket): Path<String>,
) -> Result<Json<StaffCaseView>, ApiError> {
    Ok(Json(state.aduan.staff_case(&user, &ticket).await?))
}

#[utoipa::path(
    post, path = "/api/v1/cases/{ticket}/actions", tag = "staff",
    security(("bearer" = [])),
    params(("ticket" = String, Path)),
    request_body = Action,
    responses(
        (status = 200, description = "Applied; the case as it is now", body = StaffCaseView),
        (status = 400, description = "Malformed request, unknown field or wrong type", body = ErrorBody), (status = 401, description = "Not logged in, or the token expired or was revoked", body = ErrorBody), (status = 403, description = "The role may not do this", body = ErrorBody),
        (status = 404, description = "Not found (or not visible to the caller)", body = ErrorBody), (status = 409, description = "Not possible in this state", body = ErrorBody),
        (status = 422, description = "Fields that are not valid", body = ErrorBody),
    )
)]
/// Apply a lifecycle action: verify, reject, forward, merge, dispose, accept, return, assign,
/// ask_info, note, submit_draft, send_back, approve, extend.
pub async fn act(
    State(state): State<AppState>,
    Staff(user, _): Staff,
    Path(ticket): Path<String>,
    ApiJson(action): ApiJson<Action>,
) -> Result<Json<StaffCaseView>, ApiError> {
    Ok(Json(state.aduan.act(&user, &ticket, action).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntakeBody {
    /// How the case reached the desk: walk_in, phone, letter, social, email, lapor.
    #[schema(example = "walk_in")]
    pub channel: String,
    /// For social media: the account the message came from.
    #[serde(default)]
    pub channel_account: Option<String>,
    pub case: CaseInput,
}

#[utoipa::path(
    post, path = "/api/v1/intake", tag = "staff",
    security(("bearer" = [])),
    request_body = IntakeBody,
    responses((status = 201, description = "Created", body = CreatedResponse), (status = 400, description = "Malformed request, unknown field or wrong type", body = ErrorBody), (status = 403, description = "The role may not do this", body = ErrorBody), (status = 422, description = "Fields that are not valid", body = ErrorBody))
)]
/// Register a case received at the desk, by phone, letter or social media.
pub async fn intake(
    State(state): State<AppState>,
    Staff(user, _): Staff,
    ApiJson(body): ApiJson<IntakeBody>,
) -> Result<(StatusCode, Json<CreatedResponse>), ApiError> {
    let channel = Channel::parse(&body.channel)
        .filter(|c| !matches!(c, Channel::Web | Channel::Api))
        .ok_or_else(|| {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
                .field("channel", "unknown")
        })?;
    let account = match body
        .channel_account
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        None => None,
        Some(a) if a.chars().count() > 200 => {
            return Err(
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
                    .field("channel_account", "too_long"),
            );
        }
        Some(a) if a.chars().any(char::is_control) => {
            return Err(
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
                    .field("channel_account", "control_characters"),
            );
        }
        Some(a) => Some(a.to_string()),
    };
    let created = state
        .aduan
        .create_case(&body.case, channel, Some(&user), account)
        .await
        .map_err(|e| {
            let mut error = ApiError::from(e);
            for field in &mut error.fields {
                field.0 = format!("case.{}", field.0);
            }
            error
        })?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// First day of the on-time period (YYYY-MM-DD; default: the first of this month).
    pub from: Option<String>,
    /// Last day of the on-time period, inclusive (YYYY-MM-DD; default: today).
    pub to: Option<String>,
}

#[utoipa::path(
    get, path = "/api/v1/backlog", tag = "staff",
    security(("bearer" = [])),
    params(PeriodQuery),
    responses((status = 200, description = "Success", body = BacklogView), (status = 400, description = "Malformed request, unknown field or wrong type", body = ErrorBody), (status = 401, description = "Not logged in, or the token expired or was revoked", body = ErrorBody), (status = 403, description = "The role may not do this", body = ErrorBody), (status = 422, description = "The period is not valid", body = ErrorBody))
)]
/// The backlog (*tunggakan*): open and overdue cases per lead unit and stage, the overdue cases
/// longest overdue first, and the on-time rate of a period. Units see their own; no personal data.
pub async fn backlog(
    State(state): State<AppState>,
    Staff(user, _): Staff,
    RawQuery(raw): RawQuery,
) -> Result<Json<BacklogView>, ApiError> {
    let bad = |field: &str, code: &str| {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_query").field(field, code)
    };
    let query: PeriodQuery = match raw.as_deref() {
        None | Some("") => PeriodQuery::default(),
        Some(raw) => {
            let uri: axum::http::Uri = format!("/?{raw}")
                .parse()
                .map_err(|_| bad("query", "invalid"))?;
            axum::extract::Query::<PeriodQuery>::try_from_uri(&uri)
                .map_err(|_| bad("query", "invalid"))?
                .0
        }
    };
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = |field: &str, text: Option<String>| -> Result<Option<Date>, ApiError> {
        text.map(|t| Date::parse(&t, &format).map_err(|_| bad(field, "invalid_date")))
            .transpose()
    };
    let from = date("from", query.from)?;
    let to = date("to", query.to)?;
    Ok(Json(state.aduan.backlog(&user, from, to).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MonthQuery {
    /// `YYYY-MM`
    pub month: String,
}

#[utoipa::path(
    get, path = "/api/v1/stats/monthly", tag = "staff",
    security(("bearer" = [])),
    params(MonthQuery),
    responses((status = 200, description = "Success", body = MonthlyStats), (status = 400, description = "Malformed request, unknown field or wrong type", body = ErrorBody), (status = 401, description = "Not logged in, or the token expired or was revoked", body = ErrorBody), (status = 403, description = "The role may not do this", body = ErrorBody))
)]
/// Cases received in a month, by kind, category, channel and current state. No personal data.
pub async fn monthly_stats(
    State(state): State<AppState>,
    Staff(user, _): Staff,
    RawQuery(raw): RawQuery,
) -> Result<Json<MonthlyStats>, ApiError> {
    let bad = || ApiError::new(StatusCode::BAD_REQUEST, "invalid_query").field("month", "invalid");
    let uri: axum::http::Uri = format!("/?{}", raw.unwrap_or_default())
        .parse()
        .map_err(|_| bad())?;
    let query = axum::extract::Query::<MonthQuery>::try_from_uri(&uri)
        .map_err(|_| bad())?
        .0;
    let (year, month) = query.month.split_once('-').ok_or_else(bad)?;
    let year: i32 = year
        .parse()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .ok_or_else(bad)?;
    let month: u8 = month.parse().map_err(|_| bad())?;
    let month = time::Month::try_from(month).map_err(|_| bad())?;
    Ok(Json(state.aduan.monthly_stats(&user, year, month).await?))
}

#[utoipa::path(
    get, path = "/api/v1/cases/{ticket}/duplicates", tag = "staff",
    security(("bearer" = [])),
    params(("ticket" = String, Path)),
    responses((status = 200, description = "Open cases of the last 90 days from the same contact or in similar words, best first (at most 5); merge with the `merge` action", body = Vec<DuplicateView>), (status = 401, description = "Not logged in", body = ErrorBody), (status = 403, description = "Coordinators only", body = ErrorBody), (status = 404, description = "Unknown, or outside the caller's units", body = ErrorBody))
)]
/// Likely duplicates of a case, with how alike they are.
pub async fn duplicates(
    State(state): State<AppState>,
    Staff(user, _): Staff,
    Path(ticket): Path<String>,
) -> Result<Json<Vec<DuplicateView>>, ApiError> {
    Ok(Json(state.aduan.likely_duplicates(&user, &ticket).await?))
}
