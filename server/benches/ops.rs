//! `/healthz` under load: a phone pushes 100,000 ops over HTTP while a station admin
//! exports the needs ledger as XLSX again and again and the station's own sync pulls
//! the phone's ops into its store, all on one station server on loopback (SQLite). A
//! prober asks `/healthz` every 10 ms throughout and the bench prints its latencies.
//! Asserts nothing about time.
//!
//! `cargo bench -p doorstep-server --bench ops` (`DOORSTEP_BENCH_OPS` changes the count)

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use doorstep_core::registry::{NewHousehold, RESIDENT};
use doorstep_core::sync::{Role, SyncOptions};
use doorstep_core::visits::{NeedCategory, NewNeed, Subject, Urgency};
use doorstep_core::{fields, Doorstep};
use doorstep_server::station::{self, Station};
use doorstep_server::sync::enrol;
use doorstep_server::{storage, AppState};

const GRID: &str = "武昌区/中南路街道/丽岛社区/第1网格";
const NEEDS: usize = 20_000;

fn main() {
    let ops: usize = std::env::var("DOORSTEP_BENCH_OPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("station");
    let st = Station::open(&data).expect("station");
    let now = doorstep_core::Clock::now_ms(&doorstep_core::SystemClock);
    st.admins
        .put("bench", "bench-password", &[], now)
        .expect("admin");
    // The admin's ledger: a need for each of 20,000 residents.
    st.core
        .import_csv(doorstep_core::sample::residents_csv(NEEDS, 3).as_bytes())
        .expect("import");
    let mut residents = Vec::new();
    let mut after = String::new();
    loop {
        let page = st
            .core
            .read(|c| doorstep_server::stats::residents_page(c, &after, 10_000))
            .unwrap();
        let Some(last) = page.last() else { break };
        after = last.0.clone();
        residents.extend(page.into_iter().map(|(id, _, _)| id));
    }
    st.core
        .write(|w| {
            for id in &residents {
                doorstep_core::visits::raise_need(
                    w,
                    &NewNeed {
                        subject: Subject {
                            household_id: None,
                            resident_id: Some(id.clone()),
                        },
                        category: NeedCategory::FoodStaples,
                        urgency: Urgency::Normal,
                        details: None,
                        drug: None,
                        days_left: None,
                        visit_id: None,
                    },
                )?;
            }
            Ok(())
        })
        .expect("needs");
    let station = Arc::new(st);

    // The phone and its ops: one household, then a resident op each.
    let phone = Doorstep::open(dir.path().join("phone.db"), &[9u8; 32]).expect("phone");
    let area = phone.ensure_area(GRID).unwrap();
    let household = phone
        .create_household(&NewHousehold {
            area_id: area.id,
            building_id: None,
            address: "1-101".into(),
            unit: None,
            phone: None,
        })
        .unwrap();
    for chunk in 0..ops.div_ceil(10_000) {
        phone
            .write(|w| {
                for i in chunk * 10_000..((chunk + 1) * 10_000).min(ops) {
                    w.put(
                        &RESIDENT,
                        &format!("r-{i}"),
                        fields! {"household_id" => household.id, "name" => format!("居民{i}"), "birth_year" => 1950},
                    )?;
                }
                Ok(())
            })
            .unwrap();
    }
    let pending = phone.pending_op_count().unwrap();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let store = rt.block_on(storage::open(&data, None)).unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    rt.spawn(station::serve_on(
        listener,
        AppState::new(store.clone()),
        station.clone(),
        std::future::pending(),
    ));
    // The station syncs with itself as `doorstep serve` has it do: its own thread.
    rt.block_on(station.enrol_self(store.as_ref(), &base))
        .unwrap();
    let syncing = station.clone();
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(station::sync_loop(syncing, Duration::from_secs(2)))
    });
    let code = rt
        .block_on(enrol::create_code(
            store.as_ref(),
            &enrol::CodeRequest {
                user: "wang".into(),
                role: Role::SocialWorker,
                areas: vec![GRID.into()],
                code_ttl_ms: 3_600_000,
                token_ttl_ms: 86_400_000,
            },
            now,
        ))
        .unwrap();
    let done = Arc::new(AtomicBool::new(false));

    // The phone pushes on a thread of its own (the sync client's future is not Send).
    let pusher = {
        let (base, done) = (base.clone(), done.clone());
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let t = Instant::now();
            let report = rt.block_on(async {
                phone.enrol(&base, &code).await.unwrap();
                phone
                    .sync_with(
                        SyncOptions {
                            push_batch: 1_000,
                            ..SyncOptions::default()
                        },
                        None,
                    )
                    .await
                    .unwrap()
            });
            done.store(true, Ordering::SeqCst);
            (t.elapsed(), report)
        })
    };

    let (health, exports) = rt.block_on(async {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let session = login(&http, &base).await;
        let exporter = {
            let (http, base, done) = (http.clone(), base.clone(), done.clone());
            tokio::spawn(async move {
                let mut n = 0;
                let mut took = Vec::new();
                while !done.load(Ordering::SeqCst) {
                    let t = Instant::now();
                    let r = http
                        .get(format!(
                            "{base}/export?kind=needs&from=2000-01-01&to=2100-01-01&format=xlsx"
                        ))
                        .header("cookie", &session)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), 200);
                    let bytes = r.bytes().await.unwrap();
                    assert!(bytes.starts_with(b"PK"));
                    took.push(t.elapsed().as_secs_f64());
                    n += 1;
                }
                (n, took)
            })
        };
        let mut times = Vec::new();
        while !done.load(Ordering::SeqCst) {
            let t = Instant::now();
            let r = http.get(format!("{base}/healthz")).send().await.unwrap();
            assert_eq!(r.status(), 200);
            r.bytes().await.unwrap();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        (times, exporter.await.unwrap())
    });
    let (push_time, report) = pusher.join().unwrap();
    let mut times = health;
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    println!(
        "phone pushed {} ops ({} pending) in {:.1} s; {} XLSX exports of {NEEDS} needs meanwhile (mean {:.2} s each)",
        report.accepted,
        pending,
        push_time.as_secs_f64(),
        exports.0,
        exports.1.iter().sum::<f64>() / exports.1.len().max(1) as f64
    );
    println!(
        "/healthz under that load: {} requests, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        times.len(),
        at(0.5),
        at(0.99),
        times[times.len() - 1]
    );
}

/// Logs the bench admin in; returns the session cookie.
async fn login(http: &reqwest::Client, base: &str) -> String {
    let page = http.get(format!("{base}/login")).send().await.unwrap();
    let cookie = page.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let text = page.text().await.unwrap();
    let at = text.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = &text[at..at + 32];
    let r = http
        .post(format!("{base}/login"))
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("name=bench&password=bench-password&csrf={csrf}"))
        .send()
        .await
        .unwrap();
    r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}
