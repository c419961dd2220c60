//! The service-layer error shared by the auth and game services: what went wrong in terms a
//! client can act on. `http` and `gateway` turn it into the contract's `{code, message}` (and a
//! status), so a refusal reads the same over REST and Socket.IO.

use std::{borrow::Cow, error::Error as StdError, fmt, sync::Arc};

use crate::{
    db::DbError,
    domain::{DomainError, account::AccountError, error::ErrorKind, poll::PollError},
    store::StoreError,
};

#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Rule(#[from] DomainError),
    /// A poll rule (`domain::poll`).
    #[error(transparent)]
    Poll(#[from] PollError),
    /// A payload that is not what the event or route takes (not an object, wrong types).
    #[error("{0}")]
    Malformed(String),
    #[error("{message}")]
    Validation {
        field: &'static str,
        message: String,
    },
    #[error("authentication required: sign in first")]
    Unauthorized,
    #[error("wrong email or password")]
    InvalidCredentials,
    #[error("an account with this email already exists")]
    EmailTaken,
    /// A guest tried what needs an account (hosting a room, creating a poll, a password).
    #[error("this needs an account: add an email and password to your guest profile first")]
    AccountRequired,
    /// `POST /api/auth/upgrade` by someone who is no guest.
    #[error("only a guest can be upgraded: this is an account already")]
    NotGuest,
    #[error("{1}")]
    NotFound(&'static str, String),
    #[error("too many requests: try again in {retry_after} s")]
    RateLimited { retry_after: u64 },
    #[error("{0}")]
    TooLarge(String),
    /// Postgres or Redis is down or overloaded; the request can be retried later.
    #[error("service temporarily unavailable")]
    Unavailable(#[source] Failure),
    /// A bug or corrupt state: logged in full, shown to the client only as its code.
    #[error("internal error")]
    Internal(#[source] Failure),
}

/// What failed behind an `Unavailable` or `Internal` error, for the log: a description and,
/// when another error caused it, that error (kept whole, so the log shows its own sources).
#[derive(Debug, Clone)]
pub struct Failure {
    what: Cow<'static, str>,
    source: Option<Arc<dyn StdError + Send + Sync>>,
}

impl Failure {
    pub fn because(
        what: impl Into<Cow<'static, str>>,
        source: impl StdError + Send + Sync + 'static,
    ) -> Self {
        Failure {
            what: what.into(),
            source: Some(Arc::new(source)),
        }
    }

    /// The backing service that failed, for the `dependency_errors_total` metric.
    fn dependency(&self) -> Option<&'static str> {
        let source: &(dyn StdError + 'static) = self.source.as_deref()?;
        if source.is::<DbError>() {
            Some("postgres")
        } else if source.is::<StoreError>() {
            Some("redis")
        } else {
            None
        }
    }
}

impl From<&'static str> for Failure {
    fn from(what: &'static str) -> Self {
        Failure {
            what: what.into(),
            source: None,
        }
    }
}

impl From<String> for Failure {
    fn from(what: String) -> Self {
        Failure {
            what: what.into(),
            source: None,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.what)
    }
}

impl StdError for Failure {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

/// Which of the contract's classes an error falls in; each transport picks its status from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    TooLarge,
    Validation,
    RateLimited,
    Unavailable,
    Internal,
}

/// A rule's refusal, whichever product's rules refused.
impl From<ErrorKind> for Class {
    fn from(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::Forbidden => Class::Forbidden,
            ErrorKind::NotFound => Class::NotFound,
            ErrorKind::Conflict => Class::Conflict,
            ErrorKind::Validation => Class::Validation,
        }
    }
}

impl Error {
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Error::NotFound(code, message.into())
    }

    /// Over a cluster-wide limit (`LiveStore::throttle`) that frees in `wait`: `Retry-After`
    /// is whole seconds, rounded up, at least 1.
    pub fn rate_limited(wait: std::time::Duration) -> Self {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        Error::RateLimited {
            retry_after: secs.max(1),
        }
    }

    pub fn internal(
        what: impl Into<Cow<'static, str>>,
        source: impl StdError + Send + Sync + 'static,
    ) -> Self {
        Error::Internal(Failure::because(what, source))
    }

    pub fn validation(field: &'static str, message: impl Into<String>) -> Self {
        Error::Validation {
            field,
            message: message.into(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Error::Rule(e) => e.code(),
            Error::Poll(e) => e.code(),
            Error::Malformed(_) => "malformed_request",
            Error::Validation { .. } => "validation_failed",
            Error::Unauthorized => "unauthorized",
            Error::InvalidCredentials => "invalid_credentials",
            Error::EmailTaken => "email_taken",
            Error::AccountRequired => "account_required",
            Error::NotGuest => "not_guest",
            Error::NotFound(code, _) => code,
            Error::RateLimited { .. } => "rate_limited",
            Error::TooLarge(_) => "payload_too_large",
            Error::Unavailable(_) => "service_unavailable",
            Error::Internal(_) => "internal_error",
        }
    }

    pub fn class(&self) -> Class {
        match self {
            Error::Rule(e) => e.kind().into(),
            Error::Poll(e) => e.kind().into(),
            Error::Malformed(_) => Class::BadRequest,
            Error::Validation { .. } => Class::Validation,
            Error::Unauthorized | Error::InvalidCredentials => Class::Unauthorized,
            Error::EmailTaken | Error::NotGuest => Class::Conflict,
            Error::AccountRequired => Class::Forbidden,
            Error::NotFound(..) => Class::NotFound,
            Error::RateLimited { .. } => Class::RateLimited,
            Error::TooLarge(_) => Class::TooLarge,
            Error::Unavailable(_) => Class::Unavailable,
            Error::Internal(_) => Class::Internal,
        }
    }

    /// The message a client may see: internal details stay in the log.
    pub fn public_message(&self) -> String {
        match self {
            Error::Internal(_) => "something went wrong on our side".to_string(),
            Error::Unavailable(_) => {
                "a backing service is unavailable; please retry shortly".to_string()
            }
            other => other.to_string(),
        }
    }
}

/// An account rule's refusal reads as any service validation error: its message alone.
impl From<AccountError> for Error {
    fn from(e: AccountError) -> Self {
        Error::validation(e.field(), e.to_string())
    }
}

impl From<DbError> for Error {
    fn from(e: DbError) -> Self {
        if e.is_unavailable() {
            Error::Unavailable(Failure::because("postgres", e))
        } else {
            Error::Internal(Failure::because("postgres", e))
        }
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) => Error::Unavailable(Failure::because("redis", e)),
            StoreError::Corrupt { .. } => Error::Internal(Failure::because("redis", e)),
        }
    }
}

impl Error {
    /// Logs an error where it is answered (a REST response, a Socket.IO reply, a background
    /// task), once: an internal error in full with its sources, since the client only
    /// sees its code; an unavailable dependency as a warning, counted per dependency. `context`
    /// names what was being done (a route, an event, a task).
    pub fn report(&self, context: &str) {
        match self {
            Error::Internal(_) => {
                tracing::error!(context, error = %chain(self), "internal error");
            }
            Error::Unavailable(failure) => {
                if let Some(dependency) = failure.dependency() {
                    crate::metrics::dependency_error(dependency);
                }
                tracing::warn!(context, error = %chain(self), "dependency unavailable");
            }
            // The client's own doing, answered with its code: nothing for operators.
            _ => tracing::debug!(context, error = %self, "refused"),
        }
    }
}

/// An error followed by its sources (`outer: inner: innermost`), for the log.
pub struct Chain<'a>(&'a (dyn std::error::Error + 'static));

pub fn chain<'a>(e: &'a (dyn std::error::Error + 'static)) -> Chain<'a> {
    Chain(e)
}

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(e) = source {
            write!(f, ": {e}")?;
            source = e.source();
        }
        Ok(())
    }
}
