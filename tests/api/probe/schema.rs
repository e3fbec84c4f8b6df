//! The schema as introspection tells it, and the selection sets and
//! argument values the probes build from it.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::values::{self, Place};

const INTROSPECTION: &str = "{ __schema { queryType { name } mutationType { name } subscriptionType { name } \
    types { name kind enumValues { name } possibleTypes { name } \
      fields { name args { name defaultValue type { ...T } } type { ...T } } \
      inputFields { name defaultValue type { ...T } } } } } \
    fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }";

/// A type reference: `T`, `T!`, `[T!]!` and so on.
#[derive(Clone, Debug)]
pub enum Ty {
    NonNull(Box<Ty>),
    List(Box<Ty>),
    Named(String),
}

impl Ty {
    fn parse(v: &Value) -> Ty {
        match v["kind"].as_str() {
            Some("NON_NULL") => Ty::NonNull(Box::new(Ty::parse(&v["ofType"]))),
            Some("LIST") => Ty::List(Box::new(Ty::parse(&v["ofType"]))),
            _ => Ty::Named(v["name"].as_str().unwrap_or_default().to_owned()),
        }
    }

    pub fn named(&self) -> &str {
        match self {
            Ty::NonNull(t) | Ty::List(t) => t.named(),
            Ty::Named(n) => n,
        }
    }

    /// The type as written in a variable definition.
    pub fn sdl(&self) -> String {
        match self {
            Ty::NonNull(t) => format!("{}!", t.sdl()),
            Ty::List(t) => format!("[{}]", t.sdl()),
            Ty::Named(n) => n.clone(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct InputValue {
    pub name: String,
    pub ty: Ty,
    pub has_default: bool,
}

impl InputValue {
    fn parse(v: &Value) -> Self {
        Self {
            name: v["name"].as_str().unwrap_or_default().to_owned(),
            ty: Ty::parse(&v["type"]),
            has_default: !v["defaultValue"].is_null(),
        }
    }

    /// Must be given: non-null without a default.
    pub fn required(&self) -> bool {
        matches!(self.ty, Ty::NonNull(_)) && !self.has_default
    }
}

#[derive(Clone, Debug)]
pub struct Field {
    pub name: String,
    pub args: Vec<InputValue>,
    pub ty: Ty,
}

#[derive(Clone, Debug, Default)]
pub struct TypeDef {
    pub kind: String,
    pub fields: Vec<Field>,
    pub inputs: Vec<InputValue>,
    pub enums: Vec<String>,
    pub possible: Vec<String>,
}

/// The root operation types and every named type.
pub struct Introspected {
    pub types: BTreeMap<String, TypeDef>,
    pub roots: Vec<(&'static str, String)>,
}

impl Introspected {
    pub const QUERY: &'static str = INTROSPECTION;

    pub fn parse(body: &Value) -> Self {
        let schema = &body["data"]["__schema"];
        let mut types = BTreeMap::new();
        for t in schema["types"].as_array().into_iter().flatten() {
            let list = |key: &str| t[key].as_array().cloned().unwrap_or_default();
            let def = TypeDef {
                kind: t["kind"].as_str().unwrap_or_default().to_owned(),
                fields: list("fields")
                    .iter()
                    .map(|f| Field {
                        name: f["name"].as_str().unwrap_or_default().to_owned(),
                        args: list_of(&f["args"]).iter().map(InputValue::parse).collect(),
                        ty: Ty::parse(&f["type"]),
                    })
                    .collect(),
                inputs: list("inputFields").iter().map(InputValue::parse).collect(),
                enums: names(&list("enumValues")),
                possible: names(&list("possibleTypes")),
            };
            types.insert(t["name"].as_str().unwrap_or_default().to_owned(), def);
        }
        let roots = [
            ("query", "queryType"),
            ("mutation", "mutationType"),
            ("subscription", "subscriptionType"),
        ]
        .into_iter()
        .filter_map(|(op, key)| Some((op, schema[key]["name"].as_str()?.to_owned())))
        .collect();
        Self { types, roots }
    }

    /// Every root field, with the operation it belongs to.
    pub fn root_fields(&self) -> Vec<(&'static str, Field)> {
        let mut out = Vec::new();
        for (op, name) in &self.roots {
            for f in &self.types[name].fields {
                out.push((*op, f.clone()));
            }
        }
        out
    }

    fn is_leaf(&self, name: &str) -> bool {
        matches!(
            self.types.get(name).map(|t| t.kind.as_str()),
            Some("SCALAR" | "ENUM")
        )
    }

    /// A selection of everything reachable from `ty` within `depth` levels
    /// that needs no arguments: every id, name and figure a leak could
    /// carry.
    pub fn selection(&self, ty: &str, depth: usize) -> String {
        let Some(def) = self.types.get(ty) else {
            return String::new();
        };
        let mut parts = vec!["__typename".to_owned()];
        if matches!(def.kind.as_str(), "UNION" | "INTERFACE") {
            for p in &def.possible {
                parts.push(format!("... on {p} {{ {} }}", self.selection(p, depth)));
            }
            return parts.join(" ");
        }
        for f in &def.fields {
            if f.name.starts_with("__") || f.args.iter().any(InputValue::required) {
                continue;
            }
            let inner = f.ty.named();
            if self.is_leaf(inner) {
                parts.push(f.name.clone());
            } else if depth > 1 {
                parts.push(format!(
                    "{} {{ {} }}",
                    f.name,
                    self.selection(inner, depth - 1)
                ));
            }
        }
        parts.join(" ")
    }

    /// The operation text for a root field, with every argument a variable.
    pub fn document(&self, op: &str, field: &Field, args: &Map<String, Value>) -> String {
        let used: Vec<&InputValue> = field
            .args
            .iter()
            .filter(|a| args.contains_key(&a.name))
            .collect();
        let defs: Vec<String> = used
            .iter()
            .map(|a| format!("${}: {}", a.name, a.ty.sdl()))
            .collect();
        let call: Vec<String> = used.iter().map(|a| format!("{0}: ${0}", a.name)).collect();
        let (defs, call) = if used.is_empty() {
            (String::new(), String::new())
        } else {
            (
                format!("({})", defs.join(", ")),
                format!("({})", call.join(", ")),
            )
        };
        let inner = field.ty.named();
        let selection = if self.is_leaf(inner) {
            String::new()
        } else {
            // Deep enough to reach names and ids through a connection
            // (`edges { node { … } }`) and one relation beyond.
            format!(" {{ {} }}", self.selection(inner, 4))
        };
        format!("{op} Probe{defs} {{ {}{call}{selection} }}", field.name)
    }

    /// Arguments for `field`: its template when it has one, or values
    /// generated from the types. Every id and every tenant-owned string
    /// becomes a [`Place`] marker the prober swaps.
    pub fn arguments(&self, field: &Field) -> Result<Map<String, Value>, String> {
        if let Some(template) = values::template(&field.name) {
            return Ok(template);
        }
        let mut args = Map::new();
        for a in &field.args {
            let at = Site {
                field: &field.name,
                parent: None,
                name: &a.name,
            };
            if let Some(v) = self.fill(&a.ty, &at, a.required())? {
                args.insert(a.name.clone(), v);
            }
        }
        Ok(args)
    }

    /// A value for `ty`, or `None` for an optional one that carries no
    /// place to probe.
    fn fill(&self, ty: &Ty, at: &Site, required: bool) -> Result<Option<Value>, String> {
        let value = match ty {
            Ty::NonNull(inner) => return self.fill(inner, at, true),
            Ty::List(inner) => self.fill(inner, at, true)?.map(|v| json!([v])),
            Ty::Named(name) => self.fill_named(name, at)?,
        };
        let wanted = required || values::always(at.parent, at.name);
        Ok(value.filter(|v| wanted || values::has_place(v)))
    }

    fn fill_named(&self, name: &str, at: &Site) -> Result<Option<Value>, String> {
        let def = self
            .types
            .get(name)
            .ok_or_else(|| format!("{at}: unknown type {name}"))?;
        Ok(match def.kind.as_str() {
            "ENUM" => Some(Value::String(values::enum_value(at.name, &def.enums))),
            "INPUT_OBJECT" => {
                let mut obj = Map::new();
                for f in &def.inputs {
                    let inner = Site {
                        field: at.field,
                        parent: Some(name),
                        name: &f.name,
                    };
                    if let Some(v) = self.fill(&f.ty, &inner, f.required())? {
                        obj.insert(f.name.clone(), v);
                    }
                }
                Some(Value::Object(obj))
            }
            _ => Some(values::scalar(name, at)?),
        })
    }
}

/// Where a value goes: the root field, the input type holding it (none for
/// a root argument), and its name.
pub struct Site<'a> {
    pub field: &'a str,
    pub parent: Option<&'a str>,
    pub name: &'a str,
}

impl std::fmt::Display for Site<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.parent {
            Some(p) => write!(f, "{}: {p}.{}", self.field, self.name),
            None => write!(f, "{}({})", self.field, self.name),
        }
    }
}

fn list_of(v: &Value) -> Vec<Value> {
    v.as_array().cloned().unwrap_or_default()
}

fn names(list: &[Value]) -> Vec<String> {
    list.iter()
        .filter_map(|v| v["name"].as_str().map(str::to_owned))
        .collect()
}

/// Every place marker in `args`, with its JSON pointer.
pub fn places(args: &Value) -> Vec<(String, Place)> {
    let mut out = Vec::new();
    walk(args, String::new(), &mut out);
    out
}

fn walk(v: &Value, at: String, out: &mut Vec<(String, Place)>) {
    match v {
        Value::String(s) => {
            if let Some(p) = Place::parse(s) {
                out.push((at, p));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, format!("{at}/{i}"), out);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                walk(item, format!("{at}/{k}"), out);
            }
        }
        _ => {}
    }
}
