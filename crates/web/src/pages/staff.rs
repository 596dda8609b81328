//! The staff workspace: login, a dashboard per role, the case list and the case page with every
//! action the user may take, as plain forms (CSRF-checked) that work without JavaScript.

use super::session::{self, Session, check_form, see_other};
use super::{Page, html, no_store};
use crate::state::AppState;
use aduan_app::AppError;
use aduan_app::views::{BacklogView, CaseListItem, StaffCaseView};
use aduan_domain::{Role, State as CaseState};
use aduan_store::CaseFilter;
use askama::Template;
use axum::Form;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

fn form_value(pairs: &[(String, String)], name: &str) -> String {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// The staff layout's data.
pub struct StaffChrome {
    pub username: String,
    pub role: String,
    pub csrf: String,
}

impl StaffChrome {
    pub fn of(session: &Session) -> Self {
        Self {
            username: session.user.username.clone(),
            role: session.user.role.code().into(),
            csrf: session.csrf.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "staff_login.html")]
struct Login {
    page: Page,
    next: String,
    username: String,
    error: Option<String>,
}

pub async fn login_form(page: Page, RawQuery(query): RawQuery) -> Response {
    let next = query
        .as_deref()
        .and_then(|q| q.split('&').find_map(|p| p.strip_prefix("next=")))
        .map(super::percent_decode)
        .unwrap_or_default();
    no_store(html(Login {
        page,
        next: session::safe_next(&next),
        username: String::new(),
        error: None,
    }))
}

pub async fn login_submit(
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let username = form_value(&pairs, "username");
    let password = form_value(&pairs, "password");
    let next = session::safe_next(&form_value(&pairs, "next"));
    let cross_site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "cross-site");
    if cross_site {
        return StatusCode::FORBIDDEN.into_response();
    }
    match state.aduan.login(username.trim(), &password).await {
        Ok((token, _)) => {
            let mut response = see_other(&next);
            response.headers_mut().append(
                SET_COOKIE,
                session::set_cookie(&token, session::is_secure(&headers)),
            );
            response
        }
        Err(error @ (AppError::BadCredentials | AppError::Locked)) => {
            let key = if matches!(error, AppError::Locked) {
                "login_locked"
            } else {
                "login_failed"
            };
            let mut response = no_store(html(Login {
                error: Some(page.tr.t(key)),
                page,
                next,
                username,
            }));
            *response.status_mut() = StatusCode::UNAUTHORIZED;
            response
        }
        Err(other) => super::error_page(page, other),
    }
}

pub async fn logout(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(status) = check_form(&session, &headers, &form_value(&pairs, "csrf")) {
        return status.into_response();
    }
    if let Err(e) = state.aduan.logout(&session.token).await {
        tracing::error!(error = %e, "logout failed");
    }
    let mut response = see_other("/staff/login");
    response
        .headers_mut()
        .append(SET_COOKIE, session::clear_cookie());
    response
}

/// One list on the dashboard.
pub struct Queue {
    /// The shelf's anchor on the page.
    pub id: &'static str,
    pub title: String,
    pub items: Vec<CaseListItem>,
}

#[derive(Template)]
#[template(path = "staff_dashboard.html")]
struct Dashboard {
    page: Page,
    staff: StaffChrome,
    queues: Vec<Queue>,
    backlog: Option<BacklogView>,
}

impl Dashboard {
    fn mark(&self, item: &CaseListItem) -> String {
        super::due_mark(&self.page, item)
    }
}

/// What a dashboard shelf holds.
#[derive(Clone, Copy, PartialEq)]
enum Shelf {
    /// Cases in the given states, newest first.
    InStates,
    /// Open cases past their due time, the longest overdue first.
    Overdue,
    /// Cases the agency owes whose due time is still ahead, the soonest first.
    DueSoon,
}

async fn queue(
    state: &AppState,
    session: &Session,
    title: String,
    states: &[CaseState],
    shelf: Shelf,
) -> Result<Queue, AppError> {
    let now = state.aduan.now();
    let filter = match shelf {
        Shelf::InStates => CaseFilter {
            states: states.to_vec(),
            limit: 20,
            ..CaseFilter::default()
        },
        Shelf::Overdue => CaseFilter {
            overdue_at: Some(now),
            sort: aduan_store::CaseSort::DueSoonest,
            limit: 20,
            ..CaseFilter::default()
        },
        Shelf::DueSoon => CaseFilter {
            states: CaseState::ALL
                .iter()
                .copied()
                .filter(|s| s.agency_owes())
                .collect(),
            due_from: Some(now),
            sort: aduan_store::CaseSort::DueSoonest,
            limit: 10,
            ..CaseFilter::default()
        },
    };
    let page = state.aduan.list_cases(&session.user, filter).await?;
    Ok(Queue {
        id: match shelf {
            Shelf::InStates if states.is_empty() => "queue-all",
            Shelf::InStates if states.contains(&CaseState::AwaitingApproval) => "queue-approval",
            Shelf::InStates if states.contains(&CaseState::Received) => "queue-triage",
            Shelf::InStates => "queue-unit",
            Shelf::Overdue => "queue-overdue",
            Shelf::DueSoon => "queue-due-soon",
        },
        title,
        items: page.items,
    })
}

pub async fn dashboard(State(state): State<AppState>, page: Page, session: Session) -> Response {
    use CaseState as S;
    let tr = page.tr;
    let role = session.user.role;
    let mut queues = Vec::new();
    let plan: Vec<(String, Vec<CaseState>, Shelf)> = match role {
        Role::Coordinator => vec![
            (
                tr.t("dash_triage"),
                vec![S::Received, S::Verified],
                Shelf::InStates,
            ),
            (
                tr.t("dash_approval"),
                vec![S::AwaitingApproval],
                Shelf::InStates,
            ),
            (tr.t("dash_overdue"), vec![], Shelf::Overdue),
            (tr.t("dash_due_soon"), vec![], Shelf::DueSoon),
        ],
        Role::UnitOfficer => vec![
            (
                tr.t("dash_unit_queue"),
                vec![S::Dispositioned, S::InProgress],
                Shelf::InStates,
            ),
            (tr.t("dash_overdue"), vec![], Shelf::Overdue),
            (tr.t("dash_due_soon"), vec![], Shelf::DueSoon),
        ],
        Role::UnitHead => vec![
            (
                tr.t("dash_approval"),
                vec![S::AwaitingApproval],
                Shelf::InStates,
            ),
            (
                tr.t("dash_unit_queue"),
                vec![S::Dispositioned, S::InProgress],
                Shelf::InStates,
            ),
            (tr.t("dash_overdue"), vec![], Shelf::Overdue),
            (tr.t("dash_due_soon"), vec![], Shelf::DueSoon),
        ],
        Role::Intake => vec![(tr.t("nav_cases"), vec![], Shelf::InStates)],
        Role::Leadership | Role::Auditor => vec![(tr.t("dash_overdue"), vec![], Shelf::Overdue)],
        Role::Monitor | Role::Admin => vec![],
    };
    for (title, states, shelf) in plan {
        match queue(&state, &session, title, &states, shelf).await {
            Ok(q) => queues.push(q),
            Err(e) => return super::error_page(page, e),
        }
    }
    let backlog = if matches!(
        role,
        Role::Coordinator | Role::Leadership | Role::Monitor | Role::Auditor
    ) {
        match state.aduan.backlog(&session.user, None, None).await {
            Ok(b) => Some(b),
            Err(e) => return super::error_page(page, e),
        }
    } else {
        None
    };
    no_store(html(Dashboard {
        staff: StaffChrome::of(&session),
        page,
        queues,
        backlog,
    }))
}

#[derive(Template)]
#[template(path = "staff_cases.html")]
struct CaseList {
    page: Page,
    staff: StaffChrome,
    items: Vec<CaseListItem>,
    /// The filters as given, to show them again in the form.
    f: ListFilters,
    next: Option<String>,
    error: Option<String>,
    states: Vec<(String, String)>,
    kinds: Vec<(String, String)>,
    categories: Vec<(String, String)>,
    units: Vec<(String, String)>,
    channels: Vec<(String, String)>,
    sorts: Vec<(String, String)>,
}

/// The list form's fields, as typed.
#[derive(Default)]
struct ListFilters {
    q: String,
    state: String,
    kind: String,
    category: String,
    unit: String,
    channel: String,
    from: String,
    to: String,
    sort: String,
    overdue: bool,
}

impl ListFilters {
    fn of(query: &crate::routes::staff::CaseQuery) -> Self {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        Self {
            q: text(&query.q),
            state: text(&query.state),
            kind: text(&query.kind),
            category: text(&query.category),
            unit: text(&query.unit),
            channel: text(&query.channel),
            from: text(&query.from),
            to: text(&query.to),
            sort: text(&query.sort),
            overdue: query.overdue.unwrap_or(false),
        }
    }
}

impl CaseList {
    fn mark(&self, item: &CaseListItem) -> String {
        super::due_mark(&self.page, item)
    }
}

/// The list's channels: every way a case can arrive.
const LIST_CHANNELS: &[(&str, &str)] = &[
    ("web", "channel_web"),
    ("api", "channel_api"),
    ("email", "channel_email"),
    ("walk_in", "channel_walk_in"),
    ("phone", "channel_phone"),
    ("letter", "channel_letter"),
    ("lapor", "channel_lapor"),
    ("social", "channel_social_media"),
];

pub async fn case_list(
    State(state): State<AppState>,
    page: Page,
    session: Session,
    RawQuery(raw): RawQuery,
) -> Response {
    // Empty fields from the filter form mean "any".
    let kept: Vec<&str> = raw
        .as_deref()
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty() && !p.ends_with('=') && !p.starts_with("lang="))
        .collect();
    let raw = kept.join("&");
    let parsed = if raw.is_empty() {
        Ok(crate::routes::staff::CaseQuery::default())
    } else {
        crate::routes::staff::parse_case_query(&raw)
    };
    let tr = page.tr;
    let f = parsed.as_ref().map(ListFilters::of).unwrap_or_default();
    let result = match parsed.and_then(|query| crate::routes::staff::to_filter(&state, query)) {
        Ok(filter) => state
            .aduan
            .list_cases(&session.user, filter)
            .await
            .map_err(|e| tr.section("error", super::error_key(&e))),
        Err(e) => Err(format!(
            "{} {}",
            tr.section("error", "invalid_query"),
            e.fields
                .iter()
                .map(|(field, code)| format!("{field}: {}.", tr.field_error(code)))
                .collect::<Vec<_>>()
                .join(" ")
        )),
    };
    let (items, next, error) = match result {
        Ok(list) => (list.items, list.next_cursor, None),
        Err(message) => (Vec::new(), None, Some(message)),
    };
    // The next page keeps every filter and the order; only the cursor changes.
    let next = next.map(|cursor| {
        kept.iter()
            .filter(|p| !p.starts_with("cursor="))
            .map(|p| p.to_string())
            .chain([format!("cursor={}", super::percent_encode(&cursor))])
            .collect::<Vec<_>>()
            .join("&")
    });
    let org = state.aduan.organisation();
    let labelled = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(code, key)| (code.to_string(), tr.t(key)))
            .collect()
    };
    no_store(html(CaseList {
        staff: StaffChrome::of(&session),
        items,
        f,
        next,
        error,
        states: CaseState::ALL
            .iter()
            .map(|s| (s.code().to_string(), tr.t(&format!("state_{}", s.code()))))
            .collect(),
        kinds: labelled(&[
            ("complaint", "kind_complaint"),
            ("info_request", "kind_info_request"),
            ("aspiration", "kind_aspiration"),
        ]),
        categories: org
            .categories
            .iter()
            .map(|c| (c.code.clone(), c.name_id.clone()))
            .collect(),
        units: org
            .units
            .iter()
            .map(|u| (u.code.clone(), u.name.clone()))
            .collect(),
        channels: labelled(LIST_CHANNELS),
        sorts: labelled(&[
            ("newest", "list_sort_newest"),
            ("oldest", "list_sort_oldest"),
            ("due", "list_sort_due"),
        ]),
        page,
    }))
}

/// One field of an action form.
pub struct FieldView {
    pub name: &'static str,
    pub label: String,
    /// `text`, `area`, `date`, `unit`, `units`, `category`, `reject_reason`, `decision`,
    /// `maladministration`.
    pub kind: &'static str,
    pub required: bool,
}

pub struct ActionForm {
    pub code: String,
    pub label: String,
    pub fields: Vec<FieldView>,
}

/// The fields each staff action takes (the same names as the JSON API's).
fn action_fields(code: &str) -> Vec<(&'static str, &'static str, bool)> {
    match code {
        "verify" => vec![("category", "category", false)],
        "reject" => vec![("reason", "reject_reason", true), ("note", "area", false)],
        "forward" => vec![("agency", "text", true), ("reason", "area", true)],
        "merge" => vec![("into", "text", true)],
        "link" | "unlink" => vec![("ticket", "text", true)],
        "classify" => vec![("maladministration", "maladministration", false)],
        "dispose" => vec![
            ("lead_unit", "unit", true),
            ("supporting_units", "units", false),
            ("instruction", "area", true),
            ("due_date", "date", false),
        ],
        "return" | "send_back" | "extend" => vec![("reason", "area", true)],
        "assign" => vec![("officer", "text", true)],
        "ask_info" => vec![("question", "area", true)],
        "note" => vec![("text", "area", true)],
        "submit_draft" => vec![
            ("text", "area", true),
            ("decision", "decision", false),
            ("exemption", "text", false),
        ],
        _ => vec![],
    }
}

/// One line of the timeline.
pub struct TimelineItem {
    pub at: String,
    pub actor: String,
    pub label: String,
    pub text: Option<String>,
    pub public: bool,
    pub rule: Option<String>,
}

#[derive(Template)]
#[template(path = "staff_case.html")]
struct CasePage {
    page: Page,
    staff: StaffChrome,
    view: StaffCaseView,
    timeline: Vec<TimelineItem>,
    actions: Vec<ActionForm>,
    units: Vec<(String, String)>,
    categories: Vec<(String, String)>,
    mark: String,
    /// The lead unit of the case's category, proposed in the disposition form.
    category_lead: Option<String>,
    /// Standard answers a draft may start from.
    responses: Vec<aduan_app::responses::ResponseTemplate>,
    /// The draft text to start from (a chosen template), and the action form to open.
    draft_text: String,
    open_action: String,
    /// The draft waiting for approval, with the names of its files.
    draft: Option<DraftShown>,
    /// Files uploaded for the answer so far, offered again in the answer form.
    answer_files: Vec<(i64, String)>,
    /// Likely duplicates, while the case can still be merged.
    duplicates: Vec<aduan_app::duplicates::DuplicateView>,
    /// Every form of maladministration: code, name, whether the case alleges it.
    maladministration: Vec<(String, String, bool)>,
    notice: Option<String>,
    error: Option<String>,
}

pub struct DraftShown {
    pub text: String,
    pub files: Vec<(i64, String)>,
}

impl DraftShown {
    fn of(view: &StaffCaseView) -> Option<Self> {
        let draft = view.draft.as_ref()?;
        let text = draft.get("text")?.as_str()?.to_string();
        let ids: Vec<i64> = draft
            .get("attachments")
            .and_then(|a| a.as_array())
            .map(|a| a.iter().filter_map(serde_json::Value::as_i64).collect())
            .unwrap_or_default();
        let files = ids
            .iter()
            .filter_map(|id| view.attachments.iter().find(|f| f.id == *id))
            .map(|f| (f.id, f.name.clone()))
            .collect();
        Some(Self { text, files })
    }
}

impl CasePage {
    fn state_label(&self) -> String {
        self.page.tr.t(&format!("state_{}", self.view.state))
    }

    /// The unit a disposition proposes: the category's lead unit.
    fn proposed_unit(&self, code: &str) -> bool {
        self.view.lead_unit.as_deref() == Some(code) || self.category_lead.as_deref() == Some(code)
    }
}

fn event_text(change: &serde_json::Value) -> Option<String> {
    [
        "text",
        "reason",
        "question",
        "instruction",
        "agency",
        "note",
        "officer",
        "lead_unit",
        "unit",
    ]
    .iter()
    .find_map(|key| {
        change
            .get(*key)
            .and_then(|v| v.as_str())
            .map(str::to_string)
    })
}

async fn render_case(
    state: &AppState,
    page: Page,
    session: &Session,
    ticket: &str,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    render_case_with(state, page, session, ticket, notice, error, None).await
}

async fn render_case_with(
    state: &AppState,
    page: Page,
    session: &Session,
    ticket: &str,
    notice: Option<String>,
    error: Option<String>,
    template: Option<u32>,
) -> Response {
    let case = match state.aduan.staff_case(&session.user, ticket).await {
        Ok(case) => case,
        Err(e) => return super::error_page(page, e),
    };
    let tr = page.tr;
    let org = state.aduan.organisation();
    let timeline = case
        .events
        .iter()
        .map(|e| {
            let kind = e.change.get("type").and_then(|v| v.as_str()).unwrap_or("");
            let label = tr.t(&format!("event_{kind}"));
            TimelineItem {
                at: tr.datetime(&e.at),
                actor: e.actor.clone(),
                label: if label.starts_with("page.") {
                    kind.replace('_', " ")
                } else {
                    label
                },
                text: event_text(&e.change),
                public: e.public,
                rule: e.rule.clone(),
            }
        })
        .collect();
    let actions = case
        .allowed_actions
        .iter()
        .map(|code| ActionForm {
            code: code.clone(),
            label: tr.t(&format!("action_{code}")),
            fields: action_fields(code)
                .into_iter()
                .map(|(name, kind, required)| FieldView {
                    name,
                    label: tr.t(&format!("field_{name}")),
                    kind,
                    required,
                })
                .collect(),
        })
        .collect();
    let mark = match case.timeliness.as_deref() {
        Some(code) => tr.t(&format!("mark_{code}")),
        None => String::new(),
    };
    let responses = if case.allowed_actions.iter().any(|a| a == "submit_draft") {
        state
            .aduan
            .response_templates(&session.user)
            .await
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let chosen = template.and_then(|id| responses.iter().find(|t| t.id == id));
    let draft_text = chosen.map(|t| t.text.clone()).unwrap_or_default();
    let open_action = if chosen.is_some() {
        "submit_draft".to_string()
    } else {
        String::new()
    };
    let duplicates = if case.allowed_actions.iter().any(|a| a == "merge") {
        state
            .aduan
            .likely_duplicates(&session.user, &case.ticket)
            .await
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let draft = DraftShown::of(&case);
    let answer_files = case
        .attachments
        .iter()
        .filter(|f| f.purpose == "answer")
        .map(|f| (f.id, f.name.clone()))
        .collect();
    let maladministration = aduan_domain::Maladministration::ALL
        .iter()
        .map(|form| {
            let code = form.code().to_string();
            let alleged = case.maladministration.contains(&code);
            (code, tr.t(&format!("maladministration_{form}")), alleged)
        })
        .collect();
    no_store(html(CasePage {
        maladministration,
        draft,
        answer_files,
        duplicates,
        responses,
        draft_text,
        open_action,
        staff: StaffChrome::of(session),
        units: org
            .units
            .iter()
            .map(|u| (u.code.clone(), u.name.clone()))
            .collect(),
        categories: org
            .categories
            .iter()
            .map(|c| (c.code.clone(), c.name_id.clone()))
            .collect(),
        category_lead: org.category(&case.category).map(|c| c.lead_unit.clone()),
        page,
        view: case,
        timeline,
        actions,
        mark,
        notice,
        error,
    }))
}

pub async fn case_page(
    State(state): State<AppState>,
    page: Page,
    session: Session,
    Path(ticket): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let notice = super::after_change(query.as_deref()).then(|| page.tr.t("case_done"));
    let template = query.as_deref().and_then(|q| {
        q.split('&')
            .find_map(|p| p.strip_prefix("template="))
            .and_then(|id| id.parse::<u32>().ok())
    });
    render_case_with(&state, page, &session, &ticket, notice, None, template).await
}

/// Fields an action may go without: left out when empty. Required ones are passed on empty, so
/// that the domain names them in its refusal.
const OPTIONAL_FIELDS: &[&str] = &["category", "note", "due_date", "decision", "exemption"];

/// Fields a form sends once per ticked box or chosen option, and the action that needs the
/// list even when nothing was chosen.
const LIST_FIELDS: &[(&str, &str)] = &[
    ("supporting_units", "dispose"),
    ("maladministration", "classify"),
];

/// The form as the API's action JSON: empty optional fields left out, list fields as lists.
fn action_json(pairs: &[(String, String)]) -> serde_json::Value {
    let mut object = serde_json::Map::new();
    let mut lists: Vec<(&str, Vec<serde_json::Value>)> = Vec::new();
    for (key, value) in pairs {
        let value = value.trim();
        let list = LIST_FIELDS.iter().find(|(name, _)| name == key);
        if key == "csrf"
            || (value.is_empty() && (OPTIONAL_FIELDS.contains(&key.as_str()) || list.is_some()))
        {
            continue;
        }
        if let Some((name, _)) = list {
            let item = serde_json::Value::String(value.to_string());
            match lists.iter_mut().find(|(n, _)| n == name) {
                Some((_, items)) => items.push(item),
                None => lists.push((name, vec![item])),
            }
        } else if !object.contains_key(key) {
            object.insert(key.clone(), serde_json::Value::String(value.to_string()));
        }
    }
    let action = object
        .get("action")
        .and_then(|a| a.as_str())
        .map(str::to_string);
    for (name, needed_by) in LIST_FIELDS {
        let items = lists
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, items)| items.clone());
        match items {
            Some(items) => {
                object.insert(name.to_string(), serde_json::Value::Array(items));
            }
            None if action.as_deref() == Some(*needed_by) => {
                object.insert(name.to_string(), serde_json::Value::Array(vec![]));
            }
            None => {}
        }
    }
    serde_json::Value::Object(object)
}

pub async fn case_act(
    State(state): State<AppState>,
    page: Page,
    session: Session,
    headers: HeaderMap,
    Path(ticket): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(status) = check_form(&session, &headers, &form_value(&pairs, "csrf")) {
        return status.into_response();
    }
    let action = match serde_json::from_value::<aduan_domain::Action>(action_json(&pairs)) {
        Ok(action) => action,
        Err(e) => {
            tracing::info!(error = %e, "staff form did not make an action");
            let message = page.tr.section("error", "validation_failed");
            let mut response =
                render_case(&state, page, &session, &ticket, None, Some(message)).await;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return response;
        }
    };
    take_action(&state, page, &session, &ticket, action).await
}

/// Takes an action from a case page's form: back to the case when done, else the page again
/// with the reason.
async fn take_action(
    state: &AppState,
    page: Page,
    session: &Session,
    ticket: &str,
    action: aduan_domain::Action,
) -> Response {
    match state.aduan.act(&session.user, ticket, action).await {
        Ok(_) => see_other(&format!(
            "/staff/cases/{}?done=1",
            super::percent_encode(ticket)
        )),
        Err(AppError::NotFound) => super::error_page(page, AppError::NotFound),
        Err(error) => refused(state, page, session, ticket, error).await,
    }
}

/// The case page again with why an action was refused, under the matching status.
async fn refused(
    state: &AppState,
    page: Page,
    session: &Session,
    ticket: &str,
    error: AppError,
) -> Response {
    let status = match &error {
        AppError::Forbidden => StatusCode::FORBIDDEN,
        AppError::Conflict => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let message = super::refusal_message(&page, &error);
    let mut response = render_case(state, page, session, ticket, None, Some(message)).await;
    *response.status_mut() = status;
    response
}

/// The answer form: files uploaded with it are stored first (for the answer), then the draft is
/// submitted with them and the files ticked from earlier uploads. When the draft is refused the
/// new files stay on the case and are offered again, so nothing uploaded is lost.
pub async fn draft_submit(
    State(state): State<AppState>,
    page: Page,
    session: Session,
    headers: HeaderMap,
    Path(ticket): Path<String>,
    multipart: axum::extract::Multipart,
) -> Response {
    let Ok((pairs, files)) = super::portal::read_form(multipart).await else {
        return super::error_page(page, AppError::Validation(Vec::new()));
    };
    if let Err(status) = check_form(&session, &headers, &super::portal::first(&pairs, "csrf")) {
        return status.into_response();
    }
    let mut ids: Vec<i64> = pairs
        .iter()
        .filter(|(k, _)| k == "file_ids")
        .filter_map(|(_, v)| v.trim().parse::<i64>().ok())
        .collect();
    if !files.is_empty() {
        match state
            .aduan
            .add_answer_files(&session.user, &ticket, files)
            .await
        {
            Ok(stored) => ids.extend(stored.iter().map(|f| f.id)),
            Err(AppError::NotFound) => return super::error_page(page, AppError::NotFound),
            Err(error) => return refused(&state, page, &session, &ticket, error).await,
        }
    }
    let text_pairs: Vec<(String, String)> = pairs
        .into_iter()
        .filter(|(k, _)| k != "file_ids")
        .chain([("action".to_string(), "submit_draft".to_string())])
        .collect();
    let mut json = action_json(&text_pairs);
    if let Some(object) = json.as_object_mut() {
        object.insert("attachments".into(), serde_json::json!(ids));
    }
    let action = match serde_json::from_value::<aduan_domain::Action>(json) {
        Ok(action @ aduan_domain::Action::SubmitDraft { .. }) => action,
        _ => {
            return refused(
                &state,
                page,
                &session,
                &ticket,
                AppError::Validation(Vec::new()),
            )
            .await;
        }
    };
    take_action(&state, page, &session, &ticket, action).await
}

/// Downloads a file of a case the user may see. Always as an attachment with its checked type,
/// so that a browser never renders an upload as a page of ours.
pub async fn attachment(
    State(state): State<AppState>,
    page: Page,
    session: Session,
    Path((ticket, id)): Path<(String, String)>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return super::error_page(page, AppError::NotFound);
    };
    match state
        .aduan
        .staff_attachment(&session.user, &ticket, id)
        .await
    {
        Ok((meta, bytes)) => super::file_response(&meta, bytes),
        Err(e) => super::error_page(page, e),
    }
}

#[derive(Template)]
#[template(path = "staff_intake.html")]
struct IntakePage {
    page: Page,
    staff: StaffChrome,
    f: super::portal::FormState,
    channels: Vec<(String, String)>,
    channel: String,
    channel_account: String,
}

/// Channels a desk registers cases from.
const DESK_CHANNELS: &[(&str, &str)] = &[
    ("walk_in", "channel_walk_in"),
    ("phone", "channel_phone"),
    ("letter", "channel_letter"),
    ("social", "channel_social_media"),
    ("email", "channel_email"),
];

fn may_register(session: &Session) -> bool {
    matches!(session.user.role, Role::Intake | Role::Coordinator)
}

fn intake_page(
    state: &AppState,
    page: Page,
    session: &Session,
    form: super::portal::ReportForm,
    channel: String,
    channel_account: String,
) -> IntakePage {
    let f = super::portal::FormState::new(state, &page.tr, form, "intake_consent");
    IntakePage {
        channels: DESK_CHANNELS
            .iter()
            .map(|(code, key)| (code.to_string(), page.tr.t(key)))
            .collect(),
        staff: StaffChrome::of(session),
        page,
        f,
        channel,
        channel_account,
    }
}

pub async fn intake_form(State(state): State<AppState>, page: Page, session: Session) -> Response {
    if !may_register(&session) {
        return super::error_page(page, AppError::Forbidden);
    }
    let form = super::portal::ReportForm {
        kind: "complaint".into(),
        privacy: "public".into(),
        language: "id".into(),
        ..Default::default()
    };
    no_store(html(intake_page(
        &state,
        page,
        &session,
        form,
        "walk_in".into(),
        String::new(),
    )))
}

#[derive(Template)]
#[template(path = "staff_receipt.html")]
struct StaffReceipt {
    page: Page,
    staff: StaffChrome,
    ticket: String,
    code: String,
    received: String,
    due: String,
}

pub async fn intake_submit(
    State(state): State<AppState>,
    page: Page,
    session: Session,
    headers: HeaderMap,
    multipart: axum::extract::Multipart,
) -> Response {
    if !may_register(&session) {
        return super::error_page(page, AppError::Forbidden);
    }
    let Ok((pairs, files)) = super::portal::read_form(multipart).await else {
        return super::error_page(page, AppError::Validation(Vec::new()));
    };
    if let Err(status) = check_form(&session, &headers, &super::portal::first(&pairs, "csrf")) {
        return status.into_response();
    }
    let had_files = !files.is_empty();
    let form = super::portal::ReportForm::from_pairs(&pairs);
    let channel_code = super::portal::first(&pairs, "channel");
    let account = super::portal::first(&pairs, "channel_account")
        .trim()
        .to_string();
    let (input, mut errors) = form.to_input();
    let channel = DESK_CHANNELS
        .iter()
        .find(|(code, _)| *code == channel_code)
        .and_then(|(code, _)| aduan_domain::Channel::parse(code));
    if channel.is_none() {
        errors.push(aduan_domain::intake::FieldError::new("channel", "required"));
    }
    if account.chars().count() > 200 || account.chars().any(char::is_control) {
        errors.push(aduan_domain::intake::FieldError::new("channel", "invalid"));
    }
    let result = match channel {
        Some(channel) if errors.is_empty() => {
            let account = (!account.is_empty()).then(|| account.clone());
            state
                .aduan
                .create_case_with_files(&input, channel, Some(&session.user), account, files)
                .await
        }
        _ => Err(AppError::Validation(Vec::new())),
    };
    match result {
        Ok(created) => {
            let tr = page.tr;
            let now = state.aduan.now();
            no_store(html(StaffReceipt {
                staff: StaffChrome::of(&session),
                ticket: created.ticket.to_string(),
                code: created.access_code.display(),
                received: tr.datetime(&now),
                due: created.due_at.map(|d| tr.date(&d)).unwrap_or_default(),
                page,
            }))
        }
        Err(AppError::Validation(more)) => {
            errors.extend(more);
            let tr = page.tr;
            let mut view = intake_page(&state, page, &session, form, channel_code, account);
            view.f = view.f.with_errors(&tr, errors, had_files);
            let mut response = html(view);
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            response
        }
        Err(other) => super::error_page(page, other),
    }
}
