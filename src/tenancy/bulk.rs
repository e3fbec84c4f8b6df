//! Bulk inserts on PostgreSQL: every row of a batch in one statement of
//! fixed shape, with one array parameter per column that `unnest` turns
//! back into rows.
//!
//! A multi-row `VALUES` list is a new statement for every row count, with
//! one bound value per cell (1,000 for 50 sale lines): PostgreSQL parses
//! and plans each one afresh. Here the text of the statement depends only
//! on the table and its columns, so it is parsed once per connection,
//! planned in microseconds (a function scan), and carries any number of
//! rows.
//!
//! A column without NULLs is sent as a binary array, which PostgreSQL
//! reads without parsing text; a column with NULLs as the text of an array
//! literal (`{"a",NULL}`), since the driver cannot send a NULL element in
//! binary. An earlier form sent the rows as one JSON array of objects for
//! `json_populate_recordset`; in a profile of the push benchmark
//! PostgreSQL spent about a tenth of the machine's CPU lexing that JSON,
//! copying its strings a character at a time, hashing every row's keys
//! and parsing every value's text.

use chrono::{SecondsFormat, SubsecRound};
use sea_orm::sea_query::{ArrayType, SimpleExpr, Value};
use sea_orm::{ActiveModelTrait, DbBackend, EntityName, EntityTrait, IdenStatic, Iterable};
use sea_orm::{ActiveValue, Statement};
use std::fmt::Write;

/// The PostgreSQL type a value of this kind is cast to, or `None` for a
/// kind this does not carry (the caller then inserts the usual way).
fn pg_type(value: &Value) -> Option<&'static str> {
    Some(match value {
        Value::Bool(_) => "boolean",
        Value::TinyInt(_) | Value::SmallInt(_) | Value::TinyUnsigned(_) => "smallint",
        Value::Int(_) | Value::SmallUnsigned(_) => "integer",
        Value::BigInt(_) | Value::Unsigned(_) => "bigint",
        Value::BigUnsigned(_) => "numeric",
        Value::String(_) => "text",
        Value::Uuid(_) => "uuid",
        Value::ChronoDate(_) => "date",
        Value::ChronoDateTime(_) => "timestamp",
        Value::ChronoDateTimeUtc(_) | Value::ChronoDateTimeWithTimeZone(_) => "timestamptz",
        _ => return None,
    })
}

/// Appends `value` to `out` as an element of a PostgreSQL array literal:
/// `NULL`, or its text in double quotes with `"` and `\` escaped. False
/// for a kind [`pg_type`] does not carry.
pub fn write_element(out: &mut String, value: &Value) -> bool {
    fn text<T: std::fmt::Display>(out: &mut String, v: Option<T>) {
        match v {
            Some(v) => {
                let _ = write!(out, "\"{v}\"");
            }
            None => out.push_str("NULL"),
        }
    }
    match value {
        Value::Bool(v) => text(out, v.as_ref()),
        Value::TinyInt(v) => text(out, v.as_ref()),
        Value::SmallInt(v) => text(out, v.as_ref()),
        Value::Int(v) => text(out, v.as_ref()),
        Value::BigInt(v) => text(out, v.as_ref()),
        Value::TinyUnsigned(v) => text(out, v.as_ref()),
        Value::SmallUnsigned(v) => text(out, v.as_ref()),
        Value::Unsigned(v) => text(out, v.as_ref()),
        Value::BigUnsigned(v) => text(out, v.as_ref()),
        Value::String(v) => match v {
            Some(s) => escaped(out, s),
            None => out.push_str("NULL"),
        },
        Value::Uuid(v) => text(out, v.as_ref()),
        Value::ChronoDate(v) => text(out, v.as_ref()),
        // Whole microseconds, cut as sqlx cuts them when it binds a time
        // (PostgreSQL would round a longer fraction instead).
        Value::ChronoDateTime(v) => text(
            out,
            v.map(|t| t.trunc_subsecs(6).format("%Y-%m-%dT%H:%M:%S%.6f")),
        ),
        Value::ChronoDateTimeUtc(v) => text(
            out,
            v.map(|t| {
                t.trunc_subsecs(6)
                    .to_rfc3339_opts(SecondsFormat::Micros, true)
            }),
        ),
        Value::ChronoDateTimeWithTimeZone(v) => text(
            out,
            v.map(|t| {
                t.trunc_subsecs(6)
                    .to_rfc3339_opts(SecondsFormat::Micros, false)
            }),
        ),
        _ => return false,
    }
    true
}

/// `s` as a quoted array element: inside the quotes only `"` and `\`
/// need a backslash; anything else (commas, braces, white space, the
/// word NULL) is taken as it is.
fn escaped(out: &mut String, s: &str) {
    out.push('"');
    let mut rest = s;
    while let Some(at) = rest.find(['"', '\\']) {
        out.push_str(&rest[..at]);
        out.push('\\');
        out.push_str(&rest[at..=at]);
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
    out.push('"');
}

/// Rows per statement: enough that a push's table goes in one, bounded so
/// a rebuild of a whole period neither builds huge parameters nor runs
/// one statement into the statement timeout.
const ROWS_PER_STATEMENT: usize = 5_000;

/// The array a column without NULLs is bound as: sent in PostgreSQL's
/// binary form, read without parsing any text.
fn array_type(value: &Value) -> Option<ArrayType> {
    Some(match value {
        Value::Bool(_) => ArrayType::Bool,
        Value::Int(_) => ArrayType::Int,
        Value::BigInt(_) => ArrayType::BigInt,
        Value::String(_) => ArrayType::String,
        Value::Uuid(_) => ArrayType::Uuid,
        Value::ChronoDate(_) => ArrayType::ChronoDate,
        Value::ChronoDateTime(_) => ArrayType::ChronoDateTime,
        Value::ChronoDateTimeUtc(_) => ArrayType::ChronoDateTimeUtc,
        Value::ChronoDateTimeWithTimeZone(_) => ArrayType::ChronoDateTimeWithTimeZone,
        _ => return None,
    })
}

/// One column's values as one parameter: a binary array when none is
/// NULL (the driver cannot send a NULL element in binary), otherwise the
/// text of an array literal.
fn parameter(values: Vec<Value>) -> Value {
    let binary = values
        .first()
        .and_then(array_type)
        .filter(|_| values.iter().all(|v| !is_null(v)));
    if let Some(kind) = binary {
        return Value::Array(kind, Some(Box::new(values)));
    }
    let mut text = String::with_capacity(values.len() * 16 + 2);
    text.push('{');
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        // Every value here passed `pg_type` when it was added.
        write_element(&mut text, value);
    }
    text.push('}');
    text.into()
}

fn is_null(value: &Value) -> bool {
    value == &value.as_null()
}

/// The statements of one bulk insert, built a row at a time: one array
/// per column, started afresh every [`ROWS_PER_STATEMENT`] rows.
pub struct Batch {
    table: String,
    columns: Vec<String>,
    tail: String,
    types: Vec<&'static str>,
    /// The current statement's values, column by column.
    values: Vec<Vec<Value>>,
    rows: usize,
    done: Vec<Statement>,
}

impl Batch {
    /// A batch for `table`'s `columns`, each statement ending in `tail`
    /// (an `ON CONFLICT` clause, say).
    pub fn new(table: &str, columns: &[&str], tail: &str) -> Self {
        Self {
            table: table.to_owned(),
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
            tail: tail.to_owned(),
            types: Vec::new(),
            values: Vec::new(),
            rows: 0,
            done: Vec::new(),
        }
    }

    /// Adds a row, one value per column in order; false (and the batch is
    /// no longer usable) if the row is short or long, carries a kind of
    /// value this does not pass, or differs in kind from the first row.
    pub fn row(&mut self, cells: impl IntoIterator<Item = Value>) -> bool {
        if self.values.is_empty() {
            self.values = self.columns.iter().map(|_| Vec::new()).collect();
        }
        let first = self.rows == 0 && self.done.is_empty();
        let mut n = 0;
        for value in cells {
            let Some(kind) = pg_type(&value) else {
                return false;
            };
            if first {
                self.types.push(kind);
            } else if self.types.get(n) != Some(&kind) {
                return false;
            }
            let Some(column) = self.values.get_mut(n) else {
                return false;
            };
            column.push(value);
            n += 1;
        }
        if n != self.columns.len() || n == 0 {
            return false;
        }
        self.rows += 1;
        if self.rows == ROWS_PER_STATEMENT {
            self.cut();
        }
        true
    }

    /// Turns the rows so far into a statement.
    ///
    /// A column sent as text is cast from `text` explicitly: the driver
    /// keeps each statement prepared with the parameter types of its
    /// first use, so a statement's text must say which columns are
    /// arrays and which are text (at most one text per table and pattern
    /// of columns with NULLs).
    fn cut(&mut self) {
        if self.rows == 0 {
            return;
        }
        let values: Vec<Value> = std::mem::take(&mut self.values)
            .into_iter()
            .map(parameter)
            .collect();
        let list = self
            .columns
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let arrays = self
            .types
            .iter()
            .zip(&values)
            .enumerate()
            .map(|(i, (t, v))| match v {
                Value::Array(..) => format!("${}::{t}[]", i + 1),
                _ => format!("${}::text::{t}[]", i + 1),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO \"{}\" ({list}) SELECT * FROM unnest({arrays}){}",
            self.table, self.tail
        );
        self.done.push(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ));
        self.rows = 0;
    }

    /// The statements, in row order.
    pub fn finish(mut self) -> Vec<Statement> {
        self.cut();
        self.done
    }
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
    let mut batch = Batch::new(A::Entity::default().table_name(), &names, "");
    for model in models {
        let mut cells = Vec::with_capacity(columns.len());
        for column in &columns {
            match model.get(*column) {
                ActiveValue::Set(v) | ActiveValue::Unchanged(v) => cells.push(v),
                ActiveValue::NotSet => return None,
            }
        }
        // A column set here but not on the first model would be lost.
        let set = <A::Entity as EntityTrait>::Column::iter()
            .filter(|c| !model.is_not_set(*c))
            .count();
        if set != columns.len() || !batch.row(cells) {
            return None;
        }
    }
    Some(batch.finish())
}

/// The statements inserting rows of plain values (as the report upserts
/// build them) into `columns` of `table`, each ending in `tail`; `None`
/// if a cell is not a plain value this can pass.
pub fn rows_of(
    table: &str,
    columns: &[&str],
    rows: &[Vec<SimpleExpr>],
    tail: &str,
) -> Option<Vec<Statement>> {
    let mut batch = Batch::new(table, columns, tail);
    for cells in rows {
        let values = cells.iter().map(|cell| match cell {
            SimpleExpr::Value(v) => Some(v.clone()),
            _ => None,
        });
        let values: Option<Vec<Value>> = values.collect();
        if !batch.row(values?) {
            return None;
        }
    }
    Some(batch.finish())
}

#[cfg(test)]
#[path = "bulk_tests.rs"]
mod tests;
