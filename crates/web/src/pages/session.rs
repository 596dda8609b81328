//! Staff sessions in the browser: the bearer token of the API kept in an HttpOnly, SameSite
//! cookie, and a CSRF token bound to it on every form. A request without a valid session is sent
//! to the login page.

use super::Page;
use crate::state::AppState;
use aduan_app::StaffUser;
use axum::extract::FromRequestParts;
use axum::http::header::{COOKIE, LOCATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

pub const COOKIE_NAME: &str = "aduan_session";

/// The signed-in staff member of a page request.
pub struct Session {
    pub user: StaffUser,
    pub token: String,
    /// Put in every form as `csrf` and checked on every POST.
    pub csrf: String,
}

/// The form token for a session: derived from the session's secret, so a page from another
/// site cannot know it.
pub fn csrf_for(token: &str) -> String {
    hex::encode(
        Sha256::new()
            .chain_update(b"csrf:")
            .chain_update(token.as_bytes())
            .finalize(),
    )
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == COOKIE_NAME)
        .map(|(_, value)| value.to_string())
        .filter(|v| !v.is_empty() && v.len() <= 200)
}

/// Whether the request came over TLS (directly or through a proxy that says so).
pub fn is_secure(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

pub fn set_cookie(token: &str, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE_NAME}={token}; Path=/staff; HttpOnly; SameSite=Strict; Max-Age=43200{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("aduan_session=; Path=/staff; Max-Age=0"))
}

pub fn clear_cookie() -> HeaderValue {
    HeaderValue::from_static("aduan_session=; Path=/staff; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// A 303 to `to`.
pub fn see_other(to: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(to) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}

/// Where to go back to after login: only a path of ours.
pub fn safe_next(next: &str) -> String {
    let ok = next.starts_with("/staff")
        && !next.starts_with("//")
        && next.chars().all(|c| c.is_ascii_graphic() && c != '\\');
    if ok {
        next.to_string()
    } else {
        "/staff".into()
    }
}

impl FromRequestParts<AppState> for Session {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let to_login = || {
            let next = parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_default();
            let mut response = see_other(&format!(
                "/staff/login?next={}",
                super::percent_encode(&next)
            ));
            response.headers_mut().append(SET_COOKIE, clear_cookie());
            response
        };
        let Some(token) = cookie_token(&parts.headers) else {
            return Err(to_login());
        };
        match state.aduan.authenticate(&token).await {
            Ok(user) => Ok(Session {
                user,
                csrf: csrf_for(&token),
                token,
            }),
            Err(aduan_app::AppError::Unauthenticated) => Err(to_login()),
            Err(other) => {
                let page = Page::from_request_parts(parts, state).await;
                match page {
                    Ok(page) => Err(super::error_page(page, other)),
                    Err(never) => match never {},
                }
            }
        }
    }
}

/// Refuses a form whose CSRF token is missing or wrong, or that another site sent.
pub fn check_form(session: &Session, headers: &HeaderMap, sent: &str) -> Result<(), StatusCode> {
    let cross_site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "cross-site");
    let matches: bool =
        subtle::ConstantTimeEq::ct_eq(session.csrf.as_bytes(), sent.as_bytes()).into();
    if cross_site || !matches {
        tracing::warn!(username = %session.user.username, cross_site, "form refused: bad CSRF token");
        return Err(StatusCode::FORBIDDEN);
    }
    Ok(())
}
