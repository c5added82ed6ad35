//! Wall time and ids, passed in so tests can fix them.

use std::cell::Cell;
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

/// A fresh time-ordered id (UUIDv7) for a record made on this device. Ids made in this
/// process strictly increase, even within one millisecond (its 12 `rand_a` bits count,
/// RFC 9562 method 1), so records sorted by id keep the order they were made in. The
/// random bits come from a per-thread generator seeded once from the OS: ids need to be
/// unique, not secret, and a system call per id would dominate bulk writes.
pub fn new_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    // The last (ms << 12 | counter) handed out.
    static LAST: AtomicU64 = AtomicU64::new(0);
    thread_local! {
        static STATE: Cell<u64> = Cell::new(uuid::Uuid::new_v4().as_u64_pair().0 | 1);
    }
    let now = (SystemClock.now_ms().max(0) as u64) << 12;
    let mut last = LAST.load(Ordering::Relaxed);
    let stamp = loop {
        let next = now.max(last + 1);
        match LAST.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => break next,
            Err(seen) => last = seen,
        }
    };
    let random = STATE.with(|s| {
        let mut x = s.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.set(x);
        x
    });
    let ms = (stamp >> 12) as u128 & ((1 << 48) - 1);
    let counter = (stamp & 0xfff) as u128;
    let bits = (ms << 80)
        | (0x7 << 76)
        | (counter << 64)
        | (0b10 << 62)
        | (random as u128 & ((1 << 62) - 1));
    uuid::Uuid::from_u128(bits).to_string()
}

/// A stable id (UUIDv5) derived from an external key, so that two devices or two imports
/// of the same spreadsheet name the same record alike.
pub fn stable_id(kind: &str, key: &str) -> String {
    stable_uuid(kind, key).hyphenated().to_string()
}

/// The UUID `stable_id` writes out. As a number it orders as the text does (lowercase hex
/// with hyphens in fixed places), which makes it a cheap sort key.
pub fn stable_uuid(kind: &str, key: &str) -> uuid::Uuid {
    use sha1::Digest;
    // UUIDv5 of the name "{kind}\u{1f}{key}", hashed in parts with the SHA-1 the store's
    // cipher already uses (hardware-accelerated where the chip has it): an import derives
    // two ids a row.
    let mut h = sha1::Sha1::new();
    h.update(STABLE_NAMESPACE.as_bytes());
    h.update(kind.as_bytes());
    h.update([0x1f]);
    h.update(key.as_bytes());
    let digest: [u8; 20] = h.finalize().into();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_sha1_bytes(bytes).into_uuid()
}

/// The namespace of every stable id.
const STABLE_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x6b1d_3e2a_9f4c_4d8e_a1b2_c3d4_e5f6_0718);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_v7_unique_and_stable_ids_repeat() {
        let ids: std::collections::HashSet<String> = (0..10_000).map(|_| new_id()).collect();
        assert_eq!(ids.len(), 10_000);
        let one = uuid::Uuid::parse_str(ids.iter().next().unwrap()).unwrap();
        assert_eq!(one.get_version_num(), 7);
        assert_eq!(stable_id("area", "武昌区"), stable_id("area", "武昌区"));
        // Ids already stored must keep their value: they are RFC 9562 UUIDv5.
        for (kind, key) in [("area", "武昌区"), ("resident", "key\u{1f}A-17"), ("x", "")] {
            let name = format!("{kind}\u{1f}{key}");
            assert_eq!(
                stable_id(kind, key),
                uuid::Uuid::new_v5(&STABLE_NAMESPACE, name.as_bytes()).to_string()
            );
        }
        assert_ne!(stable_id("area", "武昌区"), stable_id("building", "武昌区"));
    }

    #[test]
    fn ids_made_in_one_millisecond_still_sort_in_the_order_made() {
        // Thousands of ids fall in each millisecond here; each must sort after the last,
        // across threads too.
        let made: Vec<String> = (0..20_000).map(|_| new_id()).collect();
        assert!(made.windows(2).all(|w| w[0] < w[1]));
        let threads: Vec<_> = (0..4)
            .map(|_| std::thread::spawn(|| (0..5_000).map(|_| new_id()).collect::<Vec<_>>()))
            .collect();
        let mut all: Vec<String> = threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 20_000);
        assert!(all[0] > made[made.len() - 1]);
        let v = uuid::Uuid::parse_str(&all[0]).unwrap();
        assert_eq!(v.get_version_num(), 7);
        assert_eq!(v.get_variant(), uuid::Variant::RFC4122);
    }
}
