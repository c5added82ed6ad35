//! Sync speed on loopback: a phone pushing 10,000 ops over HTTP, server ingest on SQLite
//! (and on two nodes sharing one PostgreSQL when `DOORSTEP_TEST_PG` is set), and a new
//! phone's first pull of 100,000 ops. Prints one line per figure.

use std::sync::Arc;
use std::time::Instant;

use doorstep_core::log::{Action, Hlc, Op};
use doorstep_core::registry::{NewHousehold, NewResident, Sex};
use doorstep_core::sync::{Role, SyncOptions};
use doorstep_core::{fields, Doorstep};
use doorstep_server::storage::{Device, PostgresStorage, SqliteStorage, Storage};
use doorstep_server::sync::{enrol, push};
use doorstep_server::{spawn_local, AppState};

const GRID: &str = "武昌区/中南路街道/丽岛社区/第1网格";

async fn code(store: &dyn Storage, user: &str, role: Role) -> String {
    let areas = if role == Role::StationAdmin {
        vec![]
    } else {
        vec![GRID.to_string()]
    };
    let req = enrol::CodeRequest {
        user: user.into(),
        role,
        areas,
        code_ttl_ms: 3_600_000,
        token_ttl_ms: 86_400_000,
    };
    enrol::create_code(
        store,
        &req,
        doorstep_core::Clock::now_ms(&doorstep_core::SystemClock),
    )
    .await
    .unwrap()
}

fn now() -> i64 {
    doorstep_core::Clock::now_ms(&doorstep_core::SystemClock)
}

async fn device(store: &dyn Storage, name: &str) -> Device {
    let c = code(store, name, Role::StationAdmin).await;
    store
        .redeem_enrolment(
            &enrol::hash(&enrol::normalize(&c)),
            name,
            &format!("tok-{name}"),
            None,
            1,
        )
        .await
        .unwrap()
}

fn ops(dev: &Device, household: &str, n: usize) -> Vec<Op> {
    (0..n)
        .map(|i| Op {
            id: format!("{}-{i}", dev.device_id),
            hlc: Hlc::new(1_700_000_000_000 + i as i64, 0),
            device: dev.device_id.clone(),
            user: dev.user.clone(),
            entity: "resident".into(),
            entity_id: format!("r-{}-{i}", dev.device_id),
            action: Action::Put,
            fields: fields! {"household_id" => household, "name" => format!("居民{i}"), "birth_year" => 1950},
        })
        .collect()
}

async fn ingest(store: Arc<dyn Storage>, dev: Device, household: String, n: usize) {
    for chunk in ops(&dev, &household, n).chunks(1000) {
        push(store.as_ref(), &dev, chunk, now()).await.unwrap();
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Storage> = Arc::new(SqliteStorage::open(&dir.path().join("s.db")).unwrap());
    let (addr, _server) = spawn_local(AppState::new(store.clone())).await.unwrap();
    let url = format!("http://{addr}");
    let opts = SyncOptions {
        push_batch: 1000,
        pull_page: 5000,
        ..SyncOptions::default()
    };

    // A phone pushes 10,000 ops over HTTP.
    let phone = Doorstep::open(dir.path().join("a.db"), &[1u8; 32]).unwrap();
    phone
        .enrol(
            &url,
            &code(store.as_ref(), "wang", Role::SocialWorker).await,
        )
        .await
        .unwrap();
    let area = phone.ensure_area(GRID).unwrap();
    let hh = phone
        .create_household(&NewHousehold {
            area_id: area.id,
            building_id: None,
            address: "1-1".into(),
            unit: None,
            phone: None,
        })
        .unwrap();
    phone
        .write(|w| {
            for i in 0..10_000 - 6 {
                doorstep_core::registry::create_resident(
                    w,
                    &NewResident {
                        household_id: hh.id.clone(),
                        name: format!("甲{i}"),
                        sex: Sex::Male,
                        birth_year: Some(1950),
                        phone: None,
                        tags: vec![],
                        notes: None,
                    },
                    None,
                )?;
            }
            Ok(())
        })
        .unwrap();
    let pending = phone.pending_op_count().unwrap();
    let t = Instant::now();
    let r = phone.sync_with(opts, None).await.unwrap();
    assert_eq!(r.accepted, pending);
    println!(
        "push over HTTP: {pending} ops in {:.3} s",
        t.elapsed().as_secs_f64()
    );

    // Server ingest on SQLite, through the push path the handler uses.
    let admin = device(store.as_ref(), "bench-admin").await;
    let t = Instant::now();
    ingest(store.clone(), admin, hh.id.clone(), 90_000).await;
    let s = t.elapsed().as_secs_f64();
    println!(
        "server ingest, SQLite: 90000 ops in {s:.3} s = {:.0} ops/s",
        90_000.0 / s
    );

    // A new phone's first pull of 100,000 ops.
    let fresh = Doorstep::open(dir.path().join("b.db"), &[2u8; 32]).unwrap();
    fresh
        .enrol(&url, &code(store.as_ref(), "li", Role::SocialWorker).await)
        .await
        .unwrap();
    let t = Instant::now();
    let r = fresh.sync_with(opts, None).await.unwrap();
    println!(
        "first pull over HTTP: {} ops in {:.3} s",
        r.pulled,
        t.elapsed().as_secs_f64()
    );

    // Two nodes on one PostgreSQL.
    if let Ok(base) = std::env::var("DOORSTEP_TEST_PG") {
        let (client, conn) = tokio_postgres::connect(&base, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        client
            .batch_execute("DROP DATABASE IF EXISTS bench")
            .await
            .unwrap();
        client.batch_execute("CREATE DATABASE bench").await.unwrap();
        let url = format!("{}/bench", &base[..base.rfind('/').unwrap()]);
        let n1: Arc<dyn Storage> = Arc::new(PostgresStorage::connect(&url).await.unwrap());
        let n2: Arc<dyn Storage> = Arc::new(PostgresStorage::connect(&url).await.unwrap());
        let (d1, d2) = (
            device(n1.as_ref(), "n1").await,
            device(n2.as_ref(), "n2").await,
        );
        let hh_op = Op {
            id: "hh".into(),
            hlc: Hlc::new(1, 0),
            device: d1.device_id.clone(),
            user: d1.user.clone(),
            entity: "household".into(),
            entity_id: "hh".into(),
            action: Action::Put,
            fields: fields! {"area_id" => "a"},
        };
        let area_op = Op {
            id: "area".into(),
            hlc: Hlc::new(1, 0),
            device: d1.device_id.clone(),
            user: d1.user.clone(),
            entity: "area".into(),
            entity_id: "a".into(),
            action: Action::Put,
            fields: fields! {"path" => GRID},
        };
        push(n1.as_ref(), &d1, &[area_op, hh_op], now())
            .await
            .unwrap();
        let t = Instant::now();
        let a = tokio::spawn(ingest(n1, d1, "hh".into(), 50_000));
        let b = tokio::spawn(ingest(n2, d2, "hh".into(), 50_000));
        a.await.unwrap();
        b.await.unwrap();
        let s = t.elapsed().as_secs_f64();
        println!(
            "server ingest, two nodes on one PostgreSQL: 100000 ops in {s:.3} s = {:.0} ops/s",
            100_000.0 / s
        );
    } else {
        println!("two nodes on PostgreSQL: skipped, DOORSTEP_TEST_PG not set (run through scripts/with-postgres.sh)");
    }
}
