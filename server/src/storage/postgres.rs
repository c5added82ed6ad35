//! PostgreSQL storage, shared by any number of server nodes. The gap problem: with
//! concurrent writers a transaction can commit sequence 7 after sequence 8 is already
//! visible, and a device that pulled up to 8 would never see 7. Every push therefore
//! takes one transaction-scoped advisory lock before it takes sequences and holds it to
//! commit, so sequences become visible in the order they were taken, on every node. A
//! pull reads its page and the highest visible sequence in one snapshot.

use std::collections::{HashMap, HashSet};

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use doorstep_core::log::{Hlc, Op};
use tokio_postgres::{IsolationLevel, NoTls};

use super::sqlite::{action_str, parse_action};
use super::*;

const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/postgres/0001_sync.sql"),
    include_str!("../../migrations/postgres/0002_blobs.sql"),
    include_str!("../../migrations/postgres/0003_enrolment_list.sql"),
    include_str!("../../migrations/postgres/0004_station.sql"),
];

/// Advisory lock keys: one for migrations, one for ingest.
const MIGRATION_LOCK: i64 = 0x646f_6f72_0001;
const INGEST_LOCK: i64 = 0x646f_6f72_0002;

/// The PostgreSQL storage: a connection pool.
pub struct PostgresStorage {
    pool: Pool,
}

fn pool_error(e: deadpool_postgres::PoolError) -> StoreError {
    match e {
        deadpool_postgres::PoolError::Backend(e) => StoreError::from(e),
        e => StoreError::Backend(format!("postgres pool: {e}")),
    }
}

impl PostgresStorage {
    /// Connects to `url` and brings the schema up to date (one node at a time).
    pub async fn connect(url: &str) -> StoreResult<PostgresStorage> {
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| StoreError::Backend(format!("database URL: {e}")))?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(16)
            .build()
            .map_err(|e| StoreError::Backend(format!("postgres pool: {e}")))?;
        let storage = PostgresStorage { pool };
        storage.migrate().await?;
        Ok(storage)
    }

    async fn migrate(&self) -> StoreResult<()> {
        let mut client = self.pool.get().await.map_err(pool_error)?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
            .await?;
        let version: i64 = tx
            .query_opt("SELECT version FROM schema_version", &[])
            .await?
            .map(|r| r.get(0))
            .unwrap_or(0);
        if version > MIGRATIONS.len() as i64 {
            return Err(StoreError::Backend(format!(
                "the database has schema version {version}, newer than this server's {}",
                MIGRATIONS.len()
            )));
        }
        for sql in MIGRATIONS.iter().skip(version as usize) {
            tx.batch_execute(sql).await?;
        }
        tx.execute("DELETE FROM schema_version", &[]).await?;
        tx.execute(
            "INSERT INTO schema_version(version) VALUES ($1)",
            &[&(MIGRATIONS.len() as i64)],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

fn to_device(r: &tokio_postgres::Row) -> StoreResult<Device> {
    let role: String = r.get(2);
    let areas: String = r.get(3);
    let revoked: Option<i64> = r.get(5);
    Ok(Device {
        device_id: r.get(0),
        user: r.get(1),
        role: role_from(&role)?,
        areas: serde_json::from_str(&areas)?,
        token_expires_at: r.get(4),
        revoked: revoked.is_some(),
    })
}

#[async_trait::async_trait]
impl Storage for PostgresStorage {
    fn kind(&self) -> &'static str {
        "postgres"
    }

    async fn create_enrolment(&self, e: NewEnrolment) -> StoreResult<()> {
        let client = self.pool.get().await.map_err(pool_error)?;
        client
            .execute(
                "INSERT INTO enrolment(code_hash, user_id, role, areas, expires_at, token_ttl_ms, created_at, id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[
                    &e.code_hash,
                    &e.user,
                    &e.role.code(),
                    &serde_json::to_string(&e.areas)?,
                    &e.expires_at,
                    &e.token_ttl_ms,
                    &e.created_at,
                    &e.id,
                ],
            )
            .await?;
        Ok(())
    }

    async fn redeem_enrolment(
        &self,
        code_hash: &str,
        device_id: &str,
        token_hash: &str,
        renewing: Option<&str>,
        now_ms: i64,
    ) -> StoreResult<Device> {
        let mut client = self.pool.get().await.map_err(pool_error)?;
        let tx = client.transaction().await?;
        let row = tx
            .query_opt(
                "SELECT user_id, role, areas, expires_at, token_ttl_ms, used_at, cancelled_at
                 FROM enrolment WHERE code_hash = $1 FOR UPDATE",
                &[&code_hash],
            )
            .await?
            .ok_or(StoreError::CodeUnknown)?;
        let (user, role, areas): (String, String, String) = (row.get(0), row.get(1), row.get(2));
        let (expires_at, ttl, used_at): (i64, i64, Option<i64>) =
            (row.get(3), row.get(4), row.get(5));
        if used_at.is_some() {
            return Err(StoreError::CodeUsed);
        }
        if row.get::<_, Option<i64>>(6).is_some() {
            return Err(StoreError::CodeCancelled);
        }
        if expires_at <= now_ms {
            return Err(StoreError::CodeExpired);
        }
        let held = tx
            .query_opt(
                "SELECT token_hash, revoked_at FROM device WHERE device_id = $1 FOR UPDATE",
                &[&device_id],
            )
            .await?
            .map(|r| (r.get::<_, String>(0), r.get::<_, Option<i64>>(1)));
        let renew = held.is_some();
        may_enrol_again(device_id, held, renewing)?;
        tx.execute(
            "UPDATE enrolment SET used_at = $2, used_by = $3 WHERE code_hash = $1",
            &[&code_hash, &now_ms, &device_id],
        )
        .await?;
        let token_expires_at = now_ms.saturating_add(ttl);
        // Written only if the device is still as checked: a concurrent enrolment of the
        // same id finds it taken.
        let written = if renew {
            tx.execute(
                "UPDATE device SET user_id = $2, role = $3, areas = $4, token_hash = $5,
                    token_expires_at = $6, enrolled_at = $7
                 WHERE device_id = $1 AND token_hash = $8 AND revoked_at IS NULL",
                &[
                    &device_id,
                    &user,
                    &role,
                    &areas,
                    &token_hash,
                    &token_expires_at,
                    &now_ms,
                    &renewing.unwrap_or_default(),
                ],
            )
            .await?
        } else {
            tx.execute(
                "INSERT INTO device(device_id, user_id, role, areas, token_hash, token_expires_at, enrolled_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT(device_id) DO NOTHING",
                &[&device_id, &user, &role, &areas, &token_hash, &token_expires_at, &now_ms],
            )
            .await?
        };
        if written != 1 {
            return Err(StoreError::DeviceExists(device_id.to_string()));
        }
        tx.commit().await?;
        Ok(Device {
            device_id: device_id.to_string(),
            user,
            role: role_from(&role)?,
            areas: serde_json::from_str(&areas)?,
            token_expires_at,
            revoked: false,
        })
    }

    async fn device_by_token(&self, token_hash: &str) -> StoreResult<Option<Device>> {
        let client = self.pool.get().await.map_err(pool_error)?;
        let row = client
            .query_opt(
                "SELECT device_id, user_id, role, areas, token_expires_at, revoked_at
                 FROM device WHERE token_hash = $1",
                &[&token_hash],
            )
            .await?;
        row.as_ref().map(to_device).transpose()
    }

    async fn device_token_hash(&self, device_id: &str) -> StoreResult<Option<String>> {
        let client = self.pool.get().await.map_err(pool_error)?;
        Ok(client
            .query_opt(
                "SELECT token_hash FROM device WHERE device_id = $1",
                &[&device_id],
            )
            .await?
            .map(|r| r.get(0)))
    }

    async fn revoke_device(&self, device_id: &str, now_ms: i64) -> StoreResult<bool> {
        let client = self.pool.get().await.map_err(pool_error)?;
        Ok(client
            .execute(
                "UPDATE device SET revoked_at = $2 WHERE device_id = $1",
                &[&device_id, &now_ms],
            )
            .await?
            == 1)
    }

    async fn enrolments(&self, limit: u32) -> StoreResult<Vec<Enrolment>> {
        let client = self.pool.get().await.map_err(pool_error)?;
        let rows = client
            .query(
                "SELECT id, user_id, role, areas, created_at, expires_at, used_at, used_by,
                        cancelled_at
                 FROM enrolment ORDER BY created_at DESC, id LIMIT $1",
                &[&(limit as i64)],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let role: String = r.get(2);
                let areas: String = r.get(3);
                Ok(Enrolment {
                    id: r.get(0),
                    user: r.get(1),
                    role: role_from(&role)?,
                    areas: serde_json::from_str(&areas)?,
                    created_at: r.get(4),
                    expires_at: r.get(5),
                    used_at: r.get(6),
                    used_by: r.get(7),
                    cancelled_at: r.get(8),
                })
            })
            .collect()
    }

    async fn cancel_enrolment(&self, id: &str, now_ms: i64) -> StoreResult<bool> {
        let client = self.pool.get().await.map_err(pool_error)?;
        Ok(client
            .execute(
                "UPDATE enrolment SET cancelled_at = $2
                 WHERE id = $1 AND used_at IS NULL AND cancelled_at IS NULL",
                &[&id, &now_ms],
            )
            .await?
            == 1)
    }

    async fn devices(&self) -> StoreResult<Vec<DeviceRecord>> {
        let client = self.pool.get().await.map_err(pool_error)?;
        let rows = client
            .query(
                "SELECT device_id, user_id, role, areas, token_expires_at, revoked_at, enrolled_at
                 FROM device ORDER BY enrolled_at DESC, device_id",
                &[],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(DeviceRecord {
                    device: to_device(r)?,
                    enrolled_at: r.get(6),
                    revoked_at: r.get(5),
                })
            })
            .collect()
    }

    async fn known_ops(&self, ids: &[String]) -> StoreResult<HashSet<String>> {
        let client = self.pool.get().await.map_err(pool_error)?;
        let rows = client
            .query("SELECT op_id FROM op WHERE op_id = ANY($1)", &[&ids])
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn areas_of(
        &self,
        keys: &[(String, String)],
    ) -> StoreResult<HashMap<(String, String), String>> {
        let client = self.pool.get().await.map_err(pool_error)?;
        let entities: Vec<&str> = keys.iter().map(|k| k.0.as_str()).collect();
        let ids: Vec<&str> = keys.iter().map(|k| k.1.as_str()).collect();
        let rows = client
            .query(
                "SELECT a.entity, a.entity_id, a.area FROM entity_area a
                 JOIN UNNEST($1::text[], $2::text[]) AS k(entity, entity_id)
                   ON a.entity = k.entity AND a.entity_id = k.entity_id",
                &[&entities, &ids],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| ((r.get(0), r.get(1)), r.get(2)))
            .collect())
    }

    async fn insert_ops(&self, ops: &[StoredOp], now_ms: i64) -> StoreResult<u64> {
        if ops.is_empty() {
            return Ok(0);
        }
        let mut client = self.pool.get().await.map_err(pool_error)?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&INGEST_LOCK])
            .await?;
        let mut cols: [Vec<String>; 8] = Default::default();
        let mut hlcs = Vec::with_capacity(ops.len());
        for s in ops {
            let op = &s.op;
            cols[0].push(op.id.clone());
            cols[1].push(op.device.clone());
            cols[2].push(op.user.clone());
            cols[3].push(op.entity.clone());
            cols[4].push(op.entity_id.clone());
            cols[5].push(action_str(op.action).to_string());
            cols[6].push(serde_json::to_string(&op.fields)?);
            cols[7].push(s.area.clone());
            hlcs.push(op.hlc.as_i64());
        }
        let inserted = tx
            .query(
                "INSERT INTO op(op_id, hlc, device, user_id, entity, entity_id, action, fields, area, received_at)
                 SELECT op_id, hlc, device, user_id, entity, entity_id, action, fields, area, $10
                 FROM UNNEST($1::text[], $2::int8[], $3::text[], $4::text[], $5::text[],
                             $6::text[], $7::text[], $8::text[], $9::text[])
                      WITH ORDINALITY AS t(op_id, hlc, device, user_id, entity, entity_id, action, fields, area, n)
                 ORDER BY n
                 ON CONFLICT (op_id) DO NOTHING
                 RETURNING entity, entity_id, area, seq, op_id",
                &[
                    &cols[0], &hlcs, &cols[1], &cols[2], &cols[3], &cols[4], &cols[5], &cols[6],
                    &cols[7], &now_ms,
                ],
            )
            .await?;
        let blob_of: HashMap<&str, &str> = ops
            .iter()
            .filter_map(|s| s.blob.as_deref().map(|b| (s.op.id.as_str(), b)))
            .collect();
        let (mut hashes, mut seqs) = (Vec::new(), Vec::new());
        for r in &inserted {
            if let Some(hash) = blob_of.get(r.get::<_, &str>(4)) {
                hashes.push(hash.to_string());
                seqs.push(r.get::<_, i64>(3));
            }
        }
        if !hashes.is_empty() {
            tx.execute(
                "INSERT INTO blob_ref(hash, seq) SELECT * FROM UNNEST($1::text[], $2::int8[])
                 ON CONFLICT DO NOTHING",
                &[&hashes, &seqs],
            )
            .await?;
        }
        // One row may be placed twice in a batch; the last placement wins, as in SQLite.
        let mut placed: HashMap<(String, String), String> = HashMap::new();
        for r in &inserted {
            placed.insert((r.get(0), r.get(1)), r.get(2));
        }
        let (mut es, mut ids, mut areas) = (Vec::new(), Vec::new(), Vec::new());
        for ((e, id), a) in placed {
            es.push(e);
            ids.push(id);
            areas.push(a);
        }
        tx.execute(
            "INSERT INTO entity_area(entity, entity_id, area)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[])
             ON CONFLICT (entity, entity_id) DO UPDATE SET area = excluded.area",
            &[&es, &ids, &areas],
        )
        .await?;
        tx.commit().await?;
        Ok(inserted.len() as u64)
    }

    async fn place_rows(&self, rows: &[(String, String, String)]) -> StoreResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let client = self.pool.get().await.map_err(pool_error)?;
        let es: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
        let ids: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
        let areas: Vec<&str> = rows.iter().map(|r| r.2.as_str()).collect();
        client
            .execute(
                "INSERT INTO entity_area(entity, entity_id, area)
                 SELECT DISTINCT ON (e, i) e, i, a FROM UNNEST($1::text[], $2::text[], $3::text[]) AS t(e, i, a)
                 ON CONFLICT (entity, entity_id) DO NOTHING",
                &[&es, &ids, &areas],
            )
            .await?;
        Ok(())
    }

    async fn pull(&self, filter: &PullFilter, after: i64, limit: u32) -> StoreResult<Page> {
        let mut client = self.pool.get().await.map_err(pool_error)?;
        let tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let all_areas = filter.areas.is_none();
        let areas: Vec<String> = filter.areas.clone().unwrap_or_default();
        let prefixes: Vec<String> = areas.iter().map(|a| format!("{a}/")).collect();
        let rows = tx
            .query(
                "SELECT seq, op_id, hlc, device, user_id, entity, entity_id, action, fields FROM op
                 WHERE seq > $1 AND device <> $2 AND entity = ANY($3)
                   AND ($4 OR area = '' OR area = ANY($5)
                        OR EXISTS (SELECT 1 FROM UNNEST($6::text[]) p WHERE starts_with(area, p))
                        OR (entity = 'area' AND area = ANY($7)))
                 ORDER BY seq LIMIT $8",
                &[
                    &after,
                    &filter.exclude_device,
                    &filter.entities,
                    &all_areas,
                    &areas,
                    &prefixes,
                    &filter.ancestors,
                    &(limit as i64),
                ],
            )
            .await?;
        let high_water: i64 = tx
            .query_one("SELECT coalesce(max(seq), 0) FROM op", &[])
            .await?
            .get(0);
        tx.commit().await?;
        let mut ops = Vec::with_capacity(rows.len());
        for r in rows {
            let action: String = r.get(7);
            let fields: String = r.get(8);
            ops.push((
                r.get::<_, i64>(0),
                Op {
                    id: r.get(1),
                    hlc: Hlc::from_i64(r.get(2)),
                    device: r.get(3),
                    user: r.get(4),
                    entity: r.get(5),
                    entity_id: r.get(6),
                    action: parse_action(&action)?,
                    fields: serde_json::from_str(&fields)?,
                },
            ));
        }
        Ok(Page { ops, high_water })
    }

    async fn op_count(&self) -> StoreResult<u64> {
        let client = self.pool.get().await.map_err(pool_error)?;
        let n: i64 = client
            .query_one("SELECT count(*) FROM op", &[])
            .await?
            .get(0);
        Ok(n as u64)
    }

    async fn blob_meta(&self, hash: &str) -> StoreResult<Option<BlobMeta>> {
        let client = self.pool.get().await.map_err(pool_error)?;
        let row = client
            .query_opt("SELECT size, mime FROM blob WHERE hash = $1", &[&hash])
            .await?;
        Ok(row.map(|r| BlobMeta {
            size: r.get::<_, i64>(0) as u64,
            mime: r.get(1),
        }))
    }

    async fn blob_range(&self, hash: &str, start: u64, len: u64) -> StoreResult<Option<Vec<u8>>> {
        let client = self.pool.get().await.map_err(pool_error)?;
        let row = client
            .query_opt(
                "SELECT substring(bytes FROM $2 FOR $3) FROM blob WHERE hash = $1",
                &[&hash, &(start as i32 + 1), &(len as i32)],
            )
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn blob_readable(
        &self,
        hash: &str,
        device: &str,
        filter: &PullFilter,
    ) -> StoreResult<bool> {
        let client = self.pool.get().await.map_err(pool_error)?;
        let all_areas = filter.areas.is_none();
        let areas: Vec<String> = filter.areas.clone().unwrap_or_default();
        let prefixes: Vec<String> = areas.iter().map(|a| format!("{a}/")).collect();
        let row = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM blob WHERE hash = $1 AND uploaded_by = $2)
                     OR EXISTS (SELECT 1 FROM op
                        WHERE seq IN (SELECT seq FROM blob_ref WHERE hash = $1)
                          AND entity = ANY($3)
                          AND ($4 OR area = '' OR area = ANY($5)
                               OR EXISTS (SELECT 1 FROM UNNEST($6::text[]) p WHERE starts_with(area, p))
                               OR (entity = 'area' AND area = ANY($7))))",
                &[
                    &hash,
                    &device,
                    &filter.entities,
                    &all_areas,
                    &areas,
                    &prefixes,
                    &filter.ancestors,
                ],
            )
            .await?;
        Ok(row.get(0))
    }

    async fn upload_received(&self, hash: &str, device: &str) -> StoreResult<u64> {
        let client = self.pool.get().await.map_err(pool_error)?;
        let row = client
            .query_opt(
                "SELECT received FROM blob_upload WHERE hash = $1 AND device = $2",
                &[&hash, &device],
            )
            .await?;
        Ok(row.map_or(0, |r| r.get::<_, i64>(0) as u64))
    }

    async fn append_upload(&self, part: UploadPart) -> StoreResult<u64> {
        let mut client = self.pool.get().await.map_err(pool_error)?;
        let tx = client.transaction().await?;
        // Two parts of one upload at once: the first to insert the row holds its lock.
        tx.execute(
            "INSERT INTO blob_upload(hash, device, total, mime, received, started_at)
             VALUES ($1, $2, $3, $4, 0, $5) ON CONFLICT DO NOTHING",
            &[
                &part.hash,
                &part.device,
                &(part.total as i64),
                &part.mime,
                &part.now_ms,
            ],
        )
        .await?;
        let row = tx
            .query_one(
                "SELECT received, total FROM blob_upload WHERE hash = $1 AND device = $2 FOR UPDATE",
                &[&part.hash, &part.device],
            )
            .await?;
        let (received, total) = (row.get::<_, i64>(0) as u64, row.get::<_, i64>(1) as u64);
        let now = part.follows(received, total)?;
        tx.execute(
            "UPDATE blob_upload SET received = $3 WHERE hash = $1 AND device = $2",
            &[&part.hash, &part.device, &(now as i64)],
        )
        .await?;
        tx.execute(
            "INSERT INTO blob_part(hash, device, start, bytes) VALUES ($1, $2, $3, $4)",
            &[&part.hash, &part.device, &(received as i64), &part.bytes],
        )
        .await?;
        tx.commit().await?;
        Ok(now)
    }

    async fn upload_bytes(&self, hash: &str, device: &str) -> StoreResult<Vec<u8>> {
        let client = self.pool.get().await.map_err(pool_error)?;
        let rows = client
            .query(
                "SELECT bytes FROM blob_part WHERE hash = $1 AND device = $2 ORDER BY start",
                &[&hash, &device],
            )
            .await?;
        let mut out = Vec::new();
        for r in rows {
            out.extend_from_slice(r.get::<_, &[u8]>(0));
        }
        Ok(out)
    }

    async fn finish_upload(
        &self,
        hash: &str,
        device: &str,
        keep: Option<(&str, &[u8])>,
        now_ms: i64,
    ) -> StoreResult<()> {
        let mut client = self.pool.get().await.map_err(pool_error)?;
        let tx = client.transaction().await?;
        if let Some((mime, bytes)) = keep {
            tx.execute(
                "INSERT INTO blob(hash, mime, size, bytes, uploaded_by, stored_at)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (hash) DO NOTHING",
                &[
                    &hash,
                    &mime,
                    &(bytes.len() as i64),
                    &bytes,
                    &device,
                    &now_ms,
                ],
            )
            .await?;
        }
        tx.execute(
            "DELETE FROM blob_part WHERE hash = $1 AND device = $2",
            &[&hash, &device],
        )
        .await?;
        tx.execute(
            "DELETE FROM blob_upload WHERE hash = $1 AND device = $2",
            &[&hash, &device],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn put_admin(&self, a: &AdminRow) -> StoreResult<()> {
        let client = self.pool.get().await.map_err(pool_error)?;
        client
            .execute(
                "INSERT INTO station_admin(name, hash, areas, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (name) DO UPDATE SET hash = excluded.hash, areas = excluded.areas",
                &[
                    &a.name,
                    &a.hash,
                    &serde_json::to_string(&a.areas)?,
                    &a.created_at,
                ],
            )
            .await?;
        Ok(())
    }

    async fn admin(&self, name: &str) -> StoreResult<Option<AdminRow>> {
        let client = self.pool.get().await.map_err(pool_error)?;
        let row = client
            .query_opt(
                "SELECT name, hash, areas, created_at FROM station_admin WHERE name = $1",
                &[&name],
            )
            .await?;
        row.map(|r| {
            Ok(AdminRow {
                name: r.get(0),
                hash: r.get(1),
                areas: serde_json::from_str(r.get(2))?,
                created_at: r.get(3),
            })
        })
        .transpose()
    }

    async fn admin_count(&self) -> StoreResult<u64> {
        let client = self.pool.get().await.map_err(pool_error)?;
        let n: i64 = client
            .query_one("SELECT count(*) FROM station_admin", &[])
            .await?
            .get(0);
        Ok(n as u64)
    }

    async fn start_session(&self, s: &SessionRow, now_ms: i64) -> StoreResult<()> {
        let client = self.pool.get().await.map_err(pool_error)?;
        client
            .execute(
                "DELETE FROM station_session WHERE expires_at < $1",
                &[&now_ms],
            )
            .await?;
        client
            .execute(
                "INSERT INTO station_session(token_hash, admin, csrf, expires_at)
                 VALUES ($1, $2, $3, $4)",
                &[&s.token_hash, &s.admin, &s.csrf, &s.expires_at],
            )
            .await?;
        Ok(())
    }

    async fn session(&self, token_hash: &str, now_ms: i64) -> StoreResult<Option<LiveSession>> {
        let client = self.pool.get().await.map_err(pool_error)?;
        let row = client
            .query_opt(
                "SELECT s.admin, s.csrf, a.areas FROM station_session s
                 JOIN station_admin a ON a.name = s.admin
                 WHERE s.token_hash = $1 AND s.expires_at > $2",
                &[&token_hash, &now_ms],
            )
            .await?;
        // A session whose admin's areas cannot be read is no session (logged).
        Ok(row.and_then(|r| {
            let admin: String = r.get(0);
            let areas = crate::station::auth::stored_areas(&admin, r.get(2)).ok()?;
            Some(LiveSession {
                admin,
                csrf: r.get(1),
                areas,
            })
        }))
    }

    async fn end_session(&self, token_hash: &str) -> StoreResult<()> {
        let client = self.pool.get().await.map_err(pool_error)?;
        client
            .execute(
                "DELETE FROM station_session WHERE token_hash = $1",
                &[&token_hash],
            )
            .await?;
        Ok(())
    }

    async fn setting_or(&self, key: &str, value: &str) -> StoreResult<String> {
        let client = self.pool.get().await.map_err(pool_error)?;
        client
            .execute(
                "INSERT INTO station_setting(key, value) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&key, &value],
            )
            .await?;
        Ok(client
            .query_one("SELECT value FROM station_setting WHERE key = $1", &[&key])
            .await?
            .get(0))
    }

    async fn station_keys(&self) -> StoreResult<Vec<(String, Vec<u8>)>> {
        let client = self.pool.get().await.map_err(pool_error)?;
        let rows = client
            .query(
                "SELECT key_id, secret FROM station_key ORDER BY key_id",
                &[],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    async fn put_station_key(&self, key_id: &str, secret: &[u8]) -> StoreResult<()> {
        let client = self.pool.get().await.map_err(pool_error)?;
        client
            .execute(
                "INSERT INTO station_key(key_id, secret) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&key_id, &secret],
            )
            .await?;
        Ok(())
    }

    async fn drop_station_key(&self, key_id: &str) -> StoreResult<()> {
        let client = self.pool.get().await.map_err(pool_error)?;
        client
            .execute("DELETE FROM station_key WHERE key_id = $1", &[&key_id])
            .await?;
        Ok(())
    }
}
