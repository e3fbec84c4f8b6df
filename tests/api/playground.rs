//! GraphiQL works with no network beyond this server: the page names no
//! external URL, and every asset it references is served.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::helpers::TestApp;

async fn get(app: &TestApp, path: &str) -> (StatusCode, String, Vec<u8>) {
    let response = app
        .router
        .clone()
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .expect("response");
    let status = response.status();
    let media = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, media, body.to_vec())
}

/// The values of every `src="…"` and `href="…"` attribute in `html`.
fn references(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        let mut rest = html;
        while let Some(start) = rest.find(attribute) {
            rest = &rest[start + attribute.len()..];
            let end = rest.find('"').expect("closed attribute");
            found.push(rest[..end].to_owned());
            rest = &rest[end..];
        }
    }
    found
}

#[tokio::test]
async fn graphiql_loads_everything_from_this_server() {
    let app = TestApp::spawn().await;
    let (status, media, body) = get(&app, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(media.starts_with("text/html"), "{media}");
    let page = String::from_utf8(body).expect("utf-8 page");
    // No absolute URL of any kind: not in an attribute, not in a script.
    assert!(!page.contains("://"), "the page names an external URL");
    let assets: Vec<String> = references(&page)
        .into_iter()
        .filter(|r| !r.starts_with("data:"))
        .collect();
    assert!(assets.len() >= 4, "{assets:?}");
    for asset in &assets {
        assert!(
            asset.starts_with('/') && !asset.starts_with("//"),
            "{asset} is not a path on this server"
        );
        let (status, media, body) = get(&app, asset).await;
        assert_eq!(status, StatusCode::OK, "{asset}");
        assert!(body.len() > 1_000, "{asset}: {} bytes", body.len());
        let expected = if asset.ends_with(".css") {
            "text/css"
        } else {
            "text/javascript"
        };
        assert!(media.starts_with(expected), "{asset}: {media}");
    }
    // The first tab holds a real query, the headers pane the header to
    // fill in, and a development server says how to mint a token.
    assert!(page.contains("query FirstQuery"));
    assert!(page.contains(r#"{"Authorization": "Bearer "}"#));
    assert!(page.contains("Development mode"));
    let (status, _, _) = get(&app, "/graphiql/nothing.js").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
