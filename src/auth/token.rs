//! JWT issue and check (HS256 with `sub`, `iat`, `exp`, `jti`) and the auth cookie that carries
//! the token, so that REST and Socket.IO authenticate the same way.

use axum_extra::extract::cookie::Cookie;
use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use uuid::Uuid;

use super::{cookies, voter::VoterKeys};

pub const COOKIE_NAME: &str = "access_token";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub sub: Uuid,
    pub iat: i64,
    pub exp: i64,
    /// Lets logout revoke this one token without touching the user's other sessions.
    pub jti: Uuid,
}

#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub ttl: Duration,
    /// Signs anonymous voters' cookies with a key derived from the same secret.
    voters: VoterKeys,
}

impl TokenKeys {
    pub fn new(secret: &str, ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        // Expiry is exact: a token past `exp` is refused, no grace period.
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub", "iat"]);
        TokenKeys {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            validation,
            ttl,
            voters: VoterKeys::new(secret),
        }
    }

    pub(crate) fn voters(&self) -> &VoterKeys {
        &self.voters
    }

    pub fn issue(&self, user_id: Uuid) -> Result<(String, Claims), jsonwebtoken::errors::Error> {
        self.issue_for(user_id, self.ttl)
    }

    /// A token that lasts `ttl` (a guest's session is shorter than an account's).
    pub fn issue_for(
        &self,
        user_id: Uuid,
        ttl: Duration,
    ) -> Result<(String, Claims), jsonwebtoken::errors::Error> {
        let now = Utc::now().timestamp();
        let ttl = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2);
        self.sign(Claims {
            sub: user_id,
            iat: now,
            exp: now.saturating_add(ttl),
            jti: Uuid::new_v4(),
        })
    }

    /// Signs arbitrary claims; `issue` is the normal path, tests use this for expired tokens.
    pub fn sign(&self, claims: Claims) -> Result<(String, Claims), jsonwebtoken::errors::Error> {
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok((token, claims))
    }

    /// Signature, algorithm and expiry; revocation is checked by the caller (its session).
    /// A token is refused from its `exp` second on (RFC 7519 §4.1.4: "on or after"), the
    /// moment its sockets are ended; jsonwebtoken alone still accepts it during that second.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()
            .map(|data| data.claims)
            .filter(|c| c.exp > Utc::now().timestamp())
    }
}

pub fn auth_cookie(token: String, max_age: Duration, secure: bool) -> Cookie<'static> {
    cookies::build(COOKIE_NAME, token, max_age, secure)
}

pub fn cleared_cookie(secure: bool) -> Cookie<'static> {
    cookies::build(COOKIE_NAME, String::new(), Duration::ZERO, secure)
}

/// The token from `Authorization: Bearer …` or, failing that, the `access_token` cookie of a
/// raw `Cookie` header; shared by the REST extractor and the Socket.IO handshake.
pub fn token_from_headers(headers: &http::HeaderMap) -> Option<String> {
    bearer_from_headers(headers).or_else(|| cookie_from_headers(headers))
}

/// The token of an `Authorization: Bearer …` header, if there is one.
pub fn bearer_from_headers(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| rest.trim().to_string())
        })
        .filter(|t| !t.is_empty())
}

/// The token of the `access_token` cookie, if the request carries one: a browser attaches it
/// whichever page made the request, so its use is checked against the page's origin.
pub fn cookie_from_headers(headers: &http::HeaderMap) -> Option<String> {
    cookies::values(headers, COOKIE_NAME).next()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(
            "test-secret-test-secret-test-secret!",
            Duration::from_secs(60),
        )
    }

    #[test]
    fn an_issued_token_verifies() {
        let user = Uuid::new_v4();
        let (token, claims) = keys().issue(user).expect("issue");
        assert_eq!(keys().verify(&token), Some(claims));
    }

    #[test]
    fn a_token_signed_with_another_secret_is_refused() {
        let other = TokenKeys::new("another-secret-another-secret-000", Duration::from_secs(60));
        let (token, _) = other.issue(Uuid::new_v4()).expect("issue");
        assert_eq!(keys().verify(&token), None);
    }

    #[test]
    fn an_expired_token_is_refused() {
        let now = Utc::now().timestamp();
        let (token, _) = keys()
            .sign(Claims {
                sub: Uuid::new_v4(),
                iat: now - 120,
                exp: now - 1,
                jti: Uuid::new_v4(),
            })
            .expect("sign");
        assert_eq!(keys().verify(&token), None);
    }

    #[test]
    fn a_token_is_refused_from_its_exp_second_on() {
        let now = Utc::now().timestamp();
        let (token, _) = keys()
            .sign(Claims {
                sub: Uuid::new_v4(),
                iat: now - 120,
                exp: now,
                jti: Uuid::new_v4(),
            })
            .expect("sign");
        assert_eq!(keys().verify(&token), None);
    }

    #[test]
    fn bearer_wins_over_cookie_and_cookie_is_found_among_others() {
        let mut h = http::HeaderMap::new();
        h.insert(
            http::header::COOKIE,
            "a=b; access_token=from-cookie; c=d".parse().expect("hv"),
        );
        assert_eq!(token_from_headers(&h).as_deref(), Some("from-cookie"));
        h.insert(
            http::header::AUTHORIZATION,
            "Bearer from-header".parse().expect("hv"),
        );
        assert_eq!(token_from_headers(&h).as_deref(), Some("from-header"));
    }
}
