//! E-mail addresses as people type them into forms: checked for shape, domain lower-cased.
//! Whether the mailbox exists is only known when a message bounces.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("the e-mail address is not of the form name@domain.tld")]
    Shape,
    #[error("the e-mail address is too long")]
    Length,
}

impl Email {
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let trimmed = input.trim();
        if trimmed.len() > 254 {
            return Err(EmailError::Length);
        }
        let (local, domain) = trimmed.rsplit_once('@').ok_or(EmailError::Shape)?;
        if local.is_empty() || local.len() > 64 || !local.chars().all(local_char) {
            return Err(EmailError::Shape);
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(EmailError::Shape);
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let valid_label = |l: &&str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        let tld_is_alphabetic = labels
            .last()
            .is_some_and(|t| t.len() >= 2 && t.chars().all(|c| c.is_ascii_alphabetic()));
        if labels.len() < 2 || !labels.iter().all(valid_label) || !tld_is_alphabetic {
            return Err(EmailError::Shape);
        }
        Ok(Self(format!("{local}@{}", domain.to_ascii_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c)
}

impl TryFrom<String> for Email {
    type Error = EmailError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let domain = self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or("");
        write!(f, "Email(…@{domain})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_lowercases_domain() {
        let e = Email::parse("  Budi.Santoso+aduan@Mail.Example.CO.ID ").unwrap();
        assert_eq!(e.as_str(), "Budi.Santoso+aduan@mail.example.co.id");
    }

    #[test]
    fn refuses_malformed() {
        for bad in [
            "",
            "budi",
            "budi@",
            "@example.com",
            "budi@example",
            "budi@@example.com",
            "budi@exa mple.com",
            "budi@-example.com",
            ".budi@example.com",
            "bu..di@example.com",
            "budi@example.c0m",
            "<script>@x.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} accepted");
        }
        assert_eq!(
            Email::parse(&format!("{}@x.com", "a".repeat(250))),
            Err(EmailError::Length)
        );
    }
}
