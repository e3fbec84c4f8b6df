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
use serde_json::{Map, Value as Json};

/// The JSON form of a bound value, as `json_populate_recordset` reads it
/// into a column of the value's type; `None` for a type this does not
/// carry (the caller then inserts the usual way).
pub fn json_of(value: &Value) -> Option<Json> {
    Some(match value {
        Value::Bool(v) => v.map_or(Json::Null, Json::Bool),
        Value::TinyInt(v) => v.map_or(Json::Null, Json::from),
        Value::SmallInt(v) => v.map_or(Json::Null, Json::from),
        Value::Int(v) => v.map_or(Json::Null, Json::from),
        Value::BigInt(v) => v.map_or(Json::Null, Json::from),
        Value::TinyUnsigned(v) => v.map_or(Json::Null, Json::from),
        Value::SmallUnsigned(v) => v.map_or(Json::Null, Json::from),
        Value::Unsigned(v) => v.map_or(Json::Null, Json::from),
        Value::BigUnsigned(v) => v.map_or(Json::Null, Json::from),
        Value::String(v) => v.as_ref().map_or(Json::Null, |s| Json::String(s.clone())),
        Value::Uuid(v) => v.map_or(Json::Null, |u| Json::String(u.to_string())),
        Value::ChronoDate(v) => v.map_or(Json::Null, |d| Json::String(d.to_string())),
        // Whole microseconds, cut as sqlx cuts them when it binds a time
        // (PostgreSQL would round a longer fraction instead).
        Value::ChronoDateTime(v) => v.map_or(Json::Null, |t| {
            Json::String(
                t.trunc_subsecs(6)
                    .format("%Y-%m-%dT%H:%M:%S%.6f")
                    .to_string(),
            )
        }),
        Value::ChronoDateTimeUtc(v) => v.map_or(Json::Null, |t| {
            Json::String(
                t.trunc_subsecs(6)
                    .to_rfc3339_opts(SecondsFormat::Micros, true),
            )
        }),
        Value::ChronoDateTimeWithTimeZone(v) => v.map_or(Json::Null, |t| {
            Json::String(
                t.trunc_subsecs(6)
                    .to_rfc3339_opts(SecondsFormat::Micros, false),
            )
        }),
        Value::Json(v) => v.as_deref().cloned().unwrap_or(Json::Null),
        _ => return None,
    })
}

/// Rows per statement: enough that a push's table goes in one, bounded so
/// a rebuild of a whole period neither builds one huge JSON text nor runs
/// one statement into the statement timeout.
const ROWS_PER_STATEMENT: usize = 5_000;

/// `INSERT INTO t (columns) SELECT columns FROM json_populate_recordset(…)`,
/// with `rows` (one JSON object per row) as its one parameter, and `tail`
/// (an `ON CONFLICT` clause, say) after it; one statement per
/// [`ROWS_PER_STATEMENT`] rows, all of the same text.
pub fn statements(table: &str, columns: &[&str], rows: Vec<Json>, tail: &str) -> Vec<Statement> {
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
            let rows = Json::Array(chunk.to_vec()).to_string();
            Statement::from_sql_and_values(DbBackend::Postgres, sql.clone(), [rows.into()])
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
    let mut rows = Vec::with_capacity(models.len());
    for model in models {
        let mut row = Map::with_capacity(columns.len());
        for column in &columns {
            let value = match model.get(*column) {
                ActiveValue::Set(v) | ActiveValue::Unchanged(v) => v,
                ActiveValue::NotSet => return None,
            };
            row.insert(column.as_str().to_owned(), json_of(&value)?);
        }
        // A column set here but not on the first model would be lost.
        let set = <A::Entity as EntityTrait>::Column::iter()
            .filter(|c| !model.is_not_set(*c))
            .count();
        if set != columns.len() {
            return None;
        }
        rows.push(Json::Object(row));
    }
    let names: Vec<&str> = columns.iter().map(|c| c.as_str()).collect();
    Some(statements(
        A::Entity::default().table_name(),
        &names,
        rows,
        "",
    ))
}

/// Rows of plain values (as the report upserts build them) as JSON
/// objects keyed by `columns`; `None` if a cell is not a plain value.
pub fn rows_of(columns: &[&str], rows: &[Vec<SimpleExpr>]) -> Option<Vec<Json>> {
    rows.iter()
        .map(|row| {
            let mut object = Map::with_capacity(columns.len());
            for (name, cell) in columns.iter().zip(row) {
                let SimpleExpr::Value(v) = cell else {
                    return None;
                };
                object.insert((*name).to_owned(), json_of(v)?);
            }
            Some(Json::Object(object))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_keep_their_exact_form() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-29T08:42:48.123456Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(
            json_of(&Value::ChronoDateTimeUtc(Some(at))),
            Some(Json::String("2026-11-29T08:42:48.123456Z".into()))
        );
        let finer = at + chrono::Duration::nanoseconds(999);
        assert_eq!(
            json_of(&Value::ChronoDateTimeUtc(Some(finer))),
            Some(Json::String("2026-11-29T08:42:48.123456Z".into())),
            "cut to the microsecond, not rounded"
        );
        assert_eq!(
            json_of(&Value::BigInt(Some(9_007_199_254_740_993))).map(|j| j.to_string()),
            Some("9007199254740993".into())
        );
        assert_eq!(json_of(&Value::String(None)), Some(Json::Null));
        assert_eq!(json_of(&Value::Double(Some(0.1))), None);
    }

    #[test]
    fn the_statement_names_each_column_once_and_binds_one_value() {
        let rows = |n: usize| {
            (0..n)
                .map(|i| serde_json::json!({"a": i, "b": "x"}))
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
    }
}
