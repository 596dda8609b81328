//! What an event's `data` column holds: only what its other columns do not.
//!
//! The time, actor and role of an event have columns of their own (lists, statistics and
//! audits read them), so `data` keeps the change and only those optional facts that are set,
//! under the names they had. Rows written before session 24 kept the whole event, nulls
//! included; they read the same way (the columns they repeat are not read), without a migration
//! rewriting millions of rows. Half of a million demo cases' bytes were their events, a third
//! of each event its repeated columns and nulls (BENCHMARKS.md, session 24).

use super::rows::{from_json, json};
use crate::{Result, StoredEvent};
use aduan_domain::{Change, Channel, Event};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// `data` as written now.
#[derive(Serialize)]
struct Written<'a> {
    change: &'a Change,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel: Option<Channel>,
    /// Due times keep their own form (nanoseconds and offset), so they come back exactly.
    #[serde(skip_serializing_if = "Option::is_none")]
    due_at: Option<OffsetDateTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    final_due_at: Option<OffsetDateTime>,
}

/// `data` as read: either form. The old form's `at`, `actor` and `actor_role` equal the
/// columns it was written beside, so they are not read.
#[derive(Deserialize)]
pub(super) struct Stored {
    change: Change,
    #[serde(default)]
    rule: Option<String>,
    #[serde(default)]
    channel: Option<Channel>,
    #[serde(default)]
    due_at: Option<OffsetDateTime>,
    #[serde(default)]
    final_due_at: Option<OffsetDateTime>,
}

/// Only the change of `data`, for reads that need nothing else (the statistics).
#[derive(Deserialize)]
struct ChangeOnly {
    change: Change,
}

/// The `data` column of `event`.
pub(super) fn encode(event: &Event) -> Result<String> {
    json(&Written {
        change: &event.change,
        rule: event.rule.as_deref(),
        channel: event.channel,
        due_at: event.due_at,
        final_due_at: event.final_due_at,
    })
}

/// What a `data` column holds, to be joined with the event's other columns.
pub(super) fn read(data: &str) -> Result<Stored> {
    from_json(data)
}

/// The change recorded in a `data` column.
pub(super) fn change(data: &str) -> Result<Change> {
    Ok(from_json::<ChangeOnly>(data)?.change)
}

impl Stored {
    /// The stored event with its other columns.
    pub(super) fn with_columns(
        self,
        seq: i64,
        at: OffsetDateTime,
        actor: String,
        actor_role: String,
        public: bool,
    ) -> StoredEvent {
        StoredEvent {
            seq,
            at,
            actor: actor.clone(),
            actor_role: actor_role.clone(),
            public,
            event: Event {
                at,
                actor,
                actor_role,
                rule: self.rule,
                channel: self.channel,
                change: self.change,
                due_at: self.due_at,
                final_due_at: self.final_due_at,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    /// `event` as read back from `data` beside its own columns.
    fn read_back(event: &Event, data: &str) -> Result<Event> {
        let (actor, actor_role) = (event.actor.clone(), event.actor_role.clone());
        Ok(read(data)?
            .with_columns(1, event.at, actor, actor_role, true)
            .event)
    }

    fn answered() -> Event {
        Event {
            at: datetime!(2026-03-02 08:15:30.123456 UTC),
            actor: "petugas.air".into(),
            actor_role: "petugas".into(),
            rule: Some("deadline".into()),
            channel: Some(Channel::Email),
            change: Change::Extended {
                reason: "Menunggu data lapangan \"tahap 2\"".into(),
            },
            due_at: Some(datetime!(2026-03-16 16:59:59.999999999 UTC)),
            final_due_at: Some(datetime!(2026-03-23 17:00 +07:00)),
        }
    }

    #[test]
    fn an_event_comes_back_whole_from_its_columns_and_data() {
        let event = answered();
        let data = encode(&event).expect("encodes");
        let back = read_back(&event, &data).expect("decodes");
        assert_eq!(back, event);
        assert!(
            !data.contains("petugas.air"),
            "the actor has its column: {data}"
        );
        assert!(!data.contains("08:15"), "the time has its column: {data}");
        assert_eq!(
            back.final_due_at.map(|t| t.offset()),
            event.final_due_at.map(|t| t.offset()),
            "a due time keeps its offset"
        );
    }

    #[test]
    fn an_event_without_optional_facts_writes_only_its_change() {
        let event = Event {
            rule: None,
            channel: None,
            due_at: None,
            final_due_at: None,
            change: Change::AcceptedByUnit,
            ..answered()
        };
        let data = encode(&event).expect("encodes");
        assert_eq!(data, r#"{"change":{"type":"accepted_by_unit"}}"#);
        let back = read_back(&event, &data).expect("decodes");
        assert_eq!(back, event);
    }

    #[test]
    fn rows_written_as_whole_events_still_read() {
        let event = answered();
        let old = json(&event).expect("the old form");
        let back = read_back(&event, &old).expect("decodes");
        assert_eq!(back, event);
        assert_eq!(change(&old).expect("change"), event.change);
    }

    #[test]
    fn data_that_is_not_an_event_is_an_error_not_a_panic() {
        for data in [
            "",
            "{}",
            "[1,2]",
            r#"{"change":{"type":"no_such"}}"#,
            "{\"change\":",
        ] {
            assert!(read(data).is_err(), "{data:?} was read");
        }
    }
}
