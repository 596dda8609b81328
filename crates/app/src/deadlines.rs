//! Deadlines kept by Aduan itself: the watch that reminds, escalates and closes lapsed cases,
//! and the backlog (*tunggakan*) with the on-time rate.

use crate::AppError;
use crate::service::{Aduan, StaffUser};
use crate::views::{BacklogLine, BacklogView, OnTimeView, OverdueCase};
use aduan_domain::intake::FieldError;
use aduan_domain::lifecycle::Context;
use aduan_domain::watch::{next_check, system_events};
use aduan_domain::{Scope, Ticket};
use aduan_store::{CaseFilter, StoreError};
use time::{Date, Duration, OffsetDateTime};

/// Recent backlogs by who sees them (their units, or all) and the on-time period's first and
/// last day. A backlog stays exact until a case changes or the next due time passes.
pub(crate) type BacklogCache =
    crate::shared_cache::SharedCache<(Option<Vec<String>>, Date, Date), BacklogView>;

/// At most this many overdue cases are listed in the backlog.
const OVERDUE_LIST: u32 = 100;
/// The longest period the on-time rate is computed over.
pub(crate) const MAX_PERIOD_DAYS: i64 = 3700;

impl Aduan {
    /// Does what the deadline watch owes at this instant, for at most `limit` cases per round,
    /// until no case is due. Returns how many cases it changed.
    pub async fn watch_deadlines(&self, limit: u32) -> Result<usize, AppError> {
        // The overdue list's index; the watch's own round below does not depend on it.
        self.store.mark_fallen_due(self.clock.now()).await?;
        let mut changed = 0;
        // Each round moves every case it reads forward, so rounds end; the cap guards a bug.
        for _ in 0..1000 {
            let now = self.clock.now();
            let due = self.store.cases_to_check(now, limit).await?;
            let full = due.len() == usize::try_from(limit).unwrap_or(usize::MAX);
            for ticket in due {
                if self.watch_case(&ticket, now).await? {
                    changed += 1;
                }
            }
            if !full {
                break;
            }
        }
        Ok(changed)
    }

    async fn watch_case(&self, ticket: &Ticket, now: OffsetDateTime) -> Result<bool, AppError> {
        for _ in 0..3 {
            let Some(case) = self.store.case(ticket, &Scope::All).await? else {
                return Ok(false);
            };
            let calendar = self.calendar();
            let ctx = Context {
                now,
                org: &self.org(),
                calendar: &calendar,
                ticket: &case.ticket,
                channel: None,
            };
            let events = match system_events(&case.workflow, &ctx) {
                Ok(events) => events,
                Err(refusal) => {
                    // Should not happen; stop looking at the case rather than loop on it.
                    tracing::error!(ticket = %ticket, ?refusal, "deadline watch could not act");
                    Vec::new()
                }
            };
            if events.is_empty() {
                let next = next_check(&case.workflow, &self.org(), &calendar).filter(|t| *t > now);
                self.store
                    .set_next_check(case.id, case.last_seq, next)
                    .await?;
                return Ok(false);
            }
            match self.commit_events(&case, &events, &calendar).await {
                Ok(updated) => {
                    for event in &events {
                        tracing::info!(ticket = %ticket, rule = ?event.rule, change = event.change.code(), state = %updated.workflow.state, "deadline watch acted");
                    }
                    return Ok(true);
                }
                // Someone acted on the case meanwhile: look again.
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(false)
    }

    /// The backlog the user may see, with the on-time rate of `[from, to]` (local dates; by
    /// default the current month up to today).
    pub async fn backlog(
        &self,
        user: &StaffUser,
        from: Option<Date>,
        to: Option<Date>,
    ) -> Result<BacklogView, AppError> {
        let units = self.statistics_units(user)?;
        self.backlog_for(units, from, to).await
    }

    /// The whole agency's backlog, for the command line.
    pub async fn backlog_all(
        &self,
        from: Option<Date>,
        to: Option<Date>,
    ) -> Result<BacklogView, AppError> {
        self.backlog_for(None, from, to).await
    }

    async fn backlog_for(
        &self,
        units: Option<Vec<String>>,
        from: Option<Date>,
        to: Option<Date>,
    ) -> Result<BacklogView, AppError> {
        let now = self.clock.now();
        let calendar = self.calendar();
        let today = calendar.local_date(now);
        let to = to.unwrap_or(today);
        let from = from.unwrap_or_else(|| to.replace_day(1).unwrap_or(to));
        if from > to || (to - from).whole_days() > MAX_PERIOD_DAYS {
            return Err(AppError::Validation(vec![FieldError::new(
                "from",
                "invalid_period",
            )]));
        }
        let asking = crate::shared_cache::Asking {
            now,
            changes: self.changes(),
            ended: false,
        };
        let key = (units.clone(), from, to);
        let compute = self.compute_backlog(units, from, to, now);
        let mut view = (*self.backlogs.get(key, asking, compute).await?).clone();
        view.at = now;
        Ok(view)
    }

    /// The backlog at `now`, and until when it stays exact without a change: the next due
    /// time (a case becomes overdue), or midnight (the working days overdue grow).
    async fn compute_backlog(
        &self,
        units: Option<Vec<String>>,
        from: Date,
        to: Date,
        now: OffsetDateTime,
    ) -> Result<crate::shared_cache::Fresh<BacklogView>, AppError> {
        let calendar = self.calendar();
        // Read first: a case that falls due while the rest is read ends the answer's life.
        let next_due = self.store.next_due(now).await?;
        let offset = calendar.offset();
        let start = from.midnight().assume_offset(offset);
        // The end of the last day, or now if that is earlier (nothing is overdue in the future);
        // the extra second keeps what happened at this very instant inside the period.
        let end = (to.midnight().assume_offset(offset) + Duration::DAY).min(now + Duration::SECOND);
        let rows = self.store.backlog(units.as_deref(), now).await?;
        let counts = self
            .store
            .on_time(units.as_deref(), start, end.max(start))
            .await?;
        let scope = match &units {
            None => Scope::All,
            Some(units) => Scope::Units(units.clone()),
        };
        let overdue = self
            .store
            .list_cases(
                &scope,
                &CaseFilter {
                    overdue_at: Some(now),
                    sort: aduan_store::CaseSort::DueSoonest,
                    limit: OVERDUE_LIST,
                    ..CaseFilter::default()
                },
            )
            .await?;
        let denominator = counts.closed + counts.open_overdue;
        let rate = (denominator > 0).then(|| {
            let percent = counts.closed_on_time as f64 * 100.0 / denominator as f64;
            (percent * 10.0).round() / 10.0
        });
        let view = BacklogView {
            at: now,
            open: rows.iter().map(|r| r.open).sum(),
            overdue: rows.iter().map(|r| r.overdue).sum(),
            lines: rows
                .into_iter()
                .map(|r| BacklogLine {
                    unit: r.unit,
                    state: r.state.code().into(),
                    open: r.open,
                    overdue: r.overdue,
                })
                .collect(),
            overdue_cases: overdue
                .into_iter()
                .filter_map(|c| {
                    let due = c.due_at?;
                    Some(OverdueCase {
                        ticket: c.ticket.to_string(),
                        kind: c.kind.code().into(),
                        category: c.category,
                        unit: c.lead_unit,
                        state: c.state.code().into(),
                        due_at: due,
                        working_days_overdue: calendar.working_days_between(due, now).max(0),
                    })
                })
                .collect(),
            on_time: OnTimeView {
                from,
                to,
                closed: counts.closed,
                closed_on_time: counts.closed_on_time,
                open_overdue: counts.open_overdue,
                rate_percent: rate,
            },
        };
        // Exact while the overdue counts (due before now) and the period's open overdue cases
        // (due before now plus a second) stay the same, and until the local date changes.
        let tomorrow = (calendar.local_date(now) + Duration::DAY)
            .midnight()
            .assume_offset(offset);
        let until = next_due.map_or(tomorrow, |due| (due - Duration::SECOND).min(tomorrow));
        Ok(crate::shared_cache::Fresh::until(view, until))
    }
}
