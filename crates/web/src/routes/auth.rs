//! Staff login and logout with bearer tokens.

use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Staff};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub token: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: OffsetDateTime,
}

#[utoipa::path(
    post, path = "/api/v1/auth/token", tag = "auth",
    request_body = TokenRequest,
    responses(
        (status = 200, description = "Success", body = TokenResponse),
        (status = 401, description = "Wrong username or password", body = ErrorBody),
        (status = 423, description = "Locked after repeated failures", body = ErrorBody),
    )
)]
/// Log in: exchange a username and password for an expiring bearer token.
pub async fn login(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<TokenRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    if body.username.len() > 200 || body.password.len() > 1024 {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "bad_credentials"));
    }
    let (token, expires_at) = state.aduan.login(&body.username, &body.password).await?;
    Ok(Json(TokenResponse { token, expires_at }))
}

#[utoipa::path(
    delete, path = "/api/v1/auth/token", tag = "auth",
    security(("bearer" = [])),
    responses((status = 204, description = "Token revoked"), (status = 401, description = "Not logged in, or the token expired or was revoked", body = ErrorBody))
)]
/// Log out: revoke the token used for this request.
pub async fn logout(
    State(state): State<AppState>,
    Staff(_, token): Staff,
) -> Result<StatusCode, ApiError> {
    state.aduan.logout(&token).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeView {
    pub username: String,
    pub role: String,
    pub unit: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])), responses((status = 200, description = "Success", body = MeView), (status = 401, description = "Not logged in, or the token expired or was revoked", body = ErrorBody)))]
/// Who the token belongs to.
pub async fn me(Staff(user, _): Staff) -> Json<MeView> {
    Json(MeView {
        username: user.username,
        role: user.role.code().into(),
        unit: user.unit,
    })
}
