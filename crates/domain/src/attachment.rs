//! Files a reporter or an officer attaches to a case: photos and PDF documents, checked by their
//! content (magic bytes), never by the name or the type the browser claims.

use crate::code_enum;
use crate::intake::FieldError;

code_enum! {
    /// Why a file is on a case. Evidence came with the report and may show personal data: it is
    /// never published. Answer files are uploaded by staff and go out with the answer.
    pub enum Purpose {
        Evidence = "evidence",
        Answer = "answer",
    }
}

/// The largest file accepted.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// The most files one submission may carry.
pub const MAX_FILES: usize = 5;
const MAX_NAME: usize = 120;

/// The content types accepted, found from the file's first bytes.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

/// A file name safe to store and to send back in a header: no folders, no control characters,
/// at most 120 characters; a neutral name when nothing is left.
pub fn clean_name(name: &str, content_type: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | '|' | '*' | '?' | ':'))
        .take(MAX_NAME)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    if cleaned.is_empty() {
        let extension = match content_type {
            "image/jpeg" => "jpg",
            "image/png" => "png",
            "image/webp" => "webp",
            "image/gif" => "gif",
            _ => "pdf",
        };
        format!("lampiran.{extension}")
    } else {
        cleaned
    }
}

/// One file as received, before it is accepted.
pub struct Upload<'a> {
    pub name: &'a str,
    pub bytes: &'a [u8],
}

/// A file accepted for storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub name: String,
    pub content_type: &'static str,
}

/// Checks a submission's files: how many, how large, what they really are. Empty file inputs
/// (a form sent without choosing a file) are skipped by the caller.
pub fn check(uploads: &[Upload<'_>]) -> Result<Vec<Accepted>, Vec<FieldError>> {
    let mut errors = Vec::new();
    if uploads.len() > MAX_FILES {
        errors.push(FieldError::new("attachments", "too_many"));
    }
    let mut accepted = Vec::new();
    for upload in uploads.iter().take(MAX_FILES) {
        if upload.bytes.len() > MAX_BYTES {
            errors.push(FieldError::new("attachments", "too_large"));
            continue;
        }
        match sniff(upload.bytes) {
            Some(content_type) => accepted.push(Accepted {
                name: clean_name(upload.name, content_type),
                content_type,
            }),
            None => errors.push(FieldError::new("attachments", "unsupported_type")),
        }
    }
    if errors.is_empty() {
        Ok(accepted)
    } else {
        errors.dedup();
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_content_not_the_name() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0rest"), Some("image/jpeg"));
        assert_eq!(sniff(b"%PDF-1.7\n"), Some("application/pdf"));
        assert_eq!(sniff(b"MZ\x90\x00 an exe"), None);
        assert_eq!(sniff(b"<html><script>"), None);
        let exe = Upload {
            name: "foto.jpg",
            bytes: b"MZ\x90\x00",
        };
        assert!(check(&[exe]).is_err());
    }

    #[test]
    fn names_lose_folders_and_control_characters() {
        assert_eq!(
            clean_name("C:\\Users\\siti\\atap bocor.jpg", "image/jpeg"),
            "atap bocor.jpg"
        );
        assert_eq!(clean_name("../../etc/passwd", "application/pdf"), "passwd");
        assert_eq!(clean_name("a\r\nb\".pdf", "application/pdf"), "ab.pdf");
        assert_eq!(clean_name("", "image/png"), "lampiran.png");
        assert_eq!(clean_name(".htaccess", "image/png"), "htaccess");
    }

    #[test]
    fn at_most_five_files_of_ten_megabytes() {
        let small = vec![0xFF, 0xD8, 0xFF, 0];
        let uploads: Vec<Upload<'_>> = (0..6)
            .map(|_| Upload {
                name: "a.jpg",
                bytes: &small,
            })
            .collect();
        let errors = check(&uploads).unwrap_err();
        assert_eq!(errors[0].code, "too_many");
        let mut big = vec![0u8; MAX_BYTES + 1];
        big[..3].copy_from_slice(&[0xFF, 0xD8, 0xFF]);
        let errors = check(&[Upload {
            name: "big.jpg",
            bytes: &big,
        }])
        .unwrap_err();
        assert_eq!(errors[0].code, "too_large");
        assert_eq!(check(&uploads[..5]).unwrap().len(), 5);
    }
}
