//! Mail in: a message delivered to the agency's mailbox (by the SMTP listener or fetched over
//! IMAP) becomes a case, or joins the case whose ticket its subject names when it comes from
//! that case's reporter. Automatic mail (out-of-office replies, lists), bounces and our own
//! messages never make a case or an answer, so that no mail loop can start; they and every mail
//! that cannot be handled go to the quarantine whole, where an admin retries or discards them.
//! The Message-ID makes a second delivery of the same mail harmless.

use crate::AppError;
use crate::service::{Aduan, StaffUser, UploadedFile};
use aduan_domain::attachment::{self, Upload};
use aduan_domain::external::ExternalSource;
use aduan_domain::intake::{CaseInput, ReporterInput, title_from, validate};
use aduan_domain::{Action, Actor, Channel, Role, Scope, Ticket};
use aduan_store::{NewQuarantinedMail, QuarantinedMail};
use mail_parser::{Message, MessageParser, MimeHeaders};
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// The largest mail handled; the SMTP listener refuses larger ones before they are stored.
pub const MAX_MAIL_BYTES: usize = 30 * 1024 * 1024;
/// The system name of mail items, for their Message-IDs.
const SYSTEM: &str = "email";

/// What became of a mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum MailOutcome {
    Created {
        ticket: String,
    },
    Joined {
        ticket: String,
    },
    /// Delivered before: what it made then.
    AlreadyReceived {
        ticket: String,
    },
    Quarantined {
        id: i64,
        reason: String,
    },
}

/// A mail kept aside, as the admin sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuarantineView {
    pub id: i64,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub received_at: OffsetDateTime,
    pub origin: String,
    /// `unreadable`, `too_large`, `no_sender`, `automatic`, `bounce`, `own_address`, `invalid`.
    pub reason: String,
    pub detail: Option<String>,
    pub sender: Option<String>,
    pub subject: Option<String>,
    pub size: i64,
    pub state: String,
}

impl From<QuarantinedMail> for QuarantineView {
    fn from(m: QuarantinedMail) -> Self {
        Self {
            id: m.id,
            received_at: m.received_at,
            origin: m.origin,
            reason: m.reason,
            detail: m.detail,
            sender: m.sender,
            subject: m.subject,
            size: m.size,
            state: m.state,
        }
    }
}

/// Why a mail goes to the quarantine instead of a case.
struct Held {
    reason: &'static str,
    detail: Option<String>,
}

fn held(reason: &'static str, detail: Option<String>) -> Held {
    Held { reason, detail }
}

/// The facts of a parsed mail that the decision needs.
struct Facts {
    message_id: String,
    sender: Option<String>,
    sender_name: Option<String>,
    subject: String,
    body: String,
    sent_at: Option<OffsetDateTime>,
    ticket: Option<Ticket>,
    files: Vec<UploadedFile>,
}

fn facts(message: &Message<'_>, raw: &[u8]) -> Facts {
    let message_id = message.message_id().map_or_else(
        // Without a Message-ID, the content itself names the mail.
        || format!("sha256:{}", hex::encode(Sha256::digest(raw))),
        |id| id.trim().to_string(),
    );
    let from = message.from().and_then(|a| a.first());
    let subject = message.subject().unwrap_or_default().trim().to_string();
    // body_text turns an HTML-only mail into text.
    let body = message
        .body_text(0)
        .map(|b| b.replace("\r\n", "\n"))
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect::<String>()
        .trim()
        .to_string();
    let references = [
        message
            .in_reply_to()
            .as_text()
            .unwrap_or_default()
            .to_string(),
        message
            .references()
            .as_text_list()
            .map(|l| l.join(" "))
            .or_else(|| message.references().as_text().map(str::to_string))
            .unwrap_or_default(),
    ]
    .join(" ");
    let ticket = Ticket::find_in(&subject).or_else(|| Ticket::find_in(&references));
    let files = message
        .attachments()
        .enumerate()
        .map(|(i, part)| UploadedFile {
            name: part
                .attachment_name()
                .map_or_else(|| format!("lampiran-{}", i + 1), str::to_string),
            bytes: part.contents().to_vec(),
        })
        .collect();
    Facts {
        message_id,
        sender: from
            .and_then(|a| a.address())
            .map(|a| a.trim().to_lowercase()),
        sender_name: from
            .and_then(|a| a.name())
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty()),
        subject,
        body,
        sent_at: message.date().and_then(|d| {
            OffsetDateTime::parse(
                &d.to_rfc3339(),
                &time::format_description::well_known::Rfc3339,
            )
            .ok()
        }),
        ticket,
        files,
    }
}

/// Automatic mail, bounces and our own: never answered, never a case.
fn loop_risk(message: &Message<'_>, sender: &str, own: Option<&str>) -> Option<Held> {
    let header = |name: &str| {
        message
            .header_raw(name)
            .map(|v| v.trim().to_ascii_lowercase())
    };
    if let Some(value) = header("Auto-Submitted").filter(|v| !v.starts_with("no")) {
        return Some(held("automatic", Some(format!("Auto-Submitted: {value}"))));
    }
    if let Some(value) = header("Precedence")
        .filter(|v| matches!(v.as_str(), "bulk" | "junk" | "list" | "auto_reply"))
    {
        return Some(held("automatic", Some(format!("Precedence: {value}"))));
    }
    if header("X-Autoreply").is_some() || header("X-Autorespond").is_some() {
        return Some(held("automatic", None));
    }
    let local = sender.split('@').next().unwrap_or_default();
    let report = message.content_type().is_some_and(|c| {
        c.ctype().eq_ignore_ascii_case("multipart")
            && c.subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
    });
    if report || matches!(local, "mailer-daemon" | "postmaster") {
        return Some(held("bounce", None));
    }
    if own.is_some_and(|own| own.eq_ignore_ascii_case(sender)) {
        return Some(held("own_address", None));
    }
    None
}

impl Aduan {
    /// Handles one delivered mail. `Err` only when it could not be stored at all (the database
    /// is down): the sender's server or the IMAP fetcher then tries again later.
    pub async fn receive_mail(&self, raw: &[u8], origin: &str) -> Result<MailOutcome, AppError> {
        self.handle_mail(raw, origin, false).await
    }

    async fn handle_mail(
        &self,
        raw: &[u8],
        origin: &str,
        admin_accepted: bool,
    ) -> Result<MailOutcome, AppError> {
        if raw.len() > MAX_MAIL_BYTES {
            return self
                .hold(
                    raw,
                    origin,
                    None,
                    held("too_large", Some(raw.len().to_string())),
                )
                .await;
        }
        let Some(message) = MessageParser::default().parse(raw) else {
            return self.hold(raw, origin, None, held("unreadable", None)).await;
        };
        let facts = facts(&message, raw);
        if let Some(ticket) = self.store.sourced_case(SYSTEM, &facts.message_id).await? {
            return Ok(MailOutcome::AlreadyReceived {
                ticket: ticket.to_string(),
            });
        }
        let Some(sender) = facts.sender.clone() else {
            return self
                .hold(raw, origin, Some(&facts), held("no_sender", None))
                .await;
        };
        if !admin_accepted
            && let Some(risk) = loop_risk(&message, &sender, self.own_address().as_deref())
        {
            return self.hold(raw, origin, Some(&facts), risk).await;
        }
        drop(message);
        let (files, refused) = acceptable_files(&facts.files);
        let source = ExternalSource {
            system: SYSTEM.into(),
            id: facts.message_id.clone(),
            link: None,
            sent_at: facts.sent_at,
            attachments: refused,
        };
        if let Some(outcome) = self.join_reply(&facts, &sender, &files, &source).await? {
            return Ok(outcome);
        }
        let org = self.organisation();
        let Some(category) = org.imports.category_for(None) else {
            return self
                .hold(
                    raw,
                    origin,
                    Some(&facts),
                    held("invalid", Some("category: not_mapped".into())),
                )
                .await;
        };
        let title = if facts.subject.is_empty() {
            title_from(&facts.body)
        } else {
            facts
                .subject
                .chars()
                .take(aduan_domain::intake::TITLE_MAX)
                .collect()
        };
        // A short body still makes a case when the subject says enough.
        let description = if facts.body.chars().count() >= 20 {
            facts.body.clone()
        } else {
            format!("{}\n\n{}", facts.subject, facts.body)
                .trim()
                .to_string()
        };
        let input =
            CaseInput {
                kind: Some("complaint".into()),
                category: Some(category),
                title: Some(title),
                description: Some(description),
                privacy: Some("confidential".into()),
                language: Some("id".into()),
                reporter: Some(ReporterInput {
                    name: Some(facts.sender_name.clone().unwrap_or_else(|| {
                        sender.split('@').next().unwrap_or(&sender).to_string()
                    })),
                    email: Some(sender.clone()),
                    ..ReporterInput::default()
                }),
                ..CaseInput::default()
            };
        let today = self.calendar().local_date(self.now());
        if let Err(errors) = validate(&input, Channel::Email, &org, today) {
            let detail = errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.code))
                .collect::<Vec<_>>()
                .join(", ");
            return self
                .hold(raw, origin, Some(&facts), held("invalid", Some(detail)))
                .await;
        }
        match self
            .register_case(&input, Channel::Email, None, None, files, Some(&source))
            .await
        {
            Ok(created) => {
                tracing::info!(ticket = %created.ticket, origin, "mail made a case");
                Ok(MailOutcome::Created {
                    ticket: created.ticket.to_string(),
                })
            }
            Err(AppError::Duplicate("source")) => self.already(&facts.message_id).await,
            Err(AppError::Validation(errors)) => {
                let detail = errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.code))
                    .collect::<Vec<_>>()
                    .join(", ");
                self.hold(raw, origin, Some(&facts), held("invalid", Some(detail)))
                    .await
            }
            Err(other) => Err(other),
        }
    }

    /// A reply from a case's own reporter joins that case; any other mail naming a ticket makes
    /// a case of its own (a stranger cannot speak for the reporter).
    async fn join_reply(
        &self,
        facts: &Facts,
        sender: &str,
        files: &[UploadedFile],
        source: &ExternalSource,
    ) -> Result<Option<MailOutcome>, AppError> {
        let Some(ticket) = &facts.ticket else {
            return Ok(None);
        };
        let Some(case) = self.store.case(ticket, &Scope::All).await? else {
            return Ok(None);
        };
        let reporter = self.store.reporter(case.id).await?.unwrap_or_default();
        let from_reporter = reporter
            .email
            .as_ref()
            .is_some_and(|e| e.as_str().eq_ignore_ascii_case(sender));
        if !from_reporter {
            return Ok(None);
        }
        // Files first: if the process dies before the message is recorded, the mail comes
        // again and its files are stored twice, never lost.
        if !files.is_empty() {
            self.store_mail_files(case.id, files).await?;
        }
        let text = if facts.body.is_empty() {
            facts.subject.clone()
        } else {
            facts.body.clone()
        };
        let action = Action::Message {
            text: text
                .chars()
                .take(aduan_domain::intake::DESCRIPTION_MAX)
                .collect(),
        };
        let actor = Actor::System {
            rule: "email".into(),
        };
        match self
            .apply_action_from(case, &action, &actor, Some(Channel::Email), Some(source))
            .await
        {
            Ok(case) => {
                tracing::info!(ticket = %case.ticket, "mail joined its case");
                Ok(Some(MailOutcome::Joined {
                    ticket: case.ticket.to_string(),
                }))
            }
            Err(AppError::Duplicate("source")) => self.already(&facts.message_id).await.map(Some),
            Err(other) => Err(other),
        }
    }

    async fn store_mail_files(&self, case_id: i64, files: &[UploadedFile]) -> Result<(), AppError> {
        let uploads: Vec<Upload<'_>> = files
            .iter()
            .map(|f| Upload {
                name: &f.name,
                bytes: &f.bytes,
            })
            .collect();
        let accepted = attachment::check(&uploads).map_err(AppError::Validation)?;
        let now = self.now();
        let attachments = accepted
            .into_iter()
            .zip(files)
            .map(|(ok, file)| aduan_store::NewAttachment {
                name: ok.name,
                content_type: ok.content_type.to_string(),
                sha256: hex::encode(Sha256::digest(&file.bytes)),
                data: file.bytes.clone(),
                uploaded_by: "email".into(),
                purpose: attachment::Purpose::Evidence.code().to_string(),
            })
            .collect();
        self.store
            .add_attachments(case_id, now, attachments)
            .await?;
        Ok(())
    }

    async fn already(&self, message_id: &str) -> Result<MailOutcome, AppError> {
        match self.store.sourced_case(SYSTEM, message_id).await? {
            Some(ticket) => Ok(MailOutcome::AlreadyReceived {
                ticket: ticket.to_string(),
            }),
            None => Err(AppError::Conflict),
        }
    }

    async fn hold(
        &self,
        raw: &[u8],
        origin: &str,
        facts: Option<&Facts>,
        why: Held,
    ) -> Result<MailOutcome, AppError> {
        let id = self
            .store
            .quarantine_mail(NewQuarantinedMail {
                received_at: self.now(),
                origin: origin.chars().take(100).collect(),
                reason: why.reason.to_string(),
                detail: why.detail.map(|d| d.chars().take(500).collect()),
                message_id: facts.map(|f| f.message_id.chars().take(500).collect()),
                sender: facts.and_then(|f| f.sender.clone()),
                subject: facts.map(|f| f.subject.chars().take(300).collect()),
                raw: raw.to_vec(),
                raw_sha256: hex::encode(Sha256::digest(raw)),
            })
            .await?;
        // The sender and subject stay out of the log (personal data); the id finds them.
        tracing::warn!(id, reason = why.reason, origin, "mail quarantined");
        Ok(MailOutcome::Quarantined {
            id,
            reason: why.reason.to_string(),
        })
    }

    /// Keeps the header of a mail too large to fetch whole; the mail itself stays on the mail
    /// server where `kept_at` says, so the admin can still find it there.
    pub async fn hold_oversized_mail(
        &self,
        header: &[u8],
        size: u64,
        origin: &str,
        kept_at: &str,
    ) -> Result<MailOutcome, AppError> {
        let parsed = MessageParser::default().parse_headers(header);
        let facts = parsed.as_ref().map(|m| facts(m, header));
        let detail = format!("{size} bytes; the whole mail stays in {kept_at}");
        self.hold(
            header,
            origin,
            facts.as_ref(),
            held("too_large", Some(detail)),
        )
        .await
    }

    /// The address our own mail comes from, to recognise it coming back.
    fn own_address(&self) -> Option<String> {
        self.mail_from()
            .and_then(|from| {
                from.rsplit_once('<')
                    .map(|(_, rest)| rest.trim_end_matches('>').to_string())
                    .or(Some(from))
            })
            .map(|a| a.trim().to_lowercase())
    }

    /// Mail kept aside, newest first. Admins only.
    pub async fn quarantine(
        &self,
        user: &StaffUser,
        state: &str,
    ) -> Result<Vec<QuarantineView>, AppError> {
        admin_only(user)?;
        let state = match state {
            "retried" | "discarded" => state,
            _ => "held",
        };
        Ok(self
            .store
            .quarantined_mail(state, 200)
            .await?
            .into_iter()
            .map(QuarantineView::from)
            .collect())
    }

    /// Handles a kept mail again, as the admin decided it is genuine (no loop checks).
    pub async fn retry_quarantined(
        &self,
        user: &StaffUser,
        id: i64,
    ) -> Result<MailOutcome, AppError> {
        admin_only(user)?;
        let Some((state, raw)) = self.store.quarantined_raw(id).await? else {
            return Err(AppError::NotFound);
        };
        if state != "held" {
            return Err(AppError::NotFound);
        }
        let outcome = self.handle_mail(&raw, "retry", true).await?;
        if matches!(&outcome, MailOutcome::Quarantined { id: again, .. } if *again == id) {
            // Still not something a case can be made of: the entry stays held.
            tracing::info!(id, by = %user.username, "quarantined mail retried, still held");
            return Ok(outcome);
        }
        // Handled: this entry is done.
        self.store
            .resolve_quarantined(id, "retried", &user.username, self.now())
            .await?;
        tracing::info!(id, by = %user.username, ?outcome, "quarantined mail retried");
        Ok(outcome)
    }

    pub async fn discard_quarantined(&self, user: &StaffUser, id: i64) -> Result<(), AppError> {
        admin_only(user)?;
        if self
            .store
            .resolve_quarantined(id, "discarded", &user.username, self.now())
            .await?
        {
            tracing::info!(id, by = %user.username, "quarantined mail discarded");
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }
}

fn admin_only(user: &StaffUser) -> Result<(), AppError> {
    if user.role == Role::Admin {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// The attachments a case may keep (checked by content, within the count), and a note for each
/// one refused, kept with the case's source so staff know the mail had it.
fn acceptable_files(files: &[UploadedFile]) -> (Vec<UploadedFile>, Vec<String>) {
    let mut kept = Vec::new();
    let mut refused = Vec::new();
    for file in files {
        let one = [Upload {
            name: &file.name,
            bytes: &file.bytes,
        }];
        match attachment::check(&one) {
            Ok(_) if kept.len() < attachment::MAX_FILES => kept.push(file.clone()),
            Ok(_) => refused.push(format!("{} (too_many)", clean_name(&file.name))),
            Err(errors) => {
                let why = errors.first().map_or("refused", |e| e.code);
                refused.push(format!("{} ({why})", clean_name(&file.name)));
            }
        }
    }
    (kept, refused)
}

fn clean_name(name: &str) -> String {
    name.chars().filter(|c| !c.is_control()).take(200).collect()
}
