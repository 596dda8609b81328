//! Imports from SP4N-LAPOR! and from social media exports, and the updates that go back to
//! LAPOR!. A file is read row by row: each good row makes or joins a case, each bad row is
//! reported with its line and why, and a row imported before is recognised by the other
//! system's id, so that importing the same file twice changes nothing.

use crate::AppError;
use crate::service::{Aduan, StaffUser};
use aduan_domain::intake::{FieldError, validate};
use aduan_domain::lapor::{self, LaporReport, LaporUpdate};
use aduan_domain::social::SocialMessage;
use aduan_domain::{Action, Channel, Role, Scope, Ticket};
use serde::Serialize;
use time::OffsetDateTime;

/// The largest import file: a month of LAPOR! reports fits many times over.
pub const MAX_IMPORT_BYTES: usize = 20 * 1024 * 1024;
/// Rows of a LAPOR! file written at the same time.
const IMPORT_CONCURRENCY: usize = 16;

/// The most rows of one file; a larger export is split.
pub const MAX_IMPORT_ROWS: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    Json,
    Csv,
}

impl ImportFormat {
    /// From a file name's extension or a format name.
    pub fn guess(name: &str) -> Option<Self> {
        let lower = name.trim().to_ascii_lowercase();
        if lower == "json" || lower.ends_with(".json") {
            Some(Self::Json)
        } else if lower == "csv" || lower.ends_with(".csv") {
            Some(Self::Csv)
        } else {
            None
        }
    }
}

/// What happened to one row.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RowOutcome {
    /// A new case.
    Created { ticket: String },
    /// A message on an existing case.
    Joined { ticket: String },
    /// Imported before: the case it made or joined then.
    AlreadyImported { ticket: String },
    /// Not imported; every wrong field is named.
    Refused { errors: Vec<FieldError> },
    /// The row could not be read at all.
    Unreadable { message: String },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportRow {
    /// The line of the CSV file (the header is line 1), or the position in the JSON array
    /// (the first item is 1).
    pub line: u64,
    #[serde(flatten)]
    pub outcome: RowOutcome,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportReport {
    pub created: usize,
    pub joined: usize,
    pub already_imported: usize,
    pub refused: usize,
    pub rows: Vec<ImportRow>,
}

impl ImportReport {
    fn push(&mut self, line: u64, outcome: RowOutcome) {
        match &outcome {
            RowOutcome::Created { .. } => self.created += 1,
            RowOutcome::Joined { .. } => self.joined += 1,
            RowOutcome::AlreadyImported { .. } => self.already_imported += 1,
            RowOutcome::Refused { .. } | RowOutcome::Unreadable { .. } => self.refused += 1,
        }
        self.rows.push(ImportRow { line, outcome });
    }
}

/// Why a whole file was refused before any row was read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileProblem {
    #[error("the file is larger than {MAX_IMPORT_BYTES} bytes")]
    TooLarge,
    #[error("the file has more than {MAX_IMPORT_ROWS} rows")]
    TooManyRows,
    #[error("the file is empty")]
    Empty,
    #[error("the file cannot be read: {0}")]
    Unreadable(String),
}

/// A row with its line, read or not.
type NumberedRow<T> = (u64, Result<T, String>);

/// Splits a file into rows of `T`, each with its line; a row that cannot be read is kept as
/// its error, so that one bad row does not hide the good ones.
fn rows<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    format: ImportFormat,
) -> Result<Vec<NumberedRow<T>>, FileProblem> {
    if bytes.len() > MAX_IMPORT_BYTES {
        return Err(FileProblem::TooLarge);
    }
    // Spreadsheet programs start UTF-8 files with a byte order mark.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(FileProblem::Empty);
    }
    let rows = match format {
        ImportFormat::Json => {
            let items: Vec<serde_json::Value> = serde_json::from_slice(bytes)
                .map_err(|e| FileProblem::Unreadable(format!("not a JSON array of rows: {e}")))?;
            if items.len() > MAX_IMPORT_ROWS {
                return Err(FileProblem::TooManyRows);
            }
            items
                .into_iter()
                .zip(1u64..)
                .map(|(item, n)| (n, serde_json::from_value(item).map_err(|e| e.to_string())))
                .collect()
        }
        ImportFormat::Csv => {
            let mut reader = csv::ReaderBuilder::new()
                .flexible(true)
                .trim(csv::Trim::Headers)
                .from_reader(bytes);
            let headers = reader
                .byte_headers()
                .map_err(|e| FileProblem::Unreadable(format!("no header row: {e}")))?
                .clone();
            let mut out = Vec::new();
            let mut record = csv::ByteRecord::new();
            let mut lines = LineCounter::default();
            loop {
                let line = lines.line_at(bytes, reader.position().byte());
                match reader.read_byte_record(&mut record) {
                    Ok(false) => break,
                    Ok(true) => {
                        if out.len() >= MAX_IMPORT_ROWS {
                            return Err(FileProblem::TooManyRows);
                        }
                        let row = record
                            .deserialize::<T>(Some(&headers))
                            .map_err(|e| csv_message(&e));
                        out.push((line, row));
                    }
                    Err(e) => {
                        out.push((line, Err(csv_message(&e))));
                        if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                            break;
                        }
                    }
                }
            }
            out
        }
    };
    Ok(rows)
}

/// The line a record starts on. The csv reader's own line count lags after a CRLF line end
/// (it ends the record at the CR), so the lines are counted here from the bytes.
#[derive(Default)]
struct LineCounter {
    scanned: usize,
    newlines: u64,
}

impl LineCounter {
    fn line_at(&mut self, bytes: &[u8], start: u64) -> u64 {
        let mut start = usize::try_from(start)
            .unwrap_or(bytes.len())
            .min(bytes.len());
        while bytes.get(start).is_some_and(|b| *b == b'\r' || *b == b'\n') {
            start += 1;
        }
        let from = self.scanned.min(start);
        self.newlines += bytes[from..start].iter().filter(|b| **b == b'\n').count() as u64;
        self.scanned = start;
        self.newlines + 1
    }
}

fn csv_message(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::Deserialize { err, .. } => match err.field() {
            Some(field) => format!("field {}: {}", field + 1, err.kind()),
            None => err.kind().to_string(),
        },
        other => format!("{other:?}"),
    }
}

/// Roles that may import from other systems: the coordinating section, the intake desk (the
/// social media team) and admins (for LAPOR! files).
fn may_import(user: &StaffUser, lapor: bool) -> bool {
    matches!(user.role, Role::Coordinator | Role::Intake) || (lapor && user.role == Role::Admin)
}

/// The types of change LAPOR! hears about.
const LAPOR_UPDATE_TYPES: [&str; 8] = [
    "verified",
    "dispositioned",
    "info_requested",
    "answer_published",
    "closed",
    "rejected",
    "forwarded",
    "merged",
];

/// The most updates one export gives; the next export starts where this one ended.
pub const MAX_EXPORT_UPDATES: u32 = 5_000;

impl Aduan {
    /// Imports a file of reports forwarded by SP4N-LAPOR!.
    pub async fn import_lapor(
        &self,
        user: &StaffUser,
        bytes: &[u8],
        format: ImportFormat,
    ) -> Result<Result<ImportReport, FileProblem>, AppError> {
        if !may_import(user, true) {
            return Err(AppError::Forbidden);
        }
        let rows = match rows::<LaporReport>(bytes, format) {
            Ok(rows) => rows,
            Err(problem) => return Ok(Err(problem)),
        };
        // Rows are written several at a time, so that the writer commits them together (one
        // durable transaction for many cases); the report keeps the file's order. A tracking id
        // that appears twice in the file still makes one case (the database key decides).
        use futures_util::StreamExt;
        let outcomes: Vec<(u64, Result<RowOutcome, AppError>)> =
            futures_util::stream::iter(rows.into_iter().map(|(line, row)| async move {
                let outcome = match row {
                    Err(message) => Ok(RowOutcome::Unreadable { message }),
                    Ok(row) => self.import_lapor_row(user, &row).await,
                };
                (line, outcome)
            }))
            .buffered(IMPORT_CONCURRENCY)
            .collect()
            .await;
        let mut report = ImportReport::default();
        for (line, outcome) in outcomes {
            report.push(line, outcome?);
        }
        tracing::info!(user = %user.username, created = report.created, again = report.already_imported, refused = report.refused, "LAPOR! file imported");
        Ok(Ok(report))
    }

    async fn import_lapor_row(
        &self,
        user: &StaffUser,
        row: &LaporReport,
    ) -> Result<RowOutcome, AppError> {
        let org = self.organisation();
        let (input, source) = match row.to_input(&org.imports) {
            Ok(parts) => parts,
            Err(errors) => return Ok(RowOutcome::Refused { errors }),
        };
        if let Some(ticket) = self.store.sourced_case(&source.system, &source.id).await? {
            return Ok(already(ticket));
        }
        let today = self.calendar().local_date(self.now());
        if let Err(errors) = validate(&input, Channel::Lapor, &org, today) {
            return Ok(RowOutcome::Refused {
                errors: lapor::rename_fields(errors),
            });
        }
        let made = self
            .register_case(
                &input,
                Channel::Lapor,
                Some(user),
                None,
                Vec::new(),
                Some(&source),
            )
            .await
            .map(|c| c.ticket);
        self.outcome_of(made, &source, false).await
    }

    /// Imports a file of social media or WhatsApp messages.
    pub async fn import_social(
        &self,
        user: &StaffUser,
        bytes: &[u8],
        format: ImportFormat,
    ) -> Result<Result<ImportReport, FileProblem>, AppError> {
        if !may_import(user, false) {
            return Err(AppError::Forbidden);
        }
        let rows = match rows::<SocialMessage>(bytes, format) {
            Ok(rows) => rows,
            Err(problem) => return Ok(Err(problem)),
        };
        let mut report = ImportReport::default();
        for (line, row) in rows {
            let outcome = match row {
                Err(message) => RowOutcome::Unreadable { message },
                Ok(row) => self.import_social_row(user, &row).await?,
            };
            report.push(line, outcome);
        }
        tracing::info!(user = %user.username, created = report.created, joined = report.joined, again = report.already_imported, refused = report.refused, "social media file imported");
        Ok(Ok(report))
    }

    async fn import_social_row(
        &self,
        user: &StaffUser,
        row: &SocialMessage,
    ) -> Result<RowOutcome, AppError> {
        let org = self.organisation();
        let item = match row.read() {
            Ok(item) => item,
            Err(errors) => return Ok(RowOutcome::Refused { errors }),
        };
        let source = &item.source;
        if let Some(ticket) = self.store.sourced_case(&source.system, &source.id).await? {
            return Ok(already(ticket));
        }
        if let Some(ticket) = &item.ticket {
            match self.store.case(ticket, &Scope::All).await? {
                Some(case) => {
                    let action = Action::Message {
                        text: item.text.clone(),
                    };
                    let joined = self
                        .apply_action_from(
                            case,
                            &action,
                            &user.actor(),
                            Some(Channel::Social),
                            Some(source),
                        )
                        .await
                        .map(|c| c.ticket);
                    return self.outcome_of(joined, source, true).await;
                }
                // A ticket the team named must exist; one that only appears in the text may be a
                // typo or another agency's, so the message makes a case of its own.
                None if item.ticket_named => {
                    return Ok(RowOutcome::Refused {
                        errors: vec![FieldError::new("ticket", "not_found")],
                    });
                }
                None => {}
            }
        }
        let input = match item.new_case(&org.imports) {
            Ok(input) => input,
            Err(errors) => return Ok(RowOutcome::Refused { errors }),
        };
        let today = self.calendar().local_date(self.now());
        if let Err(errors) = validate(&input, Channel::Social, &org, today) {
            return Ok(RowOutcome::Refused {
                errors: social_fields(errors),
            });
        }
        let made = self
            .register_case(
                &input,
                Channel::Social,
                Some(user),
                Some(item.account.clone()),
                Vec::new(),
                Some(source),
            )
            .await
            .map(|c| c.ticket);
        self.outcome_of(made, source, false).await
    }

    /// The row's outcome from the write (a new case, or a message that `joined` one), or the
    /// earlier import when another import of the same item won the race.
    async fn outcome_of(
        &self,
        written: Result<Ticket, AppError>,
        source: &aduan_domain::external::ExternalSource,
        joined: bool,
    ) -> Result<RowOutcome, AppError> {
        match written {
            Ok(ticket) if joined => Ok(RowOutcome::Joined {
                ticket: ticket.to_string(),
            }),
            Ok(ticket) => Ok(RowOutcome::Created {
                ticket: ticket.to_string(),
            }),
            Err(AppError::Duplicate("source")) => {
                match self.store.sourced_case(&source.system, &source.id).await? {
                    Some(ticket) => Ok(already(ticket)),
                    None => Err(AppError::Conflict),
                }
            }
            Err(AppError::Refused(refusal)) => Ok(RowOutcome::Refused {
                errors: vec![FieldError::new("ticket", refusal_code(&refusal))],
            }),
            Err(AppError::Validation(errors)) => Ok(RowOutcome::Refused { errors }),
            Err(other) => Err(other),
        }
    }

    /// What the agency did on cases from SP4N-LAPOR! since `since`, to post back to LAPOR!.
    pub async fn lapor_updates(
        &self,
        user: &StaffUser,
        since: OffsetDateTime,
    ) -> Result<Vec<LaporUpdate>, AppError> {
        if !matches!(user.role, Role::Coordinator | Role::Admin) {
            return Err(AppError::Forbidden);
        }
        let found = self
            .store
            .source_updates(
                lapor::SYSTEM,
                since,
                &LAPOR_UPDATE_TYPES,
                MAX_EXPORT_UPDATES,
            )
            .await?;
        Ok(found
            .into_iter()
            .filter_map(|u| {
                let (status, text) = lapor::update_for(u.event.change())?;
                Some(LaporUpdate {
                    tracking_id: u.external_id,
                    ticket: u.ticket.to_string(),
                    at: u.event.at,
                    status,
                    text,
                })
            })
            .collect())
    }
}

fn already(ticket: Ticket) -> RowOutcome {
    RowOutcome::AlreadyImported {
        ticket: ticket.to_string(),
    }
}

fn refusal_code(refusal: &aduan_domain::Refusal) -> &'static str {
    match refusal {
        aduan_domain::Refusal::Invalid { problem, .. } => problem,
        _ => "refused",
    }
}

/// Names the errors of a message's submission by the import file's fields.
fn social_fields(errors: Vec<FieldError>) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|mut e| {
            e.field = match e.field.as_str() {
                "title" | "description" => "text".into(),
                "reporter.name" => "account".into(),
                other => other.to_string(),
            };
            e
        })
        .collect()
}

/// Rows of LAPOR! updates as CSV (UTF-8 with a byte order mark, so that spreadsheet programs
/// show Indonesian text right).
pub fn lapor_updates_csv(updates: &[LaporUpdate]) -> Result<Vec<u8>, AppError> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        // The header is written even when there is nothing to report, so that a script reading
        // the file always finds its columns.
        let mut writer = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(&mut out);
        writer
            .write_record(["tracking_id", "ticket", "at", "status", "text"])
            .map_err(|e| AppError::Internal(format!("csv: {e}")))?;
        for update in updates {
            writer
                .serialize(update)
                .map_err(|e| AppError::Internal(format!("csv: {e}")))?;
        }
        writer
            .flush()
            .map_err(|e| AppError::Internal(format!("csv: {e}")))?;
    }
    Ok(out)
}
