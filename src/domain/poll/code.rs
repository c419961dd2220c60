//! A poll's short code (contract v3: `/p/CODE` opens the poll): how a path segment names a
//! poll, by id or by code, and which codes a new poll may not take. The codes themselves are
//! the rooms' (`domain::code`).

use uuid::Uuid;

use crate::domain::code;

/// How `GET /api/polls/{id}` was told which poll: a UUID, or a code (already normalised).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PollRef {
    Id(Uuid),
    Code(String),
}

impl PollRef {
    /// An id, else a code in any case; `None` for anything that is neither.
    pub(crate) fn parse(raw: &str) -> Option<Self> {
        match raw.parse::<Uuid>() {
            Ok(id) => Some(PollRef::Id(id)),
            Err(_) => code::normalize(raw).map(PollRef::Code),
        }
    }
}

/// Codes that are also fixed paths under `/api/polls/` (`/api/polls/recent`,
/// `/api/polls/search`): typed in lower case, such a code would reach the list rather than the
/// poll, so no poll is given one. (`trending`, `popular` and `stats` cannot be codes.)
const SHADOWED: [&str; 2] = ["RECENT", "SEARCH"];

/// Whether a freshly drawn code may be a poll's.
pub(crate) fn may_take(code: &str) -> bool {
    !SHADOWED.contains(&code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_names_a_poll_by_id_or_by_code_in_any_case() {
        let id = Uuid::new_v4();
        assert_eq!(PollRef::parse(&id.to_string()), Some(PollRef::Id(id)));
        assert_eq!(
            PollRef::parse("k7m2qx"),
            Some(PollRef::Code("K7M2QX".into()))
        );
        for bad in ["", "K7M2Q", "K0M2QX", "not-a-poll", "12345678-1234"] {
            assert_eq!(PollRef::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_list_paths_that_read_as_codes_are_never_given_out() {
        for path in ["recent", "search"] {
            let as_code = code::normalize(path).expect("reads as a code");
            assert!(!may_take(&as_code), "{path}");
        }
        for path in ["trending", "popular", "stats"] {
            assert_eq!(code::normalize(path), None, "{path}");
        }
        assert!(may_take("K7M2QX"));
    }
}
