//! Statistics of a period, computed exactly from each case's milestones (its events), so that
//! the API, the pages and the report files show the same figures. Durations are in working
//! days of the agency's calendar, without the days the case waited for the reporter: the
//! agency is measured on its own time. Percentiles use the nearest-rank method, so every
//! figure is a duration some case really took.

use crate::calendar::Calendar;
use crate::lifecycle::Decision;
use crate::maladministration::Maladministration;
use crate::{Channel, Kind, Privacy};
use serde::Serialize;
use std::collections::BTreeMap;
use time::{Date, Duration, OffsetDateTime};

/// A half-open span of time `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: OffsetDateTime,
    pub to: OffsetDateTime,
}

impl Period {
    pub fn contains(&self, at: OffsetDateTime) -> bool {
        self.from <= at && at < self.to
    }
}

/// Something that happened to a case that the statistics count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Milestone {
    Verified,
    Rejected,
    Forwarded,
    /// An answer was published (the first one is the first answer).
    Answered {
        decision: Option<Decision>,
        exemption: Option<String>,
    },
    /// The agency asked the reporter for information: its clock stops.
    Paused,
    /// An information request's decision deadline was extended (once, with notice).
    Extended,
    /// The reporter answered: the clock runs again.
    Resumed,
    Rated(u8),
    Accepted,
    Objected,
}

/// What the statistics need of one case: no personal data.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseFacts {
    /// Not personal data: the public tracking number.
    pub ticket: String,
    pub kind: Kind,
    pub category: String,
    pub lead_unit: Option<String>,
    pub channel: Channel,
    pub privacy: Privacy,
    /// The province as written, if given.
    pub region: Option<String>,
    pub received_at: OffsetDateTime,
    /// When it reached a terminal state (closed, rejected, forwarded).
    pub closed_at: Option<OffsetDateTime>,
    /// The first due time the agency let pass.
    pub breached_at: Option<OffsetDateTime>,
    /// The current due time, while someone at the agency owes a step.
    pub owed_due_at: Option<OffsetDateTime>,
    /// In time order.
    pub milestones: Vec<(OffsetDateTime, Milestone)>,
    /// The forms of maladministration a complaint alleges, as last classified.
    pub maladministration: Vec<Maladministration>,
}

impl CaseFacts {
    fn open_at(&self, at: OffsetDateTime) -> bool {
        self.received_at < at && self.closed_at.is_none_or(|c| c >= at)
    }

    /// Overdue at `at`: a due time had passed by then (recorded as breached), or the case is
    /// still owed now with a due time before `at`.
    fn overdue_at(&self, at: OffsetDateTime) -> bool {
        self.open_at(at)
            && (self.breached_at.is_some_and(|b| b < at)
                || (self.closed_at.is_none() && self.owed_due_at.is_some_and(|d| d < at)))
    }

    fn first(&self, wanted: impl Fn(&Milestone) -> bool) -> Option<OffsetDateTime> {
        self.milestones
            .iter()
            .find(|(_, m)| wanted(m))
            .map(|(at, _)| *at)
    }

    /// Working days from receipt to `until`, less the working days spent waiting for the
    /// reporter in between.
    pub fn agency_days(&self, until: OffsetDateTime, cal: &Calendar) -> i64 {
        let mut paused_days = 0;
        let mut paused_since = None;
        for (at, milestone) in self.milestones.iter().filter(|(at, _)| *at <= until) {
            match milestone {
                Milestone::Paused => paused_since = paused_since.or(Some(*at)),
                Milestone::Resumed => {
                    if let Some(since) = paused_since.take() {
                        paused_days += cal.working_days_between(since, *at);
                    }
                }
                _ => {}
            }
        }
        if let Some(since) = paused_since {
            paused_days += cal.working_days_between(since, until);
        }
        (cal.working_days_between(self.received_at, until) - paused_days).max(0)
    }
}

/// The filters of a statistics request; `None` is everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub kind: Option<Kind>,
    pub category: Option<String>,
    pub unit: Option<String>,
    pub channel: Option<Channel>,
    pub privacy: Option<Privacy>,
    /// A province, compared without case or surrounding spaces.
    pub region: Option<String>,
}

impl Filter {
    pub fn matches(&self, case: &CaseFacts) -> bool {
        self.kind.is_none_or(|k| k == case.kind)
            && self.category.as_ref().is_none_or(|c| *c == case.category)
            && self
                .unit
                .as_ref()
                .is_none_or(|u| case.lead_unit.as_ref() == Some(u))
            && self.channel.is_none_or(|c| c == case.channel)
            && self.privacy.is_none_or(|p| p == case.privacy)
            && self.region.as_ref().is_none_or(|r| {
                case.region
                    .as_deref()
                    .is_some_and(|own| same_region(own, r))
            })
    }
}

/// Province names as people write them: case and spacing do not matter.
pub fn same_region(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    norm(a) == norm(b)
}

/// Median and 90th percentile of durations in working days.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Durations {
    /// How many cases the figures are over.
    pub cases: u64,
    pub median: Option<i64>,
    pub p90: Option<i64>,
}

impl Durations {
    pub(crate) fn of(mut days: Vec<i64>) -> Self {
        days.sort_unstable();
        Self {
            cases: days.len() as u64,
            median: nearest_rank(&days, 50),
            p90: nearest_rank(&days, 90),
        }
    }
}

/// The smallest value with at least `percent`% of the values at or below it.
fn nearest_rank(sorted: &[i64], percent: usize) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (percent * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// Cases closed on time ÷ (cases closed + open cases overdue at the period's end): leaving a
/// case open never improves it. Not given below the minimum group size.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OnTime {
    pub closed: u64,
    pub closed_on_time: u64,
    pub open_overdue: u64,
    /// Percent, one decimal; `None` when fewer cases than the minimum count.
    pub rate: Option<f64>,
}

impl OnTime {
    fn new(closed: u64, closed_on_time: u64, open_overdue: u64, min_group: u64) -> Self {
        let denominator = closed + open_overdue;
        let rate = (denominator > 0 && denominator >= min_group)
            .then(|| (closed_on_time as f64 * 1000.0 / denominator as f64).round() / 10.0);
        Self {
            closed,
            closed_on_time,
            open_overdue,
            rate,
        }
    }
}

/// What reporters thought of the answers given.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Satisfaction {
    pub ratings: u64,
    /// Mean rating (1–5), one decimal.
    pub average: Option<f64>,
    pub accepted: u64,
    pub objected: u64,
    /// Accepted ÷ (accepted + objected), percent with one decimal.
    pub accepted_share: Option<f64>,
}

/// One row of a breakdown: a code and how many cases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Count {
    pub key: String,
    pub cases: u64,
}

/// One unit's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitFigures {
    /// The lead unit's code; `-` for cases not yet sent to a unit.
    pub unit: String,
    pub received: u64,
    pub closed: u64,
    pub open_at_end: u64,
    pub overdue_at_end: u64,
    pub on_time: OnTime,
}

/// Received and closed in one week (Monday to Sunday, the agency's time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WeekFigures {
    /// The Monday.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub week: Date,
    pub received: u64,
    pub closed: u64,
}

/// The figures of a period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Statistics {
    pub received: u64,
    pub verified: u64,
    pub rejected: u64,
    pub forwarded: u64,
    /// Cases that got their first answer in the period.
    pub answered: u64,
    pub closed: u64,
    pub open_at_end: u64,
    pub overdue_at_end: u64,
    pub days_to_verify: Durations,
    pub days_to_first_answer: Durations,
    pub days_to_close: Durations,
    pub on_time: OnTime,
    pub satisfaction: Satisfaction,
    /// Received in the period, most first.
    pub by_category: Vec<Count>,
    pub by_region: Vec<Count>,
    pub by_channel: Vec<Count>,
    pub by_kind: Vec<Count>,
    pub by_unit: Vec<UnitFigures>,
    pub weeks: Vec<WeekFigures>,
    /// Complaints received in the period that allege some form of maladministration.
    pub alleging_maladministration: u64,
    /// Complaints received in the period per form alleged (one complaint may allege several),
    /// most first; forms no complaint alleged are left out.
    pub by_maladministration: Vec<Count>,
}

#[derive(Default)]
struct UnitTally {
    received: u64,
    closed: u64,
    closed_on_time: u64,
    open_at_end: u64,
    overdue_at_end: u64,
}

/// Computes the figures of `period` over `cases` (already filtered). `min_group` is the
/// smallest number of cases a rate is given for.
pub fn compute(cases: &[CaseFacts], period: Period, cal: &Calendar, min_group: u64) -> Statistics {
    let mut tally = Tally::new(period, cal, min_group);
    for case in cases {
        tally.add(case, cal);
    }
    tally.finish()
}

/// The figures of a period, counted one case at a time: a month of a million cases is folded
/// in as it is read, without holding every case's milestones at once.
pub struct Tally {
    period: Period,
    min_group: u64,
    s: Statistics,
    to_verify: Vec<i64>,
    to_answer: Vec<i64>,
    to_close: Vec<i64>,
    closed_on_time: u64,
    ratings: u64,
    rating_sum: u64,
    categories: BTreeMap<String, u64>,
    regions: BTreeMap<String, u64>,
    channels: BTreeMap<String, u64>,
    kinds: BTreeMap<String, u64>,
    maladministration: BTreeMap<String, u64>,
    units: BTreeMap<String, UnitTally>,
    weeks: BTreeMap<Date, (u64, u64)>,
}

impl Tally {
    pub fn new(period: Period, cal: &Calendar, min_group: u64) -> Self {
        Self {
            period,
            min_group,
            s: Statistics::default(),
            to_verify: Vec::new(),
            to_answer: Vec::new(),
            to_close: Vec::new(),
            closed_on_time: 0,
            ratings: 0,
            rating_sum: 0,
            categories: BTreeMap::new(),
            regions: BTreeMap::new(),
            channels: BTreeMap::new(),
            kinds: BTreeMap::new(),
            maladministration: BTreeMap::new(),
            units: BTreeMap::new(),
            weeks: week_buckets(period, cal),
        }
    }

    /// Counts one case (already filtered) into the period's figures.
    pub fn add(&mut self, case: &CaseFacts, cal: &Calendar) {
        let (period, s) = (self.period, &mut self.s);
        let unit = counter(&mut self.units, case.lead_unit.as_deref().unwrap_or("-"));
        if period.contains(case.received_at) {
            s.received += 1;
            unit.received += 1;
            *counter(&mut self.categories, &case.category) += 1;
            *counter(&mut self.channels, case.channel.code()) += 1;
            *counter(&mut self.kinds, case.kind.code()) += 1;
            if let Some(region) = &case.region {
                let key = region.split_whitespace().collect::<Vec<_>>().join(" ");
                *self.regions.entry(key).or_default() += 1;
            }
            if let Some(week) = self
                .weeks
                .get_mut(&monday_of(cal.local_date(case.received_at)))
            {
                week.0 += 1;
            }
            if case.kind == Kind::Complaint && !case.maladministration.is_empty() {
                s.alleging_maladministration += 1;
                for form in &case.maladministration {
                    *counter(&mut self.maladministration, form.code()) += 1;
                }
            }
        }
        if let Some(at) = case.first(|m| *m == Milestone::Verified)
            && period.contains(at)
        {
            s.verified += 1;
            self.to_verify.push(case.agency_days(at, cal));
        }
        if case
            .first(|m| *m == Milestone::Rejected)
            .is_some_and(|at| period.contains(at))
        {
            s.rejected += 1;
        }
        if case
            .first(|m| *m == Milestone::Forwarded)
            .is_some_and(|at| period.contains(at))
        {
            s.forwarded += 1;
        }
        if let Some(at) = case.first(|m| matches!(m, Milestone::Answered { .. }))
            && period.contains(at)
        {
            s.answered += 1;
            self.to_answer.push(case.agency_days(at, cal));
        }
        if let Some(at) = case.closed_at
            && period.contains(at)
        {
            s.closed += 1;
            unit.closed += 1;
            self.to_close.push(case.agency_days(at, cal));
            if case.breached_at.is_none() {
                self.closed_on_time += 1;
                unit.closed_on_time += 1;
            }
            if let Some(week) = self.weeks.get_mut(&monday_of(cal.local_date(at))) {
                week.1 += 1;
            }
        }
        if case.open_at(period.to) {
            s.open_at_end += 1;
            unit.open_at_end += 1;
        }
        if case.overdue_at(period.to) {
            s.overdue_at_end += 1;
            unit.overdue_at_end += 1;
        }
        for (at, milestone) in &case.milestones {
            if !period.contains(*at) {
                continue;
            }
            match milestone {
                Milestone::Rated(r) => {
                    self.ratings += 1;
                    self.rating_sum += u64::from(*r);
                }
                Milestone::Accepted => s.satisfaction.accepted += 1,
                Milestone::Objected => s.satisfaction.objected += 1,
                _ => {}
            }
        }
    }

    pub fn finish(self) -> Statistics {
        let Tally {
            min_group,
            mut s,
            to_verify,
            to_answer,
            to_close,
            closed_on_time,
            ratings,
            rating_sum,
            categories,
            regions,
            channels,
            kinds,
            maladministration,
            units,
            weeks,
            ..
        } = self;
        s.days_to_verify = Durations::of(to_verify);
        s.days_to_first_answer = Durations::of(to_answer);
        s.days_to_close = Durations::of(to_close);
        s.on_time = OnTime::new(s.closed, closed_on_time, s.overdue_at_end, min_group);
        s.satisfaction.ratings = ratings;
        s.satisfaction.average =
            (ratings > 0).then(|| (rating_sum as f64 * 10.0 / ratings as f64).round() / 10.0);
        let reacted = s.satisfaction.accepted + s.satisfaction.objected;
        s.satisfaction.accepted_share = (reacted > 0)
            .then(|| (s.satisfaction.accepted as f64 * 1000.0 / reacted as f64).round() / 10.0);
        s.by_category = ranked(categories);
        s.by_region = ranked(common_regions(regions, min_group));
        s.by_channel = ranked(channels);
        s.by_kind = ranked(kinds);
        s.by_maladministration = ranked(maladministration);
        s.by_unit = units
            .into_iter()
            .filter(|(_, t)| t.received + t.closed + t.open_at_end > 0)
            .map(|(unit, t)| UnitFigures {
                unit,
                received: t.received,
                closed: t.closed,
                open_at_end: t.open_at_end,
                overdue_at_end: t.overdue_at_end,
                on_time: OnTime::new(t.closed, t.closed_on_time, t.overdue_at_end, min_group),
            })
            .collect();
        s.weeks = weeks
            .into_iter()
            .map(|(week, (received, closed))| WeekFigures {
                week,
                received,
                closed,
            })
            .collect();
        s
    }
}

fn counter<'m, V: Default>(map: &'m mut BTreeMap<String, V>, key: &str) -> &'m mut V {
    map.entry(key.to_string()).or_default()
}

/// Regions are free text: a "province" written by fewer than `min_group` reporters is counted
/// under `-` with the other rare ones, so that what one person typed is never shown.
fn common_regions(regions: BTreeMap<String, u64>, min_group: u64) -> BTreeMap<String, u64> {
    let mut kept = BTreeMap::new();
    for (region, n) in regions {
        let key = if n >= min_group.max(1) {
            region
        } else {
            "-".to_string()
        };
        *kept.entry(key).or_default() += n;
    }
    kept
}

/// Most cases first; ties by code, so the order is stable everywhere.
pub(crate) fn ranked(counts: BTreeMap<String, u64>) -> Vec<Count> {
    let mut rows: Vec<Count> = counts
        .into_iter()
        .map(|(key, cases)| Count { key, cases })
        .collect();
    rows.sort_by(|a, b| b.cases.cmp(&a.cases).then_with(|| a.key.cmp(&b.key)));
    rows
}

fn monday_of(date: Date) -> Date {
    let back = i64::from(date.weekday().number_days_from_monday());
    date.saturating_sub(Duration::days(back))
}

/// One bucket per week that the period touches.
fn week_buckets(period: Period, cal: &Calendar) -> BTreeMap<Date, (u64, u64)> {
    let mut weeks = BTreeMap::new();
    let first = monday_of(cal.local_date(period.from));
    let last = cal.local_date(period.to - Duration::NANOSECOND);
    let mut week = first;
    // At most ten years of weeks, whatever the period asked for.
    while week <= last && weeks.len() < 530 {
        weeks.insert(week, (0, 0));
        week = week.saturating_add(Duration::weeks(1));
    }
    weeks
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn cal() -> Calendar {
        let table: crate::calendar::HolidayTable =
            toml::from_str(crate::calendar::SHIPPED_HOLIDAYS).unwrap();
        Calendar::new(time::macros::offset!(+7), &table)
    }

    fn case(received: OffsetDateTime) -> CaseFacts {
        CaseFacts {
            ticket: "ADU-2026-000001".into(),
            kind: Kind::Complaint,
            category: "rusun".into(),
            lead_unit: Some("rusun".into()),
            channel: Channel::Web,
            privacy: Privacy::Public,
            region: Some("DKI  Jakarta".into()),
            received_at: received,
            closed_at: None,
            breached_at: None,
            owed_due_at: None,
            milestones: Vec::new(),
            maladministration: Vec::new(),
        }
    }

    #[test]
    fn percentiles_are_values_cases_really_took() {
        assert_eq!(nearest_rank(&[], 50), None);
        assert_eq!(nearest_rank(&[4], 90), Some(4));
        let days: Vec<i64> = (1..=10).collect();
        assert_eq!(nearest_rank(&days, 50), Some(5));
        assert_eq!(nearest_rank(&days, 90), Some(9));
        assert_eq!(nearest_rank(&[1, 2, 3], 50), Some(2));
    }

    #[test]
    fn days_waiting_for_the_reporter_are_not_the_agencys() {
        // Monday 2 Nov 2026 in, paused Wed 4th to Tue 10th (4 working days), answered Fri 13th.
        let mut c = case(datetime!(2026-11-02 09:00 +7));
        c.milestones = vec![
            (datetime!(2026-11-04 10:00 +7), Milestone::Paused),
            (datetime!(2026-11-10 10:00 +7), Milestone::Resumed),
        ];
        let answered = datetime!(2026-11-13 15:00 +7);
        assert_eq!(cal().working_days_between(c.received_at, answered), 9);
        assert_eq!(c.agency_days(answered, &cal()), 5);
        // Still waiting when measured: the wait so far is left out.
        c.milestones.truncate(1);
        assert_eq!(c.agency_days(datetime!(2026-11-06 10:00 +7), &cal()), 2);
    }

    #[test]
    fn a_rate_needs_enough_cases() {
        assert_eq!(OnTime::new(3, 2, 1, 5).rate, None);
        assert_eq!(OnTime::new(4, 3, 1, 5).rate, Some(60.0));
        assert_eq!(OnTime::new(0, 0, 0, 0).rate, None);
    }

    #[test]
    fn weeks_start_on_monday_and_cover_the_period() {
        let period = Period {
            from: datetime!(2026-10-01 00:00 +7),
            to: datetime!(2026-11-01 00:00 +7),
        };
        let weeks: Vec<Date> = week_buckets(period, &cal()).into_keys().collect();
        assert_eq!(
            weeks.first().map(|d| d.to_string()),
            Some("2026-09-28".into())
        );
        assert_eq!(
            weeks.last().map(|d| d.to_string()),
            Some("2026-10-26".into())
        );
        assert_eq!(weeks.len(), 5);
    }

    #[test]
    fn rare_regions_are_counted_together() {
        let regions = BTreeMap::from([
            ("DKI Jakarta".to_string(), 6),
            ("Rumah Pak Budi".to_string(), 1),
            ("Banten".to_string(), 2),
        ]);
        let kept = common_regions(regions, 5);
        assert_eq!(
            kept,
            BTreeMap::from([("-".to_string(), 3), ("DKI Jakarta".to_string(), 6)])
        );
    }

    #[test]
    fn regions_match_whatever_their_spacing_or_case() {
        let filter = Filter {
            region: Some("dki jakarta".into()),
            ..Filter::default()
        };
        assert!(filter.matches(&case(datetime!(2026-11-02 09:00 +7))));
        let filter = Filter {
            region: Some("Jawa Barat".into()),
            ..Filter::default()
        };
        assert!(!filter.matches(&case(datetime!(2026-11-02 09:00 +7))));
    }
}
