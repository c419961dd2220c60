//! Anonymous voters (contract v2: polls with `allow_anonymous`): the signed `voter_id` cookie
//! that tells one anonymous browser from another. The server picks the id (a random UUID) and
//! signs it, so a client can neither choose an id (someone else's, or an account's) nor change
//! one; a cookie whose signature does not check is treated as no cookie at all.
//!
//! The value is `{id as 32 hex}.{HMAC-SHA256 of the id's 16 bytes, 64 hex}`. The MAC key is
//! derived from the JWT secret (HMAC of a fixed label under it) rather than the secret itself,
//! so a voter cookie and an access token can never be taken for one another, and one secret
//! still configures the server.

use axum_extra::extract::cookie::Cookie;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;
use uuid::Uuid;

use super::{cookies, secret::hex};
use crate::domain::poll::vote::Voter;

pub(crate) const COOKIE_NAME: &str = "voter_id";

/// How long a browser keeps its voter id: a year, so a returning visitor's vote is still theirs
/// to change; the id names no one, so keeping it long costs nothing.
const COOKIE_MAX_AGE: Duration = Duration::from_secs(365 * 24 * 3_600);

/// What the key is derived for; a new label would invalidate every voter cookie.
const KEY_LABEL: &[u8] = b"voting-game voter_id cookie v1";

type HmacSha256 = Hmac<Sha256>;

#[derive(Clone)]
pub(crate) struct VoterKeys {
    key: [u8; 32],
}

impl VoterKeys {
    pub(crate) fn new(secret: &str) -> Self {
        let mut key = [0u8; 32];
        if let Ok(mut mac) = HmacSha256::new_from_slice(secret.as_bytes()) {
            mac.update(KEY_LABEL);
            key.copy_from_slice(&mac.finalize().into_bytes());
        }
        VoterKeys { key }
    }

    fn mac(&self, id: Uuid) -> Option<HmacSha256> {
        let mut mac = HmacSha256::new_from_slice(&self.key).ok()?;
        mac.update(id.as_bytes());
        Some(mac)
    }

    /// The cookie value for `id`.
    pub(crate) fn sign(&self, id: Uuid) -> String {
        let tag = self
            .mac(id)
            .map(|m| hex(&m.finalize().into_bytes()))
            .unwrap_or_default();
        format!("{}.{tag}", id.simple())
    }

    /// The id a cookie value carries, if its signature checks (in constant time).
    pub(crate) fn verify(&self, value: &str) -> Option<Uuid> {
        let (id, tag) = value.trim().split_once('.')?;
        let id: Uuid = id.parse().ok()?;
        let tag = unhex(tag)?;
        self.mac(id)?.verify_slice(&tag).ok()?;
        Some(id)
    }

    /// The voter id of the first valid `voter_id` cookie among the request's cookies.
    pub(crate) fn voter_of(&self, headers: &http::HeaderMap) -> Option<Uuid> {
        voter_cookies(headers).find_map(|v| self.verify(&v))
    }

    /// Who a request reads ballots and votes as: the signed-in `user`, else the anonymous
    /// voter of a valid `voter_id` cookie in `headers`, else nobody yet. Every REST route and
    /// the plain WebSocket resolve their caller here.
    pub(crate) fn resolve(&self, user: Option<Uuid>, headers: &http::HeaderMap) -> Option<Voter> {
        match user {
            Some(id) => Some(Voter::user(id)),
            None => self.voter_of(headers).map(Voter::anonymous),
        }
    }

    /// The cookie set on a first anonymous vote; HttpOnly and SameSite=Lax like the auth
    /// cookie, Secure when the server is configured for HTTPS.
    pub(crate) fn cookie(&self, id: Uuid, secure: bool) -> Cookie<'static> {
        cookies::build(COOKIE_NAME, self.sign(id), COOKIE_MAX_AGE, secure)
    }
}

/// Whether the request carries a `voter_id` cookie at all (valid or not): such a write is
/// cookie-authenticated and so held to the same origin check as the auth cookie.
pub(crate) fn has_cookie(headers: &http::HeaderMap) -> bool {
    voter_cookies(headers).next().is_some()
}

fn voter_cookies(headers: &http::HeaderMap) -> impl Iterator<Item = String> + '_ {
    cookies::values(headers, COOKIE_NAME)
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum_extra::extract::cookie::SameSite;

    fn keys() -> VoterKeys {
        VoterKeys::new("test-secret-test-secret-test-secret!")
    }

    #[test]
    fn a_signed_id_verifies_and_is_found_among_other_cookies() {
        let id = Uuid::new_v4();
        let value = keys().sign(id);
        assert_eq!(keys().verify(&value), Some(id));
        let mut h = http::HeaderMap::new();
        h.insert(
            http::header::COOKIE,
            format!("a=b; voter_id=forged.00; voter_id={value}; c=d")
                .parse()
                .expect("hv"),
        );
        assert_eq!(keys().voter_of(&h), Some(id));
        assert!(has_cookie(&h));
    }

    #[test]
    fn a_signed_in_caller_votes_as_their_account_and_anyone_else_as_their_cookie() {
        let id = Uuid::new_v4();
        let mut h = http::HeaderMap::new();
        h.insert(
            http::header::COOKIE,
            format!("voter_id={}", keys().sign(id)).parse().expect("hv"),
        );
        let account = Uuid::new_v4();
        let v = keys().resolve(Some(account), &h).expect("account");
        assert_eq!((v.user, v.key), (Some(account), account));
        let v = keys().resolve(None, &h).expect("cookie");
        assert_eq!((v.user, v.key), (None, id));
        assert!(keys().resolve(None, &http::HeaderMap::new()).is_none());
        let mut forged = http::HeaderMap::new();
        forged.insert(
            http::header::COOKIE,
            "voter_id=forged.00".parse().expect("hv"),
        );
        assert!(keys().resolve(None, &forged).is_none());
    }

    #[test]
    fn a_changed_id_or_signature_or_another_secret_is_refused() {
        let id = Uuid::new_v4();
        let value = keys().sign(id);
        let other = Uuid::new_v4();
        let (_, tag) = value.split_once('.').expect("dot");
        assert_eq!(keys().verify(&format!("{}.{tag}", other.simple())), None);
        let mut bad = value.clone().into_bytes();
        let last = bad.len() - 1;
        bad[last] = if bad[last] == b'0' { b'1' } else { b'0' };
        assert_eq!(keys().verify(&String::from_utf8(bad).expect("utf8")), None);
        let theirs = VoterKeys::new("another-secret-another-secret-000");
        assert_eq!(theirs.verify(&value), None);
        for junk in [
            "",
            ".",
            "x.y",
            &id.to_string(),
            "é.é",
            &format!("{id}.{}", "ü".repeat(32)),
        ] {
            assert_eq!(keys().verify(junk), None, "{junk}");
        }
    }

    #[test]
    fn the_cookie_is_http_only_lax_and_secure_when_configured() {
        let c = keys().cookie(Uuid::new_v4(), true);
        assert_eq!(c.http_only(), Some(true));
        assert_eq!(c.same_site(), Some(SameSite::Lax));
        assert_eq!(c.secure(), Some(true));
        assert_eq!(keys().cookie(Uuid::new_v4(), false).secure(), Some(false));
    }
}
