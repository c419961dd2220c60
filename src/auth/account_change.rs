//! Changing one's own account (`PATCH /api/auth/me`): the display name, under the same rule as
//! registration, and the password, which needs the current one and signs out every other
//! session of the account (their tokens refused on every node, their sockets ended) while the
//! caller's own session carries on.

use serde_json::json;
use std::time::Duration;

use super::{AuthService, AuthUser, User, password};
use crate::{
    db::{self, DbError, audit},
    domain::account,
    error::Error,
};

/// A `PATCH /api/auth/me`: absent fields stay as they are.
#[derive(Debug, Default)]
pub struct AccountChange {
    pub display_name: Option<String>,
    pub password: Option<String>,
    pub current_password: Option<String>,
}

impl AuthService {
    /// Applies `change` to the caller's account. A password change checks `current_password`
    /// (401 `invalid_credentials` if wrong or missing, counted against the account's login
    /// limit, since it is a password guess like any login), then in one transaction stores the
    /// new hash, writes the `password_changed` entry and revokes every other session; after
    /// the commit those sessions' sockets end on every node.
    pub async fn update_me(&self, user: &AuthUser, change: AccountChange) -> Result<User, Error> {
        let display_name = change
            .display_name
            .as_deref()
            .map(account::display_name)
            .transpose()?;
        // (the new hash, the stored hash the current password matched)
        let new_hash = match change.password {
            Some(new) => {
                account::password(&new)?;
                let verified = self.check_current(user, change.current_password).await?;
                let hash = password::hash(new)
                    .await
                    .map_err(|e| Error::internal("hashing a password", e))?;
                Some((hash, verified))
            }
            None => None,
        };

        let mut tx = self.db.begin().await.map_err(DbError::from)?;
        let mut revoked = Vec::new();
        if let Some((_, verified)) = &new_hash {
            // The hash the current password was checked against must still be the stored one:
            // a concurrent change that committed first wins, this one is a wrong password now.
            let stored = db::users::lock_hash(&mut tx, user.id).await?;
            if stored.as_ref() != Some(verified) {
                return Err(Error::InvalidCredentials);
            }
        }
        let row = db::users::update_account(
            &mut tx,
            user.id,
            display_name.as_deref(),
            new_hash.as_ref().map(|(h, _)| h.as_str()),
        )
        .await?
        .ok_or(Error::Unauthorized)?;
        if new_hash.is_some() {
            revoked = db::sessions::revoke_others(&mut tx, user.id, user.jti).await?;
            audit::record(
                &mut tx,
                Some(user.id),
                "password_changed",
                audit::Target {
                    kind: "user",
                    id: Some(user.id),
                    poll_id: None,
                },
                json!({"sessions_revoked": revoked.len(), "session": user.jti}),
            )
            .await?;
        }
        tx.commit().await.map_err(DbError::from)?;
        if !revoked.is_empty() {
            self.revoked_elsewhere(&revoked).await?;
        }
        Ok(row.into())
    }

    /// Checks the caller's current password; returns the stored hash it matched.
    async fn check_current(
        &self,
        user: &AuthUser,
        current: Option<String>,
    ) -> Result<String, Error> {
        let row = db::users::by_id(&self.db, user.id)
            .await?
            .ok_or(Error::Unauthorized)?;
        // A guest has no password to change: they add one with `POST /api/auth/upgrade`.
        let (Some(email), Some(stored)) = (row.email, row.password_hash) else {
            return Err(Error::AccountRequired);
        };
        let account = format!("login:{}", email.to_lowercase());
        if let Some(wait) = self
            .store
            .throttle(&account, self.logins_per_account, Duration::from_secs(60))
            .await?
        {
            return Err(Error::rate_limited(wait));
        }
        let Some(current) = current.filter(|c| account::could_be_password(c)) else {
            return Err(Error::InvalidCredentials);
        };
        let ok = password::verify(current, Some(stored.clone()))
            .await
            .map_err(|e| Error::internal("verifying a password", e))?;
        if ok {
            Ok(stored)
        } else {
            Err(Error::InvalidCredentials)
        }
    }
}
