//! The background worker: in each pass it runs the deadline watch and then every job that is
//! due. `aduan serve` runs one beside the web server; `aduan worker` runs one alone. Several
//! may share a database: jobs are claimed one worker at a time, and the watch's changes go
//! through the same optimistic check as staff actions.

use crate::AppError;
use crate::mail::{Composed, Mailer};
use crate::notices::EMAIL_JOB;
use crate::report_delivery::REPORT_JOB;
use crate::service::Aduan;
use aduan_store::{JobOutcome, JobRecord};
use std::sync::Arc;
use time::Duration;

/// How long a claimed job is ours before another worker may take it over.
const LEASE: Duration = Duration::minutes(5);
const CLAIM_BATCH: u32 = 20;
/// Cases the watch handles per round.
const WATCH_BATCH: u32 = 500;
const MAX_BACKOFF: Duration = Duration::hours(1);

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassReport {
    /// Cases the watch changed (reminded, escalated, closed).
    pub watched: usize,
    pub done: usize,
    pub retried: usize,
    pub failed: usize,
}

pub struct Worker {
    aduan: Aduan,
    mailer: Option<Arc<dyn Mailer>>,
    /// The domain in message ids.
    mail_domain: String,
    name: String,
}

/// The wait before attempt `n + 1`: 30 s, doubling, at most an hour.
pub fn backoff(attempts: i64) -> Duration {
    let exponent = u32::try_from(attempts.clamp(1, 12) - 1).unwrap_or(0);
    (Duration::seconds(30) * 2_i32.pow(exponent)).min(MAX_BACKOFF)
}

impl Worker {
    pub fn new(aduan: Aduan, mailer: Option<Arc<dyn Mailer>>, mail_domain: &str) -> Self {
        let suffix = crate::random_bytes::<4>()
            .map(hex::encode)
            .unwrap_or_default();
        Self {
            aduan,
            mailer,
            mail_domain: mail_domain.to_string(),
            name: format!("worker-{}-{suffix}", std::process::id()),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// One pass: the watch, then the jobs due now. Nothing in it sleeps.
    pub async fn run_once(&self) -> Result<PassReport, AppError> {
        self.aduan.reload_calendar().await?;
        let mut report = PassReport {
            watched: self.aduan.watch_deadlines(WATCH_BATCH).await?,
            ..PassReport::default()
        };
        self.aduan.schedule_monthly_reports().await?;
        loop {
            let now = self.aduan.now();
            let jobs = self
                .aduan
                .store
                .claim_jobs(&self.name, now, now + LEASE, CLAIM_BATCH)
                .await?;
            if jobs.is_empty() {
                break;
            }
            for job in jobs {
                let outcome = self.run_job(&job).await;
                match &outcome {
                    JobOutcome::Done => report.done += 1,
                    JobOutcome::Retry { error, at } => {
                        report.retried += 1;
                        tracing::warn!(job = job.id, kind = %job.kind, attempts = job.attempts, %error, retry_at = %at, "job will be retried");
                    }
                    JobOutcome::Failed { error } => {
                        report.failed += 1;
                        tracing::error!(job = job.id, kind = %job.kind, attempts = job.attempts, %error, "job failed");
                    }
                }
                self.aduan
                    .store
                    .finish_job(job.id, &self.name, outcome, self.aduan.now())
                    .await?;
            }
        }
        Ok(report)
    }

    async fn run_job(&self, job: &JobRecord) -> JobOutcome {
        let now = self.aduan.now();
        let retry_or_fail = |error: String| {
            if job.attempts >= job.max_attempts {
                JobOutcome::Failed { error }
            } else {
                JobOutcome::Retry {
                    at: now + backoff(job.attempts),
                    error,
                }
            }
        };
        if job.attempts > job.max_attempts {
            return JobOutcome::Failed {
                error: "gave up: the job was interrupted too often".into(),
            };
        }
        if job.kind != EMAIL_JOB && job.kind != REPORT_JOB {
            return JobOutcome::Failed {
                error: format!("unknown job kind `{}`", job.kind),
            };
        }
        let Some(mailer) = &self.mailer else {
            return retry_or_fail("no SMTP server is configured (--smtp-url)".into());
        };
        if job.kind == REPORT_JOB {
            return match self.aduan.compose_report(job, &self.mail_domain).await {
                Err(error) => retry_or_fail(error),
                Ok(mail) => match mailer.send(&mail).await {
                    Ok(()) => JobOutcome::Done,
                    Err(error) => retry_or_fail(error),
                },
            };
        }
        match self.aduan.compose(job, &self.mail_domain).await {
            Err(error) => JobOutcome::Failed { error },
            Ok(Composed::Nobody) => JobOutcome::Done,
            Ok(Composed::FanOut(jobs)) => match self.aduan.store.enqueue(&jobs).await {
                Ok(()) => JobOutcome::Done,
                Err(e) => retry_or_fail(e.to_string()),
            },
            Ok(Composed::Send(mails)) => {
                for mail in &mails {
                    if let Err(error) = mailer.send(mail).await {
                        return retry_or_fail(error);
                    }
                }
                JobOutcome::Done
            }
        }
    }

    /// Runs passes every `interval` until `stop` turns true.
    pub async fn run(
        self,
        interval: std::time::Duration,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        tracing::info!(worker = %self.name, mail = self.mailer.is_some(), "worker started");
        loop {
            match self.run_once().await {
                Ok(report) if report != PassReport::default() => {
                    tracing::info!(?report, "worker pass");
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "worker pass failed"),
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                changed = stop.changed() => {
                    if changed.is_err() || *stop.borrow() {
                        break;
                    }
                }
            }
        }
        tracing::info!(worker = %self.name, "worker stopped");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff(1), Duration::seconds(30));
        assert_eq!(backoff(2), Duration::seconds(60));
        assert_eq!(backoff(5), Duration::seconds(480));
        assert_eq!(backoff(9), MAX_BACKOFF);
        assert_eq!(backoff(40), MAX_BACKOFF);
    }
}
