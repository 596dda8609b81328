//! Turning the domain's notices into e-mail jobs, written with the case change that calls for
//! them (the transactional outbox): a change that commits has its messages queued, one that
//! rolls back has none.

use aduan_domain::lifecycle::{Event, Workflow};
use aduan_domain::notify::notices;
use aduan_domain::{AccessCode, Change};
use aduan_store::NewJob;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub const EMAIL_JOB: &str = "email";
/// Sending is retried with backoff this many times before the job is listed as failed.
pub const EMAIL_ATTEMPTS: i64 = 10;

/// What an e-mail job says: which template, to whom, about which event of its case. It holds
/// no address and no personal data; those are looked up when it is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailPayload {
    pub template: String,
    pub audience: String,
    /// The event (sequence number within the case) the message is about.
    pub seq: i64,
}

fn email_job(
    payload: &EmailPayload,
    dedup_key: Option<String>,
    secret: Option<String>,
    at: OffsetDateTime,
) -> Option<NewJob> {
    Some(NewJob {
        kind: EMAIL_JOB.into(),
        case_id: None,
        dedup_key,
        payload: serde_json::to_string(payload).ok()?,
        secret,
        run_at: at,
        max_attempts: EMAIL_ATTEMPTS,
    })
}

/// The receipt for a new case; it carries the access code until it is sent.
pub fn jobs_for_new_case(
    workflow: &Workflow,
    first_event: &Event,
    access_code: &AccessCode,
    now: OffsetDateTime,
) -> Vec<NewJob> {
    notices(workflow, first_event)
        .into_iter()
        .filter_map(|notice| {
            let secret = matches!(first_event.change, Change::Received { .. })
                .then(|| access_code.display());
            let payload = EmailPayload {
                template: notice.template.into(),
                audience: notice.audience.key(),
                seq: 1,
            };
            email_job(&payload, None, secret, now)
        })
        .collect()
}

/// The messages one event of an existing case calls for. The deduplication key makes sure a
/// retried commit never queues a message twice.
pub fn jobs_for_event(case_id: i64, seq: i64, before: &Workflow, event: &Event) -> Vec<NewJob> {
    notices(before, event)
        .into_iter()
        .filter_map(|notice| {
            let audience = notice.audience.key();
            let key = format!("email:{case_id}:{seq}:{audience}");
            let payload = EmailPayload {
                template: notice.template.into(),
                audience,
                seq,
            };
            email_job(&payload, Some(key), None, event.at)
        })
        .collect()
}
