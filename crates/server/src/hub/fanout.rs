//! Frames to sessions: the engine's outputs as socket frames, held buffers while a
//! session is offline, connections attached and detached, and the release order
//! (replies and offers before broadcasts).
//!
//! [`Fanout`] keeps the connections, the held buffers and the frames of the turn, and
//! decides the order frames leave in; the hub's part (below it) turns engine outputs
//! into its calls.

use std::collections::VecDeque;
use std::sync::Arc;

use lineup_engine::{Input, Output, SessionEnd, SessionId};
use lineup_protocol::{codes, Notice as WireNotice, ServerFrame};
use rustc_hash::{FxHashMap, FxHashSet};

use super::{Conn, ConnTx, Hub, Outgoing, FANOUT_DELAY, HELD_BUFFER};
use crate::conn::frame_text;
use crate::convert;

/// The live connections, the sessions held offline, and the frames waiting to leave.
///
/// Frames of a turn wait in it until the turn is committed ([`Fanout::release`]). Then
/// connections with a frame of their own (a reply, an offer) get theirs at once, and
/// connections that only get broadcasts (UserEnter, statuses to many) get them
/// [`FANOUT_DELAY`] later or with the next release, so an offer does not wait behind a
/// fan-out. Each connection's frames keep their order.
#[derive(Default)]
pub struct Fanout {
    conns: FxHashMap<SessionId, Conn>,
    held: FxHashMap<SessionId, VecDeque<Arc<str>>>,
    /// Frames of this turn; `true` marks a broadcast (the same notice to many sessions).
    outbound: Vec<(ConnTx, Outgoing, bool)>,
    /// Broadcast frames of committed turns waiting for FANOUT_DELAY, and when they go.
    deferred: Vec<(ConnTx, Outgoing)>,
    deferred_at: Option<tokio::time::Instant>,
}

impl Fanout {
    /// Queues a frame of a connection's own; it leaves when the turn is committed.
    pub fn push(&mut self, tx: &ConnTx, out: Outgoing) {
        self.outbound.push((tx.clone(), out, false));
    }

    /// Queues text for the session's connection, or keeps it while the session is held
    /// (the oldest dropped past [`HELD_BUFFER`]).
    pub fn to_session(&mut self, session: SessionId, text: Arc<str>, broadcast: bool) {
        match self.conns.get(&session) {
            Some(conn) => self.outbound.push((conn.tx.clone(), Outgoing::Text(text), broadcast)),
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
    /// LineOff(10) and closed; what was kept while held goes to the new one.
    pub fn attach(&mut self, session: SessionId, conn: Conn) {
        if let Some(old) = self.conns.remove(&session) {
            if old.id != conn.id {
                let frame = ServerFrame::Notice(WireNotice::LineOff { sdk_err: codes::USER_BEEN_KICKOUT });
                self.push(&old.tx, Outgoing::frame(&frame));
                self.push(&old.tx, Outgoing::Close { code: 4001, reason: "logged in elsewhere".into() });
            }
        }
        for text in self.held.remove(&session).unwrap_or_default() {
            self.push(&conn.tx, Outgoing::Text(text));
        }
        self.conns.insert(session, conn);
    }

    /// Unbinds connection `conn_id` if it is the session's current one (then true: the
    /// session is held from now on).
    pub fn detach(&mut self, session: SessionId, conn_id: u64) -> bool {
        let current = self.is_current(session, conn_id);
        if current {
            self.conns.remove(&session);
        }
        current
    }

    /// The session ended: what was kept for it goes, and its connection is unbound
    /// (closed with 4002 when its hold expired).
    pub fn forget(&mut self, session: SessionId, expired: bool) {
        self.held.remove(&session);
        if let Some(conn) = self.conns.remove(&session) {
            if expired {
                self.push(&conn.tx, Outgoing::Close { code: 4002, reason: "session expired".into() });
            }
        }
    }

    /// Whether the session currently has this connection.
    pub fn is_current(&self, session: SessionId, conn_id: u64) -> bool {
        self.conns.get(&session).is_some_and(|c| c.id == conn_id)
    }

    /// The sending side of the session's live connection, if it has one.
    pub fn conn_tx(&self, session: SessionId) -> Option<ConnTx> {
        self.conns.get(&session).map(|c| c.tx.clone())
    }

    /// How many frames the turn has queued (a job's roll-back returns to it).
    pub fn mark(&self) -> usize {
        self.outbound.len()
    }

    /// Drops the frames queued after `mark` (a job that panicked).
    pub fn truncate(&mut self, mark: usize) {
        self.outbound.truncate(mark);
    }

    /// Drops the turn's frames: it was not committed.
    pub fn discard(&mut self) {
        self.outbound.clear();
    }

    /// Lets the committed turn's frames go, in the order the type's doc gives.
    pub fn release(&mut self) {
        // Frames deferred from earlier turns are older: they go first.
        self.flush_deferred();
        let frames = std::mem::take(&mut self.outbound);
        if frames.iter().all(|(_, _, broadcast)| !broadcast) {
            for (tx, out, _) in frames {
                tx.send(out);
            }
            return;
        }
        let first: FxHashSet<usize> = frames.iter().filter(|(_, _, b)| !b).map(|(tx, _, _)| tx.id()).collect();
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

    /// When the deferred broadcasts are due (None: there are none).
    pub fn deferred_at(&self) -> Option<tokio::time::Instant> {
        self.deferred_at
    }

    /// Sends the deferred broadcast frames.
    pub fn flush_deferred(&mut self) {
        for (tx, out) in self.deferred.drain(..) {
            tx.send(out);
        }
        self.deferred_at = None;
    }

    /// Closes every connection with `code` (the server stops).
    pub fn close_all(&mut self, code: u16, reason: &str) {
        for (_, conn) in self.conns.drain() {
            conn.tx.send(Outgoing::Close { code, reason: reason.into() });
        }
    }
}

impl Hub {
    /// Queues a frame for a connection; it leaves when the turn is committed.
    pub fn push(&mut self, tx: &ConnTx, out: Outgoing) {
        self.fanout.push(tx, out);
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
                        lineup_engine::Notice::UserEnter(_)
                            | lineup_engine::Notice::UserLeave { .. }
                            | lineup_engine::Notice::QueueStatusChanged(_)
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
                    self.fanout.forget(session, reason == SessionEnd::HoldExpired);
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
        self.fanout.to_session(session, text, broadcast);
    }

    /// Binds a connection to a session: an older connection of the session is told
    /// LineOff(10) and closed; notices buffered while held are delivered.
    pub fn attach(&mut self, session: SessionId, conn: Conn) {
        self.fanout.attach(session, conn);
    }

    /// The connection closed: if it was the session's current one, the session is held.
    pub fn detach(&mut self, session: SessionId, conn_id: u64) {
        if self.stopping {
            return;
        }
        if self.fanout.detach(session, conn_id) {
            tracing::debug!(session = session.0, conn = conn_id, "connection lost; session held");
            if self.engine.session_view(session).is_some() {
                let _ = self.input(Input::Disconnect { session });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conn::ConnRx;

    fn conn(id: u64) -> (Conn, ConnRx) {
        conn_of(id, 64)
    }

    /// A connection whose queue takes `frames` frames.
    fn conn_of(id: u64, frames: usize) -> (Conn, ConnRx) {
        let (tx, rx) = ConnTx::new(frames, usize::MAX);
        (Conn { id, tx }, rx)
    }

    fn text(s: &str) -> Arc<str> {
        s.into()
    }

    /// What the connection's writer can take now.
    fn got(rx: &mut ConnRx) -> Vec<String> {
        let mut out = Vec::new();
        while let Ok(frame) = rx.rx.try_recv() {
            out.push(match frame {
                Outgoing::Text(t) => t.to_string(),
                Outgoing::Close { code, .. } => format!("close {code}"),
            });
        }
        out
    }

    /// Two sessions attached: `a` (session 1) and `b` (session 2).
    fn two() -> (Fanout, ConnRx, ConnRx) {
        let mut f = Fanout::default();
        let ((a, ra), (b, rb)) = (conn(1), conn(2));
        f.attach(SessionId(1), a);
        f.attach(SessionId(2), b);
        (f, ra, rb)
    }

    #[test]
    fn nothing_leaves_before_the_turn_is_released_and_an_uncommitted_turn_never() {
        let (mut f, mut a, _) = two();
        f.to_session(SessionId(1), text("reply"), false);
        assert!(got(&mut a).is_empty());
        f.discard();
        f.release();
        assert!(got(&mut a).is_empty());
        f.to_session(SessionId(1), text("next"), false);
        f.release();
        assert_eq!(got(&mut a), ["next"]);
    }

    #[test]
    fn a_reply_leaves_at_once_and_a_broadcast_to_others_waits_for_the_delay() {
        let (mut f, mut a, mut b) = two();
        f.to_session(SessionId(2), text("UserEnter"), true);
        f.to_session(SessionId(1), text("offer"), false);
        f.to_session(SessionId(1), text("UserEnter"), true);
        f.release();
        // a has a frame of its own: all of its frames go now, in their order.
        assert_eq!(got(&mut a), ["offer", "UserEnter"]);
        // b only gets the broadcast: it waits.
        assert!(got(&mut b).is_empty());
        assert!(f.deferred_at().is_some_and(|at| at <= tokio::time::Instant::now() + FANOUT_DELAY));
        f.flush_deferred();
        assert_eq!(got(&mut b), ["UserEnter"]);
        assert!(f.deferred_at().is_none());
    }

    #[test]
    fn a_turn_of_broadcasts_only_waits_for_the_delay() {
        let (mut f, mut a, mut b) = two();
        f.to_session(SessionId(1), text("status"), true);
        f.to_session(SessionId(2), text("status"), true);
        f.release();
        assert!(got(&mut a).is_empty() && got(&mut b).is_empty());
        f.flush_deferred();
        assert_eq!(got(&mut a), ["status"]);
        assert_eq!(got(&mut b), ["status"]);
    }

    #[test]
    fn each_connection_keeps_its_order_across_turns() {
        let (mut f, mut a, mut b) = two();
        f.to_session(SessionId(1), text("r1"), false);
        f.to_session(SessionId(2), text("b1"), true);
        f.release();
        // The next turn's frame for b: the deferred broadcast goes before it.
        f.to_session(SessionId(2), text("r2"), false);
        f.release();
        assert_eq!(got(&mut a), ["r1"]);
        assert_eq!(got(&mut b), ["b1", "r2"]);
        // Broadcast, own, broadcast on one connection: in that order.
        f.to_session(SessionId(2), text("b3"), true);
        f.to_session(SessionId(2), text("r3"), false);
        f.to_session(SessionId(2), text("b4"), true);
        f.to_session(SessionId(1), text("b3"), true);
        f.release();
        assert_eq!(got(&mut b), ["b3", "r3", "b4"]);
        f.flush_deferred();
        assert_eq!(got(&mut a), ["b3"]);
    }

    #[test]
    fn a_held_session_keeps_its_frames_for_the_next_connection_and_the_old_one_is_told() {
        let (mut f, mut a, _) = two();
        assert!(!f.detach(SessionId(1), 99), "not the current connection");
        assert!(f.detach(SessionId(1), 1));
        f.to_session(SessionId(1), text("n1"), false);
        f.to_session(SessionId(1), text("n2"), true);
        f.release();
        assert!(got(&mut a).is_empty(), "a detached connection gets nothing");
        let (again, mut ra) = conn(3);
        f.attach(SessionId(1), again);
        f.release();
        assert_eq!(got(&mut ra), ["n1", "n2"]);
        // A newer login of the same session: the older connection is told and closed.
        let (newer, mut rn) = conn(4);
        f.attach(SessionId(1), newer);
        f.release();
        let told = got(&mut ra);
        assert!(told[0].contains("LineOff"), "{told:?}");
        assert_eq!(told[1], "close 4001");
        assert!(f.is_current(SessionId(1), 4));
        f.to_session(SessionId(1), text("n3"), false);
        f.release();
        assert_eq!(got(&mut rn), ["n3"]);
    }

    #[test]
    fn a_held_buffer_keeps_the_newest_frames() {
        let mut f = Fanout::default();
        for i in 0..HELD_BUFFER + 2 {
            f.to_session(SessionId(7), text(&i.to_string()), false);
        }
        let (c, mut rc) = conn_of(7, HELD_BUFFER + 8);
        f.attach(SessionId(7), c);
        f.release();
        let frames = got(&mut rc);
        assert_eq!(frames.len(), HELD_BUFFER);
        assert_eq!(frames[0], "2");
    }

    #[test]
    fn an_ended_session_is_forgotten_and_an_expired_one_closed() {
        let (mut f, mut a, mut b) = two();
        f.forget(SessionId(1), true);
        f.forget(SessionId(2), false);
        f.release();
        assert_eq!(got(&mut a), ["close 4002"]);
        assert!(got(&mut b).is_empty());
        assert!(f.conn_tx(SessionId(1)).is_none() && f.conn_tx(SessionId(2)).is_none());
    }
}
