-- recordings: the index of every app's call recordings on a cluster. A recording's file
-- stays on the node that recorded it (in that node's --data directory); `node_id` says
-- which, so any node can list the recordings and fetch a file from that node.
CREATE TABLE recordings (
    app TEXT NOT NULL,
    id TEXT NOT NULL,
    node_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    meet_id BIGINT NOT NULL,
    started_ms BIGINT NOT NULL,
    ended_ms BIGINT NOT NULL,
    duration_ms BIGINT NOT NULL,
    bytes BIGINT NOT NULL,
    tracks TEXT NOT NULL,
    file TEXT NOT NULL,
    PRIMARY KEY (app, id)
);
CREATE INDEX recordings_by_start ON recordings (app, started_ms);
