//! `doorstep serve --demo` started as a new user would: a fresh data folder, the real
//! binary, plain HTTP.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn serve_demo_answers_health_the_dashboard_and_the_api_document() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("station");
    let mut child = Command::new(env!("CARGO_BIN_EXE_doorstep"))
        .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data"])
        .arg(&data)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().unwrap();
    // Read stderr as it comes, so a full pipe never stops the server.
    let mut stderr = child.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || {
        let mut err = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut err);
        err
    });
    let running = Running(child);
    let mut first = String::new();
    BufReader::new(stdout).read_line(&mut first).unwrap();
    let addr = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line {first:?}"))
        .to_string();
    let base = format!("http://{addr}");
    let http = reqwest::Client::new();
    let r = http.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let health: serde_json::Value = r.json().await.unwrap();
    assert_eq!(health["status"], "ok");
    // `/` leads a new visitor to the login page: an HTML page.
    let r = http.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let page = r.text().await.unwrap();
    assert!(page.starts_with("<!DOCTYPE html>") && page.contains("name=\"password\""));
    let r = http
        .get(format!("{base}/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let doc: serde_json::Value = r.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with('3'));
    assert!(doc["paths"]["/api/v1/push"].is_object());
    // The station pushes the demo to its own sync API; wait until storage has it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let ops = loop {
        let h: serde_json::Value = http
            .get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let ops = h["ops"].as_u64().unwrap();
        if ops > 10_000 || std::time::Instant::now() > deadline {
            break ops;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert!(ops > 10_000, "the demo's ops reached storage ({ops})");
    // Metrics: the demo's ops went through the sync API into storage.
    let text = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let stored: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("doorstep_ops_stored "))
        .expect("ops stored")
        .parse()
        .unwrap();
    assert!(stored >= ops);
    assert!(text.contains("doorstep_requests_total{group=\"ops\",status=\"2xx\"}"));
    assert!(text.contains("doorstep_sync_seconds_count{kind=\"push\"}"));
    // The demo admin logs in and finds the demo's deliveries on their page.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = http.get(format!("{base}/login")).send().await.unwrap();
    let login_cookie = cookie_of(&r);
    let page = r.text().await.unwrap();
    let at = page.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = &page[at..at + 32];
    let r = http
        .post(format!("{base}/login"))
        .header("cookie", login_cookie)
        .form(&[
            ("name", "admin"),
            ("password", "doorstep-demo"),
            ("csrf", csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let session = cookie_of(&r);
    let page = http
        .get(format!("{base}/deliveries"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let row = page
        .find("data-code=\"delivered\"")
        .expect("a row of delivered packages");
    let cell = &page[row..];
    let n = cell.find("class=\"num\">").unwrap() + 12;
    let delivered: u64 = cell[n..n + cell[n..].find('<').unwrap()].parse().unwrap();
    assert!(delivered > 50, "the demo delivered {delivered} packages");
    assert!(page.contains("id=\"stock\"") && page.contains("大米"));
    // The demo login was printed, and the key file is its owner's alone.
    drop(running);
    let err = stderr.join().unwrap();
    assert!(
        err.contains("demo admin login: admin / doorstep-demo"),
        "{err}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.join("station.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

/// The `name=value` of the cookie a response sets.
fn cookie_of(r: &reqwest::Response) -> String {
    r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

/// `doorstep serve` on a fresh folder with `args`; returns the process, its address and a
/// thread that collects its stderr until it exits.
fn serve(
    data: &std::path::Path,
    args: &[&str],
) -> (Running, String, std::thread::JoinHandle<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_doorstep"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .args(args)
        .env("RUST_LOG", "info")
        .env_remove("DOORSTEP_LOG_FORMAT")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || {
        let mut err = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut err);
        err
    });
    let mut first = String::new();
    BufReader::new(stdout).read_line(&mut first).unwrap();
    let addr = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line {first:?}"))
        .to_string();
    (Running(child), addr, stderr)
}

/// Sends SIGTERM and waits (at most a minute) for the process to exit.
fn terminate(running: &mut Running) -> std::process::ExitStatus {
    let pid = running.0.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        if let Some(status) = running.0.try_wait().unwrap() {
            return status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the server did not exit after SIGTERM"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[tokio::test]
async fn sigterm_with_a_stuck_client_exits_0_by_the_deadline() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    // A header timeout far past the deadline: only the deadline can end the stuck client.
    let (mut running, addr, stderr) = serve(
        &dir.path().join("d"),
        &["--header-timeout", "600", "--shutdown-deadline", "2"],
    );
    let r = reqwest::get(format!("http://{addr}/healthz"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut stuck = tokio::net::TcpStream::connect(&addr).await.unwrap();
    stuck
        .write_all(b"POST /api/v1/push HTTP/1.1\r\nHost: x\r\nContent-Le")
        .await
        .unwrap();
    let asked = std::time::Instant::now();
    let status = tokio::task::spawn_blocking(move || {
        let s = terminate(&mut running);
        (s, running)
    })
    .await
    .unwrap()
    .0;
    let took = asked.elapsed();
    assert!(status.success(), "exit status {status:?}");
    let mut buf = [0u8; 64];
    let closed =
        tokio::time::timeout(std::time::Duration::from_secs(5), stuck.read(&mut buf)).await;
    assert!(
        matches!(closed, Ok(Ok(0)) | Ok(Err(_))),
        "the stuck connection is closed"
    );
    let err = stderr.join().unwrap();
    assert!(err.contains("stopping"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    // Text logs on a pipe carry no colour codes.
    assert!(!err.contains('\u{1b}'), "{err}");
    eprintln!("exited {took:?} after SIGTERM with a 2 s deadline");
}

#[tokio::test]
async fn log_format_json_writes_one_object_a_line() {
    let dir = tempfile::tempdir().unwrap();
    let (mut running, addr, stderr) = serve(&dir.path().join("d"), &["--log-format", "json"]);
    let r = reqwest::get(format!("http://{addr}/healthz"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let status = tokio::task::spawn_blocking(move || terminate(&mut running))
        .await
        .unwrap();
    assert!(status.success());
    let err = stderr.join().unwrap();
    let lines: Vec<serde_json::Value> = err
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect();
    assert!(lines
        .iter()
        .all(|l| l["level"].is_string() && l["timestamp"].is_string()));
    assert!(
        lines
            .iter()
            .any(|l| l["path"] == "/healthz" && l["status"] == 200 && l["message"] == "request"),
        "{err}"
    );
}

/// When each device the sync storage holds was (last) enrolled.
async fn enrolled(data: &std::path::Path) -> Vec<i64> {
    use doorstep_server::storage::{SqliteStorage, Storage};
    if !data.join("doorstep.db").exists() {
        return vec![];
    }
    let store = SqliteStorage::open(&data.join("doorstep.db")).unwrap();
    let devices = store.devices().await.unwrap();
    devices.into_iter().map(|d| d.enrolled_at).collect()
}

/// Waits until the enrolments pass `ok`, up to a minute, and returns them.
async fn wait_for(what: &str, data: &std::path::Path, ok: impl Fn(&[i64]) -> bool) -> Vec<i64> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let got = enrolled(data).await;
        if ok(&got) {
            return got;
        }
        assert!(std::time::Instant::now() < deadline, "waited for {what}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_restarted_station_enrols_itself_again_and_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("station");
    let args = ["--max-clock-skew-minutes", "5", "--cookie-secure"];
    let (first, _, _) = serve(&data, &args);
    let before = wait_for("the station's enrolment", &data, |e| e.len() == 1).await;
    drop(first);
    let (mut second, addr, _) = serve(&data, &args);
    // The station's device enrols again under its id: one device, enrolled anew.
    wait_for("the station's second enrolment", &data, |e| {
        e != before.as_slice()
    })
    .await;
    assert_eq!(enrolled(&data).await.len(), 1);
    assert!(second.0.try_wait().unwrap().is_none(), "still serving");
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("http://{addr}/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(cookie_of(&r).starts_with("ds_login="));
    assert!(r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Secure"));
    let bad = Command::new(env!("CARGO_BIN_EXE_doorstep"))
        .args(["serve", "--max-clock-skew-minutes=-1", "--data"])
        .arg(dir.path().join("other"))
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("--max-clock-skew-minutes -1 is not between"),
        "{err}"
    );
}
