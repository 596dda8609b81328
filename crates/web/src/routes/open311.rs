//! Open311 GeoReport v2 under `/open311/v2/`: discovery, services, service definitions, posting
//! a request with an API key, the public requests and one request by id, in JSON and XML as
//! the specification writes them (lists as top-level arrays in JSON; errors as an array of
//! `{code, description}`; times in RFC 3339 with the agency's offset).

use crate::i18n;
use crate::state::AppState;
use aduan_app::open311::{
    Open311Error, PostedRequest, RequestInfo, RequestQuery, ServiceInfo, attributes,
};
use aduan_domain::intake::FieldError;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use time::OffsetDateTime;

const SPECIFICATION: &str = "http://wiki.open311.org/GeoReport_v2";
/// When this endpoint's behaviour last changed, for discovery.
const CHANGESET: &str = "2026-11-28T00:00:00Z";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Xml,
}

/// `services.json` → (`services`, JSON). Anything else is not a resource of ours.
fn split(file: &str) -> Option<(&str, Format)> {
    let (name, ext) = file.rsplit_once('.')?;
    let format = match ext {
        "json" => Format::Json,
        "xml" => Format::Xml,
        _ => return None,
    };
    Some((name, format))
}

fn pairs(raw: Option<&str>) -> Vec<(String, String)> {
    raw.and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .unwrap_or_default()
}

fn first<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, v)| k == key && !v.trim().is_empty())
        .map(|(_, v)| v.as_str())
}

// ---- Bodies -----------------------------------------------------------------------------------

fn xml_document<T: Serialize>(root: &str, value: &T) -> Option<String> {
    quick_xml::se::to_string_with_root(root, value)
        .map(|body| format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{body}\n"))
        .inspect_err(|e| tracing::error!(error = %e, "open311 XML could not be written"))
        .ok()
}

fn respond<J: Serialize, X: Serialize>(
    status: StatusCode,
    format: Format,
    json: &J,
    xml_root: &str,
    xml: &X,
) -> Response {
    match format {
        Format::Json => match serde_json::to_string(json) {
            Ok(body) => (
                status,
                [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
                body,
            )
                .into_response(),
            Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        },
        Format::Xml => match xml_document(xml_root, xml) {
            Some(body) => (
                status,
                [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
                body,
            )
                .into_response(),
            None => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        },
    }
}

#[derive(Serialize)]
struct ErrorItem {
    code: u16,
    description: String,
}

#[derive(Serialize)]
struct ErrorsXml {
    error: Vec<ErrorItem>,
}

fn errors(status: StatusCode, format: Format, items: Vec<ErrorItem>) -> Response {
    let xml = ErrorsXml { error: items };
    respond(status, format, &xml.error, "errors", &xml)
}

/// An error in both languages, Indonesian first.
fn error_response(status: StatusCode, format: Format, code: &str) -> Response {
    let (id, en) = i18n::message("open311", code);
    errors(
        status,
        format,
        vec![ErrorItem {
            code: status.as_u16(),
            description: format!("{id} / {en}"),
        }],
    )
}

fn field_errors(format: Format, fields: Vec<FieldError>) -> Response {
    let items = fields
        .into_iter()
        .map(|f| {
            let (id, en) = i18n::message("field", f.code);
            ErrorItem {
                code: 400,
                description: format!("{}: {id} / {en}", f.field),
            }
        })
        .collect();
    errors(StatusCode::BAD_REQUEST, format, items)
}

fn failure(format: Format, error: Open311Error) -> Response {
    match error {
        Open311Error::BadKey => error_response(StatusCode::FORBIDDEN, format, "bad_api_key"),
        Open311Error::NotFound(what) => {
            error_response(StatusCode::NOT_FOUND, format, &format!("{what}_not_found"))
        }
        Open311Error::Invalid(fields) => field_errors(format, fields),
        Open311Error::App(aduan_app::AppError::Busy) => {
            error_response(StatusCode::SERVICE_UNAVAILABLE, format, "busy")
        }
        Open311Error::App(other) => {
            tracing::error!(error = %other, "open311 request failed");
            error_response(StatusCode::INTERNAL_SERVER_ERROR, format, "internal_error")
        }
    }
}

// ---- Discovery and services -------------------------------------------------------------------

#[derive(Serialize)]
struct Formats {
    format: Vec<&'static str>,
}

#[derive(Serialize)]
struct EndpointXml {
    specification: &'static str,
    url: String,
    changeset: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    formats: Formats,
}

#[derive(Serialize)]
struct EndpointsXml {
    endpoint: Vec<EndpointXml>,
}

#[derive(Serialize)]
struct DiscoveryXml {
    changeset: &'static str,
    contact: String,
    key_service: String,
    endpoints: EndpointsXml,
}

fn discovery(state: &AppState, format: Format) -> Response {
    let base = state.aduan.public_url().trim_end_matches('/').to_string();
    let org = state.aduan.organisation();
    let contact = org.agency.contact.email.clone().map_or_else(
        || org.agency.name.clone(),
        |e| format!("{} <{e}>", org.agency.name),
    );
    let formats = vec!["text/xml", "application/json"];
    let endpoint = EndpointXml {
        specification: SPECIFICATION,
        url: format!("{base}/open311/v2"),
        changeset: CHANGESET,
        kind: "production",
        formats: Formats {
            format: formats.clone(),
        },
    };
    let json = serde_json::json!({
        "changeset": CHANGESET,
        "contact": contact,
        "key_service": format!("{base}/staff/admin"),
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": endpoint.url,
            "changeset": CHANGESET,
            "type": "production",
            "formats": formats,
        }],
    });
    let xml = DiscoveryXml {
        changeset: CHANGESET,
        contact,
        key_service: format!("{base}/staff/admin"),
        endpoints: EndpointsXml {
            endpoint: vec![endpoint],
        },
    };
    respond(StatusCode::OK, format, &json, "discovery", &xml)
}

#[derive(Serialize)]
struct ServicesXml {
    service: Vec<ServiceInfo>,
}

#[derive(Serialize)]
struct ValueItem {
    key: &'static str,
    name: &'static str,
}

#[derive(Serialize)]
struct ValuesXml {
    value: Vec<ValueItem>,
}

#[derive(Serialize)]
struct AttributeItem<V> {
    variable: bool,
    code: &'static str,
    datatype: &'static str,
    required: bool,
    datatype_description: &'static str,
    order: u32,
    description: &'static str,
    values: V,
}

#[derive(Serialize)]
struct AttributesXml {
    attribute: Vec<AttributeItem<ValuesXml>>,
}

#[derive(Serialize)]
struct DefinitionXml {
    service_code: String,
    attributes: AttributesXml,
}

fn service_definition(state: &AppState, code: &str, format: Format) -> Response {
    if state.aduan.open311_service(code).is_none() {
        return error_response(StatusCode::NOT_FOUND, format, "service_code_not_found");
    }
    let attrs = attributes();
    let values = |a: &aduan_app::open311::AttributeInfo| -> Vec<ValueItem> {
        a.values
            .iter()
            .map(|(key, name)| ValueItem { key, name })
            .collect()
    };
    let json_attrs: Vec<AttributeItem<Vec<ValueItem>>> = attrs
        .iter()
        .map(|a| AttributeItem {
            variable: a.variable,
            code: a.code,
            datatype: a.datatype,
            required: a.required,
            datatype_description: a.datatype_description,
            order: a.order,
            description: a.description,
            values: values(a),
        })
        .collect();
    let json = serde_json::json!({"service_code": code, "attributes": json_attrs});
    let xml = DefinitionXml {
        service_code: code.to_string(),
        attributes: AttributesXml {
            attribute: attrs
                .iter()
                .map(|a| AttributeItem {
                    variable: a.variable,
                    code: a.code,
                    datatype: a.datatype,
                    required: a.required,
                    datatype_description: a.datatype_description,
                    order: a.order,
                    description: a.description,
                    values: ValuesXml { value: values(a) },
                })
                .collect(),
        },
    };
    respond(StatusCode::OK, format, &json, "service_definition", &xml)
}

// ---- Requests ---------------------------------------------------------------------------------

/// A request as the specification shows it; absent values are `null` in JSON and left out in
/// XML.
#[derive(Serialize)]
struct RequestItem {
    service_request_id: String,
    status: &'static str,
    status_notes: Option<String>,
    service_name: Option<String>,
    service_code: String,
    description: Option<String>,
    agency_responsible: Option<String>,
    service_notice: Option<String>,
    requested_datetime: String,
    updated_datetime: String,
    expected_datetime: Option<String>,
    address: Option<String>,
    address_id: Option<String>,
    zipcode: Option<String>,
    lat: Option<f64>,
    long: Option<f64>,
    media_url: Option<String>,
}

#[derive(Serialize)]
struct RequestXml {
    service_request_id: String,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    status_notes: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    service_name: Option<String>,
    service_code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    agency_responsible: Option<String>,
    requested_datetime: String,
    updated_datetime: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    expected_datetime: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    address: Option<String>,
}

#[derive(Serialize)]
struct RequestsXml {
    request: Vec<RequestXml>,
}

fn w3c(state: &AppState, at: OffsetDateTime) -> String {
    at.to_offset(state.aduan.calendar().offset())
        .replace_nanosecond(0)
        .unwrap_or(at)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn requests_response(state: &AppState, format: Format, found: Vec<RequestInfo>) -> Response {
    let json: Vec<RequestItem> = found
        .iter()
        .map(|r| RequestItem {
            service_request_id: r.service_request_id.clone(),
            status: r.status,
            status_notes: r.status_notes.clone(),
            service_name: r.service_name.clone(),
            service_code: r.service_code.clone(),
            description: r.description.clone(),
            agency_responsible: r.agency_responsible.clone(),
            service_notice: None,
            requested_datetime: w3c(state, r.requested_datetime),
            updated_datetime: w3c(state, r.updated_datetime),
            expected_datetime: r.expected_datetime.map(|t| w3c(state, t)),
            address: r.address.clone(),
            address_id: None,
            zipcode: None,
            lat: None,
            long: None,
            media_url: None,
        })
        .collect();
    let xml = RequestsXml {
        request: found
            .into_iter()
            .map(|r| RequestXml {
                requested_datetime: w3c(state, r.requested_datetime),
                updated_datetime: w3c(state, r.updated_datetime),
                expected_datetime: r.expected_datetime.map(|t| w3c(state, t)),
                service_request_id: r.service_request_id,
                status: r.status,
                status_notes: r.status_notes,
                service_name: r.service_name,
                service_code: r.service_code,
                description: r.description,
                agency_responsible: r.agency_responsible,
                address: r.address,
            })
            .collect(),
    };
    respond(StatusCode::OK, format, &json, "service_requests", &xml)
}

#[derive(Serialize)]
struct CreatedItem {
    service_request_id: String,
    service_notice: String,
}

#[derive(Serialize)]
struct CreatedXml {
    request: Vec<CreatedItem>,
}

async fn post_request(state: &AppState, format: Format, body: &[u8]) -> Response {
    let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(body) else {
        return error_response(StatusCode::BAD_REQUEST, format, "unreadable_body");
    };
    if !state
        .aduan
        .open311_jurisdiction_ok(first(&pairs, "jurisdiction_id"))
    {
        return error_response(StatusCode::NOT_FOUND, format, "jurisdiction_not_found");
    }
    let posted = PostedRequest::from_pairs(&pairs);
    match state
        .aduan
        .open311_create(first(&pairs, "api_key"), &posted)
        .await
    {
        Ok(created) => {
            let (id, en) = i18n::message("open311", "service_notice");
            let notice = format!("{id} / {en} {}", created.access_code.display());
            let item = CreatedItem {
                service_request_id: created.ticket.to_string(),
                service_notice: notice,
            };
            let xml = CreatedXml {
                request: vec![item],
            };
            respond(
                StatusCode::CREATED,
                format,
                &xml.request,
                "service_requests",
                &xml,
            )
        }
        Err(e) => failure(format, e),
    }
}

// ---- Handlers ---------------------------------------------------------------------------------

/// GET `/open311/discovery.{fmt}` and `/open311/v2/{discovery,services,requests}.{fmt}`.
pub async fn get_resource(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let Some((name, format)) = split(&file) else {
        return error_response(StatusCode::NOT_FOUND, Format::Json, "resource_not_found");
    };
    let query = pairs(query.as_deref());
    if !state
        .aduan
        .open311_jurisdiction_ok(first(&query, "jurisdiction_id"))
    {
        return error_response(StatusCode::NOT_FOUND, format, "jurisdiction_not_found");
    }
    match name {
        "discovery" => discovery(&state, format),
        "services" => {
            let services = state.aduan.open311_services();
            let xml = ServicesXml { service: services };
            respond(StatusCode::OK, format, &xml.service, "services", &xml)
        }
        "requests" => {
            let q = RequestQuery {
                service_request_id: first(&query, "service_request_id").map(str::to_string),
                service_code: first(&query, "service_code").map(str::to_string),
                start_date: first(&query, "start_date").map(str::to_string),
                end_date: first(&query, "end_date").map(str::to_string),
                status: first(&query, "status").map(str::to_string),
            };
            match state.aduan.open311_requests(&q).await {
                Ok(found) => requests_response(&state, format, found),
                Err(e) => failure(format, e),
            }
        }
        _ => error_response(StatusCode::NOT_FOUND, format, "resource_not_found"),
    }
}

/// POST `/open311/v2/requests.{fmt}`.
pub async fn post_resource(
    State(state): State<AppState>,
    Path(file): Path<String>,
    body: Bytes,
) -> Response {
    match split(&file) {
        Some(("requests", format)) => post_request(&state, format, &body).await,
        Some((_, format)) => error_response(StatusCode::NOT_FOUND, format, "resource_not_found"),
        None => error_response(StatusCode::NOT_FOUND, Format::Json, "resource_not_found"),
    }
}

/// GET `/open311/v2/services/{code}.{fmt}`.
pub async fn get_service(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let Some((code, format)) = split(&file) else {
        return error_response(StatusCode::NOT_FOUND, Format::Json, "resource_not_found");
    };
    if !state
        .aduan
        .open311_jurisdiction_ok(first(&pairs(query.as_deref()), "jurisdiction_id"))
    {
        return error_response(StatusCode::NOT_FOUND, format, "jurisdiction_not_found");
    }
    service_definition(&state, code, format)
}

/// GET `/open311/v2/requests/{id}.{fmt}`.
pub async fn get_request(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let Some((id, format)) = split(&file) else {
        return error_response(StatusCode::NOT_FOUND, Format::Json, "resource_not_found");
    };
    if !state
        .aduan
        .open311_jurisdiction_ok(first(&pairs(query.as_deref()), "jurisdiction_id"))
    {
        return error_response(StatusCode::NOT_FOUND, format, "jurisdiction_not_found");
    }
    match state.aduan.open311_request(id).await {
        Ok(found) => requests_response(&state, format, vec![found]),
        Err(e) => failure(format, e),
    }
}

/// GET `/open311/v2/tokens/{token}.{fmt}`: every service is `realtime` (the id comes with the
/// answer to POST), so no token is ever issued.
pub async fn get_token(Path(file): Path<String>) -> Response {
    let format = split(&file).map_or(Format::Json, |(_, f)| f);
    error_response(StatusCode::NOT_FOUND, format, "token_not_found")
}
