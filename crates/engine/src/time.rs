//! Time as the driver tells it: milliseconds since the Unix epoch.
//!
//! The engine never reads a clock. Every input carries a [`Time`], and the engine keeps
//! its own notion of "now" monotonic even if the driver's clock steps back.

/// A point in time, in milliseconds since the Unix epoch.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct Time(pub u64);

impl Time {
    /// The time `ms` milliseconds after the epoch.
    pub const fn from_millis(ms: u64) -> Self {
        Time(ms)
    }

    /// Milliseconds since the epoch.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// This time plus `secs` seconds (saturating).
    pub const fn plus_secs(self, secs: u64) -> Self {
        Time(self.0.saturating_add(secs.saturating_mul(1000)))
    }

    /// This time plus `ms` milliseconds (saturating).
    pub const fn plus_millis(self, ms: u64) -> Self {
        Time(self.0.saturating_add(ms))
    }

    /// Milliseconds from `earlier` to `self`, zero if `earlier` is later.
    pub const fn millis_since(self, earlier: Time) -> u64 {
        self.0.saturating_sub(earlier.0)
    }

    /// Whole seconds from `earlier` to `self`, zero if `earlier` is later.
    pub const fn secs_since(self, earlier: Time) -> u64 {
        self.millis_since(earlier) / 1000
    }
}
