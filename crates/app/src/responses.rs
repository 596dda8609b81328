//! Response templates: standard answer texts the coordinator keeps so that officers start their
//! drafts from agreed wording. Kept in the settings table.

use crate::AppError;
use crate::service::{Aduan, StaffUser};
use aduan_domain::Role;
use aduan_domain::intake::FieldError;
use serde::{Deserialize, Serialize};

const KEY: &str = "response_templates";
const MAX_TEMPLATES: usize = 100;
const MAX_TITLE: usize = 150;
const MAX_TEXT: usize = 20_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseTemplate {
    pub id: u32,
    pub title: String,
    pub text: String,
}

impl Aduan {
    /// The templates, for anyone who drafts answers.
    pub async fn response_templates(
        &self,
        user: &StaffUser,
    ) -> Result<Vec<ResponseTemplate>, AppError> {
        if matches!(user.role, Role::Monitor | Role::Intake) {
            return Err(AppError::Forbidden);
        }
        match self.store.setting(KEY).await? {
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| AppError::Config(format!("stored response templates: {e}"))),
            None => Ok(Vec::new()),
        }
    }

    /// Adds (`id` 0), replaces or, with `delete`, removes a template. Coordinator or admin.
    pub async fn change_response_template(
        &self,
        user: &StaffUser,
        template: ResponseTemplate,
        delete: bool,
    ) -> Result<(), AppError> {
        if !matches!(user.role, Role::Coordinator | Role::Admin) {
            return Err(AppError::Forbidden);
        }
        let mut templates = self.response_templates(user).await?;
        if delete {
            let before = templates.len();
            templates.retain(|t| t.id != template.id);
            if templates.len() == before {
                return Err(AppError::NotFound);
            }
        } else {
            let title = template.title.trim().to_string();
            let text = template.text.trim().replace("\r\n", "\n");
            let mut errors = Vec::new();
            if title.is_empty() {
                errors.push(FieldError::new("title", "required"));
            } else if title.chars().count() > MAX_TITLE || title.chars().any(char::is_control) {
                errors.push(FieldError::new("title", "invalid"));
            }
            if text.is_empty() {
                errors.push(FieldError::new("text", "required"));
            } else if text.chars().count() > MAX_TEXT {
                errors.push(FieldError::new("text", "too_long"));
            }
            if !errors.is_empty() {
                return Err(AppError::Validation(errors));
            }
            if template.id == 0 {
                if templates.len() >= MAX_TEMPLATES {
                    return Err(AppError::Validation(vec![FieldError::new(
                        "title", "too_many",
                    )]));
                }
                let id = templates.iter().map(|t| t.id).max().unwrap_or(0) + 1;
                templates.push(ResponseTemplate { id, title, text });
            } else {
                let slot = templates
                    .iter_mut()
                    .find(|t| t.id == template.id)
                    .ok_or(AppError::NotFound)?;
                *slot = ResponseTemplate {
                    id: template.id,
                    title,
                    text,
                };
            }
        }
        let json =
            serde_json::to_string(&templates).map_err(|e| AppError::Internal(e.to_string()))?;
        self.store.put_setting(KEY, &json, self.clock.now()).await?;
        tracing::info!(username = %user.username, "response templates changed");
        Ok(())
    }
}
