//! The import page: a LAPOR! file or a social media export uploaded by the coordinating
//! section, the intake desk or an admin, with each row's outcome shown; and the LAPOR! updates
//! to download for posting back.

use super::session::{Session, check_form};
use super::staff::StaffChrome;
use super::{Page, html, no_store};
use crate::routes::imports::{ImportReportBody, file_problem, report_body};
use crate::state::AppState;
use aduan_app::AppError;
use aduan_app::imports::ImportFormat;
use aduan_domain::Role;
use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "staff_imports.html")]
struct ImportsPage {
    page: Page,
    staff: StaffChrome,
    may_social: bool,
    may_export: bool,
    /// What was imported and from which kind of file, after an upload.
    report: Option<(String, ImportReportBody)>,
    error: Option<String>,
}

impl ImportsPage {
    fn outcome_label(&self, outcome: &str) -> String {
        self.page.tr.t(&format!("import_outcome_{outcome}"))
    }
}

fn may_import(role: Role) -> bool {
    matches!(role, Role::Coordinator | Role::Intake | Role::Admin)
}

fn page_for(
    page: Page,
    session: &Session,
    report: Option<(String, ImportReportBody)>,
    error: Option<String>,
) -> ImportsPage {
    let role = session.user.role;
    ImportsPage {
        staff: StaffChrome::of(session),
        may_social: matches!(role, Role::Coordinator | Role::Intake),
        may_export: matches!(role, Role::Coordinator | Role::Admin),
        page,
        report,
        error,
    }
}

pub async fn imports_page(page: Page, session: Session) -> Response {
    if !may_import(session.user.role) {
        return super::error_page(page, AppError::Forbidden);
    }
    no_store(html(page_for(page, &session, None, None)))
}

/// The uploaded form: its text fields and the one file.
async fn read_upload(
    mut multipart: Multipart,
) -> Result<
    (Vec<(String, String)>, Option<(String, Vec<u8>)>),
    axum::extract::multipart::MultipartError,
> {
    let mut pairs = Vec::new();
    let mut file = None;
    while let Some(field) = multipart.next_field().await? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            let file_name = field.file_name().unwrap_or_default().to_string();
            let bytes = field.bytes().await?;
            file = Some((file_name, bytes.to_vec()));
        } else {
            pairs.push((name, field.text().await?));
        }
    }
    Ok((pairs, file))
}

pub async fn imports_upload(
    State(state): State<AppState>,
    page: Page,
    session: Session,
    headers: HeaderMap,
    multipart: Multipart,
) -> Response {
    let upload = read_upload(multipart).await;
    let Ok((pairs, file)) = upload else {
        tracing::info!("import upload could not be read");
        let message = page.tr.section("error", "invalid_body");
        return respond(page, &session, None, Some(message), StatusCode::BAD_REQUEST);
    };
    if let Err(status) = check_form(&session, &headers, &super::portal::first(&pairs, "csrf")) {
        return status.into_response();
    }
    let source = super::portal::first(&pairs, "source");
    let (file_name, bytes) = file.unwrap_or_default();
    let Some(format) = ImportFormat::guess(&file_name) else {
        let message = page.tr.section("error", "unknown_format");
        return respond(page, &session, None, Some(message), StatusCode::BAD_REQUEST);
    };
    let user = &session.user;
    let outcome = match source.as_str() {
        "lapor" => state.aduan.import_lapor(user, &bytes, format).await,
        "social" => state.aduan.import_social(user, &bytes, format).await,
        _ => Err(AppError::Validation(Vec::new())),
    };
    match outcome {
        Ok(Ok(report)) => respond(
            page,
            &session,
            Some((source, report_body(report))),
            None,
            StatusCode::OK,
        ),
        Ok(Err(problem)) => {
            let error = file_problem(&problem);
            let message = page.tr.section("error", error.code);
            respond(page, &session, None, Some(message), error.status)
        }
        Err(error) => super::error_page(page, error),
    }
}

fn respond(
    page: Page,
    session: &Session,
    report: Option<(String, ImportReportBody)>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let mut response = no_store(html(page_for(page, session, report, error)));
    *response.status_mut() = status;
    response
}

#[derive(Debug, Deserialize)]
pub struct UpdatesQuery {
    since: String,
}

/// The LAPOR! updates since a day, as a CSV download.
pub async fn lapor_updates(
    State(state): State<AppState>,
    page: Page,
    session: Session,
    Query(query): Query<UpdatesQuery>,
) -> Response {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let Ok(since) = time::Date::parse(query.since.trim(), &format) else {
        let message = format!(
            "{}: {}",
            page.tr.t("import_since"),
            page.tr.field_error("invalid_date")
        );
        return respond(page, &session, None, Some(message), StatusCode::BAD_REQUEST);
    };
    let since = state.aduan.calendar().start_of_day(since);
    let bytes = match state.aduan.lapor_updates(&session.user, since).await {
        Ok(updates) => aduan_app::imports::lapor_updates_csv(&updates),
        Err(e) => Err(e),
    };
    match bytes {
        Ok(bytes) => no_store(
            (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                    (
                        header::CONTENT_DISPOSITION,
                        "attachment; filename=\"lapor-updates.csv\"",
                    ),
                ],
                bytes,
            )
                .into_response(),
        ),
        Err(e) => super::error_page(page, e),
    }
}
