//! Logging: text for people, JSON for collectors (`POS_LOG_FORMAT=json`).
//! Every line inside a request carries its request id through the span.
//!
//! Builds with the `otel` cargo feature can also export the same spans
//! (per request, per resolver, per statement) over OTLP; the standard
//! `OTEL_*` variables configure it, and it is off unless an OTLP endpoint
//! is set ([`otel`]).

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

use crate::config::LogFormat;

#[cfg(feature = "otel")]
pub mod otel;

/// The registry behind the one filter every layer shares.
type Filtered = tracing_subscriber::layer::Layered<EnvFilter, Registry>;
type BoxedLayer = Box<dyn Layer<Filtered> + Send + Sync>;

/// What [`init`] installed that must be flushed before the process exits.
#[must_use = "call shutdown before exiting, or buffered spans are lost"]
pub struct Telemetry {
    #[cfg(feature = "otel")]
    otel: Option<otel::Exporter>,
}

/// Whether the environment asks for OTLP export
/// (`OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`,
/// and neither `OTEL_SDK_DISABLED=true` nor `OTEL_TRACES_EXPORTER=none`).
pub fn otlp_requested() -> bool {
    let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
    let is = |name: &str, value: &str| {
        std::env::var(name).is_ok_and(|v| v.trim().eq_ignore_ascii_case(value))
    };
    (set("OTEL_EXPORTER_OTLP_ENDPOINT") || set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
        && !is("OTEL_SDK_DISABLED", "true")
        && !is("OTEL_TRACES_EXPORTER", "none")
}

/// Installs the global subscriber. With the `otel` feature and an OTLP
/// endpoint configured it must run inside the Tokio runtime, which drives
/// the exporter. Fails only on an OTLP configuration it cannot use.
pub fn init(format: LogFormat) -> Result<Telemetry, String> {
    let filter = EnvFilter::try_from_env("POS_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    #[cfg_attr(not(feature = "otel"), allow(unused_mut))]
    let mut layers: Vec<BoxedLayer> = vec![match format {
        LogFormat::Json => fmt
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .boxed(),
        LogFormat::Text => fmt.boxed(),
    }];
    #[cfg(feature = "otel")]
    let otel = if otlp_requested() {
        let (exporter, layer) = otel::Exporter::start()?;
        layers.push(layer);
        Some(exporter)
    } else {
        None
    };
    // One global filter, not a per-layer one: a per-layer filter keeps a
    // thread-local "filtered out" mark from an `enabled!` check with no
    // event after it (sqlx asks before logging each statement), and then
    // drops the next event on that thread. On PostgreSQL, whose driver
    // runs on the request's own thread, that was the "serving" line.
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(layers)
        .try_init();
    if cfg!(not(feature = "otel")) && otlp_requested() {
        tracing::warn!(
            "OTEL_EXPORTER_OTLP_* is set, but this build has no OTLP export \
             (build with `--features otel`); spans are not exported"
        );
    }
    Ok(Telemetry {
        #[cfg(feature = "otel")]
        otel,
    })
}

impl Telemetry {
    /// Exports what is still buffered. Call before the runtime stops.
    pub async fn shutdown(self) {
        #[cfg(feature = "otel")]
        if let Some(exporter) = self.otel {
            exporter.shutdown().await;
        }
    }
}
