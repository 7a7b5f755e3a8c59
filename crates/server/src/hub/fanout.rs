//! Frames to sessions: the engine's outputs as socket frames, held buffers while a
//! session is offline, connections attached and detached, and the release order
//! (replies and offers before broadcasts).

use std::sync::Arc;

use lineup_engine::{Input, Output, SessionEnd, SessionId};
use lineup_protocol::{codes, Notice as WireNotice, ServerFrame};

use super::{Conn, ConnTx, Hub, Outgoing, FANOUT_DELAY, HELD_BUFFER};
use crate::conn::frame_text;
use crate::convert;

impl Hub {
    /// Lets the committed turn's frames go. Connections with a frame of their own (a
    /// reply, an offer) go before those that only get broadcasts (UserEnter, statuses to
    /// many), so an offer does not wait behind a fan-out; each connection's frames keep
    /// their order.
    pub(super) fn release(&mut self) {
        // Frames deferred from earlier turns are older: they go first.
        self.flush_deferred();
        let frames = std::mem::take(&mut self.outbound);
        if frames.iter().all(|(_, _, broadcast)| !broadcast) {
            for (tx, out, _) in frames {
                tx.send(out);
            }
            return;
        }
        let first: rustc_hash::FxHashSet<usize> = frames.iter().filter(|(_, _, b)| !b).map(|(tx, _, _)| tx.id()).collect();
        for (tx, out, _) in frames {
            if first.contains(&tx.id()) {
                tx.send(out);
            } else {
                self.deferred.push((tx, out));
            }
        }
        if !self.deferred.is_empty() {
            self.deferred_at = Some(tokio::time::Instant::now() + FANOUT_DELAY);
        }
    }

    /// Sends the deferred broadcast frames.
    pub(super) fn flush_deferred(&mut self) {
        for (tx, out) in self.deferred.drain(..) {
            tx.send(out);
        }
        self.deferred_at = None;
    }

    /// Queues a frame for a connection; it leaves when the turn is committed.
    pub fn push(&mut self, tx: &ConnTx, out: Outgoing) {
        self.outbound.push((tx.clone(), out, false));
    }

    /// Fans the engine's outputs out.
    pub fn flush(&mut self) {
        for (session, frame) in std::mem::take(&mut self.after_reply) {
            self.send(session, &frame);
        }
        let mut last: Option<(lineup_engine::Notice, Arc<str>)> = None;
        loop {
            let (output, stored) = match self.taken.pop_front() {
                Some(o) => (o, true),
                None => match self.engine.poll_output() {
                    Some(o) => (o, false),
                    None => break,
                },
            };
            match output {
                Output::Notify { session, notice } => {
                    let broadcast = matches!(
                        notice,
                        lineup_engine::Notice::UserEnter(_) | lineup_engine::Notice::UserLeave { .. } | lineup_engine::Notice::QueueStatusChanged(_)
                    );
                    // A fan-out is one notice to many sessions: serialized once, shared.
                    let text = match &last {
                        Some((n, text)) if *n == notice => text.clone(),
                        _ => {
                            let text = frame_text(&ServerFrame::Notice(convert::notice(&notice)));
                            last = Some((notice, text.clone()));
                            text
                        }
                    };
                    self.send_text(session, text, broadcast);
                }
                Output::Event(event) => {
                    tracing::debug!(target: "lineup::event", ?event);
                    if !stored {
                        self.store_event(&event);
                    }
                    let _ = self.events.send(event);
                }
                Output::SessionEnded { session, reason } => {
                    tracing::debug!(session = session.0, ?reason, "session ended");
                    let (journal, tokens) = self.journal_and_tokens();
                    if let Err(e) = tokens.forget(journal, session) {
                        self.journal_failed(e);
                    }
                    self.held.remove(&session);
                    if let Some(conn) = self.conns.remove(&session) {
                        if reason == SessionEnd::HoldExpired {
                            let close = Outgoing::Close { code: 4002, reason: "session expired".into() };
                            self.outbound.push((conn.tx, close, false));
                        }
                    }
                }
            }
        }
    }

    /// Sends a frame to the session's socket, or buffers it while the session is held.
    pub fn send(&mut self, session: SessionId, frame: &ServerFrame) {
        self.send_text(session, frame_text(frame), false);
    }

    /// Sends serialized text to the session's socket, or buffers it while held.
    pub(super) fn send_text(&mut self, session: SessionId, text: Arc<str>, broadcast: bool) {
        match self.conns.get(&session) {
            Some(conn) => {
                self.outbound.push((conn.tx.clone(), Outgoing::Text(text), broadcast));
            }
            None => {
                let buffer = self.held.entry(session).or_default();
                if buffer.len() == HELD_BUFFER {
                    buffer.pop_front();
                }
                buffer.push_back(text);
            }
        }
    }

    /// Binds a connection to a session: an older connection of the session is told
    /// LineOff(10) and closed; notices buffered while held are delivered.
    pub fn attach(&mut self, session: SessionId, conn: Conn) {
        if let Some(old) = self.conns.remove(&session) {
            if old.id != conn.id {
                let frame = ServerFrame::Notice(WireNotice::LineOff { sdk_err: codes::USER_BEEN_KICKOUT });
                self.outbound.push((old.tx.clone(), Outgoing::frame(&frame), false));
                self.outbound.push((old.tx, Outgoing::Close { code: 4001, reason: "logged in elsewhere".into() }, false));
            }
        }
        for text in self.held.remove(&session).unwrap_or_default() {
            self.outbound.push((conn.tx.clone(), Outgoing::Text(text), false));
        }
        self.conns.insert(session, conn);
    }

    /// The connection closed: if it was the session's current one, the session is held.
    pub fn detach(&mut self, session: SessionId, conn_id: u64) {
        if self.stopping {
            return;
        }
        if self.conns.get(&session).is_some_and(|c| c.id == conn_id) {
            tracing::debug!(session = session.0, conn = conn_id, "connection lost; session held");
            self.conns.remove(&session);
            if self.engine.session_view(session).is_some() {
                let _ = self.input(Input::Disconnect { session });
            }
        }
    }
}
