//! Turning what a person submitted into a valid `NewCase`, naming every field that is wrong at
//! once so that a form can show each error next to its field.

use crate::case::{Channel, Kind, Language, Location, NewCase, Privacy, Reporter};
use crate::org::Organisation;
use crate::{Email, Nik, Phone};
use serde::{Deserialize, Serialize};
use time::Date;

/// The submission as received, before validation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CaseInput {
    /// `complaint`, `info_request` or `aspiration`.
    #[cfg_attr(feature = "openapi", schema(value_type = String, required = true, example = "complaint"))]
    pub kind: Option<String>,
    /// A category code of the organisation (GET /api/v1/organisation).
    #[cfg_attr(feature = "openapi", schema(value_type = String, required = true, example = "rusun"))]
    pub category: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, required = true, min_length = 5, max_length = 200))]
    pub title: Option<String>,
    /// The chronology: what happened, where and when.
    #[cfg_attr(feature = "openapi", schema(value_type = String, required = true, min_length = 20, max_length = 20000))]
    pub description: Option<String>,
    /// The day the matter happened, `YYYY-MM-DD`.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub event_date: Option<String>,
    pub location: Option<Location>,
    /// `public`, `confidential` or `anonymous`. Information requests cannot be anonymous; other
    /// cases need `reporter.name` unless anonymous.
    #[cfg_attr(feature = "openapi", schema(value_type = String, required = true, example = "public"))]
    pub privacy: Option<String>,
    #[cfg_attr(feature = "openapi", schema(example = "id"))]
    pub language: Option<String>,
    pub reporter: Option<ReporterInput>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReporterInput {
    pub name: Option<String>,
    pub nik: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
}

/// One wrong field: its path in the submission and a stable code for the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str) -> Self {
        Self {
            field: field.into(),
            code,
        }
    }
}

pub const TITLE_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 20_000;
const TITLE_MIN: usize = 5;
const DESCRIPTION_MIN: usize = 20;
const NAME_MAX: usize = 200;
const ADDRESS_MAX: usize = 500;
const REGION_MAX: usize = 100;

/// Validates a submission. `today` is the agency's local date (event dates cannot be later).
pub fn validate(
    input: &CaseInput,
    channel: Channel,
    org: &Organisation,
    today: Date,
) -> Result<NewCase, Vec<FieldError>> {
    let mut errors = Vec::new();
    let kind = parse_code(&input.kind, "kind", Kind::parse, &mut errors);
    let category = match clean(&input.category) {
        None => {
            errors.push(FieldError::new("category", "required"));
            None
        }
        Some(code) if org.category(&code).is_none() => {
            errors.push(FieldError::new("category", "unknown"));
            None
        }
        Some(code) => Some(code),
    };
    let title = text(&input.title, "title", TITLE_MIN, TITLE_MAX, &mut errors);
    let description = text(
        &input.description,
        "description",
        DESCRIPTION_MIN,
        DESCRIPTION_MAX,
        &mut errors,
    );
    let event_date = match clean(&input.event_date) {
        None => None,
        Some(raw) => match Date::parse(
            &raw,
            time::macros::format_description!("[year]-[month]-[day]"),
        ) {
            Ok(date) if date > today => {
                errors.push(FieldError::new("event_date", "in_future"));
                None
            }
            Ok(date) if date.year() < 1900 => {
                errors.push(FieldError::new("event_date", "out_of_range"));
                None
            }
            Ok(date) => Some(date),
            Err(_) => {
                errors.push(FieldError::new("event_date", "invalid_date"));
                None
            }
        },
    };
    let location = location(input.location.as_ref(), &mut errors);
    let privacy = parse_code(&input.privacy, "privacy", Privacy::parse, &mut errors);
    let language = match clean(&input.language) {
        None => Some(Language::Id),
        Some(code) => Language::parse(&code).or_else(|| {
            errors.push(FieldError::new("language", "unknown"));
            None
        }),
    };
    let reporter = reporter(input.reporter.as_ref(), &mut errors);
    if let (Some(kind), Some(privacy)) = (kind, privacy) {
        identity_rules(kind, privacy, &reporter, &mut errors);
    }
    match (kind, category, title, description, privacy, language) {
        (
            Some(kind),
            Some(category),
            Some(title),
            Some(description),
            Some(privacy),
            Some(language),
        ) if errors.is_empty() => Ok(NewCase {
            kind,
            category,
            title,
            description,
            event_date,
            location,
            privacy,
            channel,
            language,
            reporter,
            channel_account: None,
        }),
        _ => Err(errors),
    }
}

/// The longest title taken from a text's first line.
const DERIVED_TITLE_CHARS: usize = 80;

/// A title for a message that has none (a social media post, an Open311 request): its first
/// line, cut at a word near 80 characters.
pub fn title_from(text: &str) -> String {
    let first = text.lines().next().unwrap_or(text).trim();
    if first.chars().count() <= DERIVED_TITLE_CHARS {
        return first.to_string();
    }
    let cut: String = first.chars().take(DERIVED_TITLE_CHARS).collect();
    let at_word = cut
        .rfind(' ')
        .filter(|i| *i > DERIVED_TITLE_CHARS / 2)
        .unwrap_or(cut.len());
    format!("{}…", cut[..at_word].trim_end())
}

/// Information requests need a known requester (UU 14/2008); other cases need a name unless
/// anonymous.
fn identity_rules(kind: Kind, privacy: Privacy, reporter: &Reporter, errors: &mut Vec<FieldError>) {
    if kind == Kind::InfoRequest && privacy == Privacy::Anonymous {
        errors.push(FieldError::new("privacy", "info_request_not_anonymous"));
    }
    let name_already_wrong = errors.iter().any(|e| e.field == "reporter.name");
    if privacy != Privacy::Anonymous && reporter.name.is_none() && !name_already_wrong {
        errors.push(FieldError::new("reporter.name", "required"));
    }
    if kind == Kind::InfoRequest
        && reporter.email.is_none()
        && reporter.phone.is_none()
        && reporter.address.is_none()
    {
        errors.push(FieldError::new("reporter", "contact_required"));
    }
}

fn clean(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

fn parse_code<T>(
    value: &Option<String>,
    field: &'static str,
    parse: fn(&str) -> Option<T>,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    match clean(value) {
        None => {
            errors.push(FieldError::new(field, "required"));
            None
        }
        Some(code) => parse(&code).or_else(|| {
            errors.push(FieldError::new(field, "unknown"));
            None
        }),
    }
}

fn text(
    value: &Option<String>,
    field: &str,
    min: usize,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let Some(text) = clean(value) else {
        errors.push(FieldError::new(field, "required"));
        return None;
    };
    let length = text.chars().count();
    if length < min {
        errors.push(FieldError::new(field, "too_short"));
        None
    } else if length > max {
        errors.push(FieldError::new(field, "too_long"));
        None
    } else if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        errors.push(FieldError::new(field, "control_characters"));
        None
    } else {
        Some(text)
    }
}

fn optional(
    value: &Option<String>,
    field: &str,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let text = clean(value)?;
    if text.chars().count() > max {
        errors.push(FieldError::new(field, "too_long"));
        return None;
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r')
    {
        errors.push(FieldError::new(field, "control_characters"));
        return None;
    }
    Some(text)
}

fn location(input: Option<&Location>, errors: &mut Vec<FieldError>) -> Location {
    let Some(input) = input else {
        return Location::default();
    };
    let lat = input.lat.filter(|v| {
        let ok = (-90.0..=90.0).contains(v);
        if !ok {
            errors.push(FieldError::new("location.lat", "out_of_range"));
        }
        ok
    });
    let lon = input.lon.filter(|v| {
        let ok = (-180.0..=180.0).contains(v);
        if !ok {
            errors.push(FieldError::new("location.lon", "out_of_range"));
        }
        ok
    });
    if lat.is_some() != lon.is_some() {
        errors.push(FieldError::new("location", "coordinates_need_both"));
    }
    Location {
        province: optional(&input.province, "location.province", REGION_MAX, errors),
        city: optional(&input.city, "location.city", REGION_MAX, errors),
        district: optional(&input.district, "location.district", REGION_MAX, errors),
        address: optional(&input.address, "location.address", ADDRESS_MAX, errors),
        lat,
        lon,
    }
}

fn reporter(input: Option<&ReporterInput>, errors: &mut Vec<FieldError>) -> Reporter {
    let Some(input) = input else {
        return Reporter::default();
    };
    let parsed = |value: &Option<String>,
                  field: &str,
                  errors: &mut Vec<FieldError>,
                  ok: &dyn Fn(&str) -> bool| {
        let raw = clean(value)?;
        if ok(&raw) {
            Some(raw)
        } else {
            errors.push(FieldError::new(field, "invalid"));
            None
        }
    };
    Reporter {
        name: optional(&input.name, "reporter.name", NAME_MAX, errors),
        nik: parsed(&input.nik, "reporter.nik", errors, &|s| {
            Nik::parse(s).is_ok()
        })
        .and_then(|s| Nik::parse(&s).ok()),
        phone: parsed(&input.phone, "reporter.phone", errors, &|s| {
            Phone::parse(s).is_ok()
        })
        .and_then(|s| Phone::parse(&s).ok()),
        email: parsed(&input.email, "reporter.email", errors, &|s| {
            Email::parse(s).is_ok()
        })
        .and_then(|s| Email::parse(&s).ok()),
        address: optional(&input.address, "reporter.address", ADDRESS_MAX, errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org::tests::sample;
    use time::macros::date;

    fn good() -> CaseInput {
        CaseInput {
            kind: Some("complaint".into()),
            category: Some("rusun".into()),
            title: Some("Lift rusun rusak".into()),
            description: Some("Lift di blok B rusunawa sudah tiga minggu tidak berfungsi.".into()),
            event_date: Some("2026-11-01".into()),
            location: Some(Location {
                province: Some("DKI Jakarta".into()),
                ..Default::default()
            }),
            privacy: Some("public".into()),
            language: None,
            reporter: Some(ReporterInput {
                name: Some("Siti Aminah".into()),
                phone: Some("0812-3456-7890".into()),
                ..Default::default()
            }),
        }
    }

    #[test]
    fn a_good_submission_is_normalised() {
        let case = validate(&good(), Channel::Api, &sample(), date!(2026 - 11 - 28)).unwrap();
        assert_eq!(case.kind, Kind::Complaint);
        assert_eq!(case.language, Language::Id);
        assert_eq!(case.reporter.phone.unwrap().as_str(), "+6281234567890");
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut input = good();
        input.kind = Some("pujian".into());
        input.category = Some("jalan_tol".into());
        input.title = Some("x".into());
        input.event_date = Some("2026-12-31".into());
        input.reporter = Some(ReporterInput {
            name: Some("Budi".into()),
            nik: Some("123".into()),
            email: Some("budi@".into()),
            ..Default::default()
        });
        input.location = Some(Location {
            lat: Some(200.0),
            ..Default::default()
        });
        let errors = validate(&input, Channel::Api, &sample(), date!(2026 - 11 - 28)).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        for expected in [
            "kind",
            "category",
            "title",
            "event_date",
            "reporter.nik",
            "reporter.email",
            "location.lat",
        ] {
            assert!(
                fields.contains(&expected),
                "{expected} missing from {fields:?}"
            );
        }
    }

    #[test]
    fn identity_rules_by_kind_and_privacy() {
        let mut anonymous = good();
        anonymous.privacy = Some("anonymous".into());
        anonymous.reporter = None;
        assert!(validate(&anonymous, Channel::Web, &sample(), date!(2026 - 11 - 28)).is_ok());

        let mut nameless = good();
        nameless.reporter = None;
        let errors =
            validate(&nameless, Channel::Web, &sample(), date!(2026 - 11 - 28)).unwrap_err();
        assert_eq!(errors, vec![FieldError::new("reporter.name", "required")]);

        let mut info = anonymous.clone();
        info.kind = Some("info_request".into());
        let errors = validate(&info, Channel::Web, &sample(), date!(2026 - 11 - 28)).unwrap_err();
        assert!(errors.contains(&FieldError::new("privacy", "info_request_not_anonymous")));
        assert!(errors.contains(&FieldError::new("reporter", "contact_required")));
    }
}
