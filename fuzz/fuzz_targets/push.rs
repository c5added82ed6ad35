//! A push as the server reads it: a body of JSON (even first byte) or ops mutated from
//! the demo's real ones (odd first byte), checked and stored by `sync::push` against a
//! copy of the demo station, by a phone whose role and grid the first byte picks.
//! Nothing may panic, every op gets one verdict in order, no op validation refused is
//! stored, everything stored validates, and the storage's integrity check stays clean.
#![no_main]

use std::collections::HashSet;

use arbitrary::Unstructured;
use doorstep_core::log;
use doorstep_core::sync::protocol::{OpVerdict, PushRequest, MAX_PUSH_OPS};
use doorstep_core::sync::Role;
use doorstep_core::SCHEMA;
use doorstep_fuzz::{fixture, FUZZ_DEVICE, FUZZ_USER, NOW};
use doorstep_server::storage::{Device, PullFilter, SqliteStorage, Storage};
use libfuzzer_sys::fuzz_target;

const ROLES: [Role; 4] = [
    Role::SocialWorker,
    Role::Marshal,
    Role::Runner,
    Role::StationAdmin,
];

fuzz_target!(|data: &[u8]| {
    let fx = fixture();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let role = ROLES[(mode >> 1) as usize % 4];
    let areas = match role {
        Role::StationAdmin => vec![],
        _ => vec![fx.grids[(mode >> 3) as usize % fx.grids.len()].clone()],
    };
    let device = Device {
        device_id: FUZZ_DEVICE.into(),
        user: FUZZ_USER.into(),
        role,
        areas,
        token_expires_at: i64::MAX,
        revoked: false,
    };
    let ops = if mode & 1 == 0 {
        match serde_json::from_slice::<PushRequest>(rest) {
            Ok(r) => r.ops,
            Err(_) => return,
        }
    } else {
        match fx.arb_ops(&mut Unstructured::new(rest), FUZZ_DEVICE, FUZZ_USER) {
            Ok(ops) => ops,
            Err(_) => return,
        }
    };
    // The route refuses a larger batch before it reaches `push`.
    if ops.len() > MAX_PUSH_OPS {
        return;
    }
    let dir = fx.station_copy();
    let db = dir.path().join("doorstep.db");
    fx.rt.block_on(async {
        let store = SqliteStorage::open(&db).expect("the station copy opens");
        let ids: Vec<String> = ops.iter().map(|o| o.id.clone()).collect();
        let known_before = store.known_ops(&ids).await.expect("known ops");
        let results = doorstep_server::sync::push(&store, &device, &ops, NOW)
            .await
            .expect("storage on a local file does not fail");
        assert_eq!(results.len(), ops.len(), "one verdict per op");
        for (r, op) in results.iter().zip(&ops) {
            assert_eq!(r.op_id, op.id, "verdicts in the order sent");
        }
        let valid_ids: HashSet<&str> = ops
            .iter()
            .filter(|o| log::validate(SCHEMA, o).is_ok())
            .map(|o| o.id.as_str())
            .collect();
        let known = store.known_ops(&ids).await.expect("known ops");
        for (r, op) in results.iter().zip(&ops) {
            if let OpVerdict::Rejected { code, .. } = &r.verdict {
                if code == "invalid"
                    && !valid_ids.contains(op.id.as_str())
                    && !known_before.contains(&op.id)
                {
                    assert!(!known.contains(&op.id), "invalid op {} was stored", op.id);
                }
            }
        }
        let everything = PullFilter {
            entities: SCHEMA.all().map(|d| d.name.to_string()).collect(),
            areas: None,
            ancestors: vec![],
            exclude_device: String::new(),
        };
        let page = store
            .pull(&everything, fx.high_water, 5000)
            .await
            .expect("pull after the push");
        for (_, stored) in &page.ops {
            assert!(
                log::validate(SCHEMA, stored).is_ok(),
                "stored op {} does not validate",
                stored.id
            );
            assert!(
                ops.iter().any(|o| o.id == stored.id),
                "stored op {} is not one that was pushed",
                stored.id
            );
        }
    });
    let conn = rusqlite::Connection::open(&db).expect("open the station file");
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity check runs");
    assert_eq!(ok, "ok");
    let fk: Option<String> = conn
        .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
        .ok();
    assert_eq!(fk, None, "foreign keys hold");
});
