-- The demo app a node seeded on the cluster's first start: only that app mints demo
-- tokens (POST /api/v1/demo/token), not an app an administrator named "demo".
ALTER TABLE apps ADD COLUMN demo boolean NOT NULL DEFAULT false;
