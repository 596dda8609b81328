use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    /// Someone else changed the case between read and write; read again and retry.
    #[error("the case was changed by someone else")]
    Conflict,
    #[error("{0} already exists")]
    Duplicate(&'static str),
    #[error("not found: {0}")]
    NotFound(&'static str),
    #[error("stored data could not be read: {0}")]
    Corrupt(String),
    /// Every connection stayed busy for the whole wait: overload, not a fault of the request.
    #[error("the database is busy")]
    Busy,
    #[error("database: {0}")]
    Database(sqlx::Error),
    /// From a native SQLite read (see `sql::native`).
    #[error("database: {0}")]
    Sqlite(rusqlite::Error),
    #[error("migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL (use sqlite:// or postgres://): {0}")]
    UnsupportedUrl(String),
    #[error("the database writer has stopped")]
    WriterGone,
    #[error("the transaction could not be committed: {0}")]
    CommitFailed(String),
    /// A read sent together with others failed (see `sql::batch`); each caller gets its text.
    #[error("a shared read failed: {0}")]
    SharedReadFailed(String),
    #[error("cannot prepare the database folder: {0}")]
    Folder(#[from] std::io::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::PoolTimedOut => StoreError::Busy,
            other => StoreError::Database(other),
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        match error.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                StoreError::Busy
            }
            _ => StoreError::Sqlite(error),
        }
    }
}

impl StoreError {
    /// Whether the connection itself failed (so it should be opened again), rather than the
    /// statement or its data.
    pub(crate) fn is_connection_fault(&self) -> bool {
        match self {
            StoreError::Sqlite(error) => matches!(
                error.sqlite_error_code(),
                Some(
                    rusqlite::ErrorCode::CannotOpen
                        | rusqlite::ErrorCode::NotADatabase
                        | rusqlite::ErrorCode::SystemIoFailure
                        | rusqlite::ErrorCode::DatabaseCorrupt
                )
            ),
            _ => false,
        }
    }

    pub(crate) fn corrupt(what: impl std::fmt::Display) -> Self {
        StoreError::Corrupt(what.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exhausted_pool_is_busy_not_a_fault() {
        assert!(matches!(
            StoreError::from(sqlx::Error::PoolTimedOut),
            StoreError::Busy
        ));
        assert!(matches!(
            StoreError::from(sqlx::Error::RowNotFound),
            StoreError::Database(_)
        ));
    }
}
