//! The station's pages tried as an attacker would, over real HTTP on loopback: a
//! sub-admin looking for other areas' records, stored areas that cannot be read,
//! passwords and codes guessed at full speed, a redirect out of the station, headers
//! a browser needs, anonymous forms. Each attempt is refused.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use doorstep_core::checkin::TubeResult;
use doorstep_core::sync::Role;
use doorstep_core::{Clock, ManualClock, SystemClock};
use doorstep_server::station::{self, Station};
use doorstep_server::sync::enrol::{self, CodeRequest};
use doorstep_server::{demo, storage, AppState};
use rusqlite::Connection;
use sha2::{Digest, Sha256};

use crate::common;

const ADMIN: (&str, &str) = ("admin", "correct horse");
const SUB: (&str, &str) = ("grid", "grid-password");
const MINE: &str = "武昌区/中南路街道/丽岛社区";

/// One demo station for the file, with a station admin and a sub-admin of one community.
fn fixture() -> &'static Path {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        let now = SystemClock.now_ms();
        let key = station::store_key(&data).expect("key");
        demo::fill_sized(&data.join("station.db"), &key, now, 400).expect("demo");
        let st = Station::open(&data).expect("open");
        st.admins.put(ADMIN.0, ADMIN.1, &[], now).expect("admin");
        st.admins
            .put(SUB.0, SUB.1, &[MINE.to_string()], now)
            .expect("sub-admin");
        // A positive tube and one awaiting its result, each holding residents of the
        // sub-admin's community and of others.
        for (code, result) in [("HG-MIX-1", Some(TubeResult::Positive)), ("HG-MIX-2", None)] {
            let tube = st.core.open_tube(code, "丽岛核酸点", Some(10)).unwrap();
            for inside in [true, false] {
                let ids: Vec<String> = st
                    .core
                    .read(|c| {
                        let mut q = c.prepare(
                            "SELECT r.id FROM resident r JOIN household h ON h.id = r.household_id
                             JOIN area a ON a.id = h.area_id
                             WHERE (a.path = ?1 OR a.path LIKE ?1 || '/%') = ?2 ORDER BY r.id DESC",
                        )?;
                        let ids = q
                            .query_map(rusqlite::params![MINE, inside], |r| r.get(0))?
                            .collect::<Result<_, _>>()?;
                        Ok(ids)
                    })
                    .unwrap();
                let mut added = 0;
                for id in ids {
                    let pass = st
                        .core
                        .issue_pass(&id, now - 3_600_000, now + 86_400_000)
                        .unwrap();
                    if st
                        .core
                        .tube_scan(&tube.id, &pass.text, "1")
                        .is_ok_and(|s| s.added)
                    {
                        added += 1;
                    }
                    if added == 3 {
                        break;
                    }
                }
                assert_eq!(added, 3);
            }
            st.core.seal_tube(&tube.id).unwrap();
            if let Some(r) = result {
                st.core.set_tube_result(&tube.id, r).unwrap();
            }
        }
        // The sync storage's tables are made once here; the tests then open it side by side.
        let at = data.clone();
        std::thread::spawn(move || {
            tokio::runtime::Runtime::new()
                .unwrap()
                .block_on(storage::open(&at, None))
                .map(|_| ())
                .unwrap()
        })
        .join()
        .unwrap();
        (dir, data)
    })
    .1
}

fn db(data: &Path) -> Connection {
    let key = station::store_key(data).expect("key");
    doorstep_core::store::open(&data.join("station.db"), &key).expect("open db")
}

struct Server {
    base: String,
    clock: Arc<ManualClock>,
    station: Arc<Station>,
    store: Arc<dyn storage::Storage>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn serve_with(data: &Path, cookie_secure: bool) -> Server {
    let store = storage::open(data, None).await.expect("storage");
    let st = Arc::new(Station::open(data).expect("station"));
    let clock = Arc::new(ManualClock::new(SystemClock.now_ms()));
    let mut app = AppState::with_clock(store.clone(), clock.clone());
    app.cookie_secure = cookie_secure;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(station::serve_on(listener, app, st.clone(), async {
        let _ = rx.await;
    }));
    Server {
        base: format!("http://{addr}"),
        clock,
        station: st,
        store,
        _stop: tx,
    }
}

async fn serve(data: &Path) -> Server {
    serve_with(data, false).await
}

/// A client that keeps cookies and does not follow redirects.
struct Browser {
    http: reqwest::Client,
    base: String,
    cookies: HashMap<String, String>,
    extra: Vec<(&'static str, String)>,
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
            extra: vec![],
        }
    }

    fn keep(&mut self, r: &reqwest::Response) {
        for v in r.headers().get_all("set-cookie") {
            let pair = v.to_str().unwrap().split(';').next().unwrap();
            let (k, val) = pair.split_once('=').unwrap();
            self.cookies.insert(k.to_string(), val.to_string());
        }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let cookies = self
            .cookies
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut r = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("cookie", cookies);
        for (k, v) in &self.extra {
            r = r.header(*k, v);
        }
        r
    }

    async fn get(&mut self, path: &str) -> reqwest::Response {
        let r = self
            .request(reqwest::Method::GET, path)
            .send()
            .await
            .unwrap();
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
            .request(reqwest::Method::POST, path)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        self.keep(&r);
        r
    }

    async fn text(&mut self, path: &str) -> String {
        let r = self.get(path).await;
        let status = r.status();
        let body = r.text().await.unwrap();
        assert_eq!(status, 200, "GET {path}: {body}");
        body
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

/// What the station holds outside the sub-admin's community: resident names and phones
/// that no resident of the community shares, and the paths of areas neither in it nor
/// above it.
struct Outside {
    names: HashSet<String>,
    phones: HashSet<String>,
    paths: HashSet<String>,
}

fn outside(c: &Connection) -> Outside {
    let rows: Vec<(String, Option<String>, Option<String>, String)> = c
        .prepare(
            "SELECT r.name, r.phone, h.phone, a.path FROM resident r
             JOIN household h ON h.id = r.household_id JOIN area a ON a.id = h.area_id",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mine = |p: &str| p == MINE || p.starts_with(&format!("{MINE}/"));
    let (inside, out): (Vec<_>, Vec<_>) = rows.into_iter().partition(|r| mine(&r.3));
    let words = |v: &[(String, Option<String>, Option<String>, String)]| -> (HashSet<String>, HashSet<String>) {
        let names = v.iter().map(|r| r.0.clone()).collect();
        let phones = v
            .iter()
            .flat_map(|r| [r.1.clone(), r.2.clone()])
            .flatten()
            .filter(|p| !p.is_empty())
            .collect();
        (names, phones)
    };
    let (in_names, in_phones) = words(&inside);
    let (out_names, out_phones) = words(&out);
    let paths: HashSet<String> = c
        .prepare("SELECT path FROM area")
        .unwrap()
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .filter(|p| !mine(p) && !MINE.starts_with(&format!("{p}/")))
        .collect();
    // A name that is part of one inside (张伟 in 张伟华) could be found where it is not.
    let names = (&out_names - &in_names)
        .into_iter()
        .filter(|n| !in_names.iter().any(|m| m.contains(n.as_str())))
        .collect();
    Outside {
        names,
        phones: &out_phones - &in_phones,
        paths,
    }
}

/// Every record of `out` found in `text`.
fn found(out: &Outside, text: &str) -> Vec<String> {
    out.names
        .iter()
        .chain(&out.phones)
        .chain(&out.paths)
        .filter(|w| text.contains(w.as_str()))
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sub_admin_finds_no_record_of_another_area_on_any_page() {
    let data = fixture();
    let server = serve(data).await;
    let c = db(data);
    let out = outside(&c);
    assert!(!out.names.is_empty() && !out.phones.is_empty() && !out.paths.is_empty());
    // A code and a phone of another street, made by the station admin.
    let other_grid = "武昌区/水果湖街道/东亭社区/第1网格";
    enrol::create_code(
        server.store.as_ref(),
        &CodeRequest {
            user: "外区社工郑芳".into(),
            role: Role::SocialWorker,
            areas: vec![other_grid.into()],
            code_ttl_ms: 3_600_000,
            token_ttl_ms: 3_600_000,
        },
        server.clock.now_ms(),
    )
    .await
    .unwrap();
    let mut admin = Browser::new(&server.base);
    admin.login(ADMIN.0, ADMIN.1).await;
    // The station admin does see other areas' recalls and codes: the pages hold some.
    let all = admin.text("/checkin").await;
    assert!(
        !found(&out, &all).is_empty(),
        "the fixture recalls residents of other areas"
    );
    assert!(admin.text("/devices").await.contains("外区社工郑芳"));

    let mut sub = Browser::new(&server.base);
    assert_eq!(sub.login(SUB.0, SUB.1).await.status(), 303);
    // Of the positive tube they see their own three residents to recall; tubes still
    // awaiting results are the station admin's.
    let checkin = sub.text("/checkin").await;
    let recall = &checkin[checkin.find("HG-MIX-1").unwrap()..];
    assert_eq!(recall.matches("<tr>").count(), 1 + 3, "{recall}");
    assert!(!checkin.contains("HG-MIX-2") && all.contains("HG-MIX-2"));
    let my_area: String = c
        .query_row("SELECT id FROM area WHERE path = ?1", [MINE], |r| r.get(0))
        .unwrap();
    let mut pages = vec![];
    for p in [
        "/",
        "/area",
        "/checkin",
        "/deliveries",
        "/devices",
        "/passes",
        "/exports",
    ] {
        pages.push(p.to_string());
        pages.push(format!("{p}?area={my_area}"));
    }
    for p in &pages {
        let page = sub.text(p).await;
        assert_eq!(found(&out, &page), Vec::<String>::new(), "on {p}");
        assert!(!page.contains("外区社工郑芳"), "on {p}");
    }
    // Their charts count their areas only: each equals the figures of their community
    // counted from the database, which differ from the station's. Scans carry no area,
    // so their charts are the station admin's.
    use common::charts as db_charts;
    for p in ["/".to_string(), format!("/?area={my_area}")] {
        let page = sub.text(&p).await;
        let now = server.clock.now_ms();
        for (id, theirs, station) in [
            (
                "chart-visits",
                db_charts::visits(&c, Some(MINE), now),
                db_charts::visits(&c, None, now),
            ),
            (
                "chart-needs",
                db_charts::needs(&c, Some(MINE)),
                db_charts::needs(&c, None),
            ),
            (
                "chart-requests",
                db_charts::requests(&c, Some(MINE), now),
                db_charts::requests(&c, None, now),
            ),
        ] {
            assert_ne!(theirs, station, "{id}: the fixture has figures elsewhere");
            assert_eq!(
                db_charts::chart(&page, id).as_ref(),
                Some(&theirs),
                "{id} on {p}"
            );
        }
        assert!(db_charts::chart(&page, "chart-checkins").is_none(), "{p}");
    }
    let page = sub.text("/checkin").await;
    assert!(
        !page.contains("<svg id=\"chart-"),
        "scan charts are the station admin's"
    );
    // The station admin's scan charts hold today's scans, the fixture's tubes among them.
    let all = admin.text("/checkin").await;
    let (slots, outcomes) = db_charts::scans(&c, server.clock.now_ms());
    assert!(!slots.is_empty());
    assert_eq!(db_charts::chart(&all, "chart-scans"), Some(slots));
    assert_eq!(db_charts::chart(&all, "chart-outcomes"), Some(outcomes));
    assert_eq!(
        db_charts::chart(&admin.text("/").await, "chart-checkins"),
        Some(db_charts::check_ins(&c, server.clock.now_ms()))
    );
    let page = sub.text("/deliveries").await;
    let now = server.clock.now_ms();
    assert_eq!(
        db_charts::chart(&page, "chart-packages"),
        Some(db_charts::packages(&c, Some(MINE)))
    );
    assert_ne!(
        db_charts::packages(&c, Some(MINE)),
        db_charts::packages(&c, None)
    );
    assert_eq!(
        db_charts::chart(&page, "chart-failures"),
        Some(db_charts::failures(&c, Some(MINE), now))
    );
    // Downloads: every ledger of theirs, none of another area, no check-ins.
    for kind in ["visits", "needs", "referrals", "deliveries"] {
        for area in ["", my_area.as_str()] {
            let r = sub
                .get(&format!(
                    "/export?kind={kind}&format=csv&from=2000-01-01&to=2100-01-01&area={area}"
                ))
                .await;
            assert_eq!(r.status(), 200, "{kind}");
            let text = String::from_utf8(r.bytes().await.unwrap().to_vec()).unwrap();
            assert!(
                text.lines().count() > 1 || kind == "referrals",
                "{kind} has rows"
            );
            assert_eq!(found(&out, &text), Vec::<String>::new(), "export {kind}");
        }
    }
    let r = sub
        .get("/export?kind=checkins&format=csv&from=2000-01-01&to=2100-01-01")
        .await;
    assert_eq!(r.status(), 403);
    // Forms naming another area are refused.
    let other: String = c
        .query_row(
            "SELECT id FROM area WHERE path = '武昌区/水果湖街道'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let page = sub.text("/devices").await;
    let csrf = csrf_of(&page);
    for (path, form) in [
        (
            "/devices/enrol",
            vec![
                ("csrf", csrf.as_str()),
                ("user", "x"),
                ("role", "social_worker"),
                ("area", other.as_str()),
            ],
        ),
        (
            "/passes/sheet",
            vec![("csrf", csrf.as_str()), ("area", other.as_str())],
        ),
    ] {
        let r = sub.post(path, &form).await;
        assert_eq!(r.status(), 403, "{path}");
    }
    let listed = server.store.enrolments(50).await.unwrap();
    let theirs = listed.iter().find(|e| e.user == "外区社工郑芳").unwrap();
    let r = sub
        .post("/devices/cancel", &[("csrf", &csrf), ("id", &theirs.id)])
        .await;
    assert_eq!(r.status(), 404);
    assert!(server
        .store
        .enrolments(50)
        .await
        .unwrap()
        .iter()
        .any(|e| e.id == theirs.id && e.cancelled_at.is_none()));
}

#[tokio::test(flavor = "multi_thread")]
async fn areas_that_cannot_be_read_never_mean_the_whole_station() {
    let data = fixture();
    let server = serve(data).await;
    let admins = &server.station.admins;
    admins
        .put("broken", "broken-password", &[MINE.to_string()], 0)
        .unwrap();
    let mut b = Browser::new(&server.base);
    assert_eq!(b.login("broken", "broken-password").await.status(), 303);
    assert_eq!(b.get("/").await.status(), 200);
    let raw = Connection::open(data.join("admin.db")).unwrap();
    raw.execute(
        "UPDATE admin SET areas = '丽岛社区' WHERE name = 'broken'",
        [],
    )
    .unwrap();
    // The live session is no more, and a new login is refused.
    let r = b.get("/").await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login");
    b.cookies.clear();
    let r = b.login("broken", "broken-password").await;
    assert_eq!(r.status(), 401);
    assert!(!b.cookies.contains_key("ds_session"));
    assert!(admins.verify("broken", "broken-password").is_err());
    raw.execute("DELETE FROM admin WHERE name = 'broken'", [])
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_passwords_are_throttled_per_name_and_per_address() {
    let data = fixture();
    let server = serve(data).await;
    let mut b = Browser::new(&server.base);
    // Five wrong passwords are answered; the sixth is answered and starts a wait.
    for _ in 0..6 {
        assert_eq!(b.login(ADMIN.0, "guess").await.status(), 401);
    }
    // During the wait even the right password is refused, with Retry-After.
    let r = b.login(ADMIN.0, ADMIN.1).await;
    assert_eq!(r.status(), 429);
    let wait: i64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait >= 1);
    assert!(!b.cookies.contains_key("ds_session"));
    // The same name in other letters is the same account.
    assert_eq!(b.login(" ADMIN", ADMIN.1).await.status(), 429);
    server.clock.advance(wait * 1000);
    assert_eq!(b.login(ADMIN.0, ADMIN.1).await.status(), 303);
    // The waits double.
    let mut c = Browser::new(&server.base);
    for _ in 0..7 {
        let r = c.login(SUB.0, "guess").await;
        assert_eq!(r.status(), 401);
        server.clock.advance(2_000);
    }
    assert_eq!(c.login(SUB.0, "guess").await.status(), 401);
    let r = c.login(SUB.0, SUB.1).await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "4");

    // Thirty guesses sent side by side get no more than sent one after another.
    let side = serve(data).await;
    let mut page = Browser::new(&side.base);
    let login = page.text("/login").await;
    let csrf = csrf_of(&login);
    let cookie = format!("ds_login={}", page.cookies["ds_login"]);
    let tries = (0..30).map(|i| {
        let http = reqwest::Client::new();
        let (url, cookie, csrf) = (format!("{}/login", side.base), cookie.clone(), csrf.clone());
        tokio::spawn(async move {
            http.post(url)
                .header("cookie", cookie)
                .form(&[
                    ("name", SUB.0),
                    ("password", &format!("guess {i}")),
                    ("csrf", &csrf),
                ])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    });
    let mut statuses = Vec::new();
    for t in tries.collect::<Vec<_>>() {
        statuses.push(t.await.unwrap());
    }
    statuses.sort();
    assert_eq!(statuses, [vec![401; 6], vec![429; 24]].concat());

    // Many names from one address: after twenty wrong tries, the address waits, even
    // for a name it never tried.
    let fresh = serve(data).await;
    let mut d = Browser::new(&fresh.base);
    for i in 0..21 {
        assert_eq!(d.login(&format!("nobody{i}"), "guess").await.status(), 401);
    }
    assert_eq!(d.login(ADMIN.0, ADMIN.1).await.status(), 429);
}

#[test]
fn a_name_without_an_account_costs_a_password_check_too() {
    let dir = tempfile::tempdir().unwrap();
    let admins = station::auth::Admins::open(&dir.path().join("admin.db")).unwrap();
    admins.put("wang", "password-1", &[], 0).unwrap();
    let before = admins.password_checks();
    assert_eq!(admins.verify("nobody", "password-1").unwrap(), None);
    assert_eq!(admins.password_checks(), before + 1);
    assert_eq!(admins.verify("wang", "wrong").unwrap(), None);
    assert_eq!(admins.password_checks(), before + 2);
    assert!(admins.verify("wang", "password-1").unwrap().is_some());
}

#[test]
fn secrets_compare_equal_only_when_equal() {
    use station::auth::same_secret;
    let t = "0123456789abcdef0123456789abcdef";
    assert!(same_secret(t, t));
    assert!(!same_secret(t, "0123456789abcdef0123456789abcdee"));
    assert!(!same_secret(t, "1123456789abcdef0123456789abcdef"));
    assert!(!same_secret(t, &t[..31]));
    assert!(!same_secret(t, ""));
}

fn sha256_b64(s: &str) -> String {
    use base64ct::Encoding;
    base64ct::Base64::encode_string(&Sha256::digest(s.as_bytes()))
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_carry_the_browser_headers_and_no_inline_script_or_style() {
    let data = fixture();
    let server = serve(data).await;
    let mut b = Browser::new(&server.base);
    let r = b.get("/login").await;
    let page_headers = r.headers().clone();
    let login = r.text().await.unwrap();
    let csp = page_headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'none'"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let style = &login[login.find("<style>").unwrap() + 7..login.find("</style>").unwrap()];
    assert!(
        csp.contains(&format!("style-src 'sha256-{}'", sha256_b64(style))),
        "{csp}"
    );
    b.login(ADMIN.0, ADMIN.1).await;
    for p in [
        "/login",
        "/",
        "/area",
        "/checkin",
        "/deliveries",
        "/devices",
        "/passes",
        "/exports",
        "/healthz",
        "/api/v1/whoami",
    ] {
        let r = b.get(p).await;
        let h = r.headers().clone();
        assert_eq!(h["x-frame-options"], "DENY", "{p}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{p}");
        assert_eq!(h["referrer-policy"], "same-origin", "{p}");
        assert_eq!(h["content-security-policy"].to_str().unwrap(), csp, "{p}");
        if h["content-type"].to_str().unwrap().starts_with("text/html") {
            let page = r.text().await.unwrap();
            assert!(
                !page.contains("<script") && !page.contains(" style=\""),
                "{p}"
            );
        }
    }
}

async fn session_cookie(server: &Server, extra: Vec<(&'static str, String)>) -> String {
    let mut b = Browser::new(&server.base);
    b.extra = extra;
    let r = b.login(ADMIN.0, ADMIN.1).await;
    assert_eq!(r.status(), 303);
    r.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("ds_session="))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_session_cookie_is_secure_over_https() {
    let data = fixture();
    let plain = serve(data).await;
    let cookie = session_cookie(&plain, vec![]).await;
    assert!(!cookie.contains("Secure"), "{cookie}");
    let cookie = session_cookie(&plain, vec![("x-forwarded-proto", "https".into())]).await;
    assert!(cookie.contains("; Secure"), "{cookie}");
    let cookie = session_cookie(
        &plain,
        vec![("forwarded", "for=192.0.2.1;proto=https".into())],
    )
    .await;
    assert!(cookie.contains("; Secure"), "{cookie}");
    let secure = serve_with(data, true).await;
    let cookie = session_cookie(&secure, vec![]).await;
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && cookie.contains("; Secure"),
        "{cookie}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_language_switch_goes_back_only_to_a_page_of_this_station() {
    let data = fixture();
    let server = serve(data).await;
    let mut b = Browser::new(&server.base);
    for (referer, back) in [
        ("http://station/area?area=x1", "/area?area=x1"),
        ("http://station/devices", "/devices"),
        ("http://station/\\evil.example/", "/"),
        ("http://station//evil.example/x", "/"),
        ("http://evil.example/\\\\evil.example", "/"),
        ("http://station/%2F%2Fevil.example", "/"),
        ("http://station/nowhere", "/"),
        ("javascript:alert(1)", "/"),
    ] {
        b.extra = vec![("referer", referer.to_string())];
        let r = b.get("/lang?to=en").await;
        assert_eq!(r.status(), 303, "{referer}");
        assert_eq!(r.headers()["location"], back, "{referer}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn anonymous_posts_go_to_the_login_like_gets() {
    let data = fixture();
    let server = serve(data).await;
    let mut b = Browser::new(&server.base);
    for path in [
        "/devices/enrol",
        "/devices/revoke",
        "/devices/cancel",
        "/passes/sheet",
        "/logout",
    ] {
        for form in [
            vec![],
            vec![
                ("user", "x"),
                ("role", "social_worker"),
                ("device", "d"),
                ("id", "i"),
            ],
        ] {
            let r = b.post(path, &form).await;
            assert_eq!(r.status(), 303, "{path}");
            assert_eq!(r.headers()["location"], "/login", "{path}");
        }
    }
    let made = server.store.enrolments(500).await.unwrap();
    assert!(made.iter().all(|e| e.user != "x"), "no code was made");
}
