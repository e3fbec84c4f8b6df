//! Every error a client sees carries `extensions.code`. Errors raised by
//! services carry an [`AppError`] as their source, which gives the code (and
//! is logged here if internal); the rest come from parsing, validation,
//! limits and input coercion, which are all the client's input.
//!
//! Error bodies do not grow with the input: a syntax error names its line
//! and column and quotes at most [`EXCERPT`] characters of the document
//! around it; any other message the client's input caused is clipped to
//! [`MAX_MESSAGE`] characters, and a response carries at most
//! [`MAX_ERRORS`] errors.

use async_graphql::{Pos, Response, ServerError, Value};

use crate::error::AppError;

/// Characters of the document a syntax error quotes.
pub const EXCERPT: usize = 200;
/// Characters of a message caused by the client's input.
pub const MAX_MESSAGE: usize = 300;
/// Errors in one response.
pub const MAX_ERRORS: usize = 50;

/// A parse error of `query`, as one line with an excerpt.
pub(super) fn parse_error(query: &str, mut error: ServerError) -> ServerError {
    if let Some(pos) = error.locations.first().copied() {
        error.message = syntax_error(query, pos, &error.message);
    }
    error
}

/// The response with every error coded, clipped and counted.
pub(super) fn finish(mut response: Response) -> Response {
    if response.errors.len() > MAX_ERRORS {
        let more = response.errors.len() - MAX_ERRORS;
        response.errors.truncate(MAX_ERRORS);
        response
            .errors
            .push(ServerError::new(format!("… and {more} more errors"), None));
    }
    for error in &mut response.errors {
        if error.source::<AppError>().is_none() {
            error.message = clip(&error.message, MAX_MESSAGE);
        }
        let app_error = error.source::<AppError>();
        if let Some(app_error) = app_error {
            app_error.log();
        }
        let code = app_error.map_or("BAD_USER_INPUT", AppError::code);
        let field = app_error.and_then(AppError::field).map(str::to_owned);
        let reason = app_error.and_then(AppError::reason);
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", Value::from(code));
        }
        if let Some(field) = field {
            extensions.set("field", Value::from(field));
        }
        if let Some(reason) = reason {
            extensions.set("reason", Value::from(reason));
        }
    }
    response
}

/// A syntax error as one line: where it is, what was expected, and an
/// excerpt of the document around it. `raw` is the parser's multi-line
/// report, whose last line says what was expected.
fn syntax_error(query: &str, pos: Pos, raw: &str) -> String {
    // pest's report ends in "= expected …"; other parse errors (the
    // recursion limit) are one line already.
    let expected = raw
        .lines()
        .rev()
        .find_map(|line| line.trim().strip_prefix("= "))
        .or_else(|| raw.lines().next())
        .unwrap_or("unexpected input");
    let line = query.lines().nth(pos.line.saturating_sub(1)).unwrap_or("");
    let column = pos.column.saturating_sub(1);
    let start = column.saturating_sub(EXCERPT / 2);
    let excerpt: String = line.chars().skip(start).take(EXCERPT).collect();
    format!(
        "syntax error at line {}, column {}: {}; near \"{}\"",
        pos.line,
        pos.column,
        clip(expected, MAX_MESSAGE),
        excerpt.trim()
    )
}

/// `text`, cut to `max` characters with an ellipsis.
fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_syntax_error_quotes_a_bounded_excerpt() {
        let long = format!("{{ me {{ subject }} {} !!! }}", "x ".repeat(500_000));
        let error = async_graphql::parser::parse_query(&long).expect_err("syntax error");
        let pos = error.positions().next().expect("a position");
        let message = syntax_error(&long, pos, &error.to_string());
        assert!(message.len() < 600, "{} bytes", message.len());
        assert!(
            message.starts_with("syntax error at line 1, column "),
            "{message}"
        );
        assert!(message.contains("!!!"), "{message}");
        assert!(!message.contains('\n'), "{message}");
    }

    #[test]
    fn clipping_keeps_short_text_and_cuts_long_text() {
        assert_eq!(clip("short", 10), "short");
        assert_eq!(clip("ééééé", 2), "éé…");
    }
}
