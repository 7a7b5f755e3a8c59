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

impl Counters {
    pub fn record(&mut self, end: WaitEnd, enqueued_at: Time, now: Time, sl_threshold_s: u32) {
        let waited = now.millis_since(enqueued_at);
        self.max_wait_ms = self.max_wait_ms.max(waited);
        match end {
            WaitEnd::Served => {
                self.served += 1;
                self.wait_ms_served += waited;
                if waited <= u64::from(sl_threshold_s) * 1000 {
                    self.served_within_sl += 1;
                }
            }
            WaitEnd::Abandoned => self.abandoned += 1,
            WaitEnd::TimedOut => self.timed_out += 1,
            WaitEnd::Forwarded => self.forwarded += 1,
            WaitEnd::Uncounted => {}
        }
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
