//! Endpoints for citizens: no login. A case is reached by ticket plus access code.

use crate::error::{ApiError, ErrorBody};
use crate::extract::{AccessCodeHeader, ApiJson};
use crate::state::AppState;
use aduan_app::CreatedCase;
use aduan_app::views::TrackView;
use aduan_domain::intake::CaseInput;
use aduan_domain::{Action, Channel};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
#[cfg_attr(test, derive(Deserialize))]
pub struct CreatedResponse {
    /// The number to quote, e.g. `ADU-2026-000123`.
    pub ticket: String,
    /// The secret to track the case with. Shown only now.
    pub access_code: String,
    /// When the agency will have verified the case at the latest.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub verify_by: Option<OffsetDateTime>,
}

impl From<CreatedCase> for CreatedResponse {
    fn from(created: CreatedCase) -> Self {
        Self {
            ticket: created.ticket.to_string(),
            access_code: created.access_code.display(),
            verify_by: created.due_at,
        }
    }
}

#[utoipa::path(
    post, path = "/api/v1/cases", tag = "public",
    request_body = CaseInput,
    responses(
        (status = 201, description = "Case received", body = CreatedResponse),
        (status = 400, description = "Malformed JSON or unknown field", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 422, description = "Invalid fields", body = ErrorBody),
    )
)]
/// Submit a complaint, information request or suggestion.
pub async fn create_case(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<CaseInput>,
) -> Result<(StatusCode, Json<CreatedResponse>), ApiError> {
    let created = state
        .aduan
        .create_case(&input, Channel::Api, None, None)
        .await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

#[utoipa::path(
    get, path = "/api/v1/track/{ticket}", tag = "public",
    params(
        ("ticket" = String, Path, description = "Ticket number"),
        ("X-Access-Code" = String, Header, description = "The access code given at submission"),
    ),
    responses(
        (status = 200, description = "Success", body = TrackView),
        (status = 404, description = "Unknown ticket or wrong access code (indistinguishable)", body = ErrorBody),
        (status = 429, description = "Too many wrong codes for this ticket", body = ErrorBody),
    )
)]
/// Follow a case: status, public timeline and the published answer.
pub async fn track(
    State(state): State<AppState>,
    Path(ticket): Path<String>,
    AccessCodeHeader(code): AccessCodeHeader,
) -> Result<Json<TrackView>, ApiError> {
    Ok(Json(state.aduan.track(&ticket, &code).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InfoBody {
    /// The information the agency asked for.
    pub text: String,
}

#[utoipa::path(
    post, path = "/api/v1/track/{ticket}/info", tag = "public",
    params(("ticket" = String, Path), ("X-Access-Code" = String, Header)),
    request_body = InfoBody,
    responses((status = 200, description = "Success", body = TrackView), (status = 404, description = "Not found (or not visible to the caller)", body = ErrorBody), (status = 409, description = "Not possible in the current state", body = ErrorBody), (status = 422, description = "Fields that are not valid", body = ErrorBody))
)]
/// Add the information the agency asked for.
pub async fn add_info(
    State(state): State<AppState>,
    Path(ticket): Path<String>,
    AccessCodeHeader(code): AccessCodeHeader,
    ApiJson(body): ApiJson<InfoBody>,
) -> Result<Json<TrackView>, ApiError> {
    let view = state
        .aduan
        .reporter_act(&ticket, &code, Action::AddInfo { text: body.text })
        .await?;
    Ok(Json(view))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackDecision {
    Accept,
    Object,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackBody {
    pub decision: FeedbackDecision,
    /// 1 (poor) to 5 (very good).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 5)]
    pub rating: Option<u8>,
    /// Required when objecting.
    #[serde(default)]
    pub reason: Option<String>,
}

#[utoipa::path(
    post, path = "/api/v1/track/{ticket}/feedback", tag = "public",
    params(("ticket" = String, Path), ("X-Access-Code" = String, Header)),
    request_body = FeedbackBody,
    responses((status = 200, description = "Success", body = TrackView), (status = 404, description = "Not found (or not visible to the caller)", body = ErrorBody), (status = 409, description = "Not possible in the current state", body = ErrorBody), (status = 422, description = "Fields that are not valid", body = ErrorBody))
)]
/// Rate the answer and accept it (closing the case) or object (reopening it).
pub async fn feedback(
    State(state): State<AppState>,
    Path(ticket): Path<String>,
    AccessCodeHeader(code): AccessCodeHeader,
    ApiJson(body): ApiJson<FeedbackBody>,
) -> Result<Json<TrackView>, ApiError> {
    let action = match body.decision {
        FeedbackDecision::Accept => Action::AcceptAnswer {
            rating: body.rating,
        },
        FeedbackDecision::Object => Action::Object {
            reason: body.reason.unwrap_or_default(),
            rating: body.rating,
        },
    };
    Ok(Json(
        state.aduan.reporter_act(&ticket, &code, action).await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitView {
    pub code: String,
    pub name: String,
    pub parent: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryView {
    pub code: String,
    pub name_id: String,
    pub name_en: String,
    pub lead_unit: String,
    pub restricted: bool,
    pub help_id: String,
    pub help_en: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganisationView {
    pub agency: String,
    pub units: Vec<UnitView>,
    pub categories: Vec<CategoryView>,
}

#[utoipa::path(get, path = "/api/v1/organisation", tag = "public", responses((status = 200, description = "Success", body = OrganisationView)))]
/// Units and categories, for forms and clients.
pub async fn organisation(State(state): State<AppState>) -> Json<OrganisationView> {
    let org = state.aduan.organisation();
    Json(OrganisationView {
        agency: org.agency.name.clone(),
        units: org
            .units
            .iter()
            .map(|u| UnitView {
                code: u.code.clone(),
                name: u.name.clone(),
                parent: u.parent.clone(),
            })
            .collect(),
        categories: org
            .categories
            .iter()
            .map(|c| CategoryView {
                code: c.code.clone(),
                name_id: c.name_id.clone(),
                name_en: c.name_en.clone(),
                lead_unit: c.lead_unit.clone(),
                restricted: c.restricted,
                help_id: c.help_id.clone(),
                help_en: c.help_en.clone(),
            })
            .collect(),
    })
}

#[utoipa::path(get, path = "/api/v1/public/stats", tag = "public", responses((status = 200, description = "The last twelve months: volumes, on-time rate, median answer time, cases per category; counts below the minimum group are only said to be fewer. No personal data.", body = aduan_app::public_stats::PublicStatistics), (status = 503, description = "Busy", body = crate::error::ErrorBody)))]
/// What the agency shows everyone about its handling of cases.
pub async fn public_statistics(
    State(state): State<AppState>,
) -> Result<Json<aduan_app::public_stats::PublicStatistics>, crate::error::ApiError> {
    let stats = state.aduan.public_statistics().await?;
    Ok(Json((*stats).clone()))
}
