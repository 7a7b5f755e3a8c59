//! The WebSocket connection: an owned handle on a browser `WebSocket` and the callbacks
//! it calls. Text frames go to the core; frames sent before the socket is open wait
//! for it. Dropping the handle detaches the callbacks and closes the socket.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use wasm_bindgen::prelude::*;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

use crate::core::{on_closed, on_frame, Inner};

/// A live connection. Dropping it closes the socket.
pub struct Connection {
    ws: WebSocket,
    /// Frames sent while the socket was still connecting.
    early: Rc<RefCell<Vec<String>>>,
    _on_open: Closure<dyn FnMut()>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl Connection {
    /// Opens `url` for connection generation `gen` of the core.
    pub fn open(url: &str, core: Weak<RefCell<Inner>>, gen: u32) -> Result<Connection, String> {
        let ws = WebSocket::new(url)
            .map_err(|e| ["cannot open ", url, ": ", &crate::interop::error_message(&e)].concat())?;
        let early: Rc<RefCell<Vec<String>>> = Rc::default();
        let on_open = {
            let (ws, early) = (ws.clone(), early.clone());
            Closure::<dyn FnMut()>::new(move || {
                for text in early.borrow_mut().drain(..) {
                    let _ = ws.send_with_str(&text);
                }
            })
        };
        let on_message = {
            let core = core.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
                if let Some(text) = e.data().as_string() {
                    on_frame(&core, gen, &text);
                }
            })
        };
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| on_closed(&core, gen, e.code()));
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        Ok(Connection { ws, early, _on_open: on_open, _on_message: on_message, _on_close: on_close })
    }

    /// Sends a text frame (after the open, if the socket is still connecting).
    pub fn send(&self, text: String) {
        if self.ws.ready_state() == WebSocket::CONNECTING {
            self.early.borrow_mut().push(text);
        } else {
            // A socket that is closing drops it: its close reaches the core.
            let _ = self.ws.send_with_str(&text);
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close();
    }
}
