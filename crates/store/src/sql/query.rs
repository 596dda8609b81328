//! Dynamic SQL for filters and scopes: numbered placeholders, values bound, never spliced.

use aduan_domain::Scope;
use sqlx::AssertSqlSafe;

/// SQL text with numbered placeholders and their values, built up piece by piece.
pub struct Sql {
    text: String,
    args: Vec<Arg>,
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
        }
    }

    /// Appends `fragment`, replacing each `?` with the next numbered placeholder.
    pub fn push(&mut self, fragment: &str, args: Vec<Arg>) -> &mut Self {
        let mut args = args.into_iter();
        for c in fragment.chars() {
            if c == '?' {
                if let Some(arg) = args.next() {
                    self.args.push(arg);
                    self.text.push_str(&format!("${}", self.args.len()));
                }
            } else {
                self.text.push(c);
            }
        }
        self
    }

    /// Binds the value of a `$1` already written into the initial text.
    pub fn bind_first(&mut self, arg: Arg) -> &mut Self {
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
