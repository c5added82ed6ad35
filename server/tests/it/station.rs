//! The station dashboard over real HTTP on loopback and real SQLite files: login,
//! sessions and CSRF, every page, exports and pass sheets, with figures checked against
//! counts taken straight from the database.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use doorstep_core::sync::Role;
use doorstep_core::visits::{NeedCategory, NeedStatus, NewNeed, Subject, Urgency};
use doorstep_core::Cancel;
use doorstep_server::station::{self, Station};
use doorstep_server::stats::{self, LedgerKind};
use doorstep_server::sync::enrol::{self, CodeRequest};
use doorstep_server::{demo, export, storage, AppState};
use rusqlite::Connection;

use crate::common;
use common::Backend;

const DAY_MS: i64 = 86_400_000;
const ADMIN: (&str, &str) = ("admin", "correct horse");

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis() as i64
}

/// One demo station for the whole file, made once.
fn fixture() -> &'static Path {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        let key = station::store_key(&data).expect("key");
        demo::fill_sized(&data.join("station.db"), &key, now_ms(), 400).expect("demo");
        let st = Station::open(&data).expect("open");
        st.admins
            .put(ADMIN.0, ADMIN.1, &[], now_ms())
            .expect("admin");
        st.admins
            .put(
                "grid",
                "grid-password",
                &["武昌区/中南路街道/丽岛社区".to_string()],
                now_ms(),
            )
            .expect("sub-admin");
        // The server storage's tables are made by the first open; the tests then open
        // it side by side.
        let at = data.clone();
        std::thread::spawn(move || {
            tokio::runtime::Runtime::new()
                .expect("runtime")
                .block_on(storage::open(&at, None))
                .map(|_| ())
                .expect("storage")
        })
        .join()
        .expect("storage opened");
        (dir, data)
    })
    .1
}

/// The database read directly, for counts taken independently of the pages.
fn db(data: &Path) -> Connection {
    let key = station::store_key(data).expect("key");
    doorstep_core::store::open(&data.join("station.db"), &key).expect("open db")
}

fn count(c: &Connection, sql: &str, p: impl rusqlite::Params) -> u64 {
    c.query_row(sql, p, |r| r.get::<_, i64>(0)).expect(sql) as u64
}

struct Server {
    base: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn serve(data: &Path) -> Server {
    let store = storage::open(data, None).await.expect("storage");
    let st = Arc::new(Station::open(data).expect("station"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(station::serve_on(
        listener,
        AppState::new(store),
        st,
        async {
            let _ = rx.await;
        },
    ));
    Server {
        base: format!("http://{addr}"),
        _stop: tx,
    }
}

/// A client that keeps cookies and does not follow redirects.
struct Browser {
    http: reqwest::Client,
    base: String,
    cookies: HashMap<String, String>,
}

impl Browser {
    fn new(base: &str) -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            base: base.to_string(),
            cookies: HashMap::new(),
        }
    }

    fn keep(&mut self, r: &reqwest::Response) {
        for v in r.headers().get_all("set-cookie") {
            let v = v.to_str().expect("ascii cookie");
            let pair = v.split(';').next().expect("a pair");
            let (k, val) = pair.split_once('=').expect("k=v");
            self.cookies.insert(k.to_string(), val.to_string());
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn get(&mut self, path: &str) -> reqwest::Response {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .expect("GET");
        self.keep(&r);
        r
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let body: String = form
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("POST");
        self.keep(&r);
        r
    }

    async fn text(&mut self, path: &str) -> String {
        let r = self.get(path).await;
        assert_eq!(r.status(), 200, "GET {path}");
        r.text().await.expect("body")
    }

    async fn login(&mut self, name: &str, password: &str) -> reqwest::Response {
        let page = self.text("/login").await;
        let csrf = csrf_of(&page);
        self.post(
            "/login",
            &[("name", name), ("password", password), ("csrf", &csrf)],
        )
        .await
    }

    /// The CSRF token of the session, read from a page's form.
    async fn csrf(&mut self) -> String {
        csrf_of(&self.text("/devices").await)
    }
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn csrf_of(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    page[at..at + 32].to_string()
}

/// The number in the element with this id.
fn figure(page: &str, id: &str) -> u64 {
    let at = page
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}"));
    let start = at + page[at..].find('>').expect("tag end") + 1;
    let end = start + page[start..].find('<').expect("next tag");
    page[start..end]
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("#{id} is not a number"))
}

/// The local day's start in China time.
fn china_day_start(at: i64) -> i64 {
    let off = 480 * 60_000;
    (at + off).div_euclid(DAY_MS) * DAY_MS - off
}

#[tokio::test(flavor = "multi_thread")]
async fn overview_figures_equal_counts_from_the_database() {
    let data = fixture();
    let server = serve(data).await;
    let mut b = Browser::new(&server.base);
    let r = b.login(ADMIN.0, ADMIN.1).await;
    assert_eq!(r.status(), 303);
    let page = b.text("/").await;
    let c = db(data);
    let today = china_day_start(now_ms());
    assert_eq!(
        figure(&page, "residents"),
        count(&c, "SELECT count(*) FROM resident WHERE _deleted = 0", [])
    );
    assert_eq!(figure(&page, "residents"), 400);
    let visits = "SELECT count(*) FROM visit WHERE _deleted = 0 AND supersedes IS NULL AND finished_at >= ?1 AND finished_at < ?2";
    assert_eq!(
        figure(&page, "visits-today"),
        count(&c, visits, [today, today + DAY_MS])
    );
    assert_eq!(
        figure(&page, "visits-week"),
        count(&c, visits, [today - 6 * DAY_MS, today + DAY_MS])
    );
    assert!(figure(&page, "visits-week") > 0);
    assert_eq!(
        figure(&page, "open-needs"),
        count(
            &c,
            "SELECT count(*) FROM need WHERE _deleted = 0 AND status IN ('open', 'in_progress')",
            []
        )
    );
    assert_eq!(
        figure(&page, "referrals-open"),
        count(
            &c,
            "SELECT count(*) FROM referral WHERE _deleted = 0 AND status IN ('sent', 'accepted')",
            []
        )
    );
    // Residents by tag: the elderly living alone, counted row by row here.
    let mut stmt = c
        .prepare("SELECT tags FROM resident WHERE _deleted = 0")
        .unwrap();
    let alone = stmt
        .query_map([], |r| r.get::<_, Option<String>>(0))
        .unwrap()
        .filter(|t| {
            t.as_ref()
                .unwrap()
                .as_deref()
                .is_some_and(|t| t.contains("\"elderly_alone\""))
        })
        .count() as u64;
    let row = page
        .find("data-code=\"elderly_alone\"")
        .expect("a row for elderly_alone");
    let cell = &page[row..];
    let n = cell.find("class=\"num\">").expect("count cell") + 12;
    let got: u64 = cell[n..n + cell[n..].find('<').unwrap()].parse().unwrap();
    assert_eq!(got, alone);
    assert!(page.contains("独居老人"), "labels are Chinese by default");
    // The English switch.
    let r = b.get("/lang?to=en").await;
    assert_eq!(r.status(), 303);
    let en = b.text("/").await;
    assert!(en.contains("Visits today") && en.contains("lang=\"en\""));
}

#[tokio::test(flavor = "multi_thread")]
async fn login_refuses_a_wrong_password_and_a_missing_csrf_token() {
    let data = fixture();
    let server = serve(data).await;
    let mut b = Browser::new(&server.base);
    // Not signed in: the dashboard sends to the login page.
    let r = b.get("/").await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login");
    let r = b.get("/login").await;
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let r = b.login(ADMIN.0, "wrong password").await;
    assert_eq!(r.status(), 401);
    assert!(!b.cookies.contains_key("ds_session"));
    // The right password without the login form's token.
    let r = b
        .post("/login", &[("name", ADMIN.0), ("password", ADMIN.1)])
        .await;
    assert_eq!(r.status(), 403);
    assert!(!b.cookies.contains_key("ds_session"));
    let r = b.login(ADMIN.0, ADMIN.1).await;
    assert_eq!(r.status(), 303);
    let session = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        session.starts_with("ds_session=")
            && session.contains("HttpOnly")
            && session.contains("SameSite=Strict")
    );
    // A form posted without the session's CSRF token is refused and changes nothing.
    let r = b
        .post(
            "/devices/enrol",
            &[("user", "张敏"), ("role", "social_worker")],
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = b
        .post(
            "/devices/enrol",
            &[
                ("user", "张敏"),
                ("role", "social_worker"),
                ("csrf", "00000000000000000000000000000000"),
            ],
        )
        .await;
    assert_eq!(r.status(), 403);
    let csrf = b.csrf().await;
    let r = b.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(b.get("/").await.status(), 303, "logged out");
}

#[tokio::test(flavor = "multi_thread")]
async fn area_and_checkin_pages_show_what_the_database_holds() {
    let data = fixture();
    let server = serve(data).await;
    let mut b = Browser::new(&server.base);
    b.login(ADMIN.0, ADMIN.1).await;
    let c = db(data);
    let (area_id, path): (String, String) = c
        .query_row(
            "SELECT id, path FROM area WHERE path = '武昌区/中南路街道/丽岛社区'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let page = b.text(&format!("/area?area={area_id}")).await;
    let under = "SELECT id FROM area WHERE path = ?1 OR path LIKE ?1 || '/%'";
    assert_eq!(
        figure(&page, "needs-count"),
        count(&c, &format!("SELECT count(*) FROM need WHERE _deleted = 0 AND status IN ('open', 'in_progress') AND area_id IN ({under})"), [&path])
    );
    assert_eq!(
        figure(&page, "referrals-count"),
        count(
            &c,
            &format!("SELECT count(*) FROM referral WHERE _deleted = 0 AND area_id IN ({under})"),
            [&path]
        )
    );
    assert!(page.contains("id=\"due\""));
    let page = b.text("/checkin").await;
    assert_eq!(
        figure(&page, "awaiting"),
        count(&c, "SELECT count(*) FROM tube WHERE _deleted = 0 AND status = 'sealed' AND (result IS NULL OR result = 'pending')", [])
    );
    let positive = count(
        &c,
        "SELECT count(*) FROM tube WHERE result = 'positive'",
        [],
    );
    assert_eq!(page.matches("class=\"recall\"").count() as u64, positive);
    for p in ["/deliveries", "/passes", "/exports", "/devices"] {
        let page = b.text(p).await;
        assert!(page.contains("name=\"viewport\""), "{p} fits a phone");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_enrolment_code_from_the_dashboard_enrols_a_phone() {
    let data = fixture();
    let server = serve(data).await;
    let mut b = Browser::new(&server.base);
    b.login(ADMIN.0, ADMIN.1).await;
    let csrf = b.csrf().await;
    let area: String = db(data)
        .query_row(
            "SELECT id FROM area WHERE path = '武昌区/中南路街道/丽岛社区/第1网格'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let r = b
        .post(
            "/devices/enrol",
            &[
                ("csrf", &csrf),
                ("user", "社工张敏"),
                ("role", "social_worker"),
                ("area", &area),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("<svg"), "the code is shown as a QR too");
    let at = page.find("id=\"code\"").unwrap();
    let start = at + page[at..].find('>').unwrap() + 1;
    let code = page[start..start + page[start..].find('<').unwrap()].to_string();
    let phone_dir = tempfile::tempdir().unwrap();
    let phone = doorstep_core::Doorstep::open(phone_dir.path().join("p.db"), &[7u8; 32]).unwrap();
    let e = phone
        .enrol(&server.base, &code)
        .await
        .expect("the code enrols a phone");
    assert_eq!(
        e.areas,
        vec!["武昌区/中南路街道/丽岛社区/第1网格".to_string()]
    );
    // Revoking it from the dashboard.
    let r = b
        .post(
            "/devices/revoke",
            &[("csrf", &csrf), ("device", &e.device_id)],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(
        phone.sync(None).await.is_err(),
        "a revoked phone cannot sync"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn exports_hold_the_rows_of_the_range_and_pseudonyms_hide_names() {
    let data = fixture();
    let server = serve(data).await;
    let mut b = Browser::new(&server.base);
    b.login(ADMIN.0, ADMIN.1).await;
    let c = db(data);
    let day = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms + 480 * 60_000)
            .unwrap()
            .format("%Y-%m-%d")
            .to_string()
    };
    let (from, to) = (day(now_ms() - 6 * DAY_MS), day(now_ms()));
    let start = china_day_start(now_ms()) - 6 * DAY_MS;
    let end = china_day_start(now_ms()) + DAY_MS;
    for (kind, sql) in [
        ("visits", "SELECT count(*) FROM visit WHERE _deleted = 0 AND finished_at >= ?1 AND finished_at < ?2"),
        ("needs", "SELECT count(*) FROM need WHERE _deleted = 0 AND raised_at >= ?1 AND raised_at < ?2"),
        ("referrals", "SELECT count(*) FROM referral WHERE _deleted = 0 AND created_at >= ?1 AND created_at < ?2"),
        ("checkins", "SELECT count(*) FROM check_in WHERE _deleted = 0 AND at >= ?1 AND at < ?2"),
    ] {
        let r = b.get(&format!("/export?kind={kind}&from={from}&to={to}&format=csv")).await;
        assert_eq!(r.status(), 200, "{kind}");
        let bytes = r.bytes().await.unwrap();
        assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "{kind}: UTF-8 BOM");
        let text = std::str::from_utf8(&bytes[3..]).unwrap();
        let rows = text.lines().count() as u64 - 1;
        assert_eq!(rows, count(&c, sql, [start, end]), "{kind}");
        assert!(text.starts_with("编号,时间"));
        let r = b.get(&format!("/export?kind={kind}&from={from}&to={to}&format=xlsx")).await;
        assert_eq!(r.status(), 200);
        assert_eq!(&r.bytes().await.unwrap()[..2], b"PK", "{kind}: an XLSX is a zip");
    }
    // Pseudonyms: no real name is left, and one person keeps one pseudonym.
    let plain = b
        .get(&format!(
            "/export?kind=visits&from={from}&to={to}&format=csv"
        ))
        .await
        .text()
        .await
        .unwrap();
    let pseudo = b
        .get(&format!(
            "/export?kind=visits&from={from}&to={to}&format=csv&pseudo=1"
        ))
        .await
        .text()
        .await
        .unwrap();
    let again = b
        .get(&format!(
            "/export?kind=visits&from={from}&to={to}&format=csv&pseudo=1"
        ))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(pseudo, again, "stable pseudonyms");
    let names: Vec<String> = c
        .prepare("SELECT DISTINCT r.name FROM visit v JOIN resident r ON r.id = v.resident_id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|n| n.unwrap())
        .collect();
    assert!(!names.is_empty());
    assert!(names.iter().any(|n| plain.contains(n.as_str())));
    for n in &names {
        assert!(
            !pseudo.contains(&format!(",{n},")),
            "{n} left in a pseudonymised export"
        );
    }
    assert!(pseudo.contains("居民"));
    // Bad input gets a clear refusal.
    let r = b
        .get("/export?kind=parcels&from=2022-04-01&to=2022-04-02")
        .await;
    assert_eq!(r.status(), 400);
    let r = b
        .get("/export?kind=visits&from=yesterday&to=2022-04-02")
        .await;
    assert_eq!(r.status(), 400);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pass_sheet_is_a_pdf_with_a_pass_for_each_resident_chosen() {
    let data = fixture();
    let server = serve(data).await;
    let mut b = Browser::new(&server.base);
    b.login(ADMIN.0, ADMIN.1).await;
    let csrf = b.csrf().await;
    let c = db(data);
    let (area, path): (String, String) = c
        .query_row("SELECT a.id, a.path FROM area a JOIN building b ON b.area_id = a.id WHERE b.name = '1栋'", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    let _ = path;
    let before = count(&c, "SELECT count(*) FROM pass", []);
    let r = b
        .post(
            "/passes/sheet",
            &[
                ("csrf", &csrf),
                ("area", &area),
                ("building", "1栋"),
                ("days", "7"),
            ],
        )
        .await;
    let status = r.status();
    let content_type = r.headers()["content-type"].clone();
    let body = r.bytes().await.unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(content_type, "application/pdf");
    assert!(body.starts_with(b"%PDF"));
    let in_building = count(
        &c,
        "SELECT count(*) FROM resident r JOIN household h ON h.id = r.household_id JOIN building b ON b.id = h.building_id WHERE b.name = '1栋' AND r._deleted = 0",
        [],
    );
    assert!(in_building > 0);
    assert_eq!(
        count(&c, "SELECT count(*) FROM pass", []),
        before + in_building
    );
    let r = b
        .post(
            "/passes/sheet",
            &[("csrf", &csrf), ("area", &area), ("building", "99栋")],
        )
        .await;
    assert_eq!(r.status(), 400);
    let r = b.post("/passes/sheet", &[("area", &area)]).await;
    assert_eq!(r.status(), 403);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sub_admin_sees_only_their_areas() {
    let data = fixture();
    let server = serve(data).await;
    let mut b = Browser::new(&server.base);
    assert_eq!(b.login("grid", "grid-password").await.status(), 303);
    let c = db(data);
    let page = b.text("/").await;
    let mine = "武昌区/中南路街道/丽岛社区";
    assert_eq!(
        figure(&page, "residents"),
        count(&c, "SELECT count(*) FROM resident r JOIN household h ON h.id = r.household_id JOIN area a ON a.id = h.area_id WHERE r._deleted = 0 AND (a.path = ?1 OR a.path LIKE ?1 || '/%')", [mine])
    );
    assert!(figure(&page, "residents") < 400);
    let other: String = c
        .query_row(
            "SELECT id FROM area WHERE path = '武昌区/水果湖街道'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(b.get(&format!("/?area={other}")).await.status(), 403);
    assert_eq!(
        b.get(&format!(
            "/export?kind=visits&area={other}&from=2022-01-01&to=2030-01-01"
        ))
        .await
        .status(),
        403
    );
    assert_eq!(
        b.get("/export?kind=checkins&from=2022-01-01&to=2030-01-01")
            .await
            .status(),
        403,
        "check-ins are station-wide"
    );
}

/// The rows of a table on a page: each row's `data-code` and its cells' text.
fn table_rows(page: &str, id: &str) -> Vec<(String, Vec<String>)> {
    let at = page
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no table #{id}"));
    let table = &page[at..at + page[at..].find("</table>").expect("table end")];
    table
        .split("<tr")
        .skip(1)
        .filter_map(|row| {
            let code = row
                .split_once("data-code=\"")?
                .1
                .split('"')
                .next()?
                .to_string();
            let cells = row
                .split("<td")
                .skip(1)
                .map(|c| {
                    let text = &c[c.find('>').expect("cell start") + 1..];
                    text[..text.find("</td>").expect("cell end")].to_string()
                })
                .collect();
            Some((code, cells))
        })
        .collect()
}

fn num(cell: &str) -> u64 {
    cell.trim()
        .parse()
        .unwrap_or_else(|_| panic!("{cell:?} is not a number"))
}

#[tokio::test(flavor = "multi_thread")]
async fn deliveries_page_figures_equal_counts_from_the_database() {
    let data = fixture();
    let server = serve(data).await;
    let mut b = Browser::new(&server.base);
    b.login(ADMIN.0, ADMIN.1).await;
    let page = b.text("/deliveries").await;
    let c = db(data);
    let today = china_day_start(now_ms());
    let (week, end) = (today - 6 * DAY_MS, today + DAY_MS);

    // Packages by state, every state listed.
    let rows = table_rows(&page, "packages");
    assert_eq!(rows.len(), 7);
    let mut shown = 0;
    for (status, cells) in &rows {
        let n = count(
            &c,
            "SELECT count(*) FROM delivery_package WHERE _deleted = 0 AND status = ?1",
            [status],
        );
        assert_eq!(num(&cells[1]), n, "packages {status}");
        shown += n;
    }
    assert_eq!(
        shown,
        count(
            &c,
            "SELECT count(*) FROM delivery_package WHERE _deleted = 0",
            []
        )
    );
    let delivered = rows.iter().find(|(s, _)| s == "delivered").unwrap();
    assert!(num(&delivered.1[1]) > 0, "the demo delivered packages");
    assert!(page.contains("已送达"), "states in Chinese by default");
    assert_eq!(
        figure(&page, "packages-out"),
        count(
            &c,
            "SELECT count(*) FROM delivery_package WHERE status = 'out_for_delivery'",
            []
        )
    );

    // Failures by reason, from the handoffs.
    let failed = "SELECT count(*) FROM handoff WHERE _deleted = 0 AND status = 'failed' AND reason = ?1 AND at >= ?2 AND at < ?3";
    let rows = table_rows(&page, "failures");
    assert!(!rows.is_empty(), "the demo has failed deliveries");
    for (reason, cells) in &rows {
        assert_eq!(
            num(&cells[1]),
            count(&c, failed, rusqlite::params![reason, today, end])
        );
        assert_eq!(
            num(&cells[2]),
            count(&c, failed, rusqlite::params![reason, week, end])
        );
    }
    assert_eq!(
        rows.iter().map(|(_, c)| num(&c[2])).sum::<u64>(),
        count(
            &c,
            "SELECT count(*) FROM handoff WHERE status = 'failed' AND at >= ?1 AND at < ?2",
            [week, end]
        )
    );
    assert_eq!(
        figure(&page, "failed-today"),
        count(
            &c,
            "SELECT count(*) FROM handoff WHERE status = 'failed' AND at >= ?1 AND at < ?2",
            [today, end]
        )
    );
    assert_eq!(
        figure(&page, "delivered-today"),
        count(&c, "SELECT count(*) FROM handoff WHERE status IN ('delivered', 'partly_delivered') AND at >= ?1 AND at < ?2", [today, end])
    );
    let open = count(
        &c,
        "SELECT count(*) FROM delivery_request WHERE _deleted = 0 AND status != 'delivered'",
        [],
    );
    assert_eq!(figure(&page, "requests-open"), open);
    assert_eq!(figure(&b.text("/").await, "requests-open"), open);

    // Stock: each item's balance summed here from its movements.
    let mut balance: HashMap<String, i64> = HashMap::new();
    let mut stmt = c
        .prepare("SELECT item_key, quantity FROM stock_move WHERE _deleted = 0")
        .unwrap();
    for row in stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
        .unwrap()
    {
        let (k, q) = row.unwrap();
        *balance.entry(k).or_default() += q;
    }
    let rows = table_rows(&page, "stock");
    assert_eq!(rows.len(), balance.len());
    for (key, cells) in &rows {
        assert_eq!(num(&cells[4]) as i64, balance[key], "stock of {key}");
    }
    assert!(page.contains("大米"), "items in words");

    // Items delivered in the week, summed here from the handoffs' item lists.
    let mut week_items: HashMap<String, i64> = HashMap::new();
    let mut stmt = c
        .prepare("SELECT items FROM handoff WHERE status IN ('delivered', 'partly_delivered') AND at >= ?1 AND at < ?2")
        .unwrap();
    for items in stmt
        .query_map([week, end], |r| r.get::<_, String>(0))
        .unwrap()
    {
        let items: serde_json::Value = serde_json::from_str(&items.unwrap()).unwrap();
        for l in items.as_array().unwrap() {
            let key = match (l.get("name"), l.get("dose")) {
                (Some(n), Some(d)) => format!(
                    "{}/{}/{}",
                    l["item"].as_str().unwrap(),
                    n.as_str().unwrap(),
                    d.as_str().unwrap()
                ),
                _ => l["item"].as_str().unwrap().to_string(),
            };
            *week_items.entry(key).or_default() += l["quantity"].as_i64().unwrap();
        }
    }
    let rows = table_rows(&page, "delivered");
    assert_eq!(rows.len(), week_items.len());
    for (key, cells) in &rows {
        assert_eq!(num(&cells[2]) as i64, week_items[key], "{key} delivered");
    }

    // English, and a sub-admin sees their areas only.
    b.get("/lang?to=en").await;
    let en = b.text("/deliveries").await;
    assert!(en.contains("Packages by state") && en.contains("Rice"));
    let mut g = Browser::new(&server.base);
    g.login("grid", "grid-password").await;
    let mine = "武昌区/中南路街道/丽岛社区";
    let theirs = g.text("/deliveries").await;
    let in_area = "SELECT count(*) FROM delivery_package p JOIN area a ON a.id = p.area_id WHERE p._deleted = 0 AND p.status = ?1 AND (a.path = ?2 OR a.path LIKE ?2 || '/%')";
    for (status, cells) in table_rows(&theirs, "packages") {
        assert_eq!(num(&cells[1]), count(&c, in_area, [status.as_str(), mine]));
    }
    assert!(
        count(&c, "SELECT count(*) FROM delivery_package p JOIN area a ON a.id = p.area_id WHERE a.path NOT LIKE ?1 || '%'", [mine]) > 0,
        "some packages lie outside the sub-admin's areas"
    );
    let other: String = c
        .query_row(
            "SELECT id FROM area WHERE path = '武昌区/水果湖街道'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        g.get(&format!("/deliveries?area={other}")).await.status(),
        403
    );
}

async fn deliveries_export(b: &mut Browser, from: &str, to: &str, query: &str) -> Vec<u8> {
    let url = format!("/export?kind=deliveries&from={from}&to={to}{query}");
    let r = b.get(&url).await;
    assert_eq!(r.status(), 200, "{url}");
    r.bytes().await.unwrap().to_vec()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_deliveries_export_holds_every_handoff_of_the_range() {
    let data = fixture();
    let server = serve(data).await;
    let mut b = Browser::new(&server.base);
    b.login(ADMIN.0, ADMIN.1).await;
    let c = db(data);
    let day = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms + 480 * 60_000)
            .unwrap()
            .format("%Y-%m-%d")
            .to_string()
    };
    let (from, to) = (day(now_ms() - 3 * DAY_MS), day(now_ms()));
    let (start, end) = (
        china_day_start(now_ms()) - 3 * DAY_MS,
        china_day_start(now_ms()) + DAY_MS,
    );
    let csv = deliveries_export(&mut b, &from, &to, "&format=csv").await;
    assert!(csv.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8(csv[3..].to_vec()).unwrap();
    let handoffs = count(
        &c,
        "SELECT count(*) FROM handoff WHERE _deleted = 0 AND at >= ?1 AND at < ?2",
        [start, end],
    );
    assert!(handoffs > 0);
    assert_eq!(text.lines().count() as u64 - 1, handoffs);
    let head = text.lines().next().unwrap();
    assert!(head.starts_with("编号,时间,区域") && head.contains("物品") && head.contains("凭证"));
    assert!(!text.contains("\"item\""), "item lists in words, not JSON");
    let delivered_rows = text.lines().filter(|l| l.contains(",delivered,")).count() as u64;
    assert_eq!(
        delivered_rows,
        count(
            &c,
            "SELECT count(*) FROM handoff WHERE status = 'delivered' AND at >= ?1 AND at < ?2",
            [start, end]
        )
    );
    // The names of residents whose needs were delivered to, and their pseudonyms.
    let names: Vec<String> = c
        .prepare(
            "SELECT DISTINCT r.name FROM handoff x JOIN delivery_package p ON p.id = x.package_id
             JOIN delivery_request q ON q.id = p.request_id JOIN need n ON n.id = q.need_id
             JOIN resident r ON r.id = n.resident_id WHERE x.at >= ?1 AND x.at < ?2",
        )
        .unwrap()
        .query_map([start, end], |r| r.get(0))
        .unwrap()
        .map(|n| n.unwrap())
        .collect();
    assert!(!names.is_empty());
    assert!(names.iter().any(|n| text.contains(&format!(",{n},"))));
    let pseudo =
        String::from_utf8(deliveries_export(&mut b, &from, &to, "&format=csv&pseudo=1").await)
            .unwrap();
    for n in &names {
        assert!(
            !pseudo.contains(&format!(",{n},")),
            "{n} left in a pseudonymised export"
        );
    }
    assert_eq!(pseudo.lines().count(), text.lines().count());
    assert!(deliveries_export(&mut b, &from, &to, "&format=xlsx")
        .await
        .starts_with(b"PK"));

    // A sub-admin exports the handoffs of their areas' packages only.
    let mut g = Browser::new(&server.base);
    g.login("grid", "grid-password").await;
    let theirs =
        String::from_utf8(deliveries_export(&mut g, &from, &to, "&format=csv").await).unwrap();
    let mine = count(
        &c,
        "SELECT count(*) FROM handoff x JOIN delivery_package p ON p.id = x.package_id JOIN area a ON a.id = p.area_id
         WHERE x.at >= ?1 AND x.at < ?2 AND (a.path = ?3 OR a.path LIKE ?3 || '/%')",
        rusqlite::params![start, end, "武昌区/中南路街道/丽岛社区"],
    );
    assert_eq!(theirs.lines().count() as u64 - 1, mine);
    assert!(mine < handoffs);
    let page = b.text("/exports").await;
    assert!(page.contains("value=\"deliveries\""), "the form offers it");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_station_pushes_its_deliveries_and_the_server_keeps_them() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let key = station::store_key(&data).unwrap();
    demo::fill_sized(&data.join("station.db"), &key, now_ms(), 120).unwrap();
    let store = storage::open(&data, None).await.unwrap();
    let st = Arc::new(Station::open(&data).unwrap());
    let (addr, _server) = doorstep_server::spawn_local(AppState::new(store.clone()))
        .await
        .unwrap();
    st.enrol_self(store.as_ref(), &format!("http://{addr}"))
        .await
        .unwrap();
    let report = st.catch_up().await.unwrap();
    assert_eq!(report.rejected, 0);
    assert_eq!(
        report.pending, 0,
        "every op placed and stored, none left waiting"
    );
    let handoffs = count(&db(&data), "SELECT count(*) FROM handoff", []);
    assert!(handoffs > 0);
    let stored = rusqlite::Connection::open(data.join("doorstep.db")).unwrap();
    assert_eq!(
        count(
            &stored,
            "SELECT count(*) FROM op WHERE entity = 'handoff'",
            []
        ),
        handoffs
    );
    assert!(
        count(
            &stored,
            "SELECT count(*) FROM op WHERE entity = 'stock_move' AND area = ''",
            []
        ) > 0
    );
}

/// A small station of its own, for a test that changes what others count.
fn fresh_station(residents: usize) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let key = station::store_key(&data).expect("key");
    demo::fill_sized(&data.join("station.db"), &key, now_ms(), residents).expect("demo");
    let st = Station::open(&data).expect("open");
    st.admins
        .put(ADMIN.0, ADMIN.1, &[], now_ms())
        .expect("admin");
    st.admins
        .put(
            "grid",
            "grid-password",
            &["武昌区/中南路街道/丽岛社区".to_string()],
            now_ms(),
        )
        .expect("sub-admin");
    (dir, data)
}

/// The `data-code` and `data-id` of the row of table `id` that mentions `text`.
fn row_with(page: &str, table: &str, text: &str) -> Option<(String, String)> {
    let at = page.find(&format!("id=\"{table}\""))?;
    let table = &page[at..at + page[at..].find("</table>")?];
    let row = table.split("<tr").find(|r| r.contains(text))?;
    let attr = |name: &str| {
        row.split_once(&format!("{name}=\""))
            .and_then(|(_, rest)| rest.split('"').next())
            .map(str::to_string)
    };
    Some((attr("data-code")?, attr("data-id")?))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_devices_page_lists_codes_issued_and_cancels_one_not_used() {
    let (_dir, data) = fresh_station(400);
    let server = serve(&data).await;
    let mut b = Browser::new(&server.base);
    b.login(ADMIN.0, ADMIN.1).await;
    let csrf = b.csrf().await;
    let c = db(&data);
    let area = |path: &str| -> String {
        c.query_row("SELECT id FROM area WHERE path = ?1", [path], |r| r.get(0))
            .unwrap_or_else(|e| panic!("{path}: {e}"))
    };
    let mut codes = Vec::new();
    for (user, path) in [
        ("社工周洁", "武昌区/中南路街道/丽岛社区/第1网格"),
        ("社工吴磊", "武昌区/中南路街道/丽岛社区"),
        ("社工郑芳", "武昌区/水果湖街道"),
    ] {
        let area = area(path);
        let form = [
            ("csrf", csrf.as_str()),
            ("user", user),
            ("role", "social_worker"),
            ("area", area.as_str()),
        ];
        let r = b.post("/devices/enrol", &form).await;
        assert_eq!(r.status(), 200);
        let page = r.text().await.unwrap();
        let at = page.find("id=\"code\"").unwrap();
        let start = at + page[at..].find('>').unwrap() + 1;
        codes.push(page[start..start + page[start..].find('<').unwrap()].to_string());
    }
    // Issued codes are listed before any phone uses them, with their user, role and area.
    let page = b.text("/devices").await;
    let (state, zhou) = row_with(&page, "codes", "社工周洁").expect("the code is listed");
    assert_eq!(state, "unused");
    assert!(page.contains("武昌区/中南路街道/丽岛社区/第1网格") && page.contains("未使用"));
    let stored: u64 = {
        let s = rusqlite::Connection::open(data.join("doorstep.db")).unwrap();
        count(
            &s,
            "SELECT count(*) FROM enrolment WHERE user_id <> 'station'",
            [],
        )
    };
    assert_eq!(figure(&page, "codes-count"), stored);
    assert_eq!(stored, 3);

    // A phone enrols with the second code: the code is used, the phone listed at once.
    let phone_dir = tempfile::tempdir().unwrap();
    let phone = doorstep_core::Doorstep::open(phone_dir.path().join("p.db"), &[7u8; 32]).unwrap();
    let e = phone.enrol(&server.base, &codes[1]).await.unwrap();
    let page = b.text("/devices").await;
    assert_eq!(row_with(&page, "codes", "社工吴磊").unwrap().0, "used");
    assert_eq!(
        row_with(&page, "devices", &e.device_id).unwrap(),
        ("active".to_string(), e.device_id.clone()),
        "a phone that never synced is listed"
    );

    // Cancelling: the code no longer enrols; twice, or without the CSRF token, is refused.
    let r = b.post("/devices/cancel", &[("id", zhou.as_str())]).await;
    assert_eq!(r.status(), 403);
    let r = b
        .post("/devices/cancel", &[("csrf", &csrf), ("id", &zhou)])
        .await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"cancelled\""));
    assert_eq!(row_with(&page, "codes", "社工周洁").unwrap().0, "cancelled");
    let other = doorstep_core::Doorstep::open(phone_dir.path().join("q.db"), &[7u8; 32]).unwrap();
    let err = other.enrol(&server.base, &codes[0]).await.unwrap_err();
    assert!(err.to_string().contains("cancelled"), "{err}");
    let r = b
        .post("/devices/cancel", &[("csrf", &csrf), ("id", &zhou)])
        .await;
    assert_eq!(r.status(), 409);

    // A sub-admin sees the codes and phones of their areas, and cancels only those.
    let mut g = Browser::new(&server.base);
    g.login("grid", "grid-password").await;
    let theirs = g.text("/devices").await;
    assert!(row_with(&theirs, "codes", "社工吴磊").is_some());
    assert!(row_with(&theirs, "devices", &e.device_id).is_some());
    assert!(
        row_with(&theirs, "codes", "社工郑芳").is_none(),
        "another street's code"
    );
    let (_, zheng) = row_with(&page, "codes", "社工郑芳").unwrap();
    let gcsrf = csrf_of(&theirs);
    let r = g
        .post("/devices/cancel", &[("csrf", &gcsrf), ("id", &zheng)])
        .await;
    assert_eq!(r.status(), 404);
    assert!(phone.sync(None).await.is_ok());
    let r = g
        .post(
            "/devices/revoke",
            &[("csrf", &gcsrf), ("device", &e.device_id)],
        )
        .await;
    assert_eq!(r.status(), 403, "only the station admin revokes");

    // The station admin revokes the phone from its row.
    let r = b
        .post(
            "/devices/revoke",
            &[("csrf", &csrf), ("device", &e.device_id)],
        )
        .await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert_eq!(
        row_with(&page, "devices", &e.device_id).unwrap().0,
        "revoked"
    );
    assert!(phone.sync(None).await.is_err());
}

/// The cells of an XLSX's first sheet by row, as text (inline strings, as the exports
/// write them; a shared-string cell fails the test).
fn xlsx_cells(bytes: &[u8]) -> Vec<Vec<String>> {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    let mut xml = String::new();
    zip.by_name("xl/worksheets/sheet1.xml")
        .expect("a first sheet")
        .read_to_string(&mut xml)
        .unwrap();
    let unescape = |t: &str| {
        t.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&")
    };
    let mut rows: Vec<Vec<String>> = Vec::new();
    for cell in xml.split("<c r=\"").skip(1) {
        let reference = &cell[..cell.find('"').unwrap()];
        let letters: String = reference
            .chars()
            .take_while(char::is_ascii_uppercase)
            .collect();
        let col = letters
            .bytes()
            .fold(0usize, |n, b| n * 26 + (b - b'A' + 1) as usize)
            - 1;
        let row: usize = reference[letters.len()..].parse::<usize>().unwrap() - 1;
        let head = &cell[..cell.find('>').unwrap()];
        assert!(!head.contains("t=\"s\""), "shared string in {reference}");
        let end = cell.find("</c>").unwrap_or(0);
        let body = &cell[..end];
        let text = match body.find("<t") {
            Some(at) => {
                let from = at + body[at..].find('>').unwrap() + 1;
                unescape(&body[from..from + body[from..].find("</t>").unwrap()])
            }
            None => String::new(),
        };
        if rows.len() <= row {
            rows.resize(row + 1, Vec::new());
        }
        if rows[row].len() <= col {
            rows[row].resize(col + 1, String::new());
        }
        rows[row][col] = text;
    }
    rows
}

#[tokio::test(flavor = "multi_thread")]
async fn xlsx_exports_hold_the_cells_of_the_csv_exports() {
    let data = fixture();
    let st = Station::open(data).expect("station");
    for kind in LedgerKind::ALL {
        let table = export::table(&st, kind, None, "2000-01-01", "2100-01-01", false).unwrap();
        assert!(!table.rows.is_empty(), "{kind:?}");
        let csv = export::csv(&table, &Cancel::new()).unwrap();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(&csv[3..]);
        let want: Vec<Vec<String>> = reader
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect();
        let mut got =
            xlsx_cells(&export::xlsx(&table, kind.code(), &|_| {}, &Cancel::new()).unwrap());
        // A sheet leaves empty cells out; the CSV has every column.
        for row in &mut got {
            row.resize(table.columns.len(), String::new());
        }
        assert_eq!(got.len(), table.rows.len() + 1, "{kind:?}: heads and rows");
        assert_eq!(got, want, "{kind:?}");
    }
}

#[test]
fn a_cancelled_export_stops_before_its_end() {
    let table = stats::LedgerTable {
        columns: vec!["at", "note"],
        rows: (0..5_000)
            .map(|i| vec![(1_700_000_000_000i64 + i).to_string(), format!("row {i}")])
            .collect(),
        name_col: None,
        phone_col: None,
    };
    let cancelled = |e: &doorstep_server::station::StationError| {
        matches!(
            e,
            doorstep_server::station::StationError::Core(doorstep_core::Error::Cancelled)
        )
    };
    // Cancelled as the first thousand rows are written: the rest are not.
    let cancel = Cancel::new();
    let written = std::sync::Mutex::new(0);
    let out = export::xlsx(
        &table,
        "needs",
        &|n| {
            *written.lock().unwrap() = n;
            cancel.cancel();
        },
        &cancel,
    );
    assert!(
        out.as_ref().is_err_and(cancelled),
        "{:?}",
        out.map(|b| b.len())
    );
    assert_eq!(*written.lock().unwrap(), 1000);
    let out = export::csv(&table, &cancel);
    assert!(out.as_ref().is_err_and(cancelled));
    // Not cancelled, the same table is written whole.
    let csv = export::csv(&table, &Cancel::new()).unwrap();
    assert_eq!(csv.iter().filter(|&&b| b == b'\n').count(), 5_001);
}

/// Open needs by (category, urgency) and today's admitted check-ins by (site, hour).
type Figures = (Vec<(String, String, u64)>, Vec<(String, u32, u64)>);

/// Open needs and today's admitted check-ins per site and hour, counted from the rows.
fn counted_figures(c: &Connection, now: i64) -> Figures {
    let needs = c
        .prepare(
            "SELECT category, urgency, count(*) FROM need
             WHERE _deleted = 0 AND status IN ('open', 'in_progress')
             GROUP BY category, urgency ORDER BY category, urgency",
        )
        .unwrap()
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? as u64))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let day = chrono::DateTime::from_timestamp_millis(now + 480 * 60_000)
        .unwrap()
        .format("%Y-%m-%d")
        .to_string();
    let mut by_hour: std::collections::BTreeMap<(String, u32), u64> = Default::default();
    let mut stmt = c
        .prepare(
            "SELECT site, at FROM check_in
             WHERE _deleted = 0 AND day = ?1 AND outcome IN ('admitted', 'priority')",
        )
        .unwrap();
    for row in stmt
        .query_map([&day], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })
        .unwrap()
    {
        let (site, at) = row.unwrap();
        let hour = ((at + 480 * 60_000) % DAY_MS / 3_600_000) as u32;
        *by_hour.entry((site, hour)).or_default() += 1;
    }
    let hours = by_hour.into_iter().map(|((s, h), n)| (s, h, n)).collect();
    (needs, hours)
}

/// The station's overview figures, as the counts it keeps give them.
fn overview_figures(st: &Station, now: i64) -> Figures {
    let o = st
        .core
        .read(|c| stats::overview(c, None, now, station::UTC_OFFSET_MINUTES))
        .unwrap();
    (
        o.open_needs
            .into_iter()
            .map(|n| (n.category, n.urgency, n.count))
            .collect(),
        o.check_ins_by_hour
            .into_iter()
            .map(|h| (h.site, h.hour, h.count))
            .collect(),
    )
}

/// A phone pushes needs and scans through the server (on SQLite or PostgreSQL), the
/// station pulls them, and its overview counts equal counts of its rows; again after more
/// ops arrive (needs moved on, more scans).
async fn overview_counts_follow_ops_synced_through_the_server(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let database = common::fresh_database(backend, &dir).await;
    let store = common::open_storage(&dir, &database).await;
    let st = Arc::new(Station::open(&dir.path().join("station")).expect("station"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(station::serve_on(
        listener,
        AppState::new(store.clone()),
        st.clone(),
        std::future::pending(),
    ));
    st.enrol_self(store.as_ref(), &url).await.unwrap();
    let phone = doorstep_core::Doorstep::open(dir.path().join("phone.db"), &[9u8; 32]).unwrap();
    let code = enrol::create_code(
        store.as_ref(),
        &CodeRequest {
            user: "lead".into(),
            role: Role::StationAdmin,
            areas: vec![],
            code_ttl_ms: 60_000,
            token_ttl_ms: DAY_MS,
        },
        now_ms(),
    )
    .await
    .unwrap();
    phone.enrol(&url, &code).await.unwrap();
    phone.new_signing_key().unwrap();
    let grid = phone.ensure_area(common::GRID1).unwrap();
    let mut needs = Vec::new();
    let mut passes = Vec::new();
    for i in 0..12 {
        let h = phone
            .create_household(&doorstep_core::registry::NewHousehold {
                area_id: grid.id.clone(),
                address: format!("{i}号"),
                ..Default::default()
            })
            .unwrap();
        let r = phone
            .create_resident(&doorstep_core::registry::NewResident {
                household_id: h.id.clone(),
                name: format!("居民{i}"),
                sex: doorstep_core::registry::Sex::Male,
                birth_year: Some(1960),
                ..Default::default()
            })
            .unwrap();
        needs.push(
            phone
                .raise_need(&NewNeed {
                    subject: Subject {
                        household_id: None,
                        resident_id: Some(r.id.clone()),
                    },
                    category: [NeedCategory::FoodStaples, NeedCategory::Psychological][i % 2],
                    urgency: [Urgency::Normal, Urgency::High, Urgency::Critical][i % 3],
                    details: None,
                    drug: None,
                    days_left: None,
                    visit_id: None,
                })
                .unwrap()
                .id,
        );
        passes.push(
            phone
                .issue_pass(&r.id, now_ms() - DAY_MS, now_ms() + DAY_MS)
                .unwrap()
                .text,
        );
    }
    for (i, p) in passes.iter().enumerate() {
        phone.scan(p, "丽岛核酸点", "1").unwrap();
        if i % 3 == 0 {
            // A duplicate, which the figures leave out.
            phone.scan(p, "丽岛核酸点", "2").unwrap();
        }
    }
    phone.sync(None).await.unwrap();
    st.catch_up().await.unwrap();
    let now = now_ms();
    let first = overview_figures(&st, now);
    assert_eq!(
        first,
        st.core.read(|c| Ok(counted_figures(c, now))).unwrap()
    );
    assert_eq!(first.0.iter().map(|n| n.2).sum::<u64>(), 12);
    assert_eq!(first.1.iter().map(|h| h.2).sum::<u64>(), 12);
    // More ops: needs move on, scans at a second site.
    for (i, id) in needs.iter().enumerate().filter(|(i, _)| i % 2 == 0) {
        phone
            .set_need_status(id, NeedStatus::InProgress, None)
            .unwrap();
        if i % 4 == 0 {
            phone
                .set_need_status(id, NeedStatus::Resolved, None)
                .unwrap();
        }
    }
    for p in passes.iter().take(5) {
        phone.scan(p, "紫阳核酸点", "1").unwrap();
    }
    phone.sync(None).await.unwrap();
    st.catch_up().await.unwrap();
    let now = now_ms();
    let second = overview_figures(&st, now);
    assert_eq!(
        second,
        st.core.read(|c| Ok(counted_figures(c, now))).unwrap()
    );
    assert_eq!(second.0.iter().map(|n| n.2).sum::<u64>(), 12 - 3);
    assert_eq!(second.1.iter().map(|h| h.2).sum::<u64>(), 12 + 5);
}

mod sqlite {
    #[tokio::test(flavor = "multi_thread")]
    async fn overview_counts_follow_ops_synced_through_the_server() {
        super::overview_counts_follow_ops_synced_through_the_server(super::Backend::Sqlite).await
    }
}

mod postgres {
    #[tokio::test(flavor = "multi_thread")]
    async fn overview_counts_follow_ops_synced_through_the_server() {
        super::overview_counts_follow_ops_synced_through_the_server(super::Backend::Postgres).await
    }
}

/// Asserts that the chart `id` on `page` carries exactly the figures `want` (a zero is
/// drawn as no bar).
fn assert_chart(page: &str, id: &str, want: &common::charts::Marks) {
    let got = common::charts::chart(page, id).unwrap_or_else(|| panic!("no chart #{id}"));
    assert_eq!(&got, want, "chart #{id}");
}

#[tokio::test(flavor = "multi_thread")]
async fn charts_carry_the_figures_counted_from_the_database() {
    use common::charts as db_charts;
    let data = fixture();
    let server = serve(data).await;
    let mut b = Browser::new(&server.base);
    b.login(ADMIN.0, ADMIN.1).await;
    let c = db(data);

    let page = b.text("/").await;
    let now = now_ms();
    let visits = db_charts::visits(&c, None, now);
    // The demo's visits span its last week: the pale week before holds only zeros.
    assert!(visits.keys().any(|k| k.1 == "visits"));
    assert_chart(&page, "chart-visits", &visits);
    let needs = db_charts::needs(&c, None);
    assert!(needs.len() > 1, "the demo has open needs of several kinds");
    assert_chart(&page, "chart-needs", &needs);
    let requests = db_charts::requests(&c, None, now);
    assert!(!requests.is_empty());
    assert_chart(&page, "chart-requests", &requests);
    let check_ins = db_charts::check_ins(&c, now);
    if check_ins.is_empty() {
        assert!(db_charts::chart(&page, "chart-checkins").is_none());
    } else {
        assert_chart(&page, "chart-checkins", &check_ins);
    }
    // Charts sit beside their tables, which stay.
    for table in ["id=\"needs\"", "id=\"checkins\"", "id=\"tags\""] {
        assert!(page.contains(table), "{table}");
    }

    let page = b.text("/checkin").await;
    let (slots, outcomes) = db_charts::scans(&c, now_ms());
    if slots.is_empty() {
        assert!(db_charts::chart(&page, "chart-scans").is_none());
        assert!(db_charts::chart(&page, "chart-outcomes").is_none());
    } else {
        assert_chart(&page, "chart-scans", &slots);
        assert_chart(&page, "chart-outcomes", &outcomes);
        // Shares add up to about all the scans.
        let svg = &page[page.find("id=\"chart-outcomes\"").unwrap()..];
        let svg = &svg[..svg.find("</svg>").unwrap()];
        let shares: u64 = svg
            .split("%)</title>")
            .filter_map(|s| s.rsplit_once(" (")?.1.parse::<u64>().ok())
            .sum();
        assert!(
            (99..=101).contains(&shares) || outcomes.len() > 4,
            "{shares}"
        );
    }

    let page = b.text("/deliveries").await;
    let now = now_ms();
    let packages = db_charts::packages(&c, None);
    assert!(packages.len() > 1);
    assert_chart(&page, "chart-packages", &packages);
    let failures = db_charts::failures(&c, None, now);
    assert!(!failures.is_empty(), "the demo has failed deliveries");
    assert_chart(&page, "chart-failures", &failures);

    // In English the words change, the numbers do not.
    b.get("/lang?to=en").await;
    let en = b.text("/").await;
    assert!(en.contains("Open needs by category, stacked by urgency"));
    assert!(en.contains("Food staples") || en.contains("Medicine"));
    assert_chart(&en, "chart-needs", &needs);
    let en = b.text("/deliveries").await;
    assert!(en.contains("<title>Packages by state</title>"));
}

/// A new station's days of visits are all there, each counting none.
#[test]
fn visits_by_day_of_an_empty_station_are_zeros_from_the_first_day() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let st = Station::open(&data).expect("open");
    let o = st
        .core
        .read(|c| stats::visits_by_day(c, None, now_ms(), 480, 21))
        .unwrap();
    assert_eq!(o.counts, vec![0; 21]);
    assert_eq!(o.first, common::charts::day_of(now_ms() - 20 * DAY_MS));
}
