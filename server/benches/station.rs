//! Station figures for the README: the overview page with 100,000 residents and a
//! million ops, served over loopback, and an XLSX export of 100,000 rows. Prints its
//! figures; asserts nothing about time.
//!
//! `cargo bench -p doorstep-server --bench station`

use std::sync::Arc;
use std::time::Instant;

use doorstep_core::checkin::Place;
use doorstep_core::visits::{NeedCategory, NewNeed, Subject, Urgency};
use doorstep_server::station::{self, Station};
use doorstep_server::stats::{self, LedgerKind};
use doorstep_server::{export, storage, AppState};

const RESIDENTS: usize = 100_000;
const TARGET_OPS: i64 = 1_000_000;

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("station");
    let st = Station::open(&data).expect("station");
    let core = &st.core;
    let t = Instant::now();
    core.import_csv(doorstep_core::sample::residents_csv(RESIDENTS, 11).as_bytes())
        .expect("import");
    println!(
        "import of {RESIDENTS} residents: {:.1} s",
        t.elapsed().as_secs_f64()
    );
    core.with_writer(|c| Ok(c.execute_batch("PRAGMA synchronous = OFF")?))
        .unwrap();
    core.new_signing_key().expect("key");

    let mut everyone = Vec::new();
    let mut after = String::new();
    loop {
        let page = core
            .read(|c| stats::residents_page(c, &after, 10_000))
            .unwrap();
        let Some(last) = page.last() else { break };
        after = last.0.clone();
        everyone.extend(page.into_iter().map(|(id, _, _)| id));
    }
    // A need for every resident, then passes and scans until the log holds a million ops.
    let t = Instant::now();
    let cats = [
        NeedCategory::FoodStaples,
        NeedCategory::Medicine,
        NeedCategory::Vegetables,
        NeedCategory::Psychological,
    ];
    for chunk in everyone.chunks(5_000) {
        core.write(|w| {
            for (i, id) in chunk.iter().enumerate() {
                doorstep_core::visits::raise_need(
                    w,
                    &NewNeed {
                        subject: Subject {
                            household_id: None,
                            resident_id: Some(id.clone()),
                        },
                        category: cats[i % 4],
                        urgency: if i % 7 == 0 {
                            Urgency::High
                        } else {
                            Urgency::Normal
                        },
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
    }
    let now = doorstep_core::Clock::now_ms(&doorstep_core::SystemClock);
    let mut texts = Vec::new();
    for chunk in everyone.chunks(5_000) {
        texts.extend(
            core.write(|w| {
                chunk
                    .iter()
                    .map(|id| {
                        Ok(doorstep_core::checkin::issue_pass(
                            w,
                            id,
                            now - 3_600_000,
                            now + 86_400_000,
                        )?
                        .text)
                    })
                    .collect::<doorstep_core::Result<Vec<String>>>()
            })
            .expect("passes"),
        );
    }
    let ops = |core: &doorstep_core::Doorstep| -> i64 {
        core.read(|c| Ok(c.query_row("SELECT count(*) FROM op_log", [], |r| r.get(0))?))
            .unwrap()
    };
    let sites = ["丽岛核酸点", "紫阳核酸点", "东亭核酸点", "宏祥核酸点"];
    let mut round = 0usize;
    while ops(core) < TARGET_OPS {
        let site = sites[round % sites.len()];
        for chunk in texts.chunks(10_000) {
            core.write(|w| {
                for (i, text) in chunk.iter().enumerate() {
                    doorstep_core::checkin::scan(
                        w,
                        text,
                        site,
                        &Place::lane(&format!("{}", i % 3 + 1)),
                    )?;
                }
                Ok(())
            })
            .expect("scans");
        }
        round += 1;
    }
    core.with_writer(|c| Ok(c.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA optimize;")?))
        .unwrap();
    let total_ops = ops(core);
    println!("made {total_ops} ops in {:.1} s", t.elapsed().as_secs_f64());
    st.admins.put("bench", "bench-password", &[], now).unwrap();
    let mut direct = Vec::new();
    for _ in 0..11 {
        let t = Instant::now();
        core.read(|c| stats::overview(c, None, now, 480)).unwrap();
        direct.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    direct.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!("overview figures alone (core): median {:.1} ms", direct[5]);
    // A sub-admin's view: the street with the most residents, and below it.
    let areas = core.areas().unwrap();
    let street = areas
        .iter()
        .filter(|a| a.path.matches('/').count() == 1)
        .max_by_key(|a| {
            core.read(|c| stats::overview(c, Some(&a.id), now, 480))
                .unwrap()
                .residents
        })
        .expect("a street");
    let mut scoped = Vec::new();
    let mut residents = 0;
    for _ in 0..11 {
        let t = Instant::now();
        residents = core
            .read(|c| stats::overview(c, Some(&street.id), now, 480))
            .unwrap()
            .residents;
        scoped.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    scoped.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "overview figures of {} ({residents} residents): median {:.1} ms",
        street.path, scoped[5]
    );

    // The overview page over HTTP, as a browser asks for it.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let station = Arc::new(st);
    let figures = rt.block_on(async {
        let store = storage::open(&data, None).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(station::serve_on(
            listener,
            AppState::new(store),
            station.clone(),
            std::future::pending(),
        ));
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let login = http
            .get(format!("http://{addr}/login"))
            .send()
            .await
            .unwrap();
        let cookie = login.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let page = login.text().await.unwrap();
        let at = page.find("name=\"csrf\" value=\"").unwrap() + 19;
        let csrf = page[at..at + 32].to_string();
        let r = http
            .post(format!("http://{addr}/login"))
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("name=bench&password=bench-password&csrf={csrf}"))
            .send()
            .await
            .unwrap();
        let session = r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let mut times = Vec::new();
        for _ in 0..21 {
            let t = Instant::now();
            let r = http
                .get(format!("http://{addr}/"))
                .header("cookie", &session)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            let body = r.text().await.unwrap();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            assert!(body.contains("id=\"residents\">100000<"));
            // The page is timed with its charts drawn.
            for chart in ["chart-visits", "chart-needs", "chart-requests"] {
                assert!(body.contains(&format!("<svg id=\"{chart}\"")), "{chart}");
            }
        }
        times.sort_by(|a, b| a.partial_cmp(b).unwrap());
        (times[times.len() / 2], times[times.len() - 1])
    });
    println!(
        "overview page, {RESIDENTS} residents, {total_ops} ops: median {:.1} ms, slowest {:.1} ms (21 requests)",
        figures.0, figures.1
    );

    let t = Instant::now();
    let table = export::table(
        &station,
        LedgerKind::Needs,
        None,
        "2000-01-01",
        "2100-01-01",
        false,
    )
    .unwrap();
    let read = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let bytes = export::xlsx(&table, "needs", &|_| {}, &doorstep_core::Cancel::new()).unwrap();
    println!(
        "XLSX export of {} rows: read {:.2} s, written {:.2} s, {} bytes",
        table.rows.len(),
        read,
        t.elapsed().as_secs_f64(),
        bytes.len()
    );
}
