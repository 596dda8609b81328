//! Bearer tokens checked in the last few seconds, so that a staff member's burst of requests
//! (a page, its list, its counts) reads the token and account once rather than on each
//! request. A logout on this instance takes effect at once; a revocation or change made
//! elsewhere (another instance, the database directly) within [`FRESH_FOR`].

use crate::service::StaffUser;
use std::collections::HashMap;
use std::sync::Mutex;
use time::{Duration, OffsetDateTime};

/// How long a checked token is trusted without asking the database again.
pub const FRESH_FOR: Duration = Duration::seconds(5);
/// More entries than this and the cache starts over (a bound on memory, not an LRU).
const MAX_ENTRIES: usize = 10_000;

struct Entry {
    user: StaffUser,
    expires_at: OffsetDateTime,
    checked_at: OffsetDateTime,
}

#[derive(Default)]
pub struct TokenCache {
    entries: Mutex<HashMap<String, Entry>>,
}

impl TokenCache {
    /// The user of `token_hash`, if it was checked within [`FRESH_FOR`] and has not expired.
    pub fn get(&self, token_hash: &str, now: OffsetDateTime) -> Option<StaffUser> {
        let entries = self.entries.lock().ok()?;
        let entry = entries.get(token_hash)?;
        let fresh = now >= entry.checked_at && now < entry.checked_at + FRESH_FOR;
        (fresh && now < entry.expires_at).then(|| entry.user.clone())
    }

    pub fn put(
        &self,
        token_hash: &str,
        user: &StaffUser,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(
                token_hash.to_string(),
                Entry {
                    user: user.clone(),
                    expires_at,
                    checked_at: now,
                },
            );
        }
    }

    pub fn forget(&self, token_hash: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(token_hash);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aduan_domain::Role;
    use time::macros::datetime;

    fn user() -> StaffUser {
        StaffUser {
            username: "andi".into(),
            role: Role::Coordinator,
            unit: None,
            units: vec![],
        }
    }

    #[test]
    fn entries_are_trusted_briefly_never_past_expiry_and_forgotten_on_logout() {
        let cache = TokenCache::default();
        let t0 = datetime!(2026-11-02 09:00 +7);
        cache.put("h", &user(), t0 + Duration::hours(8), t0);
        assert_eq!(cache.get("h", t0 + Duration::seconds(4)), Some(user()));
        assert_eq!(
            cache.get("h", t0 + FRESH_FOR),
            None,
            "stale: ask the database"
        );
        assert_eq!(cache.get("other", t0), None);
        cache.put("h", &user(), t0 + Duration::seconds(2), t0);
        assert_eq!(cache.get("h", t0 + Duration::seconds(3)), None, "expired");
        cache.put("h", &user(), t0 + Duration::hours(8), t0);
        cache.forget("h");
        assert_eq!(cache.get("h", t0), None);
        // A clock that went back does not make an entry fresh.
        cache.put("h", &user(), t0 + Duration::hours(8), t0);
        assert_eq!(cache.get("h", t0 - Duration::seconds(1)), None);
    }
}
