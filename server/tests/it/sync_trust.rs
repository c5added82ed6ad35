//! What a phone claims, tried as an attacker would, against a real server on loopback
//! over SQLite and a real PostgreSQL: rows of another area taken over through the fields
//! that place them, an enrolled device id taken by a new enrolment, clocks far ahead or
//! beyond what a store keeps. Each attempt is refused and nothing of it is stored.

use crate::common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::*;
use doorstep_core::clock::{new_id, stable_id};
use doorstep_core::fields;
use doorstep_core::log::{snapshot, Action, Fields, Hlc, Op};
use doorstep_core::registry::{Household, NewHousehold, NewResident, Resident, Sex};
use doorstep_core::sync::protocol::{OpVerdict, PushReply, PushRequest};
use doorstep_core::sync::Role;
use doorstep_core::{Clock, Doorstep, Error, SCHEMA};
use doorstep_server::sync::DEFAULT_MAX_CLOCK_SKEW_MS;

const GRID3: &str = "武昌区/水果湖街道/东亭社区/第1网格";
const YEAR_MS: i64 = 365 * 86_400_000;

fn household(phone: &Doorstep, grid: &str, address: &str) -> Household {
    let area = phone.ensure_area(grid).unwrap();
    phone
        .create_household(&NewHousehold {
            area_id: area.id,
            building_id: None,
            address: address.into(),
            unit: None,
            phone: None,
        })
        .unwrap()
}

fn resident(phone: &Doorstep, hh: &Household, name: &str) -> Resident {
    phone
        .create_resident(&NewResident {
            household_id: hh.id.clone(),
            name: name.into(),
            sex: Sex::Female,
            birth_year: Some(1940),
            phone: Some("13800000000".into()),
            tags: vec![],
            notes: None,
        })
        .unwrap()
}

fn state(phone: &Doorstep) -> Vec<String> {
    phone.read(|c| snapshot(c, SCHEMA)).unwrap()
}

/// An op as `phone` would sign it, with whatever the attacker puts in it.
fn op(phone: &Doorstep, user: &str, entity: &str, id: &str, action: Action, f: Fields) -> Op {
    Op {
        id: new_id(),
        hlc: Hlc::new(doorstep_core::SystemClock.now_ms(), 0),
        device: phone.device_id(),
        user: user.into(),
        entity: entity.into(),
        entity_id: id.into(),
        action,
        fields: f,
    }
}

async fn push_raw(env: &Env, token: &str, body: String) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/api/v1/push", env.url()))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn push(env: &Env, token: &str, ops: &[Op]) -> PushReply {
    let body = serde_json::to_string(&PushRequest { ops: ops.to_vec() }).unwrap();
    let r = push_raw(env, token, body).await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

fn codes(reply: &PushReply) -> Vec<String> {
    reply
        .results
        .iter()
        .map(|r| match &r.verdict {
            OpVerdict::Accepted => "accepted".to_string(),
            OpVerdict::Deferred { code, .. } => format!("deferred:{code}"),
            OpVerdict::Rejected { code, .. } => code.clone(),
        })
        .collect()
}

async fn op_count(env: &Env) -> u64 {
    env.store.op_count().await.unwrap()
}

/// A station-admin phone holding a household, a resident and a need in GRID2, synced.
struct Victim {
    admin: Doorstep,
    household: Household,
    resident: Resident,
    need: String,
}

async fn victim(env: &Env) -> Victim {
    let (admin, _) = env.phone("station", Role::StationAdmin, &[]).await;
    let household = household(&admin, GRID2, "2-201");
    let resident = resident(&admin, &household, "李桂兰");
    let need = new_id();
    admin
        .write(|w| {
            w.put(
                &doorstep_core::visits::NEED,
                &need,
                fields! {"household_id" => household.id, "resident_id" => resident.id,
                "area_id" => household.area_id, "category" => "medicine",
                "urgency" => "urgent", "status" => "open"},
            )
        })
        .unwrap();
    let report = admin.sync_with(quick(), None).await.unwrap();
    assert_eq!(report.rejected, 0);
    Victim {
        admin,
        household,
        resident,
        need,
    }
}

async fn another_areas_rows_cannot_be_taken_over(b: Backend) {
    let env = Env::start(b).await;
    let v = victim(&env).await;
    let (worker, _) = env.phone("wang", SW, &[GRID1]).await;
    let own = household(&worker, GRID1, "1-101");
    worker.sync_with(quick(), None).await.unwrap();
    let grid1 = worker.ensure_area(GRID1).unwrap();
    let before = op_count(&env).await;
    let (h2, r2) = (&v.household.id, &v.resident.id);
    let attempts = vec![
        // The household moved into the worker's grid by naming it.
        op(
            &worker,
            "wang",
            "household",
            h2,
            Action::Put,
            fields! {"area_id" => grid1.id, "address" => "mine"},
        ),
        op(
            &worker,
            "wang",
            "household",
            h2,
            Action::Delete,
            Fields::new(),
        ),
        op(
            &worker,
            "wang",
            "household",
            h2,
            Action::Put,
            fields! {"phone" => "13000000000"},
        ),
        // The resident moved into the worker's household, or edited where it lives.
        op(
            &worker,
            "wang",
            "resident",
            r2,
            Action::Put,
            fields! {"household_id" => own.id, "name" => "x"},
        ),
        op(
            &worker,
            "wang",
            "resident",
            r2,
            Action::Put,
            fields! {"name" => "x"},
        ),
        op(
            &worker,
            "wang",
            "resident",
            r2,
            Action::Delete,
            Fields::new(),
        ),
        // A new need in the worker's grid naming the other area's household.
        op(
            &worker,
            "wang",
            "need",
            &new_id(),
            Action::Put,
            fields! {"area_id" => grid1.id,
            "household_id" => h2, "resident_id" => r2, "category" => "food", "status" => "open"},
        ),
        op(
            &worker,
            "wang",
            "need",
            &v.need,
            Action::Put,
            fields! {"status" => "resolved"},
        ),
        op(
            &worker,
            "wang",
            "need_update",
            &new_id(),
            Action::Fact,
            fields! {"need_id" => v.need,
            "from_status" => "open", "to_status" => "resolved"},
        ),
        // A new resident put into the other area's household.
        op(
            &worker,
            "wang",
            "resident",
            &new_id(),
            Action::Put,
            fields! {"household_id" => h2, "name" => "y"},
        ),
        op(
            &worker,
            "wang",
            "resident_move",
            &new_id(),
            Action::Fact,
            fields! {"resident_id" => r2,
            "from_household" => h2, "to_household" => own.id},
        ),
        // A visit of the worker's household that supersedes nothing of theirs.
        op(
            &worker,
            "wang",
            "visit",
            &new_id(),
            Action::Fact,
            fields! {"household_id" => own.id,
            "area_id" => grid1.id, "resident_id" => r2, "outcome" => "done"},
        ),
    ];
    let reply = push(&env, &token(&worker), &attempts).await;
    assert_eq!(
        codes(&reply),
        vec!["out_of_scope"; attempts.len()],
        "{reply:?}"
    );
    assert_eq!(op_count(&env).await, before, "nothing of them is stored");
    // The phone keeps each refusal with its reason.
    for r in &reply.results {
        let OpVerdict::Rejected { reason, .. } = &r.verdict else {
            unreachable!()
        };
        assert!(reason.contains(GRID2), "{reason}");
    }
    // The grid's own worker still finds everything where it was.
    let (owner, _) = env.phone("li", SW, &[GRID2]).await;
    owner.sync_with(quick(), None).await.unwrap();
    let hh = owner.household(h2).unwrap();
    assert_eq!(
        (hh.address.as_str(), hh.area_id.as_str()),
        ("2-201", v.household.area_id.as_str())
    );
    assert_eq!(owner.resident(r2).unwrap().household_id, *h2);
    let theirs = |phone: &Doorstep| -> Vec<String> {
        state(phone)
            .into_iter()
            .filter(|l| [h2, r2, &v.need].iter().any(|id| l.contains(id.as_str())))
            .collect()
    };
    let admin_before = theirs(&v.admin);
    assert_eq!(admin_before.len(), 3);
    v.admin.sync_with(quick(), None).await.unwrap();
    assert_eq!(
        theirs(&v.admin),
        admin_before,
        "the station's rows are unchanged"
    );
}

async fn a_move_between_areas_needs_rights_on_both(b: Backend) {
    let env = Env::start(b).await;
    let v = victim(&env).await;
    let h2 = v.household.id.clone();
    let (one, _) = env.phone("wang", SW, &[GRID1]).await;
    let (both, _) = env.phone("zhao", SW, &[GRID1, GRID2]).await;
    let grid1 = both.ensure_area(GRID1).unwrap();
    both.sync_with(quick(), None).await.unwrap();
    one.sync_with(quick(), None).await.unwrap();
    let reply = push(
        &env,
        &token(&both),
        &[op(
            &both,
            "zhao",
            "household",
            &h2,
            Action::Put,
            fields! {"area_id" => grid1.id},
        )],
    )
    .await;
    assert_eq!(codes(&reply), vec!["accepted"]);
    // It lives in GRID1 now: GRID1's worker may edit it, GRID2's may not.
    let reply = push(
        &env,
        &token(&one),
        &[op(
            &one,
            "wang",
            "household",
            &h2,
            Action::Put,
            fields! {"phone" => "13100000000"},
        )],
    )
    .await;
    assert_eq!(codes(&reply), vec!["accepted"]);
    let (two, _) = env.phone("li", SW, &[GRID2]).await;
    let before = op_count(&env).await;
    let reply = push(
        &env,
        &token(&two),
        &[op(
            &two,
            "li",
            "household",
            &h2,
            Action::Put,
            fields! {"phone" => "13200000000"},
        )],
    )
    .await;
    assert_eq!(codes(&reply), vec!["out_of_scope"]);
    assert_eq!(op_count(&env).await, before);
}

async fn enrolment_never_takes_an_enrolled_device_id(b: Backend) {
    let env = Env::start(b).await;
    let (station, es) = env.phone("station", Role::StationAdmin, &[]).await;
    let (phone, e) = env.phone("wang", SW, &[GRID1]).await;
    let victim_token = token(&phone);
    let http = reqwest::Client::new();
    let enrol = |body: serde_json::Value| {
        let http = http.clone();
        let url = format!("{}/api/v1/enrol", env.url());
        async move { http.post(url).json(&body).send().await.unwrap() }
    };
    let code = env.code("mallory", SW, &[GRID2]).await;
    for (device, renewal) in [
        (&e.device_id, None),
        (&e.device_id, Some("00".repeat(32))),
        (
            &e.device_id,
            Some(doorstep_core::sync::protocol::renewal_proof("guess", &code)),
        ),
        (&es.device_id, None),
    ] {
        let r =
            enrol(serde_json::json!({"code": code, "device_id": device, "renewal": renewal})).await;
        assert_eq!(r.status(), 409, "device {device}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["code"], "device_exists");
    }
    // The code stays unused, the victims keep working under their ids.
    let listed = env.store.enrolments(10).await.unwrap();
    let mallory = listed.iter().find(|c| c.user == "mallory").unwrap();
    assert_eq!((mallory.used_at, &mallory.used_by), (None, &None));
    household(&phone, GRID1, "1-1");
    let report = phone.sync_with(quick(), None).await.unwrap();
    assert_eq!((report.rejected, report.pending), (0, 0));
    station.sync_with(quick(), None).await.unwrap();
    // The code still enrols a new device.
    let r = enrol(serde_json::json!({"code": code, "device_id": "fresh-device"})).await;
    assert_eq!(r.status(), 200);
    // A device renews its own enrolment with proof of its token: the old token stops.
    let again = env.code("wang", SW, &[GRID1]).await;
    let renewed = phone.enrol(&env.url(), &again).await.unwrap();
    assert_eq!(renewed.device_id, e.device_id);
    assert_ne!(token(&phone), victim_token);
    let r = http
        .get(format!("{}/api/v1/whoami", env.url()))
        .bearer_auth(&victim_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    phone.sync_with(quick(), None).await.unwrap();
    // A revoked device stays revoked.
    assert!(env.store.revoke_device(&e.device_id, 1).await.unwrap());
    let third = env.code("wang", SW, &[GRID1]).await;
    let err = phone.enrol(&env.url(), &third).await.unwrap_err();
    assert!(
        matches!(&err, Error::Unauthorized(m) if m.contains("device_revoked")),
        "{err}"
    );
}

async fn clocks_beyond_the_bound_are_refused(b: Backend) {
    let env = Env::start(b).await;
    let (station, _) = env.phone("station", Role::StationAdmin, &[]).await;
    let (worker, _) = env.phone("wang", SW, &[GRID1]).await;
    let hh = household(&worker, GRID1, "1-101");
    worker.sync_with(quick(), None).await.unwrap();
    station.sync_with(quick(), None).await.unwrap();
    let t = token(&worker);
    let before = op_count(&env).await;
    let edit = |hlc: Hlc| {
        let mut o = op(
            &worker,
            "wang",
            "household",
            &hh.id,
            Action::Put,
            fields! {"phone" => "1"},
        );
        o.hlc = hlc;
        o
    };
    // Stamps no store keeps: the wire format refuses the push.
    for raw in [1u64 << 63, u64::MAX] {
        let body = serde_json::to_string(&PushRequest {
            ops: vec![edit(Hlc(raw))],
        })
        .unwrap();
        assert!(body.contains(&raw.to_string()));
        let r = push_raw(&env, &t, body).await;
        assert_eq!(r.status(), 422, "hlc {raw}");
        let e: serde_json::Value = r.json().await.unwrap();
        assert_eq!(e["code"], "bad_request");
        assert!(
            e["message"]
                .as_str()
                .unwrap()
                .contains("beyond the largest stamp"),
            "{e}"
        );
    }
    // A year ahead, or as far ahead as a stamp goes, by its own code.
    let now = env.clock.now_ms();
    let reply = push(
        &env,
        &t,
        &[
            edit(Hlc::new(now + YEAR_MS, 0)),
            edit(Hlc::MAX),
            edit(Hlc::new(now + DEFAULT_MAX_CLOCK_SKEW_MS + 1, 0)),
        ],
    )
    .await;
    assert_eq!(codes(&reply), vec!["clock_ahead"; 3]);
    assert_eq!(op_count(&env).await, before, "nothing stored");
    // The last stamp within the bound is kept and comes back exactly.
    let edge = edit(Hlc::new(now + DEFAULT_MAX_CLOCK_SKEW_MS, u16::MAX));
    assert_eq!(
        codes(&push(&env, &t, std::slice::from_ref(&edge)).await),
        vec!["accepted"]
    );
    let (reader, _) = env.phone("li", SW, &[GRID1]).await;
    reader.sync_with(quick(), None).await.unwrap();
    let pulled: i64 = reader
        .read(|c| {
            Ok(
                c.query_row("SELECT hlc FROM op_log WHERE op_id = ?1", [&edge.id], |r| {
                    r.get(0)
                })?,
            )
        })
        .unwrap();
    assert_eq!(Hlc::from_i64(pulled), edge.hlc);
    // The station's clock moved at most to the bound, and its next write follows it.
    station.sync_with(quick(), None).await.unwrap();
    let stamp = station.clock_stamp();
    assert!(stamp <= edge.hlc, "{stamp} > {}", edge.hlc);
    household(&station, GRID1, "1-102");
    let mine = station.pending_ops(10).unwrap();
    assert!(mine
        .iter()
        .all(|o| o.hlc > edge.hlc && o.hlc.wall_ms() <= edge.hlc.wall_ms() + 1));
    // A second later the server takes them.
    env.clock.advance(1_000);
    let report = station.sync_with(quick(), None).await.unwrap();
    assert_eq!(report.rejected, 0);
}

async fn the_clock_bound_is_configurable(b: Backend) {
    let env = Env::start(b).await;
    let (worker, _) = env.phone("wang", SW, &[GRID1]).await;
    let hh = household(&worker, GRID1, "1-101");
    worker.sync_with(quick(), None).await.unwrap();
    let device = env
        .store
        .device_by_token(&doorstep_server::sync::enrol::hash(&token(&worker)))
        .await
        .unwrap()
        .unwrap();
    let now = env.clock.now_ms();
    let at = |ms: i64| {
        let mut o = op(
            &worker,
            "wang",
            "household",
            &hh.id,
            Action::Put,
            fields! {"unit" => "1"},
        );
        o.hlc = Hlc::new(ms, 0);
        o
    };
    let results = doorstep_server::sync::push_with(
        env.store.as_ref(),
        &device,
        &[at(now + 30_000), at(now + 120_000)],
        now,
        60_000,
    )
    .await
    .unwrap();
    let got: Vec<bool> = results
        .iter()
        .map(|r| r.verdict == OpVerdict::Accepted)
        .collect();
    assert_eq!(got, vec![true, false]);
}

on_both!(
    another_areas_rows_cannot_be_taken_over,
    a_move_between_areas_needs_rights_on_both,
    enrolment_never_takes_an_enrolled_device_id,
    clocks_beyond_the_bound_are_refused,
    the_clock_bound_is_configurable,
);

/// The station enrols itself at every start, under the device id its store keeps: the
/// second time it proves it holds its token, and goes on syncing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_station_enrols_itself_again() {
    let env = Env::start(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let station = doorstep_server::station::Station::open(dir.path()).unwrap();
    station
        .enrol_self(env.store.as_ref(), &env.url())
        .await
        .unwrap();
    let first = token(&station.core);
    household(&station.core, GRID1, "1-1");
    station.catch_up().await.unwrap();
    station
        .enrol_self(env.store.as_ref(), &env.url())
        .await
        .unwrap();
    assert_ne!(token(&station.core), first);
    household(&station.core, GRID1, "1-2");
    let report = station.catch_up().await.unwrap();
    assert_eq!((report.accepted > 0, report.rejected), (true, 0));
    assert_eq!(env.store.devices().await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_enrolment_codes_are_throttled() {
    let env = Env::start(Backend::Sqlite).await;
    let http = reqwest::Client::new();
    let try_code = |code: String| {
        let http = http.clone();
        let url = format!("{}/api/v1/enrol", env.url());
        async move {
            http.post(url)
                .json(&serde_json::json!({"code": code, "device_id": new_id()}))
                .send()
                .await
                .unwrap()
        }
    };
    // Ten wrong codes are answered, and the eleventh; then the address waits.
    for i in 0..11 {
        let r = try_code(format!("WRONG-{i:05}")).await;
        assert_eq!(r.status(), 404, "try {i}");
    }
    let good = env.code("wang", SW, &[GRID1]).await;
    let r = try_code(good.clone()).await;
    assert_eq!(r.status(), 429);
    let wait: i64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], "too_many_tries");
    let listed = env.store.enrolments(10).await.unwrap();
    assert!(
        listed.iter().all(|c| c.used_at.is_none()),
        "the good code is not used"
    );
    env.clock.advance(wait * 1000);
    assert_eq!(try_code(good).await.status(), 200);
    // An hour later the count starts over: thirty codes sent side by side then get as
    // many answers as codes sent one after another would.
    env.clock.advance(3_600_000);
    let side: Vec<_> = (0..30)
        .map(|i| tokio::spawn(try_code(format!("SIDE-{i:05}"))))
        .collect();
    let mut statuses = Vec::new();
    for t in side {
        statuses.push(t.await.unwrap().status().as_u16());
    }
    statuses.sort();
    assert_eq!(statuses, [vec![404; 11], vec![429; 19]].concat());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_to_another_machine_is_refused() {
    let env = Env::start(Backend::Sqlite).await;
    let code = env.code("wang", SW, &[GRID1]).await;
    let phone = env.new_phone();
    for server in ["http://192.0.2.10:8080", "http://station.example.org"] {
        let err = phone.enrol(server, &code).await.unwrap_err();
        assert!(
            matches!(&err, Error::Invalid(m) if m.contains("https://")),
            "{server}: {err}"
        );
    }
    assert!(
        phone.enrol(&env.url(), &code).await.is_ok(),
        "loopback stays open"
    );
}

/// A server on loopback that answers every request with `head` and then up to `limit`
/// bytes of body; returns its URL and the bytes it managed to send.
async fn hostile(head: &'static str, limit: usize) -> (String, Arc<AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let sent = Arc::new(AtomicUsize::new(0));
    let counter = sent.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                let _ = s.read(&mut buf).await;
                if s.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = vec![b'['; 1024 * 1024];
                let mut n = 0;
                while n < limit {
                    let part = if head.contains("chunked") {
                        [
                            format!("{:x}\r\n", chunk.len()).into_bytes(),
                            chunk.clone(),
                            b"\r\n".to_vec(),
                        ]
                        .concat()
                    } else {
                        chunk.clone()
                    };
                    if s.write_all(&part).await.is_err() {
                        break;
                    }
                    n += chunk.len();
                    counter.fetch_add(chunk.len(), Ordering::Relaxed);
                }
            });
        }
    });
    (url, sent)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_server_cannot_fill_the_phones_memory() {
    let limit = doorstep_core::sync::protocol::MAX_REPLY_BYTES;
    let dir = tempfile::tempdir().unwrap();
    let phone = Doorstep::open(dir.path().join("p.db"), &[7u8; 32]).unwrap();
    // A reply that says it is a gigabyte long, and one that streams without end.
    for head in [
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1073741824\r\n\r\n",
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
    ] {
        let (url, sent) = hostile(head, 3 * limit).await;
        let err = phone.enrol(&url, "ABCDE-FGHJK").await.unwrap_err();
        assert!(
            matches!(&err, Error::Network(m) if m.contains("longer than")),
            "{err}"
        );
        let sent = sent.load(Ordering::Relaxed);
        assert!(
            sent < 2 * limit,
            "{sent} bytes sent before the phone stopped reading"
        );
    }
}

/// Random ops from a social worker of GRID1 against a server holding rows of three grids:
/// no row outside GRID1 changes (a replica of everything stored holds the same rows
/// outside it before and after, and they stay placed where they were), no accepted op
/// names one, and an op is reported accepted exactly when it was stored. Cases: 128, or
/// `DOORSTEP_SCOPE_CASES`.
mod property {
    use std::collections::{BTreeMap, HashSet};
    use std::sync::Arc;

    use doorstep_server::storage::{Device, PullFilter, SqliteStorage, Storage, StoredOp};
    use doorstep_server::sync::push;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    use super::*;

    const GRIDS: [&str; 3] = [GRID1, GRID2, GRID3];

    /// The seeded rows: (entity, id) -> grid index (None for the areas above the grids).
    struct Seeded {
        rows: BTreeMap<(String, String), Option<usize>>,
    }

    impl Seeded {
        fn of(&self, entity: &str) -> Vec<String> {
            self.rows
                .keys()
                .filter(|(e, _)| e == entity)
                .map(|(_, id)| id.clone())
                .collect()
        }

        /// Rows outside GRID1: of the other grids, and the areas above the grids.
        fn outside(&self) -> HashSet<String> {
            self.rows
                .iter()
                .filter(|(_, g)| **g != Some(0))
                .map(|((_, id), _)| id.clone())
                .collect()
        }
    }

    fn row(entity: &str, grid: usize) -> String {
        stable_id(entity, &format!("seed-{grid}"))
    }

    /// Rows of every kind a social worker writes, in each grid, stored as the station's.
    async fn seed(store: &dyn Storage) -> Seeded {
        let mut rows = BTreeMap::new();
        let mut ops = Vec::new();
        let mut put = |entity: &str, id: String, area: String, action, fields: Fields, grid| {
            rows.insert((entity.to_string(), id.clone()), grid);
            ops.push(StoredOp {
                op: Op {
                    id: new_id(),
                    hlc: Hlc::new(1_700_000_000_000, ops.len() as u16),
                    device: "station-device".into(),
                    user: "station".into(),
                    entity: entity.into(),
                    entity_id: id,
                    action,
                    fields,
                },
                area,
                blob: None,
            });
        };
        let mut paths: Vec<(String, Option<usize>)> = Vec::new();
        for (g, grid) in GRIDS.iter().enumerate() {
            let parts: Vec<&str> = grid.split('/').collect();
            for depth in 1..=parts.len() {
                let p = parts[..depth].join("/");
                let at = (depth == parts.len()).then_some(g);
                if !paths.iter().any(|(q, _)| *q == p) {
                    paths.push((p, at));
                }
            }
        }
        for (p, g) in &paths {
            let name = p.rsplit('/').next().unwrap();
            let parent = p.rfind('/').map(|i| stable_id("area", &p[..i]));
            let level = ["district", "street", "community", "grid"][p.split('/').count() - 1];
            put(
                "area",
                stable_id("area", p),
                p.clone(),
                Action::Put,
                fields! {"path" => p, "name" => name, "parent_id" => parent, "level" => level},
                *g,
            );
        }
        for (g, grid) in GRIDS.iter().enumerate() {
            let area = stable_id("area", grid);
            let (hh, rs, need, visit, referral) = (
                row("household", g),
                row("resident", g),
                row("need", g),
                row("visit", g),
                row("referral", g),
            );
            let a = grid.to_string();
            put(
                "building",
                row("building", g),
                a.clone(),
                Action::Put,
                fields! {"area_id" => area, "name" => "1栋"},
                Some(g),
            );
            put(
                "household",
                hh.clone(),
                a.clone(),
                Action::Put,
                fields! {"area_id" => area, "address" => format!("{g}-1")},
                Some(g),
            );
            put(
                "resident",
                rs.clone(),
                a.clone(),
                Action::Put,
                fields! {"household_id" => hh, "name" => format!("居民{g}")},
                Some(g),
            );
            put(
                "visit",
                visit.clone(),
                a.clone(),
                Action::Fact,
                fields! {"household_id" => hh, "area_id" => area, "outcome" => "done"},
                Some(g),
            );
            put(
                "need",
                need.clone(),
                a.clone(),
                Action::Put,
                fields! {"household_id" => hh, "resident_id" => rs, "area_id" => area, "status" => "open"},
                Some(g),
            );
            put(
                "referral",
                referral.clone(),
                a.clone(),
                Action::Put,
                fields! {"need_id" => need, "household_id" => hh, "area_id" => area, "status" => "sent"},
                Some(g),
            );
            put(
                "follow_up",
                row("follow_up", g),
                a.clone(),
                Action::Put,
                fields! {"household_id" => hh, "due_at" => 1},
                Some(g),
            );
            put(
                "need_update",
                row("need_update", g),
                a.clone(),
                Action::Fact,
                fields! {"need_id" => need, "to_status" => "open"},
                Some(g),
            );
        }
        store.insert_ops(&ops, 1).await.unwrap();
        Seeded { rows }
    }

    /// One random op: an entity, an action, a row (seeded in any grid, or new) and
    /// fields naming seeded rows of any grid, unknown rows, or nothing.
    #[derive(Debug, Clone)]
    struct Pick {
        entity: u8,
        action: u8,
        target: Option<u8>,
        refs: Vec<(u8, Option<u8>)>,
        value: u8,
    }

    fn pick() -> impl Strategy<Value = Pick> {
        (
            any::<u8>(),
            any::<u8>(),
            prop::option::weighted(0.7, any::<u8>()),
            prop::collection::vec(
                (any::<u8>(), prop::option::weighted(0.8, any::<u8>())),
                0..4,
            ),
            any::<u8>(),
        )
            .prop_map(|(entity, action, target, refs, value)| Pick {
                entity,
                action,
                target,
                refs,
                value,
            })
    }

    const ENTITIES: &[&str] = &[
        "area",
        "building",
        "household",
        "resident",
        "resident_move",
        "visit",
        "need",
        "need_update",
        "referral",
        "referral_update",
        "follow_up",
        "delivery_request",
    ];

    /// The fields that name rows, per entity, with the entity named (as the server
    /// reads them).
    fn ref_fields(entity: &str) -> &'static [(&'static str, &'static str)] {
        match entity {
            "area" => &[("parent_id", "area")],
            "building" => &[("area_id", "area")],
            "household" => &[("area_id", "area"), ("building_id", "building")],
            "resident" => &[("household_id", "household")],
            "resident_move" => &[
                ("resident_id", "resident"),
                ("from_household", "household"),
                ("to_household", "household"),
            ],
            "visit" => &[
                ("household_id", "household"),
                ("area_id", "area"),
                ("resident_id", "resident"),
                ("supersedes", "visit"),
            ],
            "need" => &[
                ("household_id", "household"),
                ("area_id", "area"),
                ("resident_id", "resident"),
                ("visit_id", "visit"),
            ],
            "need_update" => &[("need_id", "need")],
            "referral" => &[
                ("need_id", "need"),
                ("household_id", "household"),
                ("area_id", "area"),
            ],
            "referral_update" => &[("referral_id", "referral")],
            "follow_up" => &[
                ("household_id", "household"),
                ("resident_id", "resident"),
                ("need_id", "need"),
            ],
            "delivery_request" => &[("household_id", "household"), ("area_id", "area")],
            _ => &[],
        }
    }

    fn build(p: &Pick, seeded: &Seeded, device: &Device) -> Op {
        let entity = ENTITIES[p.entity as usize % ENTITIES.len()];
        let def = SCHEMA.get(entity).unwrap();
        let action = match (p.action % 8, def.kind) {
            (0, _) => Action::Delete,
            (1, _) => Action::Fact,
            (_, doorstep_core::log::EntityKind::Fact) => Action::Fact,
            _ => Action::Put,
        };
        let mut fields = Fields::new();
        let entity_id = if entity == "area" {
            // An area names its place by its path: one of the grids, or below one.
            let g = p.value as usize % GRIDS.len();
            let path = if p.value < 128 {
                GRIDS[g].to_string()
            } else {
                format!("{}/楼{}", GRIDS[g], p.value % 5)
            };
            fields.insert("path".into(), path.clone().into());
            fields.insert("name".into(), "x".into());
            match p.target {
                Some(t) if t % 3 == 0 => {
                    let all = seeded.of("area");
                    all[t as usize % all.len()].clone()
                }
                _ => stable_id("area", &path),
            }
        } else {
            match p.target {
                Some(t) => {
                    let all = seeded.of(entity);
                    if all.is_empty() {
                        new_id()
                    } else {
                        all[t as usize % all.len()].clone()
                    }
                }
                None => new_id(),
            }
        };
        let refs = ref_fields(entity);
        for (which, row) in &p.refs {
            if refs.is_empty() {
                break;
            }
            let (field, named) = refs[*which as usize % refs.len()];
            let id = match row {
                Some(r) => {
                    let all = seeded.of(named);
                    all[*r as usize % all.len()].clone()
                }
                None => new_id(),
            };
            fields.insert(field.into(), id.into());
        }
        if action == Action::Delete {
            fields.clear();
        }
        Op {
            id: new_id(),
            hlc: Hlc::new(doorstep_core::SystemClock.now_ms(), p.value as u16),
            device: device.device_id.clone(),
            user: device.user.clone(),
            entity: entity.into(),
            entity_id,
            action,
            fields,
        }
    }

    async fn all_ops(store: &dyn Storage) -> Vec<Op> {
        let filter = PullFilter {
            entities: SCHEMA.all().map(|d| d.name.to_string()).collect(),
            areas: None,
            ancestors: vec![],
            exclude_device: String::new(),
        };
        store
            .pull(&filter, 0, 5000)
            .await
            .unwrap()
            .ops
            .into_iter()
            .map(|(_, o)| o)
            .collect()
    }

    /// The replicated rows outside GRID1 after applying everything stored.
    fn foreign_rows(
        dir: &std::path::Path,
        n: &str,
        ops: &[Op],
        foreign: &HashSet<String>,
    ) -> Vec<String> {
        let replica = Doorstep::open(dir.join(n), &[5u8; 32]).unwrap();
        replica.apply_remote(ops).unwrap();
        state(&replica)
            .into_iter()
            .filter(|line| {
                line.split('|').nth(1).is_some_and(|id| {
                    let id = id.trim_start_matches("Text(\"").trim_end_matches("\")");
                    foreign.contains(id)
                })
            })
            .collect()
    }

    /// Ops accepted and refused over all cases: both must occur for the property to say
    /// anything.
    static TALLY: [std::sync::atomic::AtomicU64; 2] = [
        std::sync::atomic::AtomicU64::new(0),
        std::sync::atomic::AtomicU64::new(0),
    ];

    async fn case(batches: Vec<Vec<Pick>>) -> Result<(), TestCaseError> {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Storage> =
            Arc::new(SqliteStorage::open(&dir.path().join("s.db")).unwrap());
        let seeded = seed(store.as_ref()).await;
        let device = Device {
            device_id: "attacker".into(),
            user: "wang".into(),
            role: Role::SocialWorker,
            areas: vec![GRID1.into()],
            token_expires_at: i64::MAX,
            revoked: false,
        };
        let foreign = seeded.outside();
        let before = foreign_rows(
            dir.path(),
            "before.db",
            &all_ops(store.as_ref()).await,
            &foreign,
        );
        prop_assert!(!before.is_empty());
        let keys: Vec<(String, String)> = seeded.rows.keys().cloned().collect();
        let placed_before = store.areas_of(&keys).await.unwrap();
        let mut accepted: Vec<Op> = Vec::new();
        for batch in &batches {
            let ops: Vec<Op> = batch.iter().map(|p| build(p, &seeded, &device)).collect();
            let results = push(
                store.as_ref(),
                &device,
                &ops,
                doorstep_core::SystemClock.now_ms(),
            )
            .await
            .unwrap();
            prop_assert_eq!(results.len(), ops.len());
            let ids: Vec<String> = ops.iter().map(|o| o.id.clone()).collect();
            let stored = store.known_ops(&ids).await.unwrap();
            for (o, r) in ops.iter().zip(&results) {
                let ok = r.verdict == OpVerdict::Accepted;
                prop_assert_eq!(
                    ok,
                    stored.contains(&o.id),
                    "op {:?} verdict {:?}",
                    o,
                    r.verdict
                );
                TALLY[usize::from(!ok)].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if ok {
                    accepted.push(o.clone());
                }
            }
        }
        for o in &accepted {
            let named: Vec<&str> = o
                .fields
                .iter()
                .filter(|(k, _)| !(o.entity == "area" && *k == "parent_id"))
                .filter_map(|(_, v)| v.as_str())
                .collect();
            // Phones put the areas above their own as every phone does; the replica
            // check below shows that changes nothing.
            let ancestor = o.entity == "area"
                && seeded.rows.get(&(o.entity.clone(), o.entity_id.clone())) == Some(&None);
            prop_assert!(
                ancestor || !foreign.contains(&o.entity_id),
                "accepted op on a row outside GRID1: {:?}",
                o
            );
            prop_assert!(
                named.iter().all(|id| !foreign.contains(*id)),
                "accepted op naming a row outside GRID1: {:?}",
                o
            );
        }
        prop_assert_eq!(
            store
                .areas_of(&keys)
                .await
                .unwrap()
                .into_iter()
                .filter(|(k, _)| seeded.rows[k] != Some(0))
                .collect::<BTreeMap<_, _>>(),
            placed_before
                .into_iter()
                .filter(|(k, _)| seeded.rows[k] != Some(0))
                .collect::<BTreeMap<_, _>>()
        );
        let after = foreign_rows(
            dir.path(),
            "after.db",
            &all_ops(store.as_ref()).await,
            &foreign,
        );
        prop_assert_eq!(after, before);
        Ok(())
    }

    #[test]
    fn random_ops_of_one_grid_never_change_another() {
        let cases = std::env::var("DOORSTEP_SCOPE_CASES")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(128);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mut runner = TestRunner::new(Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        });
        runner
            .run(
                &prop::collection::vec(prop::collection::vec(pick(), 1..12), 1..6),
                |batches| rt.block_on(case(batches)),
            )
            .unwrap();
        let [accepted, refused] = &TALLY;
        let (a, r) = (
            accepted.load(std::sync::atomic::Ordering::Relaxed),
            refused.load(std::sync::atomic::Ordering::Relaxed),
        );
        eprintln!("{a} ops accepted, {r} refused");
        assert!(
            a > cases as u64 / 4 && r > cases as u64,
            "{a} accepted, {r} refused"
        );
    }
}
