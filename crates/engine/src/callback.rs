//! Callbacks: a waiting customer asks to be called back (`RequestCallback`, with a phone
//! number, or none for "call me in this page") and keeps its place without a live
//! session.
//!
//! - Its session is held until the callback expires (the app's
//!   `callback_expiry_s`, from the request), not for the hold time, and while it is
//!   offline it is still offered: agents see the number in its `QueUser`.
//! - When an agent takes it, the callback is done: a `Callback` event (`taken`, with the
//!   agent) lets a phone system dial; a customer still on its page gets the agent's
//!   `Call` as any other.
//! - When it expires the customer leaves its queue (queue change 504 with errorcode 105)
//!   and a `Callback` event says `expired`. Leaving the queue any other way ends it
//!   silently; a forward or an overflow keeps it.
//!
//! Kept beside the sessions (the snapshot's trailing part): [`CallbackBook`].

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::error::AcdError;
use crate::ids::{Name, QueueId, SessionId};
use crate::output::{EndReason, EventKind, Notice, QueueChangeKind};
use crate::stats::WaitEnd;
use crate::time::Time;
use crate::timers::Timer;

/// The longest number accepted.
pub const MAX_NUMBER: usize = 32;

/// A waiting customer's callback.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Callback {
    /// The number to call ("": call me in this page).
    pub number: Arc<str>,
    /// When it expires.
    pub until: Time,
}

/// What became of a callback (the `Callback` event).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CallbackState {
    Requested,
    /// An agent took the customer: dial now.
    Taken,
    Expired,
}

impl CallbackState {
    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            CallbackState::Requested => "requested",
            CallbackState::Taken => "taken",
            CallbackState::Expired => "expired",
        }
    }
}

/// The callbacks of waiting customers.
#[derive(Default, Serialize, Deserialize)]
pub(crate) struct CallbackBook {
    pub callbacks: BTreeMap<SessionId, Callback>,
}

/// Checks a number: empty, or 1–32 of digits, spaces and `+ - ( ) .`, with a digit.
fn check_number(number: &str) -> Result<(), AcdError> {
    if number.is_empty() {
        return Ok(());
    }
    let n = number.chars().count();
    let allowed = |c: char| c.is_ascii_digit() || " +-().".contains(c);
    if n > MAX_NUMBER || !number.chars().all(allowed) || !number.chars().any(|c| c.is_ascii_digit()) {
        let why = format!(
            "must be a phone number (digits, spaces, + - ( ) .; at most {MAX_NUMBER}) or empty for a call in the page"
        );
        return Err(AcdError::invalid("number", why));
    }
    Ok(())
}

impl Engine {
    /// The callback of a waiting customer, if it asked for one.
    pub fn callback_of(&self, sid: SessionId) -> Option<&Callback> {
        self.callback_book.callbacks.get(&sid)
    }

    /// RequestCallback: the waiting customer keeps its place without a live session
    /// until the app's callback expiry; asking again changes the number (and restarts
    /// the expiry).
    pub(crate) fn request_callback(&mut self, sid: SessionId, number: Arc<str>) -> Result<(), AcdError> {
        check_number(&number)?;
        let Some(queuing) = self.sessions[&sid].queuing.as_ref() else {
            return Err(AcdError::NoUser("you are not queuing"));
        };
        let queue = queuing.queue;
        let app = self.sessions[&sid].app;
        let expiry_s = self
            .agent_book
            .policies
            .get(&app)
            .map_or(crate::agent_state::DEFAULT_CALLBACK_EXPIRY_S, |p| p.callback_expiry_s);
        let until = self.now.plus_secs(expiry_s.into());
        if let Some(old) = self.callback_book.callbacks.insert(sid, Callback { number: number.clone(), until }) {
            self.timers.remove(old.until, Timer::CallbackExpiry(sid));
        }
        self.timers.insert(until, Timer::CallbackExpiry(sid));
        let user_id = self.sessions[&sid].user_id.clone();
        self.emit(app, EventKind::Callback { queue, user_id, number, agent: None, state: CallbackState::Requested });
        Ok(())
    }

    /// The hold of a session that drops from `from`: its callback's expiry when later
    /// than the hold time (the hold's end then expires the callback first:
    /// [`Engine::hold_ended`]).
    pub(crate) fn held_until(&self, sid: SessionId, from: Time, hold_s: u32) -> Time {
        let until = from.plus_secs(hold_s.into());
        self.callback_book.callbacks.get(&sid).map_or(until, |c| until.max(c.until))
    }

    /// A held session's hold ended at `at`: a callback due by then expires first (504/105
    /// and its event, not a dropped customer's 504/100), then the session ends.
    pub(crate) fn hold_ended(&mut self, sid: SessionId, at: Time) {
        if !self.sessions.get(&sid).is_some_and(|s| s.hold_until == Some(at)) {
            return;
        }
        if let Some(due) = self.callback_book.callbacks.get(&sid).map(|c| c.until).filter(|u| *u <= at) {
            self.callback_expired(sid, due);
        }
        self.end_session(sid, crate::output::SessionEnd::HoldExpired);
    }

    /// Whether a customer is offered while offline (it asked for a callback).
    pub(crate) fn offered_offline(&self, sid: SessionId) -> bool {
        self.callback_book.callbacks.contains_key(&sid)
    }

    /// An agent took the customer: its callback is done, told as `taken`.
    pub(crate) fn callback_taken(&mut self, customer: SessionId, agent: SessionId, queue: QueueId) {
        let Some(cb) = self.callback_book.callbacks.remove(&customer) else { return };
        self.timers.remove(cb.until, Timer::CallbackExpiry(customer));
        let (app, user_id) = (self.sessions[&customer].app, self.sessions[&customer].user_id.clone());
        let agent_id: Name = self.sessions[&agent].user_id.clone();
        self.emit(
            app,
            EventKind::Callback {
                queue,
                user_id,
                number: cb.number,
                agent: Some(agent_id),
                state: CallbackState::Taken,
            },
        );
    }

    /// The customer left its queue (`end`): its callback goes, unless it only moved.
    pub(crate) fn callback_left(&mut self, sid: SessionId, end: WaitEnd) {
        if end == WaitEnd::Forwarded {
            return;
        }
        if let Some(cb) = self.callback_book.callbacks.remove(&sid) {
            self.timers.remove(cb.until, Timer::CallbackExpiry(sid));
        }
    }

    /// The callback's time ran out: the customer leaves its queue (504/105).
    pub(crate) fn callback_expired(&mut self, sid: SessionId, at: Time) {
        let Some(cb) = self.callback_book.callbacks.get(&sid).filter(|c| c.until == at).cloned() else { return };
        let Some(queue) = self.sessions.get(&sid).and_then(|s| s.queuing.as_ref()).map(|q| q.queue) else { return };
        let (app, user_id) = (self.sessions[&sid].app, self.sessions[&sid].user_id.clone());
        self.emit(
            app,
            EventKind::Callback { queue, user_id, number: cb.number, agent: None, state: CallbackState::Expired },
        );
        self.leave_queue(sid, QueueChangeKind::CallbackExpired, EndReason::Timeout, WaitEnd::TimedOut);
        if self.sessions[&sid].online {
            self.notify(sid, Notice::QueuingEnded { queue, reason: EndReason::Timeout });
        }
    }
}
