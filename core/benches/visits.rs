//! Visits benchmarks on 50,000 residents and 200,000 visits over 30 days: the due list for
//! a grid, a community and the whole district (with p50/p99 measured directly), finishing
//! a visit and seeing the list again, and the day's ledger.
//! Run: cargo bench -p doorstep-core --bench visits

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion};
use doorstep_core::registry::Tag;
use doorstep_core::sample::{self, Rng};
use doorstep_core::visits::{
    self, Answer, AnswerEntry, DueQuery, DueTier, FinishVisit, NeedStatus, NewVisit, RecordVisit,
    Subject, VisitOutcome,
};
use doorstep_core::{Doorstep, ManualClock};

const KEY: [u8; 32] = [42; 32];
const RESIDENTS: usize = 50_000;
const VISITS: usize = 200_000;
/// 2026-11-23 08:00 UTC.
const NOW: i64 = 1_795_420_800_000;
const DAY: i64 = 86_400_000;

fn general_answers(rng: &mut Rng) -> Vec<AnswerEntry> {
    let mut a = vec![
        AnswerEntry::new(
            "members",
            Answer::Number {
                value: 1.0 + rng.below(4) as f64,
            },
        ),
        AnswerEntry::new("symptoms", Answer::Bool { value: false }),
        AnswerEntry::new(
            "daily_meds",
            Answer::Bool {
                value: rng.below(5) == 0,
            },
        ),
        AnswerEntry::new(
            "supplies_ok",
            Answer::Bool {
                value: rng.below(20) != 0,
            },
        ),
        AnswerEntry::new(
            "mood",
            Answer::Choice {
                option: "calm".into(),
            },
        ),
    ];
    if a[2].value == (Answer::Bool { value: true }) {
        a.push(AnswerEntry::new(
            "drug",
            Answer::Text {
                value: "降压药".into(),
            },
        ));
        a.push(AnswerEntry::new(
            "drug_days_left",
            Answer::Number {
                value: rng.below(30) as f64,
            },
        ));
    }
    if a[3].value == (Answer::Bool { value: false }) {
        a.push(AnswerEntry::new(
            "supplies_short",
            Answer::Choices {
                options: vec!["staples".into(), "vegetables".into()],
            },
        ));
    }
    a
}

/// A store with the sample community and `VISITS` visits spread over the last 30 days.
fn populated(path: &std::path::Path) -> Duration {
    let clock = Arc::new(ManualClock::new(NOW));
    let d = Doorstep::open_with_clock(path, &KEY, clock).unwrap();
    d.set_user("bench").unwrap();
    let report = d
        .import_csv(sample::residents_csv(RESIDENTS, 1).as_bytes())
        .unwrap();
    assert_eq!(report.residents_added as usize, RESIDENTS);
    // (id, pregnant): the general checklist asks pregnant residents one more question.
    let residents: Vec<(String, bool)> = d
        .read(|c| {
            let mut stmt =
                c.prepare("SELECT id, tags LIKE '%\"pregnant\"%' FROM resident ORDER BY id")?;
            let ids = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(ids.collect::<rusqlite::Result<Vec<(String, bool)>>>()?)
        })
        .unwrap();
    let mut rng = Rng::new(7);
    let started = Instant::now();
    for _ in 0..VISITS / 10_000 {
        d.write(|w| {
            for _ in 0..10_000 {
                let (resident, pregnant) = &residents[rng.below(residents.len() as u64) as usize];
                let roll = rng.below(10);
                let (outcome, answers) = match roll {
                    0..=1 => (VisitOutcome::NobodyHome, Vec::new()),
                    2 => (VisitOutcome::NeedsFollowUp, Vec::new()),
                    _ => {
                        let mut a = general_answers(&mut rng);
                        if *pregnant {
                            a.push(AnswerEntry::new(
                                "pregnancy_checkup",
                                Answer::Bool { value: false },
                            ));
                        }
                        (VisitOutcome::Met, a)
                    }
                };
                visits::record_visit(
                    w,
                    &RecordVisit {
                        visit: NewVisit {
                            subject: Subject::resident(resident),
                            template_id: Some("general_household".into()),
                        },
                        answers,
                        finish: FinishVisit::outcome(outcome),
                        visited_at_ms: Some(NOW - 1 - rng.below(30 * DAY as u64) as i64),
                    },
                )?;
            }
            Ok(())
        })
        .unwrap();
    }
    // Stations solve most of what they find: needs from visits more than two days ago are
    // resolved, the rest stay open.
    let old_needs: Vec<String> = d
        .read(|c| {
            let mut stmt = c.prepare(
                "SELECT n.id FROM need n JOIN visit v ON v.id = n.visit_id
                 WHERE v.finished_at < ?1",
            )?;
            let ids = stmt.query_map([NOW - 2 * DAY], |r| r.get(0))?;
            Ok(ids.collect::<rusqlite::Result<Vec<String>>>()?)
        })
        .unwrap();
    d.write(|w| {
        for id in &old_needs {
            visits::set_need_status(w, id, NeedStatus::InProgress, None)?;
            visits::set_need_status(w, id, NeedStatus::Resolved, None)?;
        }
        Ok(())
    })
    .unwrap();
    let open: i64 = d
        .read(|c| {
            Ok(
                c.query_row("SELECT count(*) FROM need WHERE status = 'open'", [], |r| {
                    r.get(0)
                })?,
            )
        })
        .unwrap();
    println!(
        "{} needs raised, {} resolved, {open} open",
        old_needs.len() as i64 + open,
        old_needs.len()
    );
    started.elapsed()
}

fn percentiles(mut times: Vec<Duration>) -> (Duration, Duration, Duration) {
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    (pct(0.50), pct(0.99), times[times.len() - 1])
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("visits.db");
    let load = populated(&path);
    println!("recorded {VISITS} visits for {RESIDENTS} residents in {load:.1?}");

    let clock = Arc::new(ManualClock::new(NOW));
    let d = Doorstep::open_with_clock(&path, &KEY, clock.clone()).unwrap();
    let grid = d.ensure_area("武昌区/中南路街道/丽岛社区/第1网格").unwrap();
    let community = d.ensure_area("武昌区/中南路街道/丽岛社区").unwrap();
    let district = d.ensure_area("武昌区").unwrap();
    let worker = DueQuery {
        area_ids: vec![community.id.clone()],
        limit: 50,
    };
    let everyone = DueQuery {
        area_ids: vec![district.id.clone()],
        limit: 50,
    };
    let t = Instant::now();
    let first = d.due_list(&everyone).unwrap();
    println!(
        "first due list after the import (derives every resident's state): {:.1?}",
        t.elapsed()
    );
    assert_eq!(first.len(), 50);

    let mut g = c.benchmark_group("visits");
    g.bench_function("due_list_community", |b| {
        b.iter(|| d.due_list(&worker).unwrap())
    });
    g.bench_function("due_list_district_50k", |b| {
        b.iter(|| d.due_list(&everyone).unwrap())
    });
    let elderly: Vec<String> = d
        .due_list(&DueQuery {
            area_ids: vec![community.id.clone()],
            limit: 500,
        })
        .unwrap()
        .into_iter()
        .filter(|e| e.tags.contains(&Tag::ElderlyAlone))
        .filter_map(|e| e.resident_id)
        .collect();
    let mut i = 0;
    g.sample_size(30)
        .bench_function("finish_visit_then_due_list", |b| {
            b.iter(|| {
                i += 1;
                let r = &elderly[i % elderly.len()];
                let s = d
                    .start_visit(&NewVisit {
                        subject: Subject::resident(r),
                        template_id: None,
                    })
                    .unwrap();
                d.finish_visit(&s.visit_id, &FinishVisit::outcome(VisitOutcome::Refused))
                    .unwrap();
                d.due_list(&worker).unwrap()
            })
        });
    g.bench_function("ledger_district_day", |b| {
        b.iter(|| d.ledger(&district.id, "2026-11-20", 480).unwrap())
    });
    g.finish();

    // Criterion reports means; the target is on the tail, so measure it directly.
    let one_grid = DueQuery {
        area_ids: vec![grid.id.clone()],
        limit: 50,
    };
    let long = DueQuery {
        area_ids: vec![community.id.clone()],
        limit: 500,
    };
    for (name, q) in [
        ("one grid", &one_grid),
        ("one community", &worker),
        ("the whole district", &everyone),
        ("one community", &long),
    ] {
        let mut times = Vec::with_capacity(500);
        for _ in 0..500 {
            let t = Instant::now();
            let list = d.due_list(q).unwrap();
            times.push(t.elapsed());
            assert_eq!(list.len(), q.limit as usize);
        }
        let (p50, p99, max) = percentiles(times);
        let tiers: Vec<(DueTier, usize)> = [
            DueTier::Life,
            DueTier::Vulnerable,
            DueTier::Overdue,
            DueTier::NeverVisited,
        ]
        .into_iter()
        .map(|t| {
            (
                t,
                d.due_list(q)
                    .unwrap()
                    .iter()
                    .filter(|e| e.tier == t)
                    .count(),
            )
        })
        .collect();
        println!(
            "due list ({} entries: {tiers:?}) for {name}, {RESIDENTS} residents, \
             {VISITS} visits: p50 {p50:.2?}, p99 {p99:.2?}, max {max:.2?}",
            q.limit
        );
    }
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
