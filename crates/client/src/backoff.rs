//! Reconnect delays: 200 ms, doubling, at most 5 s.

use crate::Millis;

/// The delays before each reconnect attempt.
#[derive(Clone, Debug)]
pub struct Backoff {
    next: Millis,
}

/// The first delay.
pub const FIRST_MS: Millis = 200.0;
/// The longest delay.
pub const MAX_MS: Millis = 5_000.0;

impl Default for Backoff {
    fn default() -> Self {
        Backoff { next: FIRST_MS }
    }
}

impl Backoff {
    /// Starts over (after a successful resume, or a new loss).
    pub fn reset(&mut self) {
        self.next = FIRST_MS;
    }

    /// The delay before the next attempt.
    pub fn next_delay(&mut self) -> Millis {
        let d = self.next;
        self.next = (self.next * 2.0).min(MAX_MS);
        d
    }
}
