//! A delivery's signature, so a receiver can tell it came from this server and was not changed
//! or replayed later: `X-VG-Signature: sha256=<hex HMAC-SHA256(secret, "{timestamp}.{body}")>`
//! with the `X-VG-Timestamp` (Unix seconds) it covers. The key is the webhook's secret as it was
//! shown (the whole `whsec_…` text, as bytes). Receivers compare in constant time and refuse
//! timestamps far from their clock.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::auth::secret::hex;

/// A new webhook secret: 32 random bytes, hex, with a prefix that says what it is.
pub(crate) fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("whsec_{}", hex(&bytes))
}

/// The `X-VG-Signature` value of `body` sent at `timestamp`.
pub(crate) fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC takes a key of any length; this cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex(&mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_covers_the_timestamp_and_the_body() {
        let s = signature("whsec_k", 1_700_000_000, b"{\"a\":1}");
        assert!(s.starts_with("sha256=") && s.len() == 7 + 64, "{s}");
        assert_eq!(s, signature("whsec_k", 1_700_000_000, b"{\"a\":1}"));
        assert_ne!(s, signature("whsec_k", 1_700_000_001, b"{\"a\":1}"));
        assert_ne!(s, signature("whsec_k", 1_700_000_000, b"{\"a\":2}"));
        assert_ne!(s, signature("whsec_x", 1_700_000_000, b"{\"a\":1}"));
    }

    #[test]
    fn secrets_are_fresh_and_prefixed() {
        let (a, b) = (new_secret(), new_secret());
        assert!(a.starts_with("whsec_") && a.len() == 6 + 64);
        assert_ne!(a, b);
    }
}
