//! How a cluster node keeps an app's recordings ([`ClusterKeeper`], a
//! [`crate::recorder::Keep`]), and the `recording` event made at the app's owner
//! ([`store_finished`]).

use std::sync::Arc;

use crate::recording::{enqueue, index};
use crate::store::recordings::RecordingRow;

/// How a cluster node keeps an app's recordings: the row, naming this node, into the
/// cluster's index in PostgreSQL; the webhook deliveries into the app's outbox through
/// its hub (they go with the hub's turn to PostgreSQL, under its lease) — this node's
/// hub, or, once the app has moved, its owner's (`POST /cluster/recordings/…`).
pub struct ClusterKeeper {
    pub node: Arc<super::node::ClusterNode>,
    pub hub: crate::hub::HubHandle,
    pub runtime: tokio::runtime::Handle,
}

/// How long a recording's event is offered to the app's owner (the node's stop waits
/// for its recorders, within the media task's few seconds).
const TELL_WITHIN: std::time::Duration = std::time::Duration::from_secs(4);

impl crate::recorder::Keep for ClusterKeeper {
    fn keep(&mut self, row: &RecordingRow) -> Result<(), String> {
        let mut row = row.clone();
        row.node = self.node.settings.node_id.clone();
        index::insert_pg(&self.node.pg, &row)?;
        if let Err(e) = self.runtime.block_on(self.tell(&row)) {
            // The row is kept; only its event is not.
            tracing::warn!(recording = %row.id, "recording kept, its webhook event not stored: {e}");
        }
        Ok(())
    }
}

impl ClusterKeeper {
    /// The `recording` event into the outbox of the app's hub, wherever it runs now:
    /// the owner makes it from the row in the index (the node names only the recording).
    async fn tell(&self, row: &RecordingRow) -> Result<(), String> {
        use super::node::Owner;
        use std::time::{Duration, Instant};
        let deadline = Instant::now() + TELL_WITHIN;
        let mut why = String::from("no node serves the app");
        let mut owner = Owner::Here(self.hub.clone());
        loop {
            match owner {
                Owner::Here(hub) => match store_finished(&hub, &row.app, &row.id, &row.node).await {
                    Ok(()) => return Ok(()),
                    Err(e) => why = e,
                },
                Owner::There(addr) => {
                    let url = format!("http://{addr}/cluster/recordings/{}/{}", row.app, row.id);
                    let credential = super::link::credential(&self.node.settings.secret, &self.node.settings.node_id);
                    let sent = self
                        .node
                        .http
                        .post(url)
                        .header(super::link::NODE_HEADER, credential)
                        .timeout(Duration::from_secs(2))
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status().is_success() => return Ok(()),
                        Ok(r) => why = format!("the owner answered {}", r.status()),
                        Err(e) => why = e.to_string(),
                    }
                }
                Owner::Nowhere | Owner::Unknown => {}
            }
            if Instant::now() + Duration::from_millis(200) >= deadline {
                return Err(why);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            owner = self.node.owner_within(&row.app, Duration::from_secs(1)).await;
        }
    }
}

/// The `recording` event of recording `id` of `app`, made from its row in the index,
/// into the outbox of `app`'s hub. Err when that hub does not take it (it stopped: the
/// app moved), or when the row is not there or not kept by `node`.
pub async fn store_finished(hub: &crate::hub::HubHandle, app: &str, id: &str, node: &str) -> Result<(), String> {
    let (app, id, node) = (app.to_string(), id.to_string(), node.to_string());
    let stored = hub
        .call(move |hub| {
            let row = hub.recordings().get(&app, &id)?.ok_or_else(|| format!("no recording '{id}' of {app}"))?;
            if row.node != node {
                return Err(format!("recording '{id}' is kept by node {}, not {node}", row.node));
            }
            let stored = enqueue(hub.store.conn(), &row).map_err(|e| e.to_string())?;
            if stored > 0 {
                hub.wake_webhooks = true;
            }
            Ok(())
        })
        .await;
    stored.map_err(|e| e.to_string())?
}
