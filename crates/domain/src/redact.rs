//! Removing personal data from text shown to the public (published answers and titles): NIKs and
//! other long numbers, telephone numbers and e-mail addresses typed into free text.

const MASK: &str = "[disamarkan]";

fn is_email_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+' | '%')
}

/// The text with e-mail addresses and runs of eight or more digits (NIK, telephone and account
/// numbers, even when split by spaces, dots or dashes) replaced by a mark.
pub fn public_text(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        // An e-mail address: a word with an @ and a dot after it.
        if chars[i] == '@' {
            let kept: Vec<char> = out.chars().collect();
            let mut back = kept.len();
            while back > 0 && is_email_char(kept[back - 1]) {
                back -= 1;
            }
            let mut end = i + 1;
            while end < chars.len() && is_email_char(chars[end]) {
                end += 1;
            }
            // A full stop after the address ends the sentence, not the domain.
            while end > i + 1 && chars[end - 1] == '.' {
                end -= 1;
            }
            let domain: String = chars[i + 1..end].iter().collect();
            if back < kept.len() && domain.contains('.') {
                out = kept[..back].iter().collect();
                out.push_str(MASK);
                i = end;
                continue;
            }
        }
        // A long number: digits, possibly grouped by spaces, dots, dashes or a leading +.
        if chars[i].is_ascii_digit()
            || (chars[i] == '+' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let mut end = i;
            let mut digits = 0;
            while end < chars.len() {
                let c = chars[end];
                if c.is_ascii_digit() {
                    digits += 1;
                } else if !(matches!(c, ' ' | '.' | '-' | '+')
                    && chars.get(end + 1).is_some_and(char::is_ascii_digit))
                {
                    break;
                }
                end += 1;
            }
            if digits >= 8 {
                out.push_str(MASK);
            } else {
                out.extend(&chars[i..end]);
            }
            i = end.max(i + 1);
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_numbers_and_addresses_are_masked() {
        assert_eq!(
            public_text(
                "NIK saya 3174015708900001, hubungi 0812-3456-7890 atau siti.aminah@contoh.id."
            ),
            "NIK saya [disamarkan], hubungi [disamarkan] atau [disamarkan]."
        );
        assert_eq!(public_text("+62 812 3456 7890"), "[disamarkan]");
    }

    #[test]
    fn ordinary_numbers_and_text_stay() {
        let text = "Perbaikan 12 unit pada 20 November 2026, anggaran Rp 150.000 per unit; lihat @perumahan_pupr.";
        assert_eq!(public_text(text), text);
    }
}
