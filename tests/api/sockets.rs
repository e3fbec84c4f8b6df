//! The door over WebSocket (`graphql-transport-ws`), on a real server: a
//! socket keeps its session only while it is current, every operation on
//! it is rate limited, refused logins close with the protocol's codes, and
//! operations on it are audited with the upgrade request's origin.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use pos::auth::Role;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::TestApp;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A server on a real port, sharing `app`'s database (and Redis).
struct Server {
    port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    async fn start(app: &TestApp) -> Self {
        let server = pos::startup::Application::build(app.config.clone())
            .await
            .unwrap();
        let port = server.port();
        let task = tokio::spawn(async move {
            let _ = server.run_until_stopped().await;
        });
        Self { port, task }
    }

    async fn connect(&self, headers: &[(&'static str, &str)]) -> Socket {
        let mut request = format!("ws://127.0.0.1:{}/graphql/ws", self.port)
            .into_client_request()
            .unwrap();
        request.headers_mut().insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        for (name, value) in headers {
            request.headers_mut().insert(*name, value.parse().unwrap());
        }
        tokio_tungstenite::connect_async(request)
            .await
            .expect("websocket")
            .0
    }

    /// A socket past `connection_ack`.
    async fn login(&self, token: &str) -> Socket {
        let mut socket = self.connect(&[]).await;
        init(&mut socket, token).await;
        assert_eq!(next(&mut socket).await["type"], "connection_ack");
        socket
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn init(socket: &mut Socket, token: &str) {
    let payload = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    socket
        .send(Message::text(payload.to_string()))
        .await
        .unwrap();
}

async fn subscribe(socket: &mut Socket, id: &str, query: &str, variables: Value) {
    let message = json!({ "type": "subscribe", "id": id, "payload": { "query": query, "variables": variables } });
    socket
        .send(Message::text(message.to_string()))
        .await
        .unwrap();
}

/// The next message, or `{"closed": code, "reason": …}` when the server
/// closes the socket.
async fn next(socket: &mut Socket) -> Value {
    next_within(socket, Duration::from_secs(5)).await
}

async fn next_within(socket: &mut Socket, within: Duration) -> Value {
    loop {
        let message = tokio::time::timeout(within, socket.next())
            .await
            .expect("a message in time");
        match message {
            Some(Ok(Message::Text(text))) => return serde_json::from_str(&text).unwrap(),
            Some(Ok(Message::Close(frame))) => {
                return json!({
                    "closed": frame.as_ref().map(|f| u16::from(f.code)),
                    "reason": frame.map(|f| f.reason.to_string()),
                });
            }
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return json!({ "closed": null }),
        }
    }
}

/// Reads until the server closes, skipping data; the close code.
async fn closed_within(socket: &mut Socket, within: Duration) -> Value {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let message = next_within(socket, left).await;
        if message.get("closed").is_some() {
            return message;
        }
    }
}

const ME: &str = "query { me { subject } }";
const CATALOG: &str = "subscription { catalogChanged { version } }";

#[tokio::test]
async fn a_revoked_terminals_socket_is_closed_and_its_subscriptions_end() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant("Acme").await;
    let owner = app.owner(tenant);
    let location = app.create_location(&owner, "AMS").await;
    let terminal = app.create_terminal(&owner, &location, "T1").await;
    let device = app.device_token(&owner, &terminal).await;
    let server = Server::start(&app).await;

    let mut socket = server.login(&device).await;
    subscribe(&mut socket, "1", CATALOG, json!({})).await;
    let first = next(&mut socket).await;
    assert_eq!(
        first["payload"]["data"]["catalogChanged"]["version"], 0,
        "{first}"
    );

    // Revoked through the same server: without Redis, replicas do not hear
    // of each other's writes (the next test covers that with Redis).
    let revoked: Value = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{}/graphql", server.port))
        .bearer_auth(&owner)
        .json(&json!({
            "query": "mutation($id: ID!) { revokeTerminal(id: $id) { id status } }",
            "variables": { "id": terminal },
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        revoked["data"]["revokeTerminal"]["status"], "REVOKED",
        "{revoked}"
    );
    let closed = closed_within(&mut socket, Duration::from_secs(3)).await;
    assert_eq!(closed["closed"], 4403, "{closed}");
    assert!(
        closed["reason"].as_str().unwrap().contains("revoked"),
        "{closed}"
    );

    // A new socket with the revoked token is refused at connection_init.
    let mut again = server.connect(&[]).await;
    init(&mut again, &device).await;
    let refused = next(&mut again).await;
    assert_eq!(refused["closed"], 4401, "{refused}");
}

/// Run by `.ci/run` against the machine's Redis:
/// `cargo test -p pos --test api -- --ignored needs_redis`.
#[tokio::test]
#[ignore = "needs Redis (POS_REDIS_URL): replicas hear of revocations through it"]
async fn needs_redis_a_revocation_on_another_replica_closes_the_socket_within_a_second() {
    let app = TestApp::spawn().await;
    assert!(
        app.config.redis_url.is_some(),
        "set POS_REDIS_URL: replicas share revocations through Redis"
    );
    let owner = app.owner(app.tenant("Acme").await);
    let location = app.create_location(&owner, "AMS").await;
    let terminal = app.create_terminal(&owner, &location, "T1").await;
    let device = app.device_token(&owner, &terminal).await;
    let replica = app.second_instance().await;
    let server = Server::start(&replica).await;
    let mut socket = server.login(&device).await;
    subscribe(&mut socket, "1", CATALOG, json!({})).await;
    next(&mut socket).await;
    app.gql(
        &owner,
        "mutation($id: ID!) { revokeTerminal(id: $id) { id } }",
        json!({ "id": terminal }),
    )
    .await;
    // From the revocation's answer to the other replica's close.
    let revoked = std::time::Instant::now();
    let closed = closed_within(&mut socket, Duration::from_secs(3)).await;
    assert_eq!(closed["closed"], 4403, "{closed}");
    let took = revoked.elapsed();
    assert!(took < Duration::from_secs(1), "closed after {took:?}");
}

#[tokio::test]
async fn an_expired_tokens_socket_is_closed() {
    let app = TestApp::spawn_with(&["--jwt-leeway-secs", "0"]).await;
    let tenant = app.tenant("Acme").await;
    let (token, _) = app
        .state
        .keys
        .sign(
            tenant,
            "user-1",
            vec![Role::Owner],
            None,
            Duration::from_secs(2),
        )
        .unwrap();
    let server = Server::start(&app).await;
    let mut socket = server.login(&token).await;
    subscribe(&mut socket, "1", ME, json!({})).await;
    let answer = next(&mut socket).await;
    assert_eq!(
        answer["payload"]["data"]["me"]["subject"], "user-1",
        "{answer}"
    );
    subscribe(&mut socket, "2", CATALOG, json!({})).await;
    let closed = closed_within(&mut socket, Duration::from_secs(6)).await;
    assert_eq!(closed["closed"], 4403, "{closed}");
    assert!(
        closed["reason"].as_str().unwrap().contains("expired"),
        "{closed}"
    );
}

#[tokio::test]
async fn operations_on_a_socket_are_rate_limited() {
    let app = TestApp::spawn_with(&[
        "--rate-limit-tenant-rps",
        "0.01",
        "--rate-limit-tenant-burst",
        "3",
    ])
    .await;
    let owner = app.owner(app.tenant("Acme").await);
    let server = Server::start(&app).await;
    // connection_init takes one token from the bucket.
    let mut socket = server.login(&owner).await;
    let mut answered = 0;
    let mut limited = 0;
    for i in 0..20 {
        subscribe(&mut socket, &i.to_string(), ME, json!({})).await;
        let message = next(&mut socket).await;
        assert_eq!(message["type"], "next", "{message}");
        if message["payload"]["data"]["me"].is_object() {
            answered += 1;
        } else {
            assert_eq!(
                message["payload"]["errors"][0]["extensions"]["code"], "RATE_LIMITED",
                "{message}"
            );
            limited += 1;
        }
        assert_eq!(next(&mut socket).await["type"], "complete");
    }
    assert_eq!((answered, limited), (2, 18));
}

#[tokio::test]
async fn refused_logins_close_with_the_protocols_codes() {
    let app = TestApp::spawn().await;
    let server = Server::start(&app).await;
    for token in ["nope", ""] {
        let mut socket = server.connect(&[]).await;
        init(&mut socket, token).await;
        let refused = next(&mut socket).await;
        assert_eq!(refused["closed"], 4401, "{refused}");
    }
    // No Authorization at all.
    let mut socket = server.connect(&[]).await;
    let payload = json!({ "type": "connection_init", "payload": {} });
    socket
        .send(Message::text(payload.to_string()))
        .await
        .unwrap();
    assert_eq!(next(&mut socket).await["closed"], 4401);
}

#[tokio::test]
async fn a_rate_limited_login_closes_with_try_again_later() {
    let app = TestApp::spawn_with(&[
        "--rate-limit-tenant-rps",
        "0.01",
        "--rate-limit-tenant-burst",
        "1",
    ])
    .await;
    let owner = app.owner(app.tenant("Acme").await);
    let server = Server::start(&app).await;
    let _first = server.login(&owner).await;
    let mut second = server.connect(&[]).await;
    init(&mut second, &owner).await;
    let refused = next(&mut second).await;
    assert_eq!(refused["closed"], 1013, "{refused}");
}

#[tokio::test]
async fn socket_operations_are_audited_with_the_upgrade_requests_origin() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant("Acme").await;
    let owner = app.owner(tenant);
    let server = Server::start(&app).await;
    let mut socket = server
        .connect(&[
            ("user-agent", "till/3.0"),
            ("x-forwarded-for", "203.0.113.7"),
            ("x-request-id", "ws-1"),
        ])
        .await;
    init(&mut socket, &owner).await;
    assert_eq!(next(&mut socket).await["type"], "connection_ack");
    let create = "mutation($input: CreateLocationInput!) { createLocation(input: $input) { id } }";
    subscribe(
        &mut socket,
        "1",
        create,
        json!({ "input": crate::helpers::location_input("AMS") }),
    )
    .await;
    let created = next(&mut socket).await;
    assert!(
        created["payload"]["data"]["createLocation"]["id"].is_string(),
        "{created}"
    );
    let log = app
        .gql(
            &owner,
            "{ auditLog(first: 5) { edges { node { operation clientIp userAgent requestId } } } }",
            json!({}),
        )
        .await;
    let entry = &log["data"]["auditLog"]["edges"][0]["node"];
    assert_eq!(entry["operation"], "createLocation", "{log}");
    // Not a trusted proxy: the peer, not the header.
    assert_eq!(entry["clientIp"], "127.0.0.1", "{log}");
    assert_eq!(entry["userAgent"], "till/3.0", "{log}");
    assert_eq!(entry["requestId"], "ws-1", "{log}");
}
