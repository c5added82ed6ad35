//! The sync module's SQL: its state (server, token, cursor), acknowledgements, rejected
//! ops and conflicts. Nothing else touches these tables.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension};

use super::protocol::{OpResult, OpVerdict};
use super::{Conflict, RejectedOp};
use crate::error::Result;
use crate::log::{FieldConflict, Hlc};

pub(crate) fn get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT value FROM sync_state WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

pub(crate) fn set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO sync_state(key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )?
    .execute([key, value])?;
    Ok(())
}

pub(crate) fn cursor(conn: &Connection) -> Result<i64> {
    Ok(get(conn, "cursor")?
        .and_then(|c| c.parse().ok())
        .unwrap_or(0))
}

/// Marks accepted ops acknowledged and keeps the reason of each rejected one, then moves
/// the log's settled watermark past them. Returns (accepted, rejected) among ops this
/// device wrote.
pub(crate) fn record_results(conn: &Connection, results: &[OpResult]) -> Result<(u64, u64)> {
    // This device's op ids are not indexed (nothing else looks them up): find the
    // positions of the ops still waiting in one pass over the pending window.
    let mut seq_of: HashMap<String, i64> = HashMap::new();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT seq, op_id FROM op_log WHERE seq > ?1 AND local = 1 AND acked = 0",
        )?;
        let rows = stmt.query_map([crate::log::settled(conn)?], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })?;
        for row in rows {
            let (seq, id) = row?;
            seq_of.insert(id, seq);
        }
    }
    let (mut accepted, mut rejected) = (0, 0);
    for r in results {
        let Some(seq) = seq_of.get(&r.op_id) else {
            continue;
        };
        match &r.verdict {
            OpVerdict::Accepted => {
                accepted += conn
                    .prepare_cached(
                        "UPDATE op_log SET acked = 1, rejected = NULL, rejected_code = NULL
                         WHERE seq = ?1 AND local = 1",
                    )?
                    .execute([seq])? as u64;
            }
            OpVerdict::Deferred { .. } => {}
            OpVerdict::Rejected { code, reason } => {
                rejected += conn
                    .prepare_cached(
                        "UPDATE op_log SET rejected = ?2, rejected_code = ?3
                         WHERE seq = ?1 AND local = 1 AND acked = 0",
                    )?
                    .execute(params![seq, reason, code])? as u64;
            }
        }
    }
    crate::log::settle(conn)?;
    Ok((accepted, rejected))
}

pub(crate) fn rejected(conn: &Connection) -> Result<Vec<RejectedOp>> {
    let mut stmt = conn.prepare_cached(
        "SELECT op_id, entity, entity_id, action, coalesce(rejected_code, ''), rejected
         FROM op_log WHERE rejected IS NOT NULL ORDER BY seq",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(RejectedOp {
            op_id: r.get(0)?,
            entity: r.get(1)?,
            entity_id: r.get(2)?,
            action: r.get(3)?,
            code: r.get(4)?,
            reason: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Puts a rejected op back in the queue (after an admin widened the device's scope).
pub(crate) fn retry_rejected(conn: &Connection, op_id: &str) -> Result<bool> {
    let seq: Option<i64> = conn
        .prepare_cached(
            "UPDATE op_log SET rejected = NULL, rejected_code = NULL
             WHERE op_id = ?1 AND rejected IS NOT NULL RETURNING seq",
        )?
        .query_row([op_id], |r| r.get(0))
        .optional()?;
    match seq {
        Some(seq) => {
            crate::log::unsettle(conn, seq)?;
            Ok(true)
        }
        None => Ok(false),
    }
}

pub(crate) fn add_conflicts(conn: &Connection, found: &[FieldConflict], now_ms: i64) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO sync_conflict(entity, entity_id, field, kept, kept_hlc, kept_device,
                                   lost, lost_hlc, lost_device, found_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for c in found {
        stmt.execute(params![
            c.entity,
            c.entity_id,
            c.field,
            c.kept.to_string(),
            c.kept_hlc.as_i64(),
            c.kept_device,
            c.lost.to_string(),
            c.lost_hlc.as_i64(),
            c.lost_device,
            now_ms
        ])?;
    }
    Ok(())
}

pub(crate) fn conflicts(conn: &Connection, include_reviewed: bool) -> Result<Vec<Conflict>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, entity, entity_id, field, kept, kept_hlc, kept_device, lost, lost_hlc,
                lost_device, found_at, reviewed
         FROM sync_conflict WHERE reviewed = 0 OR ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([include_reviewed], |r| {
        Ok(Conflict {
            id: r.get(0)?,
            entity: r.get(1)?,
            entity_id: r.get(2)?,
            field: r.get(3)?,
            kept: r.get(4)?,
            kept_hlc: Hlc::from_i64(r.get(5)?),
            kept_device: r.get(6)?,
            lost: r.get(7)?,
            lost_hlc: Hlc::from_i64(r.get(8)?),
            lost_device: r.get(9)?,
            found_at_ms: r.get(10)?,
            reviewed: r.get(11)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(crate) fn mark_reviewed(conn: &Connection, id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached("UPDATE sync_conflict SET reviewed = 1 WHERE id = ?1")?
        .execute([id])?
        == 1)
}

/// Bytes of a blob downloaded so far.
pub(crate) fn download_received(conn: &Connection, hash: &str) -> Result<u64> {
    let n: i64 = conn
        .prepare_cached(
            "SELECT coalesce(sum(length(bytes)), 0) FROM blob_download WHERE hash = ?1",
        )?
        .query_row([hash], |r| r.get(0))?;
    Ok(n as u64)
}

/// Keeps one downloaded part of a blob.
pub(crate) fn add_download_part(
    conn: &Connection,
    hash: &str,
    start: u64,
    mime: &str,
    bytes: &[u8],
    now: i64,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO blob_download(hash, start, mime, bytes, fetched_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(hash, start) DO UPDATE SET bytes = excluded.bytes, mime = excluded.mime",
    )?
    .execute(params![hash, start as i64, mime, bytes, now])?;
    Ok(())
}

/// A downloaded blob's type and bytes, parts in order.
pub(crate) fn download_bytes(conn: &Connection, hash: &str) -> Result<(String, Vec<u8>)> {
    let mut stmt = conn
        .prepare_cached("SELECT mime, bytes FROM blob_download WHERE hash = ?1 ORDER BY start")?;
    let mut rows = stmt.query([hash])?;
    let (mut mime, mut out) = (String::new(), Vec::new());
    while let Some(r) = rows.next()? {
        mime = r.get(0)?;
        out.extend_from_slice(&r.get::<_, Vec<u8>>(1)?);
    }
    Ok((mime, out))
}

/// Forgets a download's parts.
pub(crate) fn drop_download(conn: &Connection, hash: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM blob_download WHERE hash = ?1")?
        .execute([hash])?;
    Ok(())
}
