//! Indonesian phone numbers, normalised to E.164 (+62…) so that one person typed three ways is
//! still one contact.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error(
        "the phone number contains characters other than digits, spaces, dashes, dots, brackets and a leading +"
    )]
    Characters,
    #[error("the phone number is not an Indonesian number (+62, 62 or 0 followed by the number)")]
    NotIndonesian,
    #[error("the phone number has too few or too many digits")]
    Length,
}

impl Phone {
    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        let trimmed = input.trim();
        let (plus, rest) = match trimmed.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        let mut digits = String::with_capacity(rest.len());
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return Err(PhoneError::Characters),
            }
        }
        let national = if let Some(n) = digits.strip_prefix("62") {
            n
        } else if plus {
            return Err(PhoneError::NotIndonesian);
        } else if let Some(n) = digits.strip_prefix('0') {
            n
        } else {
            return Err(PhoneError::NotIndonesian);
        };
        // Mobile numbers start with 8 and have 9–12 digits after the country code; fixed lines
        // have an area code (2–9, not 0) and 7–11 digits.
        let len = national.len();
        match national.as_bytes().first() {
            Some(b'8') if (9..=12).contains(&len) => {}
            Some(b'2'..=b'9') if (7..=11).contains(&len) => {}
            Some(b'0') => return Err(PhoneError::NotIndonesian),
            _ => return Err(PhoneError::Length),
        }
        Ok(Self(format!("+62{national}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Phone {
    type Error = PhoneError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Phone> for String {
    fn from(value: Phone) -> Self {
        value.0
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tail = &self.0[self.0.len().saturating_sub(3)..];
        write!(f, "Phone(+62…{tail})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn normalises_the_usual_ways_of_writing() {
        for input in [
            "0812-3456-7890",
            "+62 812 3456 7890",
            "62812.3456.7890",
            "(0812) 34567890",
        ] {
            assert_eq!(
                Phone::parse(input).unwrap().as_str(),
                "+6281234567890",
                "{input}"
            );
        }
        assert_eq!(
            Phone::parse("021 5551234").unwrap().as_str(),
            "+62215551234"
        );
    }

    #[test]
    fn refuses_foreign_short_and_garbage() {
        assert_eq!(
            Phone::parse("+1 202 555 0100"),
            Err(PhoneError::NotIndonesian)
        );
        assert_eq!(Phone::parse("0812"), Err(PhoneError::Length));
        assert_eq!(Phone::parse("0812345678901234"), Err(PhoneError::Length));
        assert_eq!(Phone::parse("0812abc"), Err(PhoneError::Characters));
        assert_eq!(Phone::parse("812345678"), Err(PhoneError::NotIndonesian));
        assert_eq!(
            Phone::parse("+620812345678"),
            Err(PhoneError::NotIndonesian)
        );
    }

    proptest! {
        #[test]
        fn normal_form_is_stable(s in "[0-9 +().-]{0,25}") {
            if let Ok(p) = Phone::parse(&s) {
                let again = Phone::parse(p.as_str()).unwrap();
                prop_assert_eq!(again, p);
            }
        }
    }
}
