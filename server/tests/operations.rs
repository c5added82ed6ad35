//! The station under real operations: bad fields in one op, a phone whose cursor is past
//! what a restored server holds. Each test runs on SQLite and on a real PostgreSQL
//! (`DOORSTEP_TEST_PG`, set by scripts/with-postgres.sh).

mod common;

use common::*;
use doorstep_core::log::Op;
use doorstep_core::registry::NewHousehold;
use doorstep_core::sync::protocol::{OpVerdict, PushReply, PushRequest, MAX_ID_BYTES};
use doorstep_core::Doorstep;

fn token(phone: &Doorstep) -> String {
    phone
        .read(|c| {
            Ok(c.query_row(
                "SELECT value FROM sync_state WHERE key = 'token'",
                [],
                |r| r.get::<_, String>(0),
            )?)
        })
        .unwrap()
}

/// A phone's household op, then copies of it spoiled in one field each.
async fn one_bad_op_gets_its_verdict_and_the_rest_are_stored(b: Backend) {
    let env = Env::start(b).await;
    let (phone, _) = env.phone("wang", SW, &[GRID1]).await;
    let area = phone.ensure_area(GRID1).unwrap();
    for n in 0..3 {
        phone
            .create_household(&NewHousehold {
                area_id: area.id.clone(),
                building_id: None,
                address: format!("1-{n}01"),
                unit: None,
                phone: None,
            })
            .unwrap();
    }
    let good = phone.pending_ops(100).unwrap();
    let household = good.last().unwrap().clone();
    let spoiled = |f: &dyn Fn(&mut Op)| {
        let mut op = household.clone();
        op.id = doorstep_core::clock::new_id();
        op.entity_id = doorstep_core::clock::new_id();
        f(&mut op);
        op
    };
    let bad = vec![
        spoiled(&|o| o.entity_id = "h\0".into()),
        spoiled(&|o| o.entity_id = "x".repeat(1024 * 1024)),
        spoiled(&|o| o.entity_id = "x".repeat(MAX_ID_BYTES + 1)),
        spoiled(&|o| o.entity_id = "家".into()),
        spoiled(&|o| o.id = "op\0".into()),
        spoiled(&|o| o.user = "wang\0".into()),
        spoiled(&|o| {
            o.fields.insert("address".into(), "1-101\0".into());
        }),
        spoiled(&|o| {
            o.fields
                .insert("address".into(), "x".repeat(300 * 1024).into());
        }),
        spoiled(&|o| {
            o.fields
                .insert("address".into(), serde_json::json!([["a\0"]]));
        }),
    ];
    // Bad ops first, between and after the good ones.
    let mut batch = bad.clone();
    batch.insert(2, good[0].clone());
    batch.extend(good.iter().skip(1).cloned());
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v1/push", env.url()))
        .bearer_auth(token(&phone))
        .json(&PushRequest { ops: batch.clone() })
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let reply: PushReply = resp.json().await.unwrap();
    assert_eq!(reply.results.len(), batch.len());
    for (op, r) in batch.iter().zip(&reply.results) {
        let is_good = good.iter().any(|g| g.id == op.id);
        match &r.verdict {
            OpVerdict::Accepted => assert!(is_good, "a bad op was accepted: {r:?}"),
            OpVerdict::Rejected { code, reason } => {
                assert!(!is_good, "a good op was refused: {reason}");
                assert_eq!(code, "invalid");
                assert!(reason.len() < 400, "the reason is short: {}", reason.len());
            }
            OpVerdict::Deferred { .. } => panic!("nothing here waits: {r:?}"),
        }
    }
    let mut stored = server_op_ids(env.store.as_ref()).await;
    stored.sort();
    let mut want: Vec<String> = good.iter().map(|o| o.id.clone()).collect();
    want.sort();
    assert_eq!(stored, want, "exactly the good ops are stored");
    // The phone's own sync now acknowledges the good ops and has nothing left.
    let report = phone.sync_with(quick(), None).await.unwrap();
    assert_eq!((report.rejected, report.pending), (0, 0));
}

macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Backend::Postgres).await
                }
            )*
        }
    };
}

on_both!(one_bad_op_gets_its_verdict_and_the_rest_are_stored,);

/// A storage failure on PostgreSQL says what failed, not "db error".
#[tokio::test]
async fn postgres_errors_carry_their_cause() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database(Backend::Postgres, &dir).await.unwrap();
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let e = client
        .execute("INSERT INTO nowhere VALUES (1)", &[])
        .await
        .unwrap_err();
    assert_eq!(e.to_string(), "db error", "the bare text says nothing");
    let m = doorstep_server::storage::StoreError::from(e).to_string();
    assert!(m.contains("relation \"nowhere\" does not exist"), "{m}");
    assert!(m.contains("42P01"), "{m}");
}
