//! No function in src is longer than [`MAX_LINES`] lines unless its doc
//! comment says why ("Long on purpose: …"): long functions are split into
//! named steps (docs/architecture.md). No database needed: it reads the
//! sources.

use std::path::{Path, PathBuf};

const MAX_LINES: usize = 80;
const WHY: &str = "Long on purpose";

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The line without string and char literals and trailing comments, so
/// braces inside them are not counted.
fn code_of(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '/' if chars.peek() == Some(&'/') => break,
            '\'' => {
                // A char literal ('{', '\'') is skipped; a lifetime is kept.
                let rest: String = chars.clone().take(3).collect();
                if rest.starts_with('\\') {
                    chars.nth(2);
                } else if rest.chars().nth(1) == Some('\'') {
                    chars.nth(1);
                }
            }
            _ => out.push(c),
        }
    }
    out
}

fn fn_name(line: &str) -> Option<&str> {
    let code = line.trim_start();
    if code.starts_with("//") {
        return None;
    }
    let at = code.find("fn ")?;
    let before = &code[..at];
    let qualifiers = before
        .split_whitespace()
        .all(|w| matches!(w, "pub" | "async" | "const" | "unsafe") || w.starts_with("pub("));
    if !qualifiers {
        return None;
    }
    let name = &code[at + 3..];
    let end = name.find(|c: char| !(c.is_alphanumeric() || c == '_'))?;
    Some(&name[..end])
}

/// Functions longer than the limit without a why-comment: (file, line,
/// name, length).
fn too_long(root: &Path) -> Vec<(String, usize, String, usize)> {
    let mut files = Vec::new();
    rust_files(root, &mut files);
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read source");
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let Some(name) = fn_name(line) else { continue };
            let (mut depth, mut started, mut end) = (0_i32, false, i);
            for (j, l) in lines.iter().enumerate().skip(i) {
                let code = code_of(l);
                for c in code.chars() {
                    match c {
                        '{' => {
                            depth += 1;
                            started = true;
                        }
                        '}' => depth -= 1,
                        _ => {}
                    }
                }
                end = j;
                if (started && depth <= 0) || (!started && code.trim_end().ends_with(';')) {
                    break;
                }
            }
            let length = end - i + 1;
            let docs = lines[..i]
                .iter()
                .rev()
                .take_while(|l| {
                    let t = l.trim_start();
                    t.starts_with("///") || t.starts_with("#[")
                })
                .any(|l| l.contains(WHY));
            if length > MAX_LINES && !docs {
                let relative = file.strip_prefix(root).unwrap_or(&file);
                found.push((
                    relative.display().to_string(),
                    i + 1,
                    name.to_owned(),
                    length,
                ));
            }
        }
    }
    found
}

#[test]
fn no_function_is_long_without_saying_why() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = too_long(&root);
    assert!(
        found.is_empty(),
        "functions over {MAX_LINES} lines: split them into named steps, or say why in their doc comment (\"{WHY}: …\"):\n{}",
        found
            .iter()
            .map(|(f, l, n, len)| format!("src/{f}:{l} {n}: {len} lines"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn a_planted_long_function_is_found() {
    let dir = tempfile::tempdir().expect("temp dir");
    let body: String = (0..MAX_LINES)
        .map(|i| format!("    let _x{i} = \"{{\";\n"))
        .collect();
    std::fs::write(
        dir.path().join("long.rs"),
        format!("/// Steps.\npub async fn planted() {{\n{body}}}\n\n/// {WHY}: a table.\nfn kept() {{\n{body}}}\n"),
    )
    .expect("write");
    let found = too_long(dir.path());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].2, "planted");
    assert_eq!(found[0].3, MAX_LINES + 2);
}
