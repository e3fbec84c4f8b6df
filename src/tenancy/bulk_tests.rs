use super::*;

fn element(value: &Value) -> Option<String> {
    let mut out = String::new();
    write_element(&mut out, value).then_some(out)
}

/// Reads an array literal as [`parameter`] writes it (every element
/// quoted or NULL), the way PostgreSQL's `array_in` reads it.
fn read_array(text: &str) -> Vec<Option<String>> {
    let inner = text
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .expect("braces");
    let mut out = Vec::new();
    let mut chars = inner.chars().peekable();
    while chars.peek().is_some() {
        if chars.peek() != Some(&'"') {
            let word: String = chars.by_ref().take_while(|c| *c != ',').collect();
            assert_eq!(word, "NULL");
            out.push(None);
            continue;
        }
        chars.next();
        let mut s = String::new();
        loop {
            match chars.next().expect("closing quote") {
                '\\' => s.push(chars.next().expect("escaped char")),
                '"' => break,
                c => s.push(c),
            }
        }
        out.push(Some(s));
        match chars.next() {
            None | Some(',') => {}
            Some(c) => panic!("unexpected {c:?} after an element"),
        }
    }
    out
}

fn parameters(statement: &Statement) -> Vec<Value> {
    statement.values.as_ref().expect("values").0.clone()
}

fn text(value: &Value) -> String {
    match value {
        Value::String(Some(s)) => s.clone(),
        other => panic!("an array literal, not {other:?}"),
    }
}

#[test]
fn values_keep_their_exact_form() {
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-29T08:42:48.123456Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    assert_eq!(
        element(&Value::ChronoDateTimeUtc(Some(at))).as_deref(),
        Some("\"2026-11-29T08:42:48.123456Z\"")
    );
    let finer = at + chrono::Duration::nanoseconds(999);
    assert_eq!(
        element(&Value::ChronoDateTimeUtc(Some(finer))).as_deref(),
        Some("\"2026-11-29T08:42:48.123456Z\""),
        "cut to the microsecond, not rounded"
    );
    assert_eq!(
        element(&Value::BigInt(Some(9_007_199_254_740_993))).as_deref(),
        Some("\"9007199254740993\"")
    );
    assert_eq!(element(&Value::BigInt(Some(-5))).as_deref(), Some("\"-5\""));
    assert_eq!(element(&Value::String(None)).as_deref(), Some("NULL"));
    assert_eq!(element(&Value::Uuid(None)).as_deref(), Some("NULL"));
    assert_eq!(
        element(&Value::Bool(Some(false))).as_deref(),
        Some("\"false\"")
    );
    let id = uuid::Uuid::nil();
    assert_eq!(element(&Value::Uuid(Some(id))), Some(format!("\"{id}\"")));
    let day = chrono::NaiveDate::from_ymd_opt(2026, 2, 28).unwrap();
    assert_eq!(
        element(&Value::ChronoDate(Some(day))).as_deref(),
        Some("\"2026-02-28\"")
    );
    assert_eq!(element(&Value::Double(Some(0.1))), None);
    assert_eq!(pg_type(&Value::Double(Some(0.1))), None);
}

#[test]
fn any_text_survives_the_array_literal() {
    let nasty = [
        "plain",
        "a \"quoted\" \\ back",
        "\\\"",
        "tab\tnew\nline\r\u{1}",
        "{braces}, commas, (parens)",
        "NULL",
        "  spaced  ",
        "é ✓ 😀",
        "",
    ];
    let mut batch = Batch::new("t", &["a"], "");
    for text in nasty {
        assert!(batch.row([Value::String(Some(text.into()))]));
    }
    // The NULL makes this column go as text.
    assert!(batch.row([Value::String(None)]));
    let statements = batch.finish();
    assert_eq!(statements.len(), 1);
    let read = read_array(&text(&parameters(&statements[0])[0]));
    let mut expected: Vec<Option<String>> = nasty.iter().map(|t| Some((*t).to_owned())).collect();
    expected.push(None);
    assert_eq!(
        read, expected,
        "the word NULL in quotes is text, not a null"
    );
}

#[test]
fn columns_without_nulls_go_as_binary_arrays() {
    let mut batch = Batch::new("t", &["a", "b", "c"], " ON CONFLICT DO NOTHING");
    let id = uuid::Uuid::nil();
    assert!(batch.row([
        Value::Uuid(Some(id)),
        Value::Int(Some(1)),
        Value::String(Some("x".into())),
    ]));
    assert!(batch.row([
        Value::Uuid(Some(id)),
        Value::Int(None),
        Value::String(Some("y\"".into())),
    ]));
    let statements = batch.finish();
    assert_eq!(statements.len(), 1);
    assert_eq!(
        statements[0].sql,
        "INSERT INTO \"t\" (\"a\", \"b\", \"c\") SELECT * FROM \
         unnest($1::uuid[], $2::text::integer[], $3::text[]) ON CONFLICT DO NOTHING"
    );
    assert_eq!(
        parameters(&statements[0]),
        vec![
            Value::Array(
                ArrayType::Uuid,
                Some(Box::new(vec![Value::Uuid(Some(id)), Value::Uuid(Some(id))]))
            ),
            Value::String(Some("{\"1\",NULL}".into())),
            Value::Array(
                ArrayType::String,
                Some(Box::new(vec![
                    Value::String(Some("x".into())),
                    Value::String(Some("y\"".into()))
                ]))
            ),
        ]
    );
}

#[test]
fn a_row_that_does_not_fit_is_refused() {
    let mut short = Batch::new("t", &["a", "b"], "");
    assert!(
        !short.row([Value::Int(Some(1))]),
        "a missing cell is not a null"
    );
    let mut long = Batch::new("t", &["a"], "");
    assert!(!long.row([Value::Int(Some(1)), Value::Int(Some(2))]));
    let mut kinds = Batch::new("t", &["a"], "");
    assert!(kinds.row([Value::Int(Some(1))]));
    assert!(
        !kinds.row([Value::String(Some("1".into()))]),
        "a column keeps the kind of its first row"
    );
    let mut unknown = Batch::new("t", &["a"], "");
    assert!(!unknown.row([Value::Double(Some(1.0))]));
    assert_eq!(
        rows_of("t", &["a"], &[vec![SimpleExpr::Custom("now()".into())]], ""),
        None,
        "only plain values"
    );
}

#[test]
fn a_long_batch_is_split_into_statements_of_one_text() {
    let rows: Vec<Vec<SimpleExpr>> = (0..ROWS_PER_STATEMENT as i64 + 1)
        .map(|i| vec![SimpleExpr::Value(i.into())])
        .collect();
    let statements = rows_of("t", &["a"], &rows, "").unwrap();
    assert_eq!(statements.len(), 2);
    assert_eq!(statements[0].sql, statements[1].sql);
    let Value::Array(ArrayType::BigInt, Some(first)) = &parameters(&statements[0])[0] else {
        panic!("a binary array of bigints");
    };
    assert_eq!(first.len(), ROWS_PER_STATEMENT);
    assert_eq!(
        parameters(&statements[1]),
        vec![Value::Array(
            ArrayType::BigInt,
            Some(Box::new(vec![Value::BigInt(Some(
                ROWS_PER_STATEMENT as i64
            ))]))
        )]
    );
    assert_eq!(rows_of("t", &["a"], &[], ""), Some(Vec::new()));
}
