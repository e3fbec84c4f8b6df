# syntax=docker/dockerfile:1

# The registry and the build directory are BuildKit cache mounts, so a
# rebuild after a source change compiles only what changed. The `dist`
# profile (thin LTO) is what ships; `release` is the quicker developer build.
FROM rust:1.95-slim-bookworm AS builder
# Cargo features: `--build-arg POS_FEATURES=otel` adds OTLP export (README
# "Tracing"), still off until OTEL_EXPORTER_OTLP_ENDPOINT is set.
ARG POS_FEATURES=""
WORKDIR /app
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/app/target \
    cargo build --profile dist --locked --bin pos --features "$POS_FEATURES" \
 && cp target/dist/pos /usr/local/bin/pos \
 && mkdir -p /data

# Distroless: glibc, CA certificates and nothing else; no shell.
FROM gcr.io/distroless/cc-debian12:nonroot AS runtime
COPY --from=builder /usr/local/bin/pos /usr/local/bin/pos
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
