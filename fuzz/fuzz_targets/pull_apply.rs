//! A pull page from a hostile server as the phone applies it: a reply of JSON (even
//! first byte) or ops mutated from the demo's real ones (odd first byte), applied by
//! `apply_page` to a copy of a phone that holds half of the demo. Nothing may panic, the
//! store's integrity check stays clean, a page applied again adds nothing, and reading
//! back every row the page named panics nowhere.
#![no_main]

use arbitrary::Unstructured;
use doorstep_core::sync::protocol::PullReply;
use doorstep_core::visits::{DueQuery, Subject};
use doorstep_core::Doorstep;
use doorstep_fuzz::{fixture, KEY};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let fx = fixture();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let (ops, cursor) = if mode & 1 == 0 {
        match serde_json::from_slice::<PullReply>(rest) {
            Ok(r) => (r.ops, r.cursor),
            Err(_) => return,
        }
    } else {
        let mut u = Unstructured::new(rest);
        let cursor = u.arbitrary::<i64>().unwrap_or(0);
        // Ops of other phones: the demo station's device wrote them, or the input says.
        match fx.arb_ops(&mut u, "station-device", "station") {
            Ok(ops) => (ops, cursor),
            Err(_) => return,
        }
    };
    let (_dir, file) = fx.phone_copy();
    let d = Doorstep::open(&file, &KEY).expect("the phone copy opens");
    let first = d.apply_page(&ops, cursor);
    assert_eq!(
        d.check_integrity().expect("integrity check runs"),
        Vec::<String>::new()
    );
    if first.is_ok() {
        assert_eq!(d.sync_cursor().expect("cursor"), cursor);
        let (again, _) = d
            .apply_page(&ops, cursor)
            .expect("a page applied once applies again");
        assert_eq!(again, 0, "a page applied again adds nothing");
    }
    for op in &ops {
        let id = op.entity_id.as_str();
        let _ = match op.entity.as_str() {
            "resident" => d
                .resident(id)
                .map(drop)
                .and_then(|_| d.resident_moves(id).map(drop)),
            "household" => d.household(id).map(drop).and_then(|_| {
                d.needs_of(&Subject {
                    household_id: Some(id.into()),
                    resident_id: None,
                })
                .map(drop)
            }),
            "visit" => d.visit(id).map(drop),
            "need" | "need_update" => d
                .need(id)
                .map(drop)
                .and_then(|_| d.need_history(id).map(drop)),
            "referral" | "referral_update" => d.referral(id).map(drop),
            "delivery_request" => d.request(id).map(drop),
            "delivery_package" | "handoff" => d
                .package(id)
                .map(drop)
                .and_then(|_| d.verify_package(id).map(drop)),
            "tube" | "tube_member" => d.tube(id).map(drop),
            "area" => d
                .due_list(&DueQuery {
                    area_ids: vec![id.into()],
                    limit: 50,
                })
                .map(drop)
                .and_then(|_| d.open_needs(id).map(drop)),
            "visit_template" => d.templates().map(drop),
            "trusted_key" => d.trusted_keys().map(drop),
            "stock_move" => d.stock().map(drop),
            _ => Ok(()),
        };
    }
    let _ = d.areas();
});
