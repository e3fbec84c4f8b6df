//! How two answers are compared, and whether an answer stopped before
//! looking anything up.

use serde_json::{Value, json};

/// Answers that stop a request before it looks anything up.
const GATES: &[&str] = &[
    "FORBIDDEN",
    "UNAUTHENTICATED",
    "BAD_USER_INPUT",
    "GRAPHQL_VALIDATION_FAILED",
    "GRAPHQL_PARSE_FAILED",
    "INTERNAL",
    "UNAVAILABLE",
];

/// Fields that tell the time of the request, not of the data.
const VOLATILE: &[&str] = &["pricedAt"];

pub fn blank_volatile(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, item) in map.iter_mut() {
                if VOLATILE.contains(&k.as_str()) {
                    *item = Value::Null;
                } else {
                    blank_volatile(item);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(blank_volatile),
        _ => {}
    }
}

/// Keys whose text is compared as is: what an answer says, not the data
/// it happens to carry.
/// (`code` too, beside a `message`.)
const VERBATIM: &[&str] = &["message", "field", "__typename", "status", "originalStatus"];

/// The answer with `sent` blanked out; errors in full, data by shape.
pub fn normalize(body: &Value, sent: &str) -> String {
    let text = body.to_string().replace(sent, "<V>");
    let body: Value = serde_json::from_str(&text).unwrap_or_default();
    let errors: Vec<Value> = body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| json!({ "message": e["message"], "code": e["extensions"]["code"], "path": e["path"] }))
        .collect();
    json!({ "data": shape(&body["data"], ""), "errors": errors }).to_string()
}

fn shape(v: &Value, key: &str) -> Value {
    match v {
        Value::Number(_) => json!("#"),
        Value::String(s) => {
            let enum_like = !s.is_empty() && s.bytes().all(|b| b.is_ascii_uppercase() || b == b'_');
            if VERBATIM.contains(&key) || enum_like {
                v.clone()
            } else {
                json!("s")
            }
        }
        // The distinct shapes of the items: how many there are changes as
        // the prober's own writes add up.
        Value::Array(items) => {
            let mut shapes: Vec<Value> = items.iter().map(|i| shape(i, key)).collect();
            shapes.sort_by_key(Value::to_string);
            shapes.dedup();
            Value::Array(shapes)
        }
        Value::Object(map) => {
            let said = map.contains_key("message");
            Value::Object(
                map.iter()
                    .map(|(k, i)| {
                        let key = if said && k == "code" {
                            "message"
                        } else {
                            k.as_str()
                        };
                        (k.clone(), shape(i, key))
                    })
                    .collect(),
            )
        }
        other => other.clone(),
    }
}

/// An error, user error or event status: its code, message and the input
/// field it names (as a pointer suffix, `/lines/0/variantId`).
struct Said {
    code: String,
    message: String,
    field: String,
}

/// The first answer that stopped at a gate before looking up the value at
/// `pointer`, if any. Input validation that names that very field (`no
/// such variant` on `lines.0.variantId`) looked it up, so it is no gate.
pub fn gate(body: &Value, pointer: &str) -> Option<String> {
    let mut said = Vec::new();
    // Errors below the root field (a staff-only relation of a sale a
    // device recorded) come after the lookup.
    let root_errors = body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["path"].as_array().is_none_or(|p| p.len() <= 1));
    for e in root_errors {
        said.push(Said {
            code: e["extensions"]["code"]
                .as_str()
                .unwrap_or("NO_CODE")
                .to_owned(),
            message: e["message"].to_string(),
            field: e["extensions"]["field"]
                .as_str()
                .unwrap_or("")
                .replace('.', "/"),
        });
    }
    collect(&body["data"], &mut said);
    said.into_iter()
        .find(|s| {
            let named = !s.field.is_empty() && pointer.ends_with(&format!("/{}", s.field));
            (GATES.contains(&s.code.as_str()) || s.code == "NO_CODE")
                && !(s.code == "BAD_USER_INPUT" && named)
        })
        .map(|s| format!("{} {}", s.code, s.message))
}

fn collect(v: &Value, out: &mut Vec<Said>) {
    match v {
        Value::Object(map) => {
            if let (Some(Value::String(code)), Some(message)) =
                (map.get("code"), map.get("message"))
            {
                let field = map.get("field").and_then(Value::as_array).map(|parts| {
                    parts
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join("/")
                });
                out.push(Said {
                    code: code.clone(),
                    message: message.to_string(),
                    field: field.unwrap_or_default(),
                });
            }
            map.values().for_each(|i| collect(i, out));
        }
        Value::Array(items) => items.iter().for_each(|i| collect(i, out)),
        _ => {}
    }
}
