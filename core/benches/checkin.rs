//! Check-in benchmarks: a scan from pass text to stored outcome (p50/p99 and scans per
//! second over 20,000 distinct passes on an encrypted store), a pass's QR code as PNG,
//! and a 500-pass A4 PDF sheet. Run: cargo bench -p doorstep-core --bench checkin

use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion};
use doorstep_core::checkin::pass::{PassBody, PassId, PriorityFlags, ResidentRef, StationKey};
use doorstep_core::checkin::{render, SheetEntry, SheetFilter};
use doorstep_core::{sample, Doorstep};

const KEY: [u8; 32] = [42; 32];
const SCANS: usize = 20_000;
const SHEET: usize = 500;
const SITE: &str = "丽岛社区核酸点";

/// Distinct valid passes (one per resident), signed by `key`.
fn passes(key: &StationKey, n: usize, now_s: u32) -> Vec<String> {
    (0..n as u64)
        .map(|i| {
            key.sign(PassBody {
                key_id: key.key_id(),
                pass_id: PassId((i * 2 + 1).to_be_bytes()),
                resident_ref: ResidentRef(
                    (i + 7).wrapping_mul(0x9e37_79b9_7f4a_7c15).to_be_bytes(),
                ),
                valid_from: now_s - 3600,
                valid_until: now_s + 86_400,
                priority: PriorityFlags::from_bits((i % 16 == 0) as u8),
            })
            .to_text()
        })
        .collect()
}

fn pct(times: &mut [Duration], p: f64) -> Duration {
    times.sort();
    times[((times.len() as f64 * p) as usize).min(times.len() - 1)]
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let d = Doorstep::open(dir.path().join("marshal.db"), &KEY).unwrap();
    d.set_queue_prefix("A").unwrap();
    let station = StationKey::generate().unwrap();
    d.trust_key(&doorstep_core::hex::encode(&station.public()), 0)
        .unwrap();
    let now_s = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()) as u32;
    let texts = passes(&station, SCANS + 2_000, now_s);

    // The tail is the target, so time every scan: verify, check, store, commit.
    let mut times = Vec::with_capacity(SCANS);
    let start = Instant::now();
    for text in &texts[..SCANS] {
        let t = Instant::now();
        let outcome = d.scan(text, SITE, "1").unwrap();
        times.push(t.elapsed());
        assert!(outcome.is_admitted(), "{outcome:?}");
    }
    let total = start.elapsed();
    println!(
        "scan to stored outcome, {SCANS} distinct passes: p50 {:.0?}, p99 {:.0?}, max {:.2?}, {:.0} scans/s",
        pct(&mut times, 0.50),
        pct(&mut times, 0.99),
        times[times.len() - 1],
        SCANS as f64 / total.as_secs_f64()
    );

    let mut g = c.benchmark_group("checkin");
    let mut i = SCANS;
    g.bench_function("scan_to_stored_outcome", |b| {
        b.iter(|| {
            // Fresh passes first, then repeats: a repeat is a stored duplicate outcome.
            let text = &texts[i % texts.len()];
            i += 1;
            d.scan(text, SITE, "1").unwrap()
        })
    });
    let text = &texts[0];
    g.bench_function("qr_png_8px", |b| {
        b.iter(|| render::qr_png(text, 8).unwrap())
    });
    g.finish();

    let mut png_times: Vec<Duration> = (0..500)
        .map(|k| {
            let t = Instant::now();
            let png = render::qr_png(&texts[k], 8).unwrap();
            let e = t.elapsed();
            assert!(png.len() > 100);
            e
        })
        .collect();
    println!(
        "QR PNG (8 px/module, 456x456): p50 {:.2?}, p99 {:.2?}",
        pct(&mut png_times, 0.50),
        pct(&mut png_times, 0.99)
    );

    let entries: Vec<SheetEntry> = texts[..SHEET]
        .iter()
        .enumerate()
        .map(|(k, t)| SheetEntry {
            text: t.clone(),
            label: format!(
                "丽岛花园 {}栋 {}-{}0{}",
                k / 24 + 1,
                k % 24 / 8 + 1,
                k % 8 / 2 + 1,
                k % 2 + 1
            ),
            member: "1/2".into(),
            priority: PriorityFlags::from_bits((k % 5 == 0) as u8),
            valid_until: "2026-11-30".into(),
        })
        .collect();
    let t = Instant::now();
    let pdf = render::sheet_pdf(&entries, &doorstep_core::Cancel::new()).unwrap();
    println!(
        "PDF sheet, {SHEET} passes ({} pages, {} KiB): {:.0?}",
        SHEET.div_ceil(render::PER_PAGE),
        pdf.len() / 1024,
        t.elapsed()
    );

    // The whole path a station admin takes: issue 500 passes and draw them.
    let s = Doorstep::open(dir.path().join("station.db"), &KEY).unwrap();
    s.import_csv(sample::residents_csv(SHEET, 5).as_bytes())
        .unwrap();
    s.new_signing_key().unwrap();
    let district = s.areas().unwrap().remove(0);
    let t = Instant::now();
    let sheet = s
        .pass_sheet(
            &SheetFilter {
                area_id: Some(district.id),
                ..Default::default()
            },
            now_s as i64 * 1000,
            (now_s as i64 + 7 * 86_400) * 1000,
        )
        .unwrap();
    assert_eq!(sheet.passes.len(), SHEET);
    println!(
        "issue {SHEET} passes and draw their sheet: {:.0?}",
        t.elapsed()
    );
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
