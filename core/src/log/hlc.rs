//! Hybrid logical clock: wall time in ms with a counter, never going backwards.

use serde::{Deserialize, Serialize};

/// A hybrid logical clock stamp: wall time in ms (high bits) and a counter (low 16).
/// Stamps order like their integers, so SQLite compares them directly. Every store keeps
/// them as signed 64-bit integers, so a stamp never exceeds `Hlc::MAX`, and the wire
/// format refuses one that does rather than let it come back as something else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
#[serde(transparent)]
pub struct Hlc(pub u64);

/// Read from JSON as an integer from 0 to `i64::MAX` (what SQLite and PostgreSQL store),
/// written as `5.0` or `5`: JSON does not tell the two apart, and some encoders write
/// whole numbers with a point.
impl<'de> Deserialize<'de> for Hlc {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = Hlc;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a clock stamp: an integer from 0 to 9223372036854775807")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Hlc, E> {
                Hlc::try_from(v).map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Hlc, E> {
                u64::try_from(v)
                    .map(Hlc)
                    .map_err(|_| E::custom(format!("clock stamp {v} is negative")))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Hlc, E> {
                if v.fract() == 0.0 && (0.0..TWO_TO_63).contains(&v) {
                    Ok(Hlc(v as u64))
                } else {
                    Err(E::custom(format!(
                        "clock stamp {v} is not an integer from 0 to {}",
                        i64::MAX
                    )))
                }
            }
        }
        d.deserialize_any(Visit)
    }
}

/// 2^63, the first float past `i64::MAX`.
const TWO_TO_63: f64 = 9_223_372_036_854_775_808.0;

// Crosses to the apps as its integer, which orders stamps as they order; a value no store
// keeps is refused there too.
#[cfg(feature = "ffi")]
uniffi::custom_type!(Hlc, u64, {
    lower: |h| h.0,
    try_lift: |v| Hlc::try_from(v).map_err(uniffi::deps::anyhow::Error::msg),
});

const COUNTER_BITS: u32 = 16;
const COUNTER_MAX: u64 = (1 << COUNTER_BITS) - 1;

impl TryFrom<u64> for Hlc {
    type Error = String;

    fn try_from(v: u64) -> Result<Self, Self::Error> {
        if v > Hlc::MAX.0 {
            return Err(format!(
                "hlc {v} is beyond the largest stamp a store keeps ({})",
                Hlc::MAX.0
            ));
        }
        Ok(Hlc(v))
    }
}

impl From<Hlc> for u64 {
    fn from(h: Hlc) -> u64 {
        h.0
    }
}

impl Hlc {
    /// The largest stamp: what a signed 64-bit column holds.
    pub const MAX: Hlc = Hlc(i64::MAX as u64);

    /// The stamp for wall time `ms` and `counter`; a wall time beyond what a stamp holds
    /// gives `Hlc::MAX`'s.
    pub fn new(ms: i64, counter: u16) -> Self {
        let ms = (ms.max(0) as u64).min(Hlc::MAX.0 >> COUNTER_BITS);
        Hlc((ms << COUNTER_BITS) | counter as u64)
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
    /// `Hlc::MAX` has none and stays itself.
    fn successor(self) -> Hlc {
        Hlc((self.0 + 1).min(Hlc::MAX.0))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hlc_wire_refuses_stamps_no_store_keeps() {
        for v in [1u64 << 63, u64::MAX] {
            let err = serde_json::from_str::<Hlc>(&v.to_string()).unwrap_err();
            assert!(
                err.to_string().contains("beyond the largest stamp"),
                "{err}"
            );
        }
        let max: Hlc = serde_json::from_str(&i64::MAX.to_string()).unwrap();
        assert_eq!(max, Hlc::MAX);
        assert_eq!(Hlc::from_i64(max.as_i64()), max);
        assert_eq!(serde_json::to_string(&max).unwrap(), i64::MAX.to_string());
    }

    #[test]
    fn hlc_never_passes_its_largest_stamp() {
        assert_eq!(Hlc::new(i64::MAX, 7).wall_ms(), Hlc::MAX.wall_ms());
        assert!(Hlc::new(i64::MAX, 7) <= Hlc::MAX);
        assert_eq!(Hlc::MAX.tick(0), Hlc::MAX);
        assert_eq!(Hlc::MAX.tick(i64::MAX), Hlc::MAX);
    }
}
