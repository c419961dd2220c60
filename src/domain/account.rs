//! An account's rules, apart from the sessions that sign one in: what an email must look like,
//! how long a password may be, and the display name (the rule every player's name follows). Pure:
//! the auth service hashes, stores and signs; these say only what is acceptable.

use super::{DomainError, error::ErrorKind, text};

/// Longest password accepted: argon2 takes any length, but hashing megabytes on request is a
/// denial-of-service lever.
pub(crate) const MAX_PASSWORD_BYTES: usize = 1024;
/// Shortest password accepted, in characters (as typed: spaces count).
pub(crate) const MIN_PASSWORD_CHARS: usize = 8;
/// Longest email accepted, in bytes (the longest address SMTP can route).
const MAX_EMAIL_BYTES: usize = 254;

/// Why an email or a password was refused. Every refusal is a 422 `validation_failed` whose
/// message is the text below (it names its field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error("email must be a valid address like name@example.com")]
    Email,
    #[error("password must be at least 8 characters")]
    PasswordTooShort,
    #[error("password must be at most 1024 bytes")]
    PasswordTooLong,
}

impl AccountError {
    /// The request field the refusal is about.
    pub fn field(&self) -> &'static str {
        match self {
            AccountError::Email => "email",
            AccountError::PasswordTooShort | AccountError::PasswordTooLong => "password",
        }
    }

    pub fn kind(&self) -> ErrorKind {
        ErrorKind::Validation
    }
}

/// A pragmatic shape check (one `@`, a dotted domain, no spaces or control characters — NUL
/// among them, which Postgres cannot store —, ≤ 254 bytes); whether the mailbox exists is not
/// ours to know. Returns the email trimmed, case kept.
pub(crate) fn email(email: &str) -> Result<String, AccountError> {
    let email = email.trim();
    if email.len() > MAX_EMAIL_BYTES || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(AccountError::Email);
    }
    let (local, domain) = email.split_once('@').ok_or(AccountError::Email)?;
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !domain.contains("..");
    if local.is_empty() || !domain_ok {
        return Err(AccountError::Email);
    }
    Ok(email.to_string())
}

/// A new password: taken as typed (never trimmed), 8 characters to 1024 bytes.
pub(crate) fn password(password: &str) -> Result<(), AccountError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AccountError::PasswordTooShort);
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AccountError::PasswordTooLong);
    }
    Ok(())
}

/// Whether a password presented to sign in could be anyone's: an over-long one is a wrong
/// credential at once, never hashed.
pub(crate) fn could_be_password(password: &str) -> bool {
    password.len() <= MAX_PASSWORD_BYTES
}

/// An account's display name, by the rule players' names follow (`text::DISPLAY_NAME`).
pub(crate) fn display_name(name: &str) -> Result<String, DomainError> {
    text::DISPLAY_NAME.check(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_checked_for_shape() {
        assert_eq!(email(" Ann@Example.com ").as_deref(), Ok("Ann@Example.com"));
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "a b@example.com",
            "a@b..c",
            "a@.b.c",
            "a@b.c.",
            "a@b@c.d",
            "a\u{0}@b.co",
            "a@b.c\u{0}o",
            "a\u{7f}@b.co",
        ] {
            assert_eq!(
                email(bad),
                Err(AccountError::Email),
                "{bad} should be refused"
            );
        }
        let long = format!("{}@example.com", "a".repeat(MAX_EMAIL_BYTES));
        assert_eq!(email(&long), Err(AccountError::Email));
    }

    #[test]
    fn passwords_are_taken_as_typed_but_must_have_eight_characters() {
        assert!(password("       x").is_ok());
        assert!(password("éééééééé").is_ok());
        assert_eq!(password("1234567"), Err(AccountError::PasswordTooShort));
        assert_eq!(
            password(&"x".repeat(2000)),
            Err(AccountError::PasswordTooLong)
        );
        assert!(could_be_password(&"x".repeat(MAX_PASSWORD_BYTES)));
        assert!(!could_be_password(&"x".repeat(MAX_PASSWORD_BYTES + 1)));
    }

    #[test]
    fn each_refusal_names_its_field_in_its_message_and_is_a_validation_error() {
        for e in [
            AccountError::Email,
            AccountError::PasswordTooShort,
            AccountError::PasswordTooLong,
        ] {
            assert!(e.to_string().starts_with(e.field()), "{e}");
            assert_eq!(e.kind(), ErrorKind::Validation);
        }
    }

    #[test]
    fn display_names_follow_the_players_rule() {
        assert_eq!(display_name("  Zoë ").as_deref(), Ok("Zoë"));
        assert!(display_name(&"x".repeat(33)).is_err());
    }
}
