//! NIK (Nomor Induk Kependudukan): the 16-digit national identity number.
//!
//! Layout: PP KK CC DDMMYY SSSS: province, regency/city, district, birth date (day + 40 for
//! women), serial. We check what can be checked without the population register, so that
//! typing mistakes are caught at the desk instead of weeks later.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Province codes of Kemendagri, including the Papuan provinces formed in 2022.
const PROVINCES: &[u8] = &[
    11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36, 51, 52, 53, 61, 62, 63, 64, 65,
    71, 72, 73, 74, 75, 76, 81, 82, 91, 92, 93, 94, 95, 96,
];

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Nik(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NikError {
    #[error("a NIK has exactly 16 digits")]
    Length,
    #[error("the province part of the NIK does not exist")]
    Province,
    #[error("the regency or district part of the NIK is zero")]
    Region,
    #[error("the birth-date part of the NIK is not a date")]
    BirthDate,
    #[error("the serial part of the NIK is zero")]
    Serial,
}

impl Nik {
    pub fn parse(input: &str) -> Result<Self, NikError> {
        let digits: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.len() != 16 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NikError::Length);
        }
        let b = digits.as_bytes();
        let two = |i: usize| (b[i] - b'0') * 10 + (b[i + 1] - b'0');
        if !PROVINCES.contains(&two(0)) {
            return Err(NikError::Province);
        }
        if two(2) == 0 || two(4) == 0 {
            return Err(NikError::Region);
        }
        let raw_day = two(6);
        let day = if raw_day > 40 { raw_day - 40 } else { raw_day };
        let month = two(8);
        if !plausible_day_of_month(day, month) {
            return Err(NikError::BirthDate);
        }
        if &digits[12..] == "0000" {
            return Err(NikError::Serial);
        }
        Ok(Self(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The NIK with all but the region part hidden, for places where it must be recognisable
    /// but not readable.
    pub fn masked(&self) -> String {
        format!("{}**********", &self.0[..6])
    }
}

/// Two-digit years cannot tell leap years apart, so 29 February is always accepted.
fn plausible_day_of_month(day: u8, month: u8) -> bool {
    let last = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 => 29,
        _ => return false,
    };
    (1..=last).contains(&day)
}

impl TryFrom<String> for Nik {
    type Error = NikError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Nik> for String {
    fn from(value: Nik) -> Self {
        value.0
    }
}

/// Debug never prints the number itself, so a stray `{:?}` in a log cannot leak it.
impl fmt::Debug for Nik {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nik({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_plausible_numbers() {
        assert!(Nik::parse("3174015708900001").is_ok()); // Jakarta Selatan, 17-08-90
        assert!(Nik::parse("3273 0147 0285 0002").is_ok()); // woman born 07-02-85, spaces
        assert!(Nik::parse("9601012902000003").is_ok()); // Papua Barat Daya, 29 Feb
    }

    #[test]
    fn rejects_each_broken_part() {
        assert_eq!(Nik::parse("317401570890001"), Err(NikError::Length));
        assert_eq!(Nik::parse("31740157089000a1"), Err(NikError::Length));
        assert_eq!(Nik::parse("2074015708900001"), Err(NikError::Province));
        assert_eq!(Nik::parse("3100015708900001"), Err(NikError::Region));
        assert_eq!(Nik::parse("3174013208900001"), Err(NikError::BirthDate));
        assert_eq!(Nik::parse("3174013102900001"), Err(NikError::BirthDate));
        assert_eq!(Nik::parse("3174017213900001"), Err(NikError::BirthDate));
        assert_eq!(Nik::parse("3174015708900000"), Err(NikError::Serial));
    }

    #[test]
    fn debug_output_is_masked() {
        let nik = Nik::parse("3174015708900001").unwrap();
        let shown = format!("{nik:?}");
        assert!(!shown.contains("5708900001"), "{shown}");
    }

    proptest! {
        #[test]
        fn never_panics_and_accepts_only_16_digits(s in "\\PC{0,40}") {
            if let Ok(n) = Nik::parse(&s) {
                prop_assert_eq!(n.as_str().len(), 16);
                prop_assert!(n.as_str().bytes().all(|b| b.is_ascii_digit()));
            }
        }
    }
}
