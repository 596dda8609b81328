//! Text for full-text search: lower-cased words reduced to their Indonesian stem (Snowball's
//! Tala stemmer, the one PostgreSQL's `indonesian` configuration uses), so that "berlubang"
//! finds "lubang" and "pembangunan" finds "membangun". Both databases index this text with a
//! plain tokenizer, so they find the same cases.

/// Longest word indexed; longer runs are noise (hashes, pasted data).
const MAX_WORD: usize = 40;
/// Most words in one query.
pub const MAX_QUERY_TERMS: usize = 8;

fn stem(word: &str) -> String {
    tantivy_stemmers::algorithms::indonesian_tala(word).into_owned()
}

fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && w.chars().count() <= MAX_WORD)
        .map(|w| stem(&w.to_lowercase()))
        .filter(|w| !w.is_empty())
}

/// The text to index for a case.
pub fn index_text(title: &str, description: &str) -> String {
    words(title)
        .chain(words(description))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The stems of a query, at most `MAX_QUERY_TERMS`, each only letters and digits (so they can
/// be quoted into either database's query syntax without escaping).
pub fn query_terms(query: &str) -> Vec<String> {
    let mut terms: Vec<String> = Vec::new();
    for term in words(query) {
        if !terms.contains(&term) {
            terms.push(term);
        }
        if terms.len() == MAX_QUERY_TERMS {
            break;
        }
    }
    terms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indonesian_words_meet_their_stems() {
        assert_eq!(query_terms("Jalan BERLUBANG"), vec!["jalan", "lubang"]);
        assert_eq!(query_terms("pembangunan"), query_terms("membangun"));
        assert_eq!(
            index_text("Pengaduan", "kelurahan; pelayanannya!"),
            "adu lurah layan"
        );
    }

    #[test]
    fn queries_are_bounded_and_clean() {
        let terms = query_terms("\"a\" OR b* NEAR(c) -d e f g h i j k");
        assert!(terms.len() <= MAX_QUERY_TERMS);
        assert!(terms.iter().all(|t| t.chars().all(char::is_alphanumeric)));
        assert!(query_terms("   ---   ").is_empty());
    }
}
