//! Accounts and sessions: register, sign in, sign out, and turning a presented token into a
//! signed-in user. Used by REST and Socket.IO alike, so both refuse the same tokens.

mod account_change;
pub(crate) mod cookies;
mod guest;
pub(crate) mod origin;
pub(crate) mod password;
pub(crate) mod secret;
pub(crate) mod session;
pub mod token;
pub(crate) mod voter;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use std::{
    sync::{Arc, OnceLock},
    time::Duration,
};
use uuid::Uuid;

use crate::{
    db::{self, DbError},
    domain::account,
    error::Error,
    store::LiveStore,
};
pub use account_change::AccountChange;
pub use session::{EndReason, SessionEnder};
use token::TokenKeys;

/// The public view of an account: never the password hash.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: Uuid,
    /// `null` for a guest.
    pub email: Option<String>,
    pub display_name: String,
    /// A guest joined with a nickname only (`POST /api/auth/guest`) and has no email or
    /// password until `POST /api/auth/upgrade`.
    pub guest: bool,
    pub created_at: DateTime<Utc>,
}

impl From<db::users::UserRow> for User {
    fn from(r: db::users::UserRow) -> Self {
        User {
            id: r.id,
            email: r.email,
            display_name: r.display_name,
            guest: r.guest,
            created_at: r.created_at,
        }
    }
}

/// Who made a request, as proven by a valid, unrevoked token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthUser {
    pub id: Uuid,
    pub jti: Uuid,
    pub exp: i64,
}

pub struct Session {
    pub user: User,
    pub token: String,
    pub expires_in: u64,
}

pub struct AuthService {
    db: PgPool,
    store: Arc<dyn LiveStore>,
    keys: TokenKeys,
    /// Ends the open connections of revoked or expired sessions (the Socket.IO gateway, set
    /// once it exists).
    ender: OnceLock<Arc<dyn SessionEnder>>,
    /// Logins per minute per account, across the cluster.
    logins_per_account: u32,
    /// How long a guest's session lasts, and how long an unused guest is kept.
    guests: GuestTimes,
}

/// How long a guest's session lasts, and after how long an unused guest is deleted.
#[derive(Debug, Clone, Copy)]
pub struct GuestTimes {
    pub session: Duration,
    pub retention: Duration,
}

impl AuthService {
    pub fn new(
        db: PgPool,
        store: Arc<dyn LiveStore>,
        keys: TokenKeys,
        logins_per_account_per_minute: u32,
        guests: GuestTimes,
    ) -> Self {
        AuthService {
            db,
            store,
            keys,
            ender: OnceLock::new(),
            logins_per_account: logins_per_account_per_minute,
            guests,
        }
    }

    pub fn set_session_ender(&self, ender: Arc<dyn SessionEnder>) {
        let _ = self.ender.set(ender);
    }

    pub fn keys(&self) -> &TokenKeys {
        &self.keys
    }

    pub async fn register(
        &self,
        email: &str,
        password: String,
        display_name: &str,
    ) -> Result<Session, Error> {
        let email = account::email(email)?;
        let display_name = account::display_name(display_name)?;
        account::password(&password)?;
        let hash = password::hash(password)
            .await
            .map_err(|e| Error::internal("hashing a password", e))?;
        let row = match db::users::insert(&self.db, &email, &display_name, &hash).await {
            Err(DbError::Unique(_)) => return Err(Error::EmailTaken),
            other => other?,
        };
        let ttl = self.keys.ttl;
        self.session(row.into(), Some(&hash), ttl).await
    }

    /// Unknown email and wrong password take the same path through argon2 and give the same
    /// error, so neither the body nor the timing tells which accounts exist.
    ///
    /// Each account may be tried `RATE_LIMIT_LOGIN_PER_ACCOUNT_PER_MINUTE` times a minute,
    /// counted in Redis so that the limit holds for the cluster, not per node (password
    /// guessing spread over many IPs and nodes).
    ///
    /// An email that could never have been registered (bad shape, a NUL or another control
    /// character Postgres cannot store) or an over-long password is a wrong credential at once:
    /// it names no account, so answering fast tells nothing, and it never reaches Postgres.
    pub async fn login(&self, email: &str, password: String) -> Result<Session, Error> {
        let Ok(email) = account::email(email) else {
            return Err(Error::InvalidCredentials);
        };
        if !account::could_be_password(&password) {
            return Err(Error::InvalidCredentials);
        }
        let account = format!("login:{}", email.to_lowercase());
        if let Some(wait) = self
            .store
            .throttle(&account, self.logins_per_account, Duration::from_secs(60))
            .await?
        {
            return Err(Error::rate_limited(wait));
        }
        let row = db::users::by_email(&self.db, &email).await?;
        let stored = row.as_ref().and_then(|r| r.password_hash.clone());
        let ok = password::verify(password, stored)
            .await
            .map_err(|e| Error::internal("verifying a password", e))?;
        match row {
            Some(row) if ok => {
                let hash = row.password_hash.clone();
                let ttl = self.keys.ttl;
                self.session(row.into(), hash.as_deref(), ttl).await
            }
            _ => Err(Error::InvalidCredentials),
        }
    }

    pub async fn me(&self, user: &AuthUser) -> Result<User, Error> {
        db::users::by_id(&self.db, user.id)
            .await?
            .map(User::from)
            .ok_or(Error::Unauthorized)
    }
}
