//! The WebSocket connection: a task that owns the socket, writes what the core sends
//! and hands every text frame to the core. Dropping the sender closes the socket.

use std::cell::RefCell;
use std::rc::Weak;

use futures_channel::mpsc::{unbounded, UnboundedReceiver, UnboundedSender};
use futures_util::future::{select, Either};
use futures_util::{SinkExt, StreamExt};
use gloo_net::websocket::futures::WebSocket;
use gloo_net::websocket::{Message, WebSocketError};

use crate::core::{on_closed, on_frame, Inner};

/// The sending side of a live connection. Dropping it closes the socket.
pub struct Connection {
    out: UnboundedSender<String>,
}

impl Connection {
    /// Opens `url` and starts the connection task for generation `gen`.
    pub fn open(url: &str, core: Weak<RefCell<Inner>>, gen: u32) -> Result<Connection, String> {
        let ws = WebSocket::open(url).map_err(|e| format!("cannot open {url}: {e}"))?;
        let (out, rx) = unbounded();
        wasm_bindgen_futures::spawn_local(run(ws, rx, core, gen));
        Ok(Connection { out })
    }

    /// Queues a text frame; false if the connection is gone.
    pub fn send(&self, text: String) -> bool {
        self.out.unbounded_send(text).is_ok()
    }
}

async fn run(ws: WebSocket, mut rx: UnboundedReceiver<String>, core: Weak<RefCell<Inner>>, gen: u32) {
    let (mut sink, mut stream) = ws.split();
    let mut close_code = 1006;
    loop {
        match select(rx.next(), stream.next()).await {
            Either::Left((Some(text), _)) => {
                if sink.send(Message::Text(text)).await.is_err() {
                    break;
                }
            }
            Either::Left((None, _)) => {
                close_code = 1000;
                break;
            }
            Either::Right((Some(Ok(Message::Text(text))), _)) => on_frame(&core, gen, &text),
            Either::Right((Some(Ok(Message::Bytes(_))), _)) => {}
            Either::Right((Some(Err(WebSocketError::ConnectionClose(e))), _)) => {
                close_code = e.code;
                break;
            }
            Either::Right((Some(Err(_)), _)) | Either::Right((None, _)) => break,
        }
    }
    drop(sink);
    drop(stream);
    on_closed(&core, gen, close_code);
}
