//! The dashboard in a real browser: Debian's chromium driven over WebDriver by
//! chromedriver (both installed by scripts/install-tools.sh), against the real
//! `doorstep serve --demo`. With DOORSTEP_SCREENSHOT set, the overview's screenshot is
//! written there (scripts/screenshot.sh puts it in docs/).

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Ends the browser started with a profile folder, should the test stop before it closes
/// its session: chromium outlives chromedriver otherwise. Only processes naming this
/// test's own fresh profile folder are touched.
struct Profile(std::path::PathBuf);

impl Drop for Profile {
    fn drop(&mut self) {
        let needle = format!("--user-data-dir={}", self.0.display());
        let Ok(procs) = std::fs::read_dir("/proc") else {
            return;
        };
        for p in procs.flatten() {
            let Ok(pid) = p.file_name().to_string_lossy().parse::<i32>() else {
                continue;
            };
            let Ok(cmd) = std::fs::read(p.path().join("cmdline")) else {
                continue;
            };
            if cmd.split(|b| *b == 0).any(|a| a == needle.as_bytes()) {
                let _ = Command::new("kill").arg(pid.to_string()).status();
            }
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn tool(names: &[&str]) -> String {
    for n in names {
        for dir in ["/usr/bin", "/usr/lib/chromium", "/usr/local/bin"] {
            let p = Path::new(dir).join(n);
            if p.exists() {
                return p.to_string_lossy().into_owned();
            }
        }
    }
    panic!("none of {names:?} is installed: run scripts/install-tools.sh");
}

fn start_station(data: &Path) -> (Running, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_doorstep"))
        .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let addr = first
        .trim()
        .strip_prefix("listening on ")
        .expect("address line")
        .to_string();
    (Running(child), format!("http://{addr}"))
}

async fn start_driver() -> (Running, String) {
    let port = free_port();
    let child = Command::new(tool(&["chromedriver"]))
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let url = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = http.get(format!("{url}/status")).send().await {
            if r.status().is_success() {
                break;
            }
        }
        assert!(Instant::now() < deadline, "chromedriver did not answer");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (Running(child), url)
}

fn count(data: &Path, sql: &str) -> u64 {
    let key = doorstep_server::station::store_key(data).unwrap();
    let c = doorstep_core::store::open(&data.join("station.db"), &key).unwrap();
    c.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap() as u64
}

/// Types `text` into the field matching `css`.
async fn type_into(c: &Client, css: &str, text: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .send_keys(text)
        .await
        .unwrap();
}

/// Clicks the button with id `id`.
async fn press(c: &Client, id: &str) {
    c.find(Locator::Id(id))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_logs_in_reads_the_overview_enrols_a_phone_and_downloads() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("station");
    let (_station, base) = start_station(&data);
    let (_driver, driver_url) = start_driver().await;
    let profile = dir.path().join("profile");
    let _browser = Profile(profile.clone());
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".to_string(),
        json!({
            "binary": tool(&["chromium"]),
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
                "--disable-dev-shm-usage", "--window-size=1280,1500",
                format!("--user-data-dir={}", profile.display()),
            ]
        }),
    );
    let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver_url)
        .await
        .expect("a browser session");

    // A wrong password is refused.
    c.goto(&format!("{base}/login")).await.unwrap();
    type_into(&c, "input[name=name]", "admin").await;
    type_into(&c, "input[name=password]", "not the password").await;
    press(&c, "login").await;
    let err = c
        .wait()
        .for_element(Locator::Id("login-error"))
        .await
        .expect("an error shown")
        .text()
        .await
        .unwrap();
    assert!(err.contains("错误"), "{err}");

    type_into(&c, "input[name=name]", "admin").await;
    type_into(&c, "input[name=password]", "doorstep-demo").await;
    press(&c, "login").await;
    let residents: u64 = c
        .wait()
        .for_element(Locator::Id("residents"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        residents,
        count(&data, "SELECT count(*) FROM resident WHERE _deleted = 0")
    );
    let week: u64 = c
        .find(Locator::Id("visits-week"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .parse()
        .unwrap();
    assert!(week > 0);
    // The week is seven local days up to today. The demo's first visits, a week back,
    // fall before it in the station's early morning hours, so the window is counted
    // here too.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let (_, today) =
        doorstep_server::stats::day_bounds(now, doorstep_server::station::UTC_OFFSET_MINUTES);
    assert_eq!(
        week,
        count(
            &data,
            &format!(
                "SELECT count(*) FROM visit WHERE _deleted = 0 AND supersedes IS NULL
                 AND finished_at >= {}",
                today - 6 * 86_400_000
            )
        )
    );
    // The charts are drawn: each has a size on the page and a title per bar or point.
    for id in ["chart-visits", "chart-needs", "chart-requests"] {
        let drawn: Value = c
            .execute(
                "const s = document.getElementById(arguments[0]);
                 const r = s.getBoundingClientRect();
                 return [r.width > 200 && r.height > 100, s.querySelectorAll('[data-key] > title').length];",
                vec![json!(id)],
            )
            .await
            .unwrap();
        assert_eq!(drawn[0], json!(true), "{id} is drawn");
        assert!(drawn[1].as_u64().unwrap() > 0, "{id} has titled marks");
    }
    // Screenshots of the overview and the check-in page, at desktop and phone width:
    // `overview.png` where DOORSTEP_SCREENSHOT says, the others beside it.
    if let Ok(to) = std::env::var("DOORSTEP_SCREENSHOT") {
        let to = std::path::PathBuf::from(to);
        let dir = to.parent().unwrap().to_path_buf();
        // Tall enough to hold every chart of the overview.
        c.set_window_size(1280, 4200).await.unwrap();
        c.goto(&format!("{base}/")).await.unwrap();
        std::fs::write(&to, c.screenshot().await.unwrap()).unwrap();
        c.goto(&format!("{base}/checkin")).await.unwrap();
        std::fs::write(dir.join("checkin.png"), c.screenshot().await.unwrap()).unwrap();
        c.set_window_size(390, 2400).await.unwrap();
        for (page, name) in [
            ("/", "overview-phone.png"),
            ("/checkin", "checkin-phone.png"),
        ] {
            c.goto(&format!("{base}{page}")).await.unwrap();
            std::fs::write(dir.join(name), c.screenshot().await.unwrap()).unwrap();
        }
        c.set_window_size(1280, 1500).await.unwrap();
    }

    // Enrolment code from the devices page.
    c.goto(&format!("{base}/devices")).await.unwrap();
    type_into(&c, "input[name=user]", "社工张敏").await;
    press(&c, "enrol").await;
    let code = c
        .wait()
        .for_element(Locator::Id("code"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        code.chars().filter(|c| c.is_ascii_alphanumeric()).count(),
        10,
        "{code}"
    );
    assert!(
        c.find(Locator::Css("#enrolment svg")).await.is_ok(),
        "the code as a QR"
    );

    // Downloads, fetched by the page itself with its session.
    // A synchronous request from the page, with its cookies; bytes read as x-user-defined.
    let fetch = r#"
        const [url, method, withCsrf] = arguments;
        const x = new XMLHttpRequest();
        x.open(method, url, false);
        x.overrideMimeType('text/plain; charset=x-user-defined');
        let body = null;
        if (method === 'POST') {
            const f = new FormData(document.querySelector('#sheet'));
            if (!withCsrf) f.delete('csrf');
            f.set('building', '1栋');
            body = new URLSearchParams(f).toString();
            x.setRequestHeader('content-type', 'application/x-www-form-urlencoded');
        }
        x.send(body);
        const t = x.responseText;
        const head = [];
        for (let i = 0; i < Math.min(4, t.length); i++) head.push(t.charCodeAt(i) & 0xff);
        return { status: x.status, type: x.getResponseHeader('content-type'), head, size: t.length };
    "#;
    c.goto(&format!("{base}/exports")).await.unwrap();
    let r: Value = c
        .execute(
            fetch,
            vec![
                json!("/export?kind=needs&from=2000-01-01&to=2100-01-01&format=xlsx"),
                json!("GET"),
                json!(true),
            ],
        )
        .await
        .unwrap();
    assert_eq!(r["status"], 200);
    assert_eq!(r["head"], json!([0x50, 0x4b, 3, 4]), "an XLSX (zip) file");
    c.goto(&format!("{base}/passes")).await.unwrap();
    let r: Value = c
        .execute(
            fetch,
            vec![json!("/passes/sheet"), json!("POST"), json!(true)],
        )
        .await
        .unwrap();
    assert_eq!(r["status"], 200);
    assert_eq!(r["type"], "application/pdf");
    assert_eq!(r["head"], json!([0x25, 0x50, 0x44, 0x46]), "%PDF");
    // The same form without its CSRF token is refused.
    let r: Value = c
        .execute(
            fetch,
            vec![json!("/passes/sheet"), json!("POST"), json!(false)],
        )
        .await
        .unwrap();
    assert_eq!(r["status"], 403);

    // On a phone-width screen no page needs sideways scrolling (wide tables scroll in
    // their own box).
    c.set_window_size(390, 844).await.unwrap();
    for page in ["/", "/checkin", "/deliveries", "/devices"] {
        c.goto(&format!("{base}{page}")).await.unwrap();
        let fits: Value = c
            .execute(
                "return document.documentElement.scrollWidth <= window.innerWidth + 1",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(fits, json!(true), "{page} at phone width");
    }
    c.close().await.unwrap();
}
