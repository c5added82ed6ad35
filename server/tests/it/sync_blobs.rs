//! Blobs (handoff photos and signatures) over a real server on loopback, each test on
//! SQLite and on a real PostgreSQL (`DOORSTEP_TEST_PG`, set by scripts/with-postgres.sh):
//! upload and download by SHA-256, hash check, size limit, resumed uploads and
//! downloads, who may fetch what, and the blobs stage of a phone's sync.

use crate::common;

use std::sync::{Arc, Mutex};

use common::*;
use doorstep_core::deliveries::proof::sha256_hex;
use doorstep_core::deliveries::{
    HandoffInput, ItemLine, NewRequest, PackageStatus, Proof, RequestSource, SignaturePoint,
    SignatureStroke, StockMoveKind,
};
use doorstep_core::registry::NewHousehold;
use doorstep_core::sync::protocol::MAX_BLOB_BYTES;
use doorstep_core::sync::{Role, SyncProgress, SyncStage};
use doorstep_core::visits::Urgency;
use doorstep_core::Doorstep;
use reqwest::StatusCode;

/// Bytes that do not repeat, so a part put in the wrong place changes the hash.
fn bytes(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + i / 251) as u8).collect()
}

struct Api {
    url: String,
    token: String,
    client: reqwest::Client,
}

impl Api {
    fn new(env: &Env, token: &str) -> Api {
        Api {
            url: env.url(),
            token: token.to_string(),
            client: reqwest::Client::new(),
        }
    }

    fn at(&self, hash: &str) -> String {
        format!("{}/api/v1/blobs/{hash}", self.url)
    }

    async fn put(&self, hash: &str, body: &[u8], range: Option<String>) -> reqwest::Response {
        let mut req = self
            .client
            .put(self.at(hash))
            .bearer_auth(&self.token)
            .header("content-type", "image/png")
            .body(body.to_vec());
        if let Some(r) = range {
            req = req.header("content-range", r);
        }
        req.send().await.unwrap()
    }

    async fn head(&self, hash: &str) -> reqwest::Response {
        self.client
            .head(self.at(hash))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
    }

    async fn get(&self, hash: &str, range: Option<&str>) -> reqwest::Response {
        let mut req = self.client.get(self.at(hash)).bearer_auth(&self.token);
        if let Some(r) = range {
            req = req.header("range", r);
        }
        req.send().await.unwrap()
    }
}

fn offset(resp: &reqwest::Response) -> Option<u64> {
    resp.headers()
        .get("upload-offset")?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

async fn code_of(resp: reqwest::Response) -> String {
    let body: serde_json::Value = resp.json().await.unwrap();
    body["code"].as_str().unwrap_or_default().to_string()
}

async fn a_blob_goes_up_and_comes_down_whole(b: Backend) {
    let env = Env::start(b).await;
    let (phone, _) = env.phone("admin", Role::StationAdmin, &[]).await;
    let api = Api::new(&env, &token(&phone));
    let data = bytes(300_000);
    let hash = sha256_hex(&data);
    assert_eq!(api.head(&hash).await.status(), StatusCode::NOT_FOUND);
    let resp = api.put(&hash, &data, None).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["complete"], true);
    assert_eq!(body["received"], 300_000);
    let head = api.head(&hash).await;
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.headers()["content-length"], "300000");
    let got = api.get(&hash, None).await;
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(got.headers()["content-type"], "image/png");
    assert_eq!(got.bytes().await.unwrap().to_vec(), data);
    // Sending it again stores nothing twice.
    assert_eq!(api.put(&hash, &data, None).await.status(), StatusCode::OK);
    assert_eq!(
        env.store.blob_meta(&hash).await.unwrap().unwrap().size,
        300_000
    );
    // A path that is not a SHA-256 is refused before anything is read.
    let resp = api.put("abc", &data[..10], None).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
}

async fn a_wrong_hash_is_refused_and_nothing_is_kept(b: Backend) {
    let env = Env::start(b).await;
    let (phone, _) = env.phone("admin", Role::StationAdmin, &[]).await;
    let api = Api::new(&env, &token(&phone));
    let data = bytes(5_000);
    let claimed = sha256_hex(b"something else");
    let resp = api.put(&claimed, &data, None).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(code_of(resp).await, "blob_hash_mismatch");
    assert!(env.store.blob_meta(&claimed).await.unwrap().is_none());
    let device = phone.device_id();
    assert_eq!(
        env.store.upload_received(&claimed, &device).await.unwrap(),
        0
    );
    let head = api.head(&claimed).await;
    assert_eq!(head.status(), StatusCode::NOT_FOUND);
    assert_eq!(offset(&head), Some(0));
    assert_eq!(
        api.get(&claimed, None).await.status(),
        StatusCode::NOT_FOUND
    );
    // Nor is it kept under the hash its bytes do have.
    assert!(env
        .store
        .blob_meta(&sha256_hex(&data))
        .await
        .unwrap()
        .is_none());
}

async fn a_blob_over_the_limit_is_refused(b: Backend) {
    let env = Env::start(b).await;
    let (phone, _) = env.phone("admin", Role::StationAdmin, &[]).await;
    let api = Api::new(&env, &token(&phone));
    // Announced as too large in its first part.
    let hash = sha256_hex(b"big");
    let resp = api
        .put(
            &hash,
            b"0123",
            Some(format!("bytes 0-3/{}", MAX_BLOB_BYTES + 1)),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(code_of(resp).await, "blob_too_large");
    // Sent whole and too large.
    let big = vec![1u8; MAX_BLOB_BYTES as usize + 1];
    let resp = api.put(&sha256_hex(&big), &big, None).await;
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(code_of(resp).await, "blob_too_large");
    assert!(env
        .store
        .blob_meta(&sha256_hex(&big))
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        env.store
            .upload_received(&hash, &phone.device_id())
            .await
            .unwrap(),
        0
    );
}

async fn an_interrupted_upload_resumes_and_stores_the_bytes_once(b: Backend) {
    let env = Env::start(b).await;
    let (phone, _) = env.phone("admin", Role::StationAdmin, &[]).await;
    let api = Api::new(&env, &token(&phone));
    let data = bytes(100_000);
    let hash = sha256_hex(&data);
    let resp = api
        .put(&hash, &data[..40_000], Some("bytes 0-39999/100000".into()))
        .await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    assert_eq!(offset(&resp), Some(40_000));
    // The phone comes back later and asks where it stands.
    let head = api.head(&hash).await;
    assert_eq!(head.status(), StatusCode::NOT_FOUND);
    assert_eq!(offset(&head), Some(40_000));
    // A part sent twice (its reply was lost) is refused with where to go on from.
    let resp = api
        .put(&hash, &data[..40_000], Some("bytes 0-39999/100000".into()))
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert_eq!(offset(&resp), Some(40_000));
    assert_eq!(code_of(resp).await, "upload_offset");
    // Another total for the same upload is refused too.
    let resp = api
        .put(
            &hash,
            &data[40_000..],
            Some("bytes 40000-99999/100001".into()),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert_eq!(code_of(resp).await, "upload_length");
    // Another device's upload of the same blob is its own.
    let (other, _) = env.phone("admin2", Role::StationAdmin, &[]).await;
    assert_eq!(
        offset(&Api::new(&env, &token(&other)).head(&hash).await),
        Some(0)
    );
    let resp = api
        .put(
            &hash,
            &data[40_000..],
            Some("bytes 40000-99999/100000".into()),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(
        api.get(&hash, None).await.bytes().await.unwrap().to_vec(),
        data
    );
    assert_eq!(
        env.store.blob_meta(&hash).await.unwrap().unwrap().size,
        100_000
    );
    assert_eq!(
        env.store
            .upload_received(&hash, &phone.device_id())
            .await
            .unwrap(),
        0,
        "the parts are gone once the blob is kept"
    );
}

async fn a_download_resumes_with_a_range(b: Backend) {
    let env = Env::start(b).await;
    let (phone, _) = env.phone("admin", Role::StationAdmin, &[]).await;
    let api = Api::new(&env, &token(&phone));
    let data = bytes(10_000);
    let hash = sha256_hex(&data);
    assert_eq!(
        api.put(&hash, &data, None).await.status(),
        StatusCode::CREATED
    );
    let resp = api.get(&hash, Some("bytes=4000-")).await;
    assert_eq!(resp.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(resp.headers()["content-range"], "bytes 4000-9999/10000");
    assert_eq!(resp.bytes().await.unwrap().to_vec(), data[4000..]);
    let resp = api.get(&hash, Some("bytes=10-19")).await;
    assert_eq!(resp.headers()["content-range"], "bytes 10-19/10000");
    assert_eq!(resp.bytes().await.unwrap().to_vec(), data[10..20]);
    let resp = api.get(&hash, Some("bytes=-5")).await;
    assert_eq!(resp.bytes().await.unwrap().to_vec(), data[9995..]);
    let resp = api.get(&hash, Some("bytes=10000-")).await;
    assert_eq!(resp.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(resp.headers()["content-range"], "bytes */10000");
    assert_eq!(code_of(resp).await, "range_not_satisfiable");
}

async fn blobs_need_a_device_token(b: Backend) {
    let env = Env::start(b).await;
    let (phone, _) = env.phone("admin", Role::StationAdmin, &[]).await;
    let data = bytes(1_000);
    let hash = sha256_hex(&data);
    let client = reqwest::Client::new();
    let url = format!("{}/api/v1/blobs/{hash}", env.url());
    let resp = client.put(&url).body(data.clone()).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(code_of(resp).await, "token_missing");
    let resp = client
        .put(&url)
        .bearer_auth("not-a-token")
        .body(data.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(env.store.blob_meta(&hash).await.unwrap().is_none());
    Api::new(&env, &token(&phone)).put(&hash, &data, None).await;
    assert_eq!(
        client.get(&url).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        client.head(&url).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
}

struct Recorder(Mutex<Vec<(SyncStage, u64, u64)>>);

impl SyncProgress for Recorder {
    fn progress(&self, stage: SyncStage, done: u64, total: u64) {
        self.0.lock().unwrap().push((stage, done, total));
    }
}

fn rice() -> ItemLine {
    ItemLine {
        item: "rice".into(),
        name: None,
        dose: None,
        quantity: 1,
    }
}

/// A station admin's phone delivers a package in `grid` with a signature; returns the
/// signature's blob hash.
fn deliver_with_signature(phone: &Doorstep, grid: &str, unit: &str) -> String {
    let area = phone.ensure_area(grid).unwrap();
    let hh = phone
        .create_household(&NewHousehold {
            area_id: area.id,
            building_id: None,
            address: format!("丽岛路{unit}"),
            unit: Some(unit.into()),
            phone: None,
        })
        .unwrap();
    phone
        .receive_stock(&rice(), StockMoveKind::Donation, None, None)
        .unwrap();
    let req = phone
        .create_request(&NewRequest {
            household_id: Some(hh.id),
            source: RequestSource::Manual,
            items: vec![rice()],
            urgency: Urgency::Normal,
            notes: None,
        })
        .unwrap();
    let p = phone.new_package(&req.request.id, None).unwrap();
    phone
        .handoff(&p.id, &HandoffInput::new(PackageStatus::Packed))
        .unwrap();
    phone
        .handoff(
            &p.id,
            &HandoffInput {
                to: Some("runner-1".into()),
                ..HandoffInput::new(PackageStatus::OutForDelivery)
            },
        )
        .unwrap();
    let sig = Proof::Signature {
        width: 400,
        height: 200,
        strokes: vec![SignatureStroke {
            points: vec![
                SignaturePoint { x: 20.0, y: 100.0 },
                SignaturePoint {
                    x: 380.0,
                    y: 100.0 + unit.len() as f32,
                },
            ],
        }],
    };
    let done = phone
        .handoff(
            &p.id,
            &HandoffInput {
                proof: Some(sig),
                ..HandoffInput::new(PackageStatus::Delivered)
            },
        )
        .unwrap();
    done.proof.unwrap()
}

async fn a_sync_uploads_blobs_and_fetches_those_it_may_see(b: Backend) {
    let env = Env::start(b).await;
    let (station, _) = env.phone("admin", Role::StationAdmin, &[]).await;
    let hash = deliver_with_signature(&station, GRID1, "1-101");
    let bytes = station.blob(&hash).unwrap().bytes;
    let rec = Arc::new(Recorder(Mutex::new(Vec::new())));
    let report = station.sync_with(quick(), Some(rec.clone())).await.unwrap();
    assert_eq!((report.rejected, report.pending), (0, 0), "{report:?}");
    assert_eq!(report.blobs_uploaded, 1);
    assert!(station.pending_blobs(10).unwrap().is_empty());
    assert!(rec.0.lock().unwrap().contains(&(SyncStage::Blobs, 1, 1)));
    assert_eq!(
        env.store.blob_meta(&hash).await.unwrap().unwrap().size as usize,
        bytes.len()
    );

    // A runner of the grid receives the handoff and fetches its signature.
    let (runner, _) = env.phone("runner1", Role::Runner, &[GRID1]).await;
    let report = runner.sync_with(quick(), None).await.unwrap();
    assert_eq!(report.blobs_downloaded, 1, "{report:?}");
    let got = runner.blob(&hash).unwrap();
    assert_eq!((got.mime.as_str(), got.bytes), ("image/png", bytes.clone()));
    assert!(
        runner.pending_blobs(10).unwrap().is_empty(),
        "not sent back"
    );
    let again = runner.sync_with(quick(), None).await.unwrap();
    assert_eq!((again.blobs_downloaded, again.blobs_uploaded), (0, 0));

    // A runner of another grid never sees the handoff and may not fetch the blob; nor
    // may a social worker of the grid, who does not receive deliveries.
    let (elsewhere, _) = env.phone("runner2", Role::Runner, &[GRID2]).await;
    elsewhere.sync_with(quick(), None).await.unwrap();
    assert!(elsewhere.blob(&hash).is_err());
    let (worker, _) = env.phone("wang", SW, &[GRID1]).await;
    for phone in [&elsewhere, &worker] {
        let resp = Api::new(&env, &token(phone)).get(&hash, None).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN);
        assert_eq!(code_of(resp).await, "blob_forbidden");
    }
}

async fn a_sync_resumes_a_partial_upload_and_a_partial_download(b: Backend) {
    let env = Env::start(b).await;
    let (station, _) = env.phone("admin", Role::StationAdmin, &[]).await;
    let hash = deliver_with_signature(&station, GRID1, "2-202");
    let bytes = station.blob(&hash).unwrap().bytes;
    let half = bytes.len() / 2;
    // The first half went up before the network dropped.
    let api = Api::new(&env, &token(&station));
    let resp = api
        .put(
            &hash,
            &bytes[..half],
            Some(format!("bytes 0-{}/{}", half - 1, bytes.len())),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let mut opts = quick();
    opts.blob_part = 100;
    let report = station.sync_with(opts, None).await.unwrap();
    assert_eq!(report.blobs_uploaded, 1);
    assert_eq!(
        api.get(&hash, None).await.bytes().await.unwrap().to_vec(),
        bytes
    );

    // A runner had fetched the first half of it when its sync stopped: the parts are
    // in its store, and the next sync asks only for the rest. Kept parts that are wrong
    // show as a hash that does not match: they are dropped, and the sync after fetches
    // the blob again.
    let (runner, _) = env.phone("runner1", Role::Runner, &[GRID1]).await;
    let keep_part = |part: Vec<u8>| {
        runner
            .with_writer(|c| {
                c.execute(
                    "INSERT INTO blob_download(hash, start, mime, bytes, fetched_at)
                     VALUES (?1, 0, 'image/png', ?2, 0)",
                    rusqlite::params![hash, part],
                )?;
                Ok(())
            })
            .unwrap()
    };
    keep_part(vec![0u8; half]);
    let err = runner.sync_with(opts, None).await.unwrap_err();
    assert!(err.to_string().contains("SHA-256"), "{err}");
    assert!(runner.blob(&hash).is_err());
    keep_part(bytes[..half].to_vec());
    let report = runner.sync_with(opts, None).await.unwrap();
    assert_eq!(report.blobs_downloaded, 1);
    assert_eq!(runner.blob(&hash).unwrap().bytes, bytes);
    let left: i64 = runner
        .read(|c| Ok(c.query_row("SELECT count(*) FROM blob_download", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(left, 0, "the parts are dropped once the blob is kept");
}

on_both!(
    a_blob_goes_up_and_comes_down_whole,
    a_wrong_hash_is_refused_and_nothing_is_kept,
    a_blob_over_the_limit_is_refused,
    an_interrupted_upload_resumes_and_stores_the_bytes_once,
    a_download_resumes_with_a_range,
    blobs_need_a_device_token,
    a_sync_uploads_blobs_and_fetches_those_it_may_see,
    a_sync_resumes_a_partial_upload_and_a_partial_download,
);
