//! SQLite storage: one file in WAL mode, a writer connection and a reader connection,
//! each behind a mutex and used from blocking threads. SQLite has one writer at a time,
//! so sequences commit in order and `seq > cursor` never skips.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use doorstep_core::log::{Action, Hlc, Op};
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, TransactionBehavior};

use super::*;
use crate::station::auth::file;

const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/sqlite/0001_sync.sql"),
    include_str!("../../migrations/sqlite/0002_blobs.sql"),
    include_str!("../../migrations/sqlite/0003_enrolment_list.sql"),
];

/// The SQLite storage. The station's own state (admins, sessions, settings, signing
/// keys) is in `admin.db` beside the database file, as the station keeps it.
pub struct SqliteStorage {
    writer: Arc<Mutex<Connection>>,
    reader: Arc<Mutex<Connection>>,
    station: Arc<Mutex<Connection>>,
}

fn connect(path: &Path) -> StoreResult<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

impl SqliteStorage {
    /// Opens (or creates) the database file and brings its schema up to date.
    pub fn open(path: &Path) -> StoreResult<SqliteStorage> {
        let writer = connect(path)?;
        let version: i64 = writer.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version > MIGRATIONS.len() as i64 {
            return Err(StoreError::Backend(format!(
                "{} has schema version {version}, newer than this server's {}",
                path.display(),
                MIGRATIONS.len()
            )));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = writer.unchecked_transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", i as i64 + 1)?;
            tx.commit()?;
        }
        let reader = connect(path)?;
        let station = crate::station::auth::file::open(&path.with_file_name("admin.db"))?;
        Ok(SqliteStorage {
            writer: Arc::new(Mutex::new(writer)),
            reader: Arc::new(Mutex::new(reader)),
            station: Arc::new(Mutex::new(station)),
        })
    }
}

async fn blocking<T: Send + 'static>(
    conn: &Arc<Mutex<Connection>>,
    f: impl FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
) -> StoreResult<T> {
    let conn = conn.clone();
    tokio::task::spawn_blocking(move || {
        let mut guard = conn.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    })
    .await
    .map_err(|e| StoreError::Backend(format!("storage task failed: {e}")))?
}

fn device_row(
    r: &rusqlite::Row,
) -> rusqlite::Result<(String, String, String, String, i64, Option<i64>)> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

fn to_device(
    (device_id, user, role, areas, token_expires_at, revoked_at): (
        String,
        String,
        String,
        String,
        i64,
        Option<i64>,
    ),
) -> StoreResult<Device> {
    Ok(Device {
        device_id,
        user,
        role: role_from(&role)?,
        areas: serde_json::from_str(&areas)?,
        token_expires_at,
        revoked: revoked_at.is_some(),
    })
}

pub(crate) fn parse_action(s: &str) -> StoreResult<Action> {
    match s {
        "put" => Ok(Action::Put),
        "fact" => Ok(Action::Fact),
        "delete" => Ok(Action::Delete),
        other => Err(StoreError::Backend(format!("stored action {other:?}"))),
    }
}

pub(crate) fn action_str(a: Action) -> &'static str {
    match a {
        Action::Put => "put",
        Action::Fact => "fact",
        Action::Delete => "delete",
    }
}

#[async_trait::async_trait]
impl Storage for SqliteStorage {
    fn kind(&self) -> &'static str {
        "sqlite"
    }

    async fn create_enrolment(&self, e: NewEnrolment) -> StoreResult<()> {
        blocking(&self.writer, move |c| {
            c.execute(
                "INSERT INTO enrolment(code_hash, user_id, role, areas, expires_at, token_ttl_ms, created_at, id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    e.code_hash,
                    e.user,
                    e.role.code(),
                    serde_json::to_string(&e.areas)?,
                    e.expires_at,
                    e.token_ttl_ms,
                    e.created_at,
                    e.id
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn redeem_enrolment(
        &self,
        code_hash: &str,
        device_id: &str,
        token_hash: &str,
        renewing: Option<&str>,
        now_ms: i64,
    ) -> StoreResult<Device> {
        let (code_hash, device_id, token_hash) = (
            code_hash.to_string(),
            device_id.to_string(),
            token_hash.to_string(),
        );
        let renewing = renewing.map(str::to_string);
        blocking(&self.writer, move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            type Code = (String, String, String, i64, i64, Option<i64>, Option<i64>);
            let row: Option<Code> = tx
                .query_row(
                    "SELECT user_id, role, areas, expires_at, token_ttl_ms, used_at, cancelled_at
                     FROM enrolment WHERE code_hash = ?1",
                    [&code_hash],
                    |r| {
                        Ok((
                            r.get(0)?,
                            r.get(1)?,
                            r.get(2)?,
                            r.get(3)?,
                            r.get(4)?,
                            r.get(5)?,
                            r.get(6)?,
                        ))
                    },
                )
                .optional()?;
            let Some((user, role, areas, expires_at, ttl, used_at, cancelled_at)) = row else {
                return Err(StoreError::CodeUnknown);
            };
            if used_at.is_some() {
                return Err(StoreError::CodeUsed);
            }
            if cancelled_at.is_some() {
                return Err(StoreError::CodeCancelled);
            }
            if expires_at <= now_ms {
                return Err(StoreError::CodeExpired);
            }
            let held: Option<(String, Option<i64>)> = tx
                .query_row(
                    "SELECT token_hash, revoked_at FROM device WHERE device_id = ?1",
                    [&device_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let renew = held.is_some();
            super::may_enrol_again(&device_id, held, renewing.as_deref())?;
            tx.execute(
                "UPDATE enrolment SET used_at = ?2, used_by = ?3 WHERE code_hash = ?1",
                params![code_hash, now_ms, device_id],
            )?;
            let token_expires_at = now_ms.saturating_add(ttl);
            let written = if renew {
                tx.execute(
                    "UPDATE device SET user_id = ?2, role = ?3, areas = ?4, token_hash = ?5,
                        token_expires_at = ?6, enrolled_at = ?7
                     WHERE device_id = ?1 AND token_hash = ?8 AND revoked_at IS NULL",
                    params![
                        device_id,
                        user,
                        role,
                        areas,
                        token_hash,
                        token_expires_at,
                        now_ms,
                        renewing
                    ],
                )?
            } else {
                tx.execute(
                    "INSERT INTO device(device_id, user_id, role, areas, token_hash, token_expires_at, enrolled_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(device_id) DO NOTHING",
                    params![device_id, user, role, areas, token_hash, token_expires_at, now_ms],
                )?
            };
            if written != 1 {
                return Err(StoreError::DeviceExists(device_id));
            }
            tx.commit()?;
            to_device((device_id, user, role, areas, token_expires_at, None))
        })
        .await
    }

    async fn device_by_token(&self, token_hash: &str) -> StoreResult<Option<Device>> {
        let token_hash = token_hash.to_string();
        blocking(&self.reader, move |c| {
            let row = c
                .prepare_cached(
                    "SELECT device_id, user_id, role, areas, token_expires_at, revoked_at
                     FROM device WHERE token_hash = ?1",
                )?
                .query_row([&token_hash], device_row)
                .optional()?;
            row.map(to_device).transpose()
        })
        .await
    }

    async fn device_token_hash(&self, device_id: &str) -> StoreResult<Option<String>> {
        let device_id = device_id.to_string();
        blocking(&self.reader, move |c| {
            Ok(
                c.prepare_cached("SELECT token_hash FROM device WHERE device_id = ?1")?
                    .query_row([&device_id], |r| r.get(0))
                    .optional()?,
            )
        })
        .await
    }

    async fn revoke_device(&self, device_id: &str, now_ms: i64) -> StoreResult<bool> {
        let device_id = device_id.to_string();
        blocking(&self.writer, move |c| {
            Ok(c.execute(
                "UPDATE device SET revoked_at = ?2 WHERE device_id = ?1",
                params![device_id, now_ms],
            )? == 1)
        })
        .await
    }

    async fn enrolments(&self, limit: u32) -> StoreResult<Vec<Enrolment>> {
        blocking(&self.reader, move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, user_id, role, areas, created_at, expires_at, used_at, used_by,
                        cancelled_at
                 FROM enrolment ORDER BY created_at DESC, id LIMIT ?1",
            )?;
            let rows = stmt
                .query_map([limit], |r| {
                    Ok((
                        (
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, String>(3)?,
                        ),
                        (r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?),
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rows.into_iter()
                .map(
                    |(
                        (id, user, role, areas),
                        (created_at, expires_at, used_at, used_by, cancelled_at),
                    )| {
                        Ok(Enrolment {
                            id,
                            user,
                            role: role_from(&role)?,
                            areas: serde_json::from_str(&areas)?,
                            created_at,
                            expires_at,
                            used_at,
                            used_by,
                            cancelled_at,
                        })
                    },
                )
                .collect()
        })
        .await
    }

    async fn cancel_enrolment(&self, id: &str, now_ms: i64) -> StoreResult<bool> {
        let id = id.to_string();
        blocking(&self.writer, move |c| {
            Ok(c.execute(
                "UPDATE enrolment SET cancelled_at = ?2
                 WHERE id = ?1 AND used_at IS NULL AND cancelled_at IS NULL",
                params![id, now_ms],
            )? == 1)
        })
        .await
    }

    async fn devices(&self) -> StoreResult<Vec<DeviceRecord>> {
        blocking(&self.reader, move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT device_id, user_id, role, areas, token_expires_at, revoked_at, enrolled_at
                 FROM device ORDER BY enrolled_at DESC, device_id",
            )?;
            let rows = stmt
                .query_map([], |r| Ok((device_row(r)?, r.get::<_, i64>(6)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rows.into_iter()
                .map(|(row, enrolled_at)| {
                    let revoked_at = row.5;
                    Ok(DeviceRecord {
                        device: to_device(row)?,
                        enrolled_at,
                        revoked_at,
                    })
                })
                .collect()
        })
        .await
    }

    async fn known_ops(&self, ids: &[String]) -> StoreResult<HashSet<String>> {
        let ids = ids.to_vec();
        blocking(&self.reader, move |c| {
            let mut found = HashSet::new();
            let mut stmt = c.prepare_cached("SELECT 1 FROM op WHERE op_id = ?1")?;
            for id in ids {
                if stmt.exists([&id])? {
                    found.insert(id);
                }
            }
            Ok(found)
        })
        .await
    }

    async fn areas_of(
        &self,
        keys: &[(String, String)],
    ) -> StoreResult<HashMap<(String, String), String>> {
        let keys = keys.to_vec();
        blocking(&self.reader, move |c| {
            let mut out = HashMap::new();
            let mut stmt = c.prepare_cached(
                "SELECT area FROM entity_area WHERE entity = ?1 AND entity_id = ?2",
            )?;
            for key in keys {
                if let Some(area) = stmt
                    .query_row(params![key.0, key.1], |r| r.get::<_, String>(0))
                    .optional()?
                {
                    out.insert(key, area);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn insert_ops(&self, ops: &[StoredOp], now_ms: i64) -> StoreResult<u64> {
        let ops = ops.to_vec();
        blocking(&self.writer, move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut inserted = 0;
            {
                let mut ins = tx.prepare_cached(
                    "INSERT INTO op(op_id, hlc, device, user_id, entity, entity_id, action, fields, area, received_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT(op_id) DO NOTHING",
                )?;
                let mut place = tx.prepare_cached(
                    "INSERT INTO entity_area(entity, entity_id, area) VALUES (?1, ?2, ?3)
                     ON CONFLICT(entity, entity_id) DO UPDATE SET area = excluded.area",
                )?;
                let mut refer = tx.prepare_cached(
                    "INSERT INTO blob_ref(hash, seq) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                )?;
                for s in &ops {
                    let op = &s.op;
                    let n = ins.execute(params![
                        op.id,
                        op.hlc.as_i64(),
                        op.device,
                        op.user,
                        op.entity,
                        op.entity_id,
                        action_str(op.action),
                        serde_json::to_string(&op.fields)?,
                        s.area,
                        now_ms
                    ])?;
                    if n == 1 {
                        inserted += 1;
                        if let Some(hash) = &s.blob {
                            refer.execute(params![hash, tx.last_insert_rowid()])?;
                        }
                        place.execute(params![op.entity, op.entity_id, s.area])?;
                    }
                }
            }
            tx.commit()?;
            Ok(inserted)
        })
        .await
    }

    async fn place_rows(&self, rows: &[(String, String, String)]) -> StoreResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let rows = rows.to_vec();
        blocking(&self.writer, move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            {
                let mut stmt = tx.prepare_cached(
                    "INSERT INTO entity_area(entity, entity_id, area) VALUES (?1, ?2, ?3)
                     ON CONFLICT(entity, entity_id) DO NOTHING",
                )?;
                for (e, id, area) in &rows {
                    stmt.execute(params![e, id, area])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn pull(&self, filter: &PullFilter, after: i64, limit: u32) -> StoreResult<Page> {
        let filter = filter.clone();
        blocking(&self.reader, move |c| {
            let tx = c.transaction()?;
            let mut sql = String::from(
                "SELECT seq, op_id, hlc, device, user_id, entity, entity_id, action, fields FROM op
                 WHERE seq > ? AND device <> ?",
            );
            let mut args: Vec<rusqlite::types::Value> =
                vec![after.into(), filter.exclude_device.clone().into()];
            scope_sql(&filter, &mut sql, &mut args);
            sql.push_str(" ORDER BY seq LIMIT ?");
            args.push((limit as i64).into());
            let mut ops = Vec::new();
            {
                let mut stmt = tx.prepare_cached(&sql)?;
                let mut rows = stmt.query(params_from_iter(args))?;
                while let Some(r) = rows.next()? {
                    let fields: String = r.get(8)?;
                    let action: String = r.get(7)?;
                    ops.push((
                        r.get::<_, i64>(0)?,
                        Op {
                            id: r.get(1)?,
                            hlc: Hlc::from_i64(r.get(2)?),
                            device: r.get(3)?,
                            user: r.get(4)?,
                            entity: r.get(5)?,
                            entity_id: r.get(6)?,
                            action: parse_action(&action)?,
                            fields: serde_json::from_str(&fields)?,
                        },
                    ));
                }
            }
            let high_water: i64 =
                tx.query_row("SELECT coalesce(max(seq), 0) FROM op", [], |r| r.get(0))?;
            tx.commit()?;
            Ok(Page { ops, high_water })
        })
        .await
    }

    async fn op_count(&self) -> StoreResult<u64> {
        blocking(&self.reader, |c| {
            Ok(c.query_row("SELECT count(*) FROM op", [], |r| r.get::<_, i64>(0))? as u64)
        })
        .await
    }

    async fn blob_meta(&self, hash: &str) -> StoreResult<Option<BlobMeta>> {
        let hash = hash.to_string();
        blocking(&self.reader, move |c| {
            Ok(
                c.prepare_cached("SELECT size, mime FROM blob WHERE hash = ?1")?
                    .query_row([&hash], |r| {
                        Ok(BlobMeta {
                            size: r.get::<_, i64>(0)? as u64,
                            mime: r.get(1)?,
                        })
                    })
                    .optional()?,
            )
        })
        .await
    }

    async fn blob_range(&self, hash: &str, start: u64, len: u64) -> StoreResult<Option<Vec<u8>>> {
        let hash = hash.to_string();
        blocking(&self.reader, move |c| {
            Ok(
                c.prepare_cached("SELECT substr(bytes, ?2, ?3) FROM blob WHERE hash = ?1")?
                    .query_row(params![hash, start as i64 + 1, len as i64], |r| {
                        r.get::<_, Vec<u8>>(0)
                    })
                    .optional()?,
            )
        })
        .await
    }

    async fn blob_readable(
        &self,
        hash: &str,
        device: &str,
        filter: &PullFilter,
    ) -> StoreResult<bool> {
        let (hash, device, filter) = (hash.to_string(), device.to_string(), filter.clone());
        blocking(&self.reader, move |c| {
            let mine = c
                .prepare_cached("SELECT 1 FROM blob WHERE hash = ?1 AND uploaded_by = ?2")?
                .exists(params![hash, device])?;
            if mine {
                return Ok(true);
            }
            let mut sql = String::from(
                "SELECT 1 FROM op WHERE seq IN (SELECT seq FROM blob_ref WHERE hash = ?)",
            );
            let mut args: Vec<rusqlite::types::Value> = vec![hash.into()];
            scope_sql(&filter, &mut sql, &mut args);
            sql.push_str(" LIMIT 1");
            Ok(c.prepare(&sql)?.exists(params_from_iter(args))?)
        })
        .await
    }

    async fn upload_received(&self, hash: &str, device: &str) -> StoreResult<u64> {
        let (hash, device) = (hash.to_string(), device.to_string());
        blocking(&self.reader, move |c| {
            Ok(
                c.prepare_cached(
                    "SELECT received FROM blob_upload WHERE hash = ?1 AND device = ?2",
                )?
                .query_row(params![hash, device], |r| r.get::<_, i64>(0))
                .optional()?
                .unwrap_or(0) as u64,
            )
        })
        .await
    }

    async fn append_upload(&self, part: UploadPart) -> StoreResult<u64> {
        blocking(&self.writer, move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let held: Option<(i64, i64)> = tx
                .query_row(
                    "SELECT received, total FROM blob_upload WHERE hash = ?1 AND device = ?2",
                    params![part.hash, part.device],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let (received, total) = held.map_or((0, part.total), |(r, t)| (r as u64, t as u64));
            let now = part.follows(received, total)?;
            tx.execute(
                "INSERT INTO blob_upload(hash, device, total, mime, received, started_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(hash, device) DO UPDATE SET received = excluded.received",
                params![
                    part.hash,
                    part.device,
                    total as i64,
                    part.mime,
                    now as i64,
                    part.now_ms
                ],
            )?;
            tx.execute(
                "INSERT INTO blob_part(hash, device, start, bytes) VALUES (?1, ?2, ?3, ?4)",
                params![part.hash, part.device, received as i64, part.bytes],
            )?;
            tx.commit()?;
            Ok(now)
        })
        .await
    }

    async fn upload_bytes(&self, hash: &str, device: &str) -> StoreResult<Vec<u8>> {
        let (hash, device) = (hash.to_string(), device.to_string());
        blocking(&self.reader, move |c| {
            let mut out = Vec::new();
            let mut stmt = c.prepare_cached(
                "SELECT bytes FROM blob_part WHERE hash = ?1 AND device = ?2 ORDER BY start",
            )?;
            let mut rows = stmt.query(params![hash, device])?;
            while let Some(r) = rows.next()? {
                out.extend_from_slice(&r.get::<_, Vec<u8>>(0)?);
            }
            Ok(out)
        })
        .await
    }

    async fn finish_upload(
        &self,
        hash: &str,
        device: &str,
        keep: Option<(&str, &[u8])>,
        now_ms: i64,
    ) -> StoreResult<()> {
        let (hash, device) = (hash.to_string(), device.to_string());
        let keep = keep.map(|(m, b)| (m.to_string(), b.to_vec()));
        blocking(&self.writer, move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if let Some((mime, bytes)) = keep {
                tx.execute(
                    "INSERT INTO blob(hash, mime, size, bytes, uploaded_by, stored_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(hash) DO NOTHING",
                    params![hash, mime, bytes.len() as i64, bytes, device, now_ms],
                )?;
            }
            tx.execute(
                "DELETE FROM blob_part WHERE hash = ?1 AND device = ?2",
                params![hash, device],
            )?;
            tx.execute(
                "DELETE FROM blob_upload WHERE hash = ?1 AND device = ?2",
                params![hash, device],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn put_admin(&self, admin: &AdminRow) -> StoreResult<()> {
        let admin = admin.clone();
        blocking(&self.station, move |c| Ok(file::put_admin(c, &admin)?)).await
    }

    async fn admin(&self, name: &str) -> StoreResult<Option<AdminRow>> {
        let name = name.to_string();
        blocking(&self.station, move |c| Ok(file::admin(c, &name)?)).await
    }

    async fn admin_count(&self) -> StoreResult<u64> {
        blocking(&self.station, |c| Ok(file::admin_count(c)?)).await
    }

    async fn start_session(&self, session: &SessionRow, now_ms: i64) -> StoreResult<()> {
        let session = session.clone();
        blocking(&self.station, move |c| {
            Ok(file::start_session(c, &session, now_ms)?)
        })
        .await
    }

    async fn session(&self, token_hash: &str, now_ms: i64) -> StoreResult<Option<LiveSession>> {
        let token_hash = token_hash.to_string();
        blocking(&self.station, move |c| {
            Ok(file::session(c, &token_hash, now_ms)?)
        })
        .await
    }

    async fn end_session(&self, token_hash: &str) -> StoreResult<()> {
        let token_hash = token_hash.to_string();
        blocking(&self.station, move |c| {
            Ok(file::end_session(c, &token_hash)?)
        })
        .await
    }

    async fn setting_or(&self, key: &str, value: &str) -> StoreResult<String> {
        let (key, value) = (key.to_string(), value.to_string());
        blocking(&self.station, move |c| {
            Ok(file::setting_or(c, &key, &value)?)
        })
        .await
    }

    async fn station_keys(&self) -> StoreResult<Vec<(String, Vec<u8>)>> {
        blocking(&self.station, |c| Ok(file::station_keys(c)?)).await
    }

    async fn put_station_key(&self, key_id: &str, secret: &[u8]) -> StoreResult<()> {
        let (key_id, secret) = (key_id.to_string(), secret.to_vec());
        blocking(&self.station, move |c| {
            Ok(file::put_station_key(c, &key_id, &secret)?)
        })
        .await
    }

    async fn drop_station_key(&self, key_id: &str) -> StoreResult<()> {
        let key_id = key_id.to_string();
        blocking(&self.station, move |c| {
            Ok(file::drop_station_key(c, &key_id)?)
        })
        .await
    }
}

/// Appends to `sql` the conditions of `filter` on an op's entity and area.
fn scope_sql(filter: &PullFilter, sql: &mut String, args: &mut Vec<rusqlite::types::Value>) {
    sql.push_str(" AND entity IN (");
    sql.push_str(&vec!["?"; filter.entities.len().max(1)].join(","));
    sql.push(')');
    if filter.entities.is_empty() {
        args.push(String::new().into());
    }
    args.extend(filter.entities.iter().cloned().map(Into::into));
    if let Some(areas) = &filter.areas {
        sql.push_str(" AND (area = ''");
        for a in areas {
            sql.push_str(" OR area = ? OR area LIKE ? ESCAPE '\\'");
            args.push(a.clone().into());
            args.push(format!("{}/%", like_escape(a)).into());
        }
        for a in &filter.ancestors {
            sql.push_str(" OR (entity = 'area' AND area = ?)");
            args.push(a.clone().into());
        }
        sql.push(')');
    }
}

fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
