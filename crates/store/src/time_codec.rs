//! Instants are stored as Unix microseconds: one integer type that both backends index and
//! compare the same way.

use crate::StoreError;
use time::OffsetDateTime;

pub fn to_micros(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX)
}

pub fn from_micros(micros: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000)
        .map_err(StoreError::corrupt)
}
