//! The working-day calendar (hari kerja): Monday to Friday, minus national holidays and cuti
//! bersama, plus working Saturdays, in the agency's time zone. Deadlines count in these days and
//! end at the end of the last working day, local time.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use time::{Date, Duration, OffsetDateTime, Time, UtcOffset, Weekday};

/// The shipped table of one year, as in `data/holidays.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolidayYear {
    pub year: i32,
    pub decree: String,
    #[serde(with = "date_list")]
    pub national: Vec<Date>,
    #[serde(with = "date_list")]
    pub collective_leave: Vec<Date>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolidayTable {
    pub version: u32,
    pub year: Vec<HolidayYear>,
}

/// The shipped holiday table, embedded so that the binary works without its source tree.
pub const SHIPPED_HOLIDAYS: &str = include_str!("../data/holidays.toml");

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    offset: UtcOffset,
    days_off: BTreeSet<Date>,
    working_saturdays: BTreeSet<Date>,
    covered_years: BTreeSet<i32>,
}

impl Calendar {
    pub fn new(offset: UtcOffset, table: &HolidayTable) -> Self {
        let mut days_off = BTreeSet::new();
        let mut covered_years = BTreeSet::new();
        for year in &table.year {
            covered_years.insert(year.year);
            days_off.extend(year.national.iter().chain(&year.collective_leave).copied());
        }
        Self {
            offset,
            days_off,
            working_saturdays: BTreeSet::new(),
            covered_years,
        }
    }

    /// Adds a day off decided later (an election day, a regional holiday).
    pub fn add_day_off(&mut self, date: Date) {
        self.days_off.insert(date);
    }

    /// Adds a Saturday (or Sunday) that is worked, as sometimes ordered to make up for leave.
    pub fn add_working_day(&mut self, date: Date) {
        self.working_saturdays.insert(date);
    }

    pub fn offset(&self) -> UtcOffset {
        self.offset
    }

    /// Whether the holidays of a year are known; a year without data must be reported loudly
    /// rather than silently counted as all working days.
    pub fn covers(&self, year: i32) -> bool {
        self.covered_years.contains(&year)
    }

    pub fn covered_years(&self) -> impl Iterator<Item = i32> + '_ {
        self.covered_years.iter().copied()
    }

    pub fn is_working_day(&self, date: Date) -> bool {
        if self.working_saturdays.contains(&date) {
            return true;
        }
        !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
            && !self.days_off.contains(&date)
    }

    pub fn local_date(&self, instant: OffsetDateTime) -> Date {
        instant.to_offset(self.offset).date()
    }

    /// The first instant of a day, local time.
    pub fn start_of_day(&self, date: Date) -> OffsetDateTime {
        date.midnight().assume_offset(self.offset)
    }

    /// The last instant of a day, local time.
    pub fn end_of_day(&self, date: Date) -> OffsetDateTime {
        date.with_time(Time::MAX).assume_offset(self.offset)
    }

    /// The end of the `n`-th working day after the local day of `from`. With `n = 0`, the end
    /// of that day if it is a working day, else of the next working day.
    pub fn add_working_days(&self, from: OffsetDateTime, n: u32) -> OffsetDateTime {
        let mut date = self.local_date(from);
        if n == 0 {
            while !self.is_working_day(date) {
                date = next_day(date);
            }
            return self.end_of_day(date);
        }
        let mut left = n;
        while left > 0 {
            date = next_day(date);
            if self.is_working_day(date) {
                left -= 1;
            }
        }
        self.end_of_day(date)
    }

    /// Working days after the local day of `from` up to and including the local day of `to`
    /// (negative when `to` is earlier). Counted by arithmetic on whole weeks and lookups in the
    /// day lists, not day by day: the backlog asks this for cases years overdue.
    pub fn working_days_between(&self, from: OffsetDateTime, to: OffsetDateTime) -> i64 {
        let (a, b) = (self.local_date(from), self.local_date(to));
        let (start, end, sign) = if a <= b { (a, b, 1) } else { (b, a, -1) };
        if start == end {
            return 0;
        }
        let after_start = next_day(start);
        let weekdays = weekdays_in(after_start, end);
        let days_off = self
            .days_off
            .range(after_start..=end)
            .filter(|d| !is_weekend(**d) && !self.working_saturdays.contains(d))
            .count() as i64;
        let worked_weekend_days = self
            .working_saturdays
            .range(after_start..=end)
            .filter(|d| is_weekend(**d))
            .count() as i64;
        (weekdays - days_off + worked_weekend_days) * sign
    }
}

fn is_weekend(date: Date) -> bool {
    matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// Monday-to-Friday days from `first` to `last`, both included (`first <= last`).
fn weekdays_in(first: Date, last: Date) -> i64 {
    let days = (last - first).whole_days() + 1;
    let mut count = days / 7 * 5;
    let mut date = first;
    for _ in 0..days % 7 {
        if !is_weekend(date) {
            count += 1;
        }
        date = next_day(date);
    }
    count
}

fn next_day(date: Date) -> Date {
    date.saturating_add(Duration::DAY)
}

mod date_list {
    use serde::{Deserialize, Deserializer, Serializer, de::Error, ser::SerializeSeq};
    use time::{Date, format_description::BorrowedFormatItem, macros::format_description};

    const FORMAT: &[BorrowedFormatItem<'_>] = format_description!("[year]-[month]-[day]");

    pub fn serialize<S: Serializer>(dates: &[Date], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(dates.len()))?;
        for date in dates {
            let text = date.format(FORMAT).map_err(serde::ser::Error::custom)?;
            seq.serialize_element(&text)?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Date>, D::Error> {
        let texts = Vec::<String>::deserialize(d)?;
        texts
            .iter()
            .map(|t| Date::parse(t, FORMAT).map_err(|e| D::Error::custom(format!("{t}: {e}"))))
            .collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::{datetime, offset};

    /// The shipped table, parsed the way the application parses it.
    pub fn shipped() -> Calendar {
        Calendar::new(offset!(+7), &shipped_table())
    }

    fn shipped_table() -> HolidayTable {
        toml::from_str(SHIPPED_HOLIDAYS).unwrap()
    }

    #[test]
    fn shipped_table_has_three_years_with_decree_counts() {
        let table = shipped_table();
        let counts: Vec<(i32, usize, usize)> = table
            .year
            .iter()
            .map(|y| (y.year, y.national.len(), y.collective_leave.len()))
            .collect();
        assert_eq!(counts, vec![(2025, 17, 11), (2026, 17, 8), (2027, 18, 8)]);
    }

    #[test]
    fn case_received_before_idulfitri_2026() {
        // Tuesday 17 March 2026, 10:00 WIB. 18 (cuti), 19 (Nyepi), 20 (cuti), 21–22 (weekend,
        // Idulfitri), 23–24 (cuti) are off: working days are 25, 26, 27 March.
        let cal = shipped();
        let received = datetime!(2026-03-17 10:00 +7);
        assert_eq!(
            cal.add_working_days(received, 3),
            datetime!(2026-03-27 23:59:59.999_999_999 +7)
        );
        assert_eq!(
            cal.add_working_days(received, 1),
            datetime!(2026-03-25 23:59:59.999_999_999 +7)
        );
        // A 10-working-day information request from the same moment ends on 8 April 2026
        // (3 April is Good Friday).
        assert_eq!(
            cal.add_working_days(received, 10),
            datetime!(2026-04-08 23:59:59.999_999_999 +7)
        );
    }

    #[test]
    fn utc_instants_count_in_local_days() {
        let cal = shipped();
        // 23:30 UTC on Friday 2 Jan 2026 is already Saturday 3 Jan in WIB.
        let late_friday_utc = datetime!(2026-01-02 23:30 UTC);
        assert_eq!(
            cal.add_working_days(late_friday_utc, 1),
            datetime!(2026-01-05 23:59:59.999_999_999 +7)
        );
    }

    #[test]
    fn extra_days_off_and_working_saturdays() {
        let mut cal = shipped();
        let friday = datetime!(2026-11-27 09:00 +7);
        assert_eq!(
            cal.add_working_days(friday, 1),
            datetime!(2026-11-30 23:59:59.999_999_999 +7)
        );
        cal.add_working_day(time::macros::date!(2026 - 11 - 28));
        assert_eq!(
            cal.add_working_days(friday, 1),
            datetime!(2026-11-28 23:59:59.999_999_999 +7)
        );
        cal.add_day_off(time::macros::date!(2026 - 11 - 28));
        cal.add_day_off(time::macros::date!(2026 - 11 - 30));
        // A working Saturday wins over a day off on the same date; Monday is now off.
        assert_eq!(
            cal.add_working_days(friday, 2),
            datetime!(2026-12-01 23:59:59.999_999_999 +7)
        );
        assert!(cal.covers(2026) && !cal.covers(2028));
    }

    proptest! {
        #[test]
        fn adding_then_counting_gives_back_n(days in 0i64..(3 * 365), n in 1u32..60, minute in 0i64..1440) {
            let cal = shipped();
            let from = datetime!(2025-01-01 00:00 +7) + Duration::days(days) + Duration::minutes(minute);
            let due = cal.add_working_days(from, n);
            prop_assert!(cal.is_working_day(cal.local_date(due)));
            prop_assert_eq!(cal.working_days_between(from, due), i64::from(n));
            prop_assert_eq!(cal.working_days_between(due, from), -i64::from(n));
        }

        #[test]
        fn counting_matches_walking_day_by_day(
            start in 0i64..(3 * 365),
            span in 0i64..(4 * 365),
            extra_off in proptest::collection::vec(0i64..(3 * 365), 0..6),
            extra_worked in proptest::collection::vec(0i64..(3 * 365), 0..6),
        ) {
            let mut cal = shipped();
            let base = time::macros::date!(2025 - 01 - 01);
            for d in extra_off {
                cal.add_day_off(base + Duration::days(d));
            }
            for d in extra_worked {
                cal.add_working_day(base + Duration::days(d));
            }
            let from = datetime!(2025-01-01 10:00 +7) + Duration::days(start);
            let to = from + Duration::days(span);
            let mut walked = 0;
            let mut date = cal.local_date(from);
            while date < cal.local_date(to) {
                date = next_day(date);
                if cal.is_working_day(date) {
                    walked += 1;
                }
            }
            prop_assert_eq!(cal.working_days_between(from, to), walked);
            prop_assert_eq!(cal.working_days_between(to, from), -walked);
        }
    }
}
