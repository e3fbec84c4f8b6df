//! The tenant scope, checked in the sources (SECURITY.md, "The tenant
//! scope").
//!
//! Outside `src/tenancy/`, no code may hold or name a bare database
//! connection, the traits that run statements on one, or an unscoped
//! SeaORM query; and only the files in [`OPERATOR_FILES`] may open the
//! operator entry (`Db::operator`). The types already make most of this
//! impossible (a service has no connection to run anything on); this check
//! keeps it so, by failing on the first new use, with its file and line.
//!
//! No database needed: it reads the sources.

use std::path::{Path, PathBuf};

/// A forbidden piece of code outside `src/tenancy/`, and why.
const FORBIDDEN: &[(&str, &str)] = &[
    (
        ".conn()",
        "the bare transaction; run queries with the TenantTx (`.all(&tx)`, `tx.update(model)`, `tx.query_all_raw(..)`)",
    ),
    (".raw()", "the bare pool; only `Db::operator()` reaches it"),
    (
        "DatabaseConnection",
        "a bare pool; services get a `TenantTx` from `db.read(session)` / `db.write(session)`",
    ),
    ("DatabaseTransaction", "a bare transaction; use `TenantTx`"),
    (
        "ConnectionTrait",
        "runs statements without a tenant; use the TenantTx's methods",
    ),
    (
        "TransactionTrait",
        "begins a transaction without a tenant; use `db.read(session)` / `db.write(session)`",
    ),
    (
        "StreamTrait",
        "streams rows without a tenant; use `tx.stream_raw(..)`",
    ),
    (
        "Database::connect",
        "a pool of its own, outside the tenant scope; use `Db::connect`",
    ),
    (
        "sea_orm::Database",
        "a pool of its own, outside the tenant scope; use `Db::connect`",
    ),
    ("execute_unprepared", "unprepared SQL on a bare connection"),
];

/// SeaORM's query constructors: `Entity::find()` and the like build
/// queries without the tenant filter. Start from `tx.select::<E>()`,
/// `tx.update_many::<E>()`, `tx.delete_many::<E>()`, `tx.update(model)` or
/// `tx.insert*(..)` instead.
const CONSTRUCTORS: &[&str] = &[
    "find",
    "find_by_id",
    "find_related",
    "find_linked",
    "insert",
    "insert_many",
    "update",
    "update_many",
    "delete",
    "delete_many",
    "delete_by_id",
    "save",
];

/// Where the operator entry (`.operator()`) may be used, how many times,
/// and why. Anything else is a security decision to make in review: add it
/// here with its reason.
const OPERATOR_FILES: &[(&str, usize, &str)] = &[
    (
        "src/cli/mod.rs",
        2,
        "operator commands: migrations, and creating a tenant no session names yet",
    ),
    ("src/startup.rs", 2, "migrations on start (the owner role)"),
    (
        "src/sync/status.rs",
        1,
        "the held-event backlog summed over all tenants for /metrics: two counts, no rows",
    ),
    (
        "src/reporting/compaction.rs",
        1,
        "background compaction of the one tenant whose commit scheduled it",
    ),
];

#[derive(Debug, Clone, PartialEq, Eq)]
struct Violation {
    path: String,
    line: usize,
    found: String,
    why: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: `{}`: {}",
            self.path, self.line, self.found, self.why
        )
    }
}

/// The violations in one source file; `path` is relative to the crate
/// root, with `/` (`src/catalog/products.rs`).
fn violations(path: &str, text: &str) -> Vec<Violation> {
    if path.starts_with("src/tenancy/") {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut operator_uses = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = code_of(raw);
        let at = |found: &str, why: &str| Violation {
            path: path.to_owned(),
            line: i + 1,
            found: found.to_owned(),
            why: why.to_owned(),
        };
        for (pattern, why) in FORBIDDEN {
            if line.contains(pattern) {
                out.push(at(pattern, why));
            }
        }
        for found in unscoped_constructors(&line) {
            out.push(at(
                &found,
                "an unscoped query; start from tx.select / tx.update_many / tx.delete_many / tx.update / tx.insert*",
            ));
        }
        if line.contains(".operator()") {
            operator_uses.push(i + 1);
        }
    }
    let allowed = OPERATOR_FILES.iter().find(|(file, _, _)| *file == path);
    match allowed {
        Some((_, n, _)) if *n == operator_uses.len() => {}
        Some((_, n, _)) => out.push(Violation {
            path: path.to_owned(),
            line: operator_uses.last().copied().unwrap_or(0),
            found: ".operator()".into(),
            why: format!(
                "used {} times where OPERATOR_FILES allows {n}: update the allow-list in review",
                operator_uses.len()
            ),
        }),
        None => {
            for line in operator_uses {
                out.push(Violation {
                    path: path.to_owned(),
                    line,
                    found: ".operator()".into(),
                    why: "the operator entry, outside the files OPERATOR_FILES allows".into(),
                });
            }
        }
    }
    out
}

/// The line without its `//` comment (a `//` inside a string literal on
/// the same line is kept).
fn code_of(line: &str) -> String {
    let mut in_string = false;
    let mut prev = '\0';
    let chars: Vec<char> = line.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '"' if prev != '\\' && !(prev == '\'' && chars.get(i + 1) == Some(&'\'')) => {
                in_string = !in_string
            }
            '/' if !in_string && prev == '/' => {
                return chars[..i - 1].iter().collect();
            }
            _ => {}
        }
        prev = if prev == '\\' && c == '\\' { '\0' } else { c };
    }
    line.to_owned()
}

/// `Entity::find(`, `E::update_many(`, `ActiveModelTrait::update(`,
/// `<A::Entity as EntityTrait>::insert(`: a SeaORM constructor called on
/// an entity type, a generic entity parameter or one of SeaORM's traits.
/// (`Query::insert()` of sea_query is raw SQL, governed by the raw rules;
/// `products::find(` is a module's function.)
fn unscoped_constructors(line: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (at, _) in line.match_indices("::") {
        let rest = &line[at + 2..];
        let Some(method) = CONSTRUCTORS
            .iter()
            .find(|m| rest.starts_with(&format!("{m}(")))
        else {
            continue;
        };
        let before = line[..at].trim_end_matches('>');
        let owner: String = before
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let entity_like = owner == "Entity"
            || owner == "EntityTrait"
            || owner == "ActiveModelTrait"
            || owner == "ModelTrait"
            || (owner.len() == 1 && owner.chars().all(|c| c.is_ascii_uppercase()));
        if entity_like {
            found.push(format!("{owner}::{method}("));
        }
    }
    found
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `src/`, as (path relative to the crate root,
/// text).
fn sources() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read src") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&root().join("src"), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let relative = path
                .strip_prefix(root())
                .expect("under the crate")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            let text = std::fs::read_to_string(&path).expect("read source");
            (relative, text)
        })
        .collect()
}

#[test]
fn no_bare_connection_or_unscoped_query_outside_the_tenancy_module() {
    let sources = sources();
    assert!(
        sources.iter().any(|(p, _)| p == "src/tenancy/mod.rs") && sources.len() > 50,
        "the walk did not find the sources: {} files",
        sources.len()
    );
    let found: Vec<String> = sources
        .iter()
        .flat_map(|(path, text)| violations(path, text))
        .map(|v| v.to_string())
        .collect();
    assert!(
        found.is_empty(),
        "the tenant scope is bypassed (SECURITY.md, \"The tenant scope\"):\n{}",
        found.join("\n")
    );
}

#[test]
fn every_operator_file_exists() {
    for (file, _, why) in OPERATOR_FILES {
        assert!(root().join(file).is_file(), "{file} ({why}) is gone");
    }
}

#[test]
fn a_planted_bare_query_in_a_service_is_reported_and_not_in_the_tenancy_module() {
    let planted = "    let all = product::Entity::find().all(tx.conn()).await?;\n";
    let found = violations("src/catalog/products.rs", planted);
    let patterns: Vec<&str> = found.iter().map(|v| v.found.as_str()).collect();
    assert!(patterns.contains(&".conn()"), "{found:?}");
    assert!(patterns.contains(&"Entity::find("), "{found:?}");
    assert!(found.iter().all(|v| v.line == 1), "{found:?}");
    assert_eq!(violations("src/tenancy/mod.rs", planted), Vec::new());
}

#[test]
fn a_planted_call_in_a_real_service_file_is_reported_at_its_line() {
    let path = "src/catalog/products.rs";
    let text = std::fs::read_to_string(root().join(path)).expect("read");
    assert_eq!(violations(path, &text), Vec::new(), "clean as it stands");
    let lines = text.lines().count();
    for planted in [
        "pub async fn leak(tx: &TenantTx) -> Result<Vec<product::Model>> {\n    Ok(product::Entity::find().all(tx.conn()).await?)\n}\n",
        "async fn leak(db: &Db) { let _ = db.operator().raw_connection(); }\n",
        "async fn leak(db: &Db) { let _ = db.raw(); }\n",
        "use sea_orm::ConnectionTrait;\n",
        "fn leak<E: EntityTrait>() -> Select<E> { E::find() }\n",
        "async fn leak(m: product::ActiveModel, c: &DatabaseTransaction) { sea_orm::ActiveModelTrait::update(m, c).await.ok(); }\n",
    ] {
        let found = violations(path, &format!("{text}{planted}"));
        assert!(!found.is_empty(), "not reported: {planted}");
        assert!(
            found.iter().all(|v| v.line > lines),
            "{planted}: reported at {found:?}, before the planted line {}",
            lines + 1
        );
    }
}

#[test]
fn an_operator_file_may_not_add_uses_unnoticed() {
    let path = "src/sync/status.rs";
    let text = std::fs::read_to_string(root().join(path)).expect("read");
    assert_eq!(violations(path, &text), Vec::new());
    let more = format!("{text}\nasync fn more(db: &Db) {{ db.operator(); }}\n");
    assert_eq!(violations(path, &more).len(), 1);
}

#[test]
fn comments_and_module_functions_are_not_reported() {
    let text = "\
        // the old way was `tx.conn()`\n\
        /// [`Db::operator`] is the operator entry; Entity::find() builds\n\
        let v = variants::find(tx, id).await?; // not tx.conn()\n\
        let bump = Query::insert().into_table(t).to_owned();\n\
        let url = \"postgres://host/db\"; let q = tx.select::<product::Entity>();\n";
    assert_eq!(violations("src/catalog/rules.rs", text), Vec::new());
}

/// The types themselves: neither the transaction nor a scoped query can
/// stand in for a connection. This fails to compile if one of them ever
/// implements one of these traits (an ambiguous impl, as in
/// static_assertions' `assert_not_impl_any!`).
#[allow(dead_code)]
fn the_scope_types_are_not_connections() {
    trait AmbiguousIfImpl<A> {
        fn check() {}
    }
    impl<T: ?Sized> AmbiguousIfImpl<()> for T {}
    struct Conn;
    struct Txn;
    struct Stream;
    impl<T: ?Sized + sea_orm::ConnectionTrait> AmbiguousIfImpl<Conn> for T {}
    impl<T: ?Sized + sea_orm::TransactionTrait> AmbiguousIfImpl<Txn> for T {}
    impl<T: ?Sized + sea_orm::StreamTrait> AmbiguousIfImpl<Stream> for T {}
    <pos::tenancy::TenantTx as AmbiguousIfImpl<_>>::check();
    <pos::tenancy::Db as AmbiguousIfImpl<_>>::check();
    <pos::tenancy::Scoped<sea_orm::Select<entity::product::Entity>> as AmbiguousIfImpl<_>>::check();
}
