//! Request extractors that answer bad input with our error body instead of axum's plain text.

use crate::error::ApiError;
use crate::state::AppState;
use aduan_app::StaffUser;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

/// A JSON body, with the path of the offending field named in errors.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                let v = v.trim().to_ascii_lowercase();
                v == "application/json" || (v.starts_with("application/") && v.ends_with("+json"))
            });
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
            } else {
                ApiError::new(StatusCode::BAD_REQUEST, "malformed_json")
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses JSON, naming the field that failed. Strict: one value only (no trailing data),
/// no duplicate keys, and objects must be objects (serde would otherwise read an array by
/// position). The only arrays in our request bodies are `supporting_units`, an answer's
/// `attachments` and a classification's `maladministration`.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value: T =
        serde_path_to_error::deserialize(&mut deserializer).map_err(|e| serde_error(e, bytes))?;
    deserializer
        .end()
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "malformed_json"))?;
    let tree: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "malformed_json"))?;
    if let Some(path) = misplaced_array(&tree, "") {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_field")
            .field(path_or(&path, "body"), "invalid_type"));
    }
    Ok(value)
}

/// The top-level lists a request body may hold.
const LIST_FIELDS: &[&str] = &["supporting_units", "attachments", "maladministration"];

/// The path of the first array that is not one of [`LIST_FIELDS`].
fn misplaced_array(value: &serde_json::Value, path: &str) -> Option<String> {
    match value {
        serde_json::Value::Array(_) if !LIST_FIELDS.contains(&path) => Some(path.to_string()),
        serde_json::Value::Object(map) => map.iter().find_map(|(key, v)| {
            let child = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            misplaced_array(v, &child)
        }),
        _ => None,
    }
}

fn serde_error(error: serde_path_to_error::Error<serde_json::Error>, body: &[u8]) -> ApiError {
    let path = error.path().to_string();
    let inner = error.into_inner();
    let text = inner.to_string();
    match inner.classify() {
        serde_json::error::Category::Syntax
        | serde_json::error::Category::Eof
        | serde_json::error::Category::Io => {
            ApiError::new(StatusCode::BAD_REQUEST, "malformed_json")
        }
        serde_json::error::Category::Data => {
            let (code, field, field_code) =
                if let Some(name) = quoted_after(&text, "unknown field `") {
                    ("unknown_field", path_or(&path, &name), "unknown_field")
                } else if let Some(name) = quoted_after(&text, "missing field `") {
                    ("missing_field", join(&path, &name), "required")
                } else if let Some(code) = quoted_after(&text, "unknown variant `") {
                    // A code not on its list: the action itself, or a field's (a reason, a form of
                    // maladministration). Tagged enums lose the path, so the body says which.
                    let field = if path.is_empty() || path == "." {
                        field_holding(body, &code).unwrap_or_else(|| "action".to_string())
                    } else {
                        path.split('[').next().unwrap_or(&path).to_string()
                    };
                    ("invalid_field", field, "unknown")
                } else {
                    ("invalid_field", path_or(&path, "body"), "invalid_type")
                };
            ApiError::new(StatusCode::BAD_REQUEST, code).field(field, field_code)
        }
    }
}

/// The top-level field of a JSON object whose value is `code`, or a list holding it.
fn field_holding(body: &[u8], code: &str) -> Option<String> {
    let tree: serde_json::Value = serde_json::from_slice(body).ok()?;
    let holds = |value: &serde_json::Value| match value {
        serde_json::Value::String(s) => s == code,
        serde_json::Value::Array(items) => items.iter().any(|i| i.as_str() == Some(code)),
        _ => false,
    };
    tree.as_object()?
        .iter()
        .find(|(_, value)| holds(value))
        .map(|(key, _)| key.clone())
}

fn quoted_after(text: &str, prefix: &str) -> Option<String> {
    let start = text.find(prefix)? + prefix.len();
    let rest = &text[start..];
    Some(rest[..rest.find('`')?].to_string())
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() || path == "." {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

fn path_or(path: &str, fallback: &str) -> String {
    if path.is_empty() || path == "." {
        fallback.to_string()
    } else {
        path.to_string()
    }
}

/// The bearer token of a request, if any.
pub fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// An authenticated staff member.
pub struct Staff(pub StaffUser, pub String);

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts)
            .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated"))?;
        let user = state.aduan.authenticate(token).await?;
        Ok(Staff(user, token.to_string()))
    }
}

/// The reporter's access code, from the `X-Access-Code` header.
pub struct AccessCodeHeader(pub String);

impl<S: Send + Sync> FromRequestParts<S> for AccessCodeHeader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        // A missing code answers like a wrong one: 404, so tickets cannot be probed.
        let code = parts
            .headers
            .get("x-access-code")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(ApiError::not_found)?;
        Ok(AccessCodeHeader(code.to_string()))
    }
}
