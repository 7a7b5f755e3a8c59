//! The wall clock as the engine sees it, and dates as the wire writes them (a leaf: it
//! imports nothing of the server).

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

/// "YYYY-MM-DD HH:MM:SS" (UTC) of Unix milliseconds.
pub fn datetime(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}", rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    #[test]
    fn datetime_formats_utc() {
        assert_eq!(super::datetime(0), "1970-01-01 00:00:00");
        assert_eq!(super::datetime(1_795_000_000_000), "2026-11-18 11:06:40");
        assert_eq!(super::datetime(951_782_400_000), "2000-02-29 00:00:00");
    }
}
