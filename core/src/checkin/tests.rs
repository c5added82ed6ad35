use std::sync::Arc;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use super::pass::*;
use super::*;
use crate::hex;
use crate::registry::{Household, NewHousehold, NewResident, Sex};
use crate::{Doorstep, ManualClock};

const KEY: [u8; 32] = [7; 32];
/// 2026-11-23 08:00 UTC, 16:00 in China.
const NOW: i64 = 1_795_420_800_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
const SITE: &str = "丽岛社区核酸点";
const TODAY: &str = "2026-11-23";

/// A station phone with a signing key and a small registry.
struct Station {
    _dir: tempfile::TempDir,
    d: Doorstep,
    clock: Arc<ManualClock>,
    home: Household,
    /// 张伟, born 1980, no flags.
    adult: Resident,
    /// 王秀英, born 1941: elderly.
    elder: Resident,
    /// 李娜, born 1990, pregnant.
    mother: Resident,
}

fn open(dir: &tempfile::TempDir, name: &str, clock: &Arc<ManualClock>) -> Doorstep {
    Doorstep::open_with_clock(dir.path().join(name), &KEY, clock.clone()).unwrap()
}

fn station() -> Station {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(NOW));
    let d = open(&dir, "station.db", &clock);
    d.set_queue_prefix("A").unwrap();
    let area = d.ensure_area("武昌区/中南路街道/丽岛社区/第1网格").unwrap();
    let b = d.create_building(&area.id, "3栋").unwrap();
    let home = d
        .create_household(&NewHousehold {
            area_id: area.id.clone(),
            building_id: Some(b.id.clone()),
            address: "丽岛花园".into(),
            unit: Some("201".into()),
            phone: None,
        })
        .unwrap();
    let person = |name: &str, year: i32, tags: Vec<Tag>| {
        d.create_resident(&NewResident {
            household_id: home.id.clone(),
            name: name.into(),
            sex: Sex::Female,
            birth_year: Some(year),
            phone: None,
            tags,
            notes: None,
        })
        .unwrap()
    };
    let adult = person("张伟", 1980, vec![]);
    let elder = person("王秀英", 1941, vec![]);
    let mother = person("李娜", 1990, vec![Tag::Pregnant]);
    d.new_signing_key().unwrap();
    Station {
        _dir: dir,
        d,
        clock,
        home,
        adult,
        elder,
        mother,
    }
}

impl Station {
    /// A pass valid for a week from an hour ago.
    fn pass(&self, r: &Resident) -> IssuedPass {
        self.d.issue_pass(&r.id, NOW - HOUR, NOW + 7 * DAY).unwrap()
    }

    fn scan(&self, text: &str) -> ScanOutcome {
        self.d.scan(text, SITE, "1").unwrap()
    }

    /// A marshal phone that has received only the trust list and revocations.
    fn marshal(&self, name: &str, prefix: &str) -> Doorstep {
        let m = open(&self._dir, name, &self.clock);
        m.set_queue_prefix(prefix).unwrap();
        self.sync_to(&m);
        m
    }

    fn sync_to(&self, m: &Doorstep) {
        let ops: Vec<_> = self
            .d
            .pending_ops(100_000)
            .unwrap()
            .into_iter()
            .filter(|o| o.entity == "trusted_key" || o.entity == "pass_revocation")
            .collect();
        m.apply_remote(&ops).unwrap();
    }
}

fn admitted(no: &str) -> ScanOutcome {
    ScanOutcome::Admitted {
        queue_no: no.into(),
        lane: "1".into(),
    }
}

/// Re-encodes a pass with changed payload bytes.
fn with_bytes(text: &str, f: impl FnOnce(&mut [u8; PAYLOAD_LEN])) -> String {
    let mut b = decode(text).unwrap().to_bytes();
    f(&mut b);
    format!("{PREFIX}{}", base45::encode(b))
}

#[test]
fn pass_text_is_145_alphanumeric_characters_and_round_trips() {
    let s = station();
    let p = s.pass(&s.adult);
    assert_eq!(p.text.len(), TEXT_LEN);
    assert_eq!(TEXT_LEN, 145);
    const QR_ALNUM: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    assert!(p.text.chars().all(|c| QR_ALNUM.contains(c)), "{}", p.text);
    let decoded = decode(&p.text).unwrap();
    assert_eq!(decoded.body.pass_id.to_hex(), p.pass_id);
    assert_eq!(decoded.body.resident_ref.to_hex(), p.resident_ref);
    assert_eq!(decoded.body.valid_from as i64 * 1000, p.valid_from_ms);
    assert_eq!(decoded.body.valid_until as i64 * 1000, p.valid_until_ms);
    assert_eq!(decoded.to_text(), p.text);
    // The resident reference reveals nothing: it is neither id, name nor phone.
    assert!(!p.text.contains(&s.adult.id) && p.resident_ref.len() == 16);
    // A scanner's trailing newline is no reason to refuse.
    assert_eq!(s.scan(&format!("{}\r\n", p.text)), admitted("A-001"));
}

#[test]
fn the_documented_test_vector_holds() {
    // docs/pass-format.md gives these bytes to implementers in other languages.
    let secret: [u8; 32] = core::array::from_fn(|i| i as u8);
    let key = StationKey::from_secret(&secret);
    assert_eq!(
        hex::encode(&key.public()),
        "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
    );
    let body = PassBody {
        key_id: key.key_id(),
        pass_id: PassId::from_hex("5e0b7c2d91aa4f10").unwrap(),
        resident_ref: ResidentRef::from_hex("2f9d0c6b7a185e43").unwrap(),
        valid_from: 1_795_363_200,
        valid_until: 1_795_968_000,
        priority: PriorityFlags {
            elderly: true,
            ..Default::default()
        },
    };
    assert_eq!(
        hex::encode(&body.to_bytes()),
        "0156475aa75e0b7c2d91aa4f102f9d0c6b7a185e436b0311806b0c4c0001"
    );
    let text = "DS1:R70-0967LFK1AY5*NL322J%JJQDS33ON8KH0PAG/O1100+6N6M6BA5SZV/81 -G1HINOO.BUXRS3H\
                UB-1AADWI9O6RE TL5NGNBIN4.CK7XTTAKQYV0A4TQL%HS SFO4B6WUQ9SP10%/J";
    assert_eq!(key.sign(body).to_text(), text);
    let read = decode(text).unwrap();
    assert!(read.verify(&ed25519_dalek::VerifyingKey::from_bytes(&key.public()).unwrap()));
}

#[test]
fn valid_passes_are_admitted_with_consecutive_queue_numbers() {
    let s = station();
    let a = s.pass(&s.adult);
    let mut other = s.adult.clone();
    other.id =
        s.d.create_resident(&NewResident {
            household_id: s.home.id.clone(),
            name: "赵强".into(),
            birth_year: Some(1985),
            ..Default::default()
        })
        .unwrap()
        .id;
    let b = s.pass(&other);
    assert_eq!(s.scan(&a.text), admitted("A-001"));
    assert_eq!(s.scan(&b.text), admitted("A-002"));
    // Another site counts from 1.
    assert_eq!(
        s.d.scan(&a.text, "紫阳公园核酸点", "2").unwrap(),
        ScanOutcome::Admitted {
            queue_no: "A-001".into(),
            lane: "2".into()
        }
    );
}

#[test]
fn queue_numbers_go_on_after_the_phone_restarts_and_start_again_each_day() {
    let s = station();
    let (a, elder, mother) = (s.pass(&s.adult), s.pass(&s.elder), s.pass(&s.mother));
    let queue_no = |o: ScanOutcome| match o {
        ScanOutcome::Admitted { queue_no, .. } | ScanOutcome::Priority { queue_no, .. } => queue_no,
        other => panic!("not admitted: {other:?}"),
    };
    {
        let m = s.marshal("marshal.db", "B");
        assert_eq!(queue_no(m.scan(&a.text, SITE, "1").unwrap()), "B-001");
        assert_eq!(queue_no(m.scan(&elder.text, SITE, "1").unwrap()), "B-002");
    }
    // The count lives in memory; reopened, the phone resumes from its stored scans.
    let m = open(&s._dir, "marshal.db", &s.clock);
    assert_eq!(queue_no(m.scan(&mother.text, SITE, "1").unwrap()), "B-003");
    assert_eq!(
        m.scan(&a.text, SITE, "1").unwrap(),
        ScanOutcome::Duplicate {
            first_at_ms: NOW,
            queue_no: "B-001".into()
        }
    );
    s.clock.advance(DAY);
    assert_eq!(queue_no(m.scan(&mother.text, SITE, "1").unwrap()), "B-001");
    assert_eq!(queue_no(m.scan(&a.text, SITE, "1").unwrap()), "B-002");
}

#[test]
fn priority_flags_come_from_tags_and_age_and_send_to_the_priority_lane() {
    let s = station();
    let elder = s.pass(&s.elder);
    assert_eq!(
        elder.priority,
        PriorityFlags {
            elderly: true,
            ..Default::default()
        }
    );
    let mother = s.pass(&s.mother);
    assert!(mother.priority.pregnancy && !mother.priority.elderly);
    assert_eq!(
        s.scan(&elder.text),
        ScanOutcome::Priority {
            queue_no: "A-001".into(),
            lane: PRIORITY_LANE.into(),
            priority: elder.priority
        }
    );
    let child = Resident {
        birth_year: Some(2018),
        tags: vec![Tag::Disability],
        ..s.adult.clone()
    };
    let p = priority_of(&child, NOW);
    assert!(p.child && p.disability && !p.elderly && !p.pregnancy);
    assert_eq!(PriorityFlags::from_bits(p.bits()), p);
    assert!(!priority_of(&s.adult, NOW).any());
}

#[test]
fn a_second_scan_the_same_local_day_is_a_duplicate_even_with_a_new_pass() {
    let s = station();
    let first = s.pass(&s.adult);
    assert_eq!(s.scan(&first.text), admitted("A-001"));
    s.clock.advance(20 * 60_000);
    let dup = ScanOutcome::Duplicate {
        first_at_ms: NOW,
        queue_no: "A-001".into(),
    };
    assert_eq!(s.scan(&first.text), dup);
    // A re-issued pass carries the same resident reference.
    let again = s.pass(&s.adult);
    assert_ne!(again.pass_id, first.pass_id);
    assert_eq!(again.resident_ref, first.resident_ref);
    assert_eq!(s.scan(&again.text), dup);
    // The local day (UTC+8) ends at 16:00 UTC: a minute before it is the same day...
    s.clock.set(NOW + 8 * HOUR - 60_000);
    assert_eq!(s.scan(&first.text), dup);
    // ...a minute after it is the next, with numbers from 1 again.
    s.clock.set(NOW + 8 * HOUR + 60_000);
    assert_eq!(s.d.checkin_day().unwrap(), "2026-11-24");
    assert_eq!(s.scan(&first.text), admitted("A-001"));
}

#[test]
fn expired_and_not_yet_valid_passes_are_refused_with_their_window() {
    let s = station();
    let later =
        s.d.issue_pass(&s.adult.id, NOW + DAY, NOW + 2 * DAY)
            .unwrap();
    assert_eq!(
        s.scan(&later.text),
        ScanOutcome::NotYetValid {
            valid_from_ms: NOW + DAY
        }
    );
    let past = s.d.issue_pass(&s.adult.id, NOW - 2 * DAY, NOW).unwrap();
    assert_eq!(
        s.scan(&past.text),
        ScanOutcome::Expired {
            valid_until_ms: NOW
        }
    );
    // valid_until is exclusive, valid_from inclusive.
    s.clock.set(NOW + DAY);
    assert!(s.scan(&later.text).is_admitted());
    assert!(s
        .d
        .issue_pass(&s.adult.id, NOW, NOW)
        .unwrap_err()
        .to_string()
        .contains("not after"));
    assert!(s.d.issue_pass(&s.adult.id, NOW, NOW + 400 * DAY).is_err());
}

#[test]
fn a_revoked_pass_is_refused_offline_once_the_list_reached_the_phone() {
    let s = station();
    let lost = s.pass(&s.adult);
    let marshal = s.marshal("marshal.db", "B");
    s.d.revoke_pass(&lost.pass_id, "phone lost").unwrap();
    // Not synced yet: the marshal cannot know.
    assert!(marshal.scan(&lost.text, SITE, "1").unwrap().is_admitted());
    s.sync_to(&marshal);
    s.clock.advance(DAY);
    assert_eq!(
        marshal.scan(&lost.text, SITE, "1").unwrap(),
        ScanOutcome::Revoked {
            pass_id: lost.pass_id.clone()
        }
    );
    // A new pass for the same resident is fine; revoking all of them refuses it too.
    let new = s.pass(&s.adult);
    assert!(s.scan(&new.text).is_admitted());
    assert_eq!(s.d.revoke_passes_of(&s.adult.id, "moved away").unwrap(), 1);
    s.clock.advance(DAY);
    assert!(matches!(s.scan(&new.text), ScanOutcome::Revoked { .. }));
    assert!(s.d.revoke_pass("xyz", "").is_err());
}

#[test]
fn a_marshal_phone_verifies_with_public_keys_only_and_cannot_mint() {
    let s = station();
    let p = s.pass(&s.adult);
    let bare = open(&s._dir, "bare.db", &s.clock);
    let key_id = s.d.trusted_keys().unwrap()[0].key_id.clone();
    assert_eq!(
        bare.scan(&p.text, SITE, "1").unwrap(),
        ScanOutcome::UnknownKey {
            key_id: key_id.clone()
        }
    );
    let marshal = s.marshal("marshal.db", "B");
    let keys = marshal.trusted_keys().unwrap();
    assert_eq!(keys.len(), 1);
    assert!(!keys[0].can_sign && s.d.trusted_keys().unwrap()[0].can_sign);
    assert_eq!(
        marshal.scan(&p.text, SITE, "1").unwrap(),
        ScanOutcome::Admitted {
            queue_no: "B-001".into(),
            lane: "1".into()
        }
    );
    let no_key = marshal.issue_pass(&s.adult.id, NOW, NOW + DAY).unwrap_err();
    assert!(matches!(no_key, Error::Conflict(_)), "{no_key}");
    // The secret never enters the change log.
    let secret_hex = {
        let secret: Vec<u8> =
            s.d.read(|c| Ok(c.query_row("SELECT secret FROM signing_key", [], |r| r.get(0))?))
                .unwrap();
        hex::encode(&secret)
    };
    let log = serde_json::to_string(&s.d.pending_ops(100_000).unwrap()).unwrap();
    assert!(!log.contains(&secret_hex) && log.contains(&keys[0].public_key));
}

#[test]
fn flipping_any_single_bit_of_a_valid_pass_is_refused() {
    let s = station();
    let p = s.pass(&s.adult);
    for bit in 0..PAYLOAD_LEN * 8 {
        let text = with_bytes(&p.text, |b| b[bit / 8] ^= 1 << (bit % 8));
        let o = s.scan(&text);
        let expected = match bit / 8 {
            0 => matches!(o, ScanOutcome::Unreadable { .. }),
            1..=4 => matches!(o, ScanOutcome::UnknownKey { .. }),
            // The high bits of the flags byte are reserved: unreadable, not forged.
            29 if bit % 8 >= 4 => matches!(o, ScanOutcome::Unreadable { .. }),
            // A window that no longer begins before it ends, or is longer than 366 days,
            // is unreadable before its signature is checked.
            21..=28 if decode(&text).is_err() => matches!(o, ScanOutcome::Unreadable { .. }),
            _ => o == ScanOutcome::Forged,
        };
        assert!(expected, "bit {bit}: {o:?}");
    }
    assert_eq!(s.scan(&p.text), admitted("A-001"));
}

#[test]
fn a_pass_re_signed_with_a_key_off_the_trust_list_is_refused() {
    let s = station();
    let p = decode(&s.pass(&s.adult).text).unwrap();
    let rogue = StationKey::generate().unwrap();
    // Claiming the station's key id: the signature does not match it.
    let mut body = p.body;
    body.priority.elderly = true;
    assert_eq!(s.scan(&rogue.sign(body).to_text()), ScanOutcome::Forged);
    // Naming its own key: that key is not trusted.
    body.key_id = rogue.key_id();
    assert_eq!(
        s.scan(&rogue.sign(body).to_text()),
        ScanOutcome::UnknownKey {
            key_id: rogue.key_id().to_hex()
        }
    );
    // Whatever key and whatever body: never admitted.
    let mut runner = TestRunner::new(Config::with_cases(64));
    let strategy = (any::<[u8; 32]>(), any::<bool>(), any::<[u8; 8]>(), 0u8..16);
    runner
        .run(&strategy, |(secret, claim_station, r, flags)| {
            let rogue = StationKey::from_secret(&secret);
            let mut body = p.body;
            body.resident_ref = ResidentRef(r);
            body.priority = PriorityFlags::from_bits(flags);
            if !claim_station {
                body.key_id = rogue.key_id();
            }
            let o = s.scan(&rogue.sign(body).to_text());
            prop_assert!(
                matches!(o, ScanOutcome::Forged | ScanOutcome::UnknownKey { .. }),
                "{o:?}"
            );
            Ok(())
        })
        .unwrap();
}

#[test]
fn key_rotation_keeps_old_passes_valid_until_the_old_key_is_retired() {
    let s = station();
    let old_key = s.d.trusted_keys().unwrap()[0].key_id.clone();
    let old = s.pass(&s.adult);
    s.clock.advance(1000);
    let new_key = s.d.new_signing_key().unwrap();
    let new = s.pass(&s.elder);
    assert_eq!(old.key_id, old_key);
    assert_eq!(new.key_id, new_key.key_id);
    let marshal = s.marshal("marshal.db", "C");
    assert!(marshal.scan(&old.text, SITE, "1").unwrap().is_admitted());
    assert!(marshal.scan(&new.text, SITE, "1").unwrap().is_admitted());

    let retired = s.d.retire_key(&old_key).unwrap();
    assert_eq!(retired.retired_at_ms, Some(NOW + 1000));
    assert!(!retired.can_sign, "the retired secret is destroyed");
    s.sync_to(&marshal);
    s.clock.advance(DAY);
    assert_eq!(
        marshal.scan(&old.text, SITE, "1").unwrap(),
        ScanOutcome::UnknownKey { key_id: old_key }
    );
    assert!(marshal.scan(&new.text, SITE, "1").unwrap().is_admitted());
    // A retired key is not trusted again.
    let again = marshal.trust_key(&retired.public_key, 0).unwrap_err();
    assert!(matches!(again, Error::Conflict(_)), "{again}");
    // New passes still use the key in force; with none left, issuing stops.
    assert_eq!(s.pass(&s.adult).key_id, new_key.key_id);
    s.d.retire_key(&new_key.key_id).unwrap();
    assert!(matches!(
        s.d.issue_pass(&s.adult.id, NOW, NOW + DAY),
        Err(Error::Conflict(_))
    ));
}

#[test]
fn trust_list_entries_are_checked() {
    let s = station();
    let other = StationKey::generate().unwrap();
    let added =
        s.d.trust_key(&hex::encode(&other.public()), NOW + HOUR)
            .unwrap();
    assert_eq!(added.key_id, other.key_id().to_hex());
    let mut body = decode(&s.pass(&s.adult).text).unwrap().body;
    body.key_id = other.key_id();
    let text = other.sign(body).to_text();
    // Not before the key's window opens.
    assert!(matches!(s.scan(&text), ScanOutcome::UnknownKey { .. }));
    s.clock.advance(HOUR);
    assert!(s.scan(&text).is_admitted());
    assert!(s.d.trust_key("abc", NOW).is_err());
    assert!(s.d.trust_key(&"00".repeat(32), NOW).is_err(), "weak key");
    assert!(s.d.retire_key("00000000").is_err());
}

#[test]
fn unreadable_input_says_why_and_is_recorded() {
    let s = station();
    let p = s.pass(&s.adult);
    let cases = [
        ("", "nothing was scanned"),
        ("https://example.com/pay?x=1", "no DS1: prefix"),
        ("DS1:abc", "not Base45"),
        ("DS1:00", "has 1 bytes"),
    ];
    for (text, why) in cases {
        match s.scan(text) {
            ScanOutcome::Unreadable { reason } => assert!(reason.contains(why), "{reason}"),
            other => panic!("{text:?}: {other:?}"),
        }
    }
    let v2 = with_bytes(&p.text, |b| b[0] = 2);
    assert_eq!(
        s.scan(&v2),
        ScanOutcome::Unreadable {
            reason: "pass version 2 is not supported".into()
        }
    );
    let long = "D".repeat(10_000);
    assert!(matches!(s.scan(&long), ScanOutcome::Unreadable { .. }));
    let trail = s.d.check_ins(SITE, TODAY).unwrap();
    assert_eq!(trail.len(), 6);
    assert!(trail.iter().all(|c| c.outcome.code() == "unreadable"));
}

#[test]
fn every_scan_is_a_check_in_fact_and_reads_back_as_shown() {
    let s = station();
    let good = s.pass(&s.adult);
    let elder = s.pass(&s.elder);
    let past =
        s.d.issue_pass(&s.mother.id, NOW - 2 * DAY, NOW - DAY)
            .unwrap();
    let before = s.d.pending_op_count().unwrap();
    let shown = vec![
        s.scan(&good.text),
        s.scan(&good.text),
        s.scan(&elder.text),
        s.scan(&past.text),
        s.scan("hello"),
        s.d.scan_at_home(&good.text, "上门采样", &s.home.id)
            .unwrap(),
    ];
    assert_eq!(s.d.pending_op_count().unwrap(), before + shown.len() as u64);
    let mut trail = s.d.check_ins(SITE, TODAY).unwrap();
    trail.extend(s.d.check_ins("上门采样", TODAY).unwrap());
    let stored: Vec<ScanOutcome> = trail.iter().map(|c| c.outcome.clone()).collect();
    assert_eq!(stored, shown);
    assert_eq!(trail[0].pass_id.as_deref(), Some(good.pass_id.as_str()));
    assert_eq!(trail[0].device, s.d.device_id());
    assert_eq!(trail[4].pass_id, None);
    assert_eq!(
        trail[5].place,
        Place::Home {
            household_id: s.home.id.clone()
        }
    );
    assert_eq!(
        shown[5],
        ScanOutcome::Admitted {
            queue_no: "A-001".into(),
            lane: HOME_LANE.into()
        }
    );
    assert!(s
        .d
        .scan_at_home(&good.text, SITE, "no-such-household")
        .is_err());
    assert!(s.d.check_ins(SITE, "23/11/2026").is_err());
}

#[test]
fn queue_numbers_from_two_phones_at_one_site_never_collide() {
    let s = station();
    let a = s.marshal("a.db", "A");
    let b = s.marshal("b.db", "B");
    let mut seen = std::collections::HashSet::new();
    for i in 0..6 {
        let r =
            s.d.create_resident(&NewResident {
                household_id: s.home.id.clone(),
                name: format!("居民{i}"),
                birth_year: Some(1985),
                ..Default::default()
            })
            .unwrap();
        let p = s.pass(&r);
        let phone = if i % 2 == 0 { &a } else { &b };
        match phone.scan(&p.text, SITE, "1").unwrap() {
            ScanOutcome::Admitted { queue_no, .. } => assert!(seen.insert(queue_no)),
            other => panic!("{other:?}"),
        }
    }
    assert!(seen.contains("A-003") && seen.contains("B-003"));
    // Unconfigured phones get two letters from their device id.
    let fresh = open(&s._dir, "fresh.db", &s.clock);
    let prefix = fresh.queue_prefix().unwrap();
    assert!(prefix.len() == 2 && prefix.chars().all(|c| c.is_ascii_uppercase()));
    assert!(fresh.set_queue_prefix("A-1").is_err());
    assert_eq!(fresh.set_queue_prefix("c7").unwrap(), "C7");
}

fn residents(s: &Station, n: usize) -> Vec<IssuedPass> {
    (0..n)
        .map(|i| {
            let r =
                s.d.create_resident(&NewResident {
                    household_id: s.home.id.clone(),
                    name: format!("居民{i}"),
                    birth_year: Some(1985),
                    ..Default::default()
                })
                .unwrap();
            s.pass(&r)
        })
        .collect()
}

#[test]
fn a_tube_takes_at_most_its_capacity_and_nobody_after_sealing() {
    let s = station();
    let passes = residents(&s, 4);
    assert!(s.d.open_tube("T1", SITE, Some(0)).is_err());
    assert!(s.d.open_tube("T1", SITE, Some(21)).is_err());
    assert_eq!(
        s.d.open_tube("T0", SITE, None).unwrap().capacity,
        DEFAULT_TUBE_CAPACITY
    );
    let t = s.d.open_tube("T1", SITE, Some(3)).unwrap();
    assert!(
        matches!(s.d.seal_tube(&t.id), Err(Error::Conflict(_))),
        "empty"
    );
    for p in &passes[..3] {
        assert!(s.d.tube_scan(&t.id, &p.text, "1").unwrap().added);
    }
    let full = s.d.tube_scan(&t.id, &passes[3].text, "1").unwrap_err();
    assert!(full.to_string().contains("full (3 of 3)"), "{full}");
    // The refused scan left no check-in: the pass was never read.
    assert_eq!(s.d.check_ins(SITE, TODAY).unwrap().len(), 3);
    let sealed = s.d.seal_tube(&t.id).unwrap();
    assert_eq!((sealed.status, sealed.members), (TubeStatus::Sealed, 3));
    assert!(s.d.tube_scan(&t.id, &passes[3].text, "1").is_err());
    assert!(
        s.d.open_tube("T1", SITE, None).is_err(),
        "a tube is used once"
    );
    // Opening an open tube again resumes it.
    let t2 = s.d.open_tube("T2", SITE, None).unwrap();
    assert_eq!(s.d.open_tube("T2", SITE, None).unwrap(), t2);
    // The site's tubes: the open ones first, the sealed one with its members last.
    let listed = s.d.tubes(SITE, 10).unwrap();
    let codes: Vec<&str> = listed.iter().map(|t| t.code.as_str()).collect();
    assert_eq!(codes.len(), 3, "{codes:?}");
    assert!(
        codes[..2].contains(&"T0") && codes[..2].contains(&"T2"),
        "{codes:?}"
    );
    assert_eq!(listed[2], sealed);
    assert_eq!(s.d.tubes(SITE, 1).unwrap().len(), 1);
    assert!(s.d.tubes("另一个核酸点", 10).unwrap().is_empty());
}

#[test]
fn a_resident_is_never_in_two_open_tubes() {
    let s = station();
    let p = s.pass(&s.adult);
    let t1 = s.d.open_tube("T1", SITE, None).unwrap();
    let first = s.d.tube_scan(&t1.id, &p.text, "1").unwrap();
    assert!(first.added && first.tube.members == 1);
    // The same site and day: already sampled.
    let t2 = s.d.open_tube("T2", SITE, None).unwrap();
    let again = s.d.tube_scan(&t2.id, &p.text, "1").unwrap();
    assert!(!again.added && matches!(again.outcome, ScanOutcome::Duplicate { .. }));
    // Another site while T1 is still open: refused for the open tube.
    let t3 = s.d.open_tube("T3", "紫阳公园核酸点", None).unwrap();
    let other = s.d.tube_scan(&t3.id, &p.text, "1").unwrap();
    assert_eq!(
        other.outcome,
        ScanOutcome::InOpenTube {
            tube_code: "T1".into()
        }
    );
    assert!(!other.added && other.tube.members == 0);
    // Once T1 is sealed, the resident may be pooled again.
    s.d.seal_tube(&t1.id).unwrap();
    assert!(s.d.tube_scan(&t3.id, &p.text, "1").unwrap().added);
}

#[test]
fn a_tube_scan_after_the_entrance_keeps_the_entrance_number() {
    let s = station();
    let p = s.pass(&s.adult);
    assert_eq!(s.scan(&p.text), admitted("A-001"));
    let t = s.d.open_tube("T1", SITE, None).unwrap();
    let sampled = s.d.tube_scan(&t.id, &p.text, "1").unwrap();
    assert_eq!(sampled.outcome, admitted("A-001"));
    assert!(sampled.added);
    let twice = s.d.tube_scan(&t.id, &p.text, "1").unwrap();
    assert!(!twice.added && matches!(twice.outcome, ScanOutcome::Duplicate { .. }));
    assert_eq!(s.d.tube(&t.id).unwrap().members, 1);
}

#[test]
fn a_positive_tube_recalls_exactly_its_residents_with_their_households() {
    let s = station();
    let in_tube = [s.pass(&s.adult), s.pass(&s.elder)];
    let elsewhere = s.pass(&s.mother);
    let t = s.d.open_tube("T9", SITE, None).unwrap();
    let other = s.d.open_tube("T10", SITE, None).unwrap();
    for p in &in_tube {
        assert!(s.d.tube_scan(&t.id, &p.text, "1").unwrap().added);
    }
    assert!(
        s.d.tube_scan(&other.id, &elsewhere.text, "1")
            .unwrap()
            .added
    );
    assert!(matches!(
        s.d.set_tube_result(&t.id, TubeResult::Positive),
        Err(Error::Conflict(_))
    ));
    s.d.seal_tube(&t.id).unwrap();
    assert!(matches!(s.d.tube_recall(&t.id), Err(Error::Conflict(_))));
    let t = s.d.set_tube_result(&t.id, TubeResult::Positive).unwrap();
    assert_eq!(t.result, TubeResult::Positive);
    let recall = s.d.tube_recall(&t.id).unwrap();
    let mut names: Vec<&str> = recall
        .iter()
        .map(|r| r.resident.as_ref().unwrap().name.as_str())
        .collect();
    names.sort();
    assert_eq!(names, ["张伟", "王秀英"]);
    assert!(recall
        .iter()
        .all(|r| r.household.as_ref() == Some(&s.home) && r.queue_no.is_some()));
    // A marshal phone without the registry still lists the references to recall.
    let bare = s.marshal("m.db", "M");
    let ops: Vec<_> =
        s.d.pending_ops(100_000)
            .unwrap()
            .into_iter()
            .filter(|o| o.entity == "tube" || o.entity == "tube_member")
            .collect();
    bare.apply_remote(&ops).unwrap();
    let refs = bare.tube_recall(&t.id).unwrap();
    assert_eq!(refs.len(), 2);
    assert!(refs.iter().all(|r| r.resident.is_none()));
}

#[test]
fn door_to_door_sampling_puts_a_bedridden_resident_in_a_tube_at_home() {
    let s = station();
    let p = s.pass(&s.elder);
    let t = s.d.open_tube("H1", "上门采样", Some(5)).unwrap();
    let at_home = s.d.tube_scan_at_home(&t.id, &p.text, &s.home.id).unwrap();
    assert!(at_home.added);
    assert!(matches!(
        at_home.outcome,
        ScanOutcome::Priority { ref lane, .. } if lane == HOME_LANE
    ));
    let trail = s.d.check_ins("上门采样", TODAY).unwrap();
    assert_eq!(
        trail[0].place,
        Place::Home {
            household_id: s.home.id.clone()
        }
    );
    assert_eq!(trail[0].tube_id.as_deref(), Some(t.id.as_str()));
}

#[test]
fn a_rendered_png_is_read_back_by_the_decoder_and_admitted() {
    let s = station();
    let p = s.pass(&s.adult);
    let png = s.d.pass_png(&p.text, 4).unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    assert_eq!(s.d.decode_qr_image(&png).unwrap(), p.text);
    let m = render::qr_matrix(&p.text).unwrap();
    assert_eq!(m.width, 49, "version 8: alphanumeric mode at level Q");
    assert_eq!(s.d.scan_image(&png, SITE, "1").unwrap(), admitted("A-001"));
    let svg = s.d.pass_svg(&p.text).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("viewBox=\"0 0 57 57\""));
    assert!(s.d.pass_png("not a pass", 4).is_err());
    // An image without a code is an unreadable scan, recorded like any other.
    match s.d.scan_image(b"\x89PNG garbage", SITE, "1").unwrap() {
        ScanOutcome::Unreadable { reason } => assert!(reason.contains("image"), "{reason}"),
        other => panic!("{other:?}"),
    }
    let blank = render::qr_png(&p.text, 1).unwrap();
    assert!(render::decode_luma(3, 3, &[255; 9]).is_err());
    assert!(render::decode_luma(3, 3, &[255; 8]).is_err());
    assert!(!blank.is_empty());
}

/// Every Flate stream of a PDF, inflated and joined.
fn inflated_streams(pdf: &[u8]) -> Vec<u8> {
    let find = |from: usize, needle: &[u8]| {
        pdf[from..]
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|i| i + from)
    };
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(start) = find(at, b"stream\n") {
        let data = start + b"stream\n".len();
        let Some(end) = find(data, b"\nendstream") else {
            break;
        };
        if let Ok(d) = miniz_oxide::inflate::decompress_to_vec_zlib(&pdf[data..end]) {
            out.extend(d);
        }
        at = end + 1;
    }
    out
}

#[test]
fn a_sheet_prints_eight_passes_a_page_labelled_by_unit_never_by_name() {
    let s = station();
    residents(&s, 7);
    let area = s.d.areas().unwrap().pop().unwrap();
    let sheet =
        s.d.pass_sheet(
            &SheetFilter {
                area_id: Some(area.id.clone()),
                ..Default::default()
            },
            NOW,
            NOW + 7 * DAY,
        )
        .unwrap();
    assert_eq!(sheet.passes.len(), 10);
    let pdf = &sheet.pdf;
    assert!(pdf.starts_with(b"%PDF-"));
    let text = String::from_utf8_lossy(pdf);
    assert!(text.contains("/Count 2"), "10 passes fill 2 pages");
    assert!(text.contains("/STSong-Light") && text.contains("/UniGB-UTF16-H"));
    let drawn = inflated_streams(pdf);
    // Text in a UTF-16 font is written as a hex string of big-endian code units.
    let utf16 = |s: &str| -> Vec<u8> {
        s.encode_utf16()
            .map(|u| format!("{u:04X}"))
            .collect::<String>()
            .into_bytes()
    };
    let contains = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
    assert!(contains(&drawn, &utf16("丽岛花园")), "the label is drawn");
    assert!(contains(&drawn, &utf16("优先: 孕妇")));
    assert!(!contains(&drawn, &utf16("张伟")) && !contains(&drawn, &utf16("王秀英")));
    // Tag filter and a filter that selects nothing sensible.
    let pregnant =
        s.d.pass_sheet(
            &SheetFilter {
                area_id: Some(area.id),
                tag: Some(Tag::Pregnant),
                ..Default::default()
            },
            NOW,
            NOW + DAY,
        )
        .unwrap();
    assert_eq!(pregnant.passes.len(), 1);
    assert!(s
        .d
        .pass_sheet(&SheetFilter::default(), NOW, NOW + DAY)
        .is_err());
    // Every printed pass scans.
    assert!(s.scan(&sheet.passes[9].text).is_admitted());
}

#[test]
fn arbitrary_scanner_text_never_panics_and_is_unreadable() {
    let s = station();
    let mut runner = TestRunner::new(Config::with_cases(200));
    let strategy = prop_oneof![
        any::<String>(),
        "DS1:[0-9A-Z $%*+./:-]{0,200}",
        proptest::collection::vec(any::<u8>(), 0..120)
            .prop_map(|b| format!("{PREFIX}{}", base45::encode(b))),
    ];
    runner
        .run(&strategy, |text| {
            let o = s.scan(&text);
            prop_assert!(
                matches!(
                    o,
                    ScanOutcome::Unreadable { .. } | ScanOutcome::UnknownKey { .. }
                ),
                "{text:?}: {o:?}"
            );
            Ok(())
        })
        .unwrap();
}

#[test]
fn arbitrary_image_bytes_never_panic() {
    let mut runner = TestRunner::new(Config::with_cases(64));
    let strategy = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..2000),
        proptest::collection::vec(any::<u8>(), 0..2000).prop_map(|mut b| {
            b.splice(0..0, *b"\x89PNG\r\n\x1a\n");
            b
        }),
    ];
    runner
        .run(&strategy, |bytes| {
            prop_assert!(render::decode_image(&bytes).is_err());
            Ok(())
        })
        .unwrap();
    let mut runner = TestRunner::new(Config::with_cases(32));
    runner
        .run(&(1u32..40, 1u32..40, any::<u8>()), |(w, h, seed)| {
            let frame: Vec<u8> = (0..w * h)
                .map(|i| (i as u8).wrapping_mul(seed) ^ seed)
                .collect();
            let _ = render::decode_luma(w, h, &frame);
            Ok(())
        })
        .unwrap();
}

#[test]
fn flipped_bits_anywhere_are_always_refused() {
    let s = station();
    let p = s.pass(&s.adult);
    let mut runner = TestRunner::new(Config::with_cases(200));
    let flips = proptest::collection::vec(0..PAYLOAD_LEN * 8, 1..6);
    runner
        .run(&flips, |bits| {
            let text = with_bytes(&p.text, |b| {
                for bit in &bits {
                    b[bit / 8] ^= 1 << (bit % 8);
                }
            });
            // An even number of flips of one bit cancels out; that is the valid pass.
            if text == p.text {
                return Ok(());
            }
            let o = s.scan(&text);
            prop_assert!(!o.is_admitted(), "{bits:?}: {o:?}");
            Ok(())
        })
        .unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn base45_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let text = base45::encode(&bytes);
        const QR_ALNUM: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
        prop_assert!(text.chars().all(|c| QR_ALNUM.contains(c)));
        prop_assert_eq!(base45::decode(&text).unwrap(), bytes);
    }

    #[test]
    fn pass_bytes_round_trip(
        key in any::<[u8; 4]>(), id in any::<[u8; 8]>(), r in any::<[u8; 8]>(),
        from in 0..u32::MAX - MAX_VALIDITY_S, days in 1..=MAX_VALIDITY_S,
        flags in 0u8..16, sig in any::<[u8; 32]>(),
    ) {
        let until = from + days;
        let mut signature = [0u8; 64];
        signature[..32].copy_from_slice(&sig);
        let p = SignedPass {
            body: PassBody {
                key_id: KeyId(key), pass_id: PassId(id), resident_ref: ResidentRef(r),
                valid_from: from, valid_until: until, priority: PriorityFlags::from_bits(flags),
            },
            signature,
        };
        let text = p.to_text();
        prop_assert_eq!(text.len(), TEXT_LEN);
        prop_assert_eq!(decode(&text).unwrap(), p);
    }

    #[test]
    fn a_window_that_is_empty_or_longer_than_366_days_is_always_refused(
        from in any::<u32>(), until in any::<u32>(), sig in any::<[u8; 32]>(),
    ) {
        prop_assume!(until <= from || until - from > MAX_VALIDITY_S);
        let mut b = [0u8; PAYLOAD_LEN];
        b[0] = VERSION;
        b[21..25].copy_from_slice(&from.to_be_bytes());
        b[25..29].copy_from_slice(&until.to_be_bytes());
        b[BODY_LEN..BODY_LEN + 32].copy_from_slice(&sig);
        prop_assert_eq!(decode_bytes(&b), Err(Unreadable::Window(from, until)));
    }

    #[test]
    fn the_decoder_never_panics(s in any::<String>(), b in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = decode(&s);
        let _ = decode_bytes(&b);
        let prefixed = format!("{PREFIX}{s}");
        let refused = decode(&prefixed).is_err();
        prop_assert!(refused || s.len() == TEXT_LEN - PREFIX.len());
    }
}

#[test]
fn the_length_limit_counts_the_text_as_scanned_whitespace_included() {
    let s = station();
    let p = s.pass(&s.adult);
    // 145 characters and 367 spaces is 512: at the limit, trimmed and admitted.
    let padded = format!("{}{}", p.text, " ".repeat(MAX_INPUT - TEXT_LEN));
    assert_eq!(padded.len(), MAX_INPUT);
    assert_eq!(s.scan(&padded), admitted("A-001"));
    // One byte more, or the issue's 400 spaces, is refused before it is trimmed.
    for extra in [MAX_INPUT - TEXT_LEN + 1, 400] {
        let long = format!("{}{}", p.text, " ".repeat(extra));
        assert_eq!(decode(&long), Err(Unreadable::TooLong(TEXT_LEN + extra)));
        let o = s.scan(&long);
        assert!(
            matches!(&o, ScanOutcome::Unreadable { reason } if reason.contains("longer than any pass")),
            "{o:?}"
        );
    }
    // Multi-byte characters count as their UTF-8 bytes.
    let wide = format!("{}{}", p.text, "\u{3000}".repeat(123));
    assert_eq!(decode(&wide), Err(Unreadable::TooLong(TEXT_LEN + 369)));
}

#[test]
fn only_ascii_whitespace_around_a_pass_is_trimmed() {
    let s = station();
    let p = s.pass(&s.adult);
    let want = decode(&p.text).unwrap();
    // What scanners add: space, tab, LF, FF, CR, on either side.
    for ws in [" ", "\t", "\n", "\x0c", "\r", "\r\n", " \t\r\n"] {
        assert_eq!(decode(&format!("{ws}{}{ws}", p.text)), Ok(want), "{ws:?}");
    }
    // Anything else is part of the text: before the prefix it hides the prefix, after
    // the Base45 it is not Base45.
    for other in [
        "\x0b", "\u{a0}", "\u{3000}", "\u{200b}", "\u{feff}", "\u{85}",
    ] {
        assert_eq!(
            decode(&format!("{other}{}", p.text)),
            Err(Unreadable::NoPrefix),
            "{other:?}"
        );
        assert_eq!(
            decode(&format!("{}{other}", p.text)),
            Err(Unreadable::NotBase45),
            "{other:?}"
        );
    }
    // Whitespace inside the text is the Base45 space, or breaks it.
    assert_eq!(
        decode(&p.text.replacen(':', ":\n", 1)),
        Err(Unreadable::NotBase45)
    );
    assert_eq!(s.scan(&format!("\t{}\r\n", p.text)), admitted("A-001"));
}

#[test]
fn a_reader_refuses_a_window_longer_than_the_issuers_366_days_even_from_a_trusted_key() {
    let s = station();
    let secret: Vec<u8> =
        s.d.read(|c| Ok(c.query_row("SELECT secret FROM signing_key", [], |r| r.get(0))?))
            .unwrap();
    let key = StationKey::from_secret(&secret.try_into().unwrap());
    let sign = |from_s: i64, until_s: i64| {
        key.sign(PassBody {
            key_id: key.key_id(),
            pass_id: PassId([1; 8]),
            resident_ref: ResidentRef([2; 8]),
            valid_from: from_s as u32,
            valid_until: until_s as u32,
            priority: PriorityFlags::default(),
        })
        .to_text()
    };
    let from = (NOW - HOUR) / 1000;
    // Ten years, signed by the station's own trusted key: refused.
    let ten_years = sign(from, from + 3653 * 86_400);
    let o = s.scan(&ten_years);
    assert!(
        matches!(&o, ScanOutcome::Unreadable { reason } if reason.contains("3653 days")),
        "{o:?}"
    );
    // 366 days and a second is one second too long; 366 days exactly is a pass.
    let o = s.scan(&sign(from, from + 366 * 86_400 + 1));
    assert!(matches!(o, ScanOutcome::Unreadable { .. }), "{o:?}");
    assert_eq!(s.scan(&sign(from, from + 366 * 86_400)), admitted("A-001"));
    // A window that ends before it begins is no pass either.
    let o = s.scan(&sign(from, from - 1));
    assert!(
        matches!(&o, ScanOutcome::Unreadable { reason } if reason.contains("before it begins")),
        "{o:?}"
    );
    // The issuer refuses the same windows.
    let r = &s.adult.id;
    assert!(s.d.issue_pass(r, NOW, NOW + 366 * DAY + 1000).is_err());
    assert!(s.d.issue_pass(r, NOW, NOW + 366 * DAY).is_ok());
}

#[test]
fn a_marshals_set_up_is_kept_across_a_restart_and_never_synced() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(NOW));
    let d = open(&dir, "marshal.db", &clock);
    assert_eq!(d.site_setup().unwrap(), None);
    let before = d.pending_ops(100).unwrap().len();
    let kept = d
        .set_site_setup(&SiteSetup {
            site: "  丽岛社区核酸点 ".into(),
            lane: " 2".into(),
            pause_seconds: 3,
        })
        .unwrap();
    assert_eq!((kept.site.as_str(), kept.lane.as_str()), (SITE, "2"));
    assert_eq!(d.pending_ops(100).unwrap().len(), before);
    drop(d);
    let again = open(&dir, "marshal.db", &clock);
    assert_eq!(again.site_setup().unwrap(), Some(kept.clone()));
    // Refused values leave the kept set-up as it was.
    for bad in [
        SiteSetup {
            site: " ".into(),
            ..kept.clone()
        },
        SiteSetup {
            lane: "".into(),
            ..kept.clone()
        },
        SiteSetup {
            pause_seconds: MAX_PAUSE_SECONDS + 1,
            ..kept.clone()
        },
    ] {
        let e = again.set_site_setup(&bad).unwrap_err();
        assert!(matches!(e, Error::Invalid(_)), "{e:?}");
    }
    assert_eq!(again.site_setup().unwrap(), Some(kept));
}
