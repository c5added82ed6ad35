//! The demo community: a street of communities, grids and buildings with a few thousand
//! residents, and a week of visits, needs, referrals, testing-site check-ins and care
//! package deliveries, made once from a fixed seed so every demo shows the same figures.

use std::sync::Arc;

use std::collections::HashMap;

use crate::stats;
use doorstep_core::deliveries::{
    FailReason, HandoffInput, ItemLine, NewRequest, PackageStatus, Proof, RequestSource,
    StockMoveKind,
};
use doorstep_core::registry::Tag;
use doorstep_core::sample::{residents_csv, Rng};
use doorstep_core::visits::template::QuestionKind;
use doorstep_core::visits::{
    Answer, FinishVisit, NeedCategory, NewNeed, NewReferral, NewVisit, ReferralStatus,
    ReferralTarget, Subject, Urgency, VisitOutcome,
};
use doorstep_core::{Doorstep, ManualClock, Result};

/// Residents in the demo community.
pub const RESIDENTS: usize = 3_000;
/// The demo's seed.
pub const SEED: u64 = 2022;
const DAY_MS: i64 = 86_400_000;
const SITES: &[&str] = &["丽岛核酸点", "紫阳核酸点"];
const RUNNERS: &[&str] = &["配送员王强", "配送员刘洋", "配送员陈静"];
const HOUR_MS: i64 = 3_600_000;

/// What the demo made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoReport {
    pub residents: u64,
    pub visits: u64,
    pub needs: u64,
    pub referrals: u64,
    pub check_ins: u64,
    /// Supply requests made from needs and referrals to the supplies team.
    pub requests: u64,
    /// Packages handed to households, fully or in part.
    pub deliveries: u64,
}

/// Fills the store at `path` with the demo, writing as if over the week before
/// `now_ms`. The store must be closed by everyone else meanwhile.
pub fn fill(path: &std::path::Path, key: &[u8], now_ms: i64) -> Result<DemoReport> {
    fill_sized(path, key, now_ms, RESIDENTS)
}

/// The demo with another number of residents (visits and scans scale with it), for
/// tests that need a station quickly.
pub fn fill_sized(
    path: &std::path::Path,
    key: &[u8],
    now_ms: i64,
    residents: usize,
) -> Result<DemoReport> {
    let scale = |n: i64| (n * residents as i64 / RESIDENTS as i64).max(10);
    let start = now_ms - 7 * DAY_MS;
    let clock = Arc::new(ManualClock::new(start));
    let ds = Doorstep::open_with_clock(path, key, clock.clone())?;
    // One sitting of thousands of small transactions: durability per commit buys nothing
    // here, the whole demo is made again if it is cut short.
    ds.with_writer(|c| Ok(c.execute_batch("PRAGMA synchronous = OFF")?))?;
    // The demo is the station's own work: its ops go to the server as the station
    // user, which is what the server lets the station's device write.
    ds.set_user(crate::station::STATION_USER)?;
    let mut report = DemoReport::default();
    let imported = ds.import_csv(residents_csv(residents, SEED).as_bytes())?;
    report.residents = imported.residents_added;
    ds.new_signing_key()?;
    let mut everyone = Vec::new();
    let mut after = String::new();
    loop {
        let page = ds.read(|c| stats::residents_page(c, &after, 1000))?;
        let Some(last) = page.last() else { break };
        after = last.0.clone();
        everyone.extend(page);
    }
    let mut rng = Rng::new(SEED);
    let mut runs = Deliveries::default();
    clock.set(start + HOUR_MS);
    stock(&ds, &scale, StockMoveKind::Donation, "区慈善总会")?;
    for day in 0..7i64 {
        // Visits in the eight hours before each of the seven evenings up to now.
        let end = start + (day + 1) * DAY_MS;
        let visits_today = scale(90 + rng.below(40) as i64);
        let step = 8 * 3_600_000 / visits_today;
        clock.set(end - 8 * 3_600_000);
        for _ in 0..visits_today {
            clock.advance(step);
            // The vulnerable are visited more often: half the picks are tagged residents.
            let (rid, _hid, tags) = pick(&mut rng, &everyone);
            let (rid, tags) = (rid.clone(), tags.clone());
            if visit(&ds, &mut rng, &rid, &tags, &mut report).is_err() {
                continue;
            }
        }
        if day == 3 {
            clock.set(end - 7 * HOUR_MS);
            stock(&ds, &scale, StockMoveKind::Purchase, "街道采购")?;
        }
        runs.day(&ds, &clock, &mut rng, end, &mut report)?;
        if day >= 5 {
            check_ins(
                &ds,
                &clock,
                &mut rng,
                &everyone,
                end,
                scale(300),
                &mut report,
            )?;
        }
    }
    clock.set(now_ms);
    ds.with_writer(|c| Ok(c.execute_batch("PRAGMA synchronous = NORMAL")?))?;
    Ok(report)
}

/// Goods received at the station, in amounts that last the week of the demo's size.
fn stock(ds: &Doorstep, scale: &dyn Fn(i64) -> i64, kind: StockMoveKind, from: &str) -> Result<()> {
    let lines = [
        ItemLine::new("rice", scale(1500)),
        ItemLine::new("flour", scale(600)),
        ItemLine::new("cooking_oil", scale(150)),
        ItemLine::new("vegetables", scale(300)),
        ItemLine::new("eggs", scale(1200)),
        ItemLine::medicine("降压药", "10mg", scale(120)),
        ItemLine::new("sanitary_products", scale(90)),
        ItemLine::new("care_package", scale(80)),
    ];
    for l in &lines {
        ds.receive_stock(l, kind, Some(from), None)?;
    }
    Ok(())
}

/// What a request for a need of `category` asks for; `None` when goods do not meet it.
fn items_for(category: &str) -> Option<Vec<ItemLine>> {
    Some(match category {
        "food_staples" => vec![ItemLine::new("rice", 5), ItemLine::new("flour", 2)],
        "cooking_oil" => vec![ItemLine::new("cooking_oil", 2)],
        "vegetables" => vec![ItemLine::new("vegetables", 3), ItemLine::new("eggs", 10)],
        "daily_necessities" => vec![
            ItemLine::new("sanitary_products", 2),
            ItemLine::new("care_package", 1),
        ],
        "medicine" => vec![ItemLine::medicine("降压药", "10mg", 2)],
        _ => return None,
    })
}

/// The runners' week: each afternoon, the needs of the day before become requests,
/// most are packed and taken out, and the day's outcomes are recorded; packages that
/// failed or stayed out the day before go out again or come back.
#[derive(Default)]
struct Deliveries {
    /// PINs of the requests made, to prove deliveries with.
    pins: HashMap<String, String>,
    /// Packages made, in the order they were made.
    packages: Vec<String>,
    /// Requests not packed yet.
    waiting: Vec<String>,
}

impl Deliveries {
    fn day(
        &mut self,
        ds: &Doorstep,
        clock: &ManualClock,
        rng: &mut Rng,
        end: i64,
        report: &mut DemoReport,
    ) -> Result<()> {
        // Yesterday's leftovers first: out (again), or back to the station.
        clock.set(end - 6 * HOUR_MS);
        for id in self.packages.clone() {
            let p = ds.package(&id)?;
            let runner = p.runner.clone().unwrap_or_else(|| RUNNERS[0].to_string());
            match p.status {
                PackageStatus::Failed if rng.below(2) == 0 => {
                    clock.advance(60_000);
                    ds.handoff(&id, &HandoffInput::new(PackageStatus::Returned))?;
                }
                PackageStatus::Requested => {
                    // Packed once the shelf holds enough again.
                    clock.advance(60_000);
                    if ds
                        .handoff(&id, &HandoffInput::new(PackageStatus::Packed))
                        .is_ok()
                    {
                        let mut out = HandoffInput::new(PackageStatus::OutForDelivery);
                        out.to = Some(runner);
                        ds.handoff(&id, &out)?;
                    }
                }
                PackageStatus::Failed | PackageStatus::Packed => {
                    clock.advance(60_000);
                    let mut out = HandoffInput::new(PackageStatus::OutForDelivery);
                    out.to = Some(runner);
                    ds.handoff(&id, &out)?;
                }
                _ => {}
            }
        }
        // Yesterday's open needs, and referrals to the supplies team, become requests.
        let window = (end - 2 * DAY_MS, end - DAY_MS);
        let wanted: Vec<(RequestSource, String, String)> = ds.read(|c| {
            let mut stmt = c.prepare(
                "SELECT id, category, urgency, 'need' FROM need
                 WHERE _deleted = 0 AND status = 'open' AND raised_at >= ?1 AND raised_at < ?2
                 UNION ALL
                 SELECT r.id, n.category, n.urgency, 'referral' FROM referral r
                 JOIN need n ON n.id = r.need_id
                 WHERE r._deleted = 0 AND r.target = 'supplies_team'
                   AND r.status IN ('sent', 'accepted') AND r.created_at >= ?1
                   AND r.created_at < ?2
                 ORDER BY 4, 1",
            )?;
            let rows = stmt
                .query_map([window.0, window.1], |r| {
                    let id: String = r.get(0)?;
                    let source = if r.get::<_, String>(3)? == "need" {
                        RequestSource::Need { need_id: id }
                    } else {
                        RequestSource::Referral { referral_id: id }
                    };
                    Ok((source, r.get(1)?, r.get(2)?))
                })?
                .collect::<std::result::Result<Vec<_>, _>>()?;
            Ok(rows)
        })?;
        // Requests left waiting on earlier days: most are packed now.
        let mut to_pack = Vec::new();
        for id in std::mem::take(&mut self.waiting) {
            if rng.below(3) == 0 {
                self.waiting.push(id);
            } else {
                to_pack.push(id);
            }
        }
        for (source, category, urgency) in wanted {
            let Some(items) = items_for(&category) else {
                continue;
            };
            clock.advance(30_000);
            let made = ds.create_request(&NewRequest {
                household_id: None,
                source,
                items,
                urgency: Urgency::from_code(&urgency).unwrap_or(Urgency::Normal),
                notes: None,
            })?;
            report.requests += 1;
            self.pins.insert(made.request.id.clone(), made.pin.clone());
            // Some wait for another day: the station's hands are few.
            if rng.below(100) < 15 {
                self.waiting.push(made.request.id);
            } else {
                to_pack.push(made.request.id);
            }
        }
        let mut new = Vec::new();
        for request_id in to_pack {
            let p = ds.new_package(&request_id, None)?;
            clock.advance(30_000);
            self.packages.push(p.id.clone());
            // Packing issues stock; when the shelf is short the package waits.
            if ds
                .handoff(&p.id, &HandoffInput::new(PackageStatus::Packed))
                .is_err()
                || rng.below(100) < 10
            {
                continue;
            }
            let mut out = HandoffInput::new(PackageStatus::OutForDelivery);
            out.to = Some(rng.pick(RUNNERS).to_string());
            ds.handoff(&p.id, &out)?;
            new.push(p.id);
        }
        // The afternoon's rounds: today's packages and yesterday's that went out again.
        clock.set(end - 4 * HOUR_MS);
        for id in self.packages.clone() {
            let p = ds.package(&id)?;
            if p.status != PackageStatus::OutForDelivery {
                continue;
            }
            clock.advance(2 * 60_000);
            let roll = rng.below(100);
            let pin = self.pins.get(&p.request_id).cloned().unwrap_or_default();
            let fresh = new.contains(&id);
            if roll < 8 && fresh {
                continue; // still on its way at the end of the day
            }
            if roll < 20 && fresh {
                let mut failed = HandoffInput::new(PackageStatus::Failed);
                failed.reason = Some(match rng.below(20) {
                    0..=11 => FailReason::NobodyHome,
                    12..=14 => FailReason::Refused,
                    _ => FailReason::WrongAddress,
                });
                ds.handoff(&id, &failed)?;
                continue;
            }
            let part = (roll < 28).then(|| part_of(&p.items)).flatten();
            let mut done = HandoffInput::new(if part.is_some() {
                PackageStatus::PartlyDelivered
            } else {
                PackageStatus::Delivered
            });
            done.items = part.clone();
            done.proof = Some(Proof::Pin { pin });
            ds.handoff(&id, &done)?;
            report.deliveries += 1;
            if part.is_some() {
                clock.advance(60_000);
                ds.handoff(&id, &HandoffInput::new(PackageStatus::Returned))?;
            }
        }
        Ok(())
    }
}

/// Part of a package's items, as a household short of room or need takes: half of the
/// first line of two or more, or all but the last line.
fn part_of(items: &[ItemLine]) -> Option<Vec<ItemLine>> {
    let mut part = items.to_vec();
    if let Some(l) = part.iter_mut().find(|l| l.quantity >= 2) {
        l.quantity /= 2;
        return Some(part);
    }
    (part.len() > 1).then(|| {
        part.pop();
        part
    })
}

fn pick<'a>(
    rng: &mut Rng,
    all: &'a [(String, String, Vec<Tag>)],
) -> &'a (String, String, Vec<Tag>) {
    loop {
        let r = rng.pick(all);
        if !r.2.is_empty() || rng.below(3) == 0 {
            return r;
        }
    }
}

fn visit(
    ds: &Doorstep,
    rng: &mut Rng,
    rid: &str,
    tags: &[Tag],
    report: &mut DemoReport,
) -> Result<()> {
    let subject = Subject {
        household_id: None,
        resident_id: Some(rid.to_string()),
    };
    let state = ds.start_visit(&NewVisit {
        subject: subject.clone(),
        template_id: None,
    })?;
    let id = state.visit_id.clone();
    let roll = rng.below(100);
    let outcome = match roll {
        0..=7 => VisitOutcome::NobodyHome,
        8..=9 => VisitOutcome::Refused,
        10..=17 => VisitOutcome::NeedsFollowUp,
        _ => VisitOutcome::Met,
    };
    if outcome.is_checklist() {
        // Answer what is shown until nothing new appears.
        for _ in 0..4 {
            let st = ds.visit_state(&id)?;
            let todo: Vec<(String, Option<Answer>)> = st
                .visible
                .iter()
                .filter(|q| q.answer.is_none())
                .filter_map(|q| {
                    answer_for(rng, &q.question.kind).map(|a| (q.question.id.clone(), Some(a)))
                })
                .collect();
            if todo.is_empty() {
                break;
            }
            ds.answer_all(&id, &todo)?;
        }
    }
    let finish = FinishVisit {
        outcome,
        note: None,
        follow_up_at_ms: None,
        follow_up_note: None,
    };
    let done = match ds.finish_visit(&id, &finish) {
        Ok(d) => d,
        Err(_) => {
            ds.discard_visit(&id)?;
            return Ok(());
        }
    };
    report.visits += 1;
    report.needs += done.needs.len() as u64;
    if outcome.is_checklist() && rng.below(100) < 25 {
        let (category, urgency) = need_kind(rng, tags);
        let need = ds.raise_need(&NewNeed {
            subject,
            category,
            urgency,
            details: None,
            drug: (category == NeedCategory::Medicine).then(|| "降压药".to_string()),
            days_left: (category == NeedCategory::Medicine).then(|| 1 + rng.below(5) as u32),
            visit_id: Some(id.clone()),
        })?;
        report.needs += 1;
        match rng.below(10) {
            0..=2 => {
                ds.set_need_status(
                    &need.id,
                    doorstep_core::visits::NeedStatus::Resolved,
                    Some("已送达"),
                )?;
            }
            3..=4 => {
                let target = match category {
                    NeedCategory::UrgentMedical | NeedCategory::Treatment => {
                        ReferralTarget::Hospital
                    }
                    NeedCategory::Psychological => ReferralTarget::PsychologicalSupport,
                    NeedCategory::ReliefApplication => ReferralTarget::CivilAffairs,
                    _ => ReferralTarget::SuppliesTeam,
                };
                let name = match target {
                    ReferralTarget::Hospital => Some("区人民医院".to_string()),
                    _ => Some("街道物资保障组".to_string()),
                };
                let r = ds.refer_need(
                    &need.id,
                    &NewReferral {
                        target,
                        target_id: None,
                        target_name: name,
                        note: None,
                    },
                )?;
                report.referrals += 1;
                if rng.below(2) == 0 {
                    ds.set_referral_status(&r.id, ReferralStatus::Accepted, None)?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn need_kind(rng: &mut Rng, tags: &[Tag]) -> (NeedCategory, Urgency) {
    let cat = if tags.contains(&Tag::ChronicIllness) && rng.below(2) == 0 {
        NeedCategory::Medicine
    } else {
        *rng.pick(&[
            NeedCategory::FoodStaples,
            NeedCategory::FoodStaples,
            NeedCategory::Vegetables,
            NeedCategory::CookingOil,
            NeedCategory::DailyNecessities,
            NeedCategory::Medicine,
            NeedCategory::Psychological,
            NeedCategory::NoCaregiver,
            NeedCategory::ReliefApplication,
            NeedCategory::UrgentMedical,
        ])
    };
    let urgency = match cat {
        NeedCategory::UrgentMedical => Urgency::Critical,
        NeedCategory::Medicine => Urgency::High,
        _ => *rng.pick(&[
            Urgency::Low,
            Urgency::Normal,
            Urgency::Normal,
            Urgency::High,
        ]),
    };
    (cat, urgency)
}

fn answer_for(rng: &mut Rng, kind: &QuestionKind) -> Option<Answer> {
    Some(match kind {
        QuestionKind::YesNo => Answer::Bool {
            value: rng.below(15) == 0,
        },
        QuestionKind::SingleChoice { options } => Answer::Choice {
            option: rng.pick(options).id.clone(),
        },
        QuestionKind::MultiChoice { options } => Answer::Choices {
            options: vec![options.first()?.id.clone()],
        },
        QuestionKind::Number { min, max, .. } => {
            let lo = min.unwrap_or(0.0);
            let hi = max.unwrap_or(lo + 10.0);
            Answer::Number {
                value: (lo + (hi - lo).min(5.0)).floor(),
            }
        }
        QuestionKind::Text { .. } => Answer::Text {
            value: "情况良好".to_string(),
        },
        QuestionKind::Date => Answer::Date {
            value: "2022-04-20".to_string(),
        },
        QuestionKind::Photo => return None,
    })
}

fn check_ins(
    ds: &Doorstep,
    clock: &ManualClock,
    rng: &mut Rng,
    everyone: &[(String, String, Vec<Tag>)],
    day_end: i64,
    base: i64,
    report: &mut DemoReport,
) -> Result<()> {
    // Morning testing round: 7:00 to 11:00 local time is 23:00 to 03:00 UTC; the demo
    // simply spreads scans over the four hours before `day_end - 8h`.
    let scans = base + rng.below(base as u64 / 3 + 1) as i64;
    let from = day_end - 12 * 3_600_000;
    let step = 4 * 3_600_000 / scans;
    clock.set(from);
    let mut tube: Option<String> = None;
    let mut tube_no = 0;
    let day_tag = day_end / DAY_MS;
    for i in 0..scans {
        clock.advance(step);
        let (rid, _, _) = rng.pick(everyone);
        let pass = ds.issue_pass(
            rid,
            clock_now(clock) - 3_600_000,
            clock_now(clock) + 7 * DAY_MS,
        )?;
        let site = SITES[(i % 2) as usize];
        let id = match &tube {
            Some(t) => t.clone(),
            None => {
                tube_no += 1;
                let t = ds.open_tube(&format!("HG{day_tag}{tube_no:04}"), site, Some(10))?;
                tube = Some(t.id.clone());
                t.id
            }
        };
        let lane = if i % 3 == 0 { "2" } else { "1" };
        let scan = ds.tube_scan(&id, &pass.text, lane)?;
        report.check_ins += 1;
        if scan.tube.members >= scan.tube.capacity {
            ds.seal_tube(&id)?;
            // Yesterday's tubes have their results; one came back positive.
            if clock_now(clock) < day_end - DAY_MS / 2 || rng.below(3) > 0 {
                let result = if tube_no == 7 {
                    doorstep_core::checkin::TubeResult::Positive
                } else {
                    doorstep_core::checkin::TubeResult::Negative
                };
                ds.set_tube_result(&id, result)?;
            }
            tube = None;
        }
    }
    Ok(())
}

fn clock_now(clock: &ManualClock) -> i64 {
    doorstep_core::Clock::now_ms(clock)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_same_seed_and_time_make_the_same_demo() {
        let dir = tempfile::tempdir().unwrap();
        let now = 1_650_000_000_000;
        let a = super::fill_sized(&dir.path().join("a.db"), &[1u8; 32], now, 300).unwrap();
        let b = super::fill_sized(&dir.path().join("b.db"), &[2u8; 32], now, 300).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.residents, 300);
        assert!(
            a.visits > 0 && a.needs > 0 && a.referrals > 0 && a.check_ins > 0,
            "{a:?}"
        );
        assert!(a.requests > 0 && a.deliveries > 0, "{a:?}");
    }
}
