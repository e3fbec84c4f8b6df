//! Bulk inserts on PostgreSQL: every row of a batch in one statement of
//! fixed shape, with the rows as one JSON parameter that
//! `json_populate_recordset` turns into rows of the table's own type.
//!
//! A multi-row `VALUES` list is a new statement for every row count, with
//! one bound value per cell (1,000 for 50 sale lines): PostgreSQL parses
//! and plans each one afresh, and the push benchmark split them into
//! statements of 50 rows to keep that in bounds. Here the text of the
//! statement depends only on the table and its columns, so it is parsed
//! once per connection, planned in microseconds (a function scan), and
//! carries any number of rows.

use chrono::{SecondsFormat, SubsecRound};
use sea_orm::sea_query::{SimpleExpr, Value};
use sea_orm::{ActiveModelTrait, DbBackend, EntityName, EntityTrait, IdenStatic, Iterable};
use sea_orm::{ActiveValue, Statement};
use std::fmt::Write;

/// Appends `value` to `out` as JSON, in the form `json_populate_recordset`
/// reads into a column of the value's type; false for a type this does
/// not carry (the caller then inserts the usual way). Rows are written
/// straight into the statement's one text parameter: no JSON tree, no
/// key strings per row.
pub fn write_json(out: &mut String, value: &Value) -> bool {
    fn number<T: std::fmt::Display>(out: &mut String, v: &Option<T>) {
        match v {
            Some(v) => {
                let _ = write!(out, "{v}");
            }
            None => out.push_str("null"),
        }
    }
    /// A value whose text never needs escaping (a UUID, a date, a time).
    fn quoted<T: std::fmt::Display>(out: &mut String, v: Option<T>) {
        match v {
            Some(v) => {
                let _ = write!(out, "\"{v}\"");
            }
            None => out.push_str("null"),
        }
    }
    match value {
        Value::Bool(v) => out.push_str(match v {
            Some(true) => "true",
            Some(false) => "false",
            None => "null",
        }),
        Value::TinyInt(v) => number(out, v),
        Value::SmallInt(v) => number(out, v),
        Value::Int(v) => number(out, v),
        Value::BigInt(v) => number(out, v),
        Value::TinyUnsigned(v) => number(out, v),
        Value::SmallUnsigned(v) => number(out, v),
        Value::Unsigned(v) => number(out, v),
        Value::BigUnsigned(v) => number(out, v),
        Value::String(v) => match v {
            Some(s) => escaped(out, s),
            None => out.push_str("null"),
        },
        Value::Uuid(v) => quoted(out, v.as_ref()),
        Value::ChronoDate(v) => quoted(out, v.as_ref()),
        // Whole microseconds, cut as sqlx cuts them when it binds a time
        // (PostgreSQL would round a longer fraction instead).
        Value::ChronoDateTime(v) => quoted(
            out,
            v.map(|t| t.trunc_subsecs(6).format("%Y-%m-%dT%H:%M:%S%.6f")),
        ),
        Value::ChronoDateTimeUtc(v) => quoted(
            out,
            v.map(|t| {
                t.trunc_subsecs(6)
                    .to_rfc3339_opts(SecondsFormat::Micros, true)
            }),
        ),
        Value::ChronoDateTimeWithTimeZone(v) => quoted(
            out,
            v.map(|t| {
                t.trunc_subsecs(6)
                    .to_rfc3339_opts(SecondsFormat::Micros, false)
            }),
        ),
        Value::Json(v) => match v.as_deref() {
            Some(json) => out.push_str(&json.to_string()),
            None => out.push_str("null"),
        },
        _ => return false,
    }
    true
}

/// `s` as a JSON string.
fn escaped(out: &mut String, s: &str) {
    out.push('"');
    if !s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        out.push_str(s);
    } else {
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if (c as u32) < 0x20 => {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                }
                c => out.push(c),
            }
        }
    }
    out.push('"');
}

/// One row's JSON object, written as [`write_json`] writes its cells:
/// `keys` are the columns' names, each already written as `"name":`.
struct Row<'a> {
    keys: &'a [String],
    text: String,
    cells: usize,
}

impl<'a> Row<'a> {
    fn new(keys: &'a [String]) -> Self {
        Self {
            keys,
            text: String::with_capacity(32 * keys.len()),
            cells: 0,
        }
    }

    /// Adds the next column's value; false if it cannot be carried.
    fn cell(&mut self, value: &Value) -> bool {
        let Some(key) = self.keys.get(self.cells) else {
            return false;
        };
        self.text.push(if self.cells == 0 { '{' } else { ',' });
        self.text.push_str(key);
        self.cells += 1;
        write_json(&mut self.text, value)
    }

    /// The object, if every column got a value.
    fn finish(mut self) -> Option<String> {
        if self.cells != self.keys.len() || self.cells == 0 {
            return None;
        }
        self.text.push('}');
        Some(self.text)
    }
}

/// Each column name as the key it is written with.
fn keys(columns: &[&str]) -> Vec<String> {
    columns.iter().map(|c| format!("\"{c}\":")).collect()
}

/// Rows per statement: enough that a push's table goes in one, bounded so
/// a rebuild of a whole period neither builds one huge JSON text nor runs
/// one statement into the statement timeout.
const ROWS_PER_STATEMENT: usize = 5_000;

/// `INSERT INTO t (columns) SELECT columns FROM json_populate_recordset(…)`,
/// with `rows` (one JSON object text per row) as its one parameter, and
/// `tail` (an `ON CONFLICT` clause, say) after it; one statement per
/// [`ROWS_PER_STATEMENT`] rows, all of the same text.
pub fn statements(table: &str, columns: &[&str], rows: Vec<String>, tail: &str) -> Vec<Statement> {
    let list = columns
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO \"{table}\" ({list}) SELECT {list} \
         FROM json_populate_recordset(NULL::\"{table}\", $1::json){tail}"
    );
    rows.chunks(ROWS_PER_STATEMENT)
        .map(|chunk| {
            let mut text =
                String::with_capacity(chunk.iter().map(|r| r.len() + 1).sum::<usize>() + 2);
            text.push('[');
            for (i, row) in chunk.iter().enumerate() {
                if i > 0 {
                    text.push(',');
                }
                text.push_str(row);
            }
            text.push(']');
            Statement::from_sql_and_values(DbBackend::Postgres, sql.clone(), [text.into()])
        })
        .collect()
}

/// The statements inserting `models` (set columns only), or `None` when
/// they differ in which columns they set or carry a value this does not
/// know how to pass.
pub fn models<A: ActiveModelTrait>(models: &[A]) -> Option<Vec<Statement>> {
    let first = models.first()?;
    let columns: Vec<_> = <A::Entity as EntityTrait>::Column::iter()
        .filter(|c| !first.is_not_set(*c))
        .collect();
    let names: Vec<&str> = columns.iter().map(|c| c.as_str()).collect();
    let keys = keys(&names);
    let mut rows = Vec::with_capacity(models.len());
    for model in models {
        let mut row = Row::new(&keys);
        for column in &columns {
            let value = match model.get(*column) {
                ActiveValue::Set(v) | ActiveValue::Unchanged(v) => v,
                ActiveValue::NotSet => return None,
            };
            if !row.cell(&value) {
                return None;
            }
        }
        // A column set here but not on the first model would be lost.
        let set = <A::Entity as EntityTrait>::Column::iter()
            .filter(|c| !model.is_not_set(*c))
            .count();
        if set != columns.len() {
            return None;
        }
        rows.push(row.finish()?);
    }
    Some(statements(
        A::Entity::default().table_name(),
        &names,
        rows,
        "",
    ))
}

/// Rows of plain values (as the report upserts build them) as JSON
/// objects keyed by `columns`; `None` if a cell is not a plain value.
pub fn rows_of(columns: &[&str], rows: &[Vec<SimpleExpr>]) -> Option<Vec<String>> {
    let keys = keys(columns);
    rows.iter()
        .map(|cells| {
            let mut row = Row::new(&keys);
            for cell in cells {
                let SimpleExpr::Value(v) = cell else {
                    return None;
                };
                if !row.cell(v) {
                    return None;
                }
            }
            row.finish()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(value: &Value) -> Option<String> {
        let mut out = String::new();
        write_json(&mut out, value).then_some(out)
    }

    #[test]
    fn values_keep_their_exact_form() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-29T08:42:48.123456Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(
            json(&Value::ChronoDateTimeUtc(Some(at))).as_deref(),
            Some("\"2026-11-29T08:42:48.123456Z\"")
        );
        let finer = at + chrono::Duration::nanoseconds(999);
        assert_eq!(
            json(&Value::ChronoDateTimeUtc(Some(finer))).as_deref(),
            Some("\"2026-11-29T08:42:48.123456Z\""),
            "cut to the microsecond, not rounded"
        );
        assert_eq!(
            json(&Value::BigInt(Some(9_007_199_254_740_993))).as_deref(),
            Some("9007199254740993")
        );
        assert_eq!(json(&Value::String(None)).as_deref(), Some("null"));
        assert_eq!(json(&Value::Bool(Some(false))).as_deref(), Some("false"));
        let id = uuid::Uuid::nil();
        assert_eq!(json(&Value::Uuid(Some(id))), Some(format!("\"{id}\"")),);
        assert_eq!(json(&Value::Double(Some(0.1))), None);
    }

    #[test]
    fn strings_are_escaped_as_json_escapes_them() {
        for text in [
            "plain",
            "a \"quoted\" \\ back",
            "tab\tnew\nline\r\u{1}",
            "é ✓ 😀",
            "",
        ] {
            let ours = json(&Value::String(Some(text.into()))).unwrap();
            assert_eq!(
                serde_json::from_str::<String>(&ours).unwrap(),
                text,
                "{ours}"
            );
        }
    }

    #[test]
    fn a_row_is_one_object_or_none() {
        let keys = keys(&["a", "b"]);
        let mut row = Row::new(&keys);
        assert!(row.cell(&Value::Int(Some(1))));
        assert!(row.cell(&Value::String(Some("x".into()))));
        let text = row.finish().unwrap();
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            serde_json::json!({"a": 1, "b": "x"})
        );
        let mut short = Row::new(&keys);
        assert!(short.cell(&Value::Int(Some(1))));
        assert_eq!(short.finish(), None, "a missing cell is not a null");
        let rows = rows_of(
            &["a"],
            &[
                vec![SimpleExpr::Value(1i32.into())],
                vec![SimpleExpr::Value(2i32.into())],
            ],
        )
        .unwrap();
        assert_eq!(rows, vec!["{\"a\":1}".to_owned(), "{\"a\":2}".to_owned()]);
    }

    #[test]
    fn the_statement_names_each_column_once_and_binds_one_value() {
        let rows = |n: usize| {
            (0..n)
                .map(|i| format!("{{\"a\":{i},\"b\":\"x\"}}"))
                .collect()
        };
        let s = statements("t", &["a", "b"], rows(1), " ON CONFLICT DO NOTHING");
        assert_eq!(s.len(), 1);
        assert_eq!(
            s[0].sql,
            "INSERT INTO \"t\" (\"a\", \"b\") SELECT \"a\", \"b\" FROM \
             json_populate_recordset(NULL::\"t\", $1::json) ON CONFLICT DO NOTHING"
        );
        assert_eq!(s[0].values.as_ref().map(|v| v.0.len()), Some(1));
        let many = statements("t", &["a", "b"], rows(ROWS_PER_STATEMENT + 1), "");
        assert_eq!(many.len(), 2, "a long batch is split");
        assert_eq!(many[0].sql, many[1].sql, "into statements of one text");
        let Some(Value::String(Some(text))) = many[1].values.as_ref().map(|v| v.0[0].clone())
        else {
            panic!("one text parameter");
        };
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            serde_json::json!([{"a": ROWS_PER_STATEMENT, "b": "x"}])
        );
    }
}
