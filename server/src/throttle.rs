//! Slows down guessing: of dashboard passwords (per account name and per client address)
//! and of enrolment codes (per client address). A few wrong tries are free; after them
//! each further try must wait twice as long as the one before, up to a cap, and a try
//! made while it has to wait is answered 429 with `Retry-After`, whatever it holds, so
//! the right password does not work during the wait either. A try is counted before it
//! is judged, so tries sent side by side get no more than tries sent one after another.
//! Wrong tries are forgotten an hour after the last one; a right password clears its
//! account's count, not its address's.
//!
//! The counts live in the memory of one server node: with several nodes behind a load
//! balancer, a guesser reaching all of them gets as many tries as there are nodes.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// How tries on one kind of key are limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Wrong tries answered without any wait.
    pub free: u32,
    /// The wait after the first wrong try beyond `free`, ms; it doubles with each one.
    pub first_wait_ms: i64,
    /// The longest wait, ms.
    pub max_wait_ms: i64,
    /// How long after the last wrong try the count is forgotten, ms.
    pub forget_after_ms: i64,
}

/// Dashboard logins, per account name.
pub const LOGIN_ACCOUNT: Rule = Rule {
    free: 5,
    first_wait_ms: 1_000,
    max_wait_ms: 15 * 60_000,
    forget_after_ms: 60 * 60_000,
};

/// Dashboard logins, per client address (many names from one place).
pub const LOGIN_ADDRESS: Rule = Rule {
    free: 20,
    first_wait_ms: 1_000,
    max_wait_ms: 15 * 60_000,
    forget_after_ms: 60 * 60_000,
};

/// Enrolment codes, per client address.
pub const ENROL_ADDRESS: Rule = Rule {
    free: 10,
    first_wait_ms: 1_000,
    max_wait_ms: 15 * 60_000,
    forget_after_ms: 60 * 60_000,
};

/// Keys kept at most; beyond them, new keys share one count (so a flood of addresses
/// or names cannot exhaust memory, and is throttled together).
const MAX_KEYS: usize = 100_000;

/// What a key is counted under.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    /// A dashboard account name as typed (trimmed, lower case).
    LoginAccount(String),
    LoginAddress(IpAddr),
    EnrolAddress(IpAddr),
    /// Every key that found the table full.
    Overflow(&'static str),
}

impl Key {
    /// The account key of a typed name.
    pub fn account(name: &str) -> Key {
        Key::LoginAccount(name.trim().to_lowercase())
    }

    fn rule(&self) -> Rule {
        match self {
            Key::LoginAccount(_) => LOGIN_ACCOUNT,
            Key::LoginAddress(_) => LOGIN_ADDRESS,
            Key::EnrolAddress(_) => ENROL_ADDRESS,
            Key::Overflow("enrol") => ENROL_ADDRESS,
            Key::Overflow(_) => LOGIN_ADDRESS,
        }
    }

    fn overflow(&self) -> Key {
        match self {
            Key::EnrolAddress(_) | Key::Overflow("enrol") => Key::Overflow("enrol"),
            _ => Key::Overflow("login"),
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Count {
    wrong: u32,
    last_wrong_ms: i64,
    wait_until_ms: i64,
}

impl Count {
    fn forgotten(&self, rule: Rule, now_ms: i64) -> bool {
        now_ms.saturating_sub(self.last_wrong_ms) >= rule.forget_after_ms
    }
}

/// A try that has to wait: how long, ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait {
    pub ms: i64,
}

impl Wait {
    /// Whole seconds for `Retry-After`, rounded up.
    pub fn seconds(self) -> i64 {
        (self.ms + 999) / 1000
    }
}

/// The counts of wrong tries.
#[derive(Debug, Default)]
pub struct Throttle {
    counts: Mutex<HashMap<Key, Count>>,
}

impl Throttle {
    /// An empty throttle.
    pub fn new() -> Throttle {
        Throttle::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Count>> {
        self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts a try on these keys at `now_ms`: the longest wait if one of them has to wait,
    /// else the try is counted as wrong at once, before it is judged, so that tries made
    /// side by side see each other's counts (`succeeded` takes it back).
    pub fn attempt(&self, keys: &[Key], now_ms: i64) -> Result<(), Wait> {
        let mut counts = self.lock();
        let wait = keys
            .iter()
            .filter_map(|k| counts.get(k).or_else(|| counts.get(&k.overflow())))
            .map(|c| c.wait_until_ms.saturating_sub(now_ms))
            .max()
            .unwrap_or(0);
        if wait > 0 {
            return Err(Wait { ms: wait });
        }
        for k in keys {
            count_wrong(&mut counts, k, now_ms);
        }
        Ok(())
    }

    /// A try that turned out right: its account's count is cleared, and the try is taken
    /// back from the other keys' (an address keeps the wrong tries made from it).
    pub fn succeeded(&self, keys: &[Key]) {
        let mut counts = self.lock();
        for k in keys {
            match k {
                Key::LoginAccount(_) => {
                    counts.remove(k);
                }
                _ => {
                    if let Some(c) = counts.get_mut(k) {
                        c.wrong = c.wrong.saturating_sub(1);
                        if c.wrong <= k.rule().free {
                            c.wait_until_ms = 0;
                        }
                    }
                }
            }
        }
    }
}

/// Counts a wrong try on `k`, starting its wait once it is past its free tries.
fn count_wrong(counts: &mut HashMap<Key, Count>, k: &Key, now_ms: i64) {
    if !counts.contains_key(k) && counts.len() >= MAX_KEYS {
        counts.retain(|k, c| !c.forgotten(k.rule(), now_ms));
    }
    let key = if counts.contains_key(k) || counts.len() < MAX_KEYS {
        k.clone()
    } else {
        k.overflow()
    };
    let rule = key.rule();
    let c = counts.entry(key).or_default();
    if c.wrong > 0 && c.forgotten(rule, now_ms) {
        *c = Count::default();
    }
    c.wrong = c.wrong.saturating_add(1);
    c.last_wrong_ms = now_ms;
    if c.wrong > rule.free {
        let doublings = (c.wrong - rule.free - 1).min(30);
        let wait = rule
            .first_wait_ms
            .saturating_mul(1i64 << doublings)
            .min(rule.max_wait_ms);
        c.wait_until_ms = now_ms.saturating_add(wait);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip() -> IpAddr {
        "192.0.2.7".parse().unwrap()
    }

    #[test]
    fn free_tries_then_doubling_waits_up_to_the_cap() {
        let t = Throttle::new();
        let k = [Key::account("Admin ")];
        for _ in 0..=LOGIN_ACCOUNT.free {
            assert_eq!(t.attempt(&k, 0), Ok(()));
        }
        assert_eq!(
            t.attempt(&[Key::account("admin")], 0),
            Err(Wait { ms: 1_000 })
        );
        assert_eq!(t.attempt(&k, 1_000), Ok(()));
        assert_eq!(t.attempt(&k, 1_000), Err(Wait { ms: 2_000 }));
        let mut at = 3_000;
        for _ in 0..20 {
            assert_eq!(t.attempt(&k, at), Ok(()));
            at += LOGIN_ACCOUNT.max_wait_ms;
        }
        assert_eq!(
            t.attempt(&k, at - LOGIN_ACCOUNT.max_wait_ms),
            Err(Wait {
                ms: LOGIN_ACCOUNT.max_wait_ms
            })
        );
        t.succeeded(&k);
        assert_eq!(t.attempt(&k, 0), Ok(()));
    }

    #[test]
    fn a_right_try_is_taken_back_from_its_address() {
        let t = Throttle::new();
        let a = [Key::LoginAddress(ip())];
        for _ in 0..LOGIN_ADDRESS.free {
            assert_eq!(t.attempt(&a, 0), Ok(()));
        }
        // The next try would start a wait; a right one takes itself back.
        assert_eq!(t.attempt(&a, 0), Ok(()));
        t.succeeded(&a);
        assert_eq!(t.attempt(&a, 0), Ok(()));
        assert!(t.attempt(&a, 0).is_err());
    }

    #[test]
    fn wrong_tries_are_forgotten_an_hour_after_the_last() {
        let t = Throttle::new();
        let k = [Key::EnrolAddress(ip())];
        for _ in 0..=ENROL_ADDRESS.free {
            t.attempt(&k, 0).unwrap();
        }
        assert!(t.attempt(&k, 0).is_err());
        let later = ENROL_ADDRESS.forget_after_ms;
        assert_eq!(t.attempt(&k, later), Ok(()));
        assert_eq!(t.attempt(&k, later), Ok(()), "counted from one again");
    }

    #[test]
    fn a_full_table_throttles_new_keys_together() {
        let t = Throttle::new();
        for i in 0..MAX_KEYS as u32 {
            t.attempt(&[Key::LoginAccount(i.to_string())], 0).unwrap();
        }
        let fresh = [Key::LoginAccount("new".into())];
        for _ in 0..=LOGIN_ADDRESS.free {
            t.attempt(&fresh, 1).unwrap();
        }
        assert!(t.attempt(&fresh, 1).is_err());
        assert!(t.attempt(&[Key::LoginAccount("other".into())], 1).is_err());
        assert_eq!(t.lock().len(), MAX_KEYS + 1);
    }
}
