//! Per-operation metrics: each GraphQL request is timed and counted under
//! its operation name (the request's `operationName`, or the name of the
//! document's first operation), and whether it answered errors.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest, NextRequest,
};
use async_graphql::{Request, Response, ServerResult};

pub struct OperationMetrics;

impl ExtensionFactory for OperationMetrics {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Recorder::default())
    }
}

/// One request's recorder (extensions are created per request).
#[derive(Default)]
struct Recorder {
    name: Mutex<Option<String>>,
}

#[async_graphql::async_trait::async_trait]
impl Extension for Recorder {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let name = request
            .operation_name
            .clone()
            .or_else(|| first_operation_name(&request.query));
        *self.name.lock().unwrap_or_else(|e| e.into_inner()) = name;
        next.run(ctx, request).await
    }

    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let started = Instant::now();
        let response = next.run(ctx).await;
        let name = self.name.lock().unwrap_or_else(|e| e.into_inner()).clone();
        crate::metrics::metrics().graphql_operation(
            name.as_deref(),
            !response.errors.is_empty(),
            started.elapsed(),
        );
        response
    }
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
