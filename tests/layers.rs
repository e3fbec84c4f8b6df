//! The layers of `src/`, checked in the sources (docs/architecture.md,
//! "The layer rule").
//!
//! Every `crate::…` path in a file is an edge from the file's module to
//! the module it names. A module may name modules of its own layer and of
//! layers below, never one above; and the edges, all together, form no
//! cycle. The known exceptions ([`KNOWN`], each listed in
//! docs/architecture.md with its fix) are taken out first: a new edge that
//! breaks the rule fails, and so does a known one that no longer exists,
//! so the list only shrinks.
//!
//! async-graphql belongs to the API layer and above: a file below it
//! (services, platform) that names `async_graphql` fails too.
//!
//! No database needed: it reads the sources.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Layers, from the edge down; a higher number is a higher layer.
fn layer(node: &str) -> Option<u8> {
    if node.ends_with("::graphql") || node == SUPPORT_NODE {
        return Some(3);
    }
    Some(match node {
        "main" | "lib" | "cli" | "seed" | "startup" => 5,
        "http" => 4,
        "graphql" => 3,
        "catalog" | "sales" | "sync" | "reporting" | "org" | "audit" | "stock" | "cash" => 2,
        "tenancy" | "cache" | "auth" | "money" | "config" | "telemetry" | "metrics" | "error"
        | "validate" => 1,
        _ => return None,
    })
}

/// Services whose `graphql` part (`src/<service>/graphql.rs` or
/// `src/<service>/graphql/`) belongs to the API layer.
const SERVICES: &[&str] = &[
    "catalog",
    "sales",
    "sync",
    "reporting",
    "org",
    "audit",
    "stock",
    "cash",
];

/// The API layer's leaf: what every resolver uses (request data,
/// pagination, payloads, scalars), naming no resolver itself.
const SUPPORT: &[&str] = &[
    "context",
    "pagination",
    "payload",
    "scalars",
    "ContextExt",
    "RequestLoader",
];
const SUPPORT_NODE: &str = "graphql::support";

/// Edges that break the rule today, to be removed (docs/architecture.md,
/// "Known exceptions, to be removed").
const KNOWN: &[(&str, &str)] = &[];

/// The node a file belongs to: its top-level module, or a service's
/// graphql part.
fn node_of(relative: &Path) -> String {
    let parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    target(&parts.join("::"))
}

/// The node a path after `crate::` names (`catalog::graphql::types` →
/// `catalog::graphql`).
fn target(path: &str) -> String {
    let mut segments = path.split("::").map(str::trim);
    let top = segments.next().unwrap_or_default().to_owned();
    let second = segments.next();
    // `payload!`, exported at the crate's root, is defined in
    // `graphql/payload.rs`.
    if top == "payload" {
        return SUPPORT_NODE.to_owned();
    }
    if SERVICES.contains(&top.as_str()) && second == Some("graphql") {
        return format!("{top}::graphql");
    }
    if top == "graphql" && second.is_some_and(|s| SUPPORT.contains(&s)) {
        return SUPPORT_NODE.to_owned();
    }
    top
}

/// The source without comments (line and block).
fn strip_comments(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    loop {
        let line = rest.find("//");
        let block = rest.find("/*");
        match (line, block) {
            (Some(l), b) if b.is_none_or(|b| l < b) => {
                out.push_str(&rest[..l]);
                rest = rest[l..].find('\n').map_or("", |n| &rest[l + n..]);
            }
            (_, Some(b)) => {
                out.push_str(&rest[..b]);
                rest = rest[b..].find("*/").map_or("", |e| &rest[b + e + 2..]);
            }
            _ => {
                out.push_str(rest);
                return out;
            }
        }
    }
}

/// Every node a source names with `crate::…`, grouped imports included.
fn named(source: &str) -> BTreeSet<String> {
    let code = strip_comments(source);
    let mut out = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().last();
        rest = &rest[at + "crate::".len()..];
        // `$crate::` in a macro, or part of a longer name.
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => {
                        depth += 1;
                        item.push(c);
                    }
                    '}' if depth == 0 => break,
                    '}' => {
                        depth -= 1;
                        item.push(c);
                    }
                    ',' if depth == 0 => {
                        out.insert(target(&std::mem::take(&mut item)));
                    }
                    _ => item.push(c),
                }
            }
            if !item.trim().is_empty() {
                out.insert(target(&item));
            }
        } else {
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            // `crate::name!`: an exported macro, at the crate's root.
            if !rest[end..].starts_with('!') {
                out.insert(target(&rest[..end]));
            }
        }
    }
    out.retain(|n| !n.is_empty() && n != "self");
    out
}

/// Whether a file (its path below `src`) is in the API layer or above it:
/// `graphql/`, a service's graphql part, `http/`, the binary's modules.
fn in_api_layer(relative: &Path) -> bool {
    layer(&node_of(relative)).is_some_and(|l| l >= 3)
}

/// The files below the API layer that name `async_graphql` in their code
/// (comments aside), each with the first place it does.
fn graphql_below_api(files: &[(PathBuf, String)]) -> Vec<String> {
    const NAME: &str = "async_graphql";
    let mut problems = Vec::new();
    for (path, source) in files {
        if in_api_layer(path) {
            continue;
        }
        let code = strip_comments(source);
        let named = code.match_indices(NAME).find(|(at, _)| {
            let before = code[..*at].chars().last();
            let after = code[at + NAME.len()..].chars().next();
            let part = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
            !part(before) && !part(after)
        });
        if let Some((at, _)) = named {
            let text = code[at..].lines().next().unwrap_or_default().trim();
            problems.push(format!(
                "{}: names async_graphql below the API layer (`{text}`): move it into the service's graphql part",
                path.display()
            ));
        }
    }
    problems
}

/// What breaks the rule in `files` (relative path, source), apart from the
/// `known` edges; and the known edges not found.
fn check(files: &[(PathBuf, String)], known: &[(&str, &str)]) -> Vec<String> {
    let mut edges: BTreeMap<(String, String), PathBuf> = BTreeMap::new();
    for (path, source) in files {
        let from = node_of(path);
        for to in named(source) {
            if to != from {
                edges
                    .entry((from.clone(), to))
                    .or_insert_with(|| path.clone());
            }
        }
    }
    let known: BTreeSet<(String, String)> = known
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
    let mut problems = Vec::new();
    for k in &known {
        if !edges.contains_key(k) {
            problems.push(format!(
                "{} -> {} is listed as known but no longer exists: take it out of KNOWN and docs/architecture.md",
                k.0, k.1
            ));
        }
    }
    let rest: BTreeMap<&(String, String), &PathBuf> =
        edges.iter().filter(|(e, _)| !known.contains(*e)).collect();
    for ((from, to), path) in &rest {
        match (layer(from), layer(to)) {
            (Some(a), Some(b)) if b > a => problems.push(format!(
                "{}: {from} (layer {a}) imports {to} (layer {b}), a layer above it",
                path.display()
            )),
            (None, _) => problems.push(format!("{}: {from} is in no layer", path.display())),
            (_, None) => problems.push(format!("{}: {to} is in no layer", path.display())),
            _ => {}
        }
    }
    for cycle in cycles(rest.keys().map(|(a, b)| (a.as_str(), b.as_str()))) {
        problems.push(format!("a cycle: {}", cycle.join(" -> ")));
    }
    problems
}

/// The cycles among `edges`: one per strongly connected component of more
/// than one node, as its nodes in order.
fn cycles<'a>(edges: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<Vec<String>> {
    let mut next: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (a, b) in edges {
        next.entry(a).or_default().insert(b);
        next.entry(b).or_default();
    }
    let reach = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from];
        while let Some(n) = todo.pop() {
            for m in &next[n] {
                if seen.insert(*m) {
                    todo.push(m);
                }
            }
        }
        seen
    };
    let reachable: BTreeMap<&str, BTreeSet<&str>> = next.keys().map(|n| (*n, reach(n))).collect();
    let mut found: BTreeSet<Vec<String>> = BTreeSet::new();
    for (n, from_n) in &reachable {
        let component: Vec<String> = from_n
            .iter()
            .filter(|m| reachable[*m].contains(n))
            .map(|m| (*m).to_owned())
            .collect();
        if component.len() > 1 {
            found.insert(component);
        }
    }
    found.into_iter().collect()
}

fn sources(dir: &Path, root: &Path, out: &mut Vec<(PathBuf, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let source = std::fs::read_to_string(&path).unwrap();
            out.push((path.strip_prefix(root).unwrap().to_owned(), source));
        }
    }
}

fn src() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &root, &mut files);
    files
}

#[test]
fn modules_import_only_their_layer_and_below_without_cycles() {
    let problems = check(&src(), KNOWN);
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn only_the_api_layer_names_async_graphql() {
    let problems = graphql_below_api(&src());
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn a_planted_async_graphql_derive_below_the_api_layer_fails() {
    let mut files = src();
    let money = files
        .iter_mut()
        .find(|(p, _)| p == Path::new("money/rounding.rs"))
        .unwrap();
    money.1.push_str(
        "\n#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]\nenum Planted { A }\n",
    );
    files.push((
        PathBuf::from("sales/planted.rs"),
        "use async_graphql::InputObject;\n".to_owned(),
    ));
    let problems = graphql_below_api(&files);
    assert!(
        problems.iter().any(|p| p.starts_with("money/rounding.rs:"))
            && problems.iter().any(|p| p.starts_with("sales/planted.rs:")),
        "{problems:#?}"
    );
}

#[test]
fn async_graphql_in_comments_or_the_api_layer_passes() {
    let files = vec![
        (
            PathBuf::from("error.rs"),
            "// turned into an `async_graphql::Error`\n/* async_graphql */ fn f() {}".to_owned(),
        ),
        (
            PathBuf::from("catalog/graphql/kinds.rs"),
            "use async_graphql::Enum;".to_owned(),
        ),
        (
            PathBuf::from("sync/graphql.rs"),
            "use async_graphql::Object;".to_owned(),
        ),
        (
            PathBuf::from("http/graphql.rs"),
            "use async_graphql::Request;".to_owned(),
        ),
        (
            PathBuf::from("cli/seed.rs"),
            "use async_graphql::Variables;".to_owned(),
        ),
        (
            PathBuf::from("money/mod.rs"),
            "fn not_async_graphql_x() {}".to_owned(),
        ),
    ];
    let problems = graphql_below_api(&files);
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn a_planted_upward_import_fails() {
    let mut files = src();
    let money = files
        .iter_mut()
        .find(|(p, _)| p == Path::new("money/mod.rs"))
        .unwrap();
    money
        .1
        .push_str("\nuse crate::{error::Result, http::door};\n");
    let problems = check(&files, KNOWN);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("money (layer 1) imports http (layer 4)")),
        "{problems:#?}"
    );
}

#[test]
fn a_planted_cycle_between_services_fails() {
    let mut files = src();
    // sync names catalog already; catalog naming sync closes a cycle.
    files.push((
        PathBuf::from("catalog/planted.rs"),
        "fn f() { crate::sync::push::gaps(0, &[]); }".to_owned(),
    ));
    let problems = check(&files, KNOWN);
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("a cycle:") && p.contains("catalog") && p.contains("sync")),
        "{problems:#?}"
    );
}

#[test]
fn paths_in_comments_and_groups_are_read_right() {
    let source = "// crate::http::x\nuse crate::{auth::Session, catalog::graphql::types::A};\n\
                  /* crate::sync */ fn f() { crate::money::x(); $crate::no(); }";
    let names: Vec<String> = named(source).into_iter().collect();
    assert_eq!(names, ["auth", "catalog::graphql", "money"]);
}
