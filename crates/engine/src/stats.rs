//! Queue statistics: the counters the engine keeps as customers come and go.

use crate::time::Time;

/// Running counters of one queue.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Counters {
    pub entered: u64,
    pub served: u64,
    pub served_within_sl: u64,
    pub abandoned: u64,
    pub timed_out: u64,
    pub forwarded: u64,
    pub wait_ms_served: u64,
    pub max_wait_ms: u64,
    /// Offers and distributions since the engine was built or restored (not part of a
    /// snapshot: they are monitoring figures, like a Prometheus counter that starts at 0).
    #[serde(skip)]
    pub live: LiveCounters,
}

/// Upper bounds (seconds) of the wait-time distribution's buckets.
pub const WAIT_BUCKETS_S: [f64; 10] = [5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0];
/// Upper bounds (seconds) of the talk-time (service duration) distribution's buckets.
pub const TALK_BUCKETS_S: [f64; 10] = [10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0];

/// A fixed-bucket distribution of durations: `counts[i]` holds observations up to
/// `bounds[i]` seconds (above the previous bound); the last count is everything above.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Distribution {
    pub counts: [u64; 11],
    pub sum_s: f64,
    pub count: u64,
}

impl Distribution {
    fn observe(&mut self, bounds: &[f64; 10], ms: u64) {
        let s = ms as f64 / 1000.0;
        let i = bounds.iter().position(|b| s <= *b).unwrap_or(bounds.len());
        self.counts[i] += 1;
        self.sum_s += s;
        self.count += 1;
    }
}

/// What happened to a queue's offers, and how long its customers waited and talked.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LiveCounters {
    /// Offers made (AutoAssignUser sent).
    pub offers_made: u64,
    /// Offers the agent accepted.
    pub offers_accepted: u64,
    /// Offers the agent rejected.
    pub offers_rejected: u64,
    /// Offers not answered within the offer timeout.
    pub offers_timed_out: u64,
    /// Offers withdrawn for any other reason (a party left or went offline, the agent
    /// stopped serving or lowered its capacity, the customer was forwarded).
    pub offers_withdrawn: u64,
    /// Waits of served customers ([`WAIT_BUCKETS_S`]).
    pub wait: Distribution,
    /// Durations of ended services ([`TALK_BUCKETS_S`]).
    pub talk: Distribution,
}

impl LiveCounters {
    pub(crate) fn served_after(&mut self, waited_ms: u64) {
        self.wait.observe(&WAIT_BUCKETS_S, waited_ms);
    }

    pub(crate) fn service_lasted(&mut self, ms: u64) {
        self.talk.observe(&TALK_BUCKETS_S, ms);
    }
}

/// How a customer's wait ended, for the counters.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum WaitEnd {
    Served,
    Abandoned,
    TimedOut,
    /// Moved to another queue.
    Forwarded,
    /// Not counted as an outcome (queue deleted).
    Uncounted,
}

/// The counts a wait's end moves, wherever they are kept (a queue's running
/// counters, a report interval): the one rule for both.
pub(crate) struct WaitTally<'a> {
    pub served: &'a mut u64,
    pub served_within_sl: &'a mut u64,
    pub abandoned: &'a mut u64,
    pub timed_out: &'a mut u64,
    pub forwarded: &'a mut u64,
    pub wait_ms_served: &'a mut u64,
    pub max_wait_ms: &'a mut u64,
}

impl WaitTally<'_> {
    /// A wait of `waited_ms` ended as `end`; served within `sl_s` seconds counts for
    /// the service level.
    pub fn record(self, end: WaitEnd, waited_ms: u64, sl_s: u32) {
        *self.max_wait_ms = (*self.max_wait_ms).max(waited_ms);
        match end {
            WaitEnd::Served => {
                *self.served += 1;
                *self.wait_ms_served += waited_ms;
                if waited_ms <= u64::from(sl_s) * 1000 {
                    *self.served_within_sl += 1;
                }
            }
            WaitEnd::Abandoned => *self.abandoned += 1,
            WaitEnd::TimedOut => *self.timed_out += 1,
            WaitEnd::Forwarded => *self.forwarded += 1,
            WaitEnd::Uncounted => {}
        }
    }
}

impl Counters {
    pub fn record(&mut self, end: WaitEnd, enqueued_at: Time, now: Time, sl_threshold_s: u32) {
        let waited = now.millis_since(enqueued_at);
        if end == WaitEnd::Served {
            self.live.served_after(waited);
        }
        WaitTally {
            served: &mut self.served,
            served_within_sl: &mut self.served_within_sl,
            abandoned: &mut self.abandoned,
            timed_out: &mut self.timed_out,
            forwarded: &mut self.forwarded,
            wait_ms_served: &mut self.wait_ms_served,
            max_wait_ms: &mut self.max_wait_ms,
        }
        .record(end, waited, sl_threshold_s);
    }

    pub fn avg_wait_s(&self) -> f64 {
        if self.served == 0 {
            0.0
        } else {
            self.wait_ms_served as f64 / self.served as f64 / 1000.0
        }
    }

    pub fn service_level(&self) -> f64 {
        if self.served == 0 {
            1.0
        } else {
            self.served_within_sl as f64 / self.served as f64
        }
    }
}
