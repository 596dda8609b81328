//! Message templates: the shipped Indonesian and English defaults, and an admin's edits kept in
//! the settings table, so that wording changes need no rebuild. Templates are minijinja text
//! with strict variables, so a misspelt variable is refused when the template is saved rather
//! than sent as an empty hole.

use crate::AppError;
use aduan_domain::Language;
use aduan_domain::intake::FieldError;
use aduan_domain::notify::TEMPLATES;
use aduan_store::Store;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const DEFAULT_ID: &str = include_str!("../templates/email.id.toml");
const DEFAULT_EN: &str = include_str!("../templates/email.en.toml");
/// Settings key of the admin's edits: `{"id": {"received": {...}}, "en": {...}}`.
pub(crate) const TEMPLATES_KEY: &str = "email_templates";
const MAX_SUBJECT: usize = 300;
const MAX_BODY: usize = 20_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TemplateText {
    pub subject: String,
    pub body: String,
}

type Texts = BTreeMap<String, TemplateText>;
/// Edits per language code, then per template name.
pub(crate) type Overrides = BTreeMap<String, Texts>;

/// Everything a template may use. Fields that do not apply to a message are empty.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MailContext {
    pub agency: String,
    pub ticket: String,
    pub title: String,
    pub kind: String,
    pub category: String,
    pub state: String,
    pub due_date: String,
    pub tracking_url: String,
    pub access_code: String,
    pub reason: String,
    pub question: String,
    pub answer: String,
    pub decision: String,
    pub unit: String,
    pub level: String,
}

impl MailContext {
    /// Every variable filled, for checking an edited template.
    fn sample() -> Self {
        let fill = "x".to_string();
        Self {
            agency: fill.clone(),
            ticket: "ADU-2026-000001".into(),
            title: fill.clone(),
            kind: fill.clone(),
            category: fill.clone(),
            state: fill.clone(),
            due_date: "2026-01-02".into(),
            tracking_url: fill.clone(),
            access_code: fill.clone(),
            reason: fill.clone(),
            question: fill.clone(),
            answer: fill.clone(),
            decision: fill.clone(),
            unit: fill.clone(),
            level: "1".into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Templates {
    defaults: BTreeMap<&'static str, Texts>,
    overrides: Overrides,
}

fn language_key(language: Language) -> &'static str {
    match language {
        Language::Id => "id",
        Language::En => "en",
    }
}

impl Templates {
    pub fn new(overrides: Overrides) -> Result<Self, AppError> {
        let parse = |text: &str| {
            toml::from_str::<Texts>(text)
                .map_err(|e| AppError::Config(format!("e-mail templates: {e}")))
        };
        let defaults = BTreeMap::from([("id", parse(DEFAULT_ID)?), ("en", parse(DEFAULT_EN)?)]);
        for texts in defaults.values() {
            for name in TEMPLATES {
                if !texts.contains_key(*name) {
                    return Err(AppError::Config(format!(
                        "e-mail template `{name}` is missing"
                    )));
                }
            }
        }
        Ok(Self {
            defaults,
            overrides,
        })
    }

    /// The text in force: the admin's edit, else the default.
    pub fn text(&self, language: Language, name: &str) -> Option<TemplateText> {
        let lang = language_key(language);
        self.overrides
            .get(lang)
            .and_then(|t| t.get(name))
            .or_else(|| self.defaults.get(lang).and_then(|t| t.get(name)))
            .cloned()
    }

    pub fn is_edited(&self, language: Language, name: &str) -> bool {
        self.overrides
            .get(language_key(language))
            .is_some_and(|t| t.contains_key(name))
    }

    /// Subject and body of a message.
    pub fn render(
        &self,
        language: Language,
        name: &str,
        context: &MailContext,
    ) -> Result<(String, String), String> {
        let text = self
            .text(language, name)
            .ok_or_else(|| format!("no template `{name}`"))?;
        let subject = render_one(&text.subject, context)?;
        // A subject is one header line: no line breaks or other control characters.
        let subject: String = subject
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(MAX_SUBJECT)
            .collect();
        let body = render_one(&text.body, context)?;
        Ok((subject.trim().to_string(), body.trim().to_string() + "\n"))
    }

    /// The templates with one edit applied, if it is valid.
    pub(crate) fn with_edit(
        &self,
        language: Language,
        name: &str,
        text: TemplateText,
    ) -> Result<Overrides, AppError> {
        if !TEMPLATES.contains(&name) {
            return Err(AppError::NotFound);
        }
        let mut errors = Vec::new();
        if text.subject.trim().is_empty() {
            errors.push(FieldError::new("subject", "required"));
        } else if text.subject.chars().count() > MAX_SUBJECT {
            errors.push(FieldError::new("subject", "too_long"));
        } else if let Err(e) = render_one(&text.subject, &MailContext::sample()) {
            tracing::info!(template = name, error = %e, "template subject refused");
            errors.push(FieldError::new("subject", "invalid_template"));
        }
        if text.body.trim().is_empty() {
            errors.push(FieldError::new("body", "required"));
        } else if text.body.chars().count() > MAX_BODY {
            errors.push(FieldError::new("body", "too_long"));
        } else if let Err(e) = render_one(&text.body, &MailContext::sample()) {
            tracing::info!(template = name, error = %e, "template body refused");
            errors.push(FieldError::new("body", "invalid_template"));
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let mut overrides = self.overrides.clone();
        overrides
            .entry(language_key(language).to_string())
            .or_default()
            .insert(name.to_string(), text);
        Ok(overrides)
    }

    /// The templates with one edit undone (back to the default).
    pub(crate) fn without_edit(&self, language: Language, name: &str) -> Overrides {
        let mut overrides = self.overrides.clone();
        if let Some(texts) = overrides.get_mut(language_key(language)) {
            texts.remove(name);
        }
        overrides
    }
}

fn render_one(source: &str, context: &MailContext) -> Result<String, String> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.render_str(source, context).map_err(|e| e.to_string())
}

pub(crate) async fn load(store: &dyn Store) -> Result<Templates, AppError> {
    let overrides = match store.setting(TEMPLATES_KEY).await? {
        Some(text) => serde_json::from_str(&text)
            .map_err(|e| AppError::Config(format!("stored e-mail templates: {e}")))?,
        None => Overrides::new(),
    };
    Templates::new(overrides)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_template_renders_in_both_languages() {
        let templates = Templates::new(Overrides::new()).unwrap();
        for language in [Language::Id, Language::En] {
            for name in TEMPLATES {
                let (subject, body) = templates
                    .render(language, name, &MailContext::sample())
                    .unwrap();
                assert!(subject.contains("ADU-2026-000001"), "{name}: {subject}");
                assert!(!body.trim().is_empty());
            }
        }
    }

    #[test]
    fn an_edit_with_an_unknown_variable_is_refused() {
        let templates = Templates::new(Overrides::new()).unwrap();
        let bad = TemplateText {
            subject: "{{ tiket }}".into(),
            body: "{% if %}".into(),
        };
        let Err(AppError::Validation(errors)) = templates.with_edit(Language::Id, "received", bad)
        else {
            panic!("accepted a broken template");
        };
        assert_eq!(errors.len(), 2);
        let good = TemplateText {
            subject: "Tiket {{ ticket }}".into(),
            body: "Halo {{ title }}".into(),
        };
        let edited =
            Templates::new(templates.with_edit(Language::Id, "received", good).unwrap()).unwrap();
        let (subject, _) = edited
            .render(Language::Id, "received", &MailContext::sample())
            .unwrap();
        assert_eq!(subject, "Tiket ADU-2026-000001");
        // English stays the default.
        let (subject, _) = edited
            .render(Language::En, "received", &MailContext::sample())
            .unwrap();
        assert!(subject.contains("received your report"));
    }

    #[test]
    fn a_subject_cannot_carry_a_header_break() {
        let edit = TemplateText {
            subject: "Perihal {{ title }}".into(),
            body: "{{ title }}".into(),
        };
        let templates = Templates::new(
            Templates::new(Overrides::new())
                .unwrap()
                .with_edit(Language::Id, "verified", edit)
                .unwrap(),
        )
        .unwrap();
        let context = MailContext {
            title: "Atap bocor\r\nBcc: victim@example.com".into(),
            ..MailContext::sample()
        };
        let (subject, _) = templates
            .render(Language::Id, "verified", &context)
            .unwrap();
        assert!(!subject.contains('\n') && !subject.contains('\r'));
        assert!(subject.starts_with("Perihal Atap bocor"));
    }
}
