//! Guests (contract v3): a person who joins with a nickname only and gets a session like a
//! login's (the same cookie and token, the same revocation, the same socket rules), for
//! `GUEST_SESSION_SECONDS`. A guest plays, watches, votes and likes; what needs an account
//! (hosting a room, creating a poll, a password) is `403 account_required` until they upgrade in
//! place, keeping the same user and so everything they did. Guests nobody uses any more are
//! deleted after `GUEST_RETENTION_DAYS`.

use chrono::Utc;
use uuid::Uuid;

use super::{AuthService, AuthUser, Session, User, password};
use crate::{
    db::{self, DbError},
    domain::account,
    error::Error,
};

/// Unused guests deleted per pass (the pass runs hourly on every node; `SKIP LOCKED` keeps two
/// nodes off the same rows).
const PRUNE_BATCH: i64 = 1_000;

impl AuthService {
    /// `POST /api/auth/guest`: a new guest named `display_name` (the registration rule) and
    /// their session.
    pub async fn guest(&self, display_name: &str) -> Result<Session, Error> {
        let name = account::display_name(display_name)?;
        let row = db::users::insert_guest(&self.db, &name).await?;
        self.session(row.into(), None, self.guests.session).await
    }

    /// `POST /api/auth/upgrade`: the caller, a guest, becomes an account with this email and
    /// password. Same id, so their games, votes and likes stay theirs; their session carries on.
    pub async fn upgrade(
        &self,
        user: &AuthUser,
        email: &str,
        password: String,
    ) -> Result<User, Error> {
        let email = account::email(email)?;
        account::password(&password)?;
        if db::users::is_guest(&self.db, user.id).await? != Some(true) {
            return Err(Error::NotGuest);
        }
        let hash = password::hash(password)
            .await
            .map_err(|e| Error::internal("hashing a password", e))?;
        match db::users::upgrade_guest(&self.db, user.id, &email, &hash).await {
            Ok(Some(row)) => Ok(row.into()),
            // Upgraded by a concurrent call in the meantime.
            Ok(None) => Err(Error::NotGuest),
            Err(DbError::Unique(_)) => Err(Error::EmailTaken),
            Err(e) => Err(e.into()),
        }
    }

    /// Refuses a guest what needs an account (hosting a room, creating a poll).
    pub async fn require_account(&self, user: Uuid) -> Result<(), Error> {
        match db::users::is_guest(&self.db, user).await? {
            Some(false) => Ok(()),
            Some(true) => Err(Error::AccountRequired),
            None => Err(Error::Unauthorized),
        }
    }

    /// Deletes guests who joined more than the retention ago and left nothing behind; returns
    /// how many.
    pub async fn prune_guests(&self) -> Result<u64, Error> {
        let retention =
            chrono::Duration::from_std(self.guests.retention).unwrap_or(chrono::Duration::days(30));
        let before = Utc::now() - retention;
        Ok(db::users::delete_unused_guests(&self.db, before, PRUNE_BATCH).await?)
    }
}
