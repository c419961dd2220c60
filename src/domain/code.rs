//! Short codes, for rooms (`/r/CODE`) and polls (`/p/CODE`): what a code looks like, how a
//! typed one is read, and how a new one is drawn. One alphabet and one generator for both, so a
//! code reads the same wherever it is typed.

/// Codes avoid look-alikes: no 0/O, no 1/I/L.
pub(crate) const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// Characters in a code: 31^6 ≈ 887 million codes, so a clash on creation is rare.
pub(crate) const LEN: usize = 6;

/// The code as stored (upper case), or `None` for anything that cannot be a code. Codes are
/// matched case-insensitively and surrounding white space is ignored.
pub(crate) fn normalize(code: &str) -> Option<String> {
    let code = code.trim().to_ascii_uppercase();
    (code.len() == LEN && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

/// A new code from `LEN` draws of `pick(n)`, which must return an index below `n`; the caller
/// brings the randomness, so the domain stays deterministic.
pub(crate) fn generate(mut pick: impl FnMut(usize) -> usize) -> String {
    (0..LEN)
        .map(|_| char::from(ALPHABET[pick(ALPHABET.len()) % ALPHABET.len()]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_read_in_any_case_with_surrounding_space() {
        assert_eq!(normalize(" k7m2qx ").as_deref(), Some("K7M2QX"));
        assert_eq!(normalize("K7M2QX").as_deref(), Some("K7M2QX"));
    }

    #[test]
    fn anything_else_is_not_a_code() {
        for bad in [
            "",
            "K7M2Q",
            "K7M2QXY",
            "K0M2QX",
            "KOM2QX",
            "K1M2QX",
            "KLM2QX",
            "KIM2QX",
            "K7M-QX",
            "ÄÄÄÄÄÄ",
        ] {
            assert_eq!(normalize(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_generated_code_reads_back_as_itself() {
        let mut n = 0;
        let code = generate(|len| {
            n += 7;
            n % len
        });
        assert_eq!(code.len(), LEN);
        assert_eq!(normalize(&code), Some(code));
        assert_eq!(generate(|_| 0), "AAAAAA");
        assert_eq!(generate(|len| len - 1), "999999");
    }

    /// Postgres draws the codes of polls written without one (the poll codes migration's
    /// `poll_code()`, the column's default): they must be codes by these rules too.
    #[test]
    fn the_poll_code_default_in_postgres_draws_from_this_alphabet() {
        let sql = include_str!("../../migrations/20261209300000_poll_codes.sql");
        let alphabet = std::str::from_utf8(ALPHABET).expect("ASCII");
        assert_eq!(sql.matches(&format!("'{alphabet}'")).count(), 1);
        assert!(sql.contains(&format!("random() * {})", ALPHABET.len())));
        assert!(sql.contains(&format!("generate_series(1, {LEN})")));
        assert!(sql.contains(&format!("'^[{alphabet}]{{{LEN}}}$'")));
    }
}
