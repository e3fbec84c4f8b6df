# syntax=docker/dockerfile:1

# Dependencies are cooked in their own layer (cargo-chef), so a source
# change rebuilds only this crate.
FROM rust:1.95-slim-bookworm AS chef
RUN cargo install cargo-chef --locked --version 0.1.78
WORKDIR /app

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
# Cargo features: `--build-arg POS_FEATURES=otel` adds OTLP export (README
# "Tracing"), still off until OTEL_EXPORTER_OTLP_ENDPOINT is set.
ARG POS_FEATURES=""
COPY --from=planner /app/recipe.json recipe.json
RUN cargo chef cook --release --locked --recipe-path recipe.json --bin pos --features "$POS_FEATURES"
COPY . .
RUN cargo build --release --locked --bin pos --features "$POS_FEATURES" \
 && mkdir -p /data

# Distroless: glibc, CA certificates and nothing else; no shell.
FROM gcr.io/distroless/cc-debian12:nonroot AS runtime
COPY --from=builder /app/target/release/pos /usr/local/bin/pos
COPY --from=builder --chown=65532:65532 /data /data
WORKDIR /data
ENV POS_ENV=production \
    POS_LISTEN=0.0.0.0:8000 \
    POS_LOG_FORMAT=json \
    POS_DATABASE_URL=sqlite:///data/pos.db?mode=rwc
EXPOSE 8000
USER 65532:65532
HEALTHCHECK --interval=10s --timeout=5s --start-period=15s --retries=3 \
  CMD ["/usr/local/bin/pos", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/pos"]
CMD ["serve"]
