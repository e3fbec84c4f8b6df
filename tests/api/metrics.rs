//! Prometheus metrics: requests by route, operations by name, sync
//! statuses, cache lookups and the pool, with no tenant id in any label.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

use crate::shop::Shop;
use crate::sync::{event, push, sale};

async fn scrape(shop: &Shop) -> String {
    let response = pos::http::metrics::router(shop.app.state.clone())
        .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// The value of the series `line` starts with (labels included).
fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|v| v.trim().parse().ok()))
        .unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_count_requests_operations_pushes_and_lookups() {
    let shop = Shop::open().await;
    let before = scrape(&shop).await;
    let ops = "pos_graphql_operations_total{operation=\"MetricsProbe\",outcome=\"ok\"}";
    let http = "pos_http_requests_total{method=\"POST\",route=\"/graphql\",status=\"200\"}";

    let body = shop
        .app
        .gql(
            &shop.owner,
            "query MetricsProbe { me { subject } }",
            json!({}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let t = shop.terminal.clone();
    let ev = |i: i64| {
        let id = format!("00000000-0000-4000-8000-00000000000{i}");
        event(&t, i, "SALE", sale(&shop, &id, "1"))
    };
    push(&shop, &shop.device, vec![ev(2)]).await; // held: 1 is missing
    // The backlog is this database's, counted across tenants; on
    // PostgreSQL through the function that row-level security allows.
    // A refund on T2 of a sale T1 has not pushed waits for it.
    let (t2, device2) = shop.another_terminal("T2").await;
    let refund = json!({
        "refundId": "00000000-0000-4000-8000-0000000000aa",
        "saleId": "00000000-0000-4000-8000-0000000000bb",
        "lines": [{ "saleLineNo": 1, "quantity": "1" }],
        "tenders": [{ "method": "CASH", "amount": "302" }],
    });
    push(&shop, &device2, vec![event(&t2, 1, "REFUND", refund)]).await;
    let waiting = scrape(&shop).await;
    for (state, n) in [("held", 1.0), ("awaiting_sale", 1.0)] {
        let series = format!("pos_sync_backlog_events{{state=\"{state}\"}}");
        assert_eq!(value(&waiting, &series), n, "{series}: {waiting}");
    }
    push(&shop, &shop.device, vec![ev(1)]).await; // applies 1, then 2
    shop.app.scan(&shop.owner, "0000000000000", None).await;

    let after = scrape(&shop).await;
    assert!(value(&after, ops) >= value(&before, ops) + 1.0, "{after}");
    assert!(value(&after, http) >= value(&before, http) + 4.0, "{after}");
    for (series, at_least) in [
        ("pos_sync_events_total{status=\"queued\"}", 1.0),
        ("pos_sync_events_total{status=\"applied\"}", 1.0),
        ("pos_sync_held_released_total", 1.0),
        ("pos_cache_lookups_total{layer=\"l1\",result=\"miss\"}", 1.0),
    ] {
        assert!(
            value(&after, series) >= value(&before, series) + at_least,
            "{series}: {after}"
        );
    }
    assert!(after.contains(
        "pos_graphql_operation_duration_seconds_bucket{operation=\"MetricsProbe\",le=\"+Inf\"}"
    ));
    assert!(
        after.contains("pos_db_pool_connections{state=\"max\"} 4"),
        "{after}"
    );
    assert!(after.contains("# TYPE pos_http_request_duration_seconds histogram"));
    assert!(
        after.contains("pos_sync_backlog_events{state=\"held\"} 0\n"),
        "{after}"
    );
    assert!(after.contains("pos_sync_backlog_events{state=\"awaiting_sale\"} 1\n"));
    // No tenant, terminal or location id, whatever was asked.
    for id in [
        shop.tenant.to_string(),
        shop.terminal.clone(),
        shop.location.clone(),
    ] {
        assert!(!after.contains(&id), "{id} in the metrics");
    }
}
