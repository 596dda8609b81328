//! The admin pages: staff accounts, the working-day calendar, failed background jobs, e-mail
//! templates, and the organisation in force (units, categories, deadlines).

use super::session::{Session, check_form, see_other};
use super::staff::StaffChrome;
use super::{Page, html, no_store};
use crate::state::AppState;
use aduan_app::AppError;
use aduan_app::admin::{JobCounts, JobView, TemplateView, UserView};
use aduan_app::calendar::{CalendarView, ExtraDay, ExtraDayKind};
use aduan_app::org_admin::{CategoryInput, UnitInput};
use aduan_app::templates::TemplateText;
use aduan_domain::org::Deadlines;
use aduan_domain::{Language, Role};
use aduan_store::JobState;
use askama::Template;
use axum::Form;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

#[derive(Template)]
#[template(path = "staff_admin.html")]
struct AdminPage {
    page: Page,
    staff: StaffChrome,
    users: Vec<UserView>,
    roles: Vec<&'static str>,
    units: Vec<(String, String)>,
    calendar: CalendarView,
    covered: String,
    counts: JobCounts,
    failed: Vec<JobView>,
    templates: Vec<TemplateView>,
    org: std::sync::Arc<aduan_domain::Organisation>,
    api_keys: Vec<aduan_app::open311::ApiKeyView>,
    quarantine: Vec<aduan_app::mail_in::QuarantineView>,
    /// A key just issued: shown this once.
    issued_key: Option<String>,
    notice: Option<String>,
    error: Option<String>,
}

/// The general deadlines by field name, in the order of the form.
fn deadline_values(d: &Deadlines) -> [(&'static str, u32); 8] {
    [
        ("verify", d.verify),
        ("answer", d.answer),
        ("approval", d.approval),
        ("info_decision", d.info_decision),
        ("info_extension", d.info_extension),
        ("reporter_reaction", d.reporter_reaction),
        ("reporter_info", d.reporter_info),
        ("settlement_calendar_days", d.settlement_calendar_days),
    ]
}

impl AdminPage {
    fn deadline_fields(&self) -> [(&'static str, u32); 8] {
        deadline_values(&self.org.deadlines)
    }

    fn day_kind(&self, day: &ExtraDay) -> String {
        match day.kind {
            ExtraDayKind::DayOff => self.page.tr.t("admin_day_off"),
            ExtraDayKind::WorkingDay => self.page.tr.t("admin_working_day"),
        }
    }
}

async fn render(
    state: &AppState,
    page: Page,
    session: &Session,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, AppError> {
    render_with_key(state, page, session, notice, error, None).await
}

async fn render_with_key(
    state: &AppState,
    page: Page,
    session: &Session,
    notice: Option<String>,
    error: Option<String>,
    issued_key: Option<String>,
) -> Result<Response, AppError> {
    let user = &session.user;
    let aduan = &state.aduan;
    let calendar = aduan.calendar_view(user).await?;
    let org = aduan.organisation();
    Ok(no_store(html(AdminPage {
        staff: StaffChrome::of(session),
        users: aduan.users(user).await?,
        roles: Role::ALL.iter().map(|r| r.code()).collect(),
        units: org
            .units
            .iter()
            .map(|u| (u.code.clone(), u.name.clone()))
            .collect(),
        covered: calendar
            .covered_years
            .iter()
            .map(i32::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        calendar,
        counts: aduan.job_counts(user).await?,
        failed: aduan.jobs(user, JobState::Failed, 100).await?,
        templates: aduan.email_templates(user).await?,
        org: org.clone(),
        api_keys: aduan.api_keys(user).await?,
        quarantine: aduan.quarantine(user, "held").await?,
        issued_key,
        page,
        notice,
        error,
    })))
}

pub async fn admin(
    State(state): State<AppState>,
    page: Page,
    session: Session,
    RawQuery(query): RawQuery,
) -> Response {
    let notice = super::after_change(query.as_deref()).then(|| page.tr.t("admin_saved"));
    let fallback = page.clone();
    match render(&state, page, &session, notice, None).await {
        Ok(response) => response,
        Err(e) => super::error_page(fallback, e),
    }
}

fn value(pairs: &[(String, String)], name: &str) -> String {
    super::portal::first(pairs, name)
}

/// Runs an admin change: CSRF first, then the change; back to the page with the result.
async fn change(
    state: &AppState,
    page: Page,
    session: &Session,
    headers: &HeaderMap,
    pairs: &[(String, String)],
    section: &str,
    result: impl std::future::Future<Output = Result<(), AppError>>,
) -> Response {
    if let Err(status) = check_form(session, headers, &value(pairs, "csrf")) {
        return status.into_response();
    }
    match result.await {
        Ok(()) => see_other(&format!("/staff/admin?done=1#{section}")),
        Err(AppError::Forbidden) => super::error_page(page, AppError::Forbidden),
        Err(error) => {
            let message = super::refusal_message(&page, &error);
            let fallback = page.clone();
            match render(state, page, session, None, Some(message)).await {
                Ok(mut response) => {
                    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
                    response
                }
                Err(e) => super::error_page(fallback, e),
            }
        }
    }
}

/// Issues an Open311 API key and shows it on the page this once (no redirect: the key is not
/// kept anywhere to show it again).
pub async fn issue_api_key(
    State(state): State<AppState>,
    page: Page,
    session: Session,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(status) = check_form(&session, &headers, &value(&pairs, "csrf")) {
        return status.into_response();
    }
    let fallback = page.clone();
    let outcome = match state
        .aduan
        .issue_api_key(&session.user, &value(&pairs, "name"))
        .await
    {
        Ok((_, key)) => {
            let notice = page.tr.t("admin_key_issued");
            render_with_key(&state, page, &session, Some(notice), None, Some(key)).await
        }
        Err(AppError::Forbidden) => return super::error_page(page, AppError::Forbidden),
        Err(error) => {
            let message = super::refusal_message(&page, &error);
            render(&state, page, &session, None, Some(message))
                .await
                .map(|mut r| {
                    *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
                    r
                })
        }
    };
    outcome.unwrap_or_else(|e| super::error_page(fallback, e))
}

pub async fn revoke_api_key(
    State(state): State<AppState>,
    page: Page,
    session: Session,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let work = async {
        let id = form_id(&pairs)?;
        state.aduan.revoke_api_key(&session.user, id).await
    };
    change(&state, page, &session, &headers, &pairs, "api-keys", work).await
}

pub async fn retry_mail(
    State(state): State<AppState>,
    page: Page,
    session: Session,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let work = async {
        let id = form_id(&pairs)?;
        state
            .aduan
            .retry_quarantined(&session.user, id)
            .await
            .map(|_| ())
    };
    change(&state, page, &session, &headers, &pairs, "quarantine", work).await
}

pub async fn discard_mail(
    State(state): State<AppState>,
    page: Page,
    session: Session,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let work = async {
        let id = form_id(&pairs)?;
        state.aduan.discard_quarantined(&session.user, id).await
    };
    change(&state, page, &session, &headers, &pairs, "quarantine", work).await
}

/// The `id` field of a row's form (a key, a kept mail); anything else finds nothing.
fn form_id(pairs: &[(String, String)]) -> Result<i64, AppError> {
    value(pairs, "id")
        .trim()
        .parse()
        .map_err(|_| AppError::NotFound)
}

fn invalid(field: &str, code: &'static str) -> AppError {
    AppError::Validation(vec![aduan_domain::intake::FieldError::new(field, code)])
}

pub async fn add_user(
    State(state): State<AppState>,
    page: Page,
    session: Session,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let role = Role::parse(&value(&pairs, "role"));
    let unit = value(&pairs, "unit");
    let email = value(&pairs, "email");
    let work = async {
        let role = role.ok_or_else(|| invalid("role", "unknown"))?;
        state
            .aduan
            .admin_add_user(
                &session.user,
                &value(&pairs, "username"),
                role,
                (!unit.is_empty()).then_some(unit.as_str()),
                (!email.trim().is_empty()).then_some(email.as_str()),
                &value(&pairs, "password"),
            )
            .await
    };
    change(&state, page, &session, &headers, &pairs, "users", work).await
}

pub async fn save_unit(
    State(state): State<AppState>,
    page: Page,
    session: Session,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let input = UnitInput {
        code: value(&pairs, "code"),
        name: value(&pairs, "name"),
        parent: value(&pairs, "parent"),
        email: value(&pairs, "email"),
    };
    let work = state.aduan.save_unit(&session.user, input);
    change(&state, page, &session, &headers, &pairs, "units", work).await
}

pub async fn save_category(
    State(state): State<AppState>,
    page: Page,
    session: Session,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let input = CategoryInput {
        code: value(&pairs, "code"),
        name_id: value(&pairs, "name_id"),
        name_en: value(&pairs, "name_en"),
        lead_unit: value(&pairs, "lead_unit"),
        restricted: value(&pairs, "restricted") == "yes",
        help_id: value(&pairs, "help_id"),
        help_en: value(&pairs, "help_en"),
    };
    let work = state.aduan.save_category(&session.user, input);
    change(&state, page, &session, &headers, &pairs, "categories", work).await
}

pub async fn save_deadlines(
    State(state): State<AppState>,
    page: Page,
    session: Session,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let work = async {
        let mut deadlines = state.aduan.organisation().deadlines;
        let mut errors = Vec::new();
        for (name, _) in deadline_values(&Deadlines::default()) {
            let parsed = value(&pairs, name).trim().parse::<u32>();
            let target = match name {
                "verify" => &mut deadlines.verify,
                "answer" => &mut deadlines.answer,
                "approval" => &mut deadlines.approval,
                "info_decision" => &mut deadlines.info_decision,
                "info_extension" => &mut deadlines.info_extension,
                "reporter_reaction" => &mut deadlines.reporter_reaction,
                "reporter_info" => &mut deadlines.reporter_info,
                _ => &mut deadlines.settlement_calendar_days,
            };
            match parsed {
                Ok(days) => *target = days,
                Err(_) => errors.push(aduan_domain::intake::FieldError::new(name, "invalid")),
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        state.aduan.save_deadlines(&session.user, deadlines).await
    };
    change(&state, page, &session, &headers, &pairs, "deadlines", work).await
}

fn parse_date(text: &str) -> Result<time::Date, AppError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text.trim(), &format).map_err(|_| invalid("date", "invalid_date"))
}

pub async fn add_day(
    State(state): State<AppState>,
    page: Page,
    session: Session,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let work = async {
        let kind = match value(&pairs, "kind").as_str() {
            "working_day" => ExtraDayKind::WorkingDay,
            _ => ExtraDayKind::DayOff,
        };
        let day = ExtraDay {
            date: parse_date(&value(&pairs, "date"))?,
            kind,
            reason: value(&pairs, "reason"),
        };
        state
            .aduan
            .set_calendar_day(&session.user, day)
            .await
            .map(|_| ())
    };
    change(&state, page, &session, &headers, &pairs, "calendar", work).await
}

pub async fn remove_day(
    State(state): State<AppState>,
    page: Page,
    session: Session,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let work = async {
        let date = parse_date(&value(&pairs, "date"))?;
        state
            .aduan
            .remove_calendar_day(&session.user, date)
            .await
            .map(|_| ())
    };
    change(&state, page, &session, &headers, &pairs, "calendar", work).await
}

pub async fn retry_job(
    State(state): State<AppState>,
    page: Page,
    session: Session,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let work = async {
        let id = value(&pairs, "id")
            .parse::<i64>()
            .map_err(|_| AppError::NotFound)?;
        state.aduan.retry_job(&session.user, id).await
    };
    change(&state, page, &session, &headers, &pairs, "jobs", work).await
}

pub async fn edit_template(
    State(state): State<AppState>,
    page: Page,
    session: Session,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let work = async {
        let language = Language::parse(&value(&pairs, "language")).ok_or(AppError::NotFound)?;
        let name = value(&pairs, "name");
        let text = (value(&pairs, "op") != "reset").then(|| TemplateText {
            subject: value(&pairs, "subject"),
            body: value(&pairs, "body").replace("\r\n", "\n"),
        });
        state
            .aduan
            .edit_email_template(&session.user, language, &name, text)
            .await
            .map(|_| ())
    };
    change(&state, page, &session, &headers, &pairs, "templates", work).await
}

#[derive(Template)]
#[template(path = "staff_faq.html")]
struct FaqPage {
    page: Page,
    staff: StaffChrome,
    entries: Vec<aduan_app::faq::FaqEntry>,
    notice: Option<String>,
    error: Option<String>,
}

async fn faq_page(
    state: &AppState,
    page: Page,
    session: &Session,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    if !matches!(session.user.role, Role::Coordinator | Role::Admin) {
        return super::error_page(page, AppError::Forbidden);
    }
    match state.aduan.faq().await {
        Ok(entries) => no_store(html(FaqPage {
            staff: StaffChrome::of(session),
            page,
            entries,
            notice,
            error,
        })),
        Err(e) => super::error_page(page, e),
    }
}

pub async fn faq(
    State(state): State<AppState>,
    page: Page,
    session: Session,
    RawQuery(query): RawQuery,
) -> Response {
    let notice = super::after_change(query.as_deref()).then(|| page.tr.t("admin_saved"));
    faq_page(&state, page, &session, notice, None).await
}

pub async fn faq_save(
    State(state): State<AppState>,
    page: Page,
    session: Session,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(status) = check_form(&session, &headers, &value(&pairs, "csrf")) {
        return status.into_response();
    }
    let id = value(&pairs, "id").parse::<u32>().unwrap_or(0);
    let result = if value(&pairs, "op") == "delete" {
        state.aduan.delete_faq_entry(&session.user, id).await
    } else {
        let entry = aduan_app::faq::FaqEntry {
            id,
            question_id: value(&pairs, "question_id"),
            answer_id: value(&pairs, "answer_id"),
            question_en: value(&pairs, "question_en"),
            answer_en: value(&pairs, "answer_en"),
        };
        state.aduan.save_faq_entry(&session.user, entry).await
    };
    match result {
        Ok(()) => see_other("/staff/faq?done=1"),
        Err(error @ AppError::Validation(_)) => {
            let message = super::refusal_message(&page, &error);
            let mut response = faq_page(&state, page, &session, None, Some(message)).await;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            response
        }
        Err(e) => super::error_page(page, e),
    }
}

#[derive(Template)]
#[template(path = "staff_responses.html")]
struct ResponsesPage {
    page: Page,
    staff: StaffChrome,
    templates: Vec<aduan_app::responses::ResponseTemplate>,
    notice: Option<String>,
    error: Option<String>,
}

async fn responses_page(
    state: &AppState,
    page: Page,
    session: &Session,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    if !matches!(session.user.role, Role::Coordinator | Role::Admin) {
        return super::error_page(page, AppError::Forbidden);
    }
    match state.aduan.response_templates(&session.user).await {
        Ok(templates) => no_store(html(ResponsesPage {
            staff: StaffChrome::of(session),
            page,
            templates,
            notice,
            error,
        })),
        Err(e) => super::error_page(page, e),
    }
}

pub async fn responses(
    State(state): State<AppState>,
    page: Page,
    session: Session,
    RawQuery(query): RawQuery,
) -> Response {
    let notice = super::after_change(query.as_deref()).then(|| page.tr.t("admin_saved"));
    responses_page(&state, page, &session, notice, None).await
}

pub async fn responses_save(
    State(state): State<AppState>,
    page: Page,
    session: Session,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(status) = check_form(&session, &headers, &value(&pairs, "csrf")) {
        return status.into_response();
    }
    let template = aduan_app::responses::ResponseTemplate {
        id: value(&pairs, "id").parse::<u32>().unwrap_or(0),
        title: value(&pairs, "title"),
        text: value(&pairs, "text"),
    };
    let delete = value(&pairs, "op") == "delete";
    match state
        .aduan
        .change_response_template(&session.user, template, delete)
        .await
    {
        Ok(()) => see_other("/staff/responses?done=1"),
        Err(error @ AppError::Validation(_)) => {
            let message = super::refusal_message(&page, &error);
            let mut response = responses_page(&state, page, &session, None, Some(message)).await;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            response
        }
        Err(e) => super::error_page(page, e),
    }
}
