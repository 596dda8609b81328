//! Likely duplicates of a case, for the coordinator who verifies it: open cases of the last
//! months from the same contact or about the same matter, with a score, to merge in one action.

use crate::AppError;
use crate::service::{Aduan, StaffUser};
use aduan_domain::duplicates::{MIN_SCORE, SEARCH_TERMS, contact_keys, likeness, terms};
use aduan_domain::{Role, Scope};
use serde::Serialize;
use time::{Duration, OffsetDateTime};

/// How far back candidates are looked for.
pub const WINDOW_DAYS: i64 = 90;
/// Candidates read and scored; the best few are shown.
const CANDIDATES: u32 = 20;
const SHOWN: usize = 5;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DuplicateView {
    pub ticket: String,
    pub title: String,
    pub kind: String,
    pub category: String,
    pub state: String,
    pub channel: String,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub received_at: OffsetDateTime,
    /// How alike, 0–100: shared distinctive words, raised when the contact is the same.
    pub score: u8,
    /// The reporter's e-mail, phone or NIK is the same (the value itself is not shown here).
    pub same_contact: bool,
}

impl Aduan {
    /// The likely duplicates of a case, best first. Coordinators only: they merge.
    pub async fn likely_duplicates(
        &self,
        user: &StaffUser,
        ticket: &str,
    ) -> Result<Vec<DuplicateView>, AppError> {
        if user.role != Role::Coordinator {
            return Err(AppError::Forbidden);
        }
        let case = self.scoped_case(user, ticket).await?;
        let reporter = self.store.reporter(case.id).await?.unwrap_or_default();
        let keys = contact_keys(&reporter);
        let own_terms = terms(&case.title, &case.details.description);
        let search: Vec<String> = own_terms.iter().take(SEARCH_TERMS).cloned().collect();
        let since = case.created_at - Duration::days(WINDOW_DAYS);
        let candidates = self
            .store
            .similar_cases(case.id, &keys, &search, since, CANDIDATES)
            .await?;
        let mut found = Vec::new();
        for (summary, same_contact) in candidates {
            let Some(other) = self.store.case(&summary.ticket, &Scope::All).await? else {
                continue;
            };
            let score = likeness(
                &own_terms,
                &terms(&other.title, &other.details.description),
                same_contact,
            );
            if score < MIN_SCORE && !same_contact {
                continue;
            }
            found.push(DuplicateView {
                ticket: other.ticket.to_string(),
                title: other.title.clone(),
                kind: other.kind.code().into(),
                category: other.workflow.category.clone(),
                state: other.workflow.state.code().into(),
                channel: other.channel.code().into(),
                received_at: other.created_at,
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                score: (score * 100.0).round().clamp(0.0, 100.0) as u8,
                same_contact,
            });
        }
        found.sort_by(|a, b| {
            b.score
                .cmp(&a.score)
                .then_with(|| b.received_at.cmp(&a.received_at))
        });
        found.truncate(SHOWN);
        Ok(found)
    }
}
