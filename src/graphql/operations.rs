//! Per-operation metrics: each GraphQL request is timed and counted under
//! its operation name (the request's `operationName`, or the name of the
//! document's first operation), and whether it answered errors.

use std::time::Duration;

use async_graphql::{Request, Response};

/// The name a request is counted under: its `operationName`, or the name
/// of the document's first operation.
pub(super) fn name_of(request: &Request) -> Option<String> {
    request
        .operation_name
        .clone()
        .or_else(|| first_operation_name(&request.query))
}

/// Counts and times one answered operation.
pub(super) fn record(name: Option<&str>, response: &Response, took: Duration) {
    crate::metrics::metrics().graphql_operation(name, !response.errors.is_empty(), took);
}

/// The name of the first `query`, `mutation` or `subscription` in the
/// document, if it has one. A light scan (comments skipped), not a parse:
/// it only labels a metric.
fn first_operation_name(query: &str) -> Option<String> {
    let text: String = query
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join(" ");
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let rest = text.trim_start_matches(|c: char| !is_name(c));
    {
        let end = rest.find(|c: char| !is_name(c)).unwrap_or(rest.len());
        let (word, after) = rest.split_at(end);
        if matches!(word, "query" | "mutation" | "subscription") {
            let after = after.trim_start();
            let end = after.find(|c: char| !is_name(c)).unwrap_or(after.len());
            return (end > 0).then(|| after[..end].to_owned());
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::first_operation_name as name;

    #[test]
    fn the_first_operation_names_the_request() {
        assert_eq!(
            name("query Lookup($b: String!) { x }").as_deref(),
            Some("Lookup")
        );
        assert_eq!(
            name("# a comment\nmutation Push { y }").as_deref(),
            Some("Push")
        );
        assert_eq!(name("{ me { subject } }"), None);
        assert_eq!(name("query { me }"), None);
        assert_eq!(name("query($a: Int) { me }"), None);
    }
}
