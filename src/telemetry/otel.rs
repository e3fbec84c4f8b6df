//! OpenTelemetry export over OTLP/HTTP (protobuf), in builds with the `otel`
//! feature.
//!
//! Configured only by the standard variables, read by the OpenTelemetry
//! SDK and exporter themselves:
//! - `OTEL_EXPORTER_OTLP_ENDPOINT` (the collector's base address; `/v1/traces`
//!   is appended) or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (the full address).
//!   Plain `http://`: the exporter talks to a collector or agent on the
//!   host or pod network, which forwards with TLS where needed.
//! - `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_EXPORTER_OTLP_TIMEOUT` and their
//!   `_TRACES_` forms; `OTEL_EXPORTER_OTLP_PROTOCOL` must be `http/protobuf`
//!   if set.
//! - `OTEL_SERVICE_NAME` (default `pos`) and `OTEL_RESOURCE_ATTRIBUTES`.
//! - `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG` (default: always on,
//!   or the caller's decision when a request carries `traceparent`).
//! - `OTEL_BSP_*` for the batch processor's queue, batch size and delay.
//!
//! An incoming W3C `traceparent` header makes the request's span a child of
//! the caller's trace. Spans carry names and the fields the code records,
//! never arguments, variables or the `Authorization` header.

use axum::http::HeaderMap;
use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{SpanExporter, WithExportConfig as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::runtime::Tokio;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::Layer as _;

use super::BoxedLayer;

/// The running exporter: flushed and stopped by [`Exporter::shutdown`].
pub struct Exporter {
    provider: SdkTracerProvider,
}

impl Exporter {
    /// Builds the exporter from the environment and the layer that feeds it.
    /// Runs inside the Tokio runtime: the batch processor is a task on it.
    pub fn start() -> Result<(Self, BoxedLayer), String> {
        for name in [
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
            "OTEL_EXPORTER_OTLP_PROTOCOL",
        ] {
            if let Ok(p) = std::env::var(name) {
                if p.trim() != "http/protobuf" {
                    return Err(format!(
                        "{name}={p} is not supported: this server exports OTLP over \
                         http/protobuf only"
                    ));
                }
                break;
            }
        }
        let exporter = SpanExporter::builder()
            .with_http()
            .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
            .build()
            .map_err(|e| format!("OTLP exporter: {e}"))?;
        let named = std::env::var("OTEL_SERVICE_NAME").is_ok()
            || std::env::var("OTEL_RESOURCE_ATTRIBUTES").is_ok_and(|a| {
                a.split(',')
                    .any(|kv| kv.trim().starts_with("service.name="))
            });
        let mut resource = Resource::builder();
        if !named {
            resource = resource.with_service_name("pos");
        }
        let provider = SdkTracerProvider::builder()
            .with_span_processor(BatchSpanProcessor::builder(exporter, Tokio).build())
            .with_resource(resource.build())
            .build();
        let layer = tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("pos"))
            .boxed();
        Ok((Self { provider }, layer))
    }

    /// Exports the spans still buffered, then stops.
    pub async fn shutdown(self) {
        let provider = self.provider;
        // The SDK blocks this thread until the processor task, on another
        // worker, has exported.
        let done = tokio::task::spawn_blocking(move || provider.shutdown()).await;
        if let Ok(Err(e)) = done {
            eprintln!("warning: OTLP exporter shutdown: {e}");
        }
    }
}

struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// Makes `span` a child of the trace named by the request's `traceparent`
/// (and `tracestate`) headers, when they carry one.
pub fn continue_trace(span: &tracing::Span, headers: &HeaderMap) {
    if !headers.contains_key("traceparent") {
        return;
    }
    let cx = TraceContextPropagator::new().extract(&Headers(headers));
    let _ = span.set_parent(cx);
}
