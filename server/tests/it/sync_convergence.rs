//! Convergence: three phones edit offline and sync in random order through the server's
//! own push and pull, with batches duplicated, dropped and reordered and replies lost;
//! afterwards every phone and the server hold the same state. Cases: 256, or
//! `DOORSTEP_SYNC_CASES`.

use crate::common;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use common::*;
use doorstep_core::log::{self, snapshot, Op};
use doorstep_core::registry::{NewHousehold, NewResident, ResidentPatch, Sex};
use doorstep_core::sync::protocol::OpResult;
use doorstep_core::{Clock, Doorstep, SystemClock, SCHEMA};
use doorstep_server::storage::{Device, SqliteStorage, Storage};
use doorstep_server::sync::{enrol, pull, push};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

#[derive(Debug, Clone, Copy)]
enum PushFault {
    None,
    Drop,
    Duplicate,
    LoseReply,
    Reorder,
}

#[derive(Debug, Clone, Copy)]
enum PullFault {
    None,
    LoseReply,
    Duplicate,
}

#[derive(Debug, Clone)]
enum Step {
    Edit {
        dev: usize,
        kind: u8,
        target: u8,
        value: u8,
    },
    Push {
        dev: usize,
        limit: u32,
        fault: PushFault,
    },
    Pull {
        dev: usize,
        limit: u32,
        fault: PullFault,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..3usize, 0..4u8, any::<u8>(), any::<u8>())
            .prop_map(|(dev, kind, target, value)| Step::Edit { dev, kind, target, value }),
        2 => (0..3usize, 1..8u32, prop_oneof![
                Just(PushFault::None), Just(PushFault::Drop), Just(PushFault::Duplicate),
                Just(PushFault::LoseReply), Just(PushFault::Reorder)])
            .prop_map(|(dev, limit, fault)| Step::Push { dev, limit, fault }),
        2 => (0..3usize, 1..8u32, prop_oneof![
                Just(PullFault::None), Just(PullFault::LoseReply), Just(PullFault::Duplicate)])
            .prop_map(|(dev, limit, fault)| Step::Pull { dev, limit, fault }),
    ]
}

struct World {
    _dir: tempfile::TempDir,
    store: Arc<dyn Storage>,
    phones: Vec<Doorstep>,
    devices: Vec<Device>,
    household: String,
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Storage> = Arc::new(SqliteStorage::open(&dir.path().join("s.db")).unwrap());
    let mut phones = Vec::new();
    let mut devices = Vec::new();
    for i in 0..3 {
        let phone = Doorstep::open(dir.path().join(format!("p{i}.db")), &[3u8; 32]).unwrap();
        let code = enrol::create_code(
            store.as_ref(),
            &enrol::CodeRequest {
                user: format!("u{i}"),
                role: SW,
                areas: vec![GRID1.into()],
                code_ttl_ms: 60_000,
                token_ttl_ms: 60_000,
            },
            0,
        )
        .await
        .unwrap();
        let dev = store
            .redeem_enrolment(
                &enrol::hash(&enrol::normalize(&code)),
                &phone.device_id(),
                &format!("t{i}"),
                None,
                1,
            )
            .await
            .unwrap();
        phone.set_user(&dev.user).unwrap();
        phones.push(phone);
        devices.push(dev);
    }
    let area = phones[0].ensure_area(GRID1).unwrap();
    let hh = phones[0]
        .create_household(&NewHousehold {
            area_id: area.id,
            building_id: None,
            address: "1-1".into(),
            unit: None,
            phone: None,
        })
        .unwrap();
    let w = World {
        _dir: dir,
        store,
        phones,
        devices,
        household: hh.id,
    };
    for i in 0..3 {
        settle(&w, i).await;
    }
    w
}

async fn send(w: &World, dev: usize, ops: &[Op]) -> Vec<OpResult> {
    push(w.store.as_ref(), &w.devices[dev], ops, SystemClock.now_ms())
        .await
        .unwrap()
}

/// Pushes everything pending and pulls everything, without faults.
async fn settle(w: &World, dev: usize) {
    let phone = &w.phones[dev];
    loop {
        let ops = phone.pending_ops(50).unwrap();
        if ops.is_empty() {
            break;
        }
        let (a, r) = phone
            .record_push_results(&send(w, dev, &ops).await)
            .unwrap();
        assert_eq!(r, 0, "no op of a grid worker in their grid is refused");
        if a == 0 {
            break;
        }
    }
    loop {
        let reply = pull(
            w.store.as_ref(),
            &w.devices[dev],
            phone.sync_cursor().unwrap(),
            50,
        )
        .await
        .unwrap();
        phone.apply_page(&reply.ops, reply.cursor).unwrap();
        if !reply.more {
            break;
        }
    }
}

fn residents(phone: &Doorstep, household: &str) -> Vec<String> {
    phone
        .residents_of(household)
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect()
}

async fn run(w: &World, steps: &[Step]) {
    for s in steps {
        match *s {
            Step::Edit {
                dev,
                kind,
                target,
                value,
            } => {
                let phone = &w.phones[dev];
                let rs = residents(phone, &w.household);
                let pick = (!rs.is_empty()).then(|| rs[target as usize % rs.len()].clone());
                match (kind, pick) {
                    (0, _) | (_, None) => {
                        phone
                            .create_resident(&NewResident {
                                household_id: w.household.clone(),
                                name: format!("n{value}"),
                                sex: Sex::Female,
                                birth_year: Some(1930 + value as i32 % 80),
                                phone: None,
                                tags: vec![],
                                notes: None,
                            })
                            .unwrap();
                    }
                    (1, Some(id)) => {
                        let patch = ResidentPatch {
                            phone: Some(format!("13800000{value:03}")),
                            ..Default::default()
                        };
                        phone.update_resident(&id, &patch).unwrap();
                    }
                    (2, Some(id)) => {
                        let patch = ResidentPatch {
                            notes: Some(format!("note {value}")),
                            name: Some(format!("m{value}")),
                            ..Default::default()
                        };
                        phone.update_resident(&id, &patch).unwrap();
                    }
                    (_, Some(id)) => phone.delete_resident(&id).unwrap(),
                }
            }
            Step::Push { dev, limit, fault } => {
                let phone = &w.phones[dev];
                let ops = phone.pending_ops(limit * 2).unwrap();
                let (first, second) = ops.split_at(ops.len().min(limit as usize));
                match fault {
                    PushFault::None => {
                        phone
                            .record_push_results(&send(w, dev, first).await)
                            .unwrap();
                    }
                    PushFault::Drop => {}
                    PushFault::Duplicate => {
                        let a = send(w, dev, first).await;
                        let b = send(w, dev, first).await;
                        assert_eq!(a.len(), b.len());
                        phone.record_push_results(&b).unwrap();
                        phone.record_push_results(&a).unwrap();
                    }
                    PushFault::LoseReply => {
                        send(w, dev, first).await;
                    }
                    PushFault::Reorder => {
                        let later = send(w, dev, second).await;
                        let earlier = send(w, dev, first).await;
                        phone.record_push_results(&later).unwrap();
                        phone.record_push_results(&earlier).unwrap();
                    }
                }
            }
            Step::Pull { dev, limit, fault } => {
                let phone = &w.phones[dev];
                let reply = pull(
                    w.store.as_ref(),
                    &w.devices[dev],
                    phone.sync_cursor().unwrap(),
                    limit,
                )
                .await
                .unwrap();
                match fault {
                    PullFault::None => {
                        phone.apply_page(&reply.ops, reply.cursor).unwrap();
                    }
                    PullFault::LoseReply => {}
                    PullFault::Duplicate => {
                        phone.apply_page(&reply.ops, reply.cursor).unwrap();
                        phone.apply_page(&reply.ops, reply.cursor).unwrap();
                    }
                }
            }
        }
    }
    // The network comes back for good: two clean rounds.
    for _ in 0..2 {
        for dev in 0..3 {
            settle(w, dev).await;
        }
    }
}

/// The server's state: every stored op applied, in server order, to an empty store.
async fn server_state(store: &dyn Storage) -> Vec<String> {
    let conn = doorstep_core::store::open_in_memory().unwrap();
    let filter = doorstep_server::storage::PullFilter {
        entities: SCHEMA.all().map(|d| d.name.to_string()).collect(),
        areas: None,
        ancestors: vec![],
        exclude_device: String::new(),
    };
    let mut after = 0;
    loop {
        let page = store.pull(&filter, after, 500).await.unwrap();
        let Some(last) = page.ops.last() else { break };
        after = last.0;
        for (_, op) in &page.ops {
            log::apply(&conn, SCHEMA, op).unwrap();
        }
    }
    snapshot(&conn, SCHEMA).unwrap()
}

#[test]
fn three_phones_converge_under_faults() {
    let cases: u32 = std::env::var("DOORSTEP_SYNC_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(256);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let ran = AtomicU32::new(0);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&proptest::collection::vec(step(), 1..40), |steps| {
            ran.fetch_add(1, Ordering::SeqCst);
            rt.block_on(async {
                let w = world().await;
                run(&w, &steps).await;
                let server = server_state(w.store.as_ref()).await;
                for (i, phone) in w.phones.iter().enumerate() {
                    assert_eq!(
                        phone.pending_op_count().unwrap(),
                        0,
                        "phone {i} has sent everything"
                    );
                    let mine = phone.read(|c| snapshot(c, SCHEMA)).unwrap();
                    assert_eq!(mine, server, "phone {i} holds what the server holds");
                }
            });
            Ok(())
        })
        .unwrap();
    let ran = ran.load(Ordering::SeqCst);
    assert!(ran >= cases);
    println!("sync convergence: {cases} cases passed ({ran} runs including shrinking)");
}
