//! Answers of recent read-only requests that are costly to compute (statistics, the backlog,
//! the monthly counts), kept so that a dashboard opened by many people, or the same month asked
//! for as a page, a workbook and a PDF, is computed once.
//!
//! An answer is reused while no case has changed since it was computed, and only until the
//! moment its computation said it stops being exact (the backlog: the next due time, when a
//! case becomes overdue without any change), so it stays exact. A period that has ended is also
//! reused for a short while after changes: what happens now rarely moves a past month's
//! figures, and a report is not worth recomputing on every new submission. Requests that ask
//! the same while the answer is being computed wait for that one computation rather than each
//! starting their own (a burst of 64 requests used to run 64 computations side by side and take
//! most of a gigabyte).

use crate::AppError;
use aduan_domain::statistics::{Filter, Statistics};
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use time::{Duration, OffsetDateTime};
use tokio::sync::Mutex as AsyncMutex;

/// The longest statistics are reused, so that changes this process does not see (another
/// process writing to the same database) show within this time.
pub const MAX_AGE: Duration = Duration::minutes(1);
/// How many different requests are remembered; beyond it, answers not in use are dropped.
const MAX_ENTRIES: usize = 256;

/// What statistics are of: who sees them, the filter and the period's first and last day.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FiguresKey {
    pub units: Option<Vec<String>>,
    pub filter: String,
    pub from: time::Date,
    pub to: time::Date,
    pub min_group: u32,
}

impl FiguresKey {
    pub fn new(
        units: Option<&[String]>,
        filter: &Filter,
        from: time::Date,
        to: time::Date,
        min_group: u32,
    ) -> Self {
        Self {
            units: units.map(<[String]>::to_vec),
            filter: format!("{filter:?}"),
            from,
            to,
            min_group,
        }
    }
}

/// The statistics of recent requests.
pub type FiguresCache = SharedCache<FiguresKey, Statistics>;

impl Default for FiguresCache {
    /// Each computation holds its period's facts in memory (tens of megabytes for a month of a
    /// million cases) and keeps a core busy: more than two at once would only share the same
    /// two cores slower and hold more memory.
    fn default() -> Self {
        Self::new(MAX_AGE, 2)
    }
}

/// A computed answer, and until when it is exact if nothing changes.
pub struct Fresh<V> {
    pub value: V,
    pub exact_until: Option<OffsetDateTime>,
}

impl<V> Fresh<V> {
    /// An answer that only a change makes wrong.
    pub fn new(value: V) -> Self {
        Self {
            value,
            exact_until: None,
        }
    }

    /// An answer that also goes wrong at `until` (a case becomes overdue then).
    pub fn until(value: V, until: OffsetDateTime) -> Self {
        Self {
            value,
            exact_until: Some(until),
        }
    }
}

struct Computed<V> {
    value: Arc<V>,
    /// The change count read before the answer was computed.
    changes: u64,
    at: OffsetDateTime,
    exact_until: Option<OffsetDateTime>,
    /// Whether the period had ended when it was computed.
    ended: bool,
    /// Which computation of this key this is, so that a request that waited for it knows.
    serial: u64,
}

struct Slot<V> {
    /// Computations begun and finished: read before waiting, they tell a request whether
    /// the answer it finds was computed while it waited.
    begun: AtomicU64,
    finished: AtomicU64,
    computed: AsyncMutex<Option<Computed<V>>>,
}

impl<V> Default for Slot<V> {
    fn default() -> Self {
        Self {
            begun: AtomicU64::new(0),
            finished: AtomicU64::new(0),
            computed: AsyncMutex::new(None),
        }
    }
}

pub struct SharedCache<K, V> {
    slots: Mutex<HashMap<K, Arc<Slot<V>>>>,
    computing: tokio::sync::Semaphore,
    max_age: Duration,
}

/// Where a request stands when it asks.
pub struct Asking {
    pub now: OffsetDateTime,
    /// The change count, read before anything else.
    pub changes: u64,
    /// Whether the period ended before now.
    pub ended: bool,
}

impl<K: Eq + Hash + Clone, V> SharedCache<K, V> {
    /// Answers are reused for at most `max_age`; at most `at_once` different ones are computed
    /// at the same time.
    pub fn new(max_age: Duration, at_once: usize) -> Self {
        Self {
            slots: Mutex::default(),
            computing: tokio::sync::Semaphore::new(at_once),
            max_age,
        }
    }

    /// The answer for `key`: reused when still good, else computed by `compute` (once for
    /// every request that asks meanwhile).
    pub async fn get<F>(&self, key: K, asking: Asking, compute: F) -> Result<Arc<V>, AppError>
    where
        F: Future<Output = Result<Fresh<V>, AppError>>,
    {
        let slot = self.slot(key);
        let begun = slot.begun.load(Ordering::Acquire);
        let running = begun > slot.finished.load(Ordering::Acquire);
        let mut computed = slot.computed.lock().await;
        if let Some(done) = computed.as_ref() {
            // Computed by the computation that was running when this request came, or a
            // later one: as current as this request could have had by computing itself.
            let waited_for_it = if running {
                done.serial >= begun
            } else {
                done.serial > begun
            };
            let unchanged = done.changes == asking.changes;
            let young = asking.now >= done.at && asking.now - done.at < self.max_age;
            let exact = done.exact_until.is_none_or(|until| asking.now < until);
            if young && exact && (unchanged || done.ended || waited_for_it) {
                return Ok(done.value.clone());
            }
        }
        let permit = self
            .computing
            .acquire()
            .await
            .map_err(|_| AppError::Internal("the computing queue closed".into()))?;
        let serial = slot.begun.fetch_add(1, Ordering::AcqRel) + 1;
        let result = compute.await;
        drop(permit);
        slot.finished.store(serial, Ordering::Release);
        let fresh = result?;
        let value = Arc::new(fresh.value);
        *computed = Some(Computed {
            value: value.clone(),
            changes: asking.changes,
            at: asking.now,
            exact_until: fresh.exact_until,
            ended: asking.ended,
            serial,
        });
        Ok(value)
    }

    fn slot(&self, key: K) -> Arc<Slot<V>> {
        let mut slots = match self.slots.lock() {
            Ok(slots) => slots,
            Err(poisoned) => poisoned.into_inner(),
        };
        if slots.len() >= MAX_ENTRIES && !slots.contains_key(&key) {
            // Nobody else holds a slot that only the map refers to.
            slots.retain(|_, slot| Arc::strong_count(slot) > 1);
        }
        slots.entry(key).or_default().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;
    use time::macros::{date, datetime};

    fn key() -> FiguresKey {
        FiguresKey::new(
            None,
            &Filter::default(),
            date!(2026 - 10 - 01),
            date!(2026 - 10 - 31),
            5,
        )
    }

    fn figures(received: u64) -> Statistics {
        let mut s = aduan_domain::statistics::compute(
            &[],
            aduan_domain::statistics::Period {
                from: datetime!(2026-10-01 00:00 +7),
                to: datetime!(2026-11-01 00:00 +7),
            },
            &aduan_domain::calendar::Calendar::new(
                time::macros::offset!(+7),
                &toml::from_str(aduan_domain::calendar::SHIPPED_HOLIDAYS).unwrap(),
            ),
            5,
        );
        s.received = received;
        s
    }

    const NOW: OffsetDateTime = datetime!(2026-11-02 09:00 +7);

    fn asking(now: OffsetDateTime, changes: u64, ended: bool) -> Asking {
        Asking {
            now,
            changes,
            ended,
        }
    }

    #[tokio::test]
    async fn figures_are_reused_until_a_case_changes() {
        let cache = FiguresCache::default();
        let runs = AtomicU32::new(0);
        let run = |n| {
            runs.fetch_add(1, Ordering::SeqCst);
            async move { Ok(Fresh::new(figures(n))) }
        };
        let live = |changes| asking(NOW, changes, false);
        assert_eq!(cache.get(key(), live(7), run(1)).await.unwrap().received, 1);
        assert_eq!(cache.get(key(), live(7), run(2)).await.unwrap().received, 1);
        assert_eq!(runs.load(Ordering::SeqCst), 2, "both futures were made");
        // A change: computed again, exactly.
        assert_eq!(cache.get(key(), live(8), run(3)).await.unwrap().received, 3);
        // Too old, even unchanged.
        let later = asking(NOW + MAX_AGE, 8, false);
        assert_eq!(cache.get(key(), later, run(4)).await.unwrap().received, 4);
    }

    #[tokio::test]
    async fn an_ended_period_is_reused_for_a_minute_despite_changes() {
        let cache = FiguresCache::default();
        let ended = |now, changes| asking(now, changes, true);
        let first = cache.get(key(), ended(NOW, 1), async { Ok(Fresh::new(figures(1))) });
        assert_eq!(first.await.unwrap().received, 1);
        let soon = NOW + Duration::seconds(30);
        let again = cache.get(key(), ended(soon, 9), async { Ok(Fresh::new(figures(2))) });
        assert_eq!(again.await.unwrap().received, 1);
        let late = NOW + Duration::seconds(61);
        let fresh = cache.get(key(), ended(late, 9), async { Ok(Fresh::new(figures(3))) });
        assert_eq!(fresh.await.unwrap().received, 3);
    }

    #[tokio::test]
    async fn an_answer_is_not_reused_past_the_moment_it_stops_being_exact() {
        let cache: SharedCache<&str, u32> = SharedCache::new(Duration::seconds(30), 1);
        let due = NOW + Duration::seconds(10);
        let live = |now| asking(now, 4, false);
        let first = cache.get("backlog", live(NOW), async { Ok(Fresh::until(1, due)) });
        assert_eq!(*first.await.unwrap(), 1);
        let before = NOW + Duration::seconds(9);
        let again = cache.get("backlog", live(before), async { Ok(Fresh::until(2, due)) });
        assert_eq!(*again.await.unwrap(), 1, "still exact, nothing changed");
        let at_due = cache.get("backlog", live(due), async { Ok(Fresh::new(3)) });
        assert_eq!(*at_due.await.unwrap(), 3, "a case fell due: computed again");
        // This cache's own age limit applies to answers without an end.
        let older = cache.get("backlog", live(due + Duration::seconds(29)), async {
            Ok(Fresh::new(4))
        });
        assert_eq!(*older.await.unwrap(), 3);
        let too_old = cache.get("backlog", live(due + Duration::seconds(30)), async {
            Ok(Fresh::new(5))
        });
        assert_eq!(*too_old.await.unwrap(), 5);
    }

    #[tokio::test]
    async fn requests_that_arrive_together_share_one_computation() {
        let cache = Arc::new(FiguresCache::default());
        let runs = Arc::new(AtomicU32::new(0));
        let (release, gate) = tokio::sync::oneshot::channel::<()>();
        let first = {
            let (cache, runs) = (cache.clone(), runs.clone());
            tokio::spawn(async move {
                cache
                    .get(key(), asking(NOW, 1, false), async move {
                        runs.fetch_add(1, Ordering::SeqCst);
                        gate.await.ok();
                        Ok(Fresh::new(figures(1)))
                    })
                    .await
            })
        };
        // Let the first request start computing, then send more, each after a change.
        while runs.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        let mut others = Vec::new();
        for changes in 2..10 {
            let (cache, runs) = (cache.clone(), runs.clone());
            others.push(tokio::spawn(async move {
                cache
                    .get(key(), asking(NOW, changes, false), async move {
                        runs.fetch_add(1, Ordering::SeqCst);
                        Ok(Fresh::new(figures(changes)))
                    })
                    .await
            }));
        }
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
        release.send(()).unwrap();
        assert_eq!(first.await.unwrap().unwrap().received, 1);
        for other in others {
            assert_eq!(other.await.unwrap().unwrap().received, 1);
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1, "one computation for all");
    }

    #[tokio::test]
    async fn a_failed_computation_is_not_remembered() {
        let cache = FiguresCache::default();
        let failed = cache
            .get(key(), asking(NOW, 1, false), async {
                Err(AppError::Internal("database away".into()))
            })
            .await;
        assert!(failed.is_err());
        let ok = cache.get(key(), asking(NOW, 1, false), async {
            Ok(Fresh::new(figures(5)))
        });
        assert_eq!(ok.await.unwrap().received, 5);
    }
}
