//! Search latency while an import holds the writer: a store of 100,000 residents takes
//! another 100,000 from a CSV on one thread while this one searches, and the bench prints
//! p50, p99 and the slowest search during the import, then the same with no import for
//! comparison. Run: cargo bench -p doorstep-core --bench read_while_writing

use std::sync::Arc;
use std::time::{Duration, Instant};

use doorstep_core::registry::SearchQuery;
use doorstep_core::{sample, Doorstep};

const KEY: [u8; 32] = [42; 32];
const RESIDENTS: usize = 100_000;

/// Names, pinyin, initials, phone tails and addresses, as a worker types them.
const TEXTS: [&str; 12] = [
    "张伟",
    "王",
    "秀英",
    "zhangwei",
    "wf",
    "chen",
    "1234",
    "紫阳社区3栋",
    "欧阳",
    "0099",
    "hy",
    "guoqiang",
];

fn query(i: usize) -> SearchQuery {
    SearchQuery {
        text: TEXTS[i % TEXTS.len()].to_string(),
        limit: 20,
        ..Default::default()
    }
}

/// p50, p99 and the slowest of `times`, as one line.
fn summary(times: &mut [Duration]) -> String {
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    format!(
        "{} searches: p50 {:.2?}, p99 {:.2?}, max {:.2?}",
        times.len(),
        pct(0.50),
        pct(0.99),
        times[times.len() - 1]
    )
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not, and then one small
    // round shows the bench still runs without taking minutes.
    let full = std::env::args().any(|a| a == "--bench");
    let n = if full { RESIDENTS } else { 2_000 };
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("phone.db");
    let d = Arc::new(Doorstep::open(&path, &KEY).expect("a new store"));
    d.import_csv(sample::residents_csv(n, 1).as_bytes())
        .expect("the first import");
    // The index is built before the import, as on a phone in use.
    d.search(&query(0)).expect("a search");

    let more = sample::residents_csv(n, 2);
    let import = {
        let d = d.clone();
        std::thread::spawn(move || d.import_csv(more.as_bytes()))
    };
    while !d.writing() && !import.is_finished() {
        std::thread::yield_now();
    }
    let started = Instant::now();
    let mut during = Vec::new();
    let mut i = 0;
    while d.writing() {
        let t = Instant::now();
        d.search(&query(i)).expect("a search during the import");
        during.push(t.elapsed());
        i += 1;
    }
    let import_took = started.elapsed();
    let report = import
        .join()
        .expect("the import thread")
        .expect("the second import");
    assert_eq!(report.residents_added as usize, n);
    if during.is_empty() {
        println!("the import ended before a search began; nothing to report");
    } else {
        println!(
            "during an import of {n} residents into {n} ({import_took:.1?}): {}",
            summary(&mut during)
        );
    }

    // The same queries with the writer idle (the first rebuilds the index after the
    // import, so it is left out).
    d.search(&query(0)).expect("a search");
    let mut idle: Vec<Duration> = (0..during.len().clamp(100, 2_000))
        .map(|i| {
            let t = Instant::now();
            d.search(&query(i)).expect("a search");
            t.elapsed()
        })
        .collect();
    println!("idle, over {} residents: {}", 2 * n, summary(&mut idle));
}
