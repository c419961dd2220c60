//! The server's cookies, read and written in one place: the access token's (`token.rs`) and the
//! anonymous voter's (`voter.rs`) share how they are found in a request and how they are set,
//! so neither module needs the other for it.

use axum_extra::extract::cookie::{Cookie, SameSite};
use std::time::Duration;

/// The non-empty values of every cookie called `name` the request carries, in order.
pub(crate) fn values<'a>(
    headers: &'a http::HeaderMap,
    name: &'a str,
) -> impl Iterator<Item = String> + 'a {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| Cookie::parse(pair.trim().to_string()).ok())
        .filter(move |c| c.name() == name && !c.value().is_empty())
        .map(|c| c.value().to_string())
}

/// A cookie as the server sets every one of its own: HttpOnly (no script reads it),
/// SameSite=Lax, for the whole site, Secure when the server is configured for HTTPS, kept for
/// `max_age` (zero: removed).
pub(crate) fn build(
    name: &'static str,
    value: String,
    max_age: Duration,
    secure: bool,
) -> Cookie<'static> {
    Cookie::build((name, value))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .secure(secure)
        .max_age(cookie::time::Duration::seconds(
            i64::try_from(max_age.as_secs()).unwrap_or(0),
        ))
        .build()
}

#[cfg(test)]
mod tests {
    use super::super::{token, voter::VoterKeys};
    use std::time::Duration;

    /// What browsers receive, byte for byte: the attributes of both cookies are the contract
    /// the web client and the origin checks rely on.
    #[test]
    fn the_servers_cookies_are_set_with_the_same_attributes() {
        let auth = token::auth_cookie("tok".into(), Duration::from_secs(86_400), true);
        assert_eq!(
            auth.to_string(),
            "access_token=tok; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=86400"
        );
        assert_eq!(
            token::cleared_cookie(false).to_string(),
            "access_token=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0"
        );
        let keys = VoterKeys::new("test-secret-test-secret-test-secret!");
        let id = uuid::Uuid::nil();
        assert_eq!(
            keys.cookie(id, false).to_string(),
            format!(
                "voter_id={}; HttpOnly; SameSite=Lax; Path=/; Max-Age=31536000",
                keys.sign(id)
            )
        );
    }
}
