//! Likely duplicates: the same person writing twice (through the portal and then by e-mail or
//! LAPOR!), or several people reporting the same matter. Two signals: the same contact (e-mail,
//! phone or NIK, compared by hash so that the comparison needs no personal data in the index),
//! and the same words (Indonesian stems, common words left out).

use crate::case::Reporter;
use crate::search::index_text;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

/// Below this a candidate is not shown (unless the contact is the same).
pub const MIN_SCORE: f64 = 0.2;
/// How many words of a case are used to look for others.
pub const SEARCH_TERMS: usize = 16;

/// Words too common in reports to say two are about the same matter (stems).
const COMMON: &[&str] = &[
    "yang", "dan", "di", "ke", "dari", "ini", "itu", "untuk", "dengan", "pada", "ada", "kami",
    "saya", "kita", "sudah", "tidak", "belum", "juga", "akan", "atau", "oleh", "karena", "sejak",
    "sampai", "bisa", "mohon", "tolong", "bapak", "ibu", "pak", "bu", "min", "admin", "terima",
    "kasih", "agar", "para", "lebih", "telah", "masih", "hanya", "dalam", "seperti", "lagi",
];

/// Hashes of a reporter's contacts, each labelled by its kind so an e-mail never matches a
/// phone number.
pub fn contact_keys(reporter: &Reporter) -> Vec<String> {
    let mut keys = Vec::new();
    let mut add = |kind: &str, value: &str| {
        let digest = Sha256::digest(format!("{kind}:{value}").as_bytes());
        keys.push(hex::encode(digest));
    };
    if let Some(email) = &reporter.email {
        add("email", &email.as_str().to_lowercase());
    }
    if let Some(phone) = &reporter.phone {
        add("phone", phone.as_str());
    }
    if let Some(nik) = &reporter.nik {
        add("nik", nik.as_str());
    }
    keys
}

/// The distinctive words of a case (stems), in order of appearance.
pub fn terms(title: &str, description: &str) -> Vec<String> {
    let mut seen = BTreeSet::new();
    index_text(title, description)
        .split(' ')
        .filter(|w| w.chars().count() > 2 && !COMMON.contains(w))
        .filter(|w| seen.insert(w.to_string()))
        .map(str::to_string)
        .collect()
}

/// How alike two cases are, from 0 to 1: the share of distinctive words they have in common
/// (Jaccard), raised when the contact is the same.
pub fn likeness(a: &[String], b: &[String], same_contact: bool) -> f64 {
    let a: BTreeSet<&str> = a.iter().map(String::as_str).collect();
    let b: BTreeSet<&str> = b.iter().map(String::as_str).collect();
    let union = a.union(&b).count();
    #[allow(clippy::cast_precision_loss)]
    let text = if union == 0 {
        0.0
    } else {
        a.intersection(&b).count() as f64 / union as f64
    };
    if same_contact { 0.6 + 0.4 * text } else { text }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Email, Phone};

    #[test]
    fn the_same_matter_in_other_words_scores_higher_than_another_matter() {
        let lift = terms(
            "Lift rusunawa Cakung rusak",
            "Lift blok B rusunawa Cakung tidak berfungsi sejak tiga minggu",
        );
        let again = terms(
            "Lift rusun Cakung mati",
            "Sudah tiga minggu lift di blok B rusunawa Cakung mati",
        );
        let other = terms(
            "Bantuan BSPS belum cair",
            "Dana bantuan stimulan perumahan swadaya di Garut belum cair",
        );
        let same = likeness(&lift, &again, false);
        let different = likeness(&lift, &other, false);
        assert!(same >= MIN_SCORE, "{same}");
        assert!(different < MIN_SCORE, "{different}");
        let contact_only = likeness(&lift, &other, true);
        assert!(
            contact_only >= 0.6 && contact_only > different,
            "the same contact always shows"
        );
        assert!(
            !terms("Mohon tolong", "yang dan di ke dari")
                .iter()
                .any(|t| t == "yang")
        );
    }

    #[test]
    fn contacts_match_by_kind_and_normalised_value() {
        let a = Reporter {
            email: Some(Email::parse("Siti@Contoh.id").unwrap()),
            phone: Some(Phone::parse("0812-3456-7890").unwrap()),
            ..Default::default()
        };
        let b = Reporter {
            phone: Some(Phone::parse("+62 812 3456 7890").unwrap()),
            ..Default::default()
        };
        let (ka, kb) = (contact_keys(&a), contact_keys(&b));
        assert_eq!(ka.len(), 2);
        assert!(kb.iter().all(|k| ka.contains(k)));
        assert!(contact_keys(&Reporter::default()).is_empty());
    }
}
