//! GraphQL over WebSocket (`graphql-transport-ws`, and the older
//! `graphql-ws`) at `/graphql/ws`. Browsers cannot set headers on a
//! WebSocket, so the token travels in the `connection_init` payload:
//! `{"Authorization": "Bearer <token>"}`.
//!
//! A socket holds its session only while the session is current:
//! - every `subscribe` passes the same door as an HTTP request
//!   ([`super::door`]): token unexpired, terminal active, rate limits;
//! - the session is checked again every second, and at once when the
//!   tenant's cached data changes on any replica (a revocation does); a
//!   socket whose token expired or whose terminal was revoked is closed
//!   with 4403 and its subscriptions end with it;
//! - a refused `connection_init` closes with 4401 (no valid token) or 4403
//!   (forbidden), 1013 when rate limited or unavailable (retry later).

use std::str::FromStr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use async_graphql::http::{WebSocketProtocols as Protocols, WsMessage};
use async_graphql::parser::types::OperationType;
use async_graphql::{Data, Executor, Request, Response, ServerError, Value};
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{Extensions, HeaderMap, header};
use axum::response::Response as HttpResponse;
use futures_util::stream::{BoxStream, StreamExt};
use tokio::sync::{broadcast, watch};

use super::AppState;
use super::admission::{Kind, Place};
use super::door::{self, Caller};
use crate::error::AppError;

/// How often an open socket's session is checked again.
const RECHECK_EVERY: Duration = Duration::from_secs(1);
/// Messages a client may have sent that the protocol has not read yet; a
/// client past it is closed (1008) rather than buffered without bound.
const INBOUND_BACKLOG: usize = 256;

/// A close code and reason.
type Ending = (u16, String);

pub async fn subscriptions(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: Extensions,
    upgrade: WebSocketUpgrade,
) -> HttpResponse {
    // The first subprotocol offered that this server speaks.
    let protocol = headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|value| value.to_str().ok())
        .and_then(|offered| {
            offered
                .split(',')
                .find_map(|p| Protocols::from_str(p.trim()).ok())
        });
    let Some(protocol) = protocol else {
        return super::auth::error_response(&AppError::bad_input(
            "Sec-WebSocket-Protocol",
            "offer graphql-transport-ws (or graphql-ws)",
        ));
    };
    let (client, origin) = state.proxies.origin(&headers, &extensions);
    let caller = Caller {
        session: None,
        deadline: None,
        client,
        origin,
    };
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| serve(socket, state, protocol, caller))
}

/// The door of one socket: admits each operation as [`door::admit`] does
/// for HTTP, for the caller its `connection_init` identified.
#[derive(Clone)]
struct SocketDoor {
    state: AppState,
    caller: Arc<OnceLock<Caller>>,
    ended: Arc<watch::Sender<Option<Ending>>>,
}

impl SocketDoor {
    /// Admits one operation; a query or mutation also gets a place among
    /// the operations in flight, held until its stream ends.
    async fn admit(&self, request: &mut Request) -> Result<Option<Place>, AppError> {
        let caller = self
            .caller
            .get()
            .ok_or_else(|| AppError::Unauthenticated("send connection_init first".into()))?;
        if let Err(e) = door::admit(&self.state, caller, 1).await {
            if matches!(e, AppError::Unauthenticated(_) | AppError::Forbidden(_)) {
                self.ended.send_replace(Some((4403, e.to_string())));
            }
            return Err(e);
        }
        self.state
            .persisted
            .resolve(request, caller.session.as_ref())
            .await?;
        let kind = match self.state.documents.prepare(request).await {
            Some(document) => {
                let mut kinds = document.operations.iter().map(|(_, op)| op.node.ty);
                if kinds.clone().all(|ty| ty == OperationType::Subscription) {
                    return Ok(None);
                }
                if kinds.any(|ty| ty == OperationType::Mutation) {
                    Kind::Write
                } else {
                    Kind::Read
                }
            }
            // Left to the executor, which reports the syntax error.
            None => Kind::Read,
        };
        self.state.admission.enter(kind).await.map(Some)
    }
}

impl Executor for SocketDoor {
    async fn execute(&self, mut request: Request) -> Response {
        match self.admit(&mut request).await {
            Ok(_place) => self.state.schema.execute(request).await,
            Err(e) => refusal(&e),
        }
    }

    fn execute_stream(
        &self,
        mut request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let door = self.clone();
        futures_util::stream::once(async move {
            match door.admit(&mut request).await {
                Ok(place) => {
                    let stream = match session_data {
                        Some(data) => door
                            .state
                            .schema
                            .execute_stream_with_session_data(request, data),
                        None => door.state.schema.execute_stream(request),
                    };
                    // The place goes back when the stream ends or is dropped.
                    stream
                        .map(move |response| {
                            let _held = &place;
                            response
                        })
                        .boxed()
                }
                Err(e) => futures_util::stream::once(async move { refusal(&e) }).boxed(),
            }
        })
        .flatten()
        .boxed()
    }
}

/// An operation refused at the door, as a GraphQL response with its code.
fn refusal(e: &AppError) -> Response {
    e.log();
    let mut error = ServerError::new(e.to_string(), None);
    let extensions = error.extensions.get_or_insert_with(Default::default);
    extensions.set("code", e.code());
    if let Some(secs) = e.retry_after_secs() {
        extensions.set("retryAfter", Value::from(secs));
    }
    Response::from_errors(vec![error])
}

/// The close code for a refused `connection_init`.
fn init_close_code(e: &AppError) -> u16 {
    match e {
        AppError::Unauthenticated(_) => 4401,
        AppError::RateLimited { .. } | AppError::Unavailable(_) | AppError::Overloaded { .. } => {
            1013
        }
        AppError::Internal(_) => 1011,
        _ => 4403,
    }
}

/// Long on purpose: one `select!` over the socket, the protocol's
/// answers, the close signal, the re-check timer and the change feed.
/// Every branch needs the socket and breaks the loop with the close to
/// send; split up, each part would take all of them.
async fn serve(mut socket: WebSocket, state: AppState, protocol: Protocols, caller: Caller) {
    let slot: Arc<OnceLock<Caller>> = Arc::default();
    let (ended, mut ending) = watch::channel(None);
    let door = SocketDoor {
        state: state.clone(),
        caller: slot.clone(),
        ended: Arc::new(ended),
    };
    let refused: Arc<Mutex<Option<u16>>> = Arc::default();
    let (inbound, rx) = tokio::sync::mpsc::channel::<Bytes>(INBOUND_BACKLOG);
    let input = Box::pin(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|message| (message, rx))
    }));
    let init = {
        let (state, slot, refused) = (state.clone(), slot.clone(), refused.clone());
        move |payload: serde_json::Value| async move {
            match connection_init(&state, caller, &payload).await {
                Ok((caller, data)) => {
                    let _first = slot.set(caller);
                    Ok(data)
                }
                Err(e) => {
                    e.log();
                    *refused.lock().unwrap_or_else(|e| e.into_inner()) = Some(init_close_code(&e));
                    Err(async_graphql::Error::new(e.to_string()))
                }
            }
        }
    };
    let mut outgoing =
        async_graphql::http::WebSocket::new(door, input, protocol).on_connection_init(init);
    let mut changes = Some(state.cache.changes());
    let mut tick = tokio::time::interval(RECHECK_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let end = loop {
        tokio::select! {
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    if inbound.try_send(Bytes::from(text)).is_err() {
                        break Some((1008, "too many messages unanswered".into()));
                    }
                }
                Some(Ok(Message::Binary(bytes))) => {
                    if inbound.try_send(bytes).is_err() {
                        break Some((1008, "too many messages unanswered".into()));
                    }
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Close(_)) | Err(_)) | None => break None,
            },
            message = outgoing.next() => match message {
                Some(WsMessage::Text(text)) => {
                    if socket.send(Message::Text(text.into())).await.is_err() {
                        break None;
                    }
                }
                Some(WsMessage::Close(code, reason)) => {
                    let code = refused.lock().unwrap_or_else(|e| e.into_inner()).take().unwrap_or(code);
                    break Some((code, reason));
                }
                None => break None,
            },
            Ok(()) = ending.changed() => {
                if let Some(end) = ending.borrow_and_update().clone() {
                    break Some(end);
                }
            }
            _ = tick.tick() => {
                if let Some(end) = recheck(&state, &slot).await {
                    break Some(end);
                }
            }
            change = next_change(&mut changes) => {
                let ours = slot.get().and_then(|c| c.session.as_ref()).map(|s| s.tenant);
                let relevant = match change {
                    Ok(tenant) => Some(tenant) == ours,
                    Err(broadcast::error::RecvError::Lagged(_)) => true,
                    Err(broadcast::error::RecvError::Closed) => {
                        changes = None;
                        false
                    }
                };
                if relevant && let Some(end) = recheck(&state, &slot).await {
                    break Some(end);
                }
            }
        }
    };
    // Dropping `outgoing` ends every subscription of the socket.
    drop(outgoing);
    if let Some((code, reason)) = end {
        let _ = socket
            .send(Message::Close(Some(CloseFrame {
                code,
                reason: clip_reason(&reason).into(),
            })))
            .await;
    }
}

/// The next tenant whose cached data changed, or never once the channel
/// is gone.
async fn next_change(
    changes: &mut Option<broadcast::Receiver<uuid::Uuid>>,
) -> Result<uuid::Uuid, broadcast::error::RecvError> {
    match changes {
        Some(receiver) => receiver.recv().await,
        None => std::future::pending().await,
    }
}

/// Verifies the token in a `connection_init` payload and admits the
/// connection: its caller, and the data every operation on it gets.
async fn connection_init(
    state: &AppState,
    caller: Caller,
    payload: &serde_json::Value,
) -> Result<(Caller, Data), AppError> {
    let token = ["Authorization", "authorization"]
        .iter()
        .find_map(|key| payload.get(*key).and_then(|v| v.as_str()))
        .and_then(door::bearer_token)
        .ok_or_else(|| {
            AppError::Unauthenticated(
                "send {\"Authorization\": \"Bearer <token>\"} in connection_init".into(),
            )
        })?;
    let caller = door::identify(state, Some(token), caller.client, caller.origin).await?;
    door::admit(state, &caller, 1).await?;
    let mut data = Data::default();
    if let Some(session) = &caller.session {
        crate::graphql::session_data(&mut data, &state.db, session);
    }
    data.insert(caller.origin.clone());
    Ok((caller, data))
}

/// Why the socket's session no longer holds, if it does not.
async fn recheck(state: &AppState, slot: &OnceLock<Caller>) -> Option<Ending> {
    let caller = slot.get()?;
    let session = caller.session.as_ref()?;
    match door::current(state, caller, session).await {
        Ok(()) => None,
        Err(e @ (AppError::Unauthenticated(_) | AppError::Forbidden(_))) => {
            tracing::info!(reason = %e, "closing a WebSocket whose session ended");
            Some((4403, e.to_string()))
        }
        // The database or cache being down is not the session's fault: the
        // next check decides.
        Err(_) => None,
    }
}

/// A close frame's reason holds at most 123 bytes.
fn clip_reason(reason: &str) -> String {
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    reason[..end].to_owned()
}
