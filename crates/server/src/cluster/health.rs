//! A cluster node's health (`GET /healthz`) and scrape-time figures (`/metrics`): the
//! database and every app hub it runs.

use std::time::Duration;

use super::node::ClusterNode;

/// `GET /healthz` in cluster mode: whether the database answers, and so does every
/// app hub here; the node's report.
pub async fn health(node: &ClusterNode) -> (bool, serde_json::Value) {
    let pg = node.pg.clone();
    let db = tokio::time::timeout(
        Duration::from_secs(2),
        tokio::task::spawn_blocking(move || pg.query(|c| c.simple_query("SELECT 1"))),
    );
    let db = match db.await {
        Ok(Ok(Ok(_))) => "ok".to_string(),
        Ok(Ok(Err(e))) => e.to_string(),
        _ => "no answer within 2 s".to_string(),
    };
    let mut sessions = 0;
    let mut failing = Vec::new();
    let apps = node.apps_here();
    for app in &apps {
        let Some(hub) = node.registry.hub(app) else {
            continue;
        };
        match tokio::time::timeout(Duration::from_secs(2), hub.call(|hub| hub.health())).await {
            Ok(Ok(Ok(h))) => sessions += h.sessions,
            _ => failing.push(app.clone()),
        }
    }
    let ok = db == "ok" && failing.is_empty();
    let body = serde_json::json!({
        "status": if ok { "ok" } else { "unavailable" }, "database": db, "node": node.settings.node_id,
        "apps": apps, "failingApps": failing, "sessions": sessions,
    });
    (ok, body)
}

/// The scrape-time figures of every app hub here, together.
pub async fn monitor(node: &ClusterNode) -> (crate::metrics::Monitor, u64) {
    let mut all = crate::metrics::Monitor::default();
    let mut depth = 0;
    for app in node.apps_here() {
        let Some(hub) = node.registry.hub(&app) else {
            continue;
        };
        depth += hub.queue_depth();
        if let Ok(Ok(m)) = tokio::time::timeout(Duration::from_secs(5), hub.call(|hub| hub.monitor())).await {
            all.merge(m);
        }
    }
    (all, depth)
}
