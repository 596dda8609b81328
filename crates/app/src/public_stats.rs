//! The statistics the portal shows everyone: the last twelve months' volumes, on-time rate and
//! median answer time, and the cases per category. Counts below the organisation's minimum
//! group are not shown (only that they are fewer), so no small group of cases, and no person
//! behind one, can be singled out. Where a single hidden count could be worked out by
//! subtracting the shown ones from a total the page also gives (the months add up to the same
//! total as the categories), the next smallest count is withheld with it. Computed from one
//! read of the facts and kept for an hour.

use crate::AppError;
use crate::service::Aduan;
use aduan_domain::statistics::{Filter, Period, Statistics, Tally};
use serde::Serialize;
use std::sync::Arc;
use time::{Date, Duration, Month, OffsetDateTime};

/// How long the computed figures are served before they are computed again.
const FRESH_FOR: Duration = Duration::HOUR;

/// A count, or only that it is below the minimum group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "shown", content = "value")]
pub enum Suppressed {
    Count(u64),
    /// Fewer than the minimum group (but not none).
    FewerThan(u32),
    /// Not shown although not small, so that a small count beside it cannot be worked out by
    /// subtraction.
    Withheld,
}

impl Suppressed {
    fn of(n: u64, min_group: u32) -> Self {
        if n == 0 || n >= u64::from(min_group) {
            Suppressed::Count(n)
        } else {
            Suppressed::FewerThan(min_group)
        }
    }

    /// As shown on the page: the number, or "< 5".
    pub fn text(&self) -> String {
        match self {
            Suppressed::Count(n) => n.to_string(),
            Suppressed::FewerThan(n) => format!("< {n}"),
            Suppressed::Withheld => "*".into(),
        }
    }
}

/// A list of counts that adds up to a known total as shown: small ones hidden, and, when exactly
/// one is hidden, the smallest shown one withheld too (complementary suppression), so that
/// neither can be worked out by subtraction.
fn shown(counts: &[u64], min_group: u32) -> Vec<Suppressed> {
    let mut list: Vec<Suppressed> = counts
        .iter()
        .map(|n| Suppressed::of(*n, min_group))
        .collect();
    let hidden = list
        .iter()
        .filter(|s| matches!(s, Suppressed::FewerThan(_)))
        .count();
    if hidden != 1 {
        return list;
    }
    let smallest = list
        .iter()
        .zip(counts)
        .enumerate()
        .filter(|(_, (s, _))| matches!(s, Suppressed::Count(_)))
        .min_by_key(|(_, (_, n))| **n)
        .map(|(i, _)| i);
    if let Some(shown) = smallest.and_then(|i| list.get_mut(i)) {
        *shown = Suppressed::Withheld;
    }
    list
}

/// One month on the portal.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicMonth {
    /// `YYYY-MM`.
    pub month: String,
    pub received: Suppressed,
    pub finished: Suppressed,
    /// Percent; none below the minimum group.
    pub on_time_rate: Option<f64>,
    /// Working days to the first answer; none below the minimum group.
    pub median_days_to_answer: Option<i64>,
}

/// One category over the twelve months.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicCategory {
    pub code: String,
    pub name_id: String,
    pub name_en: String,
    pub received: Suppressed,
}

/// What the portal shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicStatistics {
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub generated_at: OffsetDateTime,
    pub min_group: u32,
    /// Oldest first, ending with the current month (so far).
    pub months: Vec<PublicMonth>,
    /// Most cases first.
    pub categories: Vec<PublicCategory>,
}

fn month_start(year: i32, month: Month) -> Option<Date> {
    Date::from_calendar_date(year, month, 1).ok()
}

impl Aduan {
    /// The public figures, computed at most once an hour. The lock is held while they are
    /// computed, so the visitors who arrive meanwhile wait for that one computation instead of
    /// each starting their own.
    pub async fn public_statistics(&self) -> Result<Arc<PublicStatistics>, AppError> {
        let mut cached = self.public_stats.lock().await;
        let now = self.now();
        if let Some(stats) = cached.as_ref()
            && now - stats.generated_at < FRESH_FOR
            && now >= stats.generated_at
        {
            return Ok(stats.clone());
        }
        let stats = Arc::new(self.compute_public_statistics(now).await?);
        *cached = Some(stats.clone());
        Ok(stats)
    }

    async fn compute_public_statistics(
        &self,
        now: OffsetDateTime,
    ) -> Result<PublicStatistics, AppError> {
        let calendar = self.calendar();
        let org = self.organisation();
        let min_group = org.reports.min_group;
        let offset = calendar.offset();
        let today = calendar.local_date(now);
        let mut starts = Vec::new();
        let (mut year, mut month) = (today.year(), today.month());
        for _ in 0..12 {
            if let Some(start) = month_start(year, month) {
                starts.push(start);
            }
            if month == Month::January {
                year -= 1;
            }
            month = month.previous();
        }
        starts.reverse();
        let Some(first) = starts.first().copied() else {
            return Err(AppError::Internal("no months to show".into()));
        };
        let from = first.midnight().assume_offset(offset);
        let to = now + Duration::SECOND;
        let min = u64::from(min_group);
        // Each month and the whole year, counted in one read of the year's cases.
        let mut periods: Vec<Period> = starts
            .iter()
            .enumerate()
            .map(|(i, start)| Period {
                from: start.midnight().assume_offset(offset),
                to: starts
                    .get(i + 1)
                    .map_or(to, |next| next.midnight().assume_offset(offset)),
            })
            .collect();
        periods.push(Period { from, to });
        let mut tallies: Vec<Tally> = periods
            .iter()
            .map(|period| Tally::new(*period, &calendar, min))
            .collect();
        self.store
            .each_case_facts(None, &Filter::default(), from, to, &mut |case| {
                for tally in &mut tallies {
                    tally.add(&case, &calendar);
                }
            })
            .await?;
        let mut tallied = tallies.into_iter().map(Tally::finish);
        let figures: Vec<(&Date, Statistics)> = starts.iter().zip(tallied.by_ref()).collect();
        let year = tallied
            .next()
            .ok_or_else(|| AppError::Internal("no year to show".into()))?;
        let received = shown(
            &figures.iter().map(|(_, f)| f.received).collect::<Vec<_>>(),
            min_group,
        );
        let finished = shown(
            &figures.iter().map(|(_, f)| f.closed).collect::<Vec<_>>(),
            min_group,
        );
        let months = figures
            .iter()
            .zip(received.into_iter().zip(finished))
            .map(|((start, f), (received, finished))| {
                let answered_enough = f.days_to_first_answer.cases >= min;
                PublicMonth {
                    month: format!("{:04}-{:02}", start.year(), u8::from(start.month())),
                    received,
                    finished,
                    on_time_rate: f.on_time.rate,
                    median_days_to_answer: f
                        .days_to_first_answer
                        .median
                        .filter(|_| answered_enough),
                }
            })
            .collect();
        let received = shown(
            &year.by_category.iter().map(|c| c.cases).collect::<Vec<_>>(),
            min_group,
        );
        let categories = year
            .by_category
            .iter()
            .zip(received)
            .map(|(count, received)| {
                let known = org.categories.iter().find(|c| c.code == count.key);
                PublicCategory {
                    code: count.key.clone(),
                    name_id: known.map_or_else(|| count.key.clone(), |c| c.name_id.clone()),
                    name_en: known.map_or_else(|| count.key.clone(), |c| c.name_en.clone()),
                    received,
                }
            })
            .collect();
        Ok(PublicStatistics {
            generated_at: now,
            min_group,
            months,
            categories,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_counts_are_hidden_but_zero_is_not() {
        assert_eq!(Suppressed::of(0, 5), Suppressed::Count(0));
        assert_eq!(Suppressed::of(4, 5), Suppressed::FewerThan(5));
        assert_eq!(Suppressed::of(5, 5), Suppressed::Count(5));
        assert_eq!(Suppressed::FewerThan(5).text(), "< 5");
    }

    #[test]
    fn a_lone_hidden_count_takes_the_smallest_shown_one_with_it() {
        let counts = [40, 3, 12, 9];
        let list = shown(&counts, 5);
        assert_eq!(
            list,
            [
                Suppressed::Count(40),
                Suppressed::FewerThan(5),
                Suppressed::Count(12),
                Suppressed::Withheld
            ]
        );
        // Two hidden already: their sum is all a reader can work out.
        let counts = [40, 3, 2, 9];
        let list = shown(&counts, 5);
        assert_eq!(list[3], Suppressed::Count(9));
        // None hidden: nothing withheld.
        let counts = [40, 0, 9];
        let list = shown(&counts, 5);
        assert!(list.iter().all(|s| matches!(s, Suppressed::Count(_))));
    }
}
