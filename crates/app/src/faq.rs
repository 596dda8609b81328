//! The FAQ / knowledge base the coordinator writes for the portal, in both languages, kept in the
//! settings table.

use crate::AppError;
use crate::service::{Aduan, StaffUser};
use aduan_domain::Role;
use aduan_domain::intake::FieldError;
use serde::{Deserialize, Serialize};

const FAQ_KEY: &str = "faq";
const MAX_ENTRIES: usize = 200;
const MAX_QUESTION: usize = 300;
const MAX_ANSWER: usize = 5_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaqEntry {
    pub id: u32,
    pub question_id: String,
    pub answer_id: String,
    /// English; the Indonesian text is shown when empty.
    #[serde(default)]
    pub question_en: String,
    #[serde(default)]
    pub answer_en: String,
}

fn may_edit(user: &StaffUser) -> Result<(), AppError> {
    if matches!(user.role, Role::Coordinator | Role::Admin) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

fn check_text(
    value: &str,
    field: &'static str,
    max: usize,
    required: bool,
    errors: &mut Vec<FieldError>,
) {
    let value = value.trim();
    if required && value.is_empty() {
        errors.push(FieldError::new(field, "required"));
    } else if value.chars().count() > max {
        errors.push(FieldError::new(field, "too_long"));
    } else if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        errors.push(FieldError::new(field, "control_characters"));
    }
}

impl Aduan {
    /// The entries, in the order written.
    pub async fn faq(&self) -> Result<Vec<FaqEntry>, AppError> {
        match self.store.setting(FAQ_KEY).await? {
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| AppError::Config(format!("stored FAQ: {e}"))),
            None => Ok(Vec::new()),
        }
    }

    async fn save_faq(&self, entries: &[FaqEntry]) -> Result<(), AppError> {
        let text = serde_json::to_string(entries).map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(self
            .store
            .put_setting(FAQ_KEY, &text, self.clock.now())
            .await?)
    }

    /// Adds an entry (`id` 0) or replaces the one with its id.
    pub async fn save_faq_entry(&self, user: &StaffUser, entry: FaqEntry) -> Result<(), AppError> {
        may_edit(user)?;
        let mut errors = Vec::new();
        check_text(
            &entry.question_id,
            "question_id",
            MAX_QUESTION,
            true,
            &mut errors,
        );
        check_text(&entry.answer_id, "answer_id", MAX_ANSWER, true, &mut errors);
        check_text(
            &entry.question_en,
            "question_en",
            MAX_QUESTION,
            false,
            &mut errors,
        );
        check_text(
            &entry.answer_en,
            "answer_en",
            MAX_ANSWER,
            false,
            &mut errors,
        );
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let clean = |s: &str| s.trim().replace("\r\n", "\n");
        let mut entries = self.faq().await?;
        let entry = FaqEntry {
            question_id: clean(&entry.question_id),
            answer_id: clean(&entry.answer_id),
            question_en: clean(&entry.question_en),
            answer_en: clean(&entry.answer_en),
            ..entry
        };
        if entry.id == 0 {
            if entries.len() >= MAX_ENTRIES {
                return Err(AppError::Validation(vec![FieldError::new(
                    "question_id",
                    "too_many",
                )]));
            }
            let id = entries.iter().map(|e| e.id).max().unwrap_or(0) + 1;
            entries.push(FaqEntry { id, ..entry });
        } else {
            let slot = entries
                .iter_mut()
                .find(|e| e.id == entry.id)
                .ok_or(AppError::NotFound)?;
            *slot = entry;
        }
        self.save_faq(&entries).await?;
        tracing::info!(username = %user.username, "FAQ changed");
        Ok(())
    }

    pub async fn delete_faq_entry(&self, user: &StaffUser, id: u32) -> Result<(), AppError> {
        may_edit(user)?;
        let mut entries = self.faq().await?;
        let before = entries.len();
        entries.retain(|e| e.id != id);
        if entries.len() == before {
            return Err(AppError::NotFound);
        }
        self.save_faq(&entries).await
    }
}
