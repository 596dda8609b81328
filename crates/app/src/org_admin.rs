//! An admin edits the organisation from the admin page: adds or renames units, adds or changes
//! categories and sets the stage deadlines. Each edit is checked whole (the tree, the
//! references, the deadline ranges), stored, and then swapped in at once for every request.
//! Codes are identities that cases refer to: they are never renamed and nothing is deleted.

use crate::AppError;
use crate::admin::require_admin;
use crate::service::{Aduan, ORGANISATION_KEY, StaffUser, to_toml};
use aduan_domain::intake::FieldError;
use aduan_domain::org::{Category, Deadlines, OrganisationError, Unit};
use aduan_domain::{Email, Organisation};
use std::sync::Arc;

const MAX_NAME: usize = 200;
const MAX_HELP: usize = 500;

/// A unit as typed on the admin page.
#[derive(Debug, Clone, Default)]
pub struct UnitInput {
    pub code: String,
    pub name: String,
    pub parent: String,
    pub email: String,
}

/// A category as typed on the admin page.
#[derive(Debug, Clone, Default)]
pub struct CategoryInput {
    pub code: String,
    pub name_id: String,
    pub name_en: String,
    pub lead_unit: String,
    pub restricted: bool,
    pub help_id: String,
    pub help_en: String,
}

fn text(
    value: &str,
    field: &'static str,
    max: usize,
    required: bool,
    errors: &mut Vec<FieldError>,
) -> String {
    let value = value.trim();
    if required && value.is_empty() {
        errors.push(FieldError::new(field, "required"));
    } else if value.chars().count() > max {
        errors.push(FieldError::new(field, "too_long"));
    } else if value.chars().any(char::is_control) {
        errors.push(FieldError::new(field, "invalid"));
    }
    value.to_string()
}

fn optional(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

/// The field a whole-organisation check points at.
fn refusal(error: &OrganisationError) -> FieldError {
    match error {
        OrganisationError::BadCode(_) => FieldError::new("code", "invalid"),
        OrganisationError::UnknownParent { .. } => FieldError::new("parent", "unknown"),
        OrganisationError::Cycle(_) => FieldError::new("parent", "cycle"),
        OrganisationError::UnknownLeadUnit { .. } => FieldError::new("lead_unit", "unknown"),
        OrganisationError::BadDeadline { stage, .. } => {
            FieldError::new(stage.clone(), "out_of_range")
        }
        OrganisationError::DuplicateUnit(_) | OrganisationError::DuplicateCategory(_) => {
            FieldError::new("code", "duplicate")
        }
        _ => FieldError::new("organisation", "invalid"),
    }
}

impl Aduan {
    /// Adds a unit, or changes the name, parent or mailbox of the unit with this code.
    pub async fn save_unit(&self, user: &StaffUser, input: UnitInput) -> Result<(), AppError> {
        require_admin(user)?;
        let mut errors = Vec::new();
        let code = text(&input.code, "code", 40, true, &mut errors);
        let name = text(&input.name, "name", MAX_NAME, true, &mut errors);
        let parent = optional(text(&input.parent, "parent", 40, false, &mut errors));
        let email = match input.email.trim() {
            "" => None,
            address => match Email::parse(address) {
                Ok(email) => Some(email.as_str().to_string()),
                Err(_) => {
                    errors.push(FieldError::new("email", "invalid"));
                    None
                }
            },
        };
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        self.edit_organisation(user, |org| {
            let unit = Unit {
                code: code.clone(),
                name,
                parent,
                email,
            };
            match org.units.iter_mut().find(|u| u.code == code) {
                Some(existing) => *existing = unit,
                None => org.units.push(unit),
            }
        })
        .await
    }

    /// Adds a category, or changes the one with this code (names, help, lead unit, restriction).
    pub async fn save_category(
        &self,
        user: &StaffUser,
        input: CategoryInput,
    ) -> Result<(), AppError> {
        require_admin(user)?;
        let mut errors = Vec::new();
        let category = Category {
            code: text(&input.code, "code", 40, true, &mut errors),
            name_id: text(&input.name_id, "name_id", MAX_NAME, true, &mut errors),
            name_en: text(&input.name_en, "name_en", MAX_NAME, true, &mut errors),
            lead_unit: text(&input.lead_unit, "lead_unit", 40, true, &mut errors),
            restricted: input.restricted,
            help_id: text(&input.help_id, "help_id", MAX_HELP, false, &mut errors),
            help_en: text(&input.help_en, "help_en", MAX_HELP, false, &mut errors),
        };
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        self.edit_organisation(user, |org| {
            match org.categories.iter_mut().find(|c| c.code == category.code) {
                Some(existing) => *existing = category,
                None => org.categories.push(category),
            }
        })
        .await
    }

    /// Sets the general stage deadlines. Cases keep the due times they have; each stage that
    /// begins afterwards gets the new allowance.
    pub async fn save_deadlines(
        &self,
        user: &StaffUser,
        deadlines: Deadlines,
    ) -> Result<(), AppError> {
        require_admin(user)?;
        if deadlines.settlement_calendar_days == 0 || deadlines.settlement_calendar_days > 365 {
            return Err(AppError::Validation(vec![FieldError::new(
                "settlement_calendar_days",
                "out_of_range",
            )]));
        }
        self.edit_organisation(user, |org| org.deadlines = deadlines)
            .await
    }

    /// Applies `change` to a copy of the organisation in force, checks it whole, stores it and
    /// puts it in force. Edits are taken one at a time so that none overwrites another.
    async fn edit_organisation(
        &self,
        user: &StaffUser,
        change: impl FnOnce(&mut Organisation),
    ) -> Result<(), AppError> {
        let _one_at_a_time = self.org_edit.lock().await;
        let mut org = (*self.org()).clone();
        change(&mut org);
        org.validate()
            .map_err(|e| AppError::Validation(vec![refusal(&e)]))?;
        self.store
            .put_setting(ORGANISATION_KEY, &to_toml(&org)?, self.clock.now())
            .await?;
        let mut current = match self.organisation.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        *current = Arc::new(org);
        drop(current);
        self.edited();
        tracing::info!(admin = %user.username, "organisation edited");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_checks_point_at_the_field() {
        let e = OrganisationError::UnknownParent {
            unit: "a".into(),
            parent: "b".into(),
        };
        assert_eq!(refusal(&e).field, "parent");
        let e = OrganisationError::BadDeadline {
            kind: "complaint".into(),
            stage: "verify".into(),
            days: 0,
        };
        assert_eq!(refusal(&e).field, "verify");
    }
}
