//! The public portal: home, the submission form and its receipt, tracking with the reporter's
//! actions. Plain HTML forms that work without JavaScript; every string from the translation
//! files. The access code travels only in POST bodies, never in a URL.

use super::lang::Tr;
use super::{Page, html, no_store};
use crate::state::AppState;
use aduan_app::views::TrackView;
use aduan_app::{AppError, UploadedFile};
use aduan_domain::intake::{CaseInput, FieldError, ReporterInput};
use aduan_domain::org::Contact;
use aduan_domain::{Action, Channel, Location};
use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::response::Response;
use std::collections::BTreeMap;

/// One category as the form lists it.
pub struct CategoryItem {
    pub code: String,
    pub name: String,
    pub help: String,
}

fn categories(state: &AppState, tr: &Tr) -> Vec<CategoryItem> {
    state
        .aduan
        .organisation()
        .categories
        .iter()
        .map(|c| CategoryItem {
            code: c.code.clone(),
            name: match tr.code() {
                "en" => c.name_en.clone(),
                _ => c.name_id.clone(),
            },
            help: match tr.code() {
                "en" if !c.help_en.is_empty() => c.help_en.clone(),
                _ => c.help_id.clone(),
            },
        })
        .collect()
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    page: Page,
    contact: Contact,
    categories: Vec<CategoryItem>,
}

pub async fn home(State(state): State<AppState>, page: Page) -> Response {
    let tr = page.tr;
    let org = state.aduan.organisation();
    html(Home {
        contact: org.agency.contact.clone(),
        categories: categories(&state, &tr),
        page,
    })
}

/// What the visitor typed, kept as text so that nothing is lost when a field is wrong.
#[derive(Debug, Clone, Default)]
pub struct ReportForm {
    pub kind: String,
    pub category: String,
    pub title: String,
    pub description: String,
    pub event_date: String,
    pub province: String,
    pub city: String,
    pub district: String,
    pub address: String,
    pub lat: String,
    pub lon: String,
    pub privacy: String,
    pub name: String,
    pub nik: String,
    pub phone: String,
    pub email: String,
    pub reporter_address: String,
    pub language: String,
    pub consent: bool,
}

/// The first value of each field; repeated fields are ignored.
pub(super) fn first(pairs: &[(String, String)], name: &str) -> String {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

fn optional(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_string())
}

impl ReportForm {
    pub(super) fn from_pairs(pairs: &[(String, String)]) -> Self {
        let get = |name| first(pairs, name);
        Self {
            kind: get("kind"),
            category: get("category"),
            title: get("title"),
            description: get("description"),
            event_date: get("event_date"),
            province: get("province"),
            city: get("city"),
            district: get("district"),
            address: get("address"),
            lat: get("lat"),
            lon: get("lon"),
            privacy: get("privacy"),
            name: get("name"),
            nik: get("nik"),
            phone: get("phone"),
            email: get("email"),
            reporter_address: get("reporter_address"),
            language: get("language"),
            consent: !get("consent").is_empty(),
        }
    }

    /// The API's input, and the errors of fields the form itself checks.
    pub(super) fn to_input(&self) -> (CaseInput, Vec<FieldError>) {
        let mut errors = Vec::new();
        let mut number = |text: &str, field: &'static str| match optional(text) {
            None => None,
            Some(text) => match text.replace(',', ".").parse::<f64>() {
                Ok(v) if v.is_finite() => Some(v),
                _ => {
                    errors.push(FieldError::new(field, "invalid"));
                    None
                }
            },
        };
        let lat = number(&self.lat, "lat");
        let lon = number(&self.lon, "lon");
        if !self.consent {
            errors.push(FieldError::new("consent", "required"));
        }
        let input = CaseInput {
            kind: optional(&self.kind),
            category: optional(&self.category),
            title: optional(&self.title),
            description: optional(&self.description),
            event_date: optional(&self.event_date),
            location: Some(Location {
                province: optional(&self.province),
                city: optional(&self.city),
                district: optional(&self.district),
                address: optional(&self.address),
                lat,
                lon,
            }),
            privacy: optional(&self.privacy),
            language: optional(&self.language),
            reporter: Some(ReporterInput {
                name: optional(&self.name),
                nik: optional(&self.nik),
                phone: optional(&self.phone),
                email: optional(&self.email),
                address: optional(&self.reporter_address),
            }),
        };
        (input, errors)
    }
}

/// The form field an error of the domain's validation belongs to.
fn form_field(path: &str) -> String {
    match path {
        "reporter.address" => "reporter_address".into(),
        "reporter" => "name".into(),
        "location" => "province".into(),
        other => other
            .strip_prefix("reporter.")
            .or_else(|| other.strip_prefix("location."))
            .unwrap_or(other)
            .to_string(),
    }
}

/// The submission form's state, shared by the portal and the staff desk.
pub struct FormState {
    pub form: ReportForm,
    pub categories: Vec<CategoryItem>,
    /// Field name → message, shown next to the field.
    pub errors: BTreeMap<String, String>,
    /// Browsers cannot keep chosen files across a page: say so when some were sent.
    pub choose_files_again: bool,
    /// The translation key of the personal-data confirmation.
    pub consent_key: &'static str,
}

impl FormState {
    pub fn new(state: &AppState, tr: &Tr, form: ReportForm, consent_key: &'static str) -> Self {
        Self {
            form,
            categories: categories(state, tr),
            errors: BTreeMap::new(),
            choose_files_again: false,
            consent_key,
        }
    }

    /// Shows each error once, on the form field it belongs to.
    pub fn with_errors(mut self, tr: &Tr, errors: Vec<FieldError>, had_files: bool) -> Self {
        for error in errors {
            self.errors
                .entry(form_field(&error.field))
                .or_insert_with(|| tr.field_error(error.code));
        }
        self.choose_files_again = had_files;
        tracing::info!(fields = ?self.errors.keys().collect::<Vec<_>>(), "form refused");
        self
    }

    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }

    pub fn invalid(&self, field: &str) -> &'static str {
        if self.errors.contains_key(field) {
            "true"
        } else {
            "false"
        }
    }

    /// `aria-describedby` for a field: its hint and its error, when present.
    pub fn described(&self, field: &str, hint: bool) -> String {
        let mut ids = Vec::new();
        if hint {
            ids.push(format!("{field}-hint"));
        }
        if self.errors.contains_key(field) {
            ids.push(format!("{field}-error"));
        }
        ids.join(" ")
    }
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    page: Page,
    f: FormState,
}

pub async fn report_form(State(state): State<AppState>, page: Page) -> Response {
    let form = ReportForm {
        kind: "complaint".into(),
        privacy: "public".into(),
        language: page.tr.code().into(),
        ..ReportForm::default()
    };
    let f = FormState::new(&state, &page.tr, form, "form_consent");
    html(ReportPage { page, f })
}

#[derive(Template)]
#[template(path = "receipt.html")]
struct Receipt {
    page: Page,
    ticket: String,
    code: String,
    received: String,
    due: String,
}

/// Reads the submission form: its text fields, and the files chosen (empty file inputs skipped).
pub(super) async fn read_form(
    mut multipart: Multipart,
) -> Result<(Vec<(String, String)>, Vec<UploadedFile>), axum::extract::multipart::MultipartError> {
    let mut pairs = Vec::new();
    let mut files = Vec::new();
    while let Some(field) = multipart.next_field().await? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "attachments" {
            let file_name = field.file_name().unwrap_or_default().to_string();
            let bytes = field.bytes().await?;
            if !bytes.is_empty() {
                files.push(UploadedFile {
                    name: file_name,
                    bytes: bytes.to_vec(),
                });
            }
        } else {
            let value = field.text().await?;
            pairs.push((name, value));
        }
    }
    Ok((pairs, files))
}

pub async fn report_submit(
    State(state): State<AppState>,
    page: Page,
    multipart: Multipart,
) -> Response {
    let tr = page.tr;
    let (pairs, files) = match read_form(multipart).await {
        Ok(read) => read,
        Err(e) => {
            tracing::info!(error = %e, "portal form could not be read");
            let mut response = super::error_page(page, AppError::Validation(Vec::new()));
            *response.status_mut() = axum::http::StatusCode::BAD_REQUEST;
            return response;
        }
    };
    let had_files = !files.is_empty();
    let form = ReportForm::from_pairs(&pairs);
    let (input, mut errors) = form.to_input();
    let outcome = if errors.is_empty() {
        Some(
            state
                .aduan
                .create_case_with_files(&input, Channel::Web, None, None, files)
                .await,
        )
    } else {
        // Check the rest too, so that every wrong field shows at once.
        let today = state.aduan.calendar().local_date(state.aduan.now());
        if let Err(more) =
            aduan_domain::intake::validate(&input, Channel::Web, &state.aduan.organisation(), today)
        {
            errors.extend(more);
        }
        None
    };
    match outcome {
        Some(Ok(created)) => {
            let now = state.aduan.now();
            no_store(html(Receipt {
                ticket: created.ticket.to_string(),
                code: created.access_code.display(),
                received: tr.datetime(&now),
                due: created.due_at.map(|d| tr.date(&d)).unwrap_or_default(),
                page,
            }))
        }
        Some(Err(AppError::Validation(more))) => {
            errors.extend(more);
            form_with_errors(&state, page, form, errors, had_files)
        }
        Some(Err(other)) => super::error_page(page, other),
        None => form_with_errors(&state, page, form, errors, had_files),
    }
}

fn form_with_errors(
    state: &AppState,
    page: Page,
    form: ReportForm,
    errors: Vec<FieldError>,
    had_files: bool,
) -> Response {
    let f = FormState::new(state, &page.tr, form, "form_consent")
        .with_errors(&page.tr, errors, had_files);
    let mut response = html(ReportPage { page, f });
    *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    response
}

#[derive(Template)]
#[template(path = "track_lookup.html")]
struct TrackLookup {
    page: Page,
    ticket: String,
    not_found: bool,
    throttled: bool,
}

pub async fn track_form(page: Page) -> Response {
    html(TrackLookup {
        page,
        ticket: String::new(),
        not_found: false,
        throttled: false,
    })
}

/// The link sent in e-mails: the form with the ticket filled in.
pub async fn track_form_for(page: Page, Path(ticket): Path<String>) -> Response {
    let ticket: String = ticket
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(20)
        .collect();
    html(TrackLookup {
        page,
        ticket,
        not_found: false,
        throttled: false,
    })
}

#[derive(Template)]
#[template(path = "track.html")]
struct TrackPage {
    page: Page,
    view: TrackView,
    /// Sent back in the forms of this page (POST only), so the reporter need not type it again.
    ticket: String,
    code: String,
    notice: Option<String>,
    error: Option<String>,
}

impl TrackPage {
    fn event_label(&self, kind: &str) -> String {
        self.page.tr.t(&format!("event_{kind}"))
    }

    fn state_label(&self) -> String {
        self.page.tr.t(&format!("state_{}", self.view.state))
    }
}

async fn show_tracking(
    state: &AppState,
    page: Page,
    ticket: String,
    code: String,
    result: Result<TrackView, AppError>,
    notice: Option<String>,
) -> Response {
    match result {
        Ok(view) => no_store(html(TrackPage {
            page,
            view,
            ticket,
            code,
            notice,
            error: None,
        })),
        Err(AppError::NotFound) => not_found_lookup(page, ticket),
        Err(AppError::Throttled) => {
            let mut response = html(TrackLookup {
                page,
                ticket,
                not_found: false,
                throttled: true,
            });
            *response.status_mut() = axum::http::StatusCode::TOO_MANY_REQUESTS;
            response
        }
        Err(error @ (AppError::Validation(_) | AppError::Refused(_) | AppError::Conflict)) => {
            // The action was refused: show the case again with the reason.
            let message = page.tr.section("error", super::error_key(&error));
            match state.aduan.track(&ticket, &code).await {
                Ok(view) => {
                    let mut response = no_store(html(TrackPage {
                        page,
                        view,
                        ticket,
                        code,
                        notice: None,
                        error: Some(message),
                    }));
                    *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
                    response
                }
                Err(_) => not_found_lookup(page, ticket),
            }
        }
        Err(other) => super::error_page(page, other),
    }
}

fn not_found_lookup(page: Page, ticket: String) -> Response {
    let mut response = html(TrackLookup {
        page,
        ticket,
        not_found: true,
        throttled: false,
    });
    *response.status_mut() = axum::http::StatusCode::NOT_FOUND;
    response
}

pub async fn track_lookup(
    State(state): State<AppState>,
    page: Page,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let ticket = first(&pairs, "ticket").trim().to_uppercase();
    let code = first(&pairs, "code");
    let result = state.aduan.track(&ticket, &code).await;
    show_tracking(&state, page, ticket, code, result, None).await
}

pub async fn track_info(
    State(state): State<AppState>,
    page: Page,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let ticket = first(&pairs, "ticket").trim().to_uppercase();
    let code = first(&pairs, "code");
    let text = first(&pairs, "text");
    let result = state
        .aduan
        .reporter_act(&ticket, &code, Action::AddInfo { text })
        .await;
    let notice = Some(page.tr.t("track_done"));
    show_tracking(&state, page, ticket, code, result, notice).await
}

/// Downloads a file of the answer, with the ticket and access code posted (never in a link, so
/// that the code does not end up in histories and logs).
pub async fn track_file(
    State(state): State<AppState>,
    page: Page,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let ticket = first(&pairs, "ticket").trim().to_uppercase();
    let code = first(&pairs, "code");
    let Ok(id) = first(&pairs, "id").trim().parse::<i64>() else {
        return super::error_page(page, AppError::NotFound);
    };
    match state.aduan.reporter_file(&ticket, &code, id).await {
        Ok((meta, bytes)) => super::file_response(&meta, bytes),
        Err(e) => super::error_page(page, e),
    }
}

/// Downloads a file published with the answer of a public case.
pub async fn published_file(
    State(state): State<AppState>,
    page: Page,
    Path((ticket, id)): Path<(String, String)>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return super::error_page(page, AppError::NotFound);
    };
    match state.aduan.published_file(&ticket, id).await {
        Ok((meta, bytes)) => super::file_response(&meta, bytes),
        Err(e) => super::error_page(page, e),
    }
}

pub async fn track_feedback(
    State(state): State<AppState>,
    page: Page,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let ticket = first(&pairs, "ticket").trim().to_uppercase();
    let code = first(&pairs, "code");
    let rating = first(&pairs, "rating").trim().parse::<u8>().ok();
    let action = match first(&pairs, "decision").as_str() {
        "object" => Some(Action::Object {
            reason: first(&pairs, "reason"),
            rating,
        }),
        "accept" => Some(Action::AcceptAnswer { rating }),
        _ => None,
    };
    let result = match action {
        Some(action) => state.aduan.reporter_act(&ticket, &code, action).await,
        None => Err(AppError::Validation(vec![FieldError::new(
            "decision", "required",
        )])),
    };
    let notice = Some(page.tr.t("track_done"));
    show_tracking(&state, page, ticket, code, result, notice).await
}

#[derive(Template)]
#[template(path = "published.html")]
struct Published {
    page: Page,
    items: Vec<aduan_app::views::PublishedCase>,
    categories: Vec<CategoryItem>,
    category: String,
    q: String,
    next: Option<String>,
}

impl Published {
    fn category_name(&self, code: &str) -> String {
        self.categories
            .iter()
            .find(|c| c.code == code)
            .map_or_else(|| code.to_string(), |c| c.name.clone())
    }
}

/// Answered public cases, searchable and filterable by category.
pub async fn published(
    State(state): State<AppState>,
    page: Page,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Response {
    let pairs: Vec<(String, String)> = raw
        .as_deref()
        .unwrap_or("")
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_string(), super::percent_decode(v)))
        .collect();
    let q: String = first(&pairs, "q").chars().take(200).collect();
    let category = first(&pairs, "category");
    let known = state.aduan.organisation().category(&category).is_some();
    let before_id = first(&pairs, "cursor").parse::<i64>().ok();
    let terms = aduan_domain::search::query_terms(&q);
    let result = state
        .aduan
        .published_cases(known.then(|| category.clone()), terms, before_id, 20)
        .await;
    match result {
        Ok(list) => {
            let next = list.next_cursor.map(|cursor| {
                format!(
                    "cursor={cursor}&q={}&category={}",
                    super::percent_encode(&q),
                    super::percent_encode(&category)
                )
            });
            html(Published {
                categories: categories(&state, &page.tr),
                page,
                items: list.items,
                category: if known { category } else { String::new() },
                q,
                next,
            })
        }
        Err(e) => super::error_page(page, e),
    }
}

#[derive(Template)]
#[template(path = "faq.html")]
struct Faq {
    page: Page,
    /// Question and answer in the page's language (Indonesian when no English was written).
    entries: Vec<(String, String)>,
}

pub async fn faq(State(state): State<AppState>, page: Page) -> Response {
    match state.aduan.faq().await {
        Ok(entries) => {
            let english = page.tr.code() == "en";
            let entries = entries
                .into_iter()
                .map(|e| {
                    if english && !e.question_en.is_empty() && !e.answer_en.is_empty() {
                        (e.question_en, e.answer_en)
                    } else {
                        (e.question_id, e.answer_id)
                    }
                })
                .collect();
            html(Faq { page, entries })
        }
        Err(e) => super::error_page(page, e),
    }
}

#[derive(Template)]
#[template(path = "public_stats.html")]
struct PublicStatsPage {
    page: Page,
    stats: std::sync::Arc<aduan_app::public_stats::PublicStatistics>,
    /// Category names in the page's language, with their counts as shown.
    categories: Vec<(String, String)>,
    chart: String,
}

impl PublicStatsPage {
    fn rate(&self, rate: &Option<f64>) -> String {
        rate.map_or_else(|| "-".to_string(), |r| format!("{r:.1}%"))
    }
    fn days(&self, days: &Option<i64>) -> String {
        days.map_or_else(|| "-".to_string(), |d| d.to_string())
    }
}

/// The public statistics page: no login, no personal data, small groups hidden.
pub async fn public_statistics(State(state): State<AppState>, page: Page) -> Response {
    use aduan_app::charts::{BLUE, ORANGE, Series};
    use aduan_app::public_stats::Suppressed;
    let stats = match state.aduan.public_statistics().await {
        Ok(stats) => stats,
        Err(e) => return super::error_page(page, e),
    };
    let english = page.tr.code() == "en";
    let categories = stats
        .categories
        .iter()
        .map(|c| {
            let name = if english { &c.name_en } else { &c.name_id };
            (name.clone(), c.received.text())
        })
        .collect();
    // Suppressed months are drawn as zero; the table beside the chart says "< n".
    let value = |s: &Suppressed| match s {
        Suppressed::Count(n) => *n as f64,
        Suppressed::FewerThan(_) | Suppressed::Withheld => 0.0,
    };
    let (received, finished) = (page.tr.t("stats_received"), page.tr.t("stats_finished"));
    let chart = aduan_app::charts::grouped_bars(
        "chart-months",
        &page.tr.t("public_stats_chart"),
        &stats
            .months
            .iter()
            .map(|m| m.month.clone())
            .collect::<Vec<_>>(),
        &[
            Series {
                name: &received,
                colour: BLUE,
                values: stats.months.iter().map(|m| value(&m.received)).collect(),
            },
            Series {
                name: &finished,
                colour: ORANGE,
                values: stats.months.iter().map(|m| value(&m.finished)).collect(),
            },
        ],
    );
    html(PublicStatsPage {
        page,
        stats,
        categories,
        chart,
    })
}
