//! Related cases: a link is recorded on both cases in one transaction, so that each shows the
//! other and neither can hold a link the other lacks.

use crate::AppError;
use crate::service::{Aduan, StaffUser};
use aduan_domain::intake::FieldError;
use aduan_domain::lifecycle::{Context, decide};
use aduan_domain::{Action, Channel, Ticket};
use aduan_store::{CaseRecord, CaseUpdate, StoreError};

impl Aduan {
    /// Links or unlinks `case` and the case `other`, which the user must be able to see.
    pub(crate) async fn link_both(
        &self,
        user: &StaffUser,
        mut case: CaseRecord,
        other: &str,
        action: &Action,
    ) -> Result<CaseRecord, AppError> {
        let actor = user.actor();
        for attempt in 0..2 {
            let calendar = self.calendar();
            let now = self.clock.now();
            let org = self.org();
            let context = |ticket| Context {
                now,
                org: &org,
                calendar: &calendar,
                ticket,
                channel: Some(Channel::Api),
            };
            // The domain checks the ticket's form and that it is not this case first.
            let events = decide(&case.workflow, action, &actor, &context(&case.ticket))?;
            let other_ticket = Ticket::parse(other.trim()).map_err(|_| unknown_case())?;
            let other_case = self
                .store
                .case(&other_ticket, &user.scope())
                .await?
                .ok_or_else(unknown_case)?;
            let mirrored = match action {
                Action::Unlink { .. } => Action::Unlink {
                    ticket: case.ticket.to_string(),
                },
                _ => Action::Link {
                    ticket: case.ticket.to_string(),
                },
            };
            let other_events = decide(
                &other_case.workflow,
                &mirrored,
                &actor,
                &context(&other_case.ticket),
            )?;
            let (after, jobs, next) = self.fold_events(&case, &events, &calendar);
            let (other_after, other_jobs, other_next) =
                self.fold_events(&other_case, &other_events, &calendar);
            let result = self
                .store
                .commit_pair(
                    (
                        &case,
                        CaseUpdate {
                            after: &after,
                            events: &events,
                            jobs: &jobs,
                            next_check_at: next,
                            source: None,
                        },
                    ),
                    (
                        &other_case,
                        CaseUpdate {
                            after: &other_after,
                            events: &other_events,
                            jobs: &other_jobs,
                            next_check_at: other_next,
                            source: None,
                        },
                    ),
                )
                .await;
            match result {
                Ok((updated, _)) => {
                    tracing::info!(ticket = %updated.ticket, other = %other_case.ticket, action = %action.code(), actor = %actor.role_code(), "cases linked or unlinked");
                    return Ok(updated);
                }
                Err(StoreError::Conflict) if attempt == 0 => {
                    case = self
                        .store
                        .case(&case.ticket, &aduan_domain::Scope::All)
                        .await?
                        .ok_or(AppError::NotFound)?;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Conflict)
    }
}

fn unknown_case() -> AppError {
    AppError::Validation(vec![FieldError::new("ticket", "unknown_case")])
}
