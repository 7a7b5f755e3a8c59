//! ICE over TCP for the media task (RFC 6544, framing RFC 4571): browsers whose network
//! lets no UDP out open a TCP connection to the SFU's passive TCP candidate and send
//! their packets as frames (a 2-byte big-endian length, then the packet).
//!
//! Each accepted connection has a reader task (frames in, to the media task) and a
//! writer task (frames out, from a bounded queue). Everything is bounded: at most
//! [`MAX_CONNECTIONS`] connections, frames of at most [`MAX_FRAME`] bytes, a queue of
//! [`QUEUE`] frames per connection (a frame that does not fit is dropped, as a datagram
//! would be), a connection silent for [`IDLE`] is closed, and a peer that does not read
//! is cut once a write has waited [`WRITE_TIMEOUT`].

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// The most ICE-TCP connections at once.
pub const MAX_CONNECTIONS: usize = 1024;
/// The largest frame taken or sent (a media packet is at most about 1,500 bytes).
pub const MAX_FRAME: usize = 4096;
/// Frames queued to one connection.
pub const QUEUE: usize = 512;
/// A connection that sends nothing this long is closed (ICE sends a check every few
/// seconds at most).
pub const IDLE: Duration = Duration::from_secs(30);
/// A peer that has not taken a frame this long is cut.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// What the connections tell the media task.
pub enum TcpEvent {
    /// A frame from `source` (without its length).
    Packet { source: SocketAddr, contents: Vec<u8> },
    /// The connection `id` from `source` ended.
    Closed { source: SocketAddr, id: u64 },
}

/// The open connections, by the browser's address.
#[derive(Default)]
pub struct TcpConnections {
    out: HashMap<SocketAddr, (u64, mpsc::Sender<Vec<u8>>)>,
    next_id: u64,
}

impl TcpConnections {
    /// Takes an accepted connection: its reader sends to `events`.
    pub fn accept(&mut self, stream: TcpStream, source: SocketAddr, events: &mpsc::Sender<TcpEvent>) {
        if self.out.len() >= MAX_CONNECTIONS {
            tracing::warn!(%source, "media TCP: {MAX_CONNECTIONS} connections open, refusing one more");
            return;
        }
        let _ = stream.set_nodelay(true);
        let (read, write) = stream.into_split();
        let (tx, rx) = mpsc::channel(QUEUE);
        self.next_id += 1;
        let id = self.next_id;
        self.out.insert(source, (id, tx));
        let reader = tokio::spawn(read_frames(read, source, id, events.clone()));
        tokio::spawn(write_frames(write, rx, reader.abort_handle(), source, id, events.clone()));
    }

    /// Queues a frame to the connection from `destination`; false when there is none or
    /// its queue is full (the packet is lost, as a datagram can be).
    pub fn send(&self, destination: SocketAddr, contents: Vec<u8>) -> bool {
        contents.len() <= MAX_FRAME && self.out.get(&destination).is_some_and(|(_, tx)| tx.try_send(contents).is_ok())
    }

    /// The connection `id` from `source` ended: its writer stops (a newer connection
    /// from the same address stays).
    pub fn closed(&mut self, source: SocketAddr, id: u64) {
        if self.out.get(&source).is_some_and(|(open, _)| *open == id) {
            self.out.remove(&source);
        }
    }

    pub fn len(&self) -> usize {
        self.out.len()
    }
}

/// Accepts the next connection (never, without a listener).
pub async fn next_connection(listener: Option<&TcpListener>) -> Option<(TcpStream, SocketAddr)> {
    match listener {
        Some(l) => l.accept().await.ok(),
        None => std::future::pending().await,
    }
}

async fn read_frames(
    mut read: tokio::net::tcp::OwnedReadHalf,
    source: SocketAddr,
    id: u64,
    events: mpsc::Sender<TcpEvent>,
) {
    let mut len = [0u8; 2];
    loop {
        let frame = async {
            read.read_exact(&mut len).await.ok()?;
            let n = usize::from(u16::from_be_bytes(len));
            if n == 0 || n > MAX_FRAME {
                return None; // not ICE-TCP: cut
            }
            let mut contents = vec![0u8; n];
            read.read_exact(&mut contents).await.ok()?;
            Some(contents)
        };
        let Ok(Some(contents)) = tokio::time::timeout(IDLE, frame).await else { break };
        if events.send(TcpEvent::Packet { source, contents }).await.is_err() {
            return; // the media task stopped
        }
    }
    let _ = events.send(TcpEvent::Closed { source, id }).await;
}

async fn write_frames(
    mut write: tokio::net::tcp::OwnedWriteHalf,
    mut frames: mpsc::Receiver<Vec<u8>>,
    reader: tokio::task::AbortHandle,
    source: SocketAddr,
    id: u64,
    events: mpsc::Sender<TcpEvent>,
) {
    while let Some(contents) = frames.recv().await {
        let mut framed = Vec::with_capacity(contents.len() + 2);
        framed.extend_from_slice(&(contents.len() as u16).to_be_bytes());
        framed.extend_from_slice(&contents);
        match tokio::time::timeout(WRITE_TIMEOUT, write.write_all(&framed)).await {
            Ok(Ok(())) => {}
            _ => {
                // An error, or a peer that does not read: the connection is cut.
                reader.abort();
                let _ = events.send(TcpEvent::Closed { source, id }).await;
                return;
            }
        }
    }
    let _ = write.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn pair() -> (TcpConnections, mpsc::Receiver<TcpEvent>, TcpStream, SocketAddr) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        let (stream, source) = listener.accept().await.unwrap();
        let (events, rx) = mpsc::channel(16);
        let mut conns = TcpConnections::default();
        conns.accept(stream, source, &events);
        (conns, rx, client, source)
    }

    #[tokio::test]
    async fn frames_go_both_ways_with_their_length() {
        let (conns, mut rx, mut client, source) = pair().await;
        client.write_all(&[0, 3, b'a', b'b', b'c', 0, 1, b'd']).await.unwrap();
        for want in [&b"abc"[..], b"d"] {
            match rx.recv().await.unwrap() {
                TcpEvent::Packet { source: s, contents } => assert_eq!((s, contents.as_slice()), (source, want)),
                TcpEvent::Closed { .. } => panic!("closed"),
            }
        }
        assert!(conns.send(source, b"xyz".to_vec()));
        let mut got = [0u8; 5];
        client.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, &[0, 3, b'x', b'y', b'z']);
        assert!(!conns.send(source, vec![0; MAX_FRAME + 1]), "too large to send");
        assert!(!conns.send("127.0.0.1:9".parse().unwrap(), b"x".to_vec()), "no such connection");
    }

    #[tokio::test]
    async fn a_frame_too_large_or_empty_cuts_the_connection() {
        for bad in [[0xff, 0xff], [0, 0]] {
            let (mut conns, mut rx, mut client, source) = pair().await;
            client.write_all(&bad).await.unwrap();
            match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await.unwrap().unwrap() {
                TcpEvent::Closed { source: s, id } => {
                    assert_eq!(s, source);
                    conns.closed(s, id);
                    assert_eq!(conns.len(), 0);
                }
                TcpEvent::Packet { .. } => panic!("a packet from {bad:?}"),
            }
            // The server's side is closed: the client reads the end.
            let mut rest = Vec::new();
            let n = tokio::time::timeout(Duration::from_secs(5), client.read_to_end(&mut rest)).await.unwrap();
            assert!(n.is_ok_and(|n| n == 0) || rest.is_empty());
        }
    }

    #[tokio::test]
    async fn a_peer_that_does_not_read_fills_only_its_queue() {
        let (conns, _rx, _client, source) = pair().await;
        // The client never reads: the socket buffers fill, then the queue; after that
        // every frame is refused (dropped) instead of growing memory.
        let mut refused = 0;
        for _ in 0..20_000 {
            if !conns.send(source, vec![7; MAX_FRAME]) {
                refused += 1;
            }
            tokio::task::yield_now().await;
        }
        assert!(refused > 0, "the queue is bounded");
    }
}
