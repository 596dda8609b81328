//! What a case is: its kind, how it came in, where it happened and who reported it.

use crate::code_enum;
use crate::{Email, Nik, Phone};
use serde::{Deserialize, Serialize};
use time::Date;

code_enum! {
    /// The three kinds of case of DOMAIN.md.
    pub enum Kind {
        Complaint = "complaint",
        InfoRequest = "info_request",
        Aspiration = "aspiration",
    }
}

impl Kind {
    pub fn ticket_prefix(self) -> &'static str {
        match self {
            Kind::Complaint => "ADU",
            Kind::InfoRequest => "INF",
            Kind::Aspiration => "ASP",
        }
    }

    pub fn from_ticket_prefix(prefix: &str) -> Option<Self> {
        Kind::ALL
            .iter()
            .copied()
            .find(|k| k.ticket_prefix() == prefix)
    }
}

code_enum! {
    pub enum Privacy {
        Public = "public",
        Confidential = "confidential",
        Anonymous = "anonymous",
    }
}

code_enum! {
    pub enum Channel {
        Web = "web",
        Email = "email",
        WalkIn = "walk_in",
        Phone = "phone",
        Letter = "letter",
        Lapor = "lapor",
        Social = "social",
        Api = "api",
    }
}

code_enum! {
    /// The language the reporter is answered in.
    pub enum Language {
        Id = "id",
        En = "en",
    }
}

/// Where the matter happened: region names as the reporter wrote them plus optional coordinates.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Location {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
}

impl Location {
    /// The region without the street address: safe to publish.
    pub fn region_only(&self) -> Location {
        Location {
            address: None,
            lat: None,
            lon: None,
            ..self.clone()
        }
    }
}

/// The reporter's personal data. Every field is optional: anonymous reporters may give none.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reporter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nik: Option<Nik>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<Phone>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

impl Reporter {
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.nik.is_none()
            && self.phone.is_none()
            && self.email.is_none()
            && self.address.is_none()
    }
}

/// A case as submitted, already validated (see `intake`).
#[derive(Debug, Clone, PartialEq)]
pub struct NewCase {
    pub kind: Kind,
    pub category: String,
    pub title: String,
    pub description: String,
    pub event_date: Option<Date>,
    pub location: Location,
    pub privacy: Privacy,
    pub channel: Channel,
    pub language: Language,
    pub reporter: Reporter,
    /// For social media: the account the message came from.
    pub channel_account: Option<String>,
}
