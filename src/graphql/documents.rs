//! Parsed documents, kept by their text. Terminals and apps send the same
//! few documents over and over with different variables; parsing one is
//! about a sixth of the server's CPU on a cached `productByBarcode`
//! (BENCHMARKS.md). A request whose text was seen before gets a copy of
//! the parsed document and skips the parser; the schema still checks its
//! depth, directives and validity on every request.
//!
//! Only documents that parse are kept: one that does not is left to the
//! executor, which reports the syntax error as before. The cache is
//! bounded by the size of the texts it holds, so a client sending endless
//! distinct documents only evicts its own (moka's admission keeps the
//! frequently used ones).

use std::sync::Arc;

use async_graphql::Request;
use async_graphql::parser::parse_query;
use async_graphql::parser::types::ExecutableDocument;
use moka::future::Cache;

/// About this much memory, counting a parsed document at five times its
/// text.
const CAPACITY_BYTES: u64 = 32 * 1024 * 1024;

#[derive(Clone)]
pub struct Documents {
    parsed: Cache<String, Arc<ExecutableDocument>>,
}

impl Default for Documents {
    fn default() -> Self {
        Self::with_capacity(CAPACITY_BYTES)
    }
}

impl Documents {
    pub fn with_capacity(bytes: u64) -> Self {
        Self {
            parsed: Cache::builder()
                .max_capacity(bytes)
                .weigher(|text: &String, _| {
                    u32::try_from(text.len().saturating_mul(5).saturating_add(256))
                        .unwrap_or(u32::MAX)
                })
                .build(),
        }
    }

    /// Gives `request` its parsed document, from the cache or parsed now
    /// (and kept), and returns it. `None` when the text does not parse.
    pub async fn prepare(&self, request: &mut Request) -> Option<Arc<ExecutableDocument>> {
        let document = match self.parsed.get(request.query.as_str()).await {
            Some(document) => document,
            None => {
                let document = Arc::new(parse_query(&request.query).ok()?);
                self.parsed
                    .insert(request.query.clone(), document.clone())
                    .await;
                document
            }
        };
        request.set_parsed_query(ExecutableDocument::clone(&document));
        Some(document)
    }

    /// How many documents are kept (after pending maintenance).
    pub async fn count(&self) -> u64 {
        self.parsed.run_pending_tasks().await;
        self.parsed.entry_count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_document_is_parsed_once_and_a_bad_one_is_left_alone() {
        let documents = Documents::default();
        let mut first = Request::new("query A { me { subject } }");
        assert!(documents.prepare(&mut first).await.is_some());
        let mut again = Request::new("query A { me { subject } }");
        let document = documents.prepare(&mut again).await.expect("cached");
        assert_eq!(documents.count().await, 1);
        assert_eq!(document.operations.iter().count(), 1);
        assert!(again.parsed_query().is_ok());

        let mut bad = Request::new("query { me { ");
        assert!(documents.prepare(&mut bad).await.is_none());
        assert_eq!(documents.count().await, 1);
    }

    #[tokio::test]
    async fn the_cache_is_bounded_by_size() {
        let documents = Documents::with_capacity(64 * 1024);
        for i in 0..2_000 {
            let mut request = Request::new(format!("query Q{i} {{ me {{ subject }} }}"));
            documents.prepare(&mut request).await;
        }
        // 64 KiB at about 400 bytes a document.
        assert!(
            documents.count().await <= 200,
            "{}",
            documents.count().await
        );
    }
}
