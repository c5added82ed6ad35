//! How many guesses an attacker gets: a real station on loopback, an attacker trying
//! wrong passwords for one admin name, and wrong enrolment codes, as fast as four
//! connections go, for a minute of real time each (`DOORSTEP_BENCH_SECONDS` to change);
//! then the same attacker against a clock the bench moves, waiting exactly as long as
//! `Retry-After` says, for a day. Prints its figures; asserts nothing about time.
//!
//! `cargo bench -p doorstep-server --bench throttle`

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use doorstep_core::{Clock, ManualClock, SystemClock};
use doorstep_server::station::{self, Station};
use doorstep_server::{storage, AppState};

const NAME: &str = "admin";

struct Target {
    base: String,
    _dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn start(clock: Arc<dyn Clock>) -> Target {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("station");
    let st = Arc::new(Station::open(&data).expect("station"));
    st.admins
        .put(NAME, "the right password", &[], SystemClock.now_ms())
        .expect("admin");
    let store = storage::open(&data, None).await.expect("storage");
    let app = AppState::with_clock(store, clock);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(station::serve_on(listener, app, st, async {
        let _ = rx.await;
    }));
    Target {
        base,
        _dir: dir,
        _stop: tx,
    }
}

/// One wrong guess: a login (with its form's CSRF token) or an enrolment code. Returns
/// the status and `Retry-After`, if any.
async fn guess(http: &reqwest::Client, base: &str, login: bool, n: u64) -> (u16, Option<i64>) {
    let r = if login {
        let page = http.get(format!("{base}/login")).send().await.expect("GET");
        let cookie = page.headers()["set-cookie"]
            .to_str()
            .expect("cookie")
            .split(';')
            .next()
            .expect("pair")
            .to_string();
        let text = page.text().await.expect("page");
        let at = text.find("name=\"csrf\" value=\"").expect("csrf") + 19;
        let csrf = text[at..at + 32].to_string();
        http.post(format!("{base}/login"))
            .header("cookie", cookie)
            .form(&[
                ("name", NAME),
                ("password", &format!("guess {n}")),
                ("csrf", &csrf),
            ])
            .send()
            .await
            .expect("POST")
    } else {
        http.post(format!("{base}/api/v1/enrol"))
            .json(
                &serde_json::json!({"code": format!("GUESS{n:05}"), "device_id": format!("d{n}")}),
            )
            .send()
            .await
            .expect("POST")
    };
    let wait = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    (r.status().as_u16(), wait)
}

/// Four connections guessing for `seconds` of real time: (answered, refused with 429).
async fn flood(login: bool, seconds: u64) -> (u64, u64) {
    let t = start(Arc::new(SystemClock)).await;
    let (answered, refused) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for worker in 0..4u64 {
        let (base, answered, refused) = (t.base.clone(), answered.clone(), refused.clone());
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client");
            let mut n = worker * 1_000_000;
            while Instant::now() < end {
                n += 1;
                match guess(&http, &base, login, n).await.0 {
                    429 => refused.fetch_add(1, Ordering::Relaxed),
                    _ => answered.fetch_add(1, Ordering::Relaxed),
                };
            }
        }));
    }
    for task in tasks {
        task.await.expect("attacker");
    }
    (
        answered.load(Ordering::Relaxed),
        refused.load(Ordering::Relaxed),
    )
}

/// An attacker who waits exactly as `Retry-After` says, on a clock moved by the bench:
/// the times (ms from the start) of the guesses that were answered, over `hours`.
async fn patient(login: bool, hours: i64) -> Vec<i64> {
    let clock = Arc::new(ManualClock::new(SystemClock.now_ms()));
    let t = start(clock.clone()).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let (start_ms, mut at, mut n) = (clock.now_ms(), Vec::new(), 0);
    while clock.now_ms() - start_ms < hours * 3_600_000 {
        n += 1;
        match guess(&http, &t.base, login, n).await {
            (429, Some(wait)) => clock.advance(wait * 1000),
            (429, None) => panic!("429 without Retry-After"),
            _ => {
                at.push(clock.now_ms() - start_ms);
                // A guess takes time of its own; a millisecond stands for it.
                clock.advance(1);
            }
        }
    }
    at
}

fn within(at: &[i64], from_ms: i64, until_ms: i64) -> usize {
    at.iter()
        .filter(|t| **t >= from_ms && **t < until_ms)
        .count()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let seconds: u64 = std::env::var("DOORSTEP_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    for (login, what) in [
        (true, "passwords of one admin name"),
        (false, "enrolment codes from one address"),
    ] {
        let (answered, refused) = flood(login, seconds).await;
        println!(
            "{what}, 4 connections flat out for {seconds} s: {answered} guesses answered, \
             {refused} refused with 429"
        );
        let at = patient(login, 24).await;
        let hour = 3_600_000;
        println!(
            "{what}, waiting out every Retry-After: {} guesses in the first minute, {} in the \
             first hour, {:.1} an hour over hours 2 to 24",
            within(&at, 0, 60_000),
            within(&at, 0, hour),
            within(&at, hour, 24 * hour) as f64 / 23.0
        );
    }
}
