-- report_rows: the ended report intervals of each app (per queue and per agent, one
-- JSON object per row), written in the app's journal turn that closed the interval and
-- pruned after the server's report retention.
CREATE TABLE report_rows (
    app TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    start_ms BIGINT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (app, kind, start_ms, subject)
);
