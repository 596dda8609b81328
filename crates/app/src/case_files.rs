//! Files officers upload to go out with an answer, and the downloads of published answer files
//! by the reporter (with the access code) and by the public (for public cases only). Files
//! that came with the report are evidence and are never published.

use crate::AppError;
use crate::service::{Aduan, StaffUser, UploadedFile};
use crate::views::AttachmentView;
use aduan_domain::attachment::{Purpose, Upload, check};
use aduan_domain::intake::FieldError;
use aduan_domain::{ActionCode, Privacy, Scope, Ticket};
use aduan_store::{AttachmentMeta, CaseRecord, NewAttachment};

/// Most answer files one case may collect (over drafts sent back and written again).
pub const MAX_ANSWER_FILES_PER_CASE: usize = 30;

impl Aduan {
    /// Stores files for the answer of a case, checked by content. Only someone who may write
    /// the answer now may upload them.
    pub async fn add_answer_files(
        &self,
        user: &StaffUser,
        ticket: &str,
        files: Vec<UploadedFile>,
    ) -> Result<Vec<AttachmentView>, AppError> {
        let case = self.scoped_case(user, ticket).await?;
        if !self.may(user, &case, ActionCode::SubmitDraft) {
            return Err(AppError::Forbidden);
        }
        if files.is_empty() {
            return Err(AppError::Validation(vec![FieldError::new(
                "files", "required",
            )]));
        }
        let uploads: Vec<Upload<'_>> = files
            .iter()
            .map(|f| Upload {
                name: &f.name,
                bytes: &f.bytes,
            })
            .collect();
        let accepted = check(&uploads).map_err(AppError::Validation)?;
        let existing = self
            .store
            .attachments(case.id)
            .await?
            .iter()
            .filter(|f| f.purpose == Purpose::Answer.code())
            .count();
        if existing + accepted.len() > MAX_ANSWER_FILES_PER_CASE {
            return Err(AppError::Validation(vec![FieldError::new(
                "files",
                "too_many_answer_files",
            )]));
        }
        let new: Vec<NewAttachment> = accepted
            .into_iter()
            .zip(&files)
            .map(|(ok, file)| NewAttachment {
                name: ok.name,
                content_type: ok.content_type.to_string(),
                sha256: hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&file.bytes)),
                data: file.bytes.clone(),
                uploaded_by: user.username.clone(),
                purpose: Purpose::Answer.code().to_string(),
            })
            .collect();
        let stored = self
            .store
            .add_attachments(case.id, self.clock.now(), new)
            .await?;
        tracing::info!(ticket = %case.ticket, files = stored.len(), "answer files uploaded");
        Ok(stored.into_iter().map(AttachmentView::from).collect())
    }

    /// A file published with the answer of the reporter's case (or of the case it was merged
    /// into), for whoever holds the access code.
    pub async fn reporter_file(
        &self,
        ticket: &str,
        code: &str,
        id: i64,
    ) -> Result<(AttachmentMeta, Vec<u8>), AppError> {
        let case = self.reporter_case(ticket, code).await?;
        let case = match &case.workflow.outcome {
            Some(aduan_domain::lifecycle::Outcome::Merged { into }) => self
                .store
                .case(into, &Scope::All)
                .await?
                .ok_or(AppError::NotFound)?,
            _ => case,
        };
        self.answer_file(&case, id).await
    }

    /// A file published with the answer of a public case, for anyone.
    pub async fn published_file(
        &self,
        ticket: &str,
        id: i64,
    ) -> Result<(AttachmentMeta, Vec<u8>), AppError> {
        let ticket = Ticket::parse(ticket).map_err(|_| AppError::NotFound)?;
        let case = self
            .store
            .case(&ticket, &Scope::All)
            .await?
            .filter(|c| c.privacy == Privacy::Public)
            .ok_or(AppError::NotFound)?;
        self.answer_file(&case, id).await
    }

    async fn answer_file(
        &self,
        case: &CaseRecord,
        id: i64,
    ) -> Result<(AttachmentMeta, Vec<u8>), AppError> {
        let published = case
            .workflow
            .answer
            .as_ref()
            .is_some_and(|a| a.attachments.contains(&id));
        if !published {
            return Err(AppError::NotFound);
        }
        self.store
            .attachment(case.id, id)
            .await?
            .filter(|(meta, _)| meta.purpose == Purpose::Answer.code())
            .ok_or(AppError::NotFound)
    }

    /// Fills in the files of a tracked case's answer.
    pub(crate) async fn fill_answer_files(
        &self,
        case: &CaseRecord,
        view: &mut crate::views::TrackView,
    ) -> Result<(), AppError> {
        if let (Some(answer), Some(shown)) = (&case.workflow.answer, view.answer.as_mut())
            && !answer.attachments.is_empty()
        {
            let files = self.store.attachments(case.id).await?;
            shown.files = crate::views::FileView::pick(&answer.attachments, &files);
        }
        Ok(())
    }
}
