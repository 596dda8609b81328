//! Open311 GeoReport v2: the civic-tech standard through which city apps and FixMyStreet-like
//! clients send requests and follow them. Services are the organisation's categories; a request
//! becomes a case through the same validation as the web form; only public cases are listed,
//! with their public wording (the title and the published answer, personal data masked) and
//! their region, never the street address or coordinates a reporter gave.

use crate::service::{Aduan, CreatedCase, StaffUser};
use crate::{AppError, random_bytes};
use aduan_domain::intake::{CaseInput, FieldError, ReporterInput, validate};
use aduan_domain::redact::public_text;
use aduan_domain::{Channel, Location, Privacy, Role, Scope, State, Ticket};
use aduan_store::{CaseFilter, CaseRecord};
use serde::Serialize;
use std::collections::BTreeMap;
use time::{Duration, OffsetDateTime};

/// The most requests one GET answers, as the specification's default.
pub const MAX_REQUESTS: usize = 1000;
/// The longest period of one GET, as the specification's default.
pub const MAX_PERIOD_DAYS: i64 = 90;
/// The most ids one GET may name.
pub const MAX_IDS: usize = 100;
/// The specification's limit on a request's description.
pub const MAX_DESCRIPTION: usize = 4000;

/// A request as an Open311 client posts it (`application/x-www-form-urlencoded`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PostedRequest {
    pub service_code: Option<String>,
    pub lat: Option<String>,
    pub long: Option<String>,
    pub address_string: Option<String>,
    pub address_id: Option<String>,
    pub email: Option<String>,
    pub device_id: Option<String>,
    pub account_id: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub description: Option<String>,
    pub media_url: Option<String>,
    /// `attribute[CODE]` and `attribute[CODE][]` values.
    pub attributes: BTreeMap<String, Vec<String>>,
}

impl PostedRequest {
    /// Reads the form's pairs; an empty value counts as absent, as the specification says.
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut request = Self::default();
        for (key, value) in pairs {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            let slot = match key.as_str() {
                "service_code" => &mut request.service_code,
                "lat" => &mut request.lat,
                "long" => &mut request.long,
                "address_string" => &mut request.address_string,
                "address_id" => &mut request.address_id,
                "email" => &mut request.email,
                "device_id" => &mut request.device_id,
                "account_id" => &mut request.account_id,
                "first_name" => &mut request.first_name,
                "last_name" => &mut request.last_name,
                "phone" => &mut request.phone,
                "description" => &mut request.description,
                "media_url" => &mut request.media_url,
                other => {
                    if let Some(code) = other
                        .strip_prefix("attribute[")
                        .and_then(|rest| rest.strip_suffix("[]").or(Some(rest)))
                        .and_then(|rest| rest.strip_suffix(']'))
                    {
                        request
                            .attributes
                            .entry(code.to_string())
                            .or_default()
                            .push(value.to_string());
                    }
                    continue;
                }
            };
            *slot = Some(value.to_string());
        }
        request
    }

    fn attribute(&self, code: &str) -> Option<&str> {
        self.attributes
            .get(code)
            .and_then(|v| v.first())
            .map(String::as_str)
    }
}

/// Why a request was not accepted, in the specification's terms.
#[derive(Debug)]
pub enum Open311Error {
    /// 403: the api_key is missing, unknown or revoked.
    BadKey,
    /// 404: no such service, request, token or jurisdiction.
    NotFound(&'static str),
    /// 400: what is wrong, by field.
    Invalid(Vec<FieldError>),
    /// Anything else (overload, storage).
    App(AppError),
}

impl From<AppError> for Open311Error {
    fn from(error: AppError) -> Self {
        match error {
            AppError::Validation(errors) => Open311Error::Invalid(errors),
            AppError::NotFound => Open311Error::NotFound("service_request_id"),
            other => Open311Error::App(other),
        }
    }
}

impl From<aduan_store::StoreError> for Open311Error {
    fn from(error: aduan_store::StoreError) -> Self {
        Open311Error::App(error.into())
    }
}

/// One service: a category of the organisation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceInfo {
    pub service_code: String,
    pub service_name: String,
    pub description: String,
    pub metadata: bool,
    #[serde(rename = "type")]
    pub service_type: &'static str,
    pub keywords: String,
    pub group: String,
}

/// A request as Open311 shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestInfo {
    pub service_request_id: String,
    pub status: &'static str,
    pub status_notes: Option<String>,
    pub service_name: Option<String>,
    pub service_code: String,
    pub description: Option<String>,
    pub agency_responsible: Option<String>,
    pub requested_datetime: OffsetDateTime,
    pub updated_datetime: OffsetDateTime,
    pub expected_datetime: Option<OffsetDateTime>,
    pub address: Option<String>,
}

/// The filters of GET requests, as given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestQuery {
    pub service_request_id: Option<String>,
    pub service_code: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub status: Option<String>,
}

/// A key issued to a client, as the admin sees it (never the key itself after issuing).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKeyView {
    pub id: i64,
    pub name: String,
    pub created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub revoked_at: Option<OffsetDateTime>,
}

const KINDS: [(&str, &str); 3] = [
    ("complaint", "Pengaduan / Complaint"),
    ("aspiration", "Aspirasi / Suggestion"),
    ("info_request", "Permohonan informasi / Information request"),
];
const PRIVACIES: [(&str, &str); 3] = [
    ("public", "Terbuka / Public"),
    ("confidential", "Rahasia / Confidential"),
    ("anonymous", "Anonim / Anonymous"),
];

/// The attributes every service takes, beyond the specification's own fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttributeInfo {
    pub variable: bool,
    pub code: &'static str,
    pub datatype: &'static str,
    pub required: bool,
    pub datatype_description: &'static str,
    pub order: u32,
    pub description: &'static str,
    pub values: Vec<(&'static str, &'static str)>,
}

pub fn attributes() -> Vec<AttributeInfo> {
    vec![
        AttributeInfo {
            variable: true,
            code: "title",
            datatype: "string",
            required: false,
            datatype_description: "5-200 karakter / characters",
            order: 1,
            description: "Judul singkat; tanpa judul, baris pertama uraian dipakai / A short title; without one, the description's first line is used",
            values: Vec::new(),
        },
        AttributeInfo {
            variable: true,
            code: "kind",
            datatype: "singlevaluelist",
            required: false,
            datatype_description: "",
            order: 2,
            description: "Jenis laporan (bawaan: pengaduan) / Kind of case (default: complaint)",
            values: KINDS.to_vec(),
        },
        AttributeInfo {
            variable: true,
            code: "privacy",
            datatype: "singlevaluelist",
            required: false,
            datatype_description: "",
            order: 3,
            description: "Terbuka: judul dan jawaban dapat diterbitkan tanpa data pribadi; rahasia: tidak diterbitkan; anonim: identitas tidak dicatat (bawaan: terbuka) / Public: title and answer may be published without personal data; confidential: not published; anonymous: no identity kept (default: public)",
            values: PRIVACIES.to_vec(),
        },
        AttributeInfo {
            variable: true,
            code: "event_date",
            datatype: "string",
            required: false,
            datatype_description: "YYYY-MM-DD",
            order: 4,
            description: "Tanggal kejadian / The day it happened",
            values: Vec::new(),
        },
    ]
}

impl Aduan {
    /// Whether a `jurisdiction_id` names this endpoint: absent, or the organisation's.
    pub fn open311_jurisdiction_ok(&self, given: Option<&str>) -> bool {
        match given.map(str::trim).filter(|g| !g.is_empty()) {
            None => true,
            Some(given) => self
                .organisation()
                .agency
                .open311_jurisdiction
                .as_deref()
                .is_some_and(|ours| ours.eq_ignore_ascii_case(given)),
        }
    }

    pub fn open311_services(&self) -> Vec<ServiceInfo> {
        let org = self.organisation();
        org.categories
            .iter()
            .map(|c| ServiceInfo {
                service_code: c.code.clone(),
                service_name: c.name_id.clone(),
                description: if c.help_id.is_empty() {
                    c.name_en.clone()
                } else {
                    format!("{} / {}", c.help_id, c.help_en)
                },
                metadata: true,
                service_type: "realtime",
                keywords: c.name_en.clone(),
                group: org
                    .units
                    .iter()
                    .find(|u| u.code == c.lead_unit)
                    .map_or_else(|| c.lead_unit.clone(), |u| u.name.clone()),
            })
            .collect()
    }

    pub fn open311_service(&self, code: &str) -> Option<ServiceInfo> {
        self.open311_services()
            .into_iter()
            .find(|s| s.service_code == code)
    }

    /// Creates a case from a posted request, for the client holding `api_key`.
    pub async fn open311_create(
        &self,
        api_key: Option<&str>,
        posted: &PostedRequest,
    ) -> Result<CreatedCase, Open311Error> {
        let key = match api_key.map(str::trim).filter(|k| !k.is_empty()) {
            Some(key) => self.store.api_key(&crate::auth::token_hash(key)).await?,
            None => None,
        };
        let Some(key) = key.filter(|k| k.revoked_at.is_none()) else {
            tracing::info!("open311 request refused: missing or bad api_key");
            return Err(Open311Error::BadKey);
        };
        let Some(code) = posted.service_code.as_deref() else {
            return Err(Open311Error::Invalid(vec![FieldError::new(
                "service_code",
                "required",
            )]));
        };
        if self.organisation().category(code).is_none() {
            return Err(Open311Error::NotFound("service_code"));
        }
        let input = to_input(posted)?;
        let org = self.organisation();
        let today = self.calendar().local_date(self.now());
        if let Err(errors) = validate(&input, Channel::Api, &org, today) {
            return Err(Open311Error::Invalid(open311_fields(errors)));
        }
        let mut errors = Vec::new();
        let media =
            aduan_domain::external::link(posted.media_url.as_deref(), "media_url", &mut errors);
        if !errors.is_empty() {
            return Err(Open311Error::Invalid(errors));
        }
        let source = aduan_domain::external::ExternalSource {
            system: "open311".into(),
            id: format!("{}-{}", key.id, hex::encode(random_bytes::<12>()?)),
            link: media,
            sent_at: None,
            attachments: Vec::new(),
        };
        let created = self
            .register_case(
                &input,
                Channel::Api,
                None,
                Some(key.name.clone()),
                Vec::new(),
                Some(&source),
            )
            .await
            .map_err(|e| match e {
                AppError::Validation(errors) => Open311Error::Invalid(open311_fields(errors)),
                other => Open311Error::App(other),
            })?;
        tracing::info!(ticket = %created.ticket, client = %key.name, "open311 request received");
        Ok(created)
    }

    /// One public request by its id (the ticket).
    pub async fn open311_request(&self, id: &str) -> Result<RequestInfo, Open311Error> {
        let case = match Ticket::parse(id) {
            Ok(ticket) => self.store.case(&ticket, &Scope::All).await?,
            Err(_) => None,
        };
        match case.filter(|c| c.privacy == Privacy::Public) {
            Some(case) => Ok(self.request_info(&case)),
            None => Err(Open311Error::NotFound("service_request_id")),
        }
    }

    /// Public requests matching the specification's filters.
    pub async fn open311_requests(
        &self,
        query: &RequestQuery,
    ) -> Result<Vec<RequestInfo>, Open311Error> {
        if let Some(ids) = query
            .service_request_id
            .as_deref()
            .filter(|s| !s.trim().is_empty())
        {
            let ids: Vec<&str> = ids
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect();
            if ids.len() > MAX_IDS {
                return Err(Open311Error::Invalid(vec![FieldError::new(
                    "service_request_id",
                    "too_many_ids",
                )]));
            }
            let mut found = Vec::new();
            for id in ids {
                if let Ok(info) = self.open311_request(id).await {
                    found.push(info);
                }
            }
            return Ok(found);
        }
        let mut errors = Vec::new();
        let now = self.now();
        let end = parse_time(query.end_date.as_deref(), "end_date", &mut errors);
        let start = parse_time(query.start_date.as_deref(), "start_date", &mut errors);
        let (start, end) = match (start, end) {
            (Some(s), Some(e)) => (s, e),
            (Some(s), None) => (s, (s + Duration::days(MAX_PERIOD_DAYS)).min(now)),
            (None, Some(e)) => (e - Duration::days(MAX_PERIOD_DAYS), e),
            (None, None) => (now - Duration::days(MAX_PERIOD_DAYS), now),
        };
        if end < start || end - start > Duration::days(MAX_PERIOD_DAYS) {
            errors.push(FieldError::new("end_date", "invalid_period"));
        }
        let statuses: Vec<&str> = query
            .status
            .as_deref()
            .map(|s| {
                s.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        if statuses.iter().any(|s| *s != "open" && *s != "closed") {
            errors.push(FieldError::new("status", "unknown"));
        }
        let codes: Vec<&str> = query
            .service_code
            .as_deref()
            .map(|s| {
                s.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        if !errors.is_empty() {
            return Err(Open311Error::Invalid(errors));
        }
        let org = self.organisation();
        if let Some(unknown) = codes.iter().find(|c| org.category(c).is_none()) {
            tracing::info!(service_code = %unknown, "open311 query for an unknown service");
            return Err(Open311Error::NotFound("service_code"));
        }
        let wanted = |state: State| {
            let status = status_of(state);
            statuses.is_empty() || statuses.contains(&status)
        };
        // Listed: public cases once verified, not those rejected (spam, out of scope).
        let states: Vec<State> = State::ALL
            .iter()
            .copied()
            .filter(|s| !matches!(s, State::Received | State::Rejected) && wanted(*s))
            .collect();
        let mut rows = Vec::new();
        let categories: Vec<Option<String>> = if codes.is_empty() {
            vec![None]
        } else {
            codes.iter().map(|c| Some((*c).to_string())).collect()
        };
        for category in categories {
            let filter = CaseFilter {
                states: states.clone(),
                privacy: Some(Privacy::Public),
                category,
                created_from: Some(start),
                created_to: Some(end),
                limit: u32::try_from(MAX_REQUESTS).unwrap_or(u32::MAX),
                ..CaseFilter::default()
            };
            rows.extend(self.store.list_cases(&Scope::All, &filter).await?);
        }
        rows.sort_by_key(|r| std::cmp::Reverse(r.id));
        rows.truncate(MAX_REQUESTS);
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            if let Some(case) = self.store.case(&row.ticket, &Scope::All).await? {
                out.push(self.request_info(&case));
            }
        }
        Ok(out)
    }

    fn request_info(&self, case: &CaseRecord) -> RequestInfo {
        let org = self.organisation();
        let wf = &case.workflow;
        let status = status_of(wf.state);
        let status_notes = match (&wf.answer, wf.state) {
            (Some(answer), State::Answered | State::Closed) => Some(public_text(&answer.text)),
            (_, State::Forwarded) => {
                Some("Diteruskan ke instansi lain / Forwarded to another agency".into())
            }
            (_, State::Merged) => {
                Some("Digabungkan dengan laporan lain / Merged with another report".into())
            }
            (_, State::Rejected) => Some("Tidak dapat ditindaklanjuti / Cannot be acted on".into()),
            _ => None,
        };
        let region = case.details.location.region_only();
        let address: Vec<&str> = [&region.district, &region.city, &region.province]
            .into_iter()
            .filter_map(|p| p.as_deref())
            .collect();
        RequestInfo {
            service_request_id: case.ticket.to_string(),
            status,
            status_notes,
            service_name: org.category(&wf.category).map(|c| c.name_id.clone()),
            service_code: wf.category.clone(),
            description: Some(public_text(&case.title)),
            agency_responsible: wf
                .lead_unit
                .as_ref()
                .and_then(|u| org.units.iter().find(|unit| &unit.code == u))
                .map(|u| u.name.clone()),
            requested_datetime: case.created_at,
            updated_datetime: case.updated_at,
            expected_datetime: if status == "open" {
                wf.final_due_at.or(wf.due_at)
            } else {
                None
            },
            address: (!address.is_empty()).then(|| address.join(", ")),
        }
    }

    /// Issues a key for a client system; the key is shown once, only its hash is kept.
    pub async fn issue_api_key(
        &self,
        user: &StaffUser,
        name: &str,
    ) -> Result<(i64, String), AppError> {
        admin_only(user)?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(AppError::Validation(vec![FieldError::new(
                "name",
                if name.is_empty() {
                    "required"
                } else {
                    "invalid"
                },
            )]));
        }
        let key = format!("o311_{}", hex::encode(random_bytes::<24>()?));
        let id = self
            .store
            .create_api_key(
                &crate::auth::token_hash(&key),
                name,
                &user.username,
                self.now(),
            )
            .await?;
        tracing::info!(id, name, by = %user.username, "api key issued");
        Ok((id, key))
    }

    pub async fn api_keys(&self, user: &StaffUser) -> Result<Vec<ApiKeyView>, AppError> {
        admin_only(user)?;
        Ok(self
            .store
            .api_keys()
            .await?
            .into_iter()
            .map(|k| ApiKeyView {
                id: k.id,
                name: k.name,
                created_by: k.created_by,
                created_at: k.created_at,
                revoked_at: k.revoked_at,
            })
            .collect())
    }

    pub async fn revoke_api_key(&self, user: &StaffUser, id: i64) -> Result<(), AppError> {
        admin_only(user)?;
        if self.store.revoke_api_key(id, self.now()).await? {
            tracing::info!(id, by = %user.username, "api key revoked");
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }
}

fn admin_only(user: &StaffUser) -> Result<(), AppError> {
    if user.role == Role::Admin {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// `open` while someone owes a step; `closed` once answered or ended.
pub fn status_of(state: State) -> &'static str {
    if state == State::Answered || state.is_terminal() {
        "closed"
    } else {
        "open"
    }
}

fn parse_time(
    raw: Option<&str>,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> Option<OffsetDateTime> {
    let raw = raw.map(str::trim).filter(|s| !s.is_empty())?;
    OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339)
        .map_err(|_| errors.push(FieldError::new(field, "invalid_datetime")))
        .ok()
}

/// The submission a posted request makes.
fn to_input(posted: &PostedRequest) -> Result<CaseInput, Open311Error> {
    let mut errors = Vec::new();
    let coordinate = |raw: &Option<String>, field: &'static str, errors: &mut Vec<FieldError>| {
        raw.as_deref().and_then(|r| {
            r.parse::<f64>().ok().filter(|f| f.is_finite()).or_else(|| {
                errors.push(FieldError::new(field, "invalid_number"));
                None
            })
        })
    };
    let lat = coordinate(&posted.lat, "lat", &mut errors);
    let lon = coordinate(&posted.long, "long", &mut errors);
    let has_place = (posted.lat.is_some() && posted.long.is_some())
        || posted.address_string.is_some()
        || posted.address_id.is_some();
    if !has_place {
        errors.push(FieldError::new("address_string", "location_required"));
    }
    let description = posted.description.clone();
    if description
        .as_deref()
        .is_some_and(|d| d.chars().count() > MAX_DESCRIPTION)
    {
        errors.push(FieldError::new("description", "too_long"));
    }
    if !errors.is_empty() {
        return Err(Open311Error::Invalid(errors));
    }
    let name = [posted.first_name.as_deref(), posted.last_name.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let title = posted
        .attribute("title")
        .map(str::to_string)
        .or_else(|| description.as_deref().map(aduan_domain::intake::title_from));
    let address = posted.address_string.clone().or_else(|| {
        posted
            .address_id
            .as_ref()
            .map(|id| format!("address_id {id}"))
    });
    Ok(CaseInput {
        kind: Some(posted.attribute("kind").unwrap_or("complaint").to_string()),
        category: posted.service_code.clone(),
        title,
        description,
        event_date: posted.attribute("event_date").map(str::to_string),
        location: Some(Location {
            address,
            lat,
            lon,
            ..Location::default()
        }),
        privacy: Some(posted.attribute("privacy").unwrap_or("public").to_string()),
        language: Some("id".into()),
        reporter: Some(ReporterInput {
            name: (!name.is_empty()).then_some(name),
            phone: posted.phone.clone(),
            email: posted.email.clone(),
            ..ReporterInput::default()
        }),
    })
}

/// Names the errors of [`validate`] by the specification's fields.
fn open311_fields(errors: Vec<FieldError>) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|mut e| {
            e.field = match e.field.as_str() {
                "title" => "attribute[title]".into(),
                "kind" => "attribute[kind]".into(),
                "privacy" => "attribute[privacy]".into(),
                "event_date" => "attribute[event_date]".into(),
                "category" => "service_code".into(),
                "reporter.name" => "first_name".into(),
                "reporter.email" => "email".into(),
                "reporter.phone" => "phone".into(),
                "reporter" => "email".into(),
                "location.lat" => "lat".into(),
                "location.lon" | "location" => "long".into(),
                "location.address" => "address_string".into(),
                other => other.to_string(),
            };
            e
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_pairs_are_read_with_attributes_and_empty_values_ignored() {
        let pairs: Vec<(String, String)> = [
            ("service_code", "rusun"),
            ("lat", "-6.2"),
            ("long", ""),
            ("attribute[kind]", "aspiration"),
            ("attribute[tags][]", "a"),
            ("attribute[tags][]", "b"),
            ("unknown", "x"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let posted = PostedRequest::from_pairs(&pairs);
        assert_eq!(posted.service_code.as_deref(), Some("rusun"));
        assert_eq!(posted.long, None);
        assert_eq!(posted.attribute("kind"), Some("aspiration"));
        assert_eq!(posted.attributes["tags"], ["a", "b"]);
    }

    #[test]
    fn answered_and_ended_cases_are_closed() {
        assert_eq!(status_of(State::Received), "open");
        assert_eq!(status_of(State::WaitingReporter), "open");
        assert_eq!(status_of(State::Answered), "closed");
        assert_eq!(status_of(State::Merged), "closed");
    }
}
