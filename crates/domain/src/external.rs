//! Where a case or a message came from outside Aduan: a SP4N-LAPOR! report, a social media
//! message, an Open311 client. The pair (system, id) names one item of the other system, so
//! that importing the same item again finds what the first import made instead of a duplicate.

use crate::intake::FieldError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// The other system's name for an item, with what it said about it that Aduan keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalSource {
    /// `lapor`, `instagram`, `x`, `facebook`, `whatsapp`, `open311`…
    pub system: String,
    /// The other system's id (LAPOR!'s tracking id, the message id).
    pub id: String,
    /// Where staff can see the item in the other system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// When the other system received it.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub sent_at: Option<OffsetDateTime>,
    /// References to files kept by the other system (Aduan does not fetch them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<String>,
}

pub const MAX_SYSTEM: usize = 32;
pub const MAX_ID: usize = 128;
pub const MAX_LINK: usize = 2000;
pub const MAX_REFERENCES: usize = 20;

/// Checks a system code (lower-case letters, digits, `_`).
pub fn system_code(raw: &str) -> Option<String> {
    let code = raw.trim().to_lowercase();
    let ok = !code.is_empty()
        && code.len() <= MAX_SYSTEM
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    ok.then_some(code)
}

/// Checks an id of the other system: printable, at most [`MAX_ID`] characters.
pub fn external_id(raw: &str, field: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    let id = raw.trim();
    if id.is_empty() {
        errors.push(FieldError::new(field, "required"));
        None
    } else if id.chars().count() > MAX_ID {
        errors.push(FieldError::new(field, "too_long"));
        None
    } else if id.chars().any(char::is_control) {
        errors.push(FieldError::new(field, "control_characters"));
        None
    } else {
        Some(id.to_string())
    }
}

/// Checks a web link: `http` or `https`, no spaces or control characters.
pub fn link(raw: Option<&str>, field: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    let link = raw.map(str::trim).filter(|l| !l.is_empty())?;
    let lower = link.to_ascii_lowercase();
    let scheme_ok = lower.starts_with("https://") || lower.starts_with("http://");
    if !scheme_ok
        || link.len() > MAX_LINK
        || link.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        errors.push(FieldError::new(field, "invalid_link"));
        return None;
    }
    Some(link.to_string())
}

/// Checks references to files of the other system.
pub fn references(raw: &[String], field: &str, errors: &mut Vec<FieldError>) -> Vec<String> {
    let refs: Vec<String> = raw
        .iter()
        .map(|r| r.trim())
        .filter(|r| !r.is_empty())
        .map(str::to_string)
        .collect();
    if refs.len() > MAX_REFERENCES {
        errors.push(FieldError::new(field, "too_many_references"));
        return Vec::new();
    }
    if refs
        .iter()
        .any(|r| r.chars().count() > MAX_LINK || r.chars().any(char::is_control))
    {
        errors.push(FieldError::new(field, "invalid"));
        return Vec::new();
    }
    refs
}

/// How imported items find their category: the other system's category names mapped to ours,
/// and the category for everything not mapped. Part of the organisation, edited with it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportSettings {
    /// Category for imported items whose category is missing or not in the table. Without it,
    /// such items are refused and reported by line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_category: Option<String>,
    /// LAPOR! category names (any case, extra spaces ignored) to category codes.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub lapor_categories: BTreeMap<String, String>,
}

impl ImportSettings {
    /// Our category for the other system's category name, if mapped or defaulted.
    pub fn category_for(&self, theirs: Option<&str>) -> Option<String> {
        let key = theirs.map(normalise_name).filter(|k| !k.is_empty());
        key.and_then(|key| {
            self.lapor_categories
                .iter()
                .find(|(name, _)| normalise_name(name) == key)
                .map(|(_, code)| code.clone())
        })
        .or_else(|| self.default_category.clone())
    }

    /// Every category code the settings name, for the organisation's check.
    pub fn named_categories(&self) -> impl Iterator<Item = &str> {
        self.default_category
            .iter()
            .map(String::as_str)
            .chain(self.lapor_categories.values().map(String::as_str))
    }
}

fn normalise_name(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_map_by_name_ignoring_case_and_spaces() {
        let settings = ImportSettings {
            default_category: Some("lainnya".into()),
            lapor_categories: [(
                "Perumahan Bersubsidi dan Rumah Susun".into(),
                "rusun".into(),
            )]
            .into(),
        };
        assert_eq!(
            settings.category_for(Some("  PERUMAHAN  bersubsidi DAN rumah susun ")),
            Some("rusun".into())
        );
        assert_eq!(
            settings.category_for(Some("KESEHATAN")),
            Some("lainnya".into())
        );
        assert_eq!(settings.category_for(None), Some("lainnya".into()));
        let strict = ImportSettings::default();
        assert_eq!(strict.category_for(Some("KESEHATAN")), None);
    }

    #[test]
    fn links_and_ids_are_checked() {
        let mut errors = Vec::new();
        assert_eq!(
            link(Some("https://lapor.go.id/laporan/1"), "link", &mut errors),
            Some("https://lapor.go.id/laporan/1".into())
        );
        assert_eq!(link(Some("javascript:alert(1)"), "link", &mut errors), None);
        assert_eq!(external_id("a\u{0}b", "id", &mut errors), None);
        assert_eq!(external_id(&"x".repeat(200), "id", &mut errors), None);
        let codes: Vec<&str> = errors.iter().map(|e| e.code).collect();
        assert_eq!(codes, ["invalid_link", "control_characters", "too_long"]);
        assert_eq!(system_code("WhatsApp"), Some("whatsapp".into()));
        assert_eq!(system_code("what's app"), None);
    }
}
