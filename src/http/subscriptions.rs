//! GraphQL subscriptions over WebSocket (`graphql-transport-ws`, and the
//! older `graphql-ws`) at `/graphql/ws`. Browsers cannot set headers on a
//! WebSocket, so the token travels in the `connection_init` payload:
//! `{"Authorization": "Bearer <token>"}`.

use async_graphql::Data;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::response::Response;

use super::auth::session_from_token;
use crate::error::AppError;
use crate::startup::AppState;

pub async fn subscriptions(
    State(state): State<AppState>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| async move {
            let schema = state.schema.clone();
            GraphQLWebSocket::new(socket, schema, protocol)
                .on_connection_init(move |payload| async move {
                    let token = ["Authorization", "authorization"]
                        .iter()
                        .find_map(|key| payload.get(*key).and_then(|v| v.as_str()))
                        .and_then(|v| {
                            v.strip_prefix("Bearer ")
                                .or_else(|| v.strip_prefix("bearer "))
                        })
                        .map(str::trim)
                        .ok_or_else(|| {
                            async_graphql::Error::new(
                                "send {\"Authorization\": \"Bearer <token>\"} in connection_init",
                            )
                        })?;
                    let session =
                        session_from_token(&state, token)
                            .await
                            .map_err(|e: AppError| {
                                e.log();
                                async_graphql::Error::new(e.to_string())
                            })?;
                    let mut data = Data::default();
                    crate::graphql::session_data(&mut data, &state.db, &session);
                    Ok(data)
                })
                .serve()
                .await;
        })
}
