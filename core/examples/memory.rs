//! Peak memory of a phone with 100,000 residents loaded: a child process opens a prepared
//! store, builds the search index and runs searches, then reports its peak RSS (VmHWM).
//! Run: cargo run --release -p doorstep-core --example memory

use std::process::Command;

use doorstep_core::registry::SearchQuery;
use doorstep_core::{sample, Doorstep};

const KEY: [u8; 32] = [42; 32];
const RESIDENTS: usize = 100_000;

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 3 && args[1] == "load" {
        let d = Doorstep::open(&args[2], &KEY).expect("open");
        let mut found = 0;
        for text in ["张伟", "zw", "1234", "丽岛社区", "wangfang", "秀英"] {
            found += d
                .search(&SearchQuery {
                    text: text.into(),
                    limit: 50,
                    ..Default::default()
                })
                .expect("search")
                .len();
        }
        println!("{found} {}", peak_rss_kib());
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("phone.db");
    {
        let d = Doorstep::open(&path, &KEY).expect("open");
        let report = d
            .import_csv(sample::residents_csv(RESIDENTS, 1).as_bytes())
            .expect("import");
        assert_eq!(report.residents_added as usize, RESIDENTS);
    }
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let out = Command::new(std::env::current_exe().expect("exe"))
        .args(["load", path.to_str().expect("utf-8 path")])
        .output()
        .expect("child");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text.split_whitespace();
    let hits: usize = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let kib: u64 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    println!(
        "{RESIDENTS} residents: database {:.1} MB; peak RSS after open, index build and 6 searches ({hits} hits): {:.1} MB",
        size as f64 / 1e6,
        kib as f64 / 1024.0
    );
}
