use aduan_domain::Refusal;
use aduan_domain::intake::FieldError;
use aduan_store::StoreError;

/// Everything a use case can answer instead of success. Each maps to one HTTP status and one
/// error code in the web layer.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("invalid input")]
    Validation(Vec<FieldError>),
    #[error("refused: {0}")]
    Refused(Refusal),
    #[error("not found")]
    NotFound,
    #[error("not authenticated")]
    Unauthenticated,
    #[error("wrong username or password")]
    BadCredentials,
    #[error("account locked until later")]
    Locked,
    #[error("not allowed for this role")]
    Forbidden,
    #[error("too many attempts")]
    Throttled,
    #[error("the case changed meanwhile; try again")]
    Conflict,
    #[error("{0} already exists")]
    Duplicate(&'static str),
    /// Overloaded: try again shortly.
    #[error("busy")]
    Busy,
    #[error("configuration: {0}")]
    Config(String),
    #[error("storage: {0}")]
    Store(StoreError),
    #[error("internal: {0}")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict => AppError::Conflict,
            StoreError::Duplicate(what) => AppError::Duplicate(what),
            StoreError::NotFound(_) => AppError::NotFound,
            StoreError::Busy => AppError::Busy,
            other => AppError::Store(other),
        }
    }
}

impl From<Refusal> for AppError {
    fn from(refusal: Refusal) -> Self {
        AppError::Refused(refusal)
    }
}
