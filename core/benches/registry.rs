//! Registry benchmarks on 100,000 residents: CSV import, search latency (with p50/p99
//! over mixed queries) and open time. Run: cargo bench -p doorstep-core --bench registry

use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion};
use doorstep_core::registry::{SearchQuery, Tag};
use doorstep_core::{sample, Doorstep};

const KEY: [u8; 32] = [42; 32];
const RESIDENTS: usize = 100_000;

/// An imported store, closed and deleted once timed. Left on disk, each run's 180 MB
/// (the file and its log) would be written back by the kernel while later runs import,
/// on the same two cores.
struct Discarded(Option<Doorstep>, std::path::PathBuf);

impl Drop for Discarded {
    fn drop(&mut self) {
        drop(self.0.take());
        for end in ["", "-wal", "-shm"] {
            let mut path = self.1.clone().into_os_string();
            path.push(end);
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The mixed queries a worker types: names, pinyin, initials, phone tails, addresses.
fn queries() -> Vec<SearchQuery> {
    let texts = [
        "张伟",
        "王",
        "秀英",
        "zhangwei",
        "lixiu",
        "wf",
        "zw",
        "chen",
        "1234",
        "5678",
        "紫阳社区3栋",
        "紫阳",
        "liu jun",
        "shan",
        "欧阳",
        "0099",
        "xiaohong",
        "hy",
        "东亭 zj",
        "guoqiang",
    ];
    let mut out: Vec<SearchQuery> = texts
        .iter()
        .map(|t| SearchQuery {
            text: t.to_string(),
            limit: 20,
            ..Default::default()
        })
        .collect();
    out.push(SearchQuery {
        text: "w".into(),
        tag: Some(Tag::ElderlyAlone),
        limit: 20,
        ..Default::default()
    });
    out
}

fn bench(c: &mut Criterion) {
    let csv = sample::residents_csv(RESIDENTS, 1);
    let dir = tempfile::tempdir().unwrap();

    let mut g = c.benchmark_group("registry");
    g.sample_size(10).measurement_time(Duration::from_secs(30));
    let mut n = 0;
    g.bench_function("import_100k_residents", |b| {
        b.iter_with_large_drop(|| {
            n += 1;
            let path = dir.path().join(format!("import{n}.db"));
            let d = Doorstep::open(&path, &KEY).unwrap();
            let report = d.import_csv(csv.as_bytes()).unwrap();
            assert_eq!(report.residents_added as usize, RESIDENTS);
            Discarded(Some(d), path)
        })
    });
    g.finish();

    let path = dir.path().join("search.db");
    {
        let d = Doorstep::open(&path, &KEY).unwrap();
        d.import_csv(csv.as_bytes()).unwrap();
    }
    let d = Doorstep::open(&path, &KEY).unwrap();
    d.search(&SearchQuery {
        text: "x".into(),
        ..Default::default()
    })
    .unwrap();
    let qs = queries();
    let mut g = c.benchmark_group("registry");
    g.bench_function("search_100k_mixed", |b| {
        let mut i = 0;
        b.iter(|| {
            i += 1;
            d.search(&qs[i % qs.len()]).unwrap()
        })
    });
    g.bench_function("open_100k_db", |b| {
        b.iter(|| Doorstep::open(&path, &KEY).unwrap())
    });
    g.sample_size(10)
        .bench_function("open_100k_db_and_first_search", |b| {
            b.iter(|| {
                let d = Doorstep::open(&path, &KEY).unwrap();
                d.search(&qs[0]).unwrap()
            })
        });
    g.finish();

    // Criterion reports means; the target is on the tail, so measure it directly.
    let mut times: Vec<Duration> = Vec::new();
    for round in 0..50 {
        for q in &qs {
            let t = Instant::now();
            let hits = d.search(q).unwrap();
            times.push(t.elapsed());
            if round == 0 && hits.is_empty() {
                eprintln!("note: query {:?} found nothing", q.text);
            }
        }
    }
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    println!(
        "search over {RESIDENTS} residents, {} queries: p50 {:.2?}, p99 {:.2?}, max {:.2?}",
        times.len(),
        pct(0.50),
        pct(0.99),
        times[times.len() - 1]
    );
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
