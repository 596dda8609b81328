//! Every error the API answers, as `{code, message_id, message_en, fields}`, mapped once here.

use crate::i18n::message;
use aduan_app::AppError;
use aduan_domain::Refusal;
use aduan_domain::intake::FieldError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
#[derive(utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `validation_failed`.
    pub code: String,
    pub message_id: String,
    pub message_en: String,
    pub fields: Vec<FieldMessage>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
#[derive(utoipa::ToSchema)]
pub struct FieldMessage {
    /// Path of the field in the request, e.g. `reporter.nik`.
    pub field: String,
    pub code: String,
    pub message_id: String,
    pub message_en: String,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub fields: Vec<(String, String)>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str) -> Self {
        Self {
            status,
            code,
            fields: Vec::new(),
        }
    }

    pub fn field(mut self, field: impl Into<String>, code: impl Into<String>) -> Self {
        self.fields.push((field.into(), code.into()));
        self
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        let mut error = Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        error.fields = errors
            .into_iter()
            .map(|e| (e.field, e.code.to_string()))
            .collect();
        error
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found")
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        use StatusCode as S;
        match error {
            AppError::Validation(errors) => Self::validation(errors),
            AppError::Refused(refusal) => refusal.into(),
            AppError::NotFound => Self::not_found(),
            AppError::Unauthenticated => Self::new(S::UNAUTHORIZED, "unauthenticated"),
            AppError::BadCredentials => Self::new(S::UNAUTHORIZED, "bad_credentials"),
            AppError::Locked => Self::new(S::LOCKED, "account_locked"),
            AppError::Forbidden => Self::new(S::FORBIDDEN, "forbidden"),
            AppError::Throttled => Self::new(S::TOO_MANY_REQUESTS, "throttled"),
            AppError::Conflict => Self::new(S::CONFLICT, "conflict"),
            AppError::Duplicate(_) => Self::new(S::CONFLICT, "duplicate"),
            AppError::Busy => {
                tracing::warn!("database busy: a request waited too long for a connection");
                Self::new(S::SERVICE_UNAVAILABLE, "busy")
            }
            AppError::Config(_) | AppError::Store(_) | AppError::Internal(_) => {
                // The cause goes to the log (it holds no personal data); the client gets a code.
                tracing::error!(error = %error, "internal error");
                Self::new(S::INTERNAL_SERVER_ERROR, "internal_error")
            }
        }
    }
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        use StatusCode as S;
        let unprocessable = |field: &str, code: &str| {
            Self::new(S::UNPROCESSABLE_ENTITY, "validation_failed").field(field, code)
        };
        match refusal {
            Refusal::RoleMayNot { .. } => Self::new(S::FORBIDDEN, "role_not_allowed"),
            Refusal::NotYourUnit => Self::new(S::FORBIDDEN, "not_your_unit"),
            Refusal::WrongState { .. } => Self::new(S::CONFLICT, "invalid_state"),
            Refusal::Missing(field) => unprocessable(field, "required"),
            Refusal::TooLong { field, .. } => unprocessable(field, "too_long"),
            Refusal::Invalid { field, problem } => unprocessable(field, problem),
            Refusal::UnknownUnit(_) => unprocessable("unit", "unknown"),
            Refusal::UnknownCategory(_) => unprocessable("category", "unknown"),
            Refusal::Restricted => Self::new(S::UNPROCESSABLE_ENTITY, "restricted_category"),
            Refusal::ObjectionLimit => Self::new(S::CONFLICT, "objection_limit"),
            Refusal::ExtensionUsed => Self::new(S::CONFLICT, "extension_used"),
            Refusal::NotInfoRequest => Self::new(S::UNPROCESSABLE_ENTITY, "not_info_request"),
            Refusal::NotComplaint => Self::new(S::UNPROCESSABLE_ENTITY, "not_complaint"),
            Refusal::DecisionRequired => unprocessable("decision", "required"),
            Refusal::ExemptionRequired => unprocessable("exemption", "required"),
            Refusal::UnitHeadApprovalRequired => {
                Self::new(S::CONFLICT, "unit_head_approval_required")
            }
            Refusal::AlreadyApproved => Self::new(S::CONFLICT, "already_approved"),
            Refusal::WindowOpen => Self::new(S::CONFLICT, "window_open"),
            Refusal::MergeIntoSelf => unprocessable("into", "invalid"),
            Refusal::LinkToSelf => unprocessable("ticket", "same_case"),
            Refusal::AlreadyLinked => Self::new(S::CONFLICT, "already_linked"),
            Refusal::NotLinked => Self::new(S::CONFLICT, "not_linked"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (message_id, message_en) = message("error", self.code);
        let body = ErrorBody {
            code: self.code.to_string(),
            message_id,
            message_en,
            fields: self
                .fields
                .into_iter()
                .map(|(field, code)| {
                    let (message_id, message_en) = message("field", &code);
                    FieldMessage {
                        field,
                        code,
                        message_id,
                        message_en,
                    }
                })
                .collect(),
        };
        if self.status.is_client_error() {
            let fields: Vec<&str> = body.fields.iter().map(|f| f.field.as_str()).collect();
            tracing::info!(status = self.status.as_u16(), code = %body.code, ?fields, "request refused");
        }
        let mut response = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("1"),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overload_answers_503_with_retry_after() {
        let response = ApiError::from(AppError::Busy).into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            response
                .headers()
                .get(axum::http::header::RETRY_AFTER)
                .unwrap(),
            "1"
        );
    }
}
