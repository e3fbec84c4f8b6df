//! GraphQL over HTTP: POST for everything, GET for queries only.

use async_graphql::ParseRequestError;
use async_graphql::http::GraphiQLSource;
use async_graphql::parser::types::OperationType;
use async_graphql_axum::{GraphQLBatchRequest, GraphQLResponse};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::auth::{authenticate, error_response};
use crate::config::Introspection;
use crate::error::AppError;
use crate::startup::AppState;

/// The GraphiQL playground. Loads without a token; paste one into the
/// Headers pane as `{"Authorization": "Bearer …"}`.
pub async fn graphiql() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql/ws")
            .title("POS API")
            .finish(),
    )
}

/// Body parse failures answer in the GraphQL error shape, with a code.
pub struct Rejection(ParseRequestError);

impl From<ParseRequestError> for Rejection {
    fn from(err: ParseRequestError) -> Self {
        Self(err)
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let message = match &self.0 {
            ParseRequestError::PayloadTooLarge => {
                return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
            }
            ParseRequestError::Io(e) if e.to_string().contains("length limit exceeded") => {
                return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
            }
            ParseRequestError::InvalidRequest(e) => format!("invalid GraphQL request: {e}"),
            ParseRequestError::Io(e) => format!("could not read the request: {e}"),
            _ => "invalid GraphQL request".to_owned(),
        };
        error_response(&AppError::BadInput {
            message,
            field: None,
        })
    }
}

pub async fn execute(
    method: Method,
    State(state): State<AppState>,
    headers: HeaderMap,
    request: GraphQLBatchRequest<Rejection>,
) -> Response {
    let mut batch = request.into_inner();
    let size = batch.iter().count();
    if size == 0 || size > state.config.max_batch {
        return error_response(&AppError::bad_input(
            "batch",
            format!("a batch holds 1 to {} operations", state.config.max_batch),
        ));
    }
    if method == Method::GET && batch.iter().any(|r| has_mutation(&r.query)) {
        let mut response = error_response(&AppError::BadInput {
            message: "mutations must be sent with POST".into(),
            field: None,
        });
        *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    let session = match authenticate(&state, &headers).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let introspection = state.config.introspection();
    for request in batch.iter_mut() {
        if session.is_none() && introspection == Introspection::Authenticated {
            request.introspection_mode = async_graphql::IntrospectionMode::Disabled;
        }
        crate::graphql::prepare(request, &state.db, session.as_ref());
    }
    GraphQLResponse::from(state.schema.execute_batch(batch).await).into_response()
}

/// True when the document holds a mutation or subscription. Documents that
/// do not parse are left to the executor, which reports them.
fn has_mutation(query: &str) -> bool {
    async_graphql::parser::parse_query(query)
        .map(|doc| {
            doc.operations
                .iter()
                .any(|(_, op)| op.node.ty != OperationType::Query)
        })
        .unwrap_or(false)
}
