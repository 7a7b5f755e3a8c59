//! Limits per source address: concurrent connections, connections that have not logged
//! in yet, and failed credential checks (a token bucket: a burst, then a steady rate;
//! past it, 429 with `Retry-After`). Loopback is counted like any other address.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::config::Config;

/// Entries kept per table before idle ones are pruned.
const PRUNE_AT: usize = 10_000;

/// The per-address counters of a server.
pub struct Limits {
    max_connections: u32,
    max_pre_login: u32,
    burst: f64,
    per_s: f64,
    connections: Mutex<HashMap<IpAddr, u32>>,
    pre_login: Mutex<HashMap<IpAddr, u32>>,
    failures: Mutex<HashMap<IpAddr, Bucket>>,
    /// Cluster mode: the other nodes' addresses, whose connections (each carrying a
    /// client that node counted already) are never refused.
    nodes: std::sync::RwLock<std::collections::HashSet<IpAddr>>,
    /// WebSockets open now (an upgraded connection leaves hyper's count: a stop waits
    /// for these to send their close frames before the process ends).
    sockets: tokio::sync::watch::Sender<usize>,
}

/// Counts one open WebSocket until dropped.
#[must_use]
pub struct OpenSocket {
    limits: Arc<Limits>,
}

impl Drop for OpenSocket {
    fn drop(&mut self) {
        self.limits.sockets.send_modify(|n| *n -= 1);
    }
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Holds one slot of a per-address count; frees it when dropped.
#[must_use]
pub struct Slot {
    limits: Arc<Limits>,
    ip: IpAddr,
    pre_login: bool,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let table = if self.pre_login { &self.limits.pre_login } else { &self.limits.connections };
        let mut table = table.lock().expect("limits lock");
        if let Some(n) = table.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                table.remove(&self.ip);
            }
        }
    }
}

impl Limits {
    pub fn new(config: &Config) -> Arc<Limits> {
        Arc::new(Limits {
            max_connections: config.max_connections_per_ip,
            max_pre_login: config.max_pre_login_per_ip,
            burst: f64::from(config.failed_logins_burst),
            per_s: f64::from(config.failed_logins_per_minute) / 60.0,
            connections: Mutex::default(),
            pre_login: Mutex::default(),
            failures: Mutex::default(),
            nodes: Default::default(),
            sockets: tokio::sync::watch::Sender::new(0),
        })
    }

    /// Counts a WebSocket as open until the guard drops.
    pub fn open_socket(self: &Arc<Self>) -> OpenSocket {
        self.sockets.send_modify(|n| *n += 1);
        OpenSocket { limits: self.clone() }
    }

    /// Completes once no WebSocket is open.
    pub async fn sockets_closed(&self) {
        let mut rx = self.sockets.subscribe();
        let _ = rx.wait_for(|n| *n == 0).await;
    }

    /// The addresses of the cluster's nodes now.
    pub fn set_nodes(&self, ips: std::collections::HashSet<IpAddr>) {
        *self.nodes.write().unwrap_or_else(|e| e.into_inner()) = ips;
    }

    fn is_node(&self, ip: IpAddr) -> bool {
        self.nodes.read().unwrap_or_else(|e| e.into_inner()).contains(&ip)
    }

    fn take(self: &Arc<Self>, ip: IpAddr, pre_login: bool) -> Option<Slot> {
        let (table, max) =
            if pre_login { (&self.pre_login, self.max_pre_login) } else { (&self.connections, self.max_connections) };
        let max = if !pre_login && self.is_node(ip) { u32::MAX } else { max };
        let mut table = table.lock().expect("limits lock");
        let n = table.entry(ip).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(Slot { limits: self.clone(), ip, pre_login })
    }

    /// A TCP connection from `ip`, if it has fewer than the limit open.
    pub fn connection(self: &Arc<Self>, ip: IpAddr) -> Option<Slot> {
        self.take(ip, false)
    }

    /// A WebSocket from `ip` that has not logged in yet, if it has fewer than the limit.
    pub fn pre_login(self: &Arc<Self>, ip: IpAddr) -> Option<Slot> {
        self.take(ip, true)
    }

    /// Seconds until `ip` may try credentials again, if it is throttled now.
    pub fn throttled(&self, ip: IpAddr) -> Option<u64> {
        let mut table = self.failures.lock().expect("limits lock");
        let bucket = table.get_mut(&ip)?;
        self.refill(bucket);
        (bucket.tokens < 1.0).then(|| ((1.0 - bucket.tokens) / self.per_s).ceil().max(1.0) as u64)
    }

    /// `ip` presented wrong credentials.
    pub fn failed(&self, ip: IpAddr) {
        let mut table = self.failures.lock().expect("limits lock");
        if table.len() >= PRUNE_AT {
            let now = Instant::now();
            let full = self.burst;
            let per_s = self.per_s;
            table.retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * per_s < full);
        }
        let bucket = table.entry(ip).or_insert(Bucket { tokens: self.burst, at: Instant::now() });
        self.refill(bucket);
        bucket.tokens = (bucket.tokens - 1.0).max(0.0);
    }

    fn refill(&self, b: &mut Bucket) {
        let now = Instant::now();
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * self.per_s).min(self.burst);
        b.at = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_counted_and_freed() {
        let config = Config { max_pre_login_per_ip: 2, ..Config::default() };
        let limits = Limits::new(&config);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let a = limits.pre_login(ip).unwrap();
        let _b = limits.pre_login(ip).unwrap();
        assert!(limits.pre_login(ip).is_none());
        assert!(limits.pre_login("192.0.2.2".parse().unwrap()).is_some(), "per address");
        drop(a);
        assert!(limits.pre_login(ip).is_some());
    }

    #[test]
    fn a_cluster_node_is_not_refused_for_its_many_connections() {
        let limits = Limits::new(&Config { max_connections_per_ip: 1, ..Config::default() });
        let node: IpAddr = "10.0.0.2".parse().unwrap();
        let _one = limits.connection(node).unwrap();
        assert!(limits.connection(node).is_none(), "an address at its limit");
        limits.set_nodes([node].into_iter().collect());
        let more: Vec<Slot> = (0..10).map(|_| limits.connection(node).expect("a node's connection")).collect();
        assert_eq!(more.len(), 10);
        assert!(limits.pre_login(node).is_some(), "pre-login counts stay as they were");
    }

    #[test]
    fn failures_past_the_burst_are_throttled() {
        let config = Config { failed_logins_burst: 3, failed_logins_per_minute: 6, ..Config::default() };
        let limits = Limits::new(&config);
        let ip: IpAddr = "192.0.2.9".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(limits.throttled(ip), None);
            limits.failed(ip);
        }
        let wait = limits.throttled(ip).expect("throttled after the burst");
        assert!((1..=10).contains(&wait), "{wait}");
    }
}

/// The peer address of a request, when the listener recorded it.
pub struct Peer(pub Option<std::net::SocketAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Peer(parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0)))
    }
}
