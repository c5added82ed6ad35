//! Sync against a real server on loopback, each test run twice: on SQLite and on a real
//! PostgreSQL (`DOORSTEP_TEST_PG`, set by scripts/with-postgres.sh).

use crate::common;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use common::*;
use doorstep_core::fields;
use doorstep_core::log::{snapshot, Op};
use doorstep_core::registry::{Household, NewHousehold, NewResident, Resident, ResidentPatch, Sex};
use doorstep_core::sync::protocol::{OpVerdict, PushReply, PushRequest};
use doorstep_core::sync::{Role, SyncOptions, SyncProgress, SyncStage};
use doorstep_core::{Cancel, Doorstep, Error, SCHEMA};
use doorstep_server::AppState;

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

fn resident(phone: &Doorstep, hh: &Household, name: &str, notes: Option<&str>) -> Resident {
    phone
        .create_resident(&NewResident {
            household_id: hh.id.clone(),
            name: name.into(),
            sex: Sex::Female,
            birth_year: Some(1940),
            phone: Some("13800000000".into()),
            tags: vec![],
            notes: notes.map(Into::into),
        })
        .unwrap()
}

fn visit(phone: &Doorstep, hh: &Household, note: &str) -> String {
    let id = doorstep_core::clock::new_id();
    phone
        .write(|w| {
            w.fact(
                &doorstep_core::visits::VISIT,
                &id,
                fields! {"household_id" => hh.id, "area_id" => hh.area_id, "note" => note,
                "outcome" => "done", "template_id" => "general_household"},
            )
        })
        .unwrap();
    id
}

fn state(phone: &Doorstep) -> Vec<String> {
    phone.read(|c| snapshot(c, SCHEMA)).unwrap()
}

async fn raw_push(env: &Env, token: &str, ops: Vec<Op>) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/api/v1/push", env.url()))
        .bearer_auth(token)
        .json(&PushRequest { ops })
        .send()
        .await
        .unwrap()
}

async fn two_phones_in_one_grid_converge(b: Backend) {
    let env = Env::start(b).await;
    let (a, ea) = env.phone("wang", SW, &[GRID1]).await;
    let (bb, _) = env.phone("li", SW, &[GRID1]).await;
    assert_eq!(ea.role, Role::SocialWorker);
    assert_eq!(ea.areas, vec![GRID1.to_string()]);
    let hh = household(&a, GRID1, "1-101");
    let r = resident(&a, &hh, "张秀英", Some("lives alone"));
    assert_eq!(a.last_sync_at().unwrap(), None);
    let report = a.sync_with(quick(), None).await.unwrap();
    assert!(
        a.last_sync_at().unwrap().is_some(),
        "a whole sync is remembered"
    );
    assert_eq!(report.rejected, 0);
    assert_eq!(report.pending, 0);
    assert!(
        report.accepted >= 6,
        "areas, household and resident: {report:?}"
    );
    let report = bb.sync_with(quick(), None).await.unwrap();
    assert_eq!(report.applied, report.pulled);
    assert_eq!(bb.resident(&r.id).unwrap().name, "张秀英");
    assert_eq!(state(&a), state(&bb));
    // Written on b, seen on a, written as b's enrolled user.
    bb.update_resident(
        &r.id,
        &ResidentPatch {
            phone: Some("13900000000".into()),
            ..Default::default()
        },
    )
    .unwrap();
    bb.sync_with(quick(), None).await.unwrap();
    a.sync_with(quick(), None).await.unwrap();
    assert_eq!(
        a.resident(&r.id).unwrap().phone.as_deref(),
        Some("13900000000")
    );
    let users: HashSet<String> = server_ops(&env).await.into_iter().map(|o| o.user).collect();
    assert_eq!(users, HashSet::from(["wang".to_string(), "li".to_string()]));
}

async fn server_ops(env: &Env) -> Vec<Op> {
    let filter = doorstep_server::storage::PullFilter {
        entities: SCHEMA.all().map(|d| d.name.to_string()).collect(),
        areas: None,
        ancestors: vec![],
        exclude_device: String::new(),
    };
    env.store
        .pull(&filter, 0, 5000)
        .await
        .unwrap()
        .ops
        .into_iter()
        .map(|(_, o)| o)
        .collect()
}

async fn enrolment_codes_fail_clearly(b: Backend) {
    let env = Env::start(b).await;
    let phone = env.new_phone();
    let err = phone.enrol(&env.url(), "AAAAA-BBBBB").await.unwrap_err();
    assert!(
        matches!(&err, Error::Unauthorized(m) if m.contains("enrolment_code_unknown")),
        "{err}"
    );
    let code = env.code("wang", SW, &[GRID1]).await;
    assert_eq!(code.len(), 11, "five, a dash, five: {code}");
    // Lower case and without the dash works too.
    let e = phone
        .enrol(&env.url(), &code.replace('-', "").to_lowercase())
        .await
        .unwrap();
    assert_eq!(e.user, "wang");
    let other = env.new_phone();
    let err = other.enrol(&env.url(), &code).await.unwrap_err();
    assert!(
        matches!(&err, Error::Unauthorized(m) if m.contains("enrolment_code_used")),
        "{err}"
    );
    let short = env.code_with("li", SW, &[GRID1], 60_000, 86_400_000).await;
    env.clock.advance(60_001);
    let err = other.enrol(&env.url(), &short).await.unwrap_err();
    assert!(
        matches!(&err, Error::Unauthorized(m) if m.contains("enrolment_code_expired")),
        "{err}"
    );
    // The server keeps no code or token in the clear.
    if b == Backend::Sqlite {
        let raw = std::fs::read(env.dir.path().join("doorstep.db")).unwrap();
        let hay = String::from_utf8_lossy(&raw);
        assert!(!hay.contains(&code.replace('-', "")));
        assert!(!hay.contains(&token(&phone)));
    }
    assert!(
        env.store
            .device_by_token(&token(&phone))
            .await
            .unwrap()
            .is_none(),
        "looked up by hash only"
    );
}

async fn expired_and_revoked_tokens_get_401(b: Backend) {
    let env = Env::start(b).await;
    let phone = env.new_phone();
    let code = env.code_with("wang", SW, &[GRID1], 60_000, 3_600_000).await;
    phone.enrol(&env.url(), &code).await.unwrap();
    phone.sync_with(quick(), None).await.unwrap();
    env.clock.advance(3_600_001);
    let err = phone.sync_with(quick(), None).await.unwrap_err();
    assert!(
        matches!(&err, Error::Unauthorized(m) if m.contains("token_expired") && m.contains("401")),
        "{err}"
    );
    let resp = reqwest::Client::new()
        .get(format!("{}/api/v1/pull", env.url()))
        .bearer_auth(token(&phone))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "token_expired");

    let (other, e) = env.phone("li", SW, &[GRID1]).await;
    other.sync_with(quick(), None).await.unwrap();
    assert!(env.store.revoke_device(&e.device_id, 0).await.unwrap());
    let err = other.sync_with(quick(), None).await.unwrap_err();
    assert!(
        matches!(&err, Error::Unauthorized(m) if m.contains("token_revoked")),
        "{err}"
    );
}

async fn duplicated_batches_store_each_op_once(b: Backend) {
    let env = Env::start(b).await;
    let (phone, _) = env.phone("wang", SW, &[GRID1]).await;
    let hh = household(&phone, GRID1, "2-201");
    resident(&phone, &hh, "李四", None);
    let ops = phone.pending_ops(100).unwrap();
    let t = token(&phone);
    let mut doubled = ops.clone();
    doubled.extend(ops.clone());
    for _ in 0..3 {
        let reply: PushReply = raw_push(&env, &t, doubled.clone())
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(reply.results.len(), doubled.len());
        assert!(
            reply
                .results
                .iter()
                .all(|r| r.verdict == OpVerdict::Accepted),
            "{reply:?}"
        );
    }
    let stored = server_op_ids(env.store.as_ref()).await;
    assert_eq!(stored.len(), ops.len());
    assert_eq!(stored.iter().collect::<HashSet<_>>().len(), ops.len());
}

async fn a_lost_reply_is_retried_and_stores_nothing_twice(b: Backend) {
    let env = Env::start(b).await;
    let (phone, _) = env.phone("wang", SW, &[GRID1]).await;
    let proxy = FaultProxy::start(
        env.addr,
        vec![Fault::LoseReply, Fault::TruncateReply, Fault::LoseReply],
    )
    .await;
    // The phone talks to the server through the proxy from now on.
    let mut e = phone.enrolment().unwrap().unwrap();
    e.server = proxy.url();
    phone
        .with_writer(|c| {
            c.execute(
                "UPDATE sync_state SET value = ?1 WHERE key = 'enrolment'",
                [serde_json::to_string(&e).unwrap()],
            )?;
            Ok(())
        })
        .unwrap();
    let hh = household(&phone, GRID1, "3-301");
    for i in 0..30 {
        resident(&phone, &hh, &format!("居民{i}"), None);
    }
    let local = phone.pending_op_count().unwrap();
    let mut opts = quick();
    opts.push_batch = 10;
    let report = phone.sync_with(opts, None).await.unwrap();
    assert_eq!(proxy.injected.load(std::sync::atomic::Ordering::SeqCst), 3);
    assert_eq!(report.pending, 0);
    let stored = server_op_ids(env.store.as_ref()).await;
    assert_eq!(stored.len() as u64, local);
    assert_eq!(stored.iter().collect::<HashSet<_>>().len() as u64, local);
}

async fn a_truncated_request_body_stores_nothing(b: Backend) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let env = Env::start(b).await;
    let (phone, _) = env.phone("wang", SW, &[GRID1]).await;
    household(&phone, GRID1, "4-401");
    let ops = phone.pending_ops(100).unwrap();
    let body = serde_json::to_vec(&PushRequest { ops }).unwrap();
    let mut s = tokio::net::TcpStream::connect(env.addr).await.unwrap();
    let head = format!(
        "POST /api/v1/push HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        token(&phone),
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&body[..body.len() / 2]).await.unwrap();
    s.shutdown().await.unwrap();
    let mut reply = Vec::new();
    let _ = s.read_to_end(&mut reply).await;
    assert!(server_op_ids(env.store.as_ref()).await.is_empty());
    // A body that is complete but cut mid-JSON is refused with a JSON error.
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v1/push", env.url()))
        .bearer_auth(token(&phone))
        .header("content-type", "application/json")
        .body(body[..body.len() / 2].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let err: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(err["code"], "bad_request");
    assert!(server_op_ids(env.store.as_ref()).await.is_empty());
    // The phone still has everything and syncs it whole.
    let report = phone.sync_with(quick(), None).await.unwrap();
    assert_eq!(report.pending, 0);
    assert_eq!(
        server_op_ids(env.store.as_ref()).await.len() as u64,
        report.accepted
    );
}

async fn out_of_scope_ops_are_rejected_kept_and_not_stored(b: Backend) {
    let env = Env::start(b).await;
    let (phone, _) = env.phone("wang", SW, &[GRID1]).await;
    let mine = household(&phone, GRID1, "5-501");
    let theirs = household(&phone, GRID2, "6-601");
    let report = phone.sync_with(quick(), None).await.unwrap();
    assert!(report.rejected >= 2, "grid 2 and its household: {report:?}");
    let rejected = phone.rejected_ops().unwrap();
    let hh = rejected
        .iter()
        .find(|r| r.entity_id == theirs.id)
        .expect("listed with its reason");
    assert_eq!(hh.code, "out_of_scope");
    assert!(hh.reason.contains(GRID2), "{}", hh.reason);
    // Kept on the phone, not pending, never stored on the server.
    assert_eq!(phone.household(&theirs.id).unwrap().address, "6-601");
    assert_eq!(report.pending, 0);
    let stored = server_ops(&env).await;
    assert!(stored.iter().any(|o| o.entity_id == mine.id));
    assert!(!stored.iter().any(|o| o.entity_id == theirs.id));
    assert!(!stored
        .iter()
        .any(|o| o.fields.get("path").and_then(|p| p.as_str()) == Some(GRID2)));
}

async fn out_of_scope_rows_never_appear_in_a_pull(b: Backend) {
    let env = Env::start(b).await;
    let (admin, _) = env.phone("admin", Role::StationAdmin, &[]).await;
    let h1 = household(&admin, GRID1, "7-701");
    let h2 = household(&admin, GRID2, "8-801");
    let r1 = resident(&admin, &h1, "王五", None);
    let r2 = resident(&admin, &h2, "赵六", None);
    let v2 = visit(&admin, &h2, "needs insulin");
    admin.sync_with(quick(), None).await.unwrap();
    let (worker, _) = env.phone("wang", SW, &[GRID1]).await;
    let mut opts = quick();
    opts.pull_page = 2;
    worker.sync_with(opts, None).await.unwrap();
    assert_eq!(worker.resident(&r1.id).unwrap().name, "王五");
    assert!(worker.resident(&r2.id).is_err());
    assert!(worker.household(&h2.id).is_err());
    let seen: Vec<String> = worker
        .read(|c| {
            let mut st = c.prepare("SELECT entity_id FROM op_log")?;
            let ids = st
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            Ok(ids)
        })
        .unwrap();
    assert!(!seen.contains(&h2.id) && !seen.contains(&r2.id) && !seen.contains(&v2));
    // The areas above the worker's grid arrive; the neighbouring grid does not.
    let paths: Vec<String> = worker
        .areas()
        .unwrap()
        .into_iter()
        .map(|a| a.path)
        .collect();
    assert!(paths.contains(&GRID1.to_string()) && paths.contains(&"武昌区".to_string()));
    assert!(!paths.contains(&GRID2.to_string()));
}

async fn roles_write_and_read_only_their_entities(b: Backend) {
    let env = Env::start(b).await;
    let (admin, _) = env.phone("admin", Role::StationAdmin, &[]).await;
    let hh = household(&admin, GRID1, "9-901");
    resident(&admin, &hh, "孙七", Some("diabetic, insulin in fridge"));
    visit(&admin, &hh, "visit note: confidential");
    let key = admin.new_signing_key().unwrap();
    admin.sync_with(quick(), None).await.unwrap();

    let (runner, _) = env.phone("runner1", Role::Runner, &[GRID1]).await;
    runner.sync_with(quick(), None).await.unwrap();
    let rs = runner.residents_of(&hh.id).unwrap();
    assert_eq!(rs.len(), 1, "runners get addresses and residents");
    assert_eq!(rs[0].notes, None, "but not their notes");
    assert!(runner.household(&hh.id).is_ok());
    let runner_entities: HashSet<String> = runner
        .read(|c| {
            let mut st = c.prepare("SELECT DISTINCT entity FROM op_log")?;
            let e = st
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<HashSet<String>>>()?;
            Ok(e)
        })
        .unwrap();
    assert!(!runner_entities.contains("visit") && !runner_entities.contains("trusted_key"));
    // A runner cannot write a visit.
    visit(&runner, &hh, "runner's note");
    let report = runner.sync_with(quick(), None).await.unwrap();
    assert_eq!(report.rejected, 1);
    assert_eq!(runner.rejected_ops().unwrap()[0].code, "forbidden_entity");

    let (marshal, _) = env.phone("marshal1", Role::Marshal, &[GRID1]).await;
    marshal.sync_with(quick(), None).await.unwrap();
    let keys = marshal.trusted_keys().unwrap();
    assert!(
        keys.iter().any(|k| k.key_id == key.key_id),
        "marshals get the trust list"
    );
    assert!(marshal.household(&hh.id).is_err(), "but no case files");
    visit(&marshal, &hh, "marshal's note");
    let report = marshal.sync_with(quick(), None).await.unwrap();
    assert_eq!(report.rejected, 1, "a marshal cannot write visit notes");
    let stored = server_ops(&env).await;
    assert!(!stored.iter().any(|o| o
        .fields
        .get("note")
        .and_then(|n| n.as_str())
        .is_some_and(|n| n.contains("runner") || n.contains("marshal"))));
}

async fn concurrent_writers_never_make_a_pull_skip(b: Backend) {
    let env = Env::start(b).await;
    let store = env.store.clone();
    let mut devices = Vec::new();
    for i in 0..6 {
        let code = env.code(&format!("w{i}"), Role::StationAdmin, &[]).await;
        let dev = store
            .redeem_enrolment(
                &doorstep_server::sync::enrol::hash(&code.replace('-', "")),
                &format!("dev{i}"),
                &format!("tok{i}"),
                None,
                env.clock_now(),
            )
            .await
            .unwrap();
        devices.push(dev);
    }
    let reader = devices.pop().unwrap();
    let writers: Vec<_> = devices
        .into_iter()
        .map(|dev| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for batch in 0..15 {
                    let ops: Vec<Op> = (0..20)
                        .map(|k| {
                            let id = format!("{}-{batch}-{k}", dev.device_id);
                            ids.push(id.clone());
                            Op {
                                id: id.clone(),
                                hlc: doorstep_core::log::Hlc::new(1_000 + batch, k as u16),
                                device: dev.device_id.clone(),
                                user: dev.user.clone(),
                                entity: "visit_frequency".into(),
                                entity_id: id,
                                action: doorstep_core::log::Action::Put,
                                fields: fields! {"every_ms" => 1000},
                            }
                        })
                        .collect();
                    let r = doorstep_server::sync::push(store.as_ref(), &dev, &ops, 0)
                        .await
                        .unwrap();
                    assert!(r.iter().all(|r| r.verdict == OpVerdict::Accepted));
                }
                ids
            })
        })
        .collect();
    // Pull by cursor while they write; every op must arrive exactly once.
    let mut cursor = 0;
    let mut got: Vec<String> = Vec::new();
    let mut writers_done = false;
    loop {
        let page = doorstep_server::sync::pull(store.as_ref(), &reader, cursor, 7)
            .await
            .unwrap();
        assert!(page.cursor >= cursor);
        cursor = page.cursor;
        got.extend(page.ops.into_iter().map(|o| o.id));
        if !page.more {
            if writers_done {
                break;
            }
            writers_done = writers.iter().all(|w| w.is_finished());
        }
        tokio::task::yield_now().await;
    }
    let mut written = Vec::new();
    for w in writers {
        written.extend(w.await.unwrap());
    }
    let unique: HashSet<&String> = got.iter().collect();
    assert_eq!(unique.len(), got.len(), "no op twice");
    assert_eq!(
        unique,
        written.iter().collect::<HashSet<_>>(),
        "no op skipped"
    );
}

async fn two_nodes_on_one_database_serve_the_same_data(b: Backend) {
    let env = Env::start(b).await;
    // A second node over the same database, with its own connections.
    let store2 = open_like_cli(&env.dir, &env.database).await;
    let (addr2, _node2) =
        doorstep_server::spawn_local(AppState::with_clock(store2, env.clock.clone()))
            .await
            .unwrap();
    let node2 = format!("http://{addr2}");
    let (a, _) = env.phone("wang", SW, &[GRID1]).await;
    let phone_b = env.new_phone();
    let code = env.code("li", SW, &[GRID1]).await;
    phone_b.enrol(&node2, &code).await.unwrap();
    let hh = household(&a, GRID1, "10-1001");
    for i in 0..20 {
        resident(&a, &hh, &format!("甲{i}"), None);
    }
    let hb = household(&phone_b, GRID1, "11-1101");
    resident(&phone_b, &hb, "乙", None);
    let (ra, rb) = tokio::join!(a.sync_with(quick(), None), phone_b.sync_with(quick(), None));
    ra.unwrap();
    rb.unwrap();
    a.sync_with(quick(), None).await.unwrap();
    phone_b.sync_with(quick(), None).await.unwrap();
    assert_eq!(state(&a), state(&phone_b));
    assert_eq!(phone_b.residents_of(&hh.id).unwrap().len(), 20);
    // A token enrolled on node 2 works on node 1.
    let resp = reqwest::Client::new()
        .get(format!("{}/api/v1/whoami", env.url()))
        .bearer_auth(token(&phone_b))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

async fn concurrent_edits_are_kept_as_conflicts(b: Backend) {
    let env = Env::start(b).await;
    let (a, _) = env.phone("wang", SW, &[GRID1]).await;
    let (bb, _) = env.phone("li", SW, &[GRID1]).await;
    let hh = household(&a, GRID1, "12-1201");
    let r = resident(&a, &hh, "周八", None);
    a.sync_with(quick(), None).await.unwrap();
    bb.sync_with(quick(), None).await.unwrap();
    // Both edit the phone number offline; b's edit is later.
    a.update_resident(
        &r.id,
        &ResidentPatch {
            phone: Some("13811111111".into()),
            ..Default::default()
        },
    )
    .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
    bb.update_resident(
        &r.id,
        &ResidentPatch {
            phone: Some("13822222222".into()),
            ..Default::default()
        },
    )
    .unwrap();
    a.sync_with(quick(), None).await.unwrap();
    let report = bb.sync_with(quick(), None).await.unwrap();
    assert_eq!(report.conflicts, 1);
    a.sync_with(quick(), None).await.unwrap();
    assert_eq!(
        a.resident(&r.id).unwrap().phone.as_deref(),
        Some("13822222222")
    );
    assert_eq!(
        bb.resident(&r.id).unwrap().phone.as_deref(),
        Some("13822222222")
    );
    let c = &bb.conflicts(false).unwrap()[0];
    assert_eq!((c.entity.as_str(), c.field.as_str()), ("resident", "phone"));
    assert_eq!(
        (c.kept.as_str(), c.lost.as_str()),
        ("\"13822222222\"", "\"13811111111\"")
    );
    bb.mark_conflict_reviewed(c.id).unwrap();
    assert!(bb.conflicts(false).unwrap().is_empty());
    assert_eq!(bb.conflicts(true).unwrap().len(), 1);
}

async fn api_errors_are_json_and_bodies_are_limited(b: Backend) {
    let env = Env::start(b).await;
    let (phone, _) = env.phone("wang", SW, &[GRID1]).await;
    let client = reqwest::Client::new();
    let big = vec![b'x'; doorstep_server::MAX_BODY + 1];
    let resp = client
        .post(format!("{}/api/v1/push", env.url()))
        .bearer_auth(token(&phone))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    assert_eq!(
        resp.json::<serde_json::Value>().await.unwrap()["code"],
        "too_large"
    );
    let resp = client
        .get(format!("{}/api/v1/nope", env.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(
        resp.json::<serde_json::Value>().await.unwrap()["code"],
        "not_found"
    );
    let spec: serde_json::Value = client
        .get(format!("{}/api/openapi.json", env.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in [
        "/api/v1/enrol",
        "/api/v1/enrolments",
        "/api/v1/push",
        "/api/v1/pull",
        "/api/v1/blobs/{sha256}",
        "/healthz",
    ] {
        assert!(spec["paths"][path].is_object(), "{path} documented");
    }
    let health: serde_json::Value = client
        .get(format!("{}/healthz", env.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    // Ops naming a row the server has never seen wait on the phone instead of failing.
    let orphan = phone.write(|w| {
        w.put(
            &doorstep_core::registry::RESIDENT,
            "r-orphan",
            fields! {"household_id" => "h-unknown", "name" => "x"},
        )
    });
    orphan.unwrap();
    let report = phone.sync_with(quick(), None).await.unwrap();
    assert_eq!((report.rejected, report.pending), (0, 1));
}

async fn a_station_admin_device_makes_enrolment_codes(b: Backend) {
    let env = Env::start(b).await;
    let (admin, _) = env.phone("admin", Role::StationAdmin, &[]).await;
    let (worker, _) = env.phone("wang", SW, &[GRID1]).await;
    let client = reqwest::Client::new();
    let url = format!("{}/api/v1/enrolments", env.url());
    let ask = |token: Option<String>, body: serde_json::Value| {
        let mut req = client.post(&url).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };
    let resp = ask(
        Some(token(&admin)),
        serde_json::json!({"user": "runner7", "role": "runner", "areas": [GRID2], "code_minutes": 30}),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 201);
    let made: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(made["role"], "runner");
    assert_eq!(
        made["expires_at"].as_i64().unwrap(),
        env.clock_now() + 30 * 60_000
    );
    let phone = env.new_phone();
    let e = phone
        .enrol(&env.url(), made["code"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(
        (e.user.as_str(), e.role, e.areas.clone()),
        ("runner7", Role::Runner, vec![GRID2.to_string()])
    );
    // Only a station admin's device makes codes, and only sound ones.
    let resp = ask(
        Some(token(&worker)),
        serde_json::json!({"user": "x", "role": "station_admin"}),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 403);
    assert_eq!(
        resp.json::<serde_json::Value>().await.unwrap()["code"],
        "forbidden"
    );
    for (body, says) in [
        (
            serde_json::json!({"user": "x", "role": "runner"}),
            "needs at least one area",
        ),
        (
            serde_json::json!({"user": "x", "role": "pilot", "areas": [GRID1]}),
            "unknown",
        ),
        (
            serde_json::json!({"user": " ", "role": "marshal", "areas": [GRID1]}),
            "user",
        ),
        (
            serde_json::json!({"user": "x", "role": "marshal", "areas": ["/a"]}),
            "malformed",
        ),
    ] {
        let resp = ask(Some(token(&admin)), body).await.unwrap();
        assert_eq!(resp.status(), 400);
        let err: serde_json::Value = resp.json().await.unwrap();
        assert!(err["message"].as_str().unwrap().contains(says), "{err}");
    }
    let resp = ask(
        None,
        serde_json::json!({"user": "x", "role": "station_admin"}),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 401);
}

struct Recorder(Mutex<Vec<(SyncStage, u64, u64)>>);

impl SyncProgress for Recorder {
    fn progress(&self, stage: SyncStage, done: u64, total: u64) {
        self.0.lock().unwrap().push((stage, done, total));
    }
}

async fn progress_is_reported_by_stage(b: Backend) {
    let env = Env::start(b).await;
    let (phone, _) = env.phone("wang", SW, &[GRID1]).await;
    let hh = household(&phone, GRID1, "13-1301");
    for i in 0..25 {
        resident(&phone, &hh, &format!("丙{i}"), None);
    }
    let total = phone.pending_op_count().unwrap();
    let rec = Arc::new(Recorder(Mutex::new(Vec::new())));
    let mut opts = quick();
    opts.push_batch = 10;
    phone.sync_with(opts, Some(rec.clone())).await.unwrap();
    let seen = rec.0.lock().unwrap().clone();
    let pushes: Vec<_> = seen.iter().filter(|s| s.0 == SyncStage::Push).collect();
    assert_eq!(pushes.len() as u64, total.div_ceil(10));
    assert_eq!(*pushes.last().unwrap(), &(SyncStage::Push, total, total));
    assert_eq!(seen.last().unwrap().0, SyncStage::Done);
    assert!(seen.iter().any(|s| s.0 == SyncStage::Pull));
}

async fn an_unreachable_server_is_a_network_error_and_loses_nothing(b: Backend) {
    let env = Env::start(b).await;
    let (phone, _) = env.phone("wang", SW, &[GRID1]).await;
    household(&phone, GRID1, "14-1401");
    let before = phone.pending_op_count().unwrap();
    let url = env.url();
    env.server.stop().await;
    let mut opts = quick();
    opts.attempts = 2;
    let err = phone.sync_with(opts, None).await.unwrap_err();
    assert!(matches!(err, Error::Network(_)), "{err}");
    assert_eq!(phone.pending_op_count().unwrap(), before);
    assert!(url.starts_with("http://127.0.0.1:"));
}

/// Cancels the sync once `stage` has reached `after` items.
struct CancelAt {
    stage: SyncStage,
    after: u64,
    cancel: Cancel,
}

impl SyncProgress for CancelAt {
    fn progress(&self, stage: SyncStage, done: u64, _total: u64) {
        if stage == self.stage && done >= self.after {
            self.cancel.cancel();
        }
    }
}

/// Syncs `phone`, cancelling once `stage` has reached `after` items; the sync must end
/// with `Cancelled`.
async fn sync_cancelled_at(phone: &Doorstep, opts: SyncOptions, stage: SyncStage, after: u64) {
    let cancel = Cancel::new();
    let at = Arc::new(CancelAt {
        stage,
        after,
        cancel: cancel.clone(),
    });
    let err = phone
        .sync_cancellable(opts, Some(at), &cancel)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Cancelled), "{err}");
}

async fn a_cancelled_sync_keeps_what_it_committed_and_the_next_one_finishes(b: Backend) {
    let env = Env::start(b).await;
    let (admin, _) = env.phone("admin", Role::StationAdmin, &[]).await;
    let hh = household(&admin, GRID1, "15-1501");
    for i in 0..30 {
        resident(&admin, &hh, &format!("丁{i}"), None);
    }
    admin.sync_with(quick(), None).await.unwrap();
    let (worker, _) = env.phone("wang", SW, &[GRID1]).await;
    let residents = |p: &Doorstep| p.residents_of(&hh.id).map(|r| r.len()).unwrap_or(0);

    // Pulling, cancelled after two pages of five: those two pages stay applied.
    let mut opts = quick();
    opts.pull_page = 5;
    sync_cancelled_at(&worker, opts, SyncStage::Pull, 10).await;
    let kept = residents(&worker);
    assert!(
        kept < 30,
        "the sync stopped before the end ({kept} residents)"
    );
    let applied: i64 = worker
        .read(|c| Ok(c.query_row("SELECT count(*) FROM op_log", [], |r| r.get(0))?))
        .unwrap();
    assert!(applied >= 10, "two pages stayed applied ({applied} ops)");
    worker.sync_with(opts, None).await.unwrap();
    assert_eq!(residents(&worker), 30);

    // Pushing, cancelled after the first batch of ten: the server keeps that batch and
    // the phone counts it sent; the next sync sends the rest, each op once.
    for i in 0..25 {
        resident(&worker, &hh, &format!("戊{i}"), None);
    }
    let pending = worker.pending_op_count().unwrap();
    let mut opts = quick();
    opts.push_batch = 10;
    sync_cancelled_at(&worker, opts, SyncStage::Push, 10).await;
    let left = worker.pending_op_count().unwrap();
    assert!(left <= pending - 10 && left > 0, "{left} of {pending} left");
    worker.sync_with(opts, None).await.unwrap();
    assert_eq!(worker.pending_op_count().unwrap(), 0);
    let ids = server_op_ids(env.store.as_ref()).await;
    let unique: HashSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "no op is stored twice");
    admin.sync_with(quick(), None).await.unwrap();
    assert_eq!(residents(&admin), 55);
}

impl Env {
    fn clock_now(&self) -> i64 {
        use doorstep_core::Clock;
        self.clock.now_ms()
    }
}

on_both!(
    two_phones_in_one_grid_converge,
    enrolment_codes_fail_clearly,
    expired_and_revoked_tokens_get_401,
    duplicated_batches_store_each_op_once,
    a_lost_reply_is_retried_and_stores_nothing_twice,
    a_truncated_request_body_stores_nothing,
    out_of_scope_ops_are_rejected_kept_and_not_stored,
    out_of_scope_rows_never_appear_in_a_pull,
    roles_write_and_read_only_their_entities,
    concurrent_writers_never_make_a_pull_skip,
    two_nodes_on_one_database_serve_the_same_data,
    concurrent_edits_are_kept_as_conflicts,
    api_errors_are_json_and_bodies_are_limited,
    progress_is_reported_by_stage,
    an_unreachable_server_is_a_network_error_and_loses_nothing,
    a_station_admin_device_makes_enrolment_codes,
    a_cancelled_sync_keeps_what_it_committed_and_the_next_one_finishes,
);
