//! On PostgreSQL, how a text search finds its page: by walking the cases newest first and
//! testing each (fast when the words are common), or by taking every match from the GIN index
//! and sorting them (fast when they are rare). PostgreSQL chooses from its estimate of the
//! matches, and a word missing from its statistics is estimated at half the rarest word it
//! tracks: at 1,000,000 demo cases 4,700 matches for a word no case has, so it walked the whole
//! table, 0.8 s for an empty answer (BENCHMARKS.md, session 12). Here the choice is made from
//! the same statistics (`pg_stats`) but reads a missing word as what it is, rarer than every
//! tracked one, and weighs the two costs with the page's length.

use sqlx::{AnyPool, Row};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use crate::Result;

/// How a search finds its matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchPath {
    /// No statistics to choose from: PostgreSQL chooses, from its own estimate.
    Planner,
    /// Walk the cases in the list's order and test each.
    Walk,
    /// Walk at most this many cases from the page's start, in the list's order, and collect
    /// the matches instead when the page is not full there. For several words, whose share
    /// together the statistics cannot tell (see `WordFrequencies::path`).
    WalkWithin(u64),
    /// Collect every match from the text index and sort them.
    Matches,
}

/// Reading one match from the index and the table costs about this many rows of a walk
/// (measured at 1,000,000 cases: a walk tests a row in about 0.8 µs, the index's matches cost
/// about 4 µs each).
const MATCH_COST_IN_WALKED_ROWS: f64 = 5.0;
/// A walk of this many cases (about 0.4 ms) costs no more than planning a list with its values
/// (0.3–0.35 ms at 1,000,000 cases), whatever the other way would cost.
const SHORT_WALK: f64 = 500.0;
/// Lists and searches answered from one reading of the statistics before they are read again
/// (autovacuum refreshes them as cases arrive).
const USES_PER_READING: u64 = 1_000;

/// The share of cases each tracked word appears in, the share of the most common values of
/// the columns a list filters on (`state`, `kind`, `category`, `channel`), and the number of
/// cases.
#[derive(Debug, Default)]
pub struct WordFrequencies {
    shares: HashMap<String, f64>,
    values: HashMap<(String, String), f64>,
    cases: f64,
}

impl WordFrequencies {
    pub fn new(shares: HashMap<String, f64>, cases: f64) -> Self {
        Self {
            shares,
            values: HashMap::new(),
            cases,
        }
    }

    /// With the shares of the columns' common values, keyed by column and value.
    pub fn with_values(mut self, values: HashMap<(String, String), f64>) -> Self {
        self.values = values;
        self
    }

    /// Whether a list that walks the index of one value (`walked`, a column and its value) for
    /// a page of `page` cases, testing `others` on each, reads fewer cases than collecting the
    /// matches of all the values would cost. A value the statistics do not list among its
    /// column's common ones may be rare: then no.
    pub fn walk_is_cheaper(
        &self,
        walked: (&str, &str),
        others: &[(&str, &str)],
        page: u32,
    ) -> bool {
        let share = |(column, value): (&str, &str)| {
            self.values
                .get(&(column.to_string(), value.to_string()))
                .copied()
        };
        let Some(first) = share(walked) else {
            return false;
        };
        let mut rest = 1.0;
        for other in others {
            match share(*other) {
                Some(s) => rest *= s,
                None => return false,
            }
        }
        let walked_cases = f64::from(page.max(1)) / rest.max(f64::MIN_POSITIVE);
        let matched = first * rest * self.cases * MATCH_COST_IN_WALKED_ROWS;
        walked_cases <= matched.max(SHORT_WALK)
    }

    /// The cheaper way to a page of `page` matches of all `terms`. A walk reads about `page /
    /// share` cases, the matches are about `share × cases`. For one word the statistics give
    /// its share. For several, the share of all of them together is unknown: words that always
    /// come together (`air bersih`) have their rarest one's share, words that avoid each other
    /// none, and taking them as independent, as PostgreSQL does, can make either way read most
    /// of the table. So several words are walked only as far as collecting the matches of
    /// independent words would cost (or as the shortest walk there can be, if longer), and
    /// their matches are collected when that walk does not fill the page: a wrong guess costs
    /// one bounded walk more.
    pub fn path(&self, terms: &[String], page: u32) -> SearchPath {
        if self.shares.is_empty() || self.cases < 1.0 || terms.is_empty() {
            // No statistics yet (a new or small database): PostgreSQL's choice is as good.
            return SearchPath::Planner;
        }
        let page = f64::from(page.max(1));
        let mut share = 1.0;
        let mut rarest = 1.0_f64;
        for term in terms {
            match self.shares.get(term) {
                Some(s) => {
                    share *= s;
                    rarest = rarest.min(*s);
                }
                // Rarer than every word the statistics track.
                None => return SearchPath::Matches,
            }
        }
        let matched = share * self.cases * MATCH_COST_IN_WALKED_ROWS;
        if terms.len() == 1 {
            let walked = page / share.max(f64::MIN_POSITIVE);
            return if matched < walked {
                SearchPath::Matches
            } else {
                SearchPath::Walk
            };
        }
        // The shortest walk there can be: every case with the rarest word holds the others.
        let shortest_walk = page / rarest.max(f64::MIN_POSITIVE);
        // Even then, collecting the matches would cost less than walking.
        if rarest * self.cases * MATCH_COST_IN_WALKED_ROWS <= shortest_walk {
            return SearchPath::Matches;
        }
        let budget = matched.max(shortest_walk).max(SHORT_WALK);
        // `as` saturates; the budget is positive and finite (shares are above zero).
        SearchPath::WalkWithin(budget.ceil() as u64)
    }
}

/// The word frequencies of the searchable text and the shares of the list columns' common
/// values, read from PostgreSQL's statistics now and then and shared by the searches and lists
/// that need them.
#[derive(Default)]
pub struct SearchPlanner {
    current: RwLock<Option<Arc<WordFrequencies>>>,
    uses: AtomicU64,
}

impl SearchPlanner {
    /// The statistics as last read, read again every `USES_PER_READING` uses. Statistics
    /// that cannot be read count as none, which leaves the choices to PostgreSQL: a search or
    /// list is slower then, never refused.
    pub async fn frequencies(&self, pool: &AnyPool) -> Arc<WordFrequencies> {
        let count = self.uses.fetch_add(1, Ordering::Relaxed);
        let cached = self.current.read().ok().and_then(|c| c.clone());
        match cached {
            Some(frequencies) if !count.is_multiple_of(USES_PER_READING) => frequencies,
            _ => {
                let read = match read_frequencies(pool).await {
                    Ok(read) => Arc::new(read),
                    Err(error) => {
                        tracing::warn!(%error, "the planner's statistics cannot be read");
                        Arc::new(WordFrequencies::default())
                    }
                };
                if let Ok(mut current) = self.current.write() {
                    *current = Some(read.clone());
                }
                read
            }
        }
    }

    /// Forgets the frequencies, after the statistics were refreshed.
    pub fn forget(&self) {
        if let Ok(mut current) = self.current.write() {
            *current = None;
        }
    }
}

async fn read_frequencies(pool: &AnyPool) -> Result<WordFrequencies> {
    // `most_common_elem_freqs` ends with three figures of its own (the lowest and highest
    // share, and the share of empty values), which `unnest` pairs with no word.
    let rows = sqlx::query(
        "SELECT m.word, m.share::float8 AS share \
         FROM pg_stats s, \
              unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS m(word, share) \
         WHERE s.schemaname = current_schema() AND s.tablename = 'cases' \
           AND s.attname = 'search' AND m.word IS NOT NULL",
    )
    .fetch_all(pool)
    .await?;
    let mut shares = HashMap::with_capacity(rows.len());
    for row in rows {
        shares.insert(row.try_get::<String, _>("word")?, row.try_get("share")?);
    }
    let cases: Option<f64> =
        sqlx::query_scalar("SELECT reltuples::float8 FROM pg_class WHERE oid = 'cases'::regclass")
            .fetch_optional(pool)
            .await?;
    // The list's columns' common values, with their shares, paired the same way.
    let rows = sqlx::query(
        "SELECT s.attname::text AS col, m.value, m.share::float8 AS share \
         FROM pg_stats s, \
              unnest(s.most_common_vals::text::text[], s.most_common_freqs) AS m(value, share) \
         WHERE s.schemaname = current_schema() AND s.tablename = 'cases' \
           AND s.attname IN ('state', 'kind', 'category', 'channel') AND m.value IS NOT NULL",
    )
    .fetch_all(pool)
    .await?;
    let mut values = HashMap::with_capacity(rows.len());
    for row in rows {
        values.insert(
            (row.try_get::<String, _>("col")?, row.try_get("value")?),
            row.try_get("share")?,
        );
    }
    Ok(WordFrequencies::new(shares, cases.unwrap_or(0.0)).with_values(values))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shares as PostgreSQL tracked them at 1,000,000 demo cases.
    /// Words with their shares, among `cases` cases.
    fn frequencies(shares: &[(&str, f64)], cases: f64) -> WordFrequencies {
        let shares = shares.iter().map(|(w, s)| (w.to_string(), *s)).collect();
        WordFrequencies::new(shares, cases)
    }

    fn demo() -> WordFrequencies {
        frequencies(
            &[
                ("air", 0.0555),
                ("bersih", 0.0555),
                ("lift", 0.0374),
                ("sertifikat", 0.0372),
                ("bocor", 0.0368),
                ("embang", 0.111),
            ],
            1_000_000.0,
        )
    }

    fn terms(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn common_words_are_walked_and_missing_ones_matched() {
        let f = demo();
        assert_eq!(f.path(&terms(&["lift"]), 21), SearchPath::Walk);
        // A word the statistics do not track is rarer than every one they do.
        assert_eq!(f.path(&terms(&["lubang"]), 21), SearchPath::Matches);
        assert_eq!(f.path(&terms(&["lift", "lubang"]), 21), SearchPath::Matches);
    }

    #[test]
    fn several_words_are_walked_as_far_as_their_matches_would_cost() {
        let f = demo();
        // 0.14% of cases together if independent: about 6,900 for collecting the matches.
        assert_eq!(
            f.path(&terms(&["lift", "sertifikat"]), 21),
            SearchPath::WalkWithin(6_957)
        );
        // 0.3% together if independent, about 15,400 for the matches, whatever the page: in
        // the demo data these two always come together, so the walk fills any page early.
        let air_bersih = SearchPath::WalkWithin(15_402);
        assert_eq!(f.path(&terms(&["air", "bersih"]), 21), air_bersih);
        assert_eq!(f.path(&terms(&["air", "bersih"]), 100), air_bersih);
        let rare = frequencies(&[("lubang", 0.0002), ("retak", 0.0003)], 100_000.0);
        assert_eq!(
            rare.path(&terms(&["lubang", "retak"]), 21),
            SearchPath::Matches,
            "all the rarest word's matches cost less than any walk"
        );
        let uncommon = frequencies(&[("lubang", 0.01), ("retak", 0.01)], 100_000.0);
        // Independent, 50 for the matches; together, a walk of 2,100 fills the page.
        assert_eq!(
            uncommon.path(&terms(&["lubang", "retak"]), 21),
            SearchPath::WalkWithin(2_100)
        );
    }

    #[tokio::test]
    async fn statistics_that_cannot_be_read_leave_the_choice_to_postgresql() {
        sqlx::any::install_default_drivers();
        // A database without `pg_stats`: reading the shares fails.
        let pool = AnyPool::connect("sqlite::memory:").await.unwrap();
        let planner = SearchPlanner::default();
        for _ in 0..2 {
            assert_eq!(
                planner
                    .frequencies(&pool)
                    .await
                    .path(&terms(&["lubang"]), 21),
                SearchPath::Planner
            );
        }
    }

    #[test]
    fn without_statistics_postgresql_chooses() {
        let f = WordFrequencies::default();
        assert_eq!(f.path(&terms(&["lubang"]), 21), SearchPath::Planner);
        assert_eq!(demo().path(&[], 21), SearchPath::Planner);
    }
}
