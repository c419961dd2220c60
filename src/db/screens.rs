//! Each room's screen key (the big screen's credential), kept as its SHA-256 on the room's row.

use sqlx::PgPool;

use super::DbError;

/// Sets (or with `None` clears) the screen key hash of the room `code`. False if no room has
/// that code.
pub(crate) async fn set(pool: &PgPool, code: &str, hash: Option<&[u8]>) -> Result<bool, DbError> {
    let done = sqlx::query("UPDATE rooms SET screen_key_hash = $2 WHERE code = $1")
        .bind(code)
        .bind(hash)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The screen key hash of the room `code`, if it has one.
pub(crate) async fn hash_of(pool: &PgPool, code: &str) -> Result<Option<Vec<u8>>, DbError> {
    let row: Option<(Option<Vec<u8>>,)> =
        sqlx::query_as("SELECT screen_key_hash FROM rooms WHERE code = $1")
            .bind(code)
            .fetch_optional(pool)
            .await?;
    Ok(row.and_then(|(h,)| h))
}
