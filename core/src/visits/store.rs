//! The visits module's SQL. Replicated writes go through the change log (see mod.rs);
//! these are the reads, the local drafts, and the due list's derived per-subject state.

use std::collections::BTreeSet;

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::model::*;
use crate::error::{Error, Result};
use crate::registry::store::decode_tags;
use crate::registry::Tag;

/// Answers as stored: a JSON array of `[question_id, answer]` pairs in template order.
pub fn encode_answers(answers: &[(String, Answer)]) -> String {
    serde_json::to_string(answers).expect("answers always serialise")
}

/// Reads stored answers; a value this build cannot read (from a newer app) is dropped
/// rather than failing the whole visit.
pub fn decode_answers(json: &str) -> Vec<(String, Answer)> {
    match serde_json::from_str::<Vec<(String, Answer)>>(json) {
        Ok(a) => a,
        Err(_) => serde_json::from_str::<Vec<(String, serde_json::Value)>>(json)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(q, v)| serde_json::from_value(v).ok().map(|a| (q, a)))
            .collect(),
    }
}

// Templates.

/// A stored template version: (template id, version, body).
pub fn stored_template(conn: &Connection, id: &str, version: u32) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT body FROM visit_template WHERE template_id = ?1 AND version = ?2
             AND _deleted = 0 ORDER BY _hlc LIMIT 1",
        )?
        .query_row(params![id, version], |r| r.get(0))
        .optional()?)
}

/// The newest stored version of a template id.
pub fn latest_stored_version(conn: &Connection, id: &str) -> Result<Option<u32>> {
    Ok(conn
        .prepare_cached(
            "SELECT max(version) FROM visit_template WHERE template_id = ?1 AND _deleted = 0",
        )?
        .query_row([id], |r| r.get::<_, Option<u32>>(0))?)
}

/// Every stored template version: (template id, version, body), newest first per id.
pub fn stored_templates(conn: &Connection) -> Result<Vec<(String, u32, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT template_id, version, body FROM visit_template
         WHERE _deleted = 0 AND body IS NOT NULL ORDER BY template_id, version DESC",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

// Drafts.

/// A visit being filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub id: String,
    pub household_id: String,
    pub resident_id: Option<String>,
    pub area_id: String,
    pub template_id: String,
    pub template_version: u32,
    pub answers: Vec<(String, Answer)>,
    pub started_at: i64,
    pub worker: String,
}

fn draft_row(r: &Row) -> rusqlite::Result<Draft> {
    let answers: String = r.get(6)?;
    Ok(Draft {
        id: r.get(0)?,
        household_id: r.get(1)?,
        resident_id: r.get(2)?,
        area_id: r.get(3)?,
        template_id: r.get(4)?,
        template_version: r.get(5)?,
        answers: decode_answers(&answers),
        started_at: r.get(7)?,
        worker: r.get(8)?,
    })
}

const DRAFT_COLS: &str = "id, household_id, resident_id, area_id, template_id, template_version,
     answers, started_at, worker";

/// A draft by id.
pub fn draft(conn: &Connection, id: &str) -> Result<Option<Draft>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {DRAFT_COLS} FROM visit_draft WHERE id = ?1"
        ))?
        .query_row([id], draft_row)
        .optional()?)
}

/// Every draft, oldest first.
pub fn drafts(conn: &Connection) -> Result<Vec<Draft>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {DRAFT_COLS} FROM visit_draft ORDER BY started_at, id"
    ))?;
    let rows = stmt.query_map([], draft_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Stores a draft, new or changed.
pub fn save_draft(conn: &Connection, d: &Draft) -> Result<()> {
    conn.prepare_cached(&format!(
        "INSERT OR REPLACE INTO visit_draft({DRAFT_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
    ))?
    .execute(params![
        d.id,
        d.household_id,
        d.resident_id,
        d.area_id,
        d.template_id,
        d.template_version,
        encode_answers(&d.answers),
        d.started_at,
        d.worker
    ])?;
    Ok(())
}

/// Drops a draft.
pub fn delete_draft(conn: &Connection, id: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM visit_draft WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

// Visits.

const VISIT_COLS: &str = "v.id, v.household_id, v.resident_id, v.area_id, v.template_id,
     v.template_version, v.answers, v.outcome, v.note, v.started_at, v.finished_at, v.worker,
     v.supersedes, v.corrected_at,
     (SELECT s.id FROM visit s WHERE s.supersedes = v.id ORDER BY s._hlc DESC, s.id LIMIT 1)";

fn visit_row(r: &Row) -> rusqlite::Result<Visit> {
    let answers: Option<String> = r.get(6)?;
    let outcome: Option<String> = r.get(7)?;
    Ok(Visit {
        id: r.get(0)?,
        household_id: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
        resident_id: r.get(2)?,
        area_id: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
        template_id: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
        template_version: r.get::<_, Option<u32>>(5)?.unwrap_or_default(),
        answers: answers
            .as_deref()
            .map(decode_answers)
            .unwrap_or_default()
            .into_iter()
            .map(|(question_id, value)| AnswerEntry { question_id, value })
            .collect(),
        // An outcome this build does not know was at least an attempt.
        outcome: outcome
            .as_deref()
            .and_then(VisitOutcome::from_code)
            .unwrap_or(VisitOutcome::NobodyHome),
        note: r.get(8)?,
        started_at_ms: r.get::<_, Option<i64>>(9)?.unwrap_or_default(),
        finished_at_ms: r.get::<_, Option<i64>>(10)?.unwrap_or_default(),
        worker: r.get::<_, Option<String>>(11)?.unwrap_or_default(),
        supersedes: r.get(12)?,
        corrected_at_ms: r.get(13)?,
        superseded_by: r.get(14)?,
    })
}

/// A finished visit by id.
pub fn visit(conn: &Connection, id: &str) -> Result<Option<Visit>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {VISIT_COLS} FROM visit v WHERE v.id = ?1"))?
        .query_row([id], visit_row)
        .optional()?)
}

/// A finished visit by id, or `NotFound`.
pub fn visit_or_404(conn: &Connection, id: &str) -> Result<Visit> {
    visit(conn, id)?.ok_or_else(|| Error::not_found("visit", id))
}

/// Every visit of a resident, or of a household (its own and its residents'), corrections
/// included, in the order they happened.
pub fn visit_history(
    conn: &Connection,
    household_id: Option<&str>,
    resident_id: Option<&str>,
) -> Result<Vec<Visit>> {
    let (sql, key) = match (resident_id, household_id) {
        (Some(r), _) => ("v.resident_id = ?1", r),
        (None, Some(h)) => ("v.household_id = ?1", h),
        (None, None) => return Ok(Vec::new()),
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {VISIT_COLS} FROM visit v WHERE {sql}
         ORDER BY v.finished_at, coalesce(v.corrected_at, 0), v._hlc, v.id"
    ))?;
    let rows = stmt.query_map([key], visit_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// When a visit last reached the subject (nobody-home attempts and superseded visits
/// left out).
pub fn last_contact(
    conn: &Connection,
    household_id: &str,
    resident_id: Option<&str>,
) -> Result<Option<i64>> {
    let (sql, key) = match resident_id {
        Some(r) => ("v.resident_id = ?1", r),
        None => ("v.household_id = ?1", household_id),
    };
    Ok(conn
        .prepare_cached(&format!(
            "SELECT max(v.finished_at) FROM visit v WHERE {sql} AND v.outcome <> 'nobody_home'
             AND NOT EXISTS (SELECT 1 FROM visit s WHERE s.supersedes = v.id)"
        ))?
        .query_row([key], |r| r.get(0))?)
}

// Needs.

const NEED_COLS: &str = "id, household_id, resident_id, area_id, category, urgency, details,
     drug, runs_out_at, status, visit_id, raised_at, raised_by, status_at";

fn need_row(r: &Row) -> rusqlite::Result<Need> {
    let category: Option<String> = r.get(4)?;
    let urgency: Option<String> = r.get(5)?;
    let status: Option<String> = r.get(9)?;
    Ok(Need {
        id: r.get(0)?,
        household_id: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
        resident_id: r.get(2)?,
        area_id: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
        category: category
            .as_deref()
            .and_then(NeedCategory::from_code)
            .unwrap_or(NeedCategory::Other),
        urgency: urgency
            .as_deref()
            .and_then(Urgency::from_code)
            .unwrap_or(Urgency::Normal),
        details: r.get(6)?,
        drug: r.get(7)?,
        runs_out_at_ms: r.get(8)?,
        status: status
            .as_deref()
            .and_then(NeedStatus::from_code)
            .unwrap_or(NeedStatus::Open),
        visit_id: r.get(10)?,
        raised_at_ms: r.get::<_, Option<i64>>(11)?.unwrap_or_default(),
        raised_by: r.get::<_, Option<String>>(12)?.unwrap_or_default(),
        status_at_ms: r.get::<_, Option<i64>>(13)?.unwrap_or_default(),
    })
}

/// A need by id.
pub fn need(conn: &Connection, id: &str) -> Result<Option<Need>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {NEED_COLS} FROM need WHERE id = ?1 AND _deleted = 0 AND category IS NOT NULL"
        ))?
        .query_row([id], need_row)
        .optional()?)
}

/// A need by id, or `NotFound`.
pub fn need_or_404(conn: &Connection, id: &str) -> Result<Need> {
    need(conn, id)?.ok_or_else(|| Error::not_found("need", id))
}

/// The needs of a resident, or those raised for a household as a whole, newest first.
pub fn needs_of(
    conn: &Connection,
    household_id: &str,
    resident_id: Option<&str>,
) -> Result<Vec<Need>> {
    let (sql, key) = match resident_id {
        Some(r) => ("resident_id = ?1", r),
        None => ("household_id = ?1 AND resident_id IS NULL", household_id),
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {NEED_COLS} FROM need WHERE {sql} AND _deleted = 0 AND category IS NOT NULL
         ORDER BY raised_at DESC, id"
    ))?;
    let rows = stmt.query_map([key], need_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Needs of the given statuses in the given areas, most urgent first, then oldest.
pub fn needs_in(conn: &Connection, area_ids: &str, statuses: &[NeedStatus]) -> Result<Vec<Need>> {
    let codes: Vec<&str> = statuses.iter().map(|s| s.code()).collect();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {NEED_COLS} FROM need
         WHERE status IN (SELECT value FROM json_each(?2))
           AND area_id IN (SELECT value FROM json_each(?1)) AND _deleted = 0
         ORDER BY CASE urgency WHEN 'critical' THEN 3 WHEN 'high' THEN 2 WHEN 'normal' THEN 1
                  ELSE 0 END DESC, raised_at, id"
    ))?;
    let rows = stmt.query_map(
        params![
            area_ids,
            serde_json::to_string(&codes).expect("codes serialise")
        ],
        need_row,
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// An active need (open, in progress or referred) of one category for a subject.
pub fn active_need(
    conn: &Connection,
    household_id: &str,
    resident_id: Option<&str>,
    category: NeedCategory,
) -> Result<Option<Need>> {
    let (sql, key) = match resident_id {
        Some(r) => ("resident_id = ?1", r),
        None => ("household_id = ?1 AND resident_id IS NULL", household_id),
    };
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {NEED_COLS} FROM need WHERE {sql} AND category = ?2 AND _deleted = 0
             AND status IN ('open', 'in_progress', 'referred') ORDER BY raised_at DESC LIMIT 1"
        ))?
        .query_row(params![key, category.code()], need_row)
        .optional()?)
}

/// A need's status changes, oldest first.
pub fn need_history(conn: &Connection, need_id: &str) -> Result<Vec<NeedUpdate>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, need_id, from_status, to_status, note, at, by_user FROM need_update
         WHERE need_id = ?1 ORDER BY at, _hlc, id",
    )?;
    let rows = stmt.query_map([need_id], |r| {
        let from: Option<String> = r.get(2)?;
        let to: String = r.get(3)?;
        Ok(NeedUpdate {
            id: r.get(0)?,
            need_id: r.get(1)?,
            from_status: from.as_deref().and_then(NeedStatus::from_code),
            to_status: NeedStatus::from_code(&to).unwrap_or(NeedStatus::Open),
            note: r.get(4)?,
            at_ms: r.get(5)?,
            by_user: r.get::<_, Option<String>>(6)?.unwrap_or_default(),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

// Referrals.

const REFERRAL_COLS: &str = "id, need_id, household_id, resident_id, area_id, category, target,
     target_id, target_name, note, status, created_at, created_by, status_at";

fn referral_row(r: &Row) -> rusqlite::Result<Referral> {
    let category: Option<String> = r.get(5)?;
    let target: Option<String> = r.get(6)?;
    let status: Option<String> = r.get(10)?;
    Ok(Referral {
        id: r.get(0)?,
        need_id: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
        household_id: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
        resident_id: r.get(3)?,
        area_id: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
        category: category
            .as_deref()
            .and_then(NeedCategory::from_code)
            .unwrap_or(NeedCategory::Other),
        target: target
            .as_deref()
            .and_then(ReferralTarget::from_code)
            .unwrap_or(ReferralTarget::Station),
        target_id: r.get(7)?,
        target_name: r.get(8)?,
        note: r.get(9)?,
        status: status
            .as_deref()
            .and_then(ReferralStatus::from_code)
            .unwrap_or(ReferralStatus::Sent),
        created_at_ms: r.get::<_, Option<i64>>(11)?.unwrap_or_default(),
        created_by: r.get::<_, Option<String>>(12)?.unwrap_or_default(),
        status_at_ms: r.get::<_, Option<i64>>(13)?.unwrap_or_default(),
    })
}

/// A referral by id.
pub fn referral(conn: &Connection, id: &str) -> Result<Option<Referral>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {REFERRAL_COLS} FROM referral WHERE id = ?1 AND _deleted = 0 AND target IS NOT NULL"
        ))?
        .query_row([id], referral_row)
        .optional()?)
}

/// A referral by id, or `NotFound`.
pub fn referral_or_404(conn: &Connection, id: &str) -> Result<Referral> {
    referral(conn, id)?.ok_or_else(|| Error::not_found("referral", id))
}

/// The referrals of a need, oldest first.
pub fn referrals_of_need(conn: &Connection, need_id: &str) -> Result<Vec<Referral>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {REFERRAL_COLS} FROM referral WHERE need_id = ?1 AND _deleted = 0
         AND target IS NOT NULL ORDER BY created_at, id"
    ))?;
    let rows = stmt.query_map([need_id], referral_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Referrals matching a query, oldest first; `area_ids` is a JSON array or `None` for all.
pub fn referrals(
    conn: &Connection,
    q: &ReferralQuery,
    area_ids: Option<&str>,
) -> Result<Vec<Referral>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {REFERRAL_COLS} FROM referral
         WHERE _deleted = 0 AND target IS NOT NULL
           AND (?1 IS NULL OR target = ?1) AND (?2 IS NULL OR target_id = ?2)
           AND (?3 IS NULL OR status = ?3)
           AND (?4 IS NULL OR area_id IN (SELECT value FROM json_each(?4)))
         ORDER BY created_at, id"
    ))?;
    let rows = stmt.query_map(
        params![
            q.target.map(|t| t.code()),
            q.target_id,
            q.status.map(|s| s.code()),
            area_ids
        ],
        referral_row,
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A referral's status changes, oldest first.
pub fn referral_history(conn: &Connection, referral_id: &str) -> Result<Vec<ReferralUpdate>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, referral_id, from_status, to_status, note, at, by_user FROM referral_update
         WHERE referral_id = ?1 ORDER BY at, _hlc, id",
    )?;
    let rows = stmt.query_map([referral_id], |r| {
        let from: Option<String> = r.get(2)?;
        let to: String = r.get(3)?;
        Ok(ReferralUpdate {
            id: r.get(0)?,
            referral_id: r.get(1)?,
            from_status: from.as_deref().and_then(ReferralStatus::from_code),
            to_status: ReferralStatus::from_code(&to).unwrap_or(ReferralStatus::Sent),
            note: r.get(4)?,
            at_ms: r.get(5)?,
            by_user: r.get::<_, Option<String>>(6)?.unwrap_or_default(),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

// Follow-ups.

const FOLLOW_UP_COLS: &str =
    "id, household_id, resident_id, due_at, note, visit_id, need_id, created_at, cancelled";

fn follow_up_row(r: &Row) -> rusqlite::Result<FollowUp> {
    Ok(FollowUp {
        id: r.get(0)?,
        household_id: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
        resident_id: r.get(2)?,
        due_at_ms: r.get::<_, Option<i64>>(3)?.unwrap_or_default(),
        note: r.get(4)?,
        visit_id: r.get(5)?,
        need_id: r.get(6)?,
        created_at_ms: r.get::<_, Option<i64>>(7)?.unwrap_or_default(),
        cancelled: r.get::<_, Option<bool>>(8)?.unwrap_or(false),
        done: false,
    })
}

/// A follow-up by id (its `done` left false; see `follow_ups_of`).
pub fn follow_up(conn: &Connection, id: &str) -> Result<Option<FollowUp>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {FOLLOW_UP_COLS} FROM follow_up WHERE id = ?1 AND _deleted = 0 AND due_at IS NOT NULL"
        ))?
        .query_row([id], follow_up_row)
        .optional()?)
}

/// The follow-ups of a resident, or of a household as a whole, by due time, with `done`
/// set when a visit reached them after scheduling.
pub fn follow_ups_of(
    conn: &Connection,
    household_id: &str,
    resident_id: Option<&str>,
) -> Result<Vec<FollowUp>> {
    let (sql, key) = match resident_id {
        Some(r) => ("resident_id = ?1", r),
        None => ("household_id = ?1 AND resident_id IS NULL", household_id),
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {FOLLOW_UP_COLS} FROM follow_up WHERE {sql} AND _deleted = 0
         AND due_at IS NOT NULL ORDER BY due_at, id"
    ))?;
    let rows = stmt.query_map([key], follow_up_row)?;
    let mut out: Vec<FollowUp> = rows.collect::<rusqlite::Result<_>>()?;
    let contact = last_contact(conn, household_id, resident_id)?;
    for f in &mut out {
        f.done = contact.is_some_and(|c| c > f.created_at_ms);
    }
    Ok(out)
}

// Frequencies.

/// The visit frequency per tag code, the station's setting over Doorstep's default;
/// `None` where a tag has no regular visits.
pub fn frequencies(conn: &Connection) -> Result<Vec<(String, Option<i64>)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, CASE WHEN every_ms > 0 THEN every_ms END FROM visit_frequency
         WHERE _deleted = 0
         UNION ALL
         SELECT d.id, d.every_ms FROM visit_frequency_default d
         WHERE NOT EXISTS (SELECT 1 FROM visit_frequency o WHERE o.id = d.id AND o._deleted = 0)
         ORDER BY 1",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

// Areas.

/// The ids of the given areas and every area below them, as a JSON array for
/// `IN (SELECT value FROM json_each(?))`.
pub fn area_ids_under(conn: &Connection, roots: &[String]) -> Result<String> {
    let mut ids: BTreeSet<String> = BTreeSet::new();
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM area WHERE _deleted = 0
         AND (path = ?1 OR (path >= ?1 || '/' AND path < ?1 || '0'))",
    )?;
    for root in roots {
        let area = crate::registry::store::area(conn, root)?
            .ok_or_else(|| Error::not_found("area", root))?;
        // '0' follows '/' in code order, so the range is exactly the paths below.
        for id in stmt.query_map([&area.path], |r| r.get::<_, String>(0))? {
            ids.insert(id?);
        }
    }
    Ok(serde_json::to_string(&ids).expect("ids serialise"))
}

// The due list's derived state.

/// Above this many changed subjects, rebuilding everything is faster than one by one.
const FULL_REBUILD_AT: usize = 2_000;

const VISIBLE_VISIT: &str = "NOT EXISTS (SELECT 1 FROM visit s WHERE s.supersedes = v.id)";

const URGENCY_RANK: &str =
    "CASE n.urgency WHEN 'critical' THEN 3 WHEN 'high' THEN 2 WHEN 'normal' THEN 1 ELSE 0 END";

/// The separator of `visit_subject.place`: below every printable character, so an area's
/// subjects are the range from `path + SEP` to `path + SEP + 1`.
const SEP: char = '\u{1}';

/// The `[from, to)` range of `visit_subject.place` that holds an area and everything
/// below it.
pub fn place_range(area_path: &str) -> (String, String) {
    let p = area_path.replace('/', &SEP.to_string());
    (format!("{p}{SEP}"), format!("{p}\u{2}"))
}

/// Brings `visit_subject` up to date with the changes the triggers noted.
pub fn refresh_subjects(conn: &Connection) -> Result<()> {
    let stale: Vec<String> = {
        let mut stmt = conn.prepare_cached("SELECT id FROM visit_stale")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    if stale.is_empty() {
        return Ok(());
    }
    // Called from reads, which hold no transaction: make the refresh one.
    let tx = if conn.is_autocommit() {
        Some(crate::store::immediate(conn)?)
    } else {
        None
    };
    if stale.len() > FULL_REBUILD_AT || stale.iter().any(|s| s == "*") {
        conn.execute("DELETE FROM visit_subject", [])?;
        conn.execute(&resident_subject_sql(false), [])?;
        conn.execute(&household_subject_sql(false), [])?;
    } else {
        let mut ids: BTreeSet<String> = stale.into_iter().collect();
        // Residents carry their household's area and address.
        let households: Vec<String> = ids.iter().cloned().collect();
        let mut of_household =
            conn.prepare_cached("SELECT id FROM resident WHERE household_id = ?1")?;
        let mut is_household = conn.prepare_cached("SELECT 1 FROM household WHERE id = ?1")?;
        for h in &households {
            if is_household.exists([h])? {
                for r in of_household.query_map([h], |r| r.get::<_, String>(0))? {
                    ids.insert(r?);
                }
            }
        }
        let mut delete = conn.prepare_cached("DELETE FROM visit_subject WHERE id = ?1")?;
        let mut resident = conn.prepare_cached(&resident_subject_sql(true))?;
        let mut household = conn.prepare_cached(&household_subject_sql(true))?;
        for id in &ids {
            delete.execute([id])?;
            if resident.execute([id])? == 0 {
                household.execute([id])?;
            }
        }
    }
    conn.execute("DELETE FROM visit_stale", [])?;
    if let Some(tx) = tx {
        tx.commit()?;
    }
    Ok(())
}

/// Wraps a subject's facts into a row: follow-ups still open (made after the last
/// contact) and the due time, the earlier of the next regular visit and the follow-up.
fn subject_insert(inner: &str, follow_up_filter: &str) -> String {
    format!(
        "INSERT OR REPLACE INTO visit_subject(id, kind, household_id, place, name, tags,
             address, vulnerable, every_ms, attempts, last_attempt_at, last_contact_at,
             follow_up_at, open_needs, top_urgency, due_at)
         SELECT id, kind, household_id, place, name, tags, address, vulnerable, every_ms,
             attempts,
             last_attempt_at, last_contact_at, follow_up_at, open_needs, top_urgency,
             CASE WHEN regular IS NULL THEN follow_up_at
                  WHEN follow_up_at IS NULL THEN regular
                  ELSE min(regular, follow_up_at) END
         FROM (
           SELECT s.*, s.last_contact_at + s.every_ms AS regular,
             (SELECT min(f.due_at) FROM follow_up f
              WHERE {follow_up_filter} AND f._deleted = 0 AND coalesce(f.cancelled, 0) = 0
                AND f.due_at IS NOT NULL
                AND (s.last_contact_at IS NULL OR f.created_at >= s.last_contact_at))
               AS follow_up_at
           FROM ({inner}) s
         )"
    )
}

/// Per-subject visit and need counts, grouped for everyone (`one` false) or for the
/// subject `?1` only, joined to the subject's row by `key`.
fn aggregates(column: &str, one: bool, needs_extra: &str) -> String {
    let only = |alias: &str| {
        if one {
            format!("AND {alias}.{column} = ?1")
        } else {
            String::new()
        }
    };
    format!(
        "LEFT JOIN (SELECT v.{column} AS key, count(*) AS attempts,
                  max(v.finished_at) AS last_attempt_at,
                  max(CASE WHEN v.outcome <> 'nobody_home' THEN v.finished_at END)
                    AS last_contact_at
                FROM visit v WHERE v.{column} IS NOT NULL {v} AND {VISIBLE_VISIT}
                GROUP BY v.{column}) vs ON vs.key = subject_id
         LEFT JOIN (SELECT n.{column} AS key, count(*) AS open_needs,
                  max({URGENCY_RANK}) AS top_urgency
                FROM need n WHERE n.{column} IS NOT NULL {n} {needs_extra}
                  AND n._deleted = 0 AND n.status IN ('open', 'in_progress')
                GROUP BY n.{column}) ns ON ns.key = subject_id",
        v = only("v"),
        n = only("n"),
    )
}

/// A household's place: its area's path with `SEP` for '/', then its address.
const PLACE: &str = "replace(coalesce(a.path, ''), '/', char(1)) || char(1)
    || coalesce(h.address, '') || ' ' || coalesce(h.unit, '')";

/// A household's address as the list shows it.
const ADDRESS: &str = "CASE WHEN h.unit IS NULL THEN coalesce(h.address, '')
    ELSE coalesce(h.address, '') || ' ' || h.unit END";

fn resident_subject_sql(one: bool) -> String {
    let tags = "json_each(CASE WHEN json_valid(r.tags) THEN r.tags ELSE '[]' END)";
    subject_insert(
        &format!(
            "SELECT subject_id AS id, 'resident' AS kind, r.household_id AS household_id,
               {place} || char(1) || r.name AS place, r.name AS name, r.tags AS tags,
               {address} AS address,
               EXISTS (SELECT 1 FROM {tags} t WHERE t.value NOT LIKE 'custom:%') AS vulnerable,
               (SELECT min(e) FROM (
                  SELECT CASE WHEN o.id IS NOT NULL THEN o.every_ms ELSE d.every_ms END AS e
                  FROM {tags} t
                  LEFT JOIN visit_frequency o ON o.id = t.value AND o._deleted = 0
                  LEFT JOIN visit_frequency_default d ON d.id = t.value)
                WHERE e > 0) AS every_ms,
               coalesce(vs.attempts, 0) AS attempts, vs.last_attempt_at AS last_attempt_at,
               vs.last_contact_at AS last_contact_at,
               coalesce(ns.open_needs, 0) AS open_needs,
               coalesce(ns.top_urgency, -1) AS top_urgency
             FROM (SELECT r.*, r.id AS subject_id FROM resident r) r
             LEFT JOIN household h ON h.id = r.household_id
             LEFT JOIN area a ON a.id = h.area_id
             {agg}
             WHERE r._deleted = 0 AND r.name IS NOT NULL AND r.household_id IS NOT NULL
               AND h.id IS NOT NULL {filter}",
            place = PLACE,
            address = ADDRESS,
            agg = aggregates("resident_id", one, ""),
            filter = if one { "AND r.id = ?1" } else { "" },
        ),
        "f.resident_id = s.id",
    )
}

fn household_subject_sql(one: bool) -> String {
    subject_insert(
        &format!(
            "SELECT subject_id AS id, 'household' AS kind, subject_id AS household_id,
               {place} AS place, NULL AS name, NULL AS tags, {address} AS address,
               0 AS vulnerable, NULL AS every_ms,
               coalesce(vs.attempts, 0) AS attempts, vs.last_attempt_at AS last_attempt_at,
               vs.last_contact_at AS last_contact_at,
               coalesce(ns.open_needs, 0) AS open_needs,
               coalesce(ns.top_urgency, -1) AS top_urgency
             FROM (SELECT h.*, h.id AS subject_id FROM household h) h
             LEFT JOIN area a ON a.id = h.area_id
             {agg}
             WHERE h._deleted = 0 AND h.address IS NOT NULL {filter}",
            place = PLACE,
            address = ADDRESS,
            agg = aggregates("household_id", one, "AND n.resident_id IS NULL"),
            filter = if one { "AND h.id = ?1" } else { "" },
        ),
        "f.household_id = s.id AND f.resident_id IS NULL",
    )
}

/// One row of `visit_subject`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectRow {
    pub id: String,
    pub is_resident: bool,
    pub household_id: String,
    pub place: String,
    /// The resident's name (`None` for a household).
    pub name: Option<String>,
    pub tags: Vec<Tag>,
    pub address: String,
    pub vulnerable: bool,
    pub every_ms: Option<i64>,
    pub attempts: u32,
    pub last_contact_at: Option<i64>,
    pub follow_up_at: Option<i64>,
    pub open_needs: u32,
    pub top_urgency: i64,
    pub due_at: Option<i64>,
}

const SUBJECT_COLS: &str = "id, kind, household_id, place, vulnerable, every_ms, attempts,
     last_contact_at, follow_up_at, open_needs, top_urgency, due_at, name, tags, address";

fn subject_row(r: &Row) -> rusqlite::Result<SubjectRow> {
    let kind: String = r.get(1)?;
    let tags: Option<String> = r.get(13)?;
    Ok(SubjectRow {
        id: r.get(0)?,
        is_resident: kind == "resident",
        household_id: r.get(2)?,
        place: r.get(3)?,
        vulnerable: r.get(4)?,
        every_ms: r.get(5)?,
        attempts: r.get(6)?,
        last_contact_at: r.get(7)?,
        follow_up_at: r.get(8)?,
        open_needs: r.get(9)?,
        top_urgency: r.get(10)?,
        due_at: r.get(11)?,
        name: r.get(12)?,
        tags: tags.as_deref().map(decode_tags).unwrap_or_default(),
        address: r.get(14)?,
    })
}

/// Which rows of `visit_subject` a due-list query reads. Each reads one partial index in
/// its tier's order and stops at the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectSet {
    /// Vulnerable residents with open needs: most urgent need first, never reached
    /// first, then longest overdue.
    VulnerableWithNeeds,
    /// Vulnerable residents without open needs nobody has reached, by place.
    VulnerableUnreached,
    /// Vulnerable residents without open needs whose visit is due, longest overdue first.
    VulnerableDue,
    /// Everyone else whose follow-up or regular visit is due, longest overdue first.
    OtherDue,
    /// Households nobody has reached, by place.
    UnvisitedHouseholds,
}

/// Up to `limit` rows of one set within the place range `[from, to)` at time `now`.
pub fn subjects(
    conn: &Connection,
    set: SubjectSet,
    (from, to): (&str, &str),
    now: i64,
    limit: u32,
) -> Result<Vec<SubjectRow>> {
    let (filter, order) = match set {
        SubjectSet::VulnerableWithNeeds => (
            "vulnerable = 1 AND open_needs > 0",
            "top_urgency DESC, last_contact_at IS NOT NULL, due_at, place",
        ),
        SubjectSet::VulnerableUnreached => (
            "vulnerable = 1 AND last_contact_at IS NULL AND open_needs = 0",
            "place",
        ),
        SubjectSet::VulnerableDue => (
            "vulnerable = 1 AND open_needs = 0 AND last_contact_at IS NOT NULL AND due_at <= ?3",
            "due_at, place",
        ),
        SubjectSet::OtherDue => ("vulnerable = 0 AND due_at <= ?3", "due_at, place"),
        SubjectSet::UnvisitedHouseholds => {
            ("kind = 'household' AND last_contact_at IS NULL", "place")
        }
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {SUBJECT_COLS} FROM visit_subject
         WHERE {filter} AND place >= ?1 AND place < ?2
         ORDER BY {order}, id LIMIT ?4"
    ))?;
    let rows = stmt.query_map(params![from, to, now, limit], subject_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Open or in-progress needs of the areas that put a life at risk, most pressing first:
/// urgent medical care or anything critical, or medicine that runs out by `medicine_by`.
/// Stops once `subjects` residents or households are found; returns each one's row and
/// life needs. Needs of a resident or household no longer there are left out.
pub fn life_needs(
    conn: &Connection,
    area_ids: &str,
    medicine_by: i64,
    subjects: usize,
) -> Result<Vec<(SubjectRow, Vec<Need>)>> {
    // The same rule as need_life's triggers, on the need itself.
    const LIFE: &str = "status IN ('open', 'in_progress') AND _deleted = 0
         AND (category = 'urgent_medical' OR urgency = 'critical'
              OR (category = 'medicine' AND runs_out_at <= ?2))";
    const ORDER: &str = "CASE urgency WHEN 'critical' THEN 3 WHEN 'high' THEN 2
         WHEN 'normal' THEN 1 ELSE 0 END DESC, category <> 'urgent_medical',
         CASE WHEN category = 'medicine' THEN coalesce(runs_out_at, raised_at)
         ELSE raised_at END, id";
    let mut stmt = conn.prepare_cached(
        "SELECT resident_id, household_id FROM need_life
         WHERE (life = 1 OR runs_out_at <= ?2) AND area_id IN (SELECT value FROM json_each(?1))
         ORDER BY rank DESC, deadline, need_id",
    )?;
    let mut rows = stmt.query(params![area_ids, medicine_by])?;
    let mut seen: std::collections::HashSet<(Option<String>, String)> = Default::default();
    let mut out = Vec::new();
    let mut of_resident = conn.prepare_cached(&format!(
        "SELECT {NEED_COLS} FROM need WHERE resident_id = ?1 AND {LIFE} ORDER BY {ORDER}"
    ))?;
    let mut of_household = conn.prepare_cached(&format!(
        "SELECT {NEED_COLS} FROM need WHERE household_id = ?1 AND resident_id IS NULL
         AND {LIFE} ORDER BY {ORDER}"
    ))?;
    while out.len() < subjects {
        let Some(r) = rows.next()? else { break };
        let key: (Option<String>, String) = (r.get(0)?, r.get(1)?);
        if !seen.insert(key.clone()) {
            continue;
        }
        let (resident, household) = key;
        let Some(row) = subject(conn, resident.as_deref().unwrap_or(&household))? else {
            continue;
        };
        let needs = match resident {
            Some(r) => of_resident.query_map(params![r, medicine_by], need_row)?,
            None => of_household.query_map(params![household, medicine_by], need_row)?,
        };
        out.push((row, needs.collect::<rusqlite::Result<Vec<Need>>>()?));
    }
    Ok(out)
}

/// The subject row of a resident or household, if it is live.
pub fn subject(conn: &Connection, id: &str) -> Result<Option<SubjectRow>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {SUBJECT_COLS} FROM visit_subject WHERE id = ?1"
        ))?
        .query_row([id], subject_row)
        .optional()?)
}

// The ledger.

/// Visits of the areas in `[from, to)` by outcome (corrections replace what they correct).
pub fn ledger_visits(
    conn: &Connection,
    area_ids: &str,
    from: i64,
    to: i64,
) -> Result<Vec<(String, u64)>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT v.outcome, count(*) FROM visit v
         WHERE v.area_id IN (SELECT value FROM json_each(?1))
           AND v.finished_at >= ?2 AND v.finished_at < ?3 AND {VISIBLE_VISIT}
         GROUP BY v.outcome ORDER BY v.outcome"
    ))?;
    let rows = stmt.query_map(params![area_ids, from, to], |r| {
        Ok((r.get(0)?, r.get::<_, i64>(1)? as u64))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Households with a visit, and residents reached, in `[from, to)`.
pub fn ledger_reach(conn: &Connection, area_ids: &str, from: i64, to: i64) -> Result<(u64, u64)> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT count(DISTINCT v.household_id),
                    count(DISTINCT CASE WHEN v.outcome IN ('met', 'needs_follow_up')
                                        THEN v.resident_id END)
             FROM visit v
             WHERE v.area_id IN (SELECT value FROM json_each(?1))
               AND v.finished_at >= ?2 AND v.finished_at < ?3 AND {VISIBLE_VISIT}"
        ))?
        .query_row(params![area_ids, from, to], |r| {
            Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64))
        })?)
}

/// Residents reached in `[from, to)`, counted under each of their current tags.
pub fn ledger_reached_by_tag(
    conn: &Connection,
    area_ids: &str,
    from: i64,
    to: i64,
) -> Result<Vec<(Tag, u64)>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT r.tags FROM resident r WHERE r.id IN (
           SELECT v.resident_id FROM visit v
           WHERE v.area_id IN (SELECT value FROM json_each(?1))
             AND v.finished_at >= ?2 AND v.finished_at < ?3
             AND v.outcome IN ('met', 'needs_follow_up') AND {VISIBLE_VISIT})"
    ))?;
    let mut counts: std::collections::BTreeMap<Tag, u64> = Default::default();
    for tags in stmt.query_map(params![area_ids, from, to], |r| {
        r.get::<_, Option<String>>(0)
    })? {
        for tag in tags?.as_deref().map(decode_tags).unwrap_or_default() {
            *counts.entry(tag).or_default() += 1;
        }
    }
    Ok(counts.into_iter().collect())
}

/// Needs of the areas raised in `[from, to)`, by category.
pub fn ledger_needs_raised(
    conn: &Connection,
    area_ids: &str,
    from: i64,
    to: i64,
) -> Result<Vec<(String, u64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT category, count(*) FROM need
         WHERE area_id IN (SELECT value FROM json_each(?1)) AND raised_at >= ?2 AND raised_at < ?3
           AND _deleted = 0 AND category IS NOT NULL
         GROUP BY category ORDER BY category",
    )?;
    let rows = stmt.query_map(params![area_ids, from, to], |r| {
        Ok((r.get(0)?, r.get::<_, i64>(1)? as u64))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Needs of the areas resolved in `[from, to)`, by category.
pub fn ledger_needs_resolved(
    conn: &Connection,
    area_ids: &str,
    from: i64,
    to: i64,
) -> Result<Vec<(String, u64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT n.category, count(DISTINCT n.id) FROM need_update u JOIN need n ON n.id = u.need_id
         WHERE u.to_status = 'resolved' AND u.at >= ?2 AND u.at < ?3
           AND n.area_id IN (SELECT value FROM json_each(?1)) AND n._deleted = 0
         GROUP BY n.category ORDER BY n.category",
    )?;
    let rows = stmt.query_map(params![area_ids, from, to], |r| {
        Ok((r.get(0)?, r.get::<_, i64>(1)? as u64))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Referral status changes of the areas in `[from, to)`, by the status reached.
pub fn ledger_referrals(
    conn: &Connection,
    area_ids: &str,
    from: i64,
    to: i64,
) -> Result<Vec<(String, u64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT u.to_status, count(*) FROM referral_update u JOIN referral r ON r.id = u.referral_id
         WHERE u.at >= ?2 AND u.at < ?3 AND r.area_id IN (SELECT value FROM json_each(?1))
         GROUP BY u.to_status ORDER BY u.to_status",
    )?;
    let rows = stmt.query_map(params![area_ids, from, to], |r| {
        Ok((r.get(0)?, r.get::<_, i64>(1)? as u64))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
