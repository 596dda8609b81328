//! Dynamic SQL for filters and scopes: numbered placeholders, values bound, never spliced.

use aduan_domain::Scope;
use sqlx::AssertSqlSafe;

/// The states in which the agency owes the next step ([`aduan_domain::State::agency_owes`]), as
/// SQL. Written out, not bound: SQLite's partial indexes of owed cases (`cases_fallen_due`,
/// `cases_falling_due`) carry this list word for word, and SQLite uses such an index only for
/// a query that repeats it.
pub const OWED_STATES: &str =
    "'received', 'verified', 'dispositioned', 'in_progress', 'awaiting_approval'";

/// A statement with its values bound, ready to run once.
pub type Statement = sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments>;

/// SQL text with placeholders and their values, built up piece by piece.
pub struct Sql {
    text: String,
    args: Vec<Arg>,
    marks: Marks,
}

/// How [`Sql::push`] writes a placeholder.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Marks {
    /// `$1`, `$2`, …: both databases read them, and a value can be bound ahead of the rest.
    Numbered,
    /// Plain `?` on SQLite. SQLite keeps numbered and named parameters in a list it searches
    /// from the start, once per placeholder when it parses and (through sqlx) once per value it
    /// binds, so a multi-row insert with a thousand `$N` spends most of its time there (half of
    /// a bulk load's profile). A plain `?` takes the next number without any search.
    InOrder,
}

pub enum Arg {
    Int(i64),
    Text(String),
    OptInt(Option<i64>),
    OptText(Option<String>),
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_string(),
            args: Vec::new(),
            marks: Marks::Numbered,
        }
    }

    /// For statements with many values, all pushed in the order they appear (multi-row
    /// inserts): on SQLite their placeholders are plain `?`; see [`Marks::InOrder`].
    pub fn in_order(backend: super::Backend, text: &str) -> Self {
        let marks = match backend {
            super::Backend::Sqlite => Marks::InOrder,
            super::Backend::Postgres => Marks::Numbered,
        };
        Self {
            marks,
            ..Self::new(text)
        }
    }

    /// Appends `fragment`, replacing each `?` with the next numbered placeholder.
    pub fn push(&mut self, fragment: &str, args: Vec<Arg>) -> &mut Self {
        let mut args = args.into_iter();
        for c in fragment.chars() {
            if c == '?' {
                if let Some(arg) = args.next() {
                    self.args.push(arg);
                    match self.marks {
                        Marks::Numbered => self.text.push_str(&format!("${}", self.args.len())),
                        Marks::InOrder => self.text.push('?'),
                    }
                }
            } else {
                self.text.push(c);
            }
        }
        self
    }

    /// Binds the value of a `$1` already written into the initial text (numbered marks only).
    pub fn bind_first(&mut self, arg: Arg) -> &mut Self {
        debug_assert!(
            self.marks == Marks::Numbered,
            "a value bound ahead needs numbered placeholders"
        );
        self.args.insert(0, arg);
        self
    }

    /// Puts `prefix` before and `suffix` after the text (a subquery into its query); neither
    /// may hold placeholders, so the numbering stays right.
    pub fn wrap(&mut self, prefix: &str, suffix: &str) -> &mut Self {
        self.text = format!("{prefix}{}{suffix}", self.text);
        self
    }

    pub fn placeholders(&mut self, values: &[String]) -> &mut Self {
        let marks = vec!["?"; values.len()].join(", ");
        self.push(&marks, values.iter().cloned().map(Arg::Text).collect())
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn args(&self) -> &[Arg] {
        &self.args
    }

    /// Whether the placeholders are plain `?`, bound by position rather than by name.
    pub fn in_order_marks(&self) -> bool {
        self.marks == Marks::InOrder
    }

    /// The statement with its values moved into it, for one run: a bulk insert's values are
    /// most of its size, and `query` copies each.
    pub fn into_query(self) -> Statement {
        let mut query = sqlx::query(AssertSqlSafe(self.text));
        for arg in self.args {
            query = match arg {
                Arg::Int(v) => query.bind(v),
                Arg::Text(v) => query.bind(v),
                Arg::OptInt(v) => query.bind(v),
                Arg::OptText(v) => query.bind(v),
            };
        }
        query
    }

    pub fn query(&self) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments> {
        let mut query = sqlx::query(AssertSqlSafe(self.text.clone()));
        for arg in &self.args {
            query = match arg {
                Arg::Int(v) => query.bind(*v),
                Arg::Text(v) => query.bind(v.clone()),
                Arg::OptInt(v) => query.bind(*v),
                Arg::OptText(v) => query.bind(v.clone()),
            };
        }
        query
    }
}

/// Appends the scope condition. Every staff query goes through here.
pub fn push_scope(sql: &mut Sql, scope: &Scope) {
    match scope {
        Scope::All => {}
        Scope::Units(units) if !units.is_empty() => {
            sql.push(
                " AND EXISTS (SELECT 1 FROM case_units cu WHERE cu.case_id = c.id AND cu.unit IN (",
                vec![],
            );
            sql.placeholders(units);
            sql.push("))", vec![]);
        }
        Scope::RegisteredBy(username) => {
            sql.push(
                " AND c.registered_by = ?",
                vec![Arg::Text(username.clone())],
            );
        }
        Scope::Units(_) | Scope::Nothing => {
            sql.push(" AND 1 = 0", vec![]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Backend;

    #[test]
    fn owed_states_are_the_domains_and_the_indexes() {
        let domain = aduan_domain::State::ALL
            .iter()
            .filter(|s| s.agency_owes())
            .map(|s| format!("'{}'", s.code()))
            .collect::<Vec<_>>()
            .join(", ");
        assert_eq!(OWED_STATES, domain);
        for migration in [
            include_str!("../../migrations/sqlite/0012_fallen_due.sql"),
            include_str!("../../migrations/postgres/0015_fallen_due.sql"),
        ] {
            for mark in [1, 0] {
                let condition = format!("WHERE fell_due = {mark} AND state IN ({OWED_STATES})");
                assert!(migration.contains(&condition), "{condition}");
            }
        }
    }

    #[test]
    fn in_order_marks_are_plain_on_sqlite_and_numbered_on_postgres() {
        for (backend, expected) in [
            (Backend::Sqlite, "INSERT INTO t VALUES (?, ?), (?, ?)"),
            (Backend::Postgres, "INSERT INTO t VALUES ($1, $2), ($3, $4)"),
        ] {
            let mut sql = Sql::in_order(backend, "INSERT INTO t VALUES ");
            sql.push("(?, ?)", vec![Arg::Int(1), Arg::Text("a".into())]);
            sql.push(", (?, ?)", vec![Arg::Int(2), Arg::Text("b".into())]);
            assert_eq!(sql.text(), expected);
            assert_eq!(sql.args().len(), 4);
        }
        let mut numbered = Sql::new("SELECT a FROM t WHERE 1 = 1");
        numbered.push(" AND b = ? AND c = ?", vec![Arg::Int(1), Arg::Int(2)]);
        assert_eq!(
            numbered.text(),
            "SELECT a FROM t WHERE 1 = 1 AND b = $1 AND c = $2"
        );
    }
}
