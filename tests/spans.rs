//! Spans per resolver, with SeaORM's per-statement spans inside them, and
//! no variable in any of them.
//!
//! A test binary of its own, with a global subscriber: tracing caches per
//! callsite whether anyone listens, and tests on other threads, without a
//! subscriber, would race a thread-local one.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::json;
use tracing_subscriber::fmt::format::FmtSpan;

#[path = "api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use helpers::TestApp;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn each_resolver_gets_a_span_with_its_statements_inside() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("pos::graphql::spans=debug,sea_orm=trace")
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    // Before the app starts, as at startup: the schema adds the resolver
    // spans only when their target is enabled.
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
    let app = TestApp::spawn().await;
    let owner = app.owner(app.tenant("Acme").await);
    app.create_location(&owner, "AMS1").await;
    let body = app
        .gql(
            &owner,
            "query($s: String) { locations(search: $s) { edges { node { code terminals { edges { node { id } } } } } } }",
            json!({ "s": "hop AMS" }),
        )
        .await;
    assert_eq!(
        body["data"]["locations"]["edges"][0]["node"]["code"], "AMS1",
        "{body}"
    );

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("graphql.field"), "{text}");
    assert!(text.contains("path=locations"), "{text}");
    assert!(
        text.contains("path=locations.edges.0.node.terminals"),
        "{text}"
    );
    // A statement's span closes inside the resolver's.
    assert!(
        text.lines()
            .any(|l| l.contains("graphql.field") && l.contains("sea_orm")),
        "{text}"
    );
    assert!(
        !text.contains("hop AMS"),
        "a variable reached the log: {text}"
    );
}
