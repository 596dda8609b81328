//! Sending e-mail. [`Mailer`] is the one door out; [`SmtpMailer`] goes through an SMTP server
//! with lettre. Composing a message from an e-mail job (recipients, language, wording) is here
//! too, so that the worker only decides when to try again.

use crate::AppError;
use crate::notices::{EMAIL_ATTEMPTS, EMAIL_JOB, EmailPayload};
use crate::service::Aduan;
use crate::templates::MailContext;
use aduan_domain::lifecycle::Outcome;
use aduan_domain::notify::Audience;
use aduan_domain::{Change, Language, Role, Scope, Ticket};
use aduan_store::{JobRecord, NewJob};
use async_trait::async_trait;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// One message ready to go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    pub to: String,
    pub subject: String,
    pub body: String,
    /// Stable per job, so that a message sent again after a crash can be recognised.
    pub message_id: String,
    pub attachments: Vec<MailAttachment>,
}

/// A file sent with a message (the monthly report).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailAttachment {
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), String>;
}

pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    /// `url` as lettre reads it: `smtp://host:25` (plain, for a local relay),
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS) or `smtps://user:pass@host:465`.
    pub fn new(url: &str, from: &str) -> Result<Self, AppError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| AppError::Config(format!("smtp url: {e}")))?
            .timeout(Some(Duration::from_secs(30)))
            .build();
        let from = from
            .parse::<Mailbox>()
            .map_err(|e| AppError::Config(format!("mail from `{from}`: {e}")))?;
        Ok(Self { transport, from })
    }

    pub fn from_domain(&self) -> String {
        self.from.email.domain().to_string()
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), String> {
        let to = mail
            .to
            .parse::<Mailbox>()
            .map_err(|e| format!("bad recipient: {e}"))?;
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .message_id(Some(mail.message_id.clone()))
            .header(AutoSubmitted);
        let message = if mail.attachments.is_empty() {
            builder
                .header(ContentType::TEXT_PLAIN)
                .body(mail.body.clone())
        } else {
            let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(mail.body.clone()));
            for file in &mail.attachments {
                let content_type = ContentType::parse(&file.content_type)
                    .map_err(|e| format!("bad content type: {e}"))?;
                parts = parts.singlepart(
                    Attachment::new(file.name.clone()).body(file.bytes.clone(), content_type),
                );
            }
            builder.multipart(parts)
        }
        .map_err(|e| format!("cannot build the message: {e}"))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// `Auto-Submitted: auto-generated` (RFC 3834), so that auto-responders do not answer us.
#[derive(Clone)]
struct AutoSubmitted;

impl lettre::message::header::Header for AutoSubmitted {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }

    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), "auto-generated".into())
    }
}

/// What composing an e-mail job came to.
pub enum Composed {
    /// Send these (one recipient each).
    Send(Vec<OutgoingMail>),
    /// Several staff recipients: one job each, so that a refused address does not hold up or
    /// repeat the others.
    FanOut(Vec<NewJob>),
    /// Nobody to tell (an anonymous reporter without an address, a unit without staff mail).
    Nobody,
}

impl Aduan {
    /// Builds the message(s) of an e-mail job. `Err` is a lasting problem (the job fails).
    pub(crate) async fn compose(&self, job: &JobRecord, domain: &str) -> Result<Composed, String> {
        let payload: EmailPayload =
            serde_json::from_str(&job.payload).map_err(|e| format!("bad payload: {e}"))?;
        let ticket = job
            .ticket
            .as_deref()
            .and_then(|t| Ticket::parse(t).ok())
            .ok_or("the job names no case")?;
        let case = self
            .store
            .case(&ticket, &Scope::All)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the case is gone")?;
        let audience = Audience::parse(&payload.audience).ok_or("unknown audience")?;
        // A fanned-out job names its one recipient; otherwise look them up now.
        let fixed: Option<String> = serde_json::from_str::<serde_json::Value>(&job.payload)
            .ok()
            .and_then(|v| v.get("to").and_then(|t| t.as_str()).map(str::to_string));
        let recipients = match fixed {
            Some(to) => vec![to],
            None => self
                .recipients(&audience, case.id)
                .await
                .map_err(|e| e.to_string())?,
        };
        if recipients.is_empty() {
            return Ok(Composed::Nobody);
        }
        if recipients.len() > 1 {
            let jobs = recipients
                .iter()
                .filter_map(|to| {
                    let mut value = serde_json::to_value(&payload).ok()?;
                    value["to"] = serde_json::Value::String(to.clone());
                    Some(NewJob {
                        kind: EMAIL_JOB.into(),
                        case_id: job.case_id,
                        dedup_key: Some(format!("email-to:{}:{to}", job.id)),
                        payload: value.to_string(),
                        secret: None,
                        run_at: self.clock.now(),
                        max_attempts: EMAIL_ATTEMPTS,
                    })
                })
                .collect();
            return Ok(Composed::FanOut(jobs));
        }
        // Reporters read their case's language; staff read the agency's.
        let language = if audience == Audience::Reporter {
            case.language
        } else {
            Language::Id
        };
        let events = self
            .store
            .events(case.id, false)
            .await
            .map_err(|e| e.to_string())?;
        let event = events
            .iter()
            .find(|e| e.seq == payload.seq)
            .map(|e| &e.event);
        let calendar = self.calendar();
        let wf = &case.workflow;
        let due = match event.map(|e| &e.change) {
            Some(Change::Reminded { due_at, .. } | Change::Escalated { due_at, .. }) => {
                Some(*due_at)
            }
            _ => event.and_then(|e| e.due_at).or(wf.due_at),
        };
        let unit_code = match &audience {
            Audience::Unit(u) | Audience::UnitHeads(u) => Some(u.clone()),
            _ => match event.map(|e| &e.change) {
                Some(Change::Escalated { unit, .. }) => Some(unit.clone()),
                _ => wf.lead_unit.clone(),
            },
        };
        let org = self.org();
        let category = org.category(&wf.category).map(|c| match language {
            Language::Id => c.name_id.clone(),
            Language::En => c.name_en.clone(),
        });
        let mut context = MailContext {
            agency: org.agency.name.clone(),
            ticket: case.ticket.to_string(),
            title: case.title.clone(),
            kind: case.kind.code().into(),
            category: category.unwrap_or_else(|| wf.category.clone()),
            state: wf.state.code().into(),
            due_date: due
                .map(|d| calendar.local_date(d).to_string())
                .unwrap_or_default(),
            tracking_url: format!("{}/track/{}", self.public_url, case.ticket),
            access_code: job.secret.clone().unwrap_or_default(),
            unit: unit_code
                .as_deref()
                .map(|u| org.unit(u).map_or(u.to_string(), |x| x.name.clone()))
                .unwrap_or_default(),
            ..MailContext::default()
        };
        match event.map(|e| &e.change) {
            Some(Change::Rejected { reason, note }) => {
                context.reason = match note {
                    Some(note) => format!("{reason}. {note}"),
                    None => reason.to_string(),
                };
            }
            Some(Change::Forwarded { agency, reason }) => {
                context.reason = format!("{agency}: {reason}");
            }
            Some(Change::Objected { reason }) => context.reason = reason.clone(),
            Some(Change::Closed { reason }) => context.reason = reason.to_string(),
            Some(Change::InfoRequested { question }) => context.question = question.clone(),
            Some(Change::AnswerPublished { text, decision, .. }) => {
                context.answer = text.clone();
                context.decision = decision.map(|d| d.to_string()).unwrap_or_default();
            }
            Some(Change::Escalated { level, .. }) => context.level = level.to_string(),
            _ => {}
        }
        if let Some(Outcome::Merged { into }) = &wf.outcome {
            context.reason = into.to_string();
        }
        let (subject, body) = self
            .templates()
            .render(language, &payload.template, &context)?;
        Ok(Composed::Send(
            recipients
                .into_iter()
                .map(|to| OutgoingMail {
                    to,
                    subject: subject.clone(),
                    body: body.clone(),
                    message_id: format!("<aduan-job-{}@{domain}>", job.id),
                    attachments: Vec::new(),
                })
                .collect(),
        ))
    }

    async fn recipients(
        &self,
        audience: &Audience,
        case_id: i64,
    ) -> Result<Vec<String>, aduan_store::StoreError> {
        let mut found = match audience {
            Audience::Reporter => {
                return Ok(self
                    .store
                    .reporter(case_id)
                    .await?
                    .and_then(|r| r.email)
                    .map(|e| vec![e.as_str().to_string()])
                    .unwrap_or_default());
            }
            Audience::Unit(unit) => {
                let roles = [Role::Coordinator, Role::UnitOfficer, Role::UnitHead];
                let mut staff = self.store.staff_emails(&roles, Some(unit)).await?;
                if let Some(mailbox) = self.org().unit(unit).and_then(|u| u.email.clone()) {
                    staff.push(mailbox);
                }
                staff
            }
            Audience::UnitHeads(unit) => {
                self.store
                    .staff_emails(&[Role::UnitHead], Some(unit))
                    .await?
            }
            Audience::Leadership => self.store.staff_emails(&[Role::Leadership], None).await?,
        };
        found.sort();
        found.dedup();
        Ok(found)
    }
}
