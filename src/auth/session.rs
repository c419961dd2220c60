//! Sessions: a token is accepted while its session (its `jti`) is live. Postgres holds every
//! session durably (`db::sessions`); Redis caches each one's state, so a request costs one
//! Redis read and a Redis restart forgets nothing (the cache refills from Postgres). Revoking
//! ends the session's open Socket.IO connections on every node through a `SessionEnder`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::time::Duration;
use uuid::Uuid;

use super::{AuthService, AuthUser, Session, User, token::Claims};
use crate::{db, error::Error, store::SessionState};

/// A live session's cached state is re-read from Postgres at least this often: it bounds how
/// long a revocation whose cache write failed (Redis down at that moment) can go unnoticed.
const LIVE_CACHE: Duration = Duration::from_secs(600);
/// Sessions stay in Postgres this long after their token expired, then are pruned.
const KEEP_EXPIRED: chrono::Duration = chrono::Duration::hours(1);

/// Why a session ended; sent to its sockets as `session_ended {reason}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// The token was signed out (`POST /api/auth/logout`).
    LoggedOut,
    /// Every session of the account was revoked (password change, "sign out everywhere").
    Revoked,
    /// The token's `exp` passed.
    Expired,
}

impl EndReason {
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::LoggedOut => "logged_out",
            EndReason::Revoked => "revoked",
            EndReason::Expired => "expired",
        }
    }
}

/// Ends the open connections of sessions, on every node (implemented by the Socket.IO gateway).
#[async_trait]
pub trait SessionEnder: Send + Sync {
    async fn end_sessions(&self, jtis: &[Uuid], reason: EndReason);
}

/// Time left until `exp` (Unix seconds), at least one millisecond.
pub(crate) fn until(exp: i64) -> Duration {
    let ms = exp.saturating_mul(1000) - Utc::now().timestamp_millis();
    Duration::from_millis(u64::try_from(ms).unwrap_or(0).max(1))
}

impl AuthService {
    /// Issues a token for `user` lasting `ttl` and records its session, if `password_hash`
    /// (the one just verified or set; `None` for a guest, who has none) is still the
    /// account's; otherwise the credentials are stale.
    pub(super) async fn session(
        &self,
        user: User,
        password_hash: Option<&str>,
        ttl: Duration,
    ) -> Result<Session, Error> {
        let (token, claims) = self
            .keys
            .issue_for(user.id, ttl)
            .map_err(|e| Error::internal("issuing a token", e))?;
        let expires_at = DateTime::from_timestamp(claims.exp, 0)
            .ok_or_else(|| Error::Internal("token expiry out of range".into()))?;
        if !db::sessions::insert(&self.db, claims.jti, user.id, expires_at, password_hash).await? {
            return Err(Error::InvalidCredentials);
        }
        Ok(Session {
            user,
            token,
            expires_in: ttl.as_secs(),
        })
    }

    /// Checks a presented token: signature and expiry, then that its session is live.
    pub async fn authenticate(&self, token: &str) -> Result<AuthUser, Error> {
        let Claims { sub, jti, exp, .. } = self.keys.verify(token).ok_or(Error::Unauthorized)?;
        if self.revoked(jti, sub, exp).await? {
            return Err(Error::Unauthorized);
        }
        Ok(AuthUser { id: sub, jti, exp })
    }

    /// Whether a token naming session `jti` and user `user` is refused: its session is
    /// revoked, was never issued here, or belongs to someone else. Read from the cache, or from
    /// Postgres (then cached).
    ///
    /// A session belongs to one user. The cache keeps its owner, so a token signed with the
    /// server's key that names one user as `sub` and another user's live session as `jti` is
    /// refused; and what is cached is the session's own state, read by its id alone, so such a
    /// token changes nothing for the session's owner (it used to cache the session as revoked,
    /// locking its owner out).
    pub async fn revoked(&self, jti: Uuid, user: Uuid, exp: i64) -> Result<bool, Error> {
        let state = match self.store.session_cached(jti).await? {
            Some(state) => state,
            None => {
                let (state, ttl) = match db::sessions::state(&self.db, jti).await? {
                    Some((owner, false)) => (
                        SessionState::Live { user: owner },
                        until(exp).min(LIVE_CACHE),
                    ),
                    // Revoked, or never issued: no real session can come to have this id.
                    _ => (SessionState::Revoked, until(exp)),
                };
                self.store.cache_session(jti, state, ttl).await?;
                state
            }
        };
        Ok(state != SessionState::Live { user })
    }

    /// Signs a token out: its session is revoked and its connections end, on every node.
    /// Idempotent: a token already signed out (but validly signed and unexpired) may sign out
    /// again, so a logout that failed half-way (Redis down) can simply be retried.
    pub async fn logout(&self, token: &str) -> Result<(), Error> {
        let claims = self.keys.verify(token).ok_or(Error::Unauthorized)?;
        self.revoke_session(claims.jti, claims.exp, EndReason::LoggedOut)
            .await
    }

    /// Revokes one session (token `jti`, expiring at `exp`) durably, caches the revocation and
    /// ends the session's sockets on every node, telling them `reason`. Idempotent.
    pub async fn revoke_session(
        &self,
        jti: Uuid,
        exp: i64,
        reason: EndReason,
    ) -> Result<(), Error> {
        db::sessions::revoke(&self.db, jti).await?;
        self.store.revoke_sessions(&[(jti, until(exp))]).await?;
        self.end(&[jti], reason).await;
        Ok(())
    }

    /// Revokes every session of a user (what a password change or "sign out everywhere"
    /// calls) and ends their connections on every node; returns how many were live. Sessions
    /// issued afterwards are not affected.
    pub async fn revoke_all_sessions(&self, user: Uuid) -> Result<usize, Error> {
        let revoked = db::sessions::revoke_all(&self.db, user).await?;
        self.revoked_elsewhere(&revoked).await
    }

    /// After sessions were revoked durably (`revoked`: their ids and expiry times): caches
    /// the revocations and ends their connections on every node; returns how many.
    pub(super) async fn revoked_elsewhere(
        &self,
        revoked: &[(Uuid, DateTime<Utc>)],
    ) -> Result<usize, Error> {
        let now = Utc::now();
        let cached: Vec<(Uuid, Duration)> = revoked
            .iter()
            .map(|(jti, exp)| {
                let left = (*exp - now).to_std().unwrap_or(Duration::ZERO);
                (*jti, left.max(Duration::from_millis(1)))
            })
            .collect();
        let cache = self.store.revoke_sessions(&cached).await;
        // The sockets end even if the cache write failed (Redis down): the revocation is
        // durable in Postgres already, and a socket must not outlive it.
        let jtis: Vec<Uuid> = revoked.iter().map(|(jti, _)| *jti).collect();
        self.end(&jtis, EndReason::Revoked).await;
        cache?;
        Ok(jtis.len())
    }

    /// Deletes sessions whose tokens expired a while ago.
    pub async fn prune_sessions(&self) -> Result<u64, Error> {
        Ok(db::sessions::prune(&self.db, Utc::now() - KEEP_EXPIRED).await?)
    }

    async fn end(&self, jtis: &[Uuid], reason: EndReason) {
        if let Some(ender) = self.ender.get()
            && !jtis.is_empty()
        {
            ender.end_sessions(jtis, reason).await;
        }
    }
}
