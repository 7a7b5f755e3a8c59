# syntax=docker/dockerfile:1
#
# Lineup queue server image.
#
#   docker build -t lineup .
#   docker run -d --name lineup -p 8080:8080 -p 10000:10000/udp -p 10000:10000/tcp \
#     -e LINEUP_MEDIA_PUBLIC_IP=<the host's address browsers reach> \
#     -v lineup-data:/data --stop-timeout 30 lineup
#
# Calls' audio and video use UDP port 10000 (LINEUP_MEDIA_UDP), and TCP port 10000 for
# browsers whose network drops UDP (ICE over TCP, LINEUP_MEDIA_TCP); browsers are told
# LINEUP_MEDIA_PUBLIC_IP, which must be an address they reach (not the container's).
# Recordings (app setting recordCalls) are written under /data/recordings.
#
# SIGTERM (what `docker stop` sends) stops the server gracefully: the journal is
# flushed and WebSockets are closed with 1001 (going away), so clients resume on
# another start. Docker's default grace period is 10 s before SIGKILL; give it more
# with `docker run --stop-timeout 30` (or `stop_grace_period: 30s` in Compose).

# --- Build stage -------------------------------------------------------------------
# Builds the browser SDK (js/dist) first, then the server, which embeds www/ and
# js/dist at compile time (build.rs): the order matters.
FROM rust:1.95-bookworm AS build

# Node.js 20 and npm for the SDK package (wasm-opt from the npm `binaryen` package;
# js/'s lock file wants Node >= 20, Debian bookworm has 18).
COPY --from=node:20-bookworm-slim /usr/local/bin/node /usr/local/bin/node
COPY --from=node:20-bookworm-slim /usr/local/lib/node_modules /usr/local/lib/node_modules
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && node --version && npm --version

WORKDIR /src
COPY . .

# `cargo xtask sdk` installs what it needs by itself (the wasm32 target, the locked
# wasm-bindgen-cli, the npm packages of js/) and writes js/dist.
# The cache mounts keep downloads and build output between image builds; they are
# not part of the image, so js/dist (in /src/js, not in target/) is what carries over.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo xtask sdk

# The server, copied out of the cached target/ within the same RUN.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release -p lineup-server \
 && cp target/release/lineup-server /usr/local/bin/lineup-server

# --- Runtime stage -----------------------------------------------------------------
# A slim Debian with the one binary; SQLite is bundled in it. curl is for HEALTHCHECK;
# libstdc++6 for libwebm (recordings), which is C++.
FROM debian:bookworm-slim

RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl libstdc++6 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 lineup \
 && useradd --system --uid 10001 --gid lineup --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin lineup \
 && mkdir -p /data \
 && chown lineup:lineup /data

COPY --from=build /usr/local/bin/lineup-server /usr/local/bin/lineup-server

# The SQLite journal and snapshots. Owned by lineup before VOLUME, so a new named
# volume starts out writable by the server.
VOLUME /data

ENV LINEUP_DATA=/data \
    LINEUP_LISTEN=0.0.0.0:8080 \
    LINEUP_MEDIA_UDP=0.0.0.0:10000 \
    LINEUP_LOG_FORMAT=json
# Set at run time, not here: LINEUP_ADMIN_KEY, LINEUP_METRICS_TOKEN, LINEUP_CORS_ORIGIN,
# LINEUP_WEBHOOK_ALLOW, LINEUP_MEDIA_PUBLIC_IP (see deploy/lineup.env.example and
# `lineup-server --help`).

EXPOSE 8080 10000/udp 10000/tcp
USER lineup

# /healthz is a round trip through the hub, which checks the store.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1

# Exec form: the server is PID 1 and gets SIGTERM itself.
# Exit code 70: the journal could not be written; use `--restart on-failure`.
ENTRYPOINT ["/usr/local/bin/lineup-server"]
