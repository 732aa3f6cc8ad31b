# The shop as a container image (for docker-compose.yml and ECS). Build with a backend:
#   docker build --build-arg FEATURES=otel -t shop .
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
ARG FEATURES=""
RUN cargo build --release --locked -p shop ${FEATURES:+--features "$FEATURES"}

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/shop /usr/local/bin/shop
# glibc's allocator with fixed thresholds: blocks over 128 KiB are mapped and unmapped, and the
# heap is trimmed above 128 KiB free. With glibc's adaptive defaults the freed export buffers
# stayed resident: the otel build held 100-200 MiB more than noop (docs/targets.md#t-rss).
ENV SHOP_LISTEN=0.0.0.0:8080 \
    SHOP_DATA_DIR=/data \
    GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=131072
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:8080/api/health || exit 1
ENTRYPOINT ["/usr/local/bin/shop"]
