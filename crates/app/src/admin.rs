//! Admin use cases for the background machinery: message templates and the job queue.

use crate::AppError;
use crate::service::{Aduan, StaffUser};
use crate::templates::{TEMPLATES_KEY, TemplateText, Templates};
use aduan_domain::notify::TEMPLATES;
use aduan_domain::{Language, Role};
use aduan_store::{JobRecord, JobState};
use serde::Serialize;
use std::sync::Arc;
use time::OffsetDateTime;

/// One template as an admin sees it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemplateView {
    pub name: String,
    pub language: String,
    pub subject: String,
    pub body: String,
    /// Whether this is an admin's edit rather than the shipped text.
    pub edited: bool,
}

/// A job as an admin sees it: never its secret, never an address.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobView {
    pub id: i64,
    pub kind: String,
    pub ticket: Option<String>,
    /// For e-mail: the template and the audience (`reporter`, `unit:rusun`, ...).
    pub template: Option<String>,
    pub audience: Option<String>,
    pub state: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub last_error: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub run_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: OffsetDateTime,
}

impl From<JobRecord> for JobView {
    fn from(job: JobRecord) -> Self {
        let payload: serde_json::Value =
            serde_json::from_str(&job.payload).unwrap_or(serde_json::Value::Null);
        let field = |name: &str| {
            payload
                .get(name)
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        // A fanned-out job's audience is a unit or group; the address stays out of the listing.
        Self {
            id: job.id,
            kind: job.kind,
            ticket: job.ticket,
            template: field("template"),
            audience: field("audience"),
            state: job.state.code().into(),
            attempts: job.attempts,
            max_attempts: job.max_attempts,
            last_error: job.last_error,
            run_at: job.run_at,
            created_at: job.created_at,
            updated_at: job.updated_at,
        }
    }
}

/// Jobs per state.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobCounts {
    pub queued: i64,
    pub running: i64,
    pub done: i64,
    pub failed: i64,
}

pub(crate) fn require_admin(user: &StaffUser) -> Result<(), AppError> {
    if user.role == Role::Admin {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

fn language_code(language: Language) -> String {
    language.code().to_string()
}

impl Aduan {
    pub async fn email_templates(&self, user: &StaffUser) -> Result<Vec<TemplateView>, AppError> {
        require_admin(user)?;
        let templates = self.templates();
        let mut views = Vec::new();
        for language in [Language::Id, Language::En] {
            for name in TEMPLATES {
                if let Some(text) = templates.text(language, name) {
                    views.push(TemplateView {
                        name: (*name).into(),
                        language: language_code(language),
                        subject: text.subject,
                        body: text.body,
                        edited: templates.is_edited(language, name),
                    });
                }
            }
        }
        Ok(views)
    }

    /// Replaces a template's text after checking that it renders.
    pub async fn edit_email_template(
        &self,
        user: &StaffUser,
        language: Language,
        name: &str,
        text: Option<TemplateText>,
    ) -> Result<Vec<TemplateView>, AppError> {
        require_admin(user)?;
        let current = self.templates();
        let overrides = match text {
            Some(text) => current.with_edit(language, name, text)?,
            None if TEMPLATES.contains(&name) => current.without_edit(language, name),
            None => return Err(AppError::NotFound),
        };
        let templates = Templates::new(overrides.clone())?;
        let json =
            serde_json::to_string(&overrides).map_err(|e| AppError::Internal(e.to_string()))?;
        self.store
            .put_setting(TEMPLATES_KEY, &json, self.clock.now())
            .await?;
        match self.templates.write() {
            Ok(mut slot) => *slot = Arc::new(templates),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(templates),
        }
        tracing::info!(username = %user.username, template = name, language = %language, "e-mail template changed");
        self.email_templates(user).await
    }

    pub async fn jobs(
        &self,
        user: &StaffUser,
        state: JobState,
        limit: u32,
    ) -> Result<Vec<JobView>, AppError> {
        require_admin(user)?;
        let jobs = self.store.jobs(state, limit.clamp(1, 500)).await?;
        Ok(jobs.into_iter().map(JobView::from).collect())
    }

    pub async fn job_counts(&self, user: &StaffUser) -> Result<JobCounts, AppError> {
        require_admin(user)?;
        let mut counts = JobCounts::default();
        for (state, n) in self.store.job_counts().await? {
            match state {
                JobState::Queued => counts.queued = n,
                JobState::Running => counts.running = n,
                JobState::Done => counts.done = n,
                JobState::Failed => counts.failed = n,
            }
        }
        Ok(counts)
    }

    /// Queues a failed job again; `NotFound` if it is not a failed job.
    pub async fn retry_job(&self, user: &StaffUser, id: i64) -> Result<(), AppError> {
        require_admin(user)?;
        if self.store.retry_job(id, self.clock.now()).await? {
            tracing::info!(username = %user.username, job = id, "failed job queued again");
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }
}

/// A staff account as an admin sees it (never the password hash).
#[derive(Debug, Clone, Serialize)]
pub struct UserView {
    pub username: String,
    pub role: String,
    pub unit: Option<String>,
    pub email: Option<String>,
    pub active: bool,
}

impl Aduan {
    pub async fn users(&self, user: &StaffUser) -> Result<Vec<UserView>, AppError> {
        require_admin(user)?;
        Ok(self
            .store
            .users()
            .await?
            .into_iter()
            .map(|u| UserView {
                username: u.username,
                role: u.role.code().into(),
                unit: u.unit,
                email: u.email,
                active: u.active,
            })
            .collect())
    }

    /// Adds a staff account, as an admin.
    pub async fn admin_add_user(
        &self,
        admin: &StaffUser,
        username: &str,
        role: Role,
        unit: Option<&str>,
        email: Option<&str>,
        password: &str,
    ) -> Result<(), AppError> {
        require_admin(admin)?;
        self.add_user(username, role, unit, email, password).await?;
        tracing::info!(admin = %admin.username, username, "user added by an admin");
        Ok(())
    }
}
