//! A GraphQL client over HTTP, as a terminal vendor writes one: a bearer
//! token, a timeout on every call, and a clear line between answers that
//! may be retried (the server was unreachable, busy or restarting) and
//! answers that may not.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Why a call gave no data.
#[derive(Debug)]
pub enum CallError {
    /// Nothing certain came back: the connection failed or timed out, the
    /// server answered 5xx or 429, or a GraphQL error with a retryable
    /// code. The operation may or may not have taken effect. The server's
    /// `Retry-After` (or `extensions.retryAfter`), when it gave one, is the
    /// least the client waits before trying again.
    Retryable(String, Option<Duration>),
    /// The server refused the operation: it will refuse it again.
    Refused(String),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Retryable(m, _) => write!(f, "retryable: {m}"),
            Self::Refused(m) => write!(f, "refused: {m}"),
        }
    }
}

impl std::error::Error for CallError {}

/// GraphQL error codes a client should retry after a pause.
const RETRYABLE_CODES: [&str; 3] = ["UNAVAILABLE", "RATE_LIMITED", "TIMEOUT"];

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    urls: Vec<String>,
}

impl Client {
    pub fn new(urls: Vec<String>, timeout: Duration) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(2))
            .pool_max_idle_per_host(64)
            .build()?;
        Ok(Self { http, urls })
    }

    /// The same client, talking to the `i`-th server only.
    pub fn only(&self, i: usize) -> Self {
        Self {
            http: self.http.clone(),
            urls: vec![self.urls[i % self.urls.len()].clone()],
        }
    }

    pub fn servers(&self) -> usize {
        self.urls.len()
    }

    /// One of the servers, at random: replicas behind no load balancer.
    fn url(&self) -> &str {
        &self.urls[fastrand::usize(..self.urls.len())]
    }

    /// Runs `query` once with `token` and returns `data`.
    pub async fn call(
        &self,
        token: &str,
        query: &str,
        variables: Value,
    ) -> Result<Value, CallError> {
        let url = format!("{}/graphql", self.url().trim_end_matches('/'));
        let response = self
            .http
            .post(url)
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .map_err(|e| CallError::Retryable(format!("transport: {e}"), None))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok()?.trim().parse().ok())
            .map(Duration::from_secs);
        let body: Result<Value, _> = response.json().await;
        if status.is_server_error() || status.as_u16() == 429 {
            return Err(CallError::Retryable(format!("HTTP {status}"), retry_after));
        }
        let body = body.map_err(|e| CallError::Retryable(format!("body: {e}"), None))?;
        if let Some(error) = body["errors"].as_array().and_then(|e| e.first()) {
            let code = error["extensions"]["code"].as_str().unwrap_or("");
            let message = format!("{code} {}", error["message"].as_str().unwrap_or(""));
            let hinted = error["extensions"]["retryAfter"]
                .as_u64()
                .map(Duration::from_secs);
            return Err(if RETRYABLE_CODES.contains(&code) {
                CallError::Retryable(message, hinted.or(retry_after))
            } else {
                CallError::Refused(message)
            });
        }
        if !status.is_success() {
            return Err(CallError::Refused(format!("HTTP {status}: {body}")));
        }
        Ok(body["data"].clone())
    }

    /// Runs a query (or an idempotent mutation) until it succeeds, is
    /// refused, or `patience` runs out, pausing between tries: at least as
    /// long as the server's `Retry-After` asks.
    pub async fn call_retrying(
        &self,
        token: &str,
        query: &str,
        variables: Value,
        patience: Duration,
    ) -> Result<Value, CallError> {
        let deadline = Instant::now() + patience;
        let mut pause = Duration::from_millis(50);
        loop {
            match self.call(token, query, variables.clone()).await {
                Err(CallError::Retryable(m, retry_after)) if Instant::now() < deadline => {
                    tracing_pause(&m);
                    tokio::time::sleep(pause.max(retry_after.unwrap_or_default())).await;
                    pause = (pause * 2).min(Duration::from_secs(1));
                }
                other => return other,
            }
        }
    }
}

fn tracing_pause(message: &str) {
    if std::env::var_os("SIM_VERBOSE").is_some() {
        eprintln!("sim: retrying after {message}");
    }
}

/// A string field of `value` at `path`.
pub fn text(value: &Value, path: &[&str]) -> Result<String, CallError> {
    let mut v = value;
    for p in path {
        v = &v[*p];
    }
    v.as_str()
        .map(str::to_owned)
        .ok_or_else(|| CallError::Refused(format!("no {} in {value}", path.join("."))))
}

/// An `Amount` (sent as a string or a number) in minor units.
pub fn amount(value: &Value) -> i64 {
    match value {
        Value::Number(n) => n.as_i64().unwrap_or(i64::MIN),
        Value::String(s) => s.parse().unwrap_or(i64::MIN),
        _ => i64::MIN,
    }
}
