//! Server-rendered pages (askama templates, checked at build time). This module holds what
//! every page shares: the language, the layout's data, responses and the router.

mod admin;
mod imports;
pub mod lang;
mod portal;
mod session;
mod staff;
mod stats;

use crate::state::AppState;
use aduan_app::AppError;
use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, Request};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use lang::Tr;

/// Five files of 10 MB and the form's text.
const REPORT_BODY_LIMIT: usize =
    aduan_domain::attachment::MAX_FILES * aduan_domain::attachment::MAX_BYTES + 1024 * 1024;

const STYLESHEET: &str = include_str!("../../static/aduan.css");

/// What the layout of every page needs.
#[derive(Debug, Clone)]
pub struct Page {
    pub tr: Tr,
    pub agency: String,
    /// The current path, for the language switch.
    pub path: String,
}

impl Page {
    /// The language the switch offers.
    pub fn other_lang(&self) -> &'static str {
        match self.tr.code() {
            "en" => "id",
            _ => "en",
        }
    }
}

impl FromRequestParts<AppState> for Page {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let lang = lang::from_query(parts.uri.query())
            .or_else(|| lang::from_cookie(&parts.headers))
            .unwrap_or(aduan_domain::Language::Id);
        let org = state.aduan.organisation();
        Ok(Page {
            tr: Tr {
                lang,
                offset: state.aduan.calendar().offset(),
            },
            agency: org.agency.name.clone(),
            path: parts.uri.path().to_string(),
        })
    }
}

/// Renders a template as an HTML response.
pub fn html(template: impl Template) -> Response {
    match template.render() {
        Ok(body) => (
            [(
                CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            )],
            body,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a page failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// Pages that show an access code or a case must not stay in shared caches or history.
pub fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The key of the `[error]` translation for an application error.
pub fn error_key(error: &AppError) -> &'static str {
    match error {
        AppError::Validation(_) => "validation_failed",
        AppError::Refused(refusal) => crate::error::ApiError::from(refusal.clone()).code,
        AppError::NotFound => "not_found",
        AppError::Throttled => "throttled",
        AppError::Conflict => "conflict",
        AppError::Busy => "busy",
        AppError::Forbidden => "forbidden",
        _ => "internal_error",
    }
}

/// The message of a refused change, naming each wrong field.
pub fn refusal_message(page: &Page, error: &AppError) -> String {
    let mut message = page.tr.section("error", error_key(error));
    if let AppError::Validation(fields) = error {
        for field in fields {
            message.push_str(&format!(
                " {}: {}.",
                field.field,
                page.tr.field_error(field.code)
            ));
        }
    }
    message
}

/// Whether a page is shown right after a change that succeeded (`?done=1`).
pub fn after_change(query: Option<&str>) -> bool {
    query.is_some_and(|q| q.split('&').any(|p| p == "done=1"))
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    page: Page,
    title: String,
    message: String,
}

pub fn error_page(page: Page, error: AppError) -> Response {
    let status = match &error {
        AppError::Busy => StatusCode::SERVICE_UNAVAILABLE,
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::Forbidden => StatusCode::FORBIDDEN,
        AppError::Validation(_) | AppError::Refused(_) => StatusCode::BAD_REQUEST,
        AppError::Throttled => StatusCode::TOO_MANY_REQUESTS,
        AppError::Conflict => StatusCode::CONFLICT,
        AppError::Unauthenticated | AppError::BadCredentials => StatusCode::UNAUTHORIZED,
        _ => {
            tracing::error!(error = %error, "page failed");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    };
    let title = if status == StatusCode::NOT_FOUND {
        "not_found_title"
    } else {
        "error_title"
    };
    let mut response = html(MessagePage {
        title: page.tr.t(title),
        message: page.tr.section("error", error_key(&error)),
        page,
    });
    *response.status_mut() = status;
    response
}

pub async fn not_found(page: Page) -> Response {
    let mut response = html(MessagePage {
        title: page.tr.t("not_found_title"),
        message: page.tr.section("error", "not_found"),
        page,
    });
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}

async fn stylesheet() -> Response {
    (
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        STYLESHEET,
    )
        .into_response()
}

/// Remembers a language chosen with `?lang=` for the next pages.
async fn remember_lang(request: Request, next: Next) -> Response {
    let chosen = lang::from_query(request.uri().query());
    let mut response = next.run(request).await;
    if let Some(lang) = chosen {
        let code = match lang {
            aduan_domain::Language::Id => "id",
            aduan_domain::Language::En => "en",
        };
        if let Ok(value) = HeaderValue::from_str(&format!(
            "{}={code}; Path=/; Max-Age=31536000; SameSite=Lax",
            lang::COOKIE_NAME
        )) {
            response.headers_mut().append(SET_COOKIE, value);
        }
    }
    response
}

/// Security headers every page carries: no framing, no sniffing, only our own resources.
async fn page_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    response
}

/// `%`-encodes everything but unreserved characters, for values put into URLs.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The due date of a list row with its on-time mark, e.g. `2 Desember 2026 (terlambat)`.
pub fn due_mark(page: &Page, item: &aduan_app::views::CaseListItem) -> String {
    match item.due_at {
        Some(due) if item.overdue => {
            format!("{} ({})", page.tr.date(&due), page.tr.t("mark_overdue"))
        }
        Some(due) => page.tr.date(&due),
        None => String::new(),
    }
}

/// A stored file as a download: always an attachment with its checked type, never rendered as
/// a page of ours, and not kept by shared caches.
pub(crate) fn file_response(meta: &aduan_store::AttachmentMeta, bytes: Vec<u8>) -> Response {
    let disposition = format!(
        "attachment; filename=\"file\"; filename*=UTF-8''{}",
        percent_encode(&meta.name)
    );
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    if let Ok(v) = axum::http::HeaderValue::from_str(&meta.content_type) {
        headers.insert(axum::http::header::CONTENT_TYPE, v);
    }
    if let Ok(v) = axum::http::HeaderValue::from_str(&disposition) {
        headers.insert(axum::http::header::CONTENT_DISPOSITION, v);
    }
    headers.insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}

/// The portal's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(portal::home))
        .route(
            "/report",
            get(portal::report_form)
                .post(portal::report_submit)
                .layer(axum::extract::DefaultBodyLimit::max(REPORT_BODY_LIMIT)),
        )
        .route("/track", get(portal::track_form).post(portal::track_lookup))
        .route("/published", get(portal::published))
        .route("/faq", get(portal::faq))
        .route("/statistik", get(portal::public_statistics))
        .route("/staff/faq", get(admin::faq).post(admin::faq_save))
        .route(
            "/staff/responses",
            get(admin::responses).post(admin::responses_save),
        )
        .route("/track/info", post(portal::track_info))
        .route("/track/feedback", post(portal::track_feedback))
        .route("/track/{ticket}", get(portal::track_form_for))
        .route("/static/aduan.css", get(stylesheet))
        .route(
            "/staff/login",
            get(staff::login_form).post(staff::login_submit),
        )
        .route("/staff/logout", post(staff::logout))
        .route("/staff", get(staff::dashboard))
        .route("/staff/cases", get(staff::case_list))
        .route("/staff/statistik", get(stats::stats_page))
        .route("/staff/statistik/unduh", get(stats::stats_download))
        .route(
            "/staff/statistik/layanan-informasi",
            get(stats::info_service_download),
        )
        .route("/staff/admin", get(admin::admin))
        .route("/staff/admin/users", post(admin::add_user))
        .route("/staff/admin/calendar", post(admin::add_day))
        .route("/staff/admin/calendar/remove", post(admin::remove_day))
        .route("/staff/admin/jobs/retry", post(admin::retry_job))
        .route("/staff/admin/templates", post(admin::edit_template))
        .route("/staff/admin/units", post(admin::save_unit))
        .route("/staff/admin/api-keys", post(admin::issue_api_key))
        .route("/staff/admin/quarantine/retry", post(admin::retry_mail))
        .route("/staff/admin/quarantine/discard", post(admin::discard_mail))
        .route("/staff/admin/api-keys/revoke", post(admin::revoke_api_key))
        .route("/staff/admin/categories", post(admin::save_category))
        .route("/staff/admin/deadlines", post(admin::save_deadlines))
        .route(
            "/staff/intake",
            get(staff::intake_form)
                .post(staff::intake_submit)
                .layer(axum::extract::DefaultBodyLimit::max(REPORT_BODY_LIMIT)),
        )
        .route(
            "/staff/cases/{ticket}",
            get(staff::case_page).post(staff::case_act),
        )
        .route(
            "/staff/cases/{ticket}/attachments/{id}",
            get(staff::attachment),
        )
        .route(
            "/staff/cases/{ticket}/draft",
            post(staff::draft_submit)
                .layer(axum::extract::DefaultBodyLimit::max(REPORT_BODY_LIMIT)),
        )
        .route(
            "/staff/imports",
            get(imports::imports_page)
                .post(imports::imports_upload)
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::routes::imports::IMPORT_BODY_LIMIT,
                )),
        )
        .route(
            "/staff/imports/lapor-updates.csv",
            get(imports::lapor_updates),
        )
        .route("/track/file", post(portal::track_file))
        .route(
            "/published/{ticket}/files/{id}",
            get(portal::published_file),
        )
        .layer(axum::middleware::from_fn(remember_lang))
        .layer(axum::middleware::from_fn(page_headers))
}
