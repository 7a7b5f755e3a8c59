//! A live connection's sending side, as the hub holds it: a bounded queue to the
//! connection's writer task, and the signal that cuts a client that does not read.
//!
//! The hub never waits for a socket. A frame that finds the queue full is not queued:
//! the connection is cut instead (close 4003), and its session is held as on any drop.
//! A socket the server closes is read until the peer's close reply ([`read_until_close`]).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
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

impl Outgoing {
    /// A frame as the text sent on the socket.
    pub fn frame(frame: &lineup_protocol::ServerFrame) -> Outgoing {
        Outgoing::Text(frame_text(frame))
    }
}

/// After the server sent its close frame: what the peer still sends is read and dropped
/// until its close reply, for `deadline` at most. A socket dropped with frames unread is
/// reset, and the reset can reach the peer before the close frame does (a client's
/// requests then fail instead of going again elsewhere).
pub async fn read_until_close<S>(from_peer: &mut S, deadline: std::time::Duration)
where
    S: futures_util::Stream<Item = Result<axum::extract::ws::Message, axum::Error>> + Unpin,
{
    use futures_util::StreamExt;
    let _ = tokio::time::timeout(deadline, async {
        while let Some(Ok(m)) = from_peer.next().await {
            if matches!(m, axum::extract::ws::Message::Close(_)) {
                break;
            }
        }
    })
    .await;
}

/// A frame serialized once (shared by every recipient of a fan-out).
pub fn frame_text(frame: &lineup_protocol::ServerFrame) -> Arc<str> {
    serde_json::to_string(frame).expect("frames serialize").into()
}

/// The sending side of one connection.
#[derive(Clone, Debug)]
pub struct ConnTx {
    tx: mpsc::Sender<Outgoing>,
    cut: Arc<Notify>,
    queued: Arc<AtomicUsize>,
    max_bytes: usize,
}

/// What the writer holds of its queue: frames, the cut signal, the byte count.
pub struct ConnRx {
    pub rx: mpsc::Receiver<Outgoing>,
    pub cut: Arc<Notify>,
    pub taken: Taken,
}

/// The writer's side of the byte count.
pub struct Taken(Arc<AtomicUsize>);

impl Taken {
    /// The writer took a frame of `len` bytes off the queue.
    pub fn frame(&self, len: usize) {
        self.0.fetch_sub(len, Ordering::Relaxed);
    }
}

impl ConnTx {
    /// A queue of at most `frames` frames and `max_bytes` bytes of text.
    pub fn new(frames: usize, max_bytes: usize) -> (ConnTx, ConnRx) {
        let (tx, rx) = mpsc::channel(frames.max(1));
        let cut = Arc::new(Notify::new());
        let queued = Arc::new(AtomicUsize::new(0));
        (ConnTx { tx, cut: cut.clone(), queued: queued.clone(), max_bytes }, ConnRx { rx, cut, taken: Taken(queued) })
    }

    /// Which connection this is (the same for every clone).
    pub fn id(&self) -> usize {
        Arc::as_ptr(&self.cut) as usize
    }

    /// Queues a frame; when the queue is full (frames or bytes) the client is not
    /// reading: it is cut.
    pub fn send(&self, out: Outgoing) {
        let len = match &out {
            Outgoing::Text(t) => t.len(),
            Outgoing::Close { .. } => 0,
        };
        // Counted before it is queued: the reader subtracts what it takes, possibly on
        // another thread at once (counted after, the count could go below zero).
        let before = self.queued.fetch_add(len, Ordering::Relaxed);
        if before + len > self.max_bytes {
            self.queued.fetch_sub(len, Ordering::Relaxed);
            self.cut.notify_one();
            return;
        }
        match self.tx.try_send(out) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.queued.fetch_sub(len, Ordering::Relaxed);
                self.cut.notify_one();
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                self.queued.fetch_sub(len, Ordering::Relaxed);
            }
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
