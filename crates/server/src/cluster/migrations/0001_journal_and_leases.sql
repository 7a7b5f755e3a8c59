-- Lineup cluster schema, version 1: the nodes, the apps' leases and their journals.
--
-- app_leases: one row per app; its owner node, the fencing epoch (raised at every
-- change of owner) and when the lease runs out, on the database clock.
CREATE TABLE app_leases (
    app TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    epoch BIGINT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

-- journal: the app's engine steps, in order from 1; each written under the epoch of
-- the lease its writer held.
CREATE TABLE journal (
    app TEXT NOT NULL,
    seq BIGINT NOT NULL,
    epoch BIGINT NOT NULL,
    at_ms BIGINT NOT NULL,
    step BYTEA NOT NULL,
    PRIMARY KEY (app, seq)
);

-- snapshots: the app's engine state after journal step seq (older ones trimmed).
CREATE TABLE snapshots (
    app TEXT NOT NULL,
    seq BIGINT NOT NULL,
    epoch BIGINT NOT NULL,
    at_ms BIGINT NOT NULL,
    state BYTEA NOT NULL,
    PRIMARY KEY (app, seq)
);

-- resume_tokens: the app's sessions' resume tokens, by hash.
CREATE TABLE resume_tokens (
    app TEXT NOT NULL,
    hash TEXT NOT NULL,
    session BIGINT NOT NULL,
    PRIMARY KEY (app, hash)
);

-- used_tickets: login tickets used, kept until they expire.
CREATE TABLE used_tickets (
    app TEXT NOT NULL,
    id TEXT NOT NULL,
    exp_s BIGINT NOT NULL,
    PRIMARY KEY (app, id)
);

-- nodes: every node of the cluster, the address other nodes reach it at, and its last
-- heartbeat (database clock); a node shutting down marks itself leaving first.
CREATE TABLE nodes (
    id TEXT PRIMARY KEY,
    addr TEXT NOT NULL,
    seen_at TIMESTAMPTZ NOT NULL,
    leaving BOOLEAN NOT NULL DEFAULT false
);

-- apps: every app of the cluster (each is placed on one node).
CREATE TABLE apps (
    id TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
