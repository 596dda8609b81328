//! Use cases of Aduan. Each one loads what it needs from the store, lets the domain decide and
//! has the store persist the result in one transaction. Handlers (HTTP, CLI) call only this.

pub mod admin;
pub mod auth;
pub mod calendar;
pub mod case_files;
pub mod charts;
pub mod clock;
pub mod config;
mod deadlines;
pub mod duplicates;
mod error;
pub mod faq;
pub mod imports;
mod links;
pub mod mail;
pub mod mail_in;
pub mod notices;
pub mod open311;
pub mod org_admin;
#[cfg(feature = "pdf")]
pub mod pdf;
pub mod public_stats;
pub mod report_delivery;
pub mod reports;
pub mod responses;
mod service;
pub mod shared_cache;
pub mod statistics;
pub mod templates;
mod token_cache;
pub mod views;
pub mod worker;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::AppError;
pub use service::{ACCESS_ATTEMPTS, Aduan, CreatedCase, MAX_PAGE_SIZE, StaffUser, UploadedFile};

/// Random bytes from the operating system.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], AppError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
    Ok(bytes)
}
