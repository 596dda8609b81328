//! Ticket numbers people can read aloud over the phone, and the separate secret access code
//! that lets a reporter follow the case without an account.

use crate::case::Kind;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;

/// `ADU-2026-000123`: a prefix per kind, the year of receipt and a yearly sequence number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Ticket(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a ticket number of the form ADU-2026-000123")]
pub struct TicketError;

impl Ticket {
    pub fn new(kind: Kind, year: i32, sequence: u64) -> Self {
        Self(format!("{}-{year:04}-{sequence:06}", kind.ticket_prefix()))
    }

    /// Accepts what people type: any case, spaces or no dashes (`adu 2026 123`).
    pub fn parse(input: &str) -> Result<Self, TicketError> {
        let cleaned: String = input
            .trim()
            .chars()
            .map(|c| {
                if c == ' ' || c == '/' || c == '.' {
                    '-'
                } else {
                    c.to_ascii_uppercase()
                }
            })
            .collect();
        let parts: Vec<&str> = cleaned.split('-').filter(|p| !p.is_empty()).collect();
        let [prefix, year, seq] = parts.as_slice() else {
            return Err(TicketError);
        };
        if Kind::from_ticket_prefix(prefix).is_none()
            || year.len() != 4
            || !year.bytes().all(|b| b.is_ascii_digit())
            || seq.is_empty()
            || seq.len() > 12
            || !seq.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(TicketError);
        }
        let number: u64 = seq.parse().map_err(|_| TicketError)?;
        if number == 0 {
            return Err(TicketError);
        }
        Ok(Self(format!("{prefix}-{year}-{number:06}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first ticket number written in a text (`… tiket ADU-2026-000123 …`), for replies
    /// that mention their case. Only the dashed form counts, so that other numbers in the
    /// text are not mistaken for one.
    pub fn find_in(text: &str) -> Option<Self> {
        text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .filter(|word| word.matches('-').count() >= 2)
            .find_map(|word| Self::parse(word.trim_matches('-')).ok())
    }
}

impl TryFrom<String> for Ticket {
    type Error = TicketError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Ticket> for String {
    fn from(value: Ticket) -> Self {
        value.0
    }
}

impl fmt::Display for Ticket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Crockford's base32: no I, L, O or U, so that a code read aloud or copied by hand survives.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CODE_CHARS: usize = 12;

/// The secret a reporter keeps with the ticket. 12 characters of base32 = 60 bits, drawn by the
/// caller from the operating system's random source. Only its hash is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessCode(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the access code has 12 letters and digits")]
pub struct AccessCodeError;

impl AccessCode {
    /// Builds a code from random bytes supplied by the caller (the domain does no I/O).
    pub fn from_random(bytes: [u8; 8]) -> Self {
        let mut value = u64::from_le_bytes(bytes);
        let mut code = String::with_capacity(CODE_CHARS);
        for _ in 0..CODE_CHARS {
            code.push(ALPHABET[(value & 31) as usize] as char);
            value >>= 5;
        }
        Self(code)
    }

    /// Accepts the code as printed (`K7QM-4XRT-P9AB`) or as typed, mapping look-alikes.
    pub fn parse(input: &str) -> Result<Self, AccessCodeError> {
        let mut code = String::with_capacity(CODE_CHARS);
        for c in input.chars() {
            let c = match c.to_ascii_uppercase() {
                '-' | ' ' => continue,
                'O' => '0',
                'I' | 'L' => '1',
                c if c.is_ascii() && ALPHABET.contains(&(c as u8)) => c,
                _ => return Err(AccessCodeError),
            };
            code.push(c);
            if code.len() > CODE_CHARS {
                return Err(AccessCodeError);
            }
        }
        if code.len() != CODE_CHARS {
            return Err(AccessCodeError);
        }
        Ok(Self(code))
    }

    /// The grouped form shown on receipts.
    pub fn display(&self) -> String {
        format!("{}-{}-{}", &self.0[..4], &self.0[4..8], &self.0[8..])
    }

    /// Hash bound to the ticket, so that equal codes of two cases hash differently.
    pub fn hash_for(&self, ticket: &Ticket) -> String {
        let mut hasher = Sha256::new();
        hasher.update(ticket.as_str().as_bytes());
        hasher.update(b":");
        hasher.update(self.0.as_bytes());
        hex::encode(hasher.finalize())
    }

    /// Compares against a stored hash in constant time.
    pub fn matches(&self, ticket: &Ticket, stored_hash: &str) -> bool {
        let computed = self.hash_for(ticket);
        computed.as_bytes().ct_eq(stored_hash.as_bytes()).into()
    }
}

impl fmt::Debug for AccessCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessCode(****)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticket_is_found_in_a_text() {
        let found = Ticket::find_in("Re: [ADU-2026-000123] Lift rusak, mohon tindak lanjut");
        assert_eq!(found.map(String::from), Some("ADU-2026-000123".to_string()));
        assert_eq!(
            Ticket::find_in("tiket saya adu-2026-77.").map(String::from),
            Some("ADU-2026-000077".to_string())
        );
        assert_eq!(Ticket::find_in("telepon 0812-3456-7890, NIK 3174"), None);
        assert_eq!(Ticket::find_in(""), None);
    }
    use proptest::prelude::*;

    #[test]
    fn ticket_formats_and_parses_spoken_forms() {
        let t = Ticket::new(Kind::Complaint, 2026, 123);
        assert_eq!(t.as_str(), "ADU-2026-000123");
        assert_eq!(Ticket::parse("adu 2026 123").unwrap(), t);
        assert_eq!(Ticket::parse("ADU-2026-000123").unwrap(), t);
        assert_eq!(
            Ticket::new(Kind::InfoRequest, 2027, 1_234_567).as_str(),
            "INF-2027-1234567"
        );
        for bad in [
            "",
            "ADU-2026",
            "XYZ-2026-000001",
            "ADU-26-000001",
            "ADU-2026-000000",
            "ADU-2026-12a",
        ] {
            assert!(Ticket::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn access_code_round_trips_and_forgives_lookalikes() {
        let code = AccessCode::from_random([7, 1, 200, 99, 3, 250, 17, 64]);
        let shown = code.display();
        assert_eq!(shown.len(), 14);
        assert_eq!(AccessCode::parse(&shown).unwrap(), code);
        assert_eq!(AccessCode::parse(&shown.to_lowercase()).unwrap(), code);
        assert_eq!(
            AccessCode::parse("0000-1111-2222").unwrap(),
            AccessCode::parse("oOoO-iIlL-2222").unwrap()
        );
        assert!(AccessCode::parse("0000-1111-222").is_err());
        assert!(AccessCode::parse("0000-1111-22223").is_err());
        assert!(AccessCode::parse("0000-1111-222U").is_err());
    }

    #[test]
    fn hash_is_bound_to_ticket() {
        let code = AccessCode::from_random([1; 8]);
        let a = Ticket::new(Kind::Complaint, 2026, 1);
        let b = Ticket::new(Kind::Complaint, 2026, 2);
        let stored = code.hash_for(&a);
        assert!(code.matches(&a, &stored));
        assert!(!code.matches(&b, &stored));
        assert!(!AccessCode::from_random([2; 8]).matches(&a, &stored));
    }

    proptest! {
        #[test]
        fn every_random_code_parses_back(bytes in any::<[u8; 8]>()) {
            let code = AccessCode::from_random(bytes);
            prop_assert_eq!(AccessCode::parse(&code.display()).unwrap(), code);
        }

        #[test]
        fn ticket_parse_never_panics(s in "\\PC{0,30}") {
            let _ = Ticket::parse(&s);
        }
    }
}
