//! The web client's wire types (`web/src/wire.ts`), generated from the server's own: the REST
//! bodies of the OpenAPI document (`http::api`) and the Socket.IO payloads (`gateway::wire`),
//! both described by their `ToSchema` derives. The test below fails when the committed file is
//! not what the server's types generate; `UPDATE_WIRE_TS=1 cargo test --lib wire_ts` rewrites
//! it. Test-only: the server never needs TypeScript.
//!
//! Generated from the schemas rather than with a second derive (ts-rs) on every type: the REST
//! types already carry `ToSchema` for the document, so one description serves the document and
//! the client, and the two cannot disagree.

use serde_json::Value;
use std::{collections::BTreeMap, fmt::Write};
use utoipa::OpenApi;

use crate::gateway::wire as w;

/// The Socket.IO payloads and `/ws/polls/{id}`'s messages, which no REST body names, so the
/// document alone would miss them.
#[derive(OpenApi)]
#[openapi(components(schemas(
    w::ErrorPayload,
    w::ErrorEvent,
    w::Done,
    w::Joined,
    w::RoundAck,
    w::Answered,
    w::PollMessage,
    w::Feed,
    w::RoomState,
    w::VotesCast,
    w::UserRef,
    w::SessionEnded,
    w::MyAnswerHidden,
    w::PlayerJoined,
    w::PlayerLeft,
    w::HostChanged,
    w::RoundStarted,
    w::AnswerSubmitted,
    w::AnswerBrief,
    w::VotingStarted,
    w::VoteUpdate,
    w::RoundEnded,
    w::GameEnded,
    w::GameReset,
    w::AnswerHidden,
    w::VoteTotals,
    w::AnswerTotals,
    w::PollCreated,
    w::PollDeleted,
    w::Notification,
    w::PollAnswer,
    crate::polls::votes::LiveResults,
    crate::polls::votes::LiveOption,
    crate::domain::game::RoundResult,
    crate::domain::game::VoterRef,
    super::poll_ws::WsMessage,
)))]
struct SocketDoc;

const HEADER: &str = "\
// GENERATED from the server's types by `src/http/typescript.rs`; do not edit.
// Regenerate with `UPDATE_WIRE_TS=1 cargo test --lib wire_ts` (the test fails while stale).
// An optional key (`?`) may be absent; `| null` may be sent as null.

/** A Socket.IO acknowledgement: `{ok: true, data}` or `{ok: false, error}`. */
export type Ack<T> = { ok: true; data: T } | { ok: false; error: ErrorPayload };
";

/// Every schema, the document's and the socket's, by name (sorted, so the output is stable).
fn schemas() -> BTreeMap<String, Value> {
    let mut all = BTreeMap::new();
    for doc in [super::api().1, SocketDoc::openapi()] {
        let doc = serde_json::to_value(doc).unwrap_or_default();
        if let Some(schemas) = doc["components"]["schemas"].as_object() {
            for (name, schema) in schemas {
                all.entry(name.clone()).or_insert_with(|| schema.clone());
            }
        }
    }
    all
}

/// The whole of `web/src/wire.ts`.
pub(crate) fn generate() -> String {
    let mut out = HEADER.to_string();
    for (name, schema) in schemas() {
        out.push('\n');
        doc_comment(&mut out, &schema, "");
        if is_object(&schema) {
            let _ = writeln!(out, "export interface {name} {}", object(&schema, ""));
        } else {
            let _ = writeln!(out, "export type {name} = {};", ts(&schema, ""));
        }
    }
    out
}

fn doc_comment(out: &mut String, schema: &Value, indent: &str) {
    if let Some(text) = schema["description"].as_str() {
        let text = text.replace("*/", "*\\/");
        let lines: Vec<&str> = text.lines().collect();
        if lines.len() == 1 {
            let _ = writeln!(out, "{indent}/** {} */", lines[0]);
        } else {
            let _ = writeln!(out, "{indent}/**");
            for line in lines {
                let _ = writeln!(out, "{indent} * {line}");
            }
            let _ = writeln!(out, "{indent} */");
        }
    }
}

/// An object with named keys (an interface), not a map (`Record`).
fn is_object(schema: &Value) -> bool {
    schema["type"] == "object"
        && (schema.get("properties").is_some() || schema.get("additionalProperties").is_none())
}

/// `{ key: type; ... }` of an object schema, its keys in the schema's (sorted) order.
fn object(schema: &Value, indent: &str) -> String {
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(props) = schema["properties"].as_object() else {
        return "{}".to_string();
    };
    let inner = format!("{indent}  ");
    let mut out = "{\n".to_string();
    for (key, prop) in props {
        doc_comment(&mut out, prop, &inner);
        let optional = if required.contains(&key.as_str()) {
            ""
        } else {
            "?"
        };
        let _ = writeln!(out, "{inner}{key}{optional}: {};", ts(prop, &inner));
    }
    out.push_str(indent);
    out.push('}');
    out
}

/// The TypeScript type of one schema.
fn ts(schema: &Value, indent: &str) -> String {
    if let Some(reference) = schema["$ref"].as_str() {
        return reference
            .rsplit('/')
            .next()
            .unwrap_or("unknown")
            .to_string();
    }
    for (key, sep) in [("oneOf", " | "), ("anyOf", " | "), ("allOf", " & ")] {
        if let Some(parts) = schema[key].as_array() {
            let parts: Vec<String> = parts.iter().map(|p| ts(p, indent)).collect();
            return parts.join(sep);
        }
    }
    if let Some(values) = schema["enum"].as_array() {
        let values: Vec<String> = values.iter().map(Value::to_string).collect();
        return values.join(" | ");
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => return "unknown".to_string(),
    };
    let parts: Vec<String> = types
        .iter()
        .map(|t| match *t {
            "string" => "string".to_string(),
            "integer" | "number" => "number".to_string(),
            "boolean" => "boolean".to_string(),
            "null" => "null".to_string(),
            "array" => {
                let item = ts(&schema["items"], indent);
                if item.contains(' ') {
                    format!("Array<{item}>")
                } else {
                    format!("{item}[]")
                }
            }
            "object" => match schema.get("additionalProperties") {
                Some(Value::Object(_)) if schema.get("properties").is_none() => {
                    format!(
                        "Record<string, {}>",
                        ts(&schema["additionalProperties"], indent)
                    )
                }
                _ if schema.get("properties").is_some() => object(schema, indent),
                _ => "Record<string, unknown>".to_string(),
            },
            _ => "unknown".to_string(),
        })
        .collect();
    parts.join(" | ")
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// `web/src/wire.ts` is what the server's types generate now: a server type that changed
    /// without the client's file fails here (and the client's `tsc` then checks its uses).
    #[test]
    fn wire_ts_is_generated_from_the_servers_types() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("web/src/wire.ts");
        let fresh = super::generate();
        if std::env::var_os("UPDATE_WIRE_TS").is_some() {
            std::fs::write(&path, &fresh).expect("write web/src/wire.ts");
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == fresh,
            "web/src/wire.ts is stale: run `UPDATE_WIRE_TS=1 cargo test --lib wire_ts`, then \
             `npm run build --prefix web`"
        );
    }
}
