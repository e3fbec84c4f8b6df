//! GraphQL over HTTP: POST for everything, GET for queries only.

use async_graphql::BatchResponse;
use async_graphql::ParseRequestError;
use async_graphql::parser::types::OperationType;
use async_graphql_axum::GraphQLBatchRequest;
use axum::extract::{Request, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::admission::Kind;
use super::auth::{authenticate, error_response};
use crate::config::Introspection;
use crate::error::AppError;

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
    extensions: Extensions,
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
    // The door: every operation of the batch is admitted (and rate
    // limited) before anything that costs.
    let caller = match authenticate(&state, &headers, &extensions, size).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    let session = caller.session;
    // Collected first: the batch's own iterator is not `Send`.
    let requests: Vec<&mut async_graphql::Request> = batch.iter_mut().collect();
    let mut mutates = false;
    for request in requests {
        if let Err(e) = state.persisted.resolve(request, session.as_ref()).await {
            return error_response(&e);
        }
        // A document that does not parse is left to the executor, which
        // reports it.
        if let Some(document) = state.documents.prepare(request).await {
            mutates |= document
                .operations
                .iter()
                .any(|(_, op)| op.node.ty != OperationType::Query);
        }
    }
    if method == Method::GET && mutates {
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

    // A place among the operations in flight, held until the answer is
    // ready: writes and reads have places of their own.
    let kind = if mutates { Kind::Write } else { Kind::Read };
    let _place = match state.admission.enter(kind).await {
        Ok(place) => place,
        Err(e) => return error_response(&e),
    };
    let introspection = state.config.introspection();
    for request in batch.iter_mut() {
        request.data.insert(caller.origin.clone());
        if session.is_none() && introspection == Introspection::Authenticated {
            request.introspection_mode = async_graphql::IntrospectionMode::Disabled;
        }
        crate::graphql::prepare(request, &state.db, session.as_ref());
    }
    respond(&headers, state.schema.execute_batch(batch).await)
}

/// The response, in the media type the client accepts (GraphQL over HTTP):
/// `application/graphql-response+json` when it asks for it, otherwise
/// `application/json`. With the former, a request that failed before
/// execution (it did not parse or validate) gets 400 and no `data`.
fn respond(headers: &HeaderMap, batch: BatchResponse) -> Response {
    let graphql_json = prefers_graphql_response(headers);
    let request_error = graphql_json
        && matches!(&batch, BatchResponse::Single(r) if r.data == async_graphql::Value::Null
            && !r.errors.is_empty()
            && r.errors.iter().all(|e| e.path.is_empty()));
    let cache_control = batch
        .is_ok()
        .then(|| batch.cache_control().value())
        .flatten();
    let extra = batch.http_headers();
    // Serialised straight from the response: its maps keep the selection
    // set's order, which a detour through `serde_json::Value` would sort.
    let body = match &batch {
        BatchResponse::Single(r) if request_error => serde_json::to_string(&WithoutData {
            errors: &r.errors,
            extensions: &r.extensions,
        }),
        _ => serde_json::to_string(&batch),
    };
    let body = match body {
        Ok(body) => body,
        Err(e) => return error_response(&AppError::internal(format!("response: {e}"))),
    };
    let status = if request_error {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let mut response = (status, body).into_response();
    let media = if graphql_json {
        "application/graphql-response+json; charset=utf-8"
    } else {
        "application/json; charset=utf-8"
    };
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    if let Some(value) = cache_control.and_then(|v| HeaderValue::from_str(&v).ok()) {
        h.insert(header::CACHE_CONTROL, value);
    }
    h.extend(extra);
    response
}

/// A request error's body: `errors` (and `extensions`), no `data`.
#[derive(serde::Serialize)]
struct WithoutData<'a> {
    errors: &'a [async_graphql::ServerError],
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    extensions: &'a std::collections::BTreeMap<String, async_graphql::Value>,
}

/// Whether `Accept` lists `application/graphql-response+json` before (or
/// without) `application/json`.
fn prefers_graphql_response(headers: &HeaderMap) -> bool {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let position = |media: &str| {
        accept
            .split(',')
            .position(|part| part.split(';').next().unwrap_or("").trim() == media)
    };
    match (
        position("application/graphql-response+json"),
        position("application/json"),
    ) {
        (Some(g), Some(j)) => g < j,
        (g, _) => g.is_some(),
    }
}

/// A POST must say its body is JSON (`application/json`): anything else,
/// or nothing, gets 415 before the body is read.
pub async fn require_json(request: Request, next: Next) -> Response {
    if request.method() == Method::POST {
        let json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"));
        if !json {
            let mut response = error_response(&AppError::BadInput {
                message: "POST bodies must be application/json".into(),
                field: None,
            });
            *response.status_mut() = StatusCode::UNSUPPORTED_MEDIA_TYPE;
            response
                .headers_mut()
                .insert(header::ACCEPT, HeaderValue::from_static("application/json"));
            return response;
        }
    }
    next.run(request).await
}
