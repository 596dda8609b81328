//! The monthly report by e-mail: from the first working day of a month, the worker queues one
//! job per configured recipient for the month before, through the same job queue (the outbox)
//! as every notice. Each job's key names the month and the recipient, so a report is queued
//! once however many workers run or restart; a failed send is retried like any mail.

use crate::AppError;
use crate::mail::{MailAttachment, OutgoingMail};
use crate::reports::{labels, monthly_xlsx};
use crate::service::Aduan;
use aduan_store::{JobRecord, NewJob};
use serde::{Deserialize, Serialize};
use time::Date;

/// The job kind of a monthly report mail.
pub const REPORT_JOB: &str = "monthly_report";
const REPORT_ATTEMPTS: i64 = 10;

#[derive(Debug, Serialize, Deserialize)]
struct ReportPayload {
    /// `YYYY-MM`.
    month: String,
    /// An official's address from the organisation's settings, not a reporter's.
    to: String,
}

impl Aduan {
    /// Queues the last month's report for each recipient once the first working day of this
    /// month has come (a report queued before is skipped by its key). Answers whether it was
    /// time to.
    pub async fn schedule_monthly_reports(&self) -> Result<bool, AppError> {
        let org = self.organisation();
        if org.reports.monthly_recipients.is_empty() {
            return Ok(false);
        }
        let calendar = self.calendar();
        let now = self.now();
        let today = calendar.local_date(now);
        let Some(first_working) = (1..=today.month().length(today.year()))
            .filter_map(|day| today.replace_day(day).ok())
            .find(|d| calendar.is_working_day(*d))
        else {
            return Ok(false);
        };
        if today < first_working {
            return Ok(false);
        }
        let last_month = previous_month(today);
        let month = format!(
            "{:04}-{:02}",
            last_month.year(),
            u8::from(last_month.month())
        );
        let jobs: Vec<NewJob> = org
            .reports
            .monthly_recipients
            .iter()
            .filter_map(|to| {
                let payload = serde_json::to_string(&ReportPayload {
                    month: month.clone(),
                    to: to.clone(),
                })
                .ok()?;
                Some(NewJob {
                    kind: REPORT_JOB.into(),
                    case_id: None,
                    dedup_key: Some(format!("{REPORT_JOB}:{month}:{}", to.to_lowercase())),
                    payload,
                    secret: None,
                    run_at: now,
                    max_attempts: REPORT_ATTEMPTS,
                })
            })
            .collect();
        self.store.enqueue(&jobs).await?;
        Ok(true)
    }

    /// The mail of a report job: the summary in both languages and the workbook attached.
    pub(crate) async fn compose_report(
        &self,
        job: &JobRecord,
        domain: &str,
    ) -> Result<OutgoingMail, String> {
        let payload: ReportPayload =
            serde_json::from_str(&job.payload).map_err(|e| format!("bad payload: {e}"))?;
        let report = self
            .monthly_report(None, &payload.month)
            .await
            .map_err(|e| e.to_string())?;
        let org = self.organisation();
        let bytes = monthly_xlsx(&report, &org).map_err(|e| e.to_string())?;
        let labels = labels().map_err(|e| e.to_string())?;
        let f = &report.statistics.figures;
        let rate = f
            .on_time
            .rate
            .map_or_else(|| "-".to_string(), |r| format!("{r:.1}%"));
        let line = |key: &str, value: String| format!("{}: {value}", labels.measure(key));
        let body = [
            format!("{} {}", labels.text("title"), report.month),
            report.agency.clone(),
            String::new(),
            line("received", f.received.to_string()),
            line("closed", f.closed.to_string()),
            line("open_at_end", f.open_at_end.to_string()),
            line("overdue_at_end", f.overdue_at_end.to_string()),
            line("on_time_rate", rate),
            String::new(),
            "Rincian terlampir. / Details attached.".to_string(),
        ]
        .join("\n");
        Ok(OutgoingMail {
            to: payload.to,
            subject: format!(
                "{} {} – {}",
                labels.text("title"),
                report.month,
                report.agency
            ),
            body,
            message_id: format!("<aduan-job-{}@{domain}>", job.id),
            attachments: vec![MailAttachment {
                name: format!("laporan-bulanan-{}.xlsx", report.month),
                content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                    .into(),
                bytes,
            }],
        })
    }
}

fn previous_month(today: Date) -> Date {
    today
        .replace_day(1)
        .ok()
        .and_then(|first| first.previous_day())
        .unwrap_or(today)
}
