//! GraphiQL, served whole by the binary. The page and a pinned GraphiQL
//! release (assets/graphiql/, whose README gives the versions, hashes and
//! refresh script) are embedded at build time: the playground works with
//! no internet and under a policy that allows only this origin.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::AppState;

/// The page: its placeholder line is where the development note goes.
const PAGE: &str = include_str!("../../assets/graphiql/index.html");
const NOTE_SLOT: &str = "<!-- POS_DEV_NOTE -->";

/// In development only: how to get a token, above the editor.
const DEV_NOTE: &str = r#"<div class="pos-dev-note">Development mode. Mint a token with <code>cargo run --release -- token --tenant &lt;tenant id&gt; --sub you --role OWNER</code> (a tenant: <code>cargo run --release -- tenant create "My shop"</code>) and paste it after <code>Bearer</code> in the Headers pane.</div>"#;

/// What `/graphiql/{name}` serves: name, media type, bytes.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "graphiql.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql.min.css"),
    ),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react-dom.production.min.js"),
    ),
];

/// The page for this deployment: with the development note unless it runs
/// in production.
pub fn page(production: bool) -> String {
    PAGE.replacen(NOTE_SLOT, if production { "" } else { DEV_NOTE }, 1)
}

/// `/`: the playground. Loads without a token.
pub async fn graphiql(State(state): State<AppState>) -> Html<String> {
    Html(page(state.config.is_production()))
}

/// `/graphiql/{name}`: one of the pinned assets, cached for a day (they
/// change only with the binary).
pub async fn asset(Path(name): Path<String>) -> Response {
    let Some((_, media, body)) = ASSETS.iter().find(|(n, _, _)| *n == name) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    let mut response = (*body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_development_note_shows_outside_production_only() {
        assert!(page(false).contains("pos-dev-note\">Development mode"));
        assert!(!page(true).contains("Development mode"));
        assert!(!page(true).contains(NOTE_SLOT));
    }
}
