//! Files over the API: staff upload files for an answer and download any file of a case they
//! may see; reporters download the files published with their answer.

use crate::error::{ApiError, ErrorBody};
use crate::extract::{AccessCodeHeader, Staff};
use crate::state::AppState;
use aduan_app::UploadedFile;
use aduan_app::views::AttachmentView;
use axum::Json;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// Largest upload: five files of 10 MB and the form around them.
pub const UPLOAD_BODY_LIMIT: usize = 5 * aduan_domain::attachment::MAX_BYTES + 64 * 1024;

#[utoipa::path(
    post, path = "/api/v1/cases/{ticket}/files", tag = "staff",
    security(("bearer" = [])),
    params(("ticket" = String, Path)),
    request_body(content_type = "multipart/form-data", description = "One to five files (JPEG, PNG, WebP, GIF or PDF, 10 MB each) in parts with a file name"),
    responses(
        (status = 201, description = "Stored for the answer; pass their ids in `submit_draft`'s `attachments`", body = Vec<AttachmentView>),
        (status = 400, description = "Not a readable multipart body", body = ErrorBody),
        (status = 401, description = "Not logged in, or the token expired or was revoked", body = ErrorBody),
        (status = 403, description = "The caller may not write this case's answer now", body = ErrorBody),
        (status = 404, description = "Not found (or not visible to the caller)", body = ErrorBody),
        (status = 413, description = "Too large", body = ErrorBody),
        (status = 422, description = "Wrong type, too large, too many files", body = ErrorBody),
    )
)]
/// Upload files to go out with the case's answer.
pub async fn upload(
    State(state): State<AppState>,
    Staff(user, _): Staff,
    Path(ticket): Path<String>,
    mut multipart: Multipart,
) -> Result<(StatusCode, Json<Vec<AttachmentView>>), ApiError> {
    let mut files = Vec::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return Err(unreadable(&e)),
        };
        let Some(name) = field.file_name().map(str::to_string) else {
            continue;
        };
        let bytes = field.bytes().await.map_err(|e| unreadable(&e))?;
        if !bytes.is_empty() {
            files.push(UploadedFile {
                name,
                bytes: bytes.to_vec(),
            });
        }
    }
    let stored = state.aduan.add_answer_files(&user, &ticket, files).await?;
    Ok((StatusCode::CREATED, Json(stored)))
}

fn unreadable(e: &axum::extract::multipart::MultipartError) -> ApiError {
    tracing::info!(error = %e, "upload could not be read");
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    } else {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_body")
    }
}

#[utoipa::path(
    get, path = "/api/v1/cases/{ticket}/files/{id}", tag = "staff",
    security(("bearer" = [])),
    params(("ticket" = String, Path), ("id" = i64, Path)),
    responses(
        (status = 200, description = "The file, as an attachment with its checked type"),
        (status = 401, description = "Not logged in, or the token expired or was revoked", body = ErrorBody),
        (status = 404, description = "Not found (or not visible to the caller)", body = ErrorBody),
    )
)]
/// Download a file of a case the caller may see.
pub async fn staff_download(
    State(state): State<AppState>,
    Staff(user, _): Staff,
    Path((ticket, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let id = id.parse::<i64>().map_err(|_| ApiError::not_found())?;
    let (meta, bytes) = state.aduan.staff_attachment(&user, &ticket, id).await?;
    Ok(crate::pages::file_response(&meta, bytes).into_response())
}

#[utoipa::path(
    get, path = "/api/v1/track/{ticket}/files/{id}", tag = "public",
    params(("ticket" = String, Path), ("id" = i64, Path), ("X-Access-Code" = String, Header)),
    responses(
        (status = 200, description = "The file, as an attachment with its checked type"),
        (status = 404, description = "Unknown ticket, wrong access code, or not a file of the published answer", body = ErrorBody),
        (status = 429, description = "Too many wrong codes for this ticket", body = ErrorBody),
    )
)]
/// Download a file published with the answer.
pub async fn reporter_download(
    State(state): State<AppState>,
    Path((ticket, id)): Path<(String, String)>,
    AccessCodeHeader(code): AccessCodeHeader,
) -> Result<Response, ApiError> {
    let id = id.parse::<i64>().map_err(|_| ApiError::not_found())?;
    let (meta, bytes) = state.aduan.reporter_file(&ticket, &code, id).await?;
    Ok(crate::pages::file_response(&meta, bytes).into_response())
}
