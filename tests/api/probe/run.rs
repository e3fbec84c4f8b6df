//! The prober: runs every field as every caller of tenant A, with B's
//! values and missing ones in every place, and collects findings.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use axum::http::StatusCode;
use futures_util::StreamExt;
use pos::auth::Session;
use serde_json::{Map, Value, json};

use super::compare::{blank_volatile, gate, normalize};
use super::schema::{Field, Introspected, places};
use super::values::Place;
use super::world::{self, Side};
use crate::helpers::TestApp;

/// Places whose value is refused before any lookup, for every caller, by
/// design; a probe there cannot reach further.
const NOT_LOOKED_UP: &[(&str, &str)] = &[(
    "syncPush/events/0/terminalId",
    "a device pushes only its own terminal's events; any other id is FORBIDDEN before a lookup",
)];

/// Fields that list the caller's own earlier requests, and so may show
/// the values of B's that A itself sent.
const ECHOES: &[(&str, &str)] = &[(
    "auditLog",
    "the audit log lists the ids each of A's own requests named, B's included",
)];

pub struct Outcome {
    pub findings: Vec<String>,
    pub probes: usize,
    pub fields: usize,
}

struct Prober<'a> {
    app: &'a TestApp,
    a: &'a Side,
    b: &'a Side,
    intro: &'a Introspected,
    findings: Vec<String>,
    probes: usize,
    /// B's values A was allowed to write into its own data (a new SKU
    /// equal to B's): A's responses may carry them from then on.
    written: HashSet<String>,
    /// Every value of B's that A put in a request.
    sent: HashSet<String>,
    /// Per place (`field/pointer`): `None` once some caller got past
    /// validation, else each caller's gate answer.
    reached: BTreeMap<String, Option<Vec<String>>>,
}

pub async fn probe(app: &TestApp) -> Outcome {
    let a = world::side(app, "ALFA", 1000, &world::ean13("400000000001")).await;
    let b = world::side(app, "BRAVO", 2000, &world::ean13("400000000002")).await;
    let intro = Introspected::parse(&app.gql(&a.owner, Introspected::QUERY, json!({})).await);
    let fields = intro.root_fields();
    let callers = world::callers(app, &a);
    let mut p = Prober {
        app,
        a: &a,
        b: &b,
        intro: &intro,
        findings: Vec::new(),
        probes: 0,
        written: HashSet::new(),
        sent: HashSet::new(),
        reached: BTreeMap::new(),
    };
    for (op, field) in fields.iter().filter(|(op, _)| *op == "subscription") {
        for (role, token) in &callers {
            p.subscription(role, token, op, field).await;
        }
    }
    let before = p.view_of_b(&fields).await;
    for (role, token) in &callers {
        for op in ["query", "mutation"] {
            for (_, field) in fields.iter().filter(|(o, _)| *o == op) {
                p.field(role, token, op, field).await;
            }
        }
    }
    let after = p.view_of_b(&fields).await;
    for (name, view) in &before {
        if after.get(name) != Some(view) {
            p.findings.push(format!(
                "B's {name} changed while A probed:\n  before: {view}\n  after: {:?}",
                after.get(name)
            ));
        }
    }
    for (place, gate) in &p.reached {
        let allowed = NOT_LOOKED_UP.iter().any(|(p, _)| p == place);
        if let (Some(answer), false) = (gate, allowed) {
            p.findings.push(format!(
                "{place}: no caller got past validation, so B's value was never looked up; \
                 fix its value in probe::values (answers: {answer:?})"
            ));
        }
    }
    Outcome {
        findings: p.findings,
        probes: p.probes,
        fields: fields.len(),
    }
}

impl Prober<'_> {
    async fn field(&mut self, role: &str, token: &str, op: &str, field: &Field) {
        let args = match self.intro.arguments(field) {
            Ok(args) => args,
            Err(e) => {
                if role == "OWNER" {
                    self.findings.push(format!("cannot probe {e}"));
                }
                return;
            }
        };
        let spots = places(&Value::Object(args.clone()));
        if op == "query" || spots.iter().all(|(_, p)| p.fresh) {
            // With A's own values: a read, or a write that touches nothing
            // of A's that later probes need.
            let vars = self.resolve(&args, |_| None).await;
            let response = self.run(token, op, field, &args, vars).await;
            self.scan(role, &field.name, &response, "");
        }
        for (pointer, place) in spots {
            let key = format!("{}{pointer}", field.name);
            self.reached.entry(key.clone()).or_insert(Some(Vec::new()));
            let Some(theirs) = self.b.value(&place.kind).map(str::to_owned) else {
                self.findings.push(format!(
                    "{key}: tenant B has no {} to probe with",
                    place.kind
                ));
                continue;
            };
            let top = pointer.split('/').nth(1).unwrap_or_default();
            let alone: Map<String, Value> = args
                .iter()
                .filter(|(name, _)| {
                    *name == top || field.args.iter().any(|a| a.name == **name && a.required())
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let variants = if alone.len() < args.len() {
                vec![args.clone(), alone]
            } else {
                vec![args.clone()]
            };
            for base in variants {
                let nobodys = world::missing(&place.kind);
                let swap = |value: &str| {
                    let (pointer, value) = (pointer.clone(), value.to_owned());
                    move |at: &str| (at == pointer).then(|| value.clone())
                };
                // Once A has legitimately taken one of B's values (a new SKU
                // equal to B's), A's own copy answers for it: compare no more.
                let taken = self.written.contains(&theirs);
                // One after the other: `$next_seq` must see the first.
                let vars_b = self.resolve(&base, swap(&theirs)).await;
                let answer_b = self.run(token, op, field, &base, vars_b).await;
                let vars_m = self.resolve(&base, swap(&nobodys)).await;
                let answer_m = self.run(token, op, field, &base, vars_m).await;
                if place.fresh {
                    self.written.insert(theirs.clone());
                }
                self.sent.insert(theirs.clone());
                self.scan(role, &field.name, &answer_b, &theirs);
                self.scan(role, &field.name, &answer_m, &nobodys);
                let (norm_b, norm_m) = (
                    normalize(&answer_b, &theirs),
                    normalize(&answer_m, &nobodys),
                );
                if norm_b != norm_m && !taken {
                    self.findings.push(format!(
                        "{role} {key}: B's {} answered unlike a missing one\n  B's:     {norm_b}\n  missing: {norm_m}",
                        place.kind
                    ));
                }
                let entry = self.reached.entry(key.clone()).or_default();
                match (gate(&answer_m, &pointer), entry.as_mut()) {
                    (None, _) => *entry = None,
                    (Some(g), Some(answers)) => answers.push(format!("{role}: {g}")),
                    (Some(_), None) => {}
                }
            }
        }
    }

    /// `args` with every place filled: `swap` first, then A's own value,
    /// or a new one for fresh places. `$next_seq` becomes the next
    /// sequence of A's terminal.
    async fn resolve(
        &mut self,
        args: &Map<String, Value>,
        swap: impl Fn(&str) -> Option<String>,
    ) -> Value {
        let mut next_seq = None;
        if Value::Object(args.clone())
            .to_string()
            .contains("\"$next_seq\"")
        {
            let status = self
                .app
                .gql(
                    &self.a.owner,
                    "query($t: ID!) { terminalSyncStatus(terminalId: $t) { appliedThrough } }",
                    json!({ "t": self.a.value("Terminal") }),
                )
                .await;
            next_seq = status["data"]["terminalSyncStatus"]["appliedThrough"]
                .as_i64()
                .map(|n| n + 1);
        }
        fill(
            &Value::Object(args.clone()),
            "",
            &|at, place| {
                swap(at).unwrap_or_else(|| match (place.fresh, self.a.value(&place.kind)) {
                    (false, Some(own)) => own.to_owned(),
                    _ => world::missing(&place.kind),
                })
            },
            next_seq,
        )
    }

    async fn run(
        &mut self,
        token: &str,
        op: &str,
        field: &Field,
        shape: &Map<String, Value>,
        vars: Value,
    ) -> Value {
        self.probes += 1;
        let query = self.intro.document(op, field, shape);
        let (status, body) = self
            .app
            .post(Some(token), json!({ "query": query, "variables": vars }))
            .await;
        if status != StatusCode::OK {
            self.findings
                .push(format!("{}: HTTP {status}: {body}", field.name));
        }
        body
    }

    /// No B marker in `response` once `sent` (the value this request put
    /// in) is blanked out.
    fn scan(&mut self, role: &str, field: &str, response: &Value, sent: &str) {
        let mut text = response.to_string();
        if !sent.is_empty() {
            text = text.replace(sent, "<V>");
        }
        let echoes = ECHOES.iter().any(|(f, _)| *f == field);
        for marker in &self.b.markers {
            let own_request = echoes && self.sent.contains(marker);
            if !self.written.contains(marker) && !own_request && text.contains(marker.as_str()) {
                let shown: String = text.chars().take(600).collect();
                self.findings.push(format!(
                    "{role} {field}: tenant B's `{marker}` in the response: {shown}"
                ));
            }
        }
        if text.contains("\"INTERNAL\"") {
            self.findings
                .push(format!("{role} {field}: INTERNAL error: {text}"));
        }
    }

    /// What B's owner sees through every query field, with B's own values
    /// in every place.
    async fn view_of_b(&mut self, fields: &[(&'static str, Field)]) -> BTreeMap<String, String> {
        let mut view = BTreeMap::new();
        for (_, field) in fields.iter().filter(|(op, _)| *op == "query") {
            let Ok(args) = self.intro.arguments(field) else {
                continue;
            };
            let b = self.b;
            let vars = fill(
                &Value::Object(args.clone()),
                "",
                &|_, place: &Place| {
                    b.value(&place.kind)
                        .map_or_else(|| world::missing(&place.kind), str::to_owned)
                },
                None,
            );
            let mut body = self
                .run(&b.owner.clone(), "query", field, &args, vars)
                .await;
            blank_volatile(&mut body);
            view.insert(field.name.clone(), body.to_string());
        }
        view
    }

    /// A subscription as each caller: the first event carries nothing of
    /// B's, and a write of B's catalog reaches none of A's subscribers.
    async fn subscription(&mut self, role: &str, token: &str, op: &str, field: &Field) {
        let Ok(args) = self.intro.arguments(field) else {
            self.findings
                .push(format!("cannot probe subscription {}", field.name));
            return;
        };
        let vars = self.resolve(&args, |_| None).await;
        let session = Session::from(self.app.state.keys.verify(token).expect("A's token"));
        let mut request = async_graphql::Request::new(self.intro.document(op, field, &args))
            .variables(async_graphql::Variables::from_json(vars));
        pos::graphql::prepare(&mut request, &self.app.state.db, Some(&session));
        let mut stream = Box::pin(self.app.state.schema.execute_stream(request));
        self.probes += 1;
        let first = tokio::time::timeout(Duration::from_secs(5), stream.next()).await;
        if let Ok(Some(response)) = first {
            let body = serde_json::to_value(&response).unwrap_or_default();
            self.scan(role, &field.name, &body, "");
        }
        self.app
            .tax_group(&self.b.owner, &format!("BRAVO levy {role}"), "1")
            .await;
        let quiet = tokio::time::timeout(Duration::from_millis(300), stream.next()).await;
        if let Ok(Some(event)) = quiet {
            self.findings.push(format!(
                "{role} {}: A's subscriber heard B's write: {:?}",
                field.name, event.data
            ));
        }
    }
}

/// `v` with every place marker replaced by `value(pointer, place)`.
fn fill(
    v: &Value,
    at: &str,
    value: &dyn Fn(&str, &Place) -> String,
    next_seq: Option<i64>,
) -> Value {
    match v {
        Value::String(s) if s == "$next_seq" => json!(next_seq.unwrap_or(1)),
        Value::String(s) => match Place::parse(s) {
            Some(place) => Value::String(value(at, &place)),
            None => v.clone(),
        },
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| fill(item, &format!("{at}/{i}"), value, next_seq))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, item)| (k.clone(), fill(item, &format!("{at}/{k}"), value, next_seq)))
                .collect(),
        ),
        other => other.clone(),
    }
}
