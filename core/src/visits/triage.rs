//! The due list: one ranked list of who to visit next in a worker's areas, following the
//! social workers' rule of life first, the vulnerable second, the urgent third:
//!
//! 1. **Life**: open (or in-progress) needs for urgent medical care, anything critical,
//!    or medicine that runs out within three days; most urgent first, then urgent medical
//!    care, then the earliest deadline (when the medicine runs out, or when it was raised).
//! 2. **Vulnerable**: residents with a vulnerability tag who have open needs, were never
//!    reached, or are overdue; the most urgent open need first, then never reached, then
//!    longest overdue.
//! 3. **Overdue**: everyone else whose follow-up or regular visit is overdue, longest
//!    overdue first.
//! 4. **Never visited**: households nobody has reached yet, by address.
//!
//! Each resident or household appears once, at its highest tier, with every reason that
//! put it there. The ranking reads `visit_subject`, a per-resident and per-household
//! summary that triggers mark stale and `store::refresh_subjects` rebuilds, through one
//! partial index per tier kept in that tier's order: a list of 50 over 50,000 residents
//! reads about 50 index entries per tier instead of every visit.

use std::collections::HashSet;

use rusqlite::Connection;

use super::model::*;
use super::store::{self, SubjectRow};
use crate::error::{Error, Result};
use crate::registry;

/// A medicine that runs out within this long is a life need.
pub const MEDICINE_WARNING_MS: i64 = 3 * 86_400_000;
/// Entries when the query asks for 0.
pub const DEFAULT_LIMIT: u32 = 50;
/// The most entries one call returns.
pub const MAX_LIMIT: u32 = 500;

/// Builds the due list for the worker's areas at time `now` from `visit_subject` as it
/// stands; `store::refresh_subjects` brings that up to date first.
pub fn due_list(conn: &Connection, q: &DueQuery, now: i64) -> Result<Vec<DueEntry>> {
    let limit = match q.limit {
        0 => DEFAULT_LIMIT,
        n if n > MAX_LIMIT => {
            return Err(Error::invalid(format!(
                "limit {n} is more than {MAX_LIMIT}"
            )))
        }
        n => n,
    } as usize;
    if q.area_ids.is_empty() {
        return Err(Error::invalid("a due list needs at least one area"));
    }
    let mut ranges = Vec::with_capacity(q.area_ids.len());
    for id in &q.area_ids {
        let area = registry::store::area(conn, id)?.ok_or_else(|| Error::not_found("area", id))?;
        ranges.push(store::place_range(&area.path));
    }
    let areas = store::area_ids_under(conn, &q.area_ids)?;
    let mut list = List {
        entries: Vec::with_capacity(limit),
        listed: HashSet::new(),
        households: HashSet::new(),
    };
    for (row, needs) in store::life_needs(conn, &areas, now + MEDICINE_WARNING_MS, limit)? {
        let mut reasons: Vec<DueReason> = needs
            .iter()
            .map(|n| DueReason::LifeNeed {
                need_id: n.id.clone(),
                category: n.category,
                urgency: n.urgency,
                runs_out_at_ms: n.runs_out_at_ms,
            })
            .collect();
        reasons.extend(reasons_for(&row, now));
        list.push(DueTier::Life, row, reasons);
    }
    use store::SubjectSet::*;
    // Within a tier, the sets come in rank order; each set is read in its own order.
    let plan: [(DueTier, store::SubjectSet); 5] = [
        (DueTier::Vulnerable, VulnerableWithNeeds),
        (DueTier::Vulnerable, VulnerableUnreached),
        (DueTier::Vulnerable, VulnerableDue),
        (DueTier::Overdue, OtherDue),
        (DueTier::NeverVisited, UnvisitedHouseholds),
    ];
    for (tier, set) in plan {
        let want = limit.saturating_sub(list.entries.len());
        if want == 0 {
            break;
        }
        // Rows already listed are skipped, so ask for that many more.
        let ask = (want + list.listed.len()) as u32;
        let mut rows = Vec::new();
        for (from, to) in &ranges {
            rows.extend(store::subjects(conn, set, (from, to), now, ask)?);
        }
        if ranges.len() > 1 {
            rows.sort_by_key(|r| rank_key(set, r));
        }
        for row in rows {
            if list.entries.len() == limit {
                break;
            }
            // A household whose resident is already listed is reached through that visit.
            if tier == DueTier::NeverVisited && list.households.contains(&row.household_id) {
                continue;
            }
            let reasons = reasons_for(&row, now);
            list.push(tier, row, reasons);
        }
    }
    list.entries.truncate(limit);
    Ok(list.entries)
}

/// The list being built: each resident or household once.
struct List {
    entries: Vec<DueEntry>,
    listed: HashSet<String>,
    households: HashSet<String>,
}

impl List {
    fn push(&mut self, tier: DueTier, row: SubjectRow, reasons: Vec<DueReason>) {
        if !self.listed.insert(row.id.clone()) {
            return;
        }
        self.households.insert(row.household_id.clone());
        self.entries.push(DueEntry {
            rank: self.entries.len() as u32 + 1,
            tier,
            resident_id: row.is_resident.then_some(row.id),
            household_id: row.household_id,
            resident_name: row.name,
            address: row.address,
            tags: row.tags,
            last_contact_at_ms: row.last_contact_at,
            reasons,
        });
    }
}

/// The order each set is read in, to merge the reads of several areas.
fn rank_key(set: store::SubjectSet, r: &SubjectRow) -> (i64, bool, i64, String, String) {
    use store::SubjectSet::*;
    let due = r.due_at.unwrap_or(i64::MIN);
    match set {
        VulnerableWithNeeds => (
            -r.top_urgency,
            r.last_contact_at.is_some(),
            due,
            r.place.clone(),
            r.id.clone(),
        ),
        VulnerableDue | OtherDue => (0, false, due, r.place.clone(), r.id.clone()),
        VulnerableUnreached | UnvisitedHouseholds => (0, false, 0, r.place.clone(), r.id.clone()),
    }
}

/// Why a resident or household is due, from its summary.
fn reasons_for(row: &SubjectRow, now: i64) -> Vec<DueReason> {
    let mut reasons = Vec::new();
    if row.open_needs > 0 && row.vulnerable {
        reasons.push(DueReason::OpenNeeds {
            count: row.open_needs,
            top_urgency: Urgency::from_rank(row.top_urgency),
        });
    }
    match row.last_contact_at {
        None if row.vulnerable || !row.is_resident => reasons.push(DueReason::NeverVisited {
            attempts: row.attempts,
        }),
        None => {}
        Some(last) => {
            if let Some(every) = row.every_ms {
                let due = last + every;
                if due <= now {
                    reasons.push(DueReason::VisitOverdue {
                        due_at_ms: due,
                        overdue_ms: now - due,
                        every_ms: every,
                    });
                }
            }
        }
    }
    if let Some(due) = row.follow_up_at.filter(|d| *d <= now) {
        reasons.push(DueReason::FollowUpOverdue {
            due_at_ms: due,
            overdue_ms: now - due,
        });
    }
    reasons
}
