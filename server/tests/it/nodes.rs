//! Two station nodes on one PostgreSQL, as a city runs them: what one node's admin does
//! holds on the other (accounts, sessions, a sub-admin's limits), both sign passes with
//! the station's keys, and a pass one prints verifies on a phone synced through the
//! other. Needs `DOORSTEP_TEST_PG` (scripts/with-postgres.sh).

use crate::common;

use std::net::SocketAddr;
use std::sync::Arc;

use common::*;
use doorstep_core::checkin::ScanOutcome;
use doorstep_core::sync::Role;
use doorstep_core::Clock;
use doorstep_server::station::{self, Station};
use doorstep_server::storage::{PostgresStorage, Storage};
use doorstep_server::AppState;

struct Node {
    station: Arc<Station>,
    store: Arc<dyn Storage>,
    addr: SocketAddr,
}

async fn node(url: &str, data: &std::path::Path) -> Node {
    let store: Arc<dyn Storage> = Arc::new(PostgresStorage::connect(url).await.unwrap());
    let station = Arc::new(Station::open_with(data, Some(store.clone())).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(station::serve_on(
        listener,
        AppState::new(store.clone()),
        station.clone(),
        std::future::pending(),
    ));
    station
        .enrol_self(store.as_ref(), &format!("http://{addr}"))
        .await
        .unwrap();
    Node {
        station,
        store,
        addr,
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Logs in at `addr`; the session cookie, or the status of a refusal.
async fn login(addr: SocketAddr, name: &str, password: &str) -> Result<String, u16> {
    let c = http();
    let r = c.get(format!("http://{addr}/login")).send().await.unwrap();
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let page = r.text().await.unwrap();
    let at = page.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = page[at..at + 32].to_string();
    let r = c
        .post(format!("http://{addr}/login"))
        .header("cookie", cookie)
        .form(&[("name", name), ("password", password), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    if r.status() != 303 {
        return Err(r.status().as_u16());
    }
    Ok(r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string())
}

async fn get(addr: SocketAddr, path: &str, session: &str) -> (u16, String) {
    let r = http()
        .get(format!("http://{addr}{path}"))
        .header("cookie", session)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_on_one_postgres_share_admins_sessions_limits_and_keys() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database(Backend::Postgres, &dir).await.unwrap();
    let a = node(&url, &dir.path().join("a")).await;
    let b = node(&url, &dir.path().join("b")).await;
    let now = doorstep_core::SystemClock.now_ms();

    // The registry, imported at node A, reaches node B through the database.
    a.station
        .core
        .import_csv(doorstep_core::sample::residents_csv(40, 2).as_bytes())
        .unwrap();
    let other = a.station.core.ensure_area(GRID2).unwrap();
    a.station.catch_up().await.unwrap();
    b.station.catch_up().await.unwrap();
    let areas = b.station.core.areas().unwrap();
    let mine = areas
        .iter()
        .find(|x| x.path == GRID1)
        .expect("grid 1 on node B");
    assert!(areas.iter().any(|x| x.id == other.id), "grid 2 on node B");
    let other = &other;

    // An admin and a sub-admin made through node A log in on node B.
    a.station
        .admins
        .put("王站长", "station-password", &[], now)
        .unwrap();
    a.station
        .admins
        .put(
            "李主任",
            "community-password",
            std::slice::from_ref(&mine.path),
            now,
        )
        .unwrap();
    assert_eq!(login(b.addr, "王站长", "wrong password").await, Err(401));
    let on_b = login(b.addr, "王站长", "station-password").await.unwrap();
    // A session made on node B is valid on node A.
    let (status, page) = get(a.addr, "/", &on_b).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("王站长"));
    // The sub-admin's limits hold on both nodes.
    let sub = login(a.addr, "李主任", "community-password").await.unwrap();
    for n in [&a, &b] {
        let (status, _) = get(n.addr, &format!("/area?area={}", mine.id), &sub).await;
        assert_eq!(status, 200);
        let (status, _) = get(n.addr, &format!("/area?area={}", other.id), &sub).await;
        assert_eq!(status, 403, "another community is refused on every node");
        let (status, _) = get(
            n.addr,
            &format!(
                "/export?kind=needs&area={}&from=2000-01-01&to=2100-01-01&format=csv",
                other.id
            ),
            &sub,
        )
        .await;
        assert_eq!(status, 403);
    }
    // The pseudonym secret is one for the station.
    let secret_a = a
        .station
        .admins
        .setting_or("pseudonym_secret", || Ok("a".into()))
        .unwrap();
    let secret_b = b
        .station
        .admins
        .setting_or("pseudonym_secret", || Ok("b".into()))
        .unwrap();
    assert_eq!(secret_a, secret_b);

    // Node A prints a pass sheet (making the station's first key); node B takes the key.
    let residents = a
        .station
        .core
        .read(|c| doorstep_server::stats::residents_page(c, "", 2))
        .unwrap();
    let (resident, second) = (residents[0].0.clone(), residents[1].0.clone());
    a.station.sheet(Some(mine), None, None, 7, now).unwrap();
    let pass = a
        .station
        .core
        .issue_pass(&resident, now - 60_000, now + 86_400_000)
        .unwrap();
    a.station.catch_up().await.unwrap();
    b.station.catch_up().await.unwrap();
    b.station.share_keys().unwrap();
    let held_b: Vec<String> = b
        .station
        .core
        .signing_secrets()
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        held_b,
        vec![pass.key_id.clone()],
        "node B signs with the station's key"
    );
    let by_b = b
        .station
        .core
        .issue_pass(&second, now - 60_000, now + 86_400_000)
        .unwrap();
    assert_eq!(by_b.key_id, pass.key_id);
    assert_eq!(
        b.station.core.trusted_keys().unwrap().len(),
        1,
        "no key of its own"
    );
    b.station.catch_up().await.unwrap();

    // A marshal's phone enrolled and synced through node B admits both passes.
    let code = doorstep_server::sync::enrol::create_code(
        b.store.as_ref(),
        &doorstep_server::sync::enrol::CodeRequest {
            user: "marshal".into(),
            role: Role::Marshal,
            areas: vec![mine.path.clone()],
            code_ttl_ms: 3_600_000,
            token_ttl_ms: 86_400_000,
        },
        now,
    )
    .await
    .unwrap();
    let phone = doorstep_core::Doorstep::open(dir.path().join("phone.db"), &[3u8; 32]).unwrap();
    phone
        .enrol(&format!("http://{}", b.addr), &code)
        .await
        .unwrap();
    phone.sync_with(quick(), None).await.unwrap();
    for p in [&pass, &by_b] {
        let outcome = phone.scan(&p.text, "site-1", "A").unwrap();
        assert!(
            matches!(
                outcome,
                ScanOutcome::Admitted { .. } | ScanOutcome::Priority { .. }
            ),
            "{outcome:?}"
        );
    }
    // Retiring the key at node A drops its secret from the database and from node B.
    a.station.core.retire_key(&pass.key_id).unwrap();
    a.station.share_keys().unwrap();
    assert!(a.station.admins.station_keys().unwrap().is_empty());
    a.station.catch_up().await.unwrap();
    b.station.catch_up().await.unwrap();
    b.station.share_keys().unwrap();
    assert!(
        b.station
            .core
            .issue_pass(&resident, now, now + 60_000)
            .is_err(),
        "a retired key signs nothing"
    );
}
