//! Messages from social media and WhatsApp, exported by the social media team as rows (JSON or
//! CSV). A message that names a ticket joins that case; any other becomes a new case with the
//! account as the contact. The pair (platform, message id) makes importing the same export
//! twice harmless.

use crate::external::{self, ExternalSource, ImportSettings};
use crate::intake::{CaseInput, FieldError, ReporterInput};
use crate::lapor::{Loose, OneOrMany};
use crate::ticket::Ticket;
use serde::Deserialize;
use time::OffsetDateTime;

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct SocialMessage {
    /// `instagram`, `x`, `facebook`, `whatsapp`, …
    pub platform: Option<String>,
    /// The platform's id of the message.
    pub message_id: Option<Loose>,
    /// The account name or number the message came from; kept as the contact.
    pub account: Option<Loose>,
    pub text: Option<String>,
    /// When it was sent (RFC 3339, with its offset).
    pub time: Option<String>,
    pub link: Option<String>,
    pub attachments: Option<OneOrMany>,
    /// The case this message belongs to, if the team knows it; otherwise a ticket written in
    /// the text is used.
    pub ticket: Option<String>,
}

/// A message read from its row: where it came from, who sent it, what it says and the case it
/// names, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct SocialItem {
    pub source: ExternalSource,
    pub account: String,
    pub text: String,
    /// The case the message belongs to: the row's `ticket`, else one written in the text.
    pub ticket: Option<Ticket>,
    /// Whether the team named the ticket in the row (it must then exist).
    pub ticket_named: bool,
}

const ACCOUNT_MAX: usize = 200;

impl SocialMessage {
    pub fn read(&self) -> Result<SocialItem, Vec<FieldError>> {
        let mut errors = Vec::new();
        let system = match self.platform.as_deref().map(external::system_code) {
            Some(Some(code)) => Some(code),
            Some(None) => {
                errors.push(FieldError::new("platform", "invalid"));
                None
            }
            None => {
                errors.push(FieldError::new("platform", "required"));
                None
            }
        };
        let id = match &self.message_id {
            Some(id) => external::external_id(&id.text(), "message_id", &mut errors),
            None => {
                errors.push(FieldError::new("message_id", "required"));
                None
            }
        };
        let account = self
            .account
            .as_ref()
            .map(Loose::text)
            .filter(|a| !a.is_empty());
        match &account {
            None => errors.push(FieldError::new("account", "required")),
            Some(a) if a.chars().count() > ACCOUNT_MAX || a.chars().any(char::is_control) => {
                errors.push(FieldError::new("account", "invalid"));
            }
            Some(_) => {}
        }
        let text = self
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if text.is_none() {
            errors.push(FieldError::new("text", "required"));
        }
        let sent_at = self
            .time
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .and_then(|raw| {
                OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339)
                    .map_err(|_| errors.push(FieldError::new("time", "invalid_datetime")))
                    .ok()
            });
        let link = external::link(self.link.as_deref(), "link", &mut errors);
        let attachments = self
            .attachments
            .as_ref()
            .map(|a| external::references(&a.items(), "attachments", &mut errors))
            .unwrap_or_default();
        let named_ticket = match self.ticket.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => Ticket::parse(raw)
                .map_err(|_| errors.push(FieldError::new("ticket", "invalid")))
                .ok(),
        };
        let (Some(system), Some(id), Some(account), Some(text), true) =
            (system, id, account, text, errors.is_empty())
        else {
            return Err(errors);
        };
        let source = ExternalSource {
            system,
            id,
            link,
            sent_at,
            attachments,
        };
        let ticket_named = named_ticket.is_some();
        let ticket = named_ticket.or_else(|| Ticket::find_in(&text));
        Ok(SocialItem {
            source,
            account,
            text,
            ticket,
            ticket_named,
        })
    }
}

impl SocialItem {
    /// The submission a message makes when it does not join a case: a confidential complaint
    /// in the default category, titled by its first line, with the account as the name.
    pub fn new_case(&self, settings: &ImportSettings) -> Result<CaseInput, Vec<FieldError>> {
        let Some(category) = settings.category_for(None) else {
            return Err(vec![FieldError::new("category", "not_mapped")]);
        };
        Ok(CaseInput {
            kind: Some("complaint".into()),
            category: Some(category),
            title: Some(crate::intake::title_from(&self.text)),
            description: Some(self.text.clone()),
            // A post may be public, but whether the case is published is the coordinator's call.
            privacy: Some("confidential".into()),
            language: Some("id".into()),
            reporter: Some(ReporterInput {
                name: Some(self.account.clone()),
                ..Default::default()
            }),
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> ImportSettings {
        ImportSettings {
            default_category: Some("lainnya".into()),
            ..Default::default()
        }
    }

    fn message(text: &str) -> SocialMessage {
        SocialMessage {
            platform: Some("Instagram".into()),
            message_id: Some(Loose::Text("ig-1".into())),
            account: Some(Loose::Text("@warga_bekasi".into())),
            text: Some(text.into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_message_without_a_ticket_becomes_a_confidential_case() {
        let long = "Min, rumah subsidi kami di Bekasi retak semua padahal baru serah terima bulan lalu, tolong dicek";
        let item = message(long).read().unwrap();
        assert_eq!(item.ticket, None);
        let input = item.new_case(&settings()).unwrap();
        assert_eq!(item.source.system, "instagram");
        assert_eq!(item.account, "@warga_bekasi");
        assert_eq!(input.privacy.as_deref(), Some("confidential"));
        let title = input.title.unwrap();
        assert!(
            title.ends_with('…') && title.chars().count() <= 81,
            "{title}"
        );
        assert_eq!(
            input.reporter.unwrap().name.as_deref(),
            Some("@warga_bekasi")
        );
    }

    #[test]
    fn a_message_naming_a_ticket_joins_it() {
        let item = message("Sudah seminggu, tiket ADU-2026-000042 belum dijawab")
            .read()
            .unwrap();
        assert_eq!(item.ticket, Some(Ticket::parse("ADU-2026-000042").unwrap()));
        assert!(!item.ticket_named);
        let mut named = message("Sudah seminggu belum dijawab");
        named.ticket = Some("adu-2026-7".into());
        let item = named.read().unwrap();
        assert_eq!(item.ticket, Some(Ticket::parse("ADU-2026-000007").unwrap()));
        assert!(item.ticket_named);
    }

    #[test]
    fn missing_fields_are_named() {
        let errors = SocialMessage::default().read().unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["platform", "message_id", "account", "text"]);
    }
}
