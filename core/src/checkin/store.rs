//! Check-in's SQL. Replicated writes go through the change log; the local tables
//! (signing keys, queue counters) are written here directly because they never leave
//! the phone.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::model::*;
use super::pass::{self, KeyId};
use crate::error::Result;

/// A trust-list row as the scan needs it.
pub struct TrustRow {
    pub public: [u8; 32],
    pub valid_from: i64,
    pub retired_at: Option<i64>,
}

/// Stores a new secret key of this phone.
pub fn insert_signing_key(
    conn: &Connection,
    key_id: &KeyId,
    secret: &[u8; 32],
    public: &[u8; 32],
    at: i64,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO signing_key(key_id, secret, public, created_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![key_id.to_hex(), &secret[..], &public[..], at])?;
    Ok(())
}

/// The newest secret key of this phone whose trust-list entry is not retired.
pub fn current_signing_key(conn: &Connection) -> Result<Option<[u8; 32]>> {
    let secret: Option<Vec<u8>> = conn
        .prepare_cached(
            "SELECT s.secret FROM signing_key s
             LEFT JOIN trusted_key t ON t.id = s.key_id
             WHERE t.retired_at IS NULL AND COALESCE(t._deleted, 0) = 0
             ORDER BY s.created_at DESC, s.key_id LIMIT 1",
        )?
        .query_row([], |r| r.get(0))
        .optional()?;
    Ok(secret.and_then(|s| <[u8; 32]>::try_from(s.as_slice()).ok()))
}

/// Every secret key this device holds: (key id, secret).
pub fn signing_secrets(conn: &Connection) -> Result<Vec<(String, [u8; 32])>> {
    let mut stmt = conn.prepare_cached("SELECT key_id, secret FROM signing_key ORDER BY key_id")?;
    let rows = stmt
        .query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, s)| <[u8; 32]>::try_from(s.as_slice()).ok().map(|s| (id, s)))
        .collect())
}

/// Forgets a secret key: a retired key must never sign again.
pub fn delete_signing_key(conn: &Connection, key_id: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM signing_key WHERE key_id = ?1")?
        .execute([key_id])?;
    Ok(())
}

/// A trust-list entry by key id (hex).
pub fn trusted_key(conn: &Connection, key_id: &str) -> Result<Option<TrustRow>> {
    let row: Option<(Option<String>, Option<i64>, Option<i64>)> = conn
        .prepare_cached(
            "SELECT public_key, valid_from, retired_at FROM trusted_key
             WHERE id = ?1 AND _deleted = 0",
        )?
        .query_row([key_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    Ok(row.and_then(|(public, from, retired)| {
        Some(TrustRow {
            public: pass::key_from_hex(&public?)?,
            valid_from: from.unwrap_or(0),
            retired_at: retired,
        })
    }))
}

/// The whole trust list, newest first.
pub fn trusted_keys(conn: &Connection) -> Result<Vec<TrustedKey>> {
    let mut stmt = conn.prepare_cached(
        "SELECT t.id, t.public_key, t.valid_from, t.retired_at,
                EXISTS(SELECT 1 FROM signing_key s WHERE s.key_id = t.id)
         FROM trusted_key t WHERE t._deleted = 0 AND t.public_key IS NOT NULL
         ORDER BY t.valid_from DESC, t.id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(TrustedKey {
            key_id: r.get(0)?,
            public_key: r.get(1)?,
            valid_from_ms: r.get::<_, Option<i64>>(2)?.unwrap_or(0),
            retired_at_ms: r.get(3)?,
            can_sign: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The reference a resident's passes carry: the first one made, so that devices which
/// both made one converge on the same.
pub fn ref_of(conn: &Connection, resident_id: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT id FROM pass_subject WHERE resident_id = ?1 ORDER BY _hlc, id LIMIT 1",
        )?
        .query_row([resident_id], |r| r.get(0))
        .optional()?)
}

/// Whom a reference belongs to, when this phone knows.
pub fn resident_of_ref(conn: &Connection, resident_ref: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT resident_id FROM pass_subject WHERE id = ?1")?
        .query_row([resident_ref], |r| r.get(0))
        .optional()?)
}

fn pass_row(r: &Row) -> rusqlite::Result<IssuedPass> {
    Ok(IssuedPass {
        pass_id: r.get(0)?,
        key_id: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
        resident_ref: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
        valid_from_ms: r.get::<_, Option<i64>>(3)?.unwrap_or(0),
        valid_until_ms: r.get::<_, Option<i64>>(4)?.unwrap_or(0),
        priority: PriorityFlags::from_bits(r.get::<_, Option<u8>>(5)?.unwrap_or(0)),
        text: r.get::<_, Option<String>>(6)?.unwrap_or_default(),
        issued_at_ms: r.get::<_, Option<i64>>(7)?.unwrap_or(0),
        resident_id: r.get(8)?,
    })
}

/// Passes issued to a resident (under any of their references), newest first.
pub fn passes_of(conn: &Connection, resident_id: &str) -> Result<Vec<IssuedPass>> {
    let mut stmt = conn.prepare_cached(
        "SELECT p.id, p.key_id, p.resident_ref, p.valid_from, p.valid_until, p.flags, p.text,
                p.issued_at, s.resident_id
         FROM pass_subject s JOIN pass p ON p.resident_ref = s.id
         WHERE s.resident_id = ?1 ORDER BY p.issued_at DESC, p.id",
    )?;
    let rows = stmt.query_map([resident_id], pass_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// True when the pass was revoked.
pub fn is_revoked(conn: &Connection, pass_id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM pass_revocation WHERE id = ?1")?
        .query_row([pass_id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Whether a check-in with this id is stored.
pub fn check_in_exists(conn: &Connection, id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM check_in WHERE id = ?1")?
        .exists([id])?)
}

/// The first admission of a resident at a site on a day: when, and the queue number.
pub fn first_admission(
    conn: &Connection,
    site: &str,
    day: &str,
    resident_ref: &str,
) -> Result<Option<(i64, String)>> {
    Ok(conn
        .prepare_cached(
            "SELECT at, COALESCE(queue_no, '') FROM check_in
             WHERE site = ?1 AND day = ?2 AND resident_ref = ?3
               AND outcome IN ('admitted', 'priority')
             ORDER BY at, id LIMIT 1",
        )?
        .query_row(params![site, day, resident_ref], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?)
}

/// The highest queue number with `prefix` given at a site on a day, from the check-ins
/// that carry it (0 when none): where a phone's count resumes after the store reopens.
pub fn last_queue_number(conn: &Connection, site: &str, day: &str, prefix: &str) -> Result<i64> {
    let head = format!("{prefix}-");
    Ok(conn
        .prepare_cached(
            "SELECT COALESCE(MAX(CAST(substr(queue_no, ?4) AS INTEGER)), 0) FROM check_in
             WHERE site = ?1 AND day = ?2 AND substr(queue_no, 1, ?3) = ?5",
        )?
        .query_row(
            params![site, day, head.len() as i64, head.len() as i64 + 1, head],
            |r| r.get(0),
        )?)
}

const CHECK_IN_COLS: &str = "id, site, day, lane, household_id, outcome, queue_no, pass_id, \
     resident_ref, key_id, flags, ref_at, detail, tube_id, _dev, at";

fn check_in_row(r: &Row) -> rusqlite::Result<CheckIn> {
    let lane: Option<String> = r.get(3)?;
    let household: Option<String> = r.get(4)?;
    let code: String = r.get(5)?;
    let queue_no: String = r.get::<_, Option<String>>(6)?.unwrap_or_default();
    let pass_id: Option<String> = r.get(7)?;
    let key_id: Option<String> = r.get(9)?;
    let flags: u8 = r.get::<_, Option<u8>>(10)?.unwrap_or(0);
    let ref_at: i64 = r.get::<_, Option<i64>>(11)?.unwrap_or(0);
    let detail: String = r.get::<_, Option<String>>(12)?.unwrap_or_default();
    let place = match household {
        Some(household_id) => Place::Home { household_id },
        None => Place::Lane {
            name: lane.clone().unwrap_or_default(),
        },
    };
    let lane = lane.unwrap_or_default();
    let outcome = match code.as_str() {
        "admitted" => ScanOutcome::Admitted { queue_no, lane },
        "priority" => ScanOutcome::Priority {
            queue_no,
            lane,
            priority: PriorityFlags::from_bits(flags),
        },
        "duplicate" => ScanOutcome::Duplicate {
            first_at_ms: ref_at,
            queue_no,
        },
        "expired" => ScanOutcome::Expired {
            valid_until_ms: ref_at,
        },
        "not_yet_valid" => ScanOutcome::NotYetValid {
            valid_from_ms: ref_at,
        },
        "revoked" => ScanOutcome::Revoked {
            pass_id: pass_id.clone().unwrap_or_default(),
        },
        "unknown_key" => ScanOutcome::UnknownKey {
            key_id: key_id.unwrap_or_default(),
        },
        "forged" => ScanOutcome::Forged,
        "in_open_tube" => ScanOutcome::InOpenTube { tube_code: detail },
        // A code from a newer build reads as what this build can say about it.
        _ => ScanOutcome::Unreadable { reason: detail },
    };
    Ok(CheckIn {
        id: r.get(0)?,
        site: r.get(1)?,
        day: r.get(2)?,
        place,
        outcome,
        pass_id,
        resident_ref: r.get::<_, Option<String>>(8)?.filter(|s| !s.is_empty()),
        tube_id: r.get(13)?,
        device: r.get::<_, Option<String>>(14)?.unwrap_or_default(),
        at_ms: r.get(15)?,
    })
}

/// Every scan at a site on a day, oldest first.
pub fn check_ins(conn: &Connection, site: &str, day: &str) -> Result<Vec<CheckIn>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {CHECK_IN_COLS} FROM check_in WHERE site = ?1 AND day = ?2 ORDER BY at, id"
    ))?;
    let rows = stmt.query_map([site, day], check_in_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

const TUBE_COLS: &str = "t.id, t.code, t.site, t.capacity, t.status, t.result, t.opened_at,
     t.sealed_at, t.result_at,
     (SELECT count(*) FROM tube_member m WHERE m.tube_id = t.id)";

fn tube_row(r: &rusqlite::Row) -> rusqlite::Result<Tube> {
    Ok(Tube {
        id: r.get(0)?,
        code: r.get(1)?,
        site: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
        capacity: r.get::<_, Option<u32>>(3)?.unwrap_or(0),
        status: r
            .get::<_, Option<String>>(4)?
            .as_deref()
            .and_then(TubeStatus::from_code)
            .unwrap_or(TubeStatus::Open),
        result: r
            .get::<_, Option<String>>(5)?
            .as_deref()
            .and_then(TubeResult::from_code)
            .unwrap_or(TubeResult::Pending),
        opened_at_ms: r.get::<_, Option<i64>>(6)?.unwrap_or(0),
        sealed_at_ms: r.get(7)?,
        result_at_ms: r.get(8)?,
        members: r.get(9)?,
    })
}

/// A tube by id, with its member count.
pub fn tube(conn: &Connection, id: &str) -> Result<Option<Tube>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {TUBE_COLS} FROM tube t WHERE t.id = ?1 AND t._deleted = 0 AND t.code IS NOT NULL"
        ))?
        .query_row([id], tube_row)
        .optional()?)
}

/// A site's tubes, open ones first, then the most recently opened; at most `limit`.
pub fn tubes_at(conn: &Connection, site: &str, limit: u32) -> Result<Vec<Tube>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {TUBE_COLS} FROM tube t
         WHERE t.site = ?1 AND t._deleted = 0 AND t.code IS NOT NULL
         ORDER BY t.status = 'open' DESC, t.opened_at DESC, t.id DESC LIMIT ?2"
    ))?;
    let rows = stmt.query_map(rusqlite::params![site, limit], tube_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The code of an open tube, other than `except`, that holds this resident.
pub fn open_tube_holding(
    conn: &Connection,
    resident_ref: &str,
    except: &str,
) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT t.code FROM tube_member m JOIN tube t ON t.id = m.tube_id
             WHERE m.resident_ref = ?1 AND t.id <> ?2 AND t.status = 'open' AND t._deleted = 0
             LIMIT 1",
        )?
        .query_row([resident_ref, except], |r| r.get(0))
        .optional()?)
}

/// True when the resident was sampled into any tube at a site on a day.
pub fn sampled_on(conn: &Connection, resident_ref: &str, site: &str, day: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM tube_member WHERE resident_ref = ?1 AND site = ?2 AND day = ?3",
        )?
        .query_row([resident_ref, site, day], |_| Ok(()))
        .optional()?
        .is_some())
}

/// A tube's members: reference, when sampled, and the queue number of that check-in.
pub fn members(conn: &Connection, tube_id: &str) -> Result<Vec<(String, i64, Option<String>)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT m.resident_ref, COALESCE(m.at, 0), c.queue_no FROM tube_member m
         LEFT JOIN check_in c ON c.site = m.site AND c.day = m.day
              AND c.resident_ref = m.resident_ref AND c.id = m.check_in_id
         WHERE m.tube_id = ?1 ORDER BY m.at, m.id",
    )?;
    let rows = stmt.query_map([tube_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
