//! Wall time and ids, passed in so tests can fix them.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of wall-clock time in milliseconds since the Unix epoch (UTC).
pub trait Clock: Send + Sync {
    /// Now, in ms since the epoch. May jump backwards; the HLC copes.
    fn now_ms(&self) -> i64;
}

/// The phone's own clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    }
}

/// A clock that tests set by hand, including backwards.
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// A clock showing `ms`.
    pub fn new(ms: i64) -> Self {
        ManualClock(AtomicI64::new(ms))
    }

    /// Sets the time shown.
    pub fn set(&self, ms: i64) {
        self.0.store(ms, Ordering::SeqCst);
    }

    /// Moves the time shown by `delta` ms (negative goes back).
    pub fn advance(&self, delta: i64) {
        self.0.fetch_add(delta, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now_ms(&self) -> i64 {
        (**self).now_ms()
    }
}

/// A fresh time-ordered id (UUIDv7) for a record made on this device.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// A stable id (UUIDv5) derived from an external key, so that two devices or two imports
/// of the same spreadsheet name the same record alike.
pub fn stable_id(kind: &str, key: &str) -> String {
    const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6b1d_3e2a_9f4c_4d8e_a1b2_c3d4_e5f6_0718);
    let name = format!("{kind}\u{1f}{key}");
    uuid::Uuid::new_v5(&NAMESPACE, name.as_bytes()).to_string()
}
