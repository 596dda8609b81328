//! Settings of the binary: command-line flag, then `ADUAN_*` environment variable, then the
//! config file (`--config`), then the default.

use anyhow::Context;
use serde::Deserialize;
use std::path::Path;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATABASE: &str = "sqlite://./data/aduan.db";
pub const DEFAULT_MAIL_FROM: &str = "Aduan <aduan@localhost>";

/// The optional TOML config file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    pub listen: Option<String>,
    pub database: Option<String>,
    /// Path of the organisation file (units, categories, deadlines).
    pub organisation: Option<String>,
    /// SMTP server for notifications (see `aduan serve --help`).
    pub smtp_url: Option<String>,
    pub mail_from: Option<String>,
    /// Address of the portal, for links in messages.
    pub public_url: Option<String>,
    /// Loopback address to take mail on over SMTP.
    pub mail_listen: Option<String>,
    /// The mailbox to poll over IMAP (imaps://USER@HOST/MAILBOX) and how.
    pub imap_url: Option<String>,
    pub imap_password: Option<String>,
    pub imap_done_folder: Option<String>,
    pub imap_ca_file: Option<String>,
    pub imap_interval: Option<u64>,
}

impl FileSettings {
    pub fn load(path: Option<&Path>) -> anyhow::Result<Self> {
        let Some(path) = path else {
            return Ok(Self::default());
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        toml::from_str(&text)
            .with_context(|| format!("config file {} is not valid", path.display()))
    }
}
