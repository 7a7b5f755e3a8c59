-- app_rows: the rows of an app hub's own tables that outlive the hub (the webhook
-- subscriptions and the outbox), one JSON object per row, written in the app's journal
-- turns (under the lease check) and loaded by the app's next owner.
CREATE TABLE app_rows (
    app TEXT NOT NULL,
    tbl TEXT NOT NULL,
    id BIGINT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (app, tbl, id)
);
