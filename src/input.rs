//! A client's JSON object, read the same way by both transports (REST bodies and Socket.IO
//! payloads): anything but an object, or a field of the wrong type, is malformed, named by its
//! path; a missing required field is told apart by where serde stopped (see `decode`).

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::Error;

/// Why a client's JSON is not the object a route or event takes.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DecodeError {
    #[error("the payload must be a JSON object")]
    NotObject,
    /// A required field of the top-level object is absent.
    #[error("{0}")]
    MissingField(#[source] serde_json::Error),
    /// A field (at `path`) of the wrong type or value.
    #[error("{path}: {source}")]
    Invalid {
        path: String,
        #[source]
        source: serde_json::Error,
    },
}

/// Reads `value` as a `T`, which must be a struct read from a JSON object.
pub(crate) fn decode<T: DeserializeOwned>(value: &Value) -> Result<T, DecodeError> {
    if !value.is_object() {
        return Err(DecodeError::NotObject);
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        // serde reports a missing field once the whole object has been read, so the error
        // stands at the object itself; any other problem stands at the field that has it.
        // (For a nested object a missing field reads as malformed; no input type has one.)
        let at_top = e.path().iter().next().is_none();
        let path = e.path().to_string();
        let source = e.into_inner();
        if at_top && source.classify() == serde_json::error::Category::Data {
            DecodeError::MissingField(source)
        } else {
            DecodeError::Invalid { path, source }
        }
    })
}

impl DecodeError {
    /// As REST answers it: a missing field is a 422 naming it, the rest a 400.
    pub(crate) fn into_rest(self) -> Error {
        match self {
            DecodeError::MissingField(e) => Error::validation("body", e.to_string()),
            other => Error::Malformed(other.to_string()),
        }
    }

    /// As Socket.IO answers it: every payload that is not the event's object is malformed.
    pub(crate) fn into_socket(self) -> Error {
        Error::Malformed(self.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Inner {
        #[serde(default)]
        n: u32,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Input {
        name: String,
        #[serde(default)]
        inner: Option<Inner>,
    }

    #[test]
    fn an_object_of_the_right_shape_is_read() {
        let got: Input = decode(&json!({"name": "x", "inner": {"n": 2}, "extra": true})).unwrap();
        assert_eq!(
            got,
            Input {
                name: "x".into(),
                inner: Some(Inner { n: 2 })
            }
        );
    }

    #[test]
    fn anything_but_an_object_is_refused() {
        for v in [json!([1]), json!("x"), json!(null), json!(3)] {
            assert!(matches!(decode::<Input>(&v), Err(DecodeError::NotObject)));
        }
    }

    #[test]
    fn a_missing_field_is_told_apart_from_a_wrong_type() {
        match decode::<Input>(&json!({})) {
            Err(e @ DecodeError::MissingField(_)) => {
                assert!(e.to_string().contains("name"), "{e}");
                assert_eq!(e.into_rest().code(), "validation_failed");
            }
            other => panic!("{other:?}"),
        }
        for v in [
            json!({"name": 5}),
            json!({"name": {}}),
            json!({"name": "x", "inner": {"n": "two"}}),
            json!({"name": "x", "inner": 7}),
        ] {
            match decode::<Input>(&v) {
                Err(e @ DecodeError::Invalid { .. }) => {
                    assert_eq!(e.into_rest().code(), "malformed_request", "{v}");
                }
                other => panic!("{v}: {other:?}"),
            }
        }
        let e = decode::<Input>(&json!({"name": "x", "inner": {"n": "two"}})).unwrap_err();
        assert!(e.to_string().starts_with("inner.n: "), "{e}");
    }

    #[test]
    fn over_socket_io_every_problem_is_malformed() {
        for v in [json!({}), json!([]), json!({"name": 1})] {
            let e = decode::<Input>(&v).unwrap_err().into_socket();
            assert_eq!(e.code(), "malformed_request", "{v}");
        }
    }
}
