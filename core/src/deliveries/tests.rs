use std::sync::Arc;

use image::codecs::jpeg::JpegEncoder;
use image::{ImageFormat, RgbImage};
use rusqlite::params;

use super::*;
use crate::registry::{Household, NewHousehold, NewResident, Resident, Sex};
use crate::visits::{NeedCategory, NewNeed, NewReferral, Subject};
use crate::{Doorstep, ManualClock};

const KEY: [u8; 32] = [23; 32];
/// 2026-11-23 08:00 UTC, 16:00 in China.
const NOW: i64 = 1_795_420_800_000;
const HOUR: i64 = 3_600_000;

struct Fixture {
    dir: tempfile::TempDir,
    d: Doorstep,
    clock: Arc<ManualClock>,
    grid: String,
}

fn open() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(NOW));
    let d = Doorstep::open_with_clock(dir.path().join("d.db"), &KEY, clock.clone()).unwrap();
    d.set_user("station-1").unwrap();
    let grid = d
        .ensure_area("武昌区/中南路街道/丽岛社区/第1网格")
        .unwrap()
        .id;
    Fixture {
        dir,
        d,
        clock,
        grid,
    }
}

impl Fixture {
    fn household(&self, building: &str, unit: &str) -> Household {
        let b = self.d.create_building(&self.grid, building).unwrap();
        self.d
            .create_household(&NewHousehold {
                area_id: self.grid.clone(),
                building_id: Some(b.id),
                unit: Some(unit.into()),
                address: format!("丽岛路{building}{unit}"),
                ..Default::default()
            })
            .unwrap()
    }

    fn resident(&self, h: &Household) -> Resident {
        self.d
            .create_resident(&NewResident {
                household_id: h.id.clone(),
                name: "王秀英".into(),
                sex: Sex::Female,
                birth_year: Some(1941),
                ..Default::default()
            })
            .unwrap()
    }

    fn stock(&self, line: ItemLine) {
        self.d
            .receive_stock(&line, StockMoveKind::Donation, Some("红十字会"), None)
            .unwrap();
    }

    fn request(&self, h: &Household, items: Vec<ItemLine>) -> CreatedRequest {
        self.d
            .create_request(&NewRequest {
                household_id: Some(h.id.clone()),
                source: RequestSource::Manual,
                items,
                urgency: Urgency::Normal,
                notes: None,
            })
            .unwrap()
    }

    fn step(&self, package: &str, to: PackageStatus) -> Handoff {
        self.d.handoff(package, &HandoffInput::new(to)).unwrap()
    }

    /// A package of `items` packed and out with runner-1.
    fn out(&self, h: &Household, items: Vec<ItemLine>) -> (CreatedRequest, Package) {
        for l in &items {
            self.stock(l.clone());
        }
        let req = self.request(h, items);
        let p = self.d.new_package(&req.request.id, None).unwrap();
        self.step(&p.id, PackageStatus::Packed);
        self.d
            .handoff(
                &p.id,
                &HandoffInput {
                    to: Some("runner-1".into()),
                    ..HandoffInput::new(PackageStatus::OutForDelivery)
                },
            )
            .unwrap();
        (req, p)
    }

    fn deliver(&self, package: &str, proof: Proof) -> Result<Handoff> {
        self.d.handoff(
            package,
            &HandoffInput {
                proof: Some(proof),
                place: Some("门口".into()),
                ..HandoffInput::new(PackageStatus::Delivered)
            },
        )
    }

    /// The raw database, opened beside the store, to tamper with.
    fn raw(&self) -> rusqlite::Connection {
        crate::store::open(&self.dir.path().join("d.db"), &KEY).unwrap()
    }

    fn ops(&self) -> u64 {
        self.d.pending_op_count().unwrap()
    }
}

fn rice(q: i64) -> ItemLine {
    ItemLine::new("rice", q)
}

fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    });
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&img)
        .unwrap();
    out
}

const GPS_MARK: &[u8] = b"GPS 30.5288N 114.3504E";

/// A JPEG as a phone camera writes it: an EXIF segment with a GPS position right after
/// the start marker.
fn camera_jpeg(w: u32, h: u32) -> Vec<u8> {
    let plain = jpeg(w, h);
    // TIFF header (big-endian), one IFD with a GPSInfo pointer, then the GPS text.
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&[0, 1, 0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 26, 0, 0, 0, 0]);
    tiff.extend_from_slice(GPS_MARK);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let len = (app1.len() + 2) as u16;
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&plain[2..]);
    out
}

fn find(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn request_to_delivered_with_pin_moves_stock_and_resolves_the_need() {
    let f = open();
    let h = f.household("3栋", "2-101");
    let need =
        f.d.raise_need(&NewNeed {
            subject: Subject::household(&h.id),
            category: NeedCategory::FoodStaples,
            urgency: Urgency::High,
            details: Some("米快吃完了".into()),
            drug: None,
            days_left: None,
            visit_id: None,
        })
        .unwrap();
    f.stock(rice(20));
    f.stock(ItemLine::new("cooking_oil", 4));
    let created =
        f.d.create_request(&NewRequest {
            household_id: None,
            source: RequestSource::Need {
                need_id: need.id.clone(),
            },
            items: vec![rice(5), ItemLine::new("cooking_oil", 1)],
            urgency: Urgency::High,
            notes: Some("老人行动不便".into()),
        })
        .unwrap();
    assert_eq!(created.pin.len(), 6);
    assert!(created.pin.chars().all(|c| c.is_ascii_digit()));
    let req = created.request;
    assert_eq!(req.household_id, h.id);
    assert_eq!(req.status, RequestStatus::Open);
    assert_eq!(f.d.need(&need.id).unwrap().status, NeedStatus::InProgress);

    let p = f.d.new_package(&req.id, None).unwrap();
    assert_eq!(p.status, PackageStatus::Requested);
    assert_eq!(p.items.len(), 2);
    assert_eq!(p.unit.as_deref(), Some("2-101"));

    let packed = f.step(&p.id, PackageStatus::Packed);
    assert_eq!((packed.seq, packed.from.as_str()), (1, STATION));
    assert_eq!(
        f.d.request(&req.id).unwrap().status,
        RequestStatus::InDelivery
    );
    let balances: Vec<(String, i64)> =
        f.d.stock()
            .unwrap()
            .into_iter()
            .map(|b| (b.line.key(), b.line.quantity))
            .collect();
    assert_eq!(
        balances,
        vec![("cooking_oil".to_string(), 3), ("rice".to_string(), 15)]
    );

    let out =
        f.d.handoff(
            &p.id,
            &HandoffInput {
                to: Some("runner-1".into()),
                ..HandoffInput::new(PackageStatus::OutForDelivery)
            },
        )
        .unwrap();
    assert_eq!((out.from.as_str(), out.to.as_str()), (STATION, "runner-1"));
    assert_eq!(out.prev_hash, packed.hash);

    let done = f.deliver(&p.id, Proof::Pin { pin: created.pin }).unwrap();
    assert_eq!(done.proof_kind, Some(ProofKind::Pin));
    assert_eq!(done.from, "runner-1");
    assert_eq!(done.to, format!("household:{}", h.id));
    assert_eq!(done.place.as_deref(), Some("门口"));
    let p = f.d.package(&p.id).unwrap();
    assert_eq!((p.status, p.steps), (PackageStatus::Delivered, 3));
    assert_eq!(p.delivered, p.items);
    assert_eq!(
        f.d.request(&req.id).unwrap().status,
        RequestStatus::Delivered
    );
    let need = f.d.need(&need.id).unwrap();
    assert_eq!(need.status, NeedStatus::Resolved);
    let last = f.d.need_history(&need.id).unwrap().pop().unwrap();
    assert!(last.note.unwrap().contains(&req.id));
    assert!(f.d.verify_package(&p.id).unwrap().intact);
    // Every step went through the change log.
    let ops = f.d.pending_ops(10_000).unwrap();
    assert_eq!(ops.iter().filter(|o| o.entity == "handoff").count(), 3);
    assert_eq!(ops.iter().filter(|o| o.entity == "pin_attempt").count(), 1);
}

#[test]
fn referral_to_the_supplies_team_is_accepted_then_done_on_delivery() {
    let f = open();
    let h = f.household("5栋", "101");
    let need =
        f.d.raise_need(&NewNeed {
            subject: Subject::household(&h.id),
            category: NeedCategory::Medicine,
            urgency: Urgency::Critical,
            details: None,
            drug: Some("胰岛素".into()),
            days_left: Some(1),
            visit_id: None,
        })
        .unwrap();
    let referral =
        f.d.refer_need(
            &need.id,
            &NewReferral {
                target: ReferralTarget::SuppliesTeam,
                target_id: None,
                target_name: None,
                note: None,
            },
        )
        .unwrap();
    let insulin = ItemLine::medicine("胰岛素", "300 IU", 2);
    f.stock(insulin.clone());
    let req =
        f.d.create_request(&NewRequest {
            household_id: Some(h.id.clone()),
            source: RequestSource::Referral {
                referral_id: referral.id.clone(),
            },
            items: vec![insulin],
            urgency: Urgency::Critical,
            notes: None,
        })
        .unwrap()
        .request;
    assert_eq!(
        f.d.referral(&referral.id).unwrap().status,
        ReferralStatus::Accepted
    );
    let p = f.d.new_package(&req.id, None).unwrap();
    assert!(p.medicine);
    f.step(&p.id, PackageStatus::Packed);
    f.d.handoff(
        &p.id,
        &HandoffInput {
            to: Some("runner-2".into()),
            ..HandoffInput::new(PackageStatus::OutForDelivery)
        },
    )
    .unwrap();
    f.deliver(
        &p.id,
        Proof::NoProof {
            reason: "老人独居无手机, 邻居代收".into(),
        },
    )
    .unwrap();
    assert_eq!(
        f.d.referral(&referral.id).unwrap().status,
        ReferralStatus::Done
    );
    assert_eq!(f.d.need(&need.id).unwrap().status, NeedStatus::Resolved);
}

#[test]
fn a_failed_delivery_reopens_the_need_with_the_reason_and_can_go_out_again() {
    let f = open();
    let h = f.household("3栋", "1-202");
    let need =
        f.d.raise_need(&NewNeed {
            subject: Subject::household(&h.id),
            category: NeedCategory::Vegetables,
            urgency: Urgency::Normal,
            details: None,
            drug: None,
            days_left: None,
            visit_id: None,
        })
        .unwrap();
    f.stock(ItemLine::new("vegetables", 3));
    let req =
        f.d.create_request(&NewRequest {
            household_id: None,
            source: RequestSource::Need {
                need_id: need.id.clone(),
            },
            items: vec![ItemLine::new("vegetables", 3)],
            urgency: Urgency::Normal,
            notes: None,
        })
        .unwrap();
    let p = f.d.new_package(&req.request.id, None).unwrap();
    f.step(&p.id, PackageStatus::Packed);
    let out = HandoffInput {
        to: Some("runner-1".into()),
        ..HandoffInput::new(PackageStatus::OutForDelivery)
    };
    f.d.handoff(&p.id, &out).unwrap();
    // A failure needs its reason.
    let err =
        f.d.handoff(&p.id, &HandoffInput::new(PackageStatus::Failed))
            .unwrap_err();
    assert!(
        matches!(err, Error::Invalid(ref m) if m.contains("reason")),
        "{err}"
    );
    let failed =
        f.d.handoff(
            &p.id,
            &HandoffInput {
                reason: Some(FailReason::NobodyHome),
                ..HandoffInput::new(PackageStatus::Failed)
            },
        )
        .unwrap();
    assert_eq!(failed.reason, Some(FailReason::NobodyHome));
    assert_eq!(
        f.d.request(&req.request.id).unwrap().status,
        RequestStatus::Failed
    );
    let n = f.d.need(&need.id).unwrap();
    assert_eq!(n.status, NeedStatus::Open);
    let last = f.d.need_history(&need.id).unwrap().pop().unwrap();
    assert_eq!(last.note.as_deref(), Some("delivery failed: nobody_home"));

    // Tried again the next morning: the need is taken up again, then resolved.
    f.clock.advance(16 * HOUR);
    f.d.handoff(&p.id, &out).unwrap();
    assert_eq!(f.d.need(&need.id).unwrap().status, NeedStatus::InProgress);
    f.deliver(&p.id, Proof::Pin { pin: req.pin }).unwrap();
    assert_eq!(f.d.need(&need.id).unwrap().status, NeedStatus::Resolved);
    let steps: Vec<PackageStatus> =
        f.d.handoffs(&p.id)
            .unwrap()
            .iter()
            .map(|h| h.status)
            .collect();
    assert_eq!(
        steps,
        vec![
            PackageStatus::Packed,
            PackageStatus::OutForDelivery,
            PackageStatus::Failed,
            PackageStatus::OutForDelivery,
            PackageStatus::Delivered
        ]
    );
}

#[test]
fn partial_delivery_then_return_restocks_the_rest() {
    let f = open();
    let h = f.household("7栋", "301");
    let (req, p) = f.out(&h, vec![ItemLine::new("eggs", 30), rice(10)]);
    assert_eq!(f.d.stock_ledger(Some(&rice(1))).unwrap().len(), 2);
    // More than packed is refused, and so is everything as "partly".
    let err =
        f.d.handoff(
            &p.id,
            &HandoffInput {
                items: Some(vec![rice(11)]),
                proof: Some(Proof::Pin {
                    pin: req.pin.clone(),
                }),
                ..HandoffInput::new(PackageStatus::PartlyDelivered)
            },
        )
        .unwrap_err();
    assert!(
        matches!(err, Error::Invalid(ref m) if m.contains("more than packed")),
        "{err}"
    );
    let err =
        f.d.handoff(
            &p.id,
            &HandoffInput {
                items: Some(vec![rice(10), ItemLine::new("eggs", 30)]),
                proof: Some(Proof::Pin {
                    pin: req.pin.clone(),
                }),
                ..HandoffInput::new(PackageStatus::PartlyDelivered)
            },
        )
        .unwrap_err();
    assert!(matches!(err, Error::Invalid(_)), "{err}");

    f.d.handoff(
        &p.id,
        &HandoffInput {
            items: Some(vec![rice(10), ItemLine::new("eggs", 20)]),
            proof: Some(Proof::Pin { pin: req.pin }),
            note: Some("10个鸡蛋碎了".into()),
            ..HandoffInput::new(PackageStatus::PartlyDelivered)
        },
    )
    .unwrap();
    assert_eq!(
        f.d.request(&req.request.id).unwrap().status,
        RequestStatus::PartlyDelivered
    );
    let list = f.d.runner_list("runner-1").unwrap();
    assert!(list.stops.is_empty());
    assert_eq!(list.to_return.len(), 1);
    assert_eq!(list.items_left, vec![ItemLine::new("eggs", 10)]);

    let back = f.step(&p.id, PackageStatus::Returned);
    assert_eq!(
        (back.from.as_str(), back.to.as_str()),
        ("runner-1", STATION)
    );
    assert_eq!(back.items, vec![ItemLine::new("eggs", 10)]);
    let eggs = f.d.stock_ledger(Some(&ItemLine::new("eggs", 1))).unwrap();
    let moves: Vec<(StockMoveKind, i64)> = eggs.iter().map(|m| (m.kind, m.line.quantity)).collect();
    assert_eq!(
        moves,
        vec![
            (StockMoveKind::Donation, 30),
            (StockMoveKind::Issue, -30),
            (StockMoveKind::Return, 10)
        ]
    );
    assert!(f.d.runner_list("runner-1").unwrap().items_left.is_empty());
    // What is left of the request can go in a second package.
    let second = f.d.new_package(&req.request.id, None).unwrap();
    assert_eq!(second.items, vec![ItemLine::new("eggs", 10)]);
}

#[test]
fn stock_never_goes_below_zero() {
    let f = open();
    let h = f.household("1栋", "101");
    f.stock(rice(3));
    let req = f.request(&h, vec![rice(5)]);
    let p = f.d.new_package(&req.request.id, None).unwrap();
    let ops = f.ops();
    let err =
        f.d.handoff(&p.id, &HandoffInput::new(PackageStatus::Packed))
            .unwrap_err();
    match &err {
        Error::Shortfall {
            item,
            needed,
            available,
        } => assert_eq!((item.as_str(), *needed, *available), ("rice", 5, 3)),
        other => panic!("{other}"),
    }
    assert!(err.to_string().contains("short by 2"), "{err}");
    assert_eq!(f.ops(), ops);
    assert_eq!(f.d.package(&p.id).unwrap().status, PackageStatus::Requested);
    let err = f.d.issue_stock(&rice(4), "发霉").unwrap_err();
    assert!(
        matches!(err, Error::Shortfall { available: 3, .. }),
        "{err}"
    );
    f.d.issue_stock(&rice(3), "发霉").unwrap();
    assert_eq!(f.d.stock().unwrap()[0].line.quantity, 0);
    // Packing only what there is works once more comes in.
    f.d.receive_stock(&rice(2), StockMoveKind::Purchase, None, None)
        .unwrap();
    let packed =
        f.d.handoff(
            &p.id,
            &HandoffInput {
                items: Some(vec![rice(2)]),
                ..HandoffInput::new(PackageStatus::Packed)
            },
        )
        .unwrap();
    assert_eq!(packed.items, vec![rice(2)]);
    assert_eq!(f.d.stock().unwrap()[0].line.quantity, 0);
    let ledger = f.d.stock_ledger(None).unwrap();
    let kinds: Vec<StockMoveKind> = ledger.iter().map(|m| m.kind).collect();
    assert_eq!(
        kinds,
        vec![
            StockMoveKind::Donation,
            StockMoveKind::Issue,
            StockMoveKind::Purchase,
            StockMoveKind::Issue
        ]
    );
}

#[test]
fn wrong_pins_are_refused_counted_and_locked() {
    let f = open();
    let h = f.household("2栋", "502");
    let (req, p) = f.out(&h, vec![ItemLine::new("flour", 2)]);
    let wrong = if req.pin == "000000" {
        "111111"
    } else {
        "000000"
    };
    let request_id = req.request.id.clone();
    assert_eq!(f.d.pin_tries_left(&request_id).unwrap(), MAX_PIN_FAILURES);
    for left in (0..MAX_PIN_FAILURES).rev() {
        let err = f
            .deliver(
                &p.id,
                Proof::Pin {
                    pin: wrong.to_string(),
                },
            )
            .unwrap_err();
        assert!(
            matches!(err, Error::ProofRefused(ref m) if m.contains(&format!("{left} tries left"))),
            "{err}"
        );
        assert_eq!(f.d.pin_tries_left(&request_id).unwrap(), left);
    }
    assert!(matches!(
        f.d.pin_tries_left("no-such-request"),
        Err(Error::NotFound { .. })
    ));
    // Locked: even the right PIN is refused now, and no handoff was recorded.
    let err = f.deliver(&p.id, Proof::Pin { pin: req.pin }).unwrap_err();
    assert!(
        matches!(err, Error::ProofRefused(ref m) if m.contains("locked")),
        "{err}"
    );
    assert_eq!(f.d.handoffs(&p.id).unwrap().len(), 2);
    assert_eq!(
        f.d.package(&p.id).unwrap().status,
        PackageStatus::OutForDelivery
    );
    // The tries survive a restart.
    drop(f.d);
    let d = Doorstep::open_with_clock(f.dir.path().join("d.db"), &KEY, f.clock.clone()).unwrap();
    assert_eq!(d.pin_tries_left(&request_id).unwrap(), 0);
    let err = d
        .handoff(
            &p.id,
            &HandoffInput {
                proof: Some(Proof::Pin {
                    pin: "123456".into(),
                }),
                ..HandoffInput::new(PackageStatus::Delivered)
            },
        )
        .unwrap_err();
    assert!(
        matches!(err, Error::ProofRefused(ref m) if m.contains("locked")),
        "{err}"
    );
    // Another proof still works.
    d.handoff(
        &p.id,
        &HandoffInput {
            proof: Some(Proof::NoProof {
                reason: "PIN locked; recipient known to the runner".into(),
            }),
            ..HandoffInput::new(PackageStatus::Delivered)
        },
    )
    .unwrap();
}

#[test]
fn the_pin_is_stored_only_as_a_salted_hash() {
    let f = open();
    let h = f.household("2栋", "503");
    let a = f.request(&h, vec![rice(1)]);
    let b = f.request(&h, vec![rice(1)]);
    let raw = f.raw();
    let rows: Vec<(String, String, String)> = raw
        .prepare("SELECT pin_salt, pin_hash, items FROM delivery_request ORDER BY created_at, id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert_ne!(rows[0].0, rows[1].0, "each request has its own salt");
    for ((salt, hash, _), pin) in rows.iter().zip([&a.pin, &b.pin]) {
        assert_eq!(hash.len(), 64);
        assert_eq!(*hash, proof::pin_hash(salt, pin));
        assert_ne!(*hash, proof::sha256_hex(pin.as_bytes()));
    }
    let log: String = raw
        .query_row("SELECT group_concat(fields) FROM op_log", [], |r| r.get(0))
        .unwrap();
    assert!(!log.contains(&format!("\"{}\"", a.pin)));
}

#[test]
fn a_scanned_pass_proves_the_household_and_a_stranger_pass_is_refused() {
    let f = open();
    let h = f.household("9栋", "1101");
    let other = f.household("9栋", "1102");
    let resident = f.resident(&h);
    let stranger = f.resident(&other);
    f.d.new_signing_key().unwrap();
    let pass =
        f.d.issue_pass(&resident.id, NOW - HOUR, NOW + 24 * HOUR)
            .unwrap();
    let wrong =
        f.d.issue_pass(&stranger.id, NOW - HOUR, NOW + 24 * HOUR)
            .unwrap();
    let (_, p) = f.out(&h, vec![ItemLine::new("care_package", 1)]);
    let err = f
        .deliver(&p.id, Proof::Pass { text: wrong.text })
        .unwrap_err();
    assert!(
        matches!(err, Error::ProofRefused(ref m) if m.contains("another household")),
        "{err}"
    );
    let err = f
        .deliver(
            &p.id,
            Proof::Pass {
                text: "DS1:NOTAPASS".into(),
            },
        )
        .unwrap_err();
    assert!(
        matches!(err, Error::ProofRefused(ref m) if m.contains("unreadable")),
        "{err}"
    );
    f.d.revoke_pass(&pass.pass_id, "lost").ok();
    let fresh =
        f.d.issue_pass(&resident.id, NOW - HOUR, NOW + 24 * HOUR)
            .unwrap();
    let err = f
        .deliver(&p.id, Proof::Pass { text: pass.text })
        .unwrap_err();
    assert!(
        matches!(err, Error::ProofRefused(ref m) if m.contains("revoked")),
        "{err}"
    );
    let done = f.deliver(&p.id, Proof::Pass { text: fresh.text }).unwrap();
    assert_eq!(done.proof_kind, Some(ProofKind::Pass));
    assert_eq!(done.proof.as_deref(), Some(fresh.pass_id.as_str()));
}

#[test]
fn a_photo_is_downscaled_reencoded_and_loses_its_gps() {
    let f = open();
    let h = f.household("4栋", "601");
    let (_, p) = f.out(&h, vec![ItemLine::new("sanitary_products", 2)]);
    let camera = camera_jpeg(2400, 1600);
    assert!(find(&camera, GPS_MARK) && find(&camera, b"Exif\0\0"));
    let done = f.deliver(&p.id, Proof::Photo { bytes: camera }).unwrap();
    assert_eq!(done.proof_kind, Some(ProofKind::Photo));
    let hash = done.proof.unwrap();
    let blob = f.d.blob(&hash).unwrap();
    assert_eq!(blob.mime, "image/jpeg");
    assert_eq!(proof::sha256_hex(&blob.bytes), hash);
    assert!(!find(&blob.bytes, GPS_MARK));
    assert!(!find(&blob.bytes, b"Exif"));
    assert!(!find(&blob.bytes, &[0xFF, 0xE1]), "no APP1 segment");
    let img = image::load_from_memory_with_format(&blob.bytes, ImageFormat::Jpeg).unwrap();
    assert_eq!((img.width(), img.height()), (1280, 853));
    // Also as stored in the database file's table.
    let raw: Vec<u8> = f
        .raw()
        .query_row("SELECT bytes FROM blob WHERE hash = ?1", [&hash], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(raw, blob.bytes);
    assert_eq!(f.d.pending_blobs(10).unwrap(), vec![hash.clone()]);
    assert!(f.d.mark_blob_uploaded(&hash).unwrap());
    assert!(f.d.pending_blobs(10).unwrap().is_empty());
}

#[test]
fn a_small_png_photo_keeps_its_size_and_becomes_jpeg() {
    let f = open();
    let h = f.household("4栋", "602");
    let (_, p) = f.out(&h, vec![ItemLine::new("infant_formula", 1)]);
    let img = RgbImage::from_pixel(300, 200, image::Rgb([200, 30, 30]));
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), ImageFormat::Png)
        .unwrap();
    let done = f.deliver(&p.id, Proof::Photo { bytes: png }).unwrap();
    let blob = f.d.blob(&done.proof.unwrap()).unwrap();
    assert_eq!(&blob.bytes[..3], &[0xFF, 0xD8, 0xFF]);
    let back = image::load_from_memory(&blob.bytes).unwrap();
    assert_eq!((back.width(), back.height()), (300, 200));
}

#[test]
fn bad_images_are_refused_and_nothing_is_recorded() {
    let f = open();
    let h = f.household("4栋", "603");
    let (_, p) = f.out(&h, vec![rice(1)]);
    let ops = f.ops();
    let err = f
        .deliver(
            &p.id,
            Proof::Photo {
                bytes: b"this is a text file, not a photo".to_vec(),
            },
        )
        .unwrap_err();
    assert!(
        matches!(err, Error::Invalid(ref m) if m.contains("not a JPEG or PNG")),
        "{err}"
    );
    // 100 MB that starts like a JPEG: refused by size before any decoding.
    let mut huge = vec![0u8; 100 * 1024 * 1024];
    huge[..3].copy_from_slice(&[0xFF, 0xD8, 0xFF]);
    let err = f.deliver(&p.id, Proof::Photo { bytes: huge }).unwrap_err();
    assert!(
        matches!(err, Error::Invalid(ref m) if m.contains("more than the")),
        "{err}"
    );
    // A real JPEG cut in half.
    let cut = jpeg(640, 480);
    let err = f
        .deliver(
            &p.id,
            Proof::Photo {
                bytes: cut[..cut.len() / 2].to_vec(),
            },
        )
        .unwrap_err();
    assert!(
        matches!(err, Error::Invalid(ref m) if m.contains("decoded")),
        "{err}"
    );
    // A header claiming 60000 × 60000 pixels is refused by the decode limits.
    let mut giant = jpeg(16, 16);
    let sof = giant
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("a baseline frame");
    giant[sof + 5..sof + 9].copy_from_slice(&[0xEA, 0x60, 0xEA, 0x60]);
    let err = f.deliver(&p.id, Proof::Photo { bytes: giant }).unwrap_err();
    assert!(matches!(err, Error::Invalid(_)), "{err}");
    assert_eq!(f.ops(), ops);
    assert!(f.d.pending_blobs(10).unwrap().is_empty());
    assert_eq!(
        f.d.package(&p.id).unwrap().status,
        PackageStatus::OutForDelivery
    );
    assert_eq!(f.d.handoffs(&p.id).unwrap().len(), 2);
}

#[test]
fn a_signature_is_drawn_to_png() {
    let f = open();
    let h = f.household("6栋", "201");
    let (_, p) = f.out(&h, vec![rice(1)]);
    let stroke = |points: &[(f32, f32)]| SignatureStroke {
        points: points
            .iter()
            .map(|&(x, y)| SignaturePoint { x, y })
            .collect(),
    };
    let sig = Proof::Signature {
        width: 400,
        height: 200,
        strokes: vec![
            stroke(&[(20.0, 100.0), (380.0, 100.0)]),
            stroke(&[(200.0, 20.0), (200.0, 180.0)]),
            stroke(&[(50.0, 50.0)]),
        ],
    };
    let bad = Proof::Signature {
        width: 400,
        height: 200,
        strokes: vec![stroke(&[(500.0, 10.0)])],
    };
    let err = f.deliver(&p.id, bad).unwrap_err();
    assert!(
        matches!(err, Error::Invalid(ref m) if m.contains("outside")),
        "{err}"
    );
    let done = f.deliver(&p.id, sig).unwrap();
    assert_eq!(done.proof_kind, Some(ProofKind::Signature));
    let blob = f.d.blob(&done.proof.unwrap()).unwrap();
    assert_eq!(blob.mime, "image/png");
    let img = image::load_from_memory_with_format(&blob.bytes, ImageFormat::Png)
        .unwrap()
        .to_luma8();
    assert_eq!(img.dimensions(), (400, 200));
    assert_eq!(img.get_pixel(100, 100).0, [0], "on the first stroke");
    assert_eq!(img.get_pixel(200, 30).0, [0], "on the second stroke");
    assert_eq!(img.get_pixel(50, 50).0, [0], "the dot");
    assert_eq!(img.get_pixel(100, 150).0, [255], "blank paper");
}

#[test]
fn steps_out_of_order_and_a_second_delivery_are_conflicts() {
    let f = open();
    let h = f.household("8栋", "101");
    f.stock(rice(5));
    let req = f.request(&h, vec![rice(5)]);
    let p = f.d.new_package(&req.request.id, None).unwrap();
    let pin = Proof::Pin {
        pin: req.pin.clone(),
    };
    let err = f.deliver(&p.id, pin.clone()).unwrap_err();
    assert!(
        matches!(err, Error::Conflict(ref m) if m.contains("is requested")),
        "{err}"
    );
    f.step(&p.id, PackageStatus::Packed);
    let err = f.deliver(&p.id, pin.clone()).unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err}");
    // Out needs its runner.
    let err =
        f.d.handoff(&p.id, &HandoffInput::new(PackageStatus::OutForDelivery))
            .unwrap_err();
    assert!(
        matches!(err, Error::Invalid(ref m) if m.contains("runner")),
        "{err}"
    );
    f.d.handoff(
        &p.id,
        &HandoffInput {
            to: Some("runner-1".into()),
            ..HandoffInput::new(PackageStatus::OutForDelivery)
        },
    )
    .unwrap();
    let err =
        f.d.handoff(&p.id, &HandoffInput::new(PackageStatus::Delivered))
            .unwrap_err();
    assert!(
        matches!(err, Error::Invalid(ref m) if m.contains("proof")),
        "{err}"
    );
    f.deliver(&p.id, pin.clone()).unwrap();
    let ops = f.ops();
    let err = f.deliver(&p.id, pin).unwrap_err();
    assert!(
        matches!(err, Error::Conflict(ref m) if m.contains("delivered already")),
        "{err}"
    );
    let err =
        f.d.handoff(&p.id, &HandoffInput::new(PackageStatus::Returned))
            .unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err}");
    assert_eq!(f.ops(), ops);
    assert_eq!(f.d.handoffs(&p.id).unwrap().len(), 3);
    // The request is covered: no second package.
    let err = f.d.new_package(&req.request.id, None).unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err}");
}

#[test]
fn bad_requests_are_refused() {
    let f = open();
    let h = f.household("1栋", "102");
    let mk = |household_id: Option<String>, items: Vec<ItemLine>| NewRequest {
        household_id,
        source: RequestSource::Manual,
        items,
        urgency: Urgency::Normal,
        notes: None,
    };
    let cases: Vec<(NewRequest, &str)> = vec![
        (mk(Some("no-such".into()), vec![rice(1)]), "not found"),
        (mk(None, vec![rice(1)]), "household_id"),
        (mk(Some(h.id.clone()), vec![]), "at least one"),
        (
            mk(Some(h.id.clone()), vec![ItemLine::new("caviar", 1)]),
            "not in the catalogue",
        ),
        (
            mk(Some(h.id.clone()), vec![rice(0)]),
            "quantity of rice is 0",
        ),
        (
            mk(Some(h.id.clone()), vec![rice(-3)]),
            "quantity of rice is -3",
        ),
        (mk(Some(h.id.clone()), vec![rice(1), rice(2)]), "twice"),
        (
            mk(Some(h.id.clone()), vec![ItemLine::new("medicine", 1)]),
            "name and dose",
        ),
        (
            mk(
                Some(h.id.clone()),
                vec![ItemLine {
                    name: Some("x".into()),
                    ..rice(1)
                }],
            ),
            "belong to medicine",
        ),
    ];
    for (input, expect) in cases {
        let err = f.d.create_request(&input).unwrap_err();
        assert!(err.to_string().contains(expect), "{expect}: {err}");
    }
    let err =
        f.d.create_request(&NewRequest {
            household_id: None,
            source: RequestSource::Need {
                need_id: "nope".into(),
            },
            items: vec![rice(1)],
            urgency: Urgency::Low,
            notes: None,
        })
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { kind: "need", .. }), "{err}");
    assert_eq!(f.d.requests_of(&h.id).unwrap().len(), 0);
    // A package may not ask for more than the request.
    let req = f.request(&h, vec![rice(2)]);
    let err =
        f.d.new_package(&req.request.id, Some(&[rice(3)]))
            .unwrap_err();
    assert!(matches!(err, Error::Invalid(_)), "{err}");
    let part = f.d.new_package(&req.request.id, Some(&[rice(1)])).unwrap();
    assert_eq!(part.items, vec![rice(1)]);
    let rest = f.d.new_package(&req.request.id, None).unwrap();
    assert_eq!(rest.items, vec![rice(1)]);
}

#[test]
fn tampering_with_the_chain_is_found() {
    let f = open();
    let h = f.household("3栋", "901");
    let (req, p) = f.out(&h, vec![rice(2)]);
    f.d.handoff(
        &p.id,
        &HandoffInput {
            reason: Some(FailReason::Refused),
            ..HandoffInput::new(PackageStatus::Failed)
        },
    )
    .unwrap();
    f.d.handoff(
        &p.id,
        &HandoffInput {
            to: Some("runner-1".into()),
            ..HandoffInput::new(PackageStatus::OutForDelivery)
        },
    )
    .unwrap();
    f.deliver(&p.id, Proof::Pin { pin: req.pin }).unwrap();
    assert!(f.d.verify_package(&p.id).unwrap().intact);
    assert_eq!(f.d.verify_package(&p.id).unwrap().steps, 5);
    let raw = f.raw();
    let kinds = |f: &Fixture| -> Vec<(u32, ChainProblemKind)> {
        f.d.verify_package(&p.id)
            .unwrap()
            .problems
            .iter()
            .map(|p| (p.seq, p.kind))
            .collect()
    };
    let snapshot: Vec<(String, i64, String, String)> = raw
        .prepare("SELECT id, seq, items, to_party FROM handoff WHERE package_id = ?1 ORDER BY seq")
        .unwrap()
        .query_map([&p.id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();

    // Altered: the delivered quantity changed in place.
    raw.execute(
        "UPDATE handoff SET items = '[{\"item\":\"rice\",\"quantity\":1}]' WHERE id = ?1",
        [&snapshot[4].0],
    )
    .unwrap();
    assert_eq!(kinds(&f), vec![(5, ChainProblemKind::Altered)]);
    raw.execute(
        "UPDATE handoff SET items = ?2 WHERE id = ?1",
        params![snapshot[4].0, snapshot[4].2],
    )
    .unwrap();
    assert!(f.d.verify_package(&p.id).unwrap().intact);

    // Altered: the runner of step 2 renamed.
    raw.execute(
        "UPDATE handoff SET to_party = 'runner-9' WHERE id = ?1",
        [&snapshot[1].0],
    )
    .unwrap();
    assert_eq!(kinds(&f), vec![(2, ChainProblemKind::Altered)]);
    raw.execute(
        "UPDATE handoff SET to_party = ?2 WHERE id = ?1",
        params![snapshot[1].0, snapshot[1].3],
    )
    .unwrap();

    // Reordered: steps 3 and 4 swapped.
    raw.execute_batch(&format!(
        "UPDATE handoff SET seq = 99 WHERE id = '{a}';
         UPDATE handoff SET seq = 3 WHERE id = '{b}';
         UPDATE handoff SET seq = 4 WHERE id = '{a}';",
        a = snapshot[2].0,
        b = snapshot[3].0
    ))
    .unwrap();
    let found = kinds(&f);
    assert!(
        found.contains(&(3, ChainProblemKind::Reordered)),
        "{found:?}"
    );
    assert!(
        found.iter().all(|(_, k)| *k == ChainProblemKind::Reordered),
        "{found:?}"
    );
    raw.execute_batch(&format!(
        "UPDATE handoff SET seq = 3 WHERE id = '{a}';
         UPDATE handoff SET seq = 4 WHERE id = '{b}';",
        a = snapshot[2].0,
        b = snapshot[3].0
    ))
    .unwrap();
    assert!(f.d.verify_package(&p.id).unwrap().intact);

    // Missing: the failed try deleted.
    raw.execute("DELETE FROM handoff WHERE id = ?1", [&snapshot[2].0])
        .unwrap();
    assert_eq!(kinds(&f), vec![(4, ChainProblemKind::Missing)]);

    // Missing at the end: the delivery deleted too.
    raw.execute("DELETE FROM handoff WHERE id = ?1", [&snapshot[4].0])
        .unwrap();
    let found = kinds(&f);
    assert!(found.contains(&(5, ChainProblemKind::Missing)), "{found:?}");
}

#[test]
fn the_runner_list_groups_by_building_urgent_and_medicine_first() {
    let f = open();
    let mk = |building: &str, unit: &str, urgency: Urgency, items: Vec<ItemLine>| {
        let h = f.household(building, unit);
        for l in &items {
            f.stock(l.clone());
        }
        let req =
            f.d.create_request(&NewRequest {
                household_id: Some(h.id.clone()),
                source: RequestSource::Hotline {
                    caller: Some("13800138000".into()),
                },
                items,
                urgency,
                notes: None,
            })
            .unwrap();
        let p = f.d.new_package(&req.request.id, None).unwrap();
        f.step(&p.id, PackageStatus::Packed);
        f.d.handoff(
            &p.id,
            &HandoffInput {
                to: Some("runner-1".into()),
                ..HandoffInput::new(PackageStatus::OutForDelivery)
            },
        )
        .unwrap();
        p.id
    };
    let a_low = mk("10栋", "2-101", Urgency::Normal, vec![rice(1)]);
    let a_med = mk(
        "10栋",
        "5-301",
        Urgency::Normal,
        vec![ItemLine::medicine("硝苯地平", "10 mg", 1)],
    );
    let a_unit = mk(
        "10栋",
        "1-101",
        Urgency::Normal,
        vec![ItemLine::new("eggs", 6)],
    );
    let b_urgent = mk(
        "2栋",
        "3-402",
        Urgency::Critical,
        vec![ItemLine::new("infant_formula", 2)],
    );
    let c_plain = mk("3栋", "101", Urgency::Low, vec![ItemLine::new("flour", 1)]);
    // Someone else's package is not on the list.
    let other = f.household("3栋", "102");
    f.stock(rice(1));
    let req = f.request(&other, vec![rice(1)]);
    let p = f.d.new_package(&req.request.id, None).unwrap();
    f.step(&p.id, PackageStatus::Packed);
    f.d.handoff(
        &p.id,
        &HandoffInput {
            to: Some("runner-2".into()),
            ..HandoffInput::new(PackageStatus::OutForDelivery)
        },
    )
    .unwrap();

    let list = f.d.runner_list("runner-1").unwrap();
    let order: Vec<(String, Vec<String>)> = list
        .stops
        .iter()
        .map(|s| {
            (
                s.building.clone(),
                s.packages.iter().map(|p| p.package_id.clone()).collect(),
            )
        })
        .collect();
    assert_eq!(
        order,
        vec![
            ("2栋".to_string(), vec![b_urgent]),
            ("10栋".to_string(), vec![a_med, a_unit, a_low.clone()]),
            ("3栋".to_string(), vec![c_plain]),
        ]
    );
    assert_eq!(list.items_left.len(), 5);
    // Delivered ones leave the list.
    let pin =
        f.d.packages_of(&f.d.package(&a_low).unwrap().request_id)
            .unwrap();
    assert_eq!(pin.len(), 1);
    f.deliver(
        &a_low,
        Proof::NoProof {
            reason: "门口交接, 电话确认".into(),
        },
    )
    .unwrap();
    let list = f.d.runner_list("runner-1").unwrap();
    assert_eq!(list.stops[1].packages.len(), 2);
    assert!(!list.items_left.contains(&rice(1)));
}

#[test]
fn the_ledger_counts_the_day() {
    let f = open();
    let h1 = f.household("1栋", "101");
    let h2 = f.household("1栋", "102");
    let h3 = f.household("1栋", "103");
    let (r1, p1) = f.out(&h1, vec![rice(5), ItemLine::new("eggs", 10)]);
    let (_, p2) = f.out(&h2, vec![rice(2)]);
    f.deliver(&p1.id, Proof::Pin { pin: r1.pin }).unwrap();
    f.d.handoff(
        &p2.id,
        &HandoffInput {
            reason: Some(FailReason::WrongAddress),
            ..HandoffInput::new(PackageStatus::Failed)
        },
    )
    .unwrap();
    f.request(&h3, vec![ItemLine::new("vegetables", 1)]);
    // A request from the day before, still open.
    f.clock.set(NOW - 2 * 24 * HOUR);
    f.request(&h3, vec![ItemLine::new("flour", 1)]);
    f.clock.set(NOW);

    let l = f.d.delivery_ledger(&f.grid, "2026-11-23", 480).unwrap();
    let by_status: Vec<(RequestStatus, u32)> = l
        .requests_by_status
        .iter()
        .map(|c| (c.status, c.count))
        .collect();
    assert_eq!(
        by_status,
        vec![
            (RequestStatus::Open, 1),
            (RequestStatus::Delivered, 1),
            (RequestStatus::Failed, 1)
        ]
    );
    assert_eq!(l.items_delivered, vec![ItemLine::new("eggs", 10), rice(5)]);
    assert_eq!(
        l.failures,
        vec![FailureCount {
            reason: FailReason::WrongAddress,
            count: 1
        }]
    );
    assert_eq!(
        (l.open_age.under_1_day, l.open_age.from_1_to_3_days),
        (2, 1)
    );
    let rice_day = l.stock.iter().find(|s| s.line.item == "rice").unwrap();
    assert_eq!(
        (rice_day.received, rice_day.issued, rice_day.line.quantity),
        (7, 7, 0)
    );
    // Another day is empty of movements but keeps the balance.
    let next = f.d.delivery_ledger(&f.grid, "2026-11-24", 480).unwrap();
    assert!(next.items_delivered.is_empty() && next.requests_by_status.is_empty());
    let eggs = next.stock.iter().find(|s| s.line.item == "eggs").unwrap();
    assert_eq!((eggs.received, eggs.line.quantity), (0, 0));
    assert!(f.d.delivery_ledger(&f.grid, "23/11/2026", 480).is_err());
}

#[test]
fn handoffs_replicate_through_the_change_log() {
    let f = open();
    let h = f.household("1栋", "101");
    let (req, p) = f.out(&h, vec![rice(1)]);
    f.deliver(&p.id, Proof::Pin { pin: req.pin }).unwrap();
    let ops = f.d.pending_ops(10_000).unwrap();
    // A second phone with the same registry and ops ends in the same state.
    let dir = tempfile::tempdir().unwrap();
    let other = Doorstep::open(dir.path().join("o.db"), &KEY).unwrap();
    other.apply_remote(&ops).unwrap();
    assert_eq!(
        other.package(&p.id).unwrap().status,
        PackageStatus::Delivered
    );
    assert_eq!(other.stock().unwrap(), f.d.stock().unwrap());
    assert!(other.verify_package(&p.id).unwrap().intact);
    let snap = |c: &rusqlite::Connection| crate::log::snapshot(c, crate::SCHEMA).unwrap();
    assert_eq!(
        other.read(|c| Ok(snap(c))).unwrap(),
        f.d.read(|c| Ok(snap(c))).unwrap()
    );
}
