//! HTTP for Aduan: the JSON API v1, its OpenAPI document, and the health check. Handlers are
//! thin: they turn requests into calls on `aduan_app::Aduan` and its answers into responses.

mod error;
mod extract;
mod i18n;
pub mod openapi;
mod pages;
mod routes;
mod state;

pub use error::ErrorBody;
pub use state::AppState;

use crate::error::ApiError;
use aduan_app::Aduan;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// Largest request body accepted: a case is text only (attachments come with the portal); a
/// 20,000-character description in a non-Latin script takes up to 80 KB of UTF-8.
pub const BODY_LIMIT: usize = 256 * 1024;

pub fn router(aduan: Aduan) -> Router {
    let state = AppState {
        aduan: std::sync::Arc::new(aduan),
    };
    let api = Router::new()
        .route(
            "/cases",
            post(routes::public::create_case).get(routes::staff::list_cases),
        )
        .route("/cases/{ticket}", get(routes::staff::get_case))
        .route("/cases/{ticket}/actions", post(routes::staff::act))
        .route("/cases/{ticket}/duplicates", get(routes::staff::duplicates))
        .route(
            "/cases/{ticket}/files",
            post(routes::files::upload)
                .layer(DefaultBodyLimit::max(routes::files::UPLOAD_BODY_LIMIT)),
        )
        .route(
            "/cases/{ticket}/files/{id}",
            get(routes::files::staff_download),
        )
        .route(
            "/track/{ticket}/files/{id}",
            get(routes::files::reporter_download),
        )
        .route("/intake", post(routes::staff::intake))
        .route(
            "/imports/lapor",
            post(routes::imports::import_lapor)
                .layer(DefaultBodyLimit::max(routes::imports::IMPORT_BODY_LIMIT)),
        )
        .route(
            "/imports/social",
            post(routes::imports::import_social)
                .layer(DefaultBodyLimit::max(routes::imports::IMPORT_BODY_LIMIT)),
        )
        .route("/exports/lapor", get(routes::imports::export_lapor))
        .route("/backlog", get(routes::staff::backlog))
        .route("/stats/monthly", get(routes::staff::monthly_stats))
        .route("/stats", get(routes::stats::statistics))
        .route("/stats/csv", get(routes::stats::statistics_file))
        .route(
            "/reports/monthly/{month}",
            get(routes::stats::monthly_report),
        )
        .route(
            "/reports/info-service/{year}",
            get(routes::stats::info_service_report),
        )
        .route("/track/{ticket}", get(routes::public::track))
        .route("/track/{ticket}/info", post(routes::public::add_info))
        .route("/track/{ticket}/feedback", post(routes::public::feedback))
        .route("/organisation", get(routes::public::organisation))
        .route("/public/stats", get(routes::public::public_statistics))
        .route(
            "/auth/token",
            post(routes::auth::login).delete(routes::auth::logout),
        )
        .route("/me", get(routes::auth::me))
        .route("/admin/calendar", get(routes::admin::calendar))
        .route(
            "/admin/calendar/days/{date}",
            put(routes::admin::put_calendar_day).delete(routes::admin::delete_calendar_day),
        )
        .route(
            "/admin/email-templates",
            get(routes::admin::email_templates),
        )
        .route(
            "/admin/email-templates/{language}/{name}",
            put(routes::admin::put_email_template).delete(routes::admin::reset_email_template),
        )
        .route("/admin/jobs", get(routes::admin::jobs))
        .route("/admin/jobs/counts", get(routes::admin::job_counts))
        .route("/admin/jobs/{id}/retry", post(routes::admin::retry_job))
        .route(
            "/admin/api-keys",
            get(routes::admin::api_keys).post(routes::admin::issue_api_key),
        )
        .route("/admin/quarantine", get(routes::admin::quarantine))
        .route(
            "/admin/quarantine/{id}/retry",
            post(routes::admin::retry_quarantined),
        )
        .route(
            "/admin/quarantine/{id}/discard",
            post(routes::admin::discard_quarantined),
        )
        .route(
            "/admin/api-keys/{id}",
            axum::routing::delete(routes::admin::revoke_api_key),
        );
    let open311 = Router::new()
        .route(
            "/v2/{file}",
            get(routes::open311::get_resource).post(routes::open311::post_resource),
        )
        .route("/v2/services/{file}", get(routes::open311::get_service))
        .route("/v2/requests/{file}", get(routes::open311::get_request))
        .route("/v2/tokens/{file}", get(routes::open311::get_token))
        .route("/{file}", get(routes::open311::get_resource));
    Router::new()
        .nest("/api/v1", api)
        .nest("/open311", open311)
        .route("/api/openapi.json", get(openapi_json))
        .route("/healthz", get(health))
        .merge(pages::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::map_response(json_errors))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(30),
        ))
        .layer(TraceLayer::new_for_http())
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!("a handler panicked");
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error").into_response()
        }))
        .with_state(state)
}

async fn health(State(state): State<AppState>) -> Response {
    match state.aduan.health().await {
        Ok(()) => (StatusCode::OK, Json(serde_json::json!({"status": "ok"}))).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable").into_response()
        }
    }
}

async fn openapi_json() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        openapi::document(),
    )
        .into_response()
}

/// Unknown API paths answer JSON; anything else is a page.
async fn not_found(page: pages::Page, uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        ApiError::not_found().into_response()
    } else {
        pages::not_found(page).await
    }
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
}

/// Errors produced outside our handlers (axum's own rejections, such as a path that is not
/// UTF-8) get the same JSON body as every other error.
async fn json_errors(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let already_explained = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.starts_with("application/json")
                || v.starts_with("text/html")
                || v.starts_with("text/xml")
        });
    if already_explained {
        return response;
    }
    let code = match status.as_u16() {
        404 => "not_found",
        405 => "method_not_allowed",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        429 => "throttled",
        503 => "unavailable",
        s if s >= 500 => "internal_error",
        _ => "bad_request",
    };
    ApiError::new(status, code).into_response()
}
