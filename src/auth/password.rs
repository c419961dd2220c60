//! Password hashing with argon2id at OWASP's recommended parameters, run on the blocking pool
//! so a burst of logins never stalls the async workers that carry the game.

use argon2::{
    Argon2,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash},
};
use std::sync::LazyLock;

/// `Argon2::default()` is argon2id v19 with m = 19 MiB, t = 2, p = 1: OWASP's first choice.
fn hasher() -> Argon2<'static> {
    Argon2::default()
}

/// A real hash of a throwaway password, verified against when the email is unknown so that an
/// unknown email costs the same time as a wrong password and the two cannot be told apart.
static DUMMY_HASH: LazyLock<Option<String>> = LazyLock::new(|| {
    hasher()
        .hash_password(b"timing-equaliser-not-a-password")
        .ok()
        .map(|h| h.to_string())
});

/// At most one hash per core at a time: each takes 19 MiB and a core for tens of
/// milliseconds, so unbounded parallel logins would only thrash memory (and are a DoS lever);
/// the rest queue here, off the async workers.
static HASHING: LazyLock<tokio::sync::Semaphore> = LazyLock::new(|| {
    tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
});

#[derive(Debug, thiserror::Error)]
pub(crate) enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("the hashing task was cancelled")]
    Join,
}

pub(crate) async fn hash(password: String) -> Result<String, PasswordError> {
    let _permit = HASHING.acquire().await.map_err(|_| PasswordError::Join)?;
    tokio::task::spawn_blocking(move || {
        hasher()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| PasswordError::Hash(e.to_string()))
    })
    .await
    .map_err(|_| PasswordError::Join)?
}

/// Verifies `password` against `stored`, or against the dummy hash when `stored` is `None`
/// (unknown email), in which case the answer is always `false`.
pub(crate) async fn verify(
    password: String,
    stored: Option<String>,
) -> Result<bool, PasswordError> {
    let _permit = HASHING.acquire().await.map_err(|_| PasswordError::Join)?;
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let Some(phc) = stored.or_else(|| DUMMY_HASH.clone()) else {
            return Ok(false);
        };
        let parsed = PasswordHash::new(&phc).map_err(|e| PasswordError::Hash(e.to_string()))?;
        let ok = hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(known && ok)
    })
    .await
    .map_err(|_| PasswordError::Join)?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_nothing_else() {
        let h = hash("correct horse".into()).await.expect("hash");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(
            verify("correct horse".into(), Some(h.clone()))
                .await
                .expect("verify")
        );
        assert!(
            !verify("Correct horse".into(), Some(h))
                .await
                .expect("verify")
        );
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies() {
        assert!(
            !verify("timing-equaliser-not-a-password".into(), None)
                .await
                .expect("verify")
        );
    }
}
