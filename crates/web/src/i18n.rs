//! Messages shown to people, from the translation files (Indonesian first, English second).

use std::collections::BTreeMap;
use std::sync::LazyLock;

const INDONESIAN: &str = include_str!("../locales/id.toml");
const ENGLISH: &str = include_str!("../locales/en.toml");

type Table = BTreeMap<String, BTreeMap<String, String>>;

fn load(text: &str) -> Table {
    // The files are part of the binary and checked by a test, so a parse failure is a build bug;
    // an empty table then shows the keys instead of crashing.
    toml::from_str(text).unwrap_or_default()
}

static ID: LazyLock<Table> = LazyLock::new(|| load(INDONESIAN));
static EN: LazyLock<Table> = LazyLock::new(|| load(ENGLISH));

fn lookup(table: &Table, section: &str, key: &str) -> String {
    table
        .get(section)
        .and_then(|s| s.get(key))
        .cloned()
        .unwrap_or_else(|| format!("{section}.{key}"))
}

/// The Indonesian and English text of a message.
pub fn message(section: &str, key: &str) -> (String, String) {
    (lookup(&ID, section, key), lookup(&EN, section, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_the_same_keys() {
        let keys = |t: &Table| -> Vec<String> {
            t.iter()
                .flat_map(|(s, m)| m.keys().map(move |k| format!("{s}.{k}")))
                .collect()
        };
        let (id, en) = (load(INDONESIAN), load(ENGLISH));
        assert!(!id.is_empty());
        assert_eq!(keys(&id), keys(&en));
    }
}
