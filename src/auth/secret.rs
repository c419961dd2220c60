//! Small helpers for secrets the server hands out and checks (the anonymous voter cookie's
//! signature, a room's screen key, the metrics token): one hex encoding and one comparison
//! whose time does not tell how much of a guess matched.

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Whether `a` and `b` are equal, in a time that depends on their length only.
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_same() {
        assert_eq!(hex(&[0, 15, 255]), "000fff");
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"abcd"));
        assert!(!same(b"abc", b"ab"));
    }
}
