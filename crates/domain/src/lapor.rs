//! The exchange with SP4N-LAPOR!: reports LAPOR! forwards to the agency come in as rows (JSON or
//! CSV, fields in docs/IMPORTS.md), and what the agency did goes back as updates in a matching
//! format. Fields are read loosely (a flag may be `true`, `"ya"` or `1`) because the files are
//! made by hand or by other people's scripts; every wrong field is named, with the row's line.

use crate::case::{Kind, Location};
use crate::external::{self, ExternalSource, ImportSettings};
use crate::intake::{CaseInput, FieldError, ReporterInput};
use crate::lifecycle::Change;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A value as a JSON or CSV file may give it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Loose {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
}

impl Loose {
    /// The value as text, trimmed.
    pub fn text(&self) -> String {
        match self {
            Loose::Bool(b) => b.to_string(),
            Loose::Int(i) => i.to_string(),
            Loose::Float(f) => f.to_string(),
            Loose::Text(t) => t.trim().to_string(),
        }
    }
}

/// One value or a list: JSON gives a list, CSV one cell with `|` or line breaks between items.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    Many(Vec<String>),
    One(String),
}

impl OneOrMany {
    pub fn items(&self) -> Vec<String> {
        match self {
            OneOrMany::Many(items) => items.clone(),
            OneOrMany::One(cell) => cell
                .split(['|', '\n'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        }
    }
}

/// A report forwarded by SP4N-LAPOR!, as one row of the import file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct LaporReport {
    /// LAPOR!'s tracking id; importing it again finds the case made the first time.
    pub tracking_id: Option<Loose>,
    pub title: Option<String>,
    /// The chronology (*isi laporan*).
    pub body: Option<String>,
    /// The day the matter happened, `YYYY-MM-DD`.
    pub event_date: Option<String>,
    /// `Pengaduan`, `Aspirasi` or `Permintaan Informasi` (empty: a complaint).
    pub classification: Option<String>,
    /// LAPOR!'s category name, mapped through the organisation's table.
    pub category: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub district: Option<String>,
    pub address: Option<String>,
    pub lat: Option<Loose>,
    pub lon: Option<Loose>,
    /// *Anonim*: the reporter's identity is hidden.
    pub anonymous: Option<Loose>,
    /// *Rahasia*: the report is not published.
    pub confidential: Option<Loose>,
    /// References to files kept by LAPOR!.
    pub attachments: Option<OneOrMany>,
    pub link: Option<String>,
    /// When LAPOR! received the report (RFC 3339, with its offset).
    pub submitted_at: Option<String>,
    pub reporter_name: Option<String>,
    pub reporter_nik: Option<Loose>,
    pub reporter_phone: Option<Loose>,
    pub reporter_email: Option<String>,
    pub reporter_address: Option<String>,
}

pub const SYSTEM: &str = "lapor";

impl LaporReport {
    /// The submission this report makes, and where it came from. The submission still goes
    /// through [`crate::intake::validate`]; see [`rename_fields`] for the error names.
    pub fn to_input(
        &self,
        settings: &ImportSettings,
    ) -> Result<(CaseInput, ExternalSource), Vec<FieldError>> {
        let mut errors = Vec::new();
        let id = match &self.tracking_id {
            Some(id) => external::external_id(&id.text(), "tracking_id", &mut errors),
            None => {
                errors.push(FieldError::new("tracking_id", "required"));
                None
            }
        };
        let kind = match classification(self.classification.as_deref()) {
            Ok(kind) => Some(kind),
            Err(()) => {
                errors.push(FieldError::new("classification", "unknown"));
                None
            }
        };
        let category = settings.category_for(self.category.as_deref());
        if category.is_none() {
            errors.push(FieldError::new("category", "not_mapped"));
        }
        let anonymous = flag(&self.anonymous, "anonymous", &mut errors);
        let confidential = flag(&self.confidential, "confidential", &mut errors);
        let lat = coordinate(&self.lat, "lat", &mut errors);
        let lon = coordinate(&self.lon, "lon", &mut errors);
        let sent_at = self
            .submitted_at
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .and_then(|raw| {
                OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339)
                    .map_err(|_| errors.push(FieldError::new("submitted_at", "invalid_datetime")))
                    .ok()
            });
        let link = external::link(self.link.as_deref(), "link", &mut errors);
        let attachments = self
            .attachments
            .as_ref()
            .map(|a| external::references(&a.items(), "attachments", &mut errors))
            .unwrap_or_default();
        let (Some(id), Some(kind), Some(category), true) = (id, kind, category, errors.is_empty())
        else {
            return Err(errors);
        };
        let privacy = if anonymous {
            "anonymous"
        } else if confidential {
            "confidential"
        } else {
            "public"
        };
        let reporter = ReporterInput {
            name: self.reporter_name.clone(),
            nik: self.reporter_nik.as_ref().map(Loose::text),
            phone: self.reporter_phone.as_ref().map(Loose::text),
            email: self.reporter_email.clone(),
            address: self.reporter_address.clone(),
        };
        let input = CaseInput {
            kind: Some(kind.code().to_string()),
            category: Some(category),
            title: self.title.clone(),
            description: self.body.clone(),
            event_date: self.event_date.clone(),
            location: Some(Location {
                province: self.province.clone(),
                city: self.city.clone(),
                district: self.district.clone(),
                address: self.address.clone(),
                lat,
                lon,
            }),
            privacy: Some(privacy.to_string()),
            language: Some("id".into()),
            reporter: Some(reporter),
        };
        let source = ExternalSource {
            system: SYSTEM.into(),
            id,
            link,
            sent_at,
            attachments,
        };
        Ok((input, source))
    }
}

/// Names the errors of [`crate::intake::validate`] by the import file's fields.
pub fn rename_fields(errors: Vec<FieldError>) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|mut e| {
            let renamed = match e.field.as_str() {
                "description" => Some("body".to_string()),
                "privacy" => Some("anonymous".to_string()),
                "kind" => Some("classification".to_string()),
                field => field
                    .strip_prefix("reporter.")
                    .map(|rest| format!("reporter_{rest}"))
                    .or_else(|| field.strip_prefix("location.").map(str::to_string)),
            };
            if let Some(field) = renamed {
                e.field = field;
            }
            e
        })
        .collect()
}

fn classification(raw: Option<&str>) -> Result<Kind, ()> {
    let value = raw.map(|s| s.trim().to_lowercase()).unwrap_or_default();
    match value.as_str() {
        "" | "pengaduan" | "complaint" => Ok(Kind::Complaint),
        "aspirasi" | "aspiration" => Ok(Kind::Aspiration),
        "permintaan informasi" | "informasi" | "info_request" | "information request" => {
            Ok(Kind::InfoRequest)
        }
        _ => Err(()),
    }
}

fn flag(value: &Option<Loose>, field: &str, errors: &mut Vec<FieldError>) -> bool {
    let Some(value) = value else {
        return false;
    };
    match value.text().to_lowercase().as_str() {
        "" | "false" | "0" | "tidak" | "no" | "n" | "t" => false,
        "true" | "1" | "ya" | "yes" | "y" => true,
        _ => {
            errors.push(FieldError::new(field, "invalid_flag"));
            false
        }
    }
}

fn coordinate(value: &Option<Loose>, field: &str, errors: &mut Vec<FieldError>) -> Option<f64> {
    match value {
        None => None,
        Some(Loose::Float(f)) => Some(*f),
        #[allow(clippy::cast_precision_loss)]
        Some(Loose::Int(i)) => Some(*i as f64),
        Some(Loose::Text(t)) if t.trim().is_empty() => None,
        Some(other) => match other.text().replace(',', ".").parse::<f64>() {
            Ok(f) if f.is_finite() => Some(f),
            _ => {
                errors.push(FieldError::new(field, "invalid_number"));
                None
            }
        },
    }
}

/// One thing the agency did on a LAPOR! report, to post back to LAPOR!.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LaporUpdate {
    pub tracking_id: String,
    pub ticket: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// `diverifikasi`, `diproses`, `permintaan_informasi`, `tindak_lanjut`, `selesai`,
    /// `ditolak`, `bukan_kewenangan` or `digabung`.
    pub status: &'static str,
    /// The text LAPOR! shows the reporter: the answer, the question, the reason. Public wording
    /// only: never internal notes or personal data of the case.
    pub text: String,
}

/// What a change tells LAPOR!, if anything: its status and text.
pub fn update_for(change: &Change) -> Option<(&'static str, String)> {
    Some(match change {
        Change::Verified { .. } => ("diverifikasi", String::new()),
        Change::Dispositioned { .. } => ("diproses", String::new()),
        Change::InfoRequested { question } => ("permintaan_informasi", question.clone()),
        Change::AnswerPublished { text, .. } => ("tindak_lanjut", text.clone()),
        Change::Closed { reason } => ("selesai", reason.code().to_string()),
        Change::Rejected { reason, .. } => ("ditolak", reason.code().to_string()),
        Change::Forwarded { agency, reason } => ("bukan_kewenangan", format!("{agency}: {reason}")),
        Change::Merged { into } => ("digabung", into.to_string()),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> ImportSettings {
        ImportSettings {
            default_category: None,
            lapor_categories: [(
                "PERUMAHAN BERSUBSIDI DAN RUMAH SUSUN".into(),
                "rusun".into(),
            )]
            .into(),
        }
    }

    fn report() -> LaporReport {
        LaporReport {
            tracking_id: Some(Loose::Int(4_512_337)),
            title: Some("Lift rusunawa rusak".into()),
            body: Some("Lift di blok B sudah tiga minggu tidak berfungsi.".into()),
            category: Some("Perumahan Bersubsidi dan Rumah Susun".into()),
            anonymous: Some(Loose::Text("Ya".into())),
            lat: Some(Loose::Text("-6,2".into())),
            lon: Some(Loose::Float(106.8)),
            attachments: Some(OneOrMany::One("foto1.jpg | foto2.jpg".into())),
            submitted_at: Some("2026-11-20T09:30:00+07:00".into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_report_becomes_a_submission_with_its_source() {
        let (input, source) = report().to_input(&settings()).unwrap();
        assert_eq!(input.kind.as_deref(), Some("complaint"));
        assert_eq!(input.category.as_deref(), Some("rusun"));
        assert_eq!(input.privacy.as_deref(), Some("anonymous"));
        let location = input.location.unwrap();
        assert_eq!((location.lat, location.lon), (Some(-6.2), Some(106.8)));
        assert_eq!(source.id, "4512337");
        assert_eq!(source.attachments, ["foto1.jpg", "foto2.jpg"]);
        assert!(source.sent_at.is_some());
    }

    #[test]
    fn every_wrong_field_is_named() {
        let mut bad = report();
        bad.tracking_id = None;
        bad.classification = Some("pujian".into());
        bad.category = Some("KESEHATAN".into());
        bad.anonymous = Some(Loose::Text("mungkin".into()));
        bad.lat = Some(Loose::Text("utara".into()));
        bad.submitted_at = Some("kemarin".into());
        bad.link = Some("ftp://lapor".into());
        let errors = bad.to_input(&settings()).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "tracking_id",
                "classification",
                "category",
                "anonymous",
                "lat",
                "submitted_at",
                "link"
            ]
        );
    }

    #[test]
    fn updates_carry_public_wording_only() {
        let note = Change::NoteAdded {
            text: "internal".into(),
        };
        assert_eq!(update_for(&note), None);
        let answer = Change::AnswerPublished {
            text: "Lift sudah diperbaiki.".into(),
            decision: None,
            exemption: None,
            attachments: vec![],
        };
        assert_eq!(
            update_for(&answer),
            Some(("tindak_lanjut", "Lift sudah diperbaiki.".to_string()))
        );
    }
}
