//! The working-day calendar in force: the shipped holiday table plus the days an admin adds
//! (an ad-hoc holiday, a regional day off, a Saturday worked to make up for leave), kept in the
//! settings table so that every instance sees them.

use crate::service::{Aduan, StaffUser};
use crate::{AppError, config};
use aduan_domain::intake::FieldError;
use aduan_domain::{Calendar, Organisation, Role};
use aduan_store::Store;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use time::{Date, OffsetDateTime};

pub(crate) const CALENDAR_KEY: &str = "calendar_extra_days";
const MAX_REASON: usize = 200;

/// What an admin-added day does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ExtraDayKind {
    /// A weekday nobody works.
    DayOff,
    /// A weekend day that is worked.
    WorkingDay,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExtraDay {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub date: Date,
    pub kind: ExtraDayKind,
    pub reason: String,
}

/// The calendar as an admin sees it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CalendarView {
    pub utc_offset_hours: i8,
    /// Years whose national holidays and collective leave are known.
    pub covered_years: Vec<i32>,
    /// This year or next without holiday data: deadlines there count every weekday.
    pub missing_years: Vec<i32>,
    pub extra_days: Vec<ExtraDay>,
}

async fn extra_days(store: &dyn Store) -> Result<Vec<ExtraDay>, AppError> {
    match store.setting(CALENDAR_KEY).await? {
        Some(text) => serde_json::from_str(&text)
            .map_err(|e| AppError::Config(format!("stored calendar days: {e}"))),
        None => Ok(Vec::new()),
    }
}

fn build(org: &Organisation, extra: &[ExtraDay]) -> Result<Calendar, AppError> {
    let mut calendar = config::calendar_for(org)?;
    for day in extra {
        match day.kind {
            ExtraDayKind::DayOff => calendar.add_day_off(day.date),
            ExtraDayKind::WorkingDay => calendar.add_working_day(day.date),
        }
    }
    Ok(calendar)
}

pub(crate) async fn load(store: &dyn Store, org: &Organisation) -> Result<Calendar, AppError> {
    build(org, &extra_days(store).await?)
}

fn missing_years(calendar: &Calendar, now: OffsetDateTime) -> Vec<i32> {
    let year = calendar.local_date(now).year();
    [year, year + 1]
        .into_iter()
        .filter(|y| !calendar.covers(*y))
        .collect()
}

/// Says loudly when this year or the next has no holiday data.
pub(crate) fn warn_uncovered(calendar: &Calendar, now: OffsetDateTime) {
    for year in missing_years(calendar, now) {
        tracing::error!(
            year,
            "no holiday data for this year: deadlines count every weekday as a working day until the holidays are added"
        );
    }
}

impl Aduan {
    fn require_admin(user: &StaffUser) -> Result<(), AppError> {
        if user.role == Role::Admin {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    pub async fn calendar_view(&self, user: &StaffUser) -> Result<CalendarView, AppError> {
        Self::require_admin(user)?;
        let calendar = self.calendar();
        Ok(CalendarView {
            utc_offset_hours: self.org().agency.utc_offset_hours,
            covered_years: calendar.covered_years().collect(),
            missing_years: missing_years(&calendar, self.clock.now()),
            extra_days: extra_days(self.store.as_ref()).await?,
        })
    }

    /// Adds or replaces an extra day. Due times already set are not moved; new ones count it.
    pub async fn set_calendar_day(
        &self,
        user: &StaffUser,
        day: ExtraDay,
    ) -> Result<CalendarView, AppError> {
        Self::require_admin(user)?;
        let reason = day.reason.trim().to_string();
        let mut errors = Vec::new();
        if reason.is_empty() {
            errors.push(FieldError::new("reason", "required"));
        } else if reason.chars().count() > MAX_REASON || reason.chars().any(char::is_control) {
            errors.push(FieldError::new("reason", "invalid"));
        }
        if !(2000..=2100).contains(&day.date.year()) {
            errors.push(FieldError::new("date", "out_of_range"));
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let mut days = extra_days(self.store.as_ref()).await?;
        days.retain(|d| d.date != day.date);
        // Judge against the calendar without this date's earlier entry.
        let base = build(&self.org(), &days)?;
        let working = base.is_working_day(day.date);
        match day.kind {
            ExtraDayKind::DayOff if !working => {
                return Err(AppError::Validation(vec![FieldError::new(
                    "date",
                    "already_a_day_off",
                )]));
            }
            ExtraDayKind::WorkingDay if working => {
                return Err(AppError::Validation(vec![FieldError::new(
                    "date",
                    "already_a_working_day",
                )]));
            }
            _ => {}
        }
        days.push(ExtraDay { reason, ..day });
        days.sort_by_key(|d| d.date);
        self.save_calendar(user, days).await
    }

    pub async fn remove_calendar_day(
        &self,
        user: &StaffUser,
        date: Date,
    ) -> Result<CalendarView, AppError> {
        Self::require_admin(user)?;
        let mut days = extra_days(self.store.as_ref()).await?;
        let before = days.len();
        days.retain(|d| d.date != date);
        if days.len() == before {
            return Err(AppError::NotFound);
        }
        self.save_calendar(user, days).await
    }

    async fn save_calendar(
        &self,
        user: &StaffUser,
        days: Vec<ExtraDay>,
    ) -> Result<CalendarView, AppError> {
        let calendar = build(&self.org(), &days)?;
        let text = serde_json::to_string(&days).map_err(|e| AppError::Internal(e.to_string()))?;
        self.store
            .put_setting(CALENDAR_KEY, &text, self.clock.now())
            .await?;
        self.replace_calendar(calendar);
        tracing::info!(username = %user.username, days = days.len(), "calendar days changed");
        self.calendar_view(user).await
    }

    fn replace_calendar(&self, calendar: Calendar) {
        match self.calendar.write() {
            Ok(mut slot) => *slot = Arc::new(calendar),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(calendar),
        }
        self.edited();
    }

    /// Picks up days another instance added.
    pub(crate) async fn reload_calendar(&self) -> Result<(), AppError> {
        let calendar = load(self.store.as_ref(), &self.org()).await?;
        if *self.calendar() != calendar {
            self.replace_calendar(calendar);
        }
        Ok(())
    }
}
