//! Deliveries benchmarks: a handoff without photo (out, and delivered with a PIN), a
//! 12-megapixel camera JPEG to a stored blob, and a runner's list with 10,000 open
//! packages on an encrypted store. Run: cargo bench -p doorstep-core --bench deliveries

use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion};
use doorstep_core::deliveries::{self as del, HandoffInput, ItemLine, PackageStatus, Proof};
use doorstep_core::registry::NewHousehold;
use doorstep_core::visits::Urgency;
use doorstep_core::Doorstep;
use image::codecs::jpeg::JpegEncoder;

const KEY: [u8; 32] = [42; 32];
const OPEN: usize = 10_000;
const RUNNERS: usize = 50;
const HANDOFFS: usize = 2_000;
const PHOTOS: usize = 12;

fn pct(times: &mut [Duration], p: f64) -> Duration {
    times.sort();
    times[((times.len() as f64 * p) as usize).min(times.len() - 1)]
}

fn out(runner: &str) -> HandoffInput {
    HandoffInput {
        to: Some(runner.to_string()),
        ..HandoffInput::new(PackageStatus::OutForDelivery)
    }
}

/// `n` packages packed (not yet out), with their PINs, made in one transaction.
fn packed(d: &Doorstep, households: &[String], n: usize, offset: usize) -> Vec<(String, String)> {
    d.write(|w| {
        let mut v = Vec::with_capacity(n);
        for i in 0..n {
            let items = vec![
                ItemLine::new(["rice", "eggs", "flour"][i % 3], 1),
                ItemLine::medicine("二甲双胍", "0.5 g", 1).with_quantity(1 + (i % 2) as i64),
            ];
            let items = if (i + offset).is_multiple_of(4) {
                items
            } else {
                items[..1].to_vec()
            };
            let req = del::create_request(
                w,
                &del::NewRequest {
                    household_id: Some(households[(i + offset) % households.len()].clone()),
                    source: del::RequestSource::Manual,
                    items,
                    urgency: [
                        Urgency::Normal,
                        Urgency::High,
                        Urgency::Low,
                        Urgency::Critical,
                    ][i % 4],
                    notes: None,
                },
            )?;
            let p = del::new_package(w, &req.request.id, None)?;
            del::handoff(w, &p.id, &HandoffInput::new(PackageStatus::Packed))??;
            v.push((p.id, req.pin));
        }
        Ok(v)
    })
    .unwrap()
}

fn camera_jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_fn(4000, 3000, |x, y| {
        let n = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)) >> 13;
        image::Rgb([(x / 16) as u8, (y / 12) as u8, (n & 0x3f) as u8 + 96])
    });
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&img)
        .unwrap();
    out
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let d = Doorstep::open(dir.path().join("runner.db"), &KEY).unwrap();
    d.set_user("station-1").unwrap();
    let grid = d.ensure_area("武昌区/中南路街道/丽岛社区/第1网格").unwrap();
    let households: Vec<String> = (0..2_000)
        .map(|i| {
            let b = d
                .create_building(&grid.id, &format!("{}栋", i / 40 + 1))
                .unwrap();
            d.create_household(&NewHousehold {
                area_id: grid.id.clone(),
                building_id: Some(b.id),
                unit: Some(format!("{}-{}", i % 4 + 1, 101 + i % 10)),
                address: format!("丽岛路{i}号"),
                ..Default::default()
            })
            .unwrap()
            .id
        })
        .collect();
    // A receipt is at most 10,000 of an item; a big station takes in several.
    for _ in 0..3 {
        for item in ["rice", "eggs", "flour"] {
            let line = ItemLine::new(item, 10_000);
            d.receive_stock(&line, del::StockMoveKind::Donation, None, None)
                .unwrap();
        }
        let line = ItemLine::medicine("二甲双胍", "0.5 g", 10_000);
        d.receive_stock(&line, del::StockMoveKind::Purchase, None, None)
            .unwrap();
    }

    // 10,000 packages out with 50 runners: the open load the runner's list reads past.
    let t = Instant::now();
    let open = packed(&d, &households, OPEN, 0);
    d.write(|w| {
        for (i, (p, _)) in open.iter().enumerate() {
            del::handoff(w, p, &out(&format!("runner-{}", i % RUNNERS)))??;
        }
        Ok(())
    })
    .unwrap();
    println!(
        "set-up: {OPEN} packages requested, packed and out in {:.1?}",
        t.elapsed()
    );

    // Handoffs one by one, each its own transaction: out, then delivered with the PIN.
    let mine = packed(&d, &households, HANDOFFS / 2, 1);
    let mut times = Vec::with_capacity(HANDOFFS);
    for (p, _) in &mine {
        let t = Instant::now();
        d.handoff(p, &out("runner-bench")).unwrap();
        times.push(t.elapsed());
    }
    for (p, pin) in &mine {
        let t = Instant::now();
        d.handoff(
            p,
            &HandoffInput {
                proof: Some(Proof::Pin { pin: pin.clone() }),
                ..HandoffInput::new(PackageStatus::Delivered)
            },
        )
        .unwrap();
        times.push(t.elapsed());
    }
    println!(
        "handoff without photo (out, delivered with PIN), {HANDOFFS} handoffs with {OPEN} open packages: p50 {:.0?}, p99 {:.0?}, max {:.2?}",
        pct(&mut times, 0.50),
        pct(&mut times, 0.99),
        times[times.len() - 1]
    );

    // Runner's list.
    let mut times = Vec::with_capacity(1_000);
    for i in 0..1_000 {
        let t = Instant::now();
        let list = d.runner_list(&format!("runner-{}", i % RUNNERS)).unwrap();
        times.push(t.elapsed());
        assert_eq!(
            list.stops.iter().map(|s| s.packages.len()).sum::<usize>(),
            OPEN / RUNNERS
        );
    }
    println!(
        "runner list ({} packages each, {OPEN} open): p50 {:.0?}, p99 {:.0?}",
        OPEN / RUNNERS,
        pct(&mut times, 0.50),
        pct(&mut times, 0.99)
    );

    // A 12-megapixel photo to a stored blob, as the delivering handoff's proof.
    let photo = camera_jpeg();
    let shots = packed(&d, &households, PHOTOS, 2);
    let mut times = Vec::with_capacity(PHOTOS);
    for (p, _) in &shots {
        d.handoff(p, &out("runner-photo")).unwrap();
        let t = Instant::now();
        let h = d
            .handoff(
                p,
                &HandoffInput {
                    proof: Some(Proof::Photo {
                        bytes: photo.clone(),
                    }),
                    ..HandoffInput::new(PackageStatus::Delivered)
                },
            )
            .unwrap();
        times.push(t.elapsed());
        assert!(h.proof.is_some());
    }
    println!(
        "12 MP JPEG ({} bytes, 4000×3000) to stored blob with its handoff: p50 {:.0?}, max {:.0?}",
        photo.len(),
        pct(&mut times, 0.50),
        times[times.len() - 1]
    );

    let mut g = c.benchmark_group("deliveries");
    g.sample_size(20).measurement_time(Duration::from_secs(3));
    let mut i = 0;
    g.bench_function("runner_list_10k_open", |b| {
        b.iter(|| {
            i += 1;
            d.runner_list(&format!("runner-{}", i % RUNNERS)).unwrap()
        })
    });
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    g.bench_function("photo_12mp_to_jpeg", |b| {
        b.iter(|| del::proof::photo_to_jpeg(&photo).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
