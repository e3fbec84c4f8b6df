//! The audit trail: an entry for every root mutation field a session
//! runs, whatever its outcome. The schema's one extension
//! (`graphql::hooks`) calls it at each step of a request.

use std::collections::BTreeSet;
use std::sync::Mutex;

use async_graphql::extensions::{ExtensionContext, NextResolve, ResolveInfo};
use async_graphql::parser::types::{ExecutableDocument, OperationType};
use async_graphql::{Name, ServerError, ServerResult, Value, Variables};
use uuid::Uuid;

use crate::audit::{self, Action, RequestOrigin};
use crate::auth::Session;
use crate::error::AppError;
use crate::tenancy::Db;
use crate::tenancy::journal::{Journal, MAX_IDS, counts_text};

/// One request's trail.
#[derive(Default)]
pub struct Trail {
    /// What the entry reads of the request's variables ([`slim`]), kept
    /// only when it holds a mutation.
    variables: Mutex<Option<Variables>>,
    operation_name: Mutex<Option<String>>,
}

impl Trail {
    /// Keeps what the entry reads of the variables, when `document` holds
    /// a mutation.
    pub fn parsed(&self, document: &ExecutableDocument, variables: &Variables) {
        let mutates = document
            .operations
            .iter()
            .any(|(_, op)| op.node.ty == OperationType::Mutation);
        if mutates {
            let kept = variables
                .iter()
                .map(|(name, value)| (name.clone(), slim(value)))
                .collect();
            *self.variables.lock().unwrap_or_else(|e| e.into_inner()) =
                Some(Variables::from_value(Value::Object(kept)));
        }
    }

    /// Notes the operation about to run.
    pub fn executing(&self, operation_name: Option<&str>) {
        *self
            .operation_name
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = operation_name.map(str::to_owned);
    }

    /// Resolves a field; a root mutation field with its audit entry.
    pub async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let root_mutation = info.parent_type == "Mutation" && info.path_node.parent.is_none();
        if !root_mutation {
            return next.run(ctx, info).await;
        }
        let operation = info.name.to_owned();
        let arguments = self.arguments(&info);
        let operation_name = self
            .operation_name
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        // Without a session there is no tenant to file it under; the
        // request was refused as UNAUTHENTICATED.
        let (Some(session), Some(db)) = (ctx.data_opt::<Session>(), ctx.data_opt::<Db>()) else {
            return next.run(ctx, info).await;
        };
        let origin = ctx.data_opt::<RequestOrigin>();
        let push = operation == "syncPush";
        // The entry a write commits with: what the arguments name; the
        // transaction adds the rows it inserts and the push its statuses.
        let named = argument_ids(&operation, &arguments);
        let draft = Action {
            resource_ids: Vec::new(),
            detail: push.then(|| push_summary(&arguments, &Ok(None))),
            outcome: "OK".into(),
            operation: operation.clone(),
            operation_name: operation_name.clone(),
        };
        let journal = Journal::new(
            session.tenant,
            audit::entry(session, origin, draft),
            named,
            !push,
        );
        let result = journal.scope(next.run(ctx, info)).await;
        if journal.written() {
            return result;
        }
        // Nothing committed: refused, bad input, or nothing to change.
        let action = Action {
            resource_ids: resource_ids(&operation, &arguments, &result),
            detail: push.then(|| push_summary(&arguments, &result)),
            outcome: outcome(&result),
            operation,
            operation_name,
        };
        if let Err(e) = audit::record(db, session, origin, action).await {
            tracing::error!(error = %e, "could not write the audit entry");
        }
        result
    }
}

impl Trail {
    /// The field's arguments with variables put in.
    fn arguments(&self, info: &ResolveInfo<'_>) -> Vec<(String, Value)> {
        let variables = self.variables.lock().unwrap_or_else(|e| e.into_inner());
        info.field
            .arguments
            .iter()
            .filter_map(|(name, value)| {
                let value = value.node.clone().into_const_with(|var: Name| {
                    variables
                        .as_ref()
                        .and_then(|v| v.get(&var).cloned())
                        .ok_or(())
                });
                value.ok().map(|v| (name.node.to_string(), v))
            })
            .collect()
    }
}

/// The part of a variable's value an entry reads: UUID strings (the ids
/// it names) and integers (a push's sequences), in their lists and
/// objects; other values become null. Sync events' payloads are left out:
/// a push is filed under its terminal, its records are in the ledger under
/// their own ids. A push's variables are most of its request; copying
/// and dropping them whole was about 5 % of a profile of pushes.
fn slim(value: &Value) -> Value {
    match value {
        Value::String(s) if Uuid::parse_str(s).is_ok() => value.clone(),
        Value::Number(n) if n.is_i64() => value.clone(),
        Value::List(items) => Value::List(items.iter().map(slim).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .filter(|(key, _)| key.as_str() != "payload")
                .map(|(key, item)| (key.clone(), slim(item)))
                .collect(),
        ),
        _ => Value::Null,
    }
}

/// `OK`, `USER_ERROR` when a payload lists user errors, or the error code.
fn outcome(result: &ServerResult<Option<Value>>) -> String {
    match result {
        Err(e) => error_code(e).to_owned(),
        Ok(Some(Value::Object(fields))) => {
            let listed = matches!(fields.get("userErrors"), Some(Value::List(l)) if !l.is_empty());
            if listed { "USER_ERROR" } else { "OK" }.to_owned()
        }
        Ok(_) => "OK".to_owned(),
    }
}

fn error_code(e: &ServerError) -> &'static str {
    e.source::<AppError>()
        .map_or("BAD_USER_INPUT", AppError::code)
}

/// Every id the arguments name, and every `id` the answer returns.
fn resource_ids(
    operation: &str,
    arguments: &[(String, Value)],
    result: &ServerResult<Option<Value>>,
) -> Vec<String> {
    let mut ids = argument_ids(operation, arguments);
    if let Ok(Some(value)) = result
        && operation != "syncPush"
    {
        uuids(Some(value), true, &mut ids);
    }
    ids.into_iter().take(MAX_IDS).collect()
}

/// Every id the arguments name. A push names its terminal; its sales are
/// in the ledger under their own ids.
fn argument_ids(operation: &str, arguments: &[(String, Value)]) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for (name, value) in arguments {
        if operation == "syncPush" {
            if let Value::List(events) = value {
                for event in events {
                    if let Value::Object(e) = event {
                        uuids(e.get("terminalId"), false, &mut ids);
                    }
                }
            }
        } else if name != "events" {
            uuids(Some(value), false, &mut ids);
        }
    }
    ids
}

/// Collects UUID strings; with `keyed`, only values of `id` fields (an
/// answer's other strings are data, not names of resources).
fn uuids(value: Option<&Value>, keyed: bool, out: &mut BTreeSet<String>) {
    match value {
        Some(Value::String(s)) if !keyed && Uuid::parse_str(s).is_ok() => {
            out.insert(s.clone());
        }
        Some(Value::List(items)) => items.iter().for_each(|i| uuids(Some(i), keyed, out)),
        Some(Value::Object(fields)) => {
            for (key, item) in fields {
                match item {
                    Value::String(s)
                        if keyed && key.as_str() == "id" && Uuid::parse_str(s).is_ok() =>
                    {
                        out.insert(s.clone());
                    }
                    _ => uuids(Some(item), keyed, out),
                }
            }
        }
        _ => {}
    }
}

/// `12 events, sequences 40-51; applied 11, duplicate 1` (statuses as far
/// as the client selected them).
fn push_summary(arguments: &[(String, Value)], result: &ServerResult<Option<Value>>) -> String {
    let sequences: Vec<i64> = arguments
        .iter()
        .filter(|(name, _)| name == "events")
        .flat_map(|(_, v)| match v {
            Value::List(events) => events.clone(),
            _ => Vec::new(),
        })
        .filter_map(|e| match e {
            Value::Object(fields) => match fields.get("sequence") {
                Some(Value::Number(n)) => n.as_i64(),
                _ => None,
            },
            _ => None,
        })
        .collect();
    let mut text = format!("{} events", sequences.len());
    if let (Some(lo), Some(hi)) = (sequences.iter().min(), sequences.iter().max()) {
        text.push_str(&format!(", sequences {lo}-{hi}"));
    }
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    if let Ok(Some(Value::Object(fields))) = result
        && let Some(Value::List(results)) = fields.get("results")
    {
        for r in results {
            if let Value::Object(r) = r
                && let Some(Value::Enum(status)) = r.get("status")
            {
                *counts.entry(status.to_ascii_lowercase()).or_default() += 1;
            }
        }
    }
    if !counts.is_empty() {
        text.push_str(&format!("; {}", counts_text(&counts)));
    }
    text
}

#[cfg(test)]
mod tests {
    use async_graphql::Value;
    use serde_json::json;

    use super::slim;

    #[test]
    fn slim_keeps_ids_and_sequences_and_leaves_payloads_out() {
        let id = "0190f3a4-5b6c-7d8e-9f00-112233445566";
        let value = Value::from_json(json!({
            "events": [{ "terminalId": id, "sequence": 7, "type": "SALE",
                         "payload": { "sale": { "saleId": id } } }],
            "input": { "name": "Shop", "locationId": id, "active": true, "price": "1.50" },
        }));
        let expected = Value::from_json(json!({
            "events": [{ "terminalId": id, "sequence": 7, "type": null }],
            "input": { "name": null, "locationId": id, "active": null, "price": null },
        }));
        assert_eq!(value.map(|v| slim(&v)).ok(), expected.ok());
    }
}
