//! Hybrid logical clock: wall time in ms with a counter, never going backwards.

use serde::{Deserialize, Serialize};

/// A hybrid logical clock stamp: wall time in ms (high 48 bits) and a counter (low 16).
/// Stamps order like their integers, so SQLite compares them directly.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Hlc(pub u64);

// Crosses to the apps as its integer, which orders stamps as they order.
#[cfg(feature = "ffi")]
uniffi::custom_type!(Hlc, u64, {
    lower: |h| h.0,
    try_lift: |v| Ok(Hlc(v)),
});

const COUNTER_BITS: u32 = 16;
const COUNTER_MAX: u64 = (1 << COUNTER_BITS) - 1;

impl Hlc {
    /// The stamp for wall time `ms` and `counter`.
    pub fn new(ms: i64, counter: u16) -> Self {
        Hlc(((ms.max(0) as u64) << COUNTER_BITS) | counter as u64)
    }

    /// Wall-clock part, ms since the epoch.
    pub fn wall_ms(self) -> i64 {
        (self.0 >> COUNTER_BITS) as i64
    }

    /// Counter part.
    pub fn counter(self) -> u16 {
        (self.0 & COUNTER_MAX) as u16
    }

    /// The next stamp after `self` for a local event at wall time `now_ms`: later than
    /// every stamp seen so far even when the wall clock has gone back.
    pub fn tick(self, now_ms: i64) -> Hlc {
        let now = Hlc::new(now_ms, 0);
        if now > self {
            now
        } else {
            self.successor()
        }
    }

    /// Merges a stamp received from another device, so local stamps stay after it.
    pub fn observe(self, remote: Hlc) -> Hlc {
        self.max(remote)
    }

    /// The smallest stamp after `self`; when the counter is full it borrows a millisecond.
    fn successor(self) -> Hlc {
        Hlc(self.0 + 1)
    }

    /// The stamp as SQLite stores it.
    pub fn as_i64(self) -> i64 {
        self.0 as i64
    }

    /// A stamp read back from SQLite.
    pub fn from_i64(v: i64) -> Hlc {
        Hlc(v.max(0) as u64)
    }
}

impl std::fmt::Display for Hlc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.wall_ms(), self.counter())
    }
}
