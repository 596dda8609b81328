//! On PostgreSQL, the staff lists whose statement admits one good plan, whatever its values,
//! are planned once per connection instead of on every run.
//!
//! The reads' pool plans every statement with its values (`force_custom_plan`), because a
//! generic plan for a time range like `due_at < $1` guesses a third of the table and reads it
//! all. That planning, over the 17 indexes of `cases`, was about half of PostgreSQL's work for
//! a staff list at 1,000,000 cases (BENCHMARKS.md, session 18). A list filtered on at most one
//! value (a scope of one unit counts as one), with no time range, in id order, walks one index
//! newest (or oldest) first whatever the value: the primary key, the `(column, id)` index of
//! its one filter (see `cases::walked_column`) or a unit's `case_units` rows. Its generic plan
//! is that walk, so it runs on a pool of its own with generic plans; so does a list on more
//! values when the statistics say the walk of the first one's index stays short (see
//! `list_has_one_plan`), and the plain overdue list, which walks the partial index of the
//! cases the deadline watch has marked (`cases::overdue_in_received_order`). The pool's other
//! settings keep the generic plan a walk: a generic `LIMIT $n` is guessed at a tenth of the
//! rows, which on its own made PostgreSQL gather a unit's list with parallel workers, or
//! merge-join it, 5 ms instead of 0.2 ms; and no statement of this pool is meant to read a
//! whole table.

use super::cases::{column_values, is_plain_overdue_in_received_order};
use super::search_plan::WordFrequencies;
use crate::{CaseFilter, CaseSort, Scope};

/// Session settings of the pool for lists with one plan.
pub const SETTINGS: [&str; 5] = [
    "SET plan_cache_mode = force_generic_plan",
    "SET max_parallel_workers_per_gather = 0",
    "SET enable_hashjoin = off",
    "SET enable_mergejoin = off",
    "SET enable_seqscan = off",
];

/// Whether `filter`'s list, for a member who sees `scope`, has one good plan whatever its
/// values. A text search counts as its one filter; its statement then states how it finds its
/// matches (see `cases::list`). So does a scope of one unit (a unit officer's own list walks
/// that unit's `case_units` rows). A second value could make the walk of the first one's
/// index pass most of it (the closed cases of a rare category), which a plan made with the
/// values avoids. So a list on several columns' values has one plan only when PostgreSQL's
/// statistics (`frequencies`) say the others are common enough for that walk to be the
/// cheaper way; otherwise it keeps being planned on every run.
pub fn list_has_one_plan(
    scope: &Scope,
    filter: &CaseFilter,
    frequencies: Option<&WordFrequencies>,
) -> bool {
    // A plain overdue list walks the marked cases' partial index in id order and sorts the
    // few unmarked ones past due, whatever the time it is asked at. Other overdue lists
    // compare due times over a range, whose cost the values decide.
    if filter.overdue_at.is_some() {
        return is_plain_overdue_in_received_order(scope, filter);
    }
    // Several states are walked on no index of their own.
    if !walks_in_id_order(scope, filter) || filter.states.len() > 1 {
        return false;
    }
    let columns = column_values(filter);
    let other_values = usize::from(!matches!(scope, Scope::All))
        + usize::from(!filter.text.is_empty())
        + usize::from(filter.unit.is_some());
    match (columns.as_slice(), other_values) {
        ([], 0 | 1) | ([_], 0) => true,
        ([(walked, value), others @ ..], 0) => frequencies.is_some_and(|f| {
            let others: Vec<(&str, &str)> = others
                .iter()
                .map(|(column, value)| (stats_name(column), value.as_str()))
                .collect();
            f.walk_is_cheaper((stats_name(walked), value), &others, filter.limit)
        }),
        _ => false,
    }
}

/// Whether the choices for `filter`'s list read PostgreSQL's statistics: a search's path, or
/// whether a walk on several columns' values stays short. Other lists skip them.
pub fn needs_statistics(filter: &CaseFilter) -> bool {
    !filter.text.is_empty() || column_values(filter).len() > 1
}

/// A list column's name in PostgreSQL's statistics (`c.state` is `state`).
fn stats_name(column: &str) -> &str {
    column.strip_prefix("c.").unwrap_or(column)
}

/// Whether the list is in id order, without a time range or privacy, for a scope that a
/// walk can answer.
fn walks_in_id_order(scope: &Scope, filter: &CaseFilter) -> bool {
    let scope_walks = match scope {
        Scope::All => true,
        Scope::Units(units) => units.len() == 1,
        // Several units are a semi-join whose best order depends on how many cases each holds.
        Scope::RegisteredBy(_) | Scope::Nothing => false,
    };
    scope_walks
        && matches!(filter.sort, CaseSort::Newest | CaseSort::Oldest)
        && filter.privacy.is_none()
        && filter.created_from.is_none()
        && filter.created_to.is_none()
        && filter.overdue_at.is_none()
        && filter.due_from.is_none()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aduan_domain::{Channel, Kind, Privacy, State};
    use std::collections::HashMap;
    use time::macros::datetime;

    /// Shares as PostgreSQL tracked them at 1,000,000 demo cases, and a rare category.
    fn demo() -> WordFrequencies {
        let values = [
            ("state", "closed", 0.77),
            ("state", "in_progress", 0.005),
            ("category", "rusun", 0.112),
            ("category", "bencana", 0.0004),
            ("channel", "lapor", 0.125),
            ("kind", "complaint", 0.37),
        ]
        .into_iter()
        .map(|(c, v, s)| ((c.to_string(), v.to_string()), s))
        .collect();
        WordFrequencies::new(HashMap::new(), 1_000_000.0).with_values(values)
    }

    fn filter() -> CaseFilter {
        CaseFilter {
            limit: 50,
            ..CaseFilter::default()
        }
    }

    #[test]
    fn lists_on_at_most_one_value_in_id_order_have_one_plan() {
        let one_value = [
            filter(),
            CaseFilter {
                states: vec![State::InProgress],
                ..filter()
            },
            CaseFilter {
                kind: Some(Kind::Complaint),
                sort: CaseSort::Oldest,
                ..filter()
            },
            CaseFilter {
                category: Some("rusun".into()),
                cursor_id: Some(500),
                ..filter()
            },
            CaseFilter {
                unit: Some("swadaya".into()),
                ..filter()
            },
            CaseFilter {
                channel: Some(Channel::Lapor),
                ..filter()
            },
            CaseFilter {
                text: vec!["bocor".into(), "atap".into()],
                ..filter()
            },
        ];
        for f in &one_value {
            assert!(list_has_one_plan(&Scope::All, f, None), "{f:?}");
        }
    }

    #[test]
    fn lists_whose_best_plan_depends_on_their_values_are_planned_each_time() {
        let at = datetime!(2026-11-30 08:00 UTC);
        let planned_each_time = [
            CaseFilter {
                states: vec![State::Received, State::Verified],
                ..filter()
            },
            CaseFilter {
                states: vec![State::Closed],
                category: Some("bencana".into()),
                ..filter()
            },
            CaseFilter {
                states: vec![State::Closed],
                category: Some("tidak_tercatat".into()),
                ..filter()
            },
            CaseFilter {
                states: vec![State::InProgress],
                category: Some("rusun".into()),
                unit: Some("rusun".into()),
                ..filter()
            },
            CaseFilter {
                text: vec!["bocor".into()],
                unit: Some("swadaya".into()),
                ..filter()
            },
            CaseFilter {
                privacy: Some(Privacy::Public),
                ..filter()
            },
            CaseFilter {
                overdue_at: Some(at),
                category: Some("rusun".into()),
                ..filter()
            },
            CaseFilter {
                overdue_at: Some(at),
                sort: CaseSort::DueSoonest,
                ..filter()
            },
            CaseFilter {
                created_from: Some(at),
                ..filter()
            },
            CaseFilter {
                created_to: Some(at),
                ..filter()
            },
            CaseFilter {
                due_from: Some(at),
                ..filter()
            },
            CaseFilter {
                sort: CaseSort::DueSoonest,
                ..filter()
            },
        ];
        for f in &planned_each_time {
            assert!(!list_has_one_plan(&Scope::All, f, Some(&demo())), "{f:?}");
        }
    }

    #[test]
    fn the_plain_overdue_list_in_received_order_has_one_plan() {
        let at = datetime!(2026-11-30 08:00 UTC);
        let plain = [
            CaseFilter {
                overdue_at: Some(at),
                ..filter()
            },
            CaseFilter {
                overdue_at: Some(at),
                states: vec![State::Received, State::InProgress],
                sort: CaseSort::Oldest,
                cursor_id: Some(900),
                ..filter()
            },
        ];
        for f in &plain {
            assert!(list_has_one_plan(&Scope::All, f, None), "{f:?}");
            // A unit's overdue cases are collected through its own rows, not walked.
            let unit = Scope::Units(vec!["rusun".into()]);
            assert!(!list_has_one_plan(&unit, f, None), "{f:?}");
        }
    }

    #[test]
    fn lists_on_common_values_walk_the_first_ones_index_with_one_plan() {
        let closed_rusun = CaseFilter {
            states: vec![State::Closed],
            category: Some("rusun".into()),
            ..filter()
        };
        let lapor_complaints = CaseFilter {
            channel: Some(Channel::Lapor),
            kind: Some(Kind::Complaint),
            ..filter()
        };
        for f in [&closed_rusun, &lapor_complaints] {
            assert!(list_has_one_plan(&Scope::All, f, Some(&demo())), "{f:?}");
            // Without statistics nothing says the walk is short.
            assert!(!list_has_one_plan(&Scope::All, f, None), "{f:?}");
        }
        // In progress is rare, but it leads the walk: its index holds only matches of it, and
        // a common second value is met within a few of them.
        let in_progress_rusun = CaseFilter {
            states: vec![State::InProgress],
            category: Some("rusun".into()),
            ..filter()
        };
        assert!(list_has_one_plan(
            &Scope::All,
            &in_progress_rusun,
            Some(&demo())
        ));
    }

    #[test]
    fn only_searches_and_lists_on_several_values_read_the_statistics() {
        let state_only = CaseFilter {
            states: vec![State::Closed],
            ..filter()
        };
        let closed_rusun = CaseFilter {
            category: Some("rusun".into()),
            ..state_only.clone()
        };
        let search = CaseFilter {
            text: vec!["bocor".into()],
            ..filter()
        };
        assert!(!needs_statistics(&filter()));
        assert!(!needs_statistics(&state_only));
        assert!(needs_statistics(&closed_rusun));
        assert!(needs_statistics(&search));
    }

    #[test]
    fn a_scope_of_one_unit_is_a_lists_one_value() {
        let one_unit = Scope::Units(vec!["rusun".into()]);
        assert!(list_has_one_plan(&one_unit, &filter(), None));
        let in_progress = CaseFilter {
            states: vec![State::InProgress],
            ..filter()
        };
        assert!(!list_has_one_plan(&one_unit, &in_progress, Some(&demo())));
        for scope in [
            Scope::Units(vec!["rusun".into(), "swadaya".into()]),
            Scope::RegisteredBy("petugas".into()),
            Scope::Nothing,
        ] {
            assert!(!list_has_one_plan(&scope, &filter(), None), "{scope:?}");
        }
    }
}
