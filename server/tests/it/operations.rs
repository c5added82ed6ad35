//! The station under real operations: bad fields in one op, a phone whose cursor is past
//! what a restored server holds. Each test runs on SQLite and on a real PostgreSQL
//! (`DOORSTEP_TEST_PG`, set by scripts/with-postgres.sh).

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use doorstep_core::log::Op;
use doorstep_core::registry::NewHousehold;
use doorstep_core::sync::protocol::{OpVerdict, PushReply, PushRequest, MAX_ID_BYTES};
use doorstep_core::Doorstep;
use doorstep_server::storage::{SqliteStorage, Storage};
use doorstep_server::AppState;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

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

fn household_at(phone: &Doorstep, address: &str) -> String {
    let area = phone.ensure_area(GRID1).unwrap();
    phone
        .create_household(&NewHousehold {
            area_id: area.id,
            building_id: None,
            address: address.into(),
            unit: None,
            phone: None,
        })
        .unwrap()
        .id
}

/// A server on `addr` (or a free port) over the SQLite storage of `data`.
async fn serve_sqlite(
    data: &std::path::Path,
    addr: &str,
) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let store: Arc<dyn Storage> = Arc::new(SqliteStorage::open(&data.join("doorstep.db")).unwrap());
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(doorstep_server::serve_on(
        listener,
        AppState::new(store),
        async {
            let _ = rx.await;
        },
    ));
    (addr, tx)
}

/// The station is restored from a backup older than what a phone has pulled: the phone's
/// cursor is past every stored op, and without a reset it would never see the ops the
/// restored server stores under the sequences it thinks it has seen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_ahead_of_a_restored_server_pulls_from_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (dir.path().join("old"), dir.path().join("new"));
    drop(doorstep_server::station::Station::open(&old).unwrap());
    let (addr, stop) = serve_sqlite(&old, "127.0.0.1:0").await;
    let store: Arc<dyn Storage> = Arc::new(SqliteStorage::open(&old.join("doorstep.db")).unwrap());
    let code = |user: &'static str| {
        let store = store.clone();
        async move {
            let req = doorstep_server::sync::enrol::CodeRequest {
                user: user.into(),
                role: SW,
                areas: vec![GRID1.into()],
                code_ttl_ms: 3_600_000,
                token_ttl_ms: 86_400_000,
            };
            doorstep_server::sync::enrol::create_code(store.as_ref(), &req, now())
                .await
                .unwrap()
        }
    };
    let url = format!("http://{addr}");
    let a = Doorstep::open(dir.path().join("a.db"), &[1u8; 32]).unwrap();
    let b = Doorstep::open(dir.path().join("b.db"), &[2u8; 32]).unwrap();
    a.enrol(&url, &code("wang").await).await.unwrap();
    b.enrol(&url, &code("li").await).await.unwrap();
    household_at(&a, "1-101");
    a.sync_with(quick(), None).await.unwrap();
    b.sync_with(quick(), None).await.unwrap();
    let file = dir.path().join("station.backup");
    doorstep_server::station::backup::backup(&old, &file, now()).unwrap();
    let backed_up = store.op_count().await.unwrap() as i64;
    household_at(&a, "1-102");
    household_at(&a, "1-103");
    a.sync_with(quick(), None).await.unwrap();
    b.sync_with(quick(), None).await.unwrap();
    let ahead = b.sync_cursor().unwrap();
    assert!(ahead > backed_up, "b has pulled past the backup");
    drop(store);
    let _ = stop.send(());
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    doorstep_server::station::backup::restore(&file, &new, Some(&old.join("station.key"))).unwrap();
    let (_addr, _stop) = serve_sqlite(&new, &addr.to_string()).await;
    // Written after the restore: stored under a sequence b believes it has seen.
    let later = household_at(&a, "1-104");
    a.sync_with(quick(), None).await.unwrap();
    let restored: Arc<dyn Storage> =
        Arc::new(SqliteStorage::open(&new.join("doorstep.db")).unwrap());
    let high = restored.op_count().await.unwrap() as i64;
    assert!(
        high <= ahead,
        "the new op's sequence is one b's cursor covers"
    );
    b.sync_with(quick(), None).await.unwrap();
    assert_eq!(b.household(&later).unwrap().address, "1-104");
    assert!(
        b.sync_cursor().unwrap() <= high,
        "b's cursor is the server's again"
    );
    // What b had from before the backup and after it is still there.
    for id in a
        .read(|c| {
            let mut s = c.prepare("SELECT id FROM household")?;
            let ids = s
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(ids)
        })
        .unwrap()
    {
        b.household(&id).unwrap();
    }
}

/// A server with short timeouts over a fresh SQLite storage.
async fn short_limits_server(dir: &tempfile::TempDir) -> std::net::SocketAddr {
    let store: Arc<dyn Storage> =
        Arc::new(SqliteStorage::open(&dir.path().join("doorstep.db")).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let limits = doorstep_server::serve::Limits {
        header: Duration::from_millis(300),
        body: Duration::from_millis(300),
        idle: Duration::from_millis(500),
        drain: Duration::from_secs(1),
    };
    tokio::spawn(doorstep_server::serve::serve(
        listener,
        doorstep_server::router(AppState::new(store)),
        limits,
        std::future::pending(),
    ));
    addr
}

/// Reads until the server closes the connection; fails the test if it never does.
async fn read_until_closed(s: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), async {
        let mut buf = [0u8; 64 * 1024];
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server never closed the connection");
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_sent_header_is_closed_after_the_header_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let addr = short_limits_server(&dir).await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let got = read_until_closed(&mut s).await;
    assert!(
        !got.starts_with(b"HTTP/1.1 200"),
        "no answer to half a header"
    );
    // A keep-alive connection that sends nothing more after its answer is closed too.
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let got = read_until_closed(&mut s).await;
    assert!(
        got.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&got)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_body_gets_408_and_the_connection_ends() {
    let dir = tempfile::tempdir().unwrap();
    let addr = short_limits_server(&dir).await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(
        b"POST /api/v1/enrol HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
          Content-Length: 100\r\n\r\n{\"code\": ",
    )
    .await
    .unwrap();
    let got = String::from_utf8(read_until_closed(&mut s).await).unwrap();
    assert!(got.starts_with("HTTP/1.1 408"), "{got}");
    assert!(got.contains("\"code\":\"timeout\""), "{got}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_closed_after_the_idle_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let addr = short_limits_server(&dir).await;
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut s = socket.connect(addr).await.unwrap();
    // Far more answers than the sockets' buffers hold (2,000 of the API document, some
    // 40 MB), asked for and never read: the server's writes stop, and nothing moves.
    let one = b"GET /api/openapi.json HTTP/1.1\r\nHost: x\r\n\r\n";
    let asked = 2_000;
    // The server stops reading too once its answers back up, and may close before the
    // last request is written.
    let _ = s.write_all(&one.repeat(asked)).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let got = read_until_closed(&mut s).await;
    let answers = got.windows(12).filter(|w| w == b"HTTP/1.1 200").count();
    assert!(
        answers > 0 && answers < asked,
        "{answers} answers of {asked}"
    );
}

/// The API document describes what the server does: query parameters in the query, a
/// schema for every body, the bearer scheme defined, every error status with its body.
/// (tests/api/run.sh holds the server to it with schemathesis.)
#[tokio::test]
async fn the_api_document_describes_every_body_and_status() {
    let env = Env::start(Backend::Sqlite).await;
    let doc: serde_json::Value = reqwest::get(format!("{}/api/openapi.json", env.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let scheme = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(
        (scheme["type"].as_str(), scheme["scheme"].as_str()),
        (Some("http"), Some("bearer"))
    );
    for p in doc["paths"]["/api/v1/pull"]["get"]["parameters"]
        .as_array()
        .unwrap()
    {
        assert_eq!(p["in"], "query", "{p}");
    }
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let name = format!("{method} {path}");
            if let Some(body) = op.get("requestBody") {
                let content = body["content"].as_object().unwrap();
                assert!(content.values().all(|c| c["schema"].is_object()), "{name}");
            }
            let secured = op.get("security").is_some();
            let responses = op["responses"].as_object().unwrap();
            assert!(
                !secured || responses.contains_key("401"),
                "{name} documents 401"
            );
            for (status, r) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    if method == "head" {
                        continue;
                    }
                    let schema = &r["content"]["application/json"]["schema"]["$ref"];
                    assert_eq!(schema, "#/components/schemas/ErrorBody", "{name} {status}");
                } else if method != "head" {
                    assert!(
                        r["content"].is_object(),
                        "{name} {status} has a body schema"
                    );
                }
            }
            if method == "post" {
                for status in ["400", "415", "422"] {
                    assert!(responses.contains_key(status), "{name} documents {status}");
                }
            }
        }
    }
    assert_eq!(operations, 9);
}

/// A phone pulls page after page while a second connection to its file writes all the
/// while (a station's CLI import beside its server): every write of both waits its turn,
/// and no SQLITE_BUSY reaches either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_writes_wait_for_a_second_writer_instead_of_failing_busy() {
    let env = Env::start(Backend::Sqlite).await;
    let (a, _) = env.phone("wang", SW, &[GRID1]).await;
    let area = a.ensure_area(GRID1).unwrap();
    a.write(|w| {
        for n in 0..3_000 {
            doorstep_core::registry::create_household(
                w,
                &NewHousehold {
                    area_id: area.id.clone(),
                    building_id: None,
                    address: format!("a-{n}"),
                    unit: None,
                    phone: None,
                },
                None,
            )?;
        }
        Ok(())
    })
    .unwrap();
    a.sync_with(quick(), None).await.unwrap();
    let (b, _) = env.phone("li", SW, &[GRID1]).await;
    let second = Arc::new(Doorstep::open(b.path(), &[7u8; 32]).unwrap());
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (second, stop, area) = (second.clone(), stop.clone(), area.id.clone());
        std::thread::spawn(move || {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                second.ensure_area(GRID1)?;
                second.create_household(&NewHousehold {
                    area_id: area.clone(),
                    building_id: None,
                    address: format!("b-{n}"),
                    unit: None,
                    phone: None,
                })?;
                n += 1;
                // A writer that lets others in between its writes, as a CLI command's
                // writes do; a tight loop would starve SQLite's busy handler.
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
            Ok::<_, doorstep_core::Error>(n)
        })
    };
    let mut opts = quick();
    opts.pull_page = 20;
    let report = b.sync_with(opts, None).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let written = writer
        .join()
        .unwrap()
        .expect("the second writer never failed");
    let report = report.expect("the sync never failed");
    assert!(report.applied >= 3_000, "{report:?}");
    assert!(
        written > 0,
        "the second connection wrote while the sync ran"
    );
}

fn now() -> i64 {
    use doorstep_core::Clock;
    doorstep_core::SystemClock.now_ms()
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
