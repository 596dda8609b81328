//! The page language: Indonesian unless the visitor chose English (`?lang=en`, remembered in a
//! cookie), and the translator templates use for every string.

use crate::i18n;
use aduan_domain::Language;
use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use time::{Date, OffsetDateTime, UtcOffset};

pub const COOKIE_NAME: &str = "lang";

/// The language asked for in the query string, if any.
pub fn from_query(query: Option<&str>) -> Option<Language> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == "lang")
        .and_then(|(_, value)| Language::parse(value))
}

pub fn from_cookie(headers: &HeaderMap) -> Option<Language> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == COOKIE_NAME)
        .and_then(|(_, value)| Language::parse(value))
}

/// Strings of one language, for templates.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: Language,
    /// The agency's clock, for dates.
    pub offset: UtcOffset,
}

impl Tr {
    pub fn code(&self) -> &'static str {
        match self.lang {
            Language::Id => "id",
            Language::En => "en",
        }
    }

    /// A page string.
    pub fn t(&self, key: &str) -> String {
        self.section("page", key)
    }

    pub fn section(&self, section: &str, key: &str) -> String {
        let (id, en) = i18n::message(section, key);
        match self.lang {
            Language::Id => id,
            Language::En => en,
        }
    }

    /// A field error's text, as in the API's error bodies.
    pub fn field_error(&self, code: &str) -> String {
        self.section("field", code)
    }

    /// `27 Maret 2026`, in the agency's time zone.
    pub fn date(&self, at: &OffsetDateTime) -> String {
        self.day(at.to_offset(self.offset).date())
    }

    pub fn day(&self, date: Date) -> String {
        let month = self.t(&format!("month_{}", u8::from(date.month())));
        format!("{} {month} {}", date.day(), date.year())
    }

    /// `27 Maret 2026 14.05 WIB`.
    pub fn datetime(&self, at: &OffsetDateTime) -> String {
        let local = at.to_offset(self.offset);
        let zone = match self.offset.whole_hours() {
            7 => "WIB".to_string(),
            8 => "WITA".to_string(),
            9 => "WIT".to_string(),
            h => format!("UTC{h:+}"),
        };
        format!(
            "{} {:02}.{:02} {zone}",
            self.day(local.date()),
            local.hour(),
            local.minute()
        )
    }
}
