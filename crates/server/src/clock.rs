//! The wall clock as the engine sees it (a leaf: it imports nothing of the server).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use lineup_engine::Time;

/// The wall clock now, in the engine's time.
pub fn now() -> Time {
    let ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
    Time::from_millis(ms + CLOCK_SHIFT_MS.load(Ordering::Relaxed))
}

static CLOCK_SHIFT_MS: AtomicU64 = AtomicU64::new(0);

/// Tests only: moves this process's wall clock forward by `ms` (as a clock step would),
/// so that a test sees a 15-minute report interval end without waiting for it.
#[doc(hidden)]
pub fn step_clock_forward(ms: u64) {
    CLOCK_SHIFT_MS.fetch_add(ms, Ordering::Relaxed);
}
