//! A live connection's sending side, as the hub holds it: a bounded queue to the
//! connection's writer task, and the signal that cuts a client that does not read.
//!
//! The hub never waits for a socket. A frame that finds the queue full is not queued:
//! the connection is cut instead (close 4003), and its session is held as on any drop.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::{mpsc, Notify};

/// Close code for a client that fell too far behind reading its socket.
pub const CLOSE_TOO_SLOW: u16 = 4003;
/// Close code for a connection that sent no `Login` or `Resume` in time.
pub const CLOSE_LOGIN_TIMEOUT: u16 = 4004;

/// What a connection's writer sends.
#[derive(Clone, Debug)]
pub enum Outgoing {
    Text(Arc<str>),
    Close { code: u16, reason: String },
}

/// The sending side of one connection.
#[derive(Clone, Debug)]
pub struct ConnTx {
    tx: mpsc::Sender<Outgoing>,
    cut: Arc<Notify>,
}

impl ConnTx {
    /// A queue of `capacity` frames; the writer gets the receiver and the cut signal.
    pub fn new(capacity: usize) -> (ConnTx, mpsc::Receiver<Outgoing>, Arc<Notify>) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let cut = Arc::new(Notify::new());
        (ConnTx { tx, cut: cut.clone() }, rx, cut)
    }

    /// Queues a frame; when the queue is full the client is not reading: it is cut.
    pub fn send(&self, out: Outgoing) {
        if let Err(mpsc::error::TrySendError::Full(_)) = self.tx.try_send(out) {
            self.cut.notify_one();
        }
    }
}

/// A live WebSocket connection bound to a session.
pub struct Conn {
    pub id: u64,
    pub tx: ConnTx,
}

static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

/// A fresh connection id.
pub fn next_conn_id() -> u64 {
    NEXT_CONN.fetch_add(1, Ordering::Relaxed)
}
