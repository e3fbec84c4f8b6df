//! `catalogChanged`: online terminals hear of new catalog versions, below
//! HTTP, over a real WebSocket, and across replicas sharing Redis.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use pos::auth::Session;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::TestApp;

const SUBSCRIBE: &str = "subscription { catalogChanged { version } }";

fn session(app: &TestApp, token: &str) -> Session {
    Session::from(app.state.keys.verify(token).expect("token"))
}

async fn next_version(
    stream: &mut (impl futures_util::Stream<Item = async_graphql::Response> + Unpin),
) -> i64 {
    let response = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .expect("a catalogChanged event within 5 s")
        .expect("stream open");
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    let value = serde_json::to_value(&response.data).unwrap();
    value["catalogChanged"]["version"].as_i64().unwrap()
}

async fn subscribe(
    app: &TestApp,
    token: &str,
) -> impl futures_util::Stream<Item = async_graphql::Response> + Unpin {
    let mut request = async_graphql::Request::new(SUBSCRIBE);
    pos::graphql::prepare(&mut request, &app.state.db, Some(&session(app, token)));
    Box::pin(app.state.schema.execute_stream(request))
}

#[tokio::test]
async fn a_catalog_write_raises_the_version_subscribers_see() {
    let app = TestApp::spawn().await;
    let owner = app.owner(app.tenant("Acme").await);
    let other = app.owner(app.tenant("Other").await);
    let mut stream = subscribe(&app, &owner).await;
    let mut others = subscribe(&app, &other).await;
    assert_eq!(next_version(&mut stream).await, 0);
    assert_eq!(next_version(&mut others).await, 0);
    app.tax_group(&owner, "VAT", "21").await;
    assert_eq!(next_version(&mut stream).await, 1);
    // Another tenant's subscriber hears nothing of it.
    let quiet = tokio::time::timeout(Duration::from_millis(300), others.next()).await;
    assert!(
        quiet.is_err(),
        "another tenant's write must not reach this subscriber"
    );
}

#[tokio::test]
#[ignore = "needs Redis (POS_REDIS_URL): run with --ignored needs_redis"]
async fn needs_redis_a_second_replica_hears_of_the_change() {
    let app = TestApp::spawn().await;
    assert!(
        app.config.redis_url.is_some(),
        "set POS_REDIS_URL: replicas share changes through Redis"
    );
    let replica = app.second_instance().await;
    let owner = app.owner(app.tenant("Acme").await);
    let mut stream = subscribe(&replica, &owner).await;
    assert_eq!(next_version(&mut stream).await, 0);
    app.tax_group(&owner, "VAT", "21").await;
    assert_eq!(next_version(&mut stream).await, 1);
}

async fn read_json(
    socket: &mut (
             impl futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>>
             + Unpin
         ),
) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .expect("a message within 5 s")
            .expect("socket open")
            .expect("no socket error");
        match message {
            Message::Text(text) => return serde_json::from_str(&text).unwrap(),
            Message::Close(frame) => {
                return json!({ "closed": frame.map(|f| f.reason.to_string()) });
            }
            _ => continue,
        }
    }
}

#[tokio::test]
async fn subscriptions_work_over_a_websocket_with_the_token_in_connection_init() {
    let helper = TestApp::spawn().await;
    let owner = helper.owner(helper.tenant("Acme").await);
    let app = pos::startup::Application::build(helper.config.clone())
        .await
        .unwrap();
    let port = app.port();
    let server = tokio::spawn(app.run_until_stopped());
    let connect = || async {
        let mut request = format!("ws://127.0.0.1:{port}/graphql/ws")
            .into_client_request()
            .unwrap();
        request.headers_mut().insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        tokio_tungstenite::connect_async(request)
            .await
            .expect("websocket")
            .0
    };

    let mut socket = connect().await;
    socket
        .send(Message::text(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {owner}") } }).to_string()))
        .await
        .unwrap();
    assert_eq!(read_json(&mut socket).await["type"], "connection_ack");
    socket
        .send(Message::text(
            json!({ "type": "subscribe", "id": "1", "payload": { "query": SUBSCRIBE } })
                .to_string(),
        ))
        .await
        .unwrap();
    let first = read_json(&mut socket).await;
    assert_eq!(
        first["payload"]["data"]["catalogChanged"]["version"], 0,
        "{first}"
    );
    // The write goes to the same server: without Redis, replicas do not
    // hear each other (see the test above for that).
    let created: Value = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/graphql"))
        .bearer_auth(&owner)
        .json(&json!({ "query": "mutation { createTaxGroup(input: { name: \"VAT\", rates: [{ name: \"VAT\", percent: \"21\" }] }) { taxGroup { id } } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        created["data"]["createTaxGroup"]["taxGroup"]["id"].is_string(),
        "{created}"
    );
    let second = read_json(&mut socket).await;
    assert_eq!(
        second["payload"]["data"]["catalogChanged"]["version"], 1,
        "{second}"
    );

    // Without a valid token the connection is refused.
    let mut refused = connect().await;
    refused
        .send(Message::text(
            json!({ "type": "connection_init", "payload": { "Authorization": "Bearer nope" } })
                .to_string(),
        ))
        .await
        .unwrap();
    let answer = read_json(&mut refused).await;
    assert_ne!(answer["type"], "connection_ack", "{answer}");
    server.abort();
}
