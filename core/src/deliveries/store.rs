//! The SQL of deliveries, and nothing else.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::model::*;
use crate::error::{Error, Result};
use crate::visits::Urgency;

/// Item lines as stored (JSON), empty when there are none.
pub fn lines(json: Option<String>) -> Vec<ItemLine> {
    json.and_then(|j| serde_json::from_str(&j).ok())
        .unwrap_or_default()
}

pub(crate) fn lines_json(lines: &[ItemLine]) -> String {
    serde_json::to_string(lines).expect("item lines serialise")
}

fn urgency(code: Option<String>) -> Urgency {
    code.and_then(|c| Urgency::from_code(&c))
        .unwrap_or(Urgency::Normal)
}

const REQUEST_COLS: &str = "id, household_id, area_id, source, need_id, referral_id, caller, items,
    urgency, notes, status, created_at, created_by, status_at";

fn request_row(r: &Row) -> rusqlite::Result<DeliveryRequest> {
    let source = match r.get::<_, Option<String>>(3)?.as_deref() {
        Some("need") => RequestSource::Need {
            need_id: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
        },
        Some("referral") => RequestSource::Referral {
            referral_id: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
        },
        Some("hotline") => RequestSource::Hotline { caller: r.get(6)? },
        _ => RequestSource::Manual,
    };
    Ok(DeliveryRequest {
        id: r.get(0)?,
        household_id: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
        area_id: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
        source,
        items: lines(r.get(7)?),
        urgency: urgency(r.get(8)?),
        notes: r.get(9)?,
        status: r
            .get::<_, Option<String>>(10)?
            .and_then(|s| RequestStatus::from_code(&s))
            .unwrap_or(RequestStatus::Open),
        created_at_ms: r.get::<_, Option<i64>>(11)?.unwrap_or_default(),
        created_by: r.get::<_, Option<String>>(12)?.unwrap_or_default(),
        status_at_ms: r.get::<_, Option<i64>>(13)?.unwrap_or_default(),
    })
}

/// A request by id, or `NotFound`.
pub fn request_or_404(conn: &Connection, id: &str) -> Result<DeliveryRequest> {
    conn.prepare_cached(&format!(
        "SELECT {REQUEST_COLS} FROM delivery_request WHERE id = ?1 AND _deleted = 0"
    ))?
    .query_row([id], request_row)
    .optional()?
    .ok_or_else(|| Error::not_found("request", id))
}

/// The salt and hash of a request's PIN.
pub fn pin_of(conn: &Connection, request_id: &str) -> Result<Option<(String, String)>> {
    Ok(conn
        .prepare_cached("SELECT pin_salt, pin_hash FROM delivery_request WHERE id = ?1")?
        .query_row([request_id], |r| {
            Ok((
                r.get::<_, Option<String>>(0)?,
                r.get::<_, Option<String>>(1)?,
            ))
        })
        .optional()?
        .and_then(|(s, h)| s.zip(h)))
}

/// Wrong PIN tries on a request since its last right one.
pub fn pin_failures(conn: &Connection, request_id: &str) -> Result<u32> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM pin_attempt WHERE request_id = ?1 AND ok = 0
             AND at >= coalesce((SELECT max(at) FROM pin_attempt
                                 WHERE request_id = ?1 AND ok = 1), 0)",
        )?
        .query_row([request_id], |r| r.get::<_, i64>(0))? as u32)
}

/// A household's requests, newest first.
pub fn requests_of(conn: &Connection, household_id: &str) -> Result<Vec<DeliveryRequest>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {REQUEST_COLS} FROM delivery_request
         WHERE household_id = ?1 AND _deleted = 0 ORDER BY created_at DESC, id DESC"
    ))?;
    let rows = stmt.query_map([household_id], request_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Requests not yet delivered in the given areas (a JSON array of ids), most urgent and
/// oldest first.
pub fn open_requests(conn: &Connection, areas: &str) -> Result<Vec<DeliveryRequest>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {REQUEST_COLS} FROM delivery_request
         WHERE area_id IN (SELECT value FROM json_each(?1)) AND status != 'delivered'
           AND _deleted = 0
         ORDER BY CASE urgency WHEN 'critical' THEN 0 WHEN 'high' THEN 1
                  WHEN 'normal' THEN 2 ELSE 3 END, created_at, id"
    ))?;
    let rows = stmt.query_map([areas], request_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

const PACKAGE_COLS: &str = "id, request_id, household_id, area_id, building_id, building, unit,
    address, urgency, medicine, items, delivered, status, runner, reason, head_hash, steps,
    created_at, status_at";

fn package_row(r: &Row) -> rusqlite::Result<Package> {
    Ok(Package {
        id: r.get(0)?,
        request_id: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
        household_id: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
        area_id: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
        building_id: r.get(4)?,
        building: r.get(5)?,
        unit: r.get(6)?,
        address: r.get::<_, Option<String>>(7)?.unwrap_or_default(),
        urgency: urgency(r.get(8)?),
        medicine: r.get::<_, Option<bool>>(9)?.unwrap_or(false),
        items: lines(r.get(10)?),
        delivered: lines(r.get(11)?),
        status: r
            .get::<_, Option<String>>(12)?
            .and_then(|s| PackageStatus::from_code(&s))
            .unwrap_or(PackageStatus::Requested),
        runner: r.get(13)?,
        reason: r
            .get::<_, Option<String>>(14)?
            .and_then(|s| FailReason::from_code(&s)),
        head_hash: r.get::<_, Option<String>>(15)?.unwrap_or_default(),
        steps: r.get::<_, Option<u32>>(16)?.unwrap_or(0),
        created_at_ms: r.get::<_, Option<i64>>(17)?.unwrap_or_default(),
        status_at_ms: r.get::<_, Option<i64>>(18)?.unwrap_or_default(),
    })
}

/// A package by id, or `NotFound`.
pub fn package_or_404(conn: &Connection, id: &str) -> Result<Package> {
    conn.prepare_cached(&format!(
        "SELECT {PACKAGE_COLS} FROM delivery_package WHERE id = ?1 AND _deleted = 0"
    ))?
    .query_row([id], package_row)
    .optional()?
    .ok_or_else(|| Error::not_found("package", id))
}

/// A request's packages, oldest first.
pub fn packages_of(conn: &Connection, request_id: &str) -> Result<Vec<Package>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {PACKAGE_COLS} FROM delivery_package
         WHERE request_id = ?1 AND _deleted = 0 ORDER BY created_at, id"
    ))?;
    let rows = stmt.query_map([request_id], package_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A runner's packages in the given statuses.
pub fn packages_of_runner(
    conn: &Connection,
    runner: &str,
    statuses: &[PackageStatus],
) -> Result<Vec<Package>> {
    let codes: Vec<&str> = statuses.iter().map(|s| s.code()).collect();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {PACKAGE_COLS} FROM delivery_package
         WHERE runner = ?1 AND status IN (SELECT value FROM json_each(?2)) AND _deleted = 0"
    ))?;
    let rows = stmt.query_map(
        params![
            runner,
            serde_json::to_string(&codes).expect("codes serialise")
        ],
        package_row,
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

const HANDOFF_COLS: &str = "id, package_id, seq, status, from_party, to_party, at, place, items,
    proof_kind, proof, reason, note, prev_hash, hash";

fn handoff_row(r: &Row) -> rusqlite::Result<Handoff> {
    Ok(Handoff {
        id: r.get(0)?,
        package_id: r.get(1)?,
        seq: r.get(2)?,
        status: r
            .get::<_, String>(3)
            .ok()
            .and_then(|s| PackageStatus::from_code(&s))
            .unwrap_or(PackageStatus::Requested),
        from: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
        to: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
        at_ms: r.get(6)?,
        place: r.get(7)?,
        items: lines(r.get(8)?),
        proof_kind: r
            .get::<_, Option<String>>(9)?
            .and_then(|s| ProofKind::from_code(&s)),
        proof: r.get(10)?,
        reason: r
            .get::<_, Option<String>>(11)?
            .and_then(|s| FailReason::from_code(&s)),
        note: r.get(12)?,
        prev_hash: r.get::<_, Option<String>>(13)?.unwrap_or_default(),
        hash: r.get::<_, Option<String>>(14)?.unwrap_or_default(),
    })
}

/// A package's handoffs in step order.
pub fn handoffs(conn: &Connection, package_id: &str) -> Result<Vec<Handoff>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {HANDOFF_COLS} FROM handoff WHERE package_id = ?1 AND _deleted = 0
         ORDER BY seq, at, id"
    ))?;
    let rows = stmt.query_map([package_id], handoff_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// An item's balance (0 when it never moved).
pub fn balance(conn: &Connection, item_key: &str) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT balance FROM stock_balance WHERE item_key = ?1")?
        .query_row([item_key], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

fn balance_row(r: &Row) -> rusqlite::Result<StockBalance> {
    Ok(StockBalance {
        line: ItemLine {
            item: r.get(0)?,
            name: r.get(1)?,
            dose: r.get(2)?,
            quantity: r.get(3)?,
        },
    })
}

/// Every item's balance, by item key.
pub fn balances(conn: &Connection) -> Result<Vec<StockBalance>> {
    let mut stmt = conn
        .prepare_cached("SELECT item, name, dose, balance FROM stock_balance ORDER BY item_key")?;
    let rows = stmt.query_map([], balance_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn move_row(r: &Row) -> rusqlite::Result<StockMove> {
    Ok(StockMove {
        id: r.get(0)?,
        line: ItemLine {
            item: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
            name: r.get(2)?,
            dose: r.get(3)?,
            quantity: r.get(4)?,
        },
        kind: r
            .get::<_, Option<String>>(5)?
            .and_then(|s| StockMoveKind::from_code(&s))
            .unwrap_or(StockMoveKind::Issue),
        package_id: r.get(6)?,
        source: r.get(7)?,
        note: r.get(8)?,
        at_ms: r.get(9)?,
        by: r.get::<_, Option<String>>(10)?.unwrap_or_default(),
    })
}

/// Every movement of stock, or of one item key, oldest first.
pub fn stock_moves(conn: &Connection, item_key: Option<&str>) -> Result<Vec<StockMove>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, item, name, dose, quantity, kind, package_id, source, note, at, by_user
         FROM stock_move WHERE (?1 IS NULL OR item_key = ?1) AND _deleted = 0
         ORDER BY at, _hlc, id",
    )?;
    let rows = stmt.query_map([item_key], move_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Per item key up to `until`: the item, received, issued, returned in `[from, until)`,
/// and the balance at `until`.
pub fn stock_day(conn: &Connection, from: i64, until: i64) -> Result<Vec<StockDay>> {
    let mut stmt = conn.prepare_cached(
        "SELECT item, name, dose,
                sum(CASE WHEN at >= ?1 AND kind IN ('donation', 'purchase') THEN quantity ELSE 0 END),
                sum(CASE WHEN at >= ?1 AND kind = 'issue' THEN -quantity ELSE 0 END),
                sum(CASE WHEN at >= ?1 AND kind = 'return' THEN quantity ELSE 0 END),
                sum(quantity)
         FROM stock_move WHERE at < ?2 AND _deleted = 0
         GROUP BY item_key ORDER BY item_key",
    )?;
    let rows = stmt.query_map([from, until], |r| {
        Ok(StockDay {
            line: ItemLine {
                item: r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                name: r.get(1)?,
                dose: r.get(2)?,
                quantity: r.get(6)?,
            },
            received: r.get(3)?,
            issued: r.get(4)?,
            returned: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Requests of the areas made in `[from, until)`, counted by status.
pub fn request_counts(
    conn: &Connection,
    areas: &str,
    from: i64,
    until: i64,
) -> Result<Vec<(String, u32)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT status, count(*) FROM delivery_request
         WHERE area_id IN (SELECT value FROM json_each(?1)) AND created_at >= ?2
           AND created_at < ?3 AND _deleted = 0
         GROUP BY status",
    )?;
    let rows = stmt.query_map(params![areas, from, until], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// When each request of the areas that is not delivered was made, up to `until`.
pub fn open_request_times(conn: &Connection, areas: &str, until: i64) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT created_at FROM delivery_request
         WHERE area_id IN (SELECT value FROM json_each(?1)) AND created_at < ?2
           AND status != 'delivered' AND _deleted = 0",
    )?;
    let rows = stmt.query_map(params![areas, until], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A handoff's status, items (JSON) and failure reason.
pub type DayHandoff = (String, Option<String>, Option<String>);

/// The day's delivering and failing handoffs of packages in the areas: status, items
/// and reason.
pub fn day_handoffs(
    conn: &Connection,
    areas: &str,
    from: i64,
    until: i64,
) -> Result<Vec<DayHandoff>> {
    let mut stmt = conn.prepare_cached(
        "SELECT h.status, h.items, h.reason FROM handoff h
         JOIN delivery_package p ON p.id = h.package_id
         WHERE h.at >= ?2 AND h.at < ?3
           AND h.status IN ('delivered', 'partly_delivered', 'failed')
           AND p.area_id IN (SELECT value FROM json_each(?1)) AND h._deleted = 0",
    )?;
    let rows = stmt.query_map(params![areas, from, until], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Stores a blob under its hash; the same bytes again change nothing.
pub fn put_blob(conn: &Connection, hash: &str, mime: &str, bytes: &[u8], at: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO blob(hash, mime, size, bytes, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(hash) DO NOTHING",
    )?
    .execute(params![hash, mime, bytes.len() as i64, bytes, at])?;
    Ok(())
}

/// A blob by hash.
pub fn blob(conn: &Connection, hash: &str) -> Result<Option<Blob>> {
    Ok(conn
        .prepare_cached("SELECT hash, mime, bytes FROM blob WHERE hash = ?1")?
        .query_row([hash], |r| {
            Ok(Blob {
                hash: r.get(0)?,
                mime: r.get(1)?,
                bytes: r.get(2)?,
            })
        })
        .optional()?)
}

/// Hashes of blobs not yet uploaded, oldest first.
pub fn pending_blobs(conn: &Connection, limit: u32) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT hash FROM blob WHERE uploaded_at IS NULL ORDER BY created_at, hash LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Marks a blob as uploaded.
pub fn mark_uploaded(conn: &Connection, hash: &str, at: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached("UPDATE blob SET uploaded_at = ?2 WHERE hash = ?1")?
        .execute(params![hash, at])?
        == 1)
}

/// Blobs named as proof by handoffs this phone holds but whose bytes it lacks (a photo
/// taken on another phone), oldest handoff first.
pub fn missing_blobs(conn: &Connection, limit: u32) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT h.proof FROM handoff h
         WHERE h.proof_kind IN ('photo', 'signature') AND h._deleted = 0
           AND NOT EXISTS (SELECT 1 FROM blob b WHERE b.hash = h.proof)
         GROUP BY h.proof ORDER BY min(h.at), h.proof LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Stores a blob fetched from the server: the server has it, so it is never uploaded.
pub fn put_fetched_blob(
    conn: &Connection,
    hash: &str,
    mime: &str,
    bytes: &[u8],
    at: i64,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO blob(hash, mime, size, bytes, created_at, uploaded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT(hash) DO NOTHING",
    )?
    .execute(params![hash, mime, bytes.len() as i64, bytes, at])?;
    Ok(())
}
