//! The change log: every write becomes ops stamped with the hybrid logical clock, applied
//! to the domain tables and appended to `op_log` in the same transaction. Remote ops go
//! through the same `apply`, so local and synced data follow one set of rules:
//! registers are last-writer-wins per field (HLC, then device id), facts are appended and
//! never overwritten, deletes are tombstones that stay.

mod hlc;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use rusqlite::types::Value as SqlValue;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

pub use hlc::Hlc;

use crate::clock::new_id;
use crate::error::{Error, Result};

/// A field value in an op: null, bool, number or string (arrays and objects are stored
/// as JSON text).
pub type Value = serde_json::Value;

/// The fields an op sets, by column name.
pub type Fields = BTreeMap<String, Value>;

/// How an entity's rows change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityKind {
    /// Mutable record: per-field last-writer-wins, deletable by tombstone.
    Register,
    /// Immutable event: written once, never changed.
    Fact,
}

/// A replicated table as the log sees it. Domains declare theirs; the log only touches
/// the columns named here.
#[derive(Debug)]
pub struct EntityDef {
    /// Name in ops (`"resident"`).
    pub name: &'static str,
    /// SQLite table.
    pub table: &'static str,
    /// Register or fact.
    pub kind: EntityKind,
    /// Columns an op may set, besides `id`.
    pub fields: &'static [&'static str],
}

/// What an op does to its entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Sets register fields (creating the row if needed).
    Put,
    /// Records a fact.
    Fact,
    /// Tombstones a register.
    Delete,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Action::Put => "put",
            Action::Fact => "fact",
            Action::Delete => "delete",
        }
    }

    fn parse(s: &str) -> Result<Action> {
        match s {
            "put" => Ok(Action::Put),
            "fact" => Ok(Action::Fact),
            "delete" => Ok(Action::Delete),
            other => Err(Error::invalid(format!("op action {other:?} is unknown"))),
        }
    }
}

/// One entry of the change log: the unit that sync moves between devices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Op {
    /// Unique op id (UUIDv7).
    pub id: String,
    /// When, by the author's hybrid logical clock: wall time in ms in the high 48 bits,
    /// a counter in the low 16.
    #[cfg_attr(feature = "openapi", schema(value_type = i64, minimum = 0))]
    pub hlc: Hlc,
    /// Author device.
    pub device: String,
    /// Author user (empty before enrolment).
    pub user: String,
    /// Entity name, as declared by its domain.
    pub entity: String,
    /// Row id.
    pub entity_id: String,
    /// Put, fact or delete.
    pub action: Action,
    /// Fields set: strings, numbers, booleans, null, or arrays of them.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object, additional_properties = true))]
    pub fields: Fields,
}

/// Whether an op changed the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// First time seen; applied.
    New,
    /// Already in the log; nothing changed.
    Duplicate,
}

/// All replicated tables of the store, gathered from the domains.
#[derive(Debug, Clone, Copy)]
pub struct Schema(pub &'static [&'static [&'static EntityDef]]);

impl Schema {
    /// The definition of entity `name`.
    pub fn get(&self, name: &str) -> Option<&'static EntityDef> {
        self.all().find(|d| d.name == name)
    }

    /// Every definition.
    pub fn all(&self) -> impl Iterator<Item = &'static EntityDef> {
        self.0.iter().flat_map(|d| d.iter().copied())
    }
}

/// Writes ops for one local transaction: each call stamps, applies and appends one op.
pub struct Writer<'a> {
    conn: &'a Connection,
    schema: Schema,
    hlc: &'a mut Hlc,
    now_ms: i64,
    device: &'a str,
    user: &'a str,
    touched: Vec<(&'static str, String)>,
    sequences: &'a std::sync::Mutex<Sequences>,
}

/// The last number given out per named sequence (queue numbers), kept in memory by the
/// store's owner. The rows that carry the numbers are the durable record, so counting
/// writes no page; a sequence is recovered from them the first time it is used. A number
/// given out in a transaction that rolls back is not given again: a gap, never a twin.
pub type Sequences = std::collections::HashMap<String, i64>;

/// What a writer leaves for after its commit: entities to refresh in caches.
pub struct Written {
    /// Entities changed, for caches to refresh.
    pub touched: Vec<(&'static str, String)>,
}

/// The next number of the sequence `key` in `sequences`, recovered from the rows on
/// `conn` the first time: for a writer, and for a scan decided while the writer is busy.
pub fn next_in_sequence(
    sequences: &std::sync::Mutex<Sequences>,
    conn: &Connection,
    key: &str,
    recover: impl FnOnce(&Connection) -> Result<i64>,
) -> Result<i64> {
    let mut seqs = sequences.lock().unwrap_or_else(|e| e.into_inner());
    let last = match seqs.get(key) {
        Some(&n) => n,
        None => recover(conn)?,
    };
    seqs.insert(key.to_string(), last + 1);
    Ok(last + 1)
}

impl<'a> Writer<'a> {
    /// A writer over an open transaction's connection.
    pub fn new(
        conn: &'a Connection,
        schema: Schema,
        hlc: &'a mut Hlc,
        now_ms: i64,
        device: &'a str,
        user: &'a str,
        sequences: &'a std::sync::Mutex<Sequences>,
    ) -> Self {
        Writer {
            conn,
            schema,
            hlc,
            now_ms,
            device,
            user,
            touched: Vec::new(),
            sequences,
        }
    }

    /// The connection, for the domain's reads inside the same transaction.
    pub fn conn(&self) -> &Connection {
        self.conn
    }

    /// Wall time of this transaction, ms since the epoch.
    pub fn now_ms(&self) -> i64 {
        self.now_ms
    }

    /// Author device id.
    pub fn device(&self) -> &str {
        self.device
    }

    /// Author user id.
    pub fn user(&self) -> &str {
        self.user
    }

    /// Sets register fields of `def` row `id`, creating it if new.
    pub fn put(&mut self, def: &'static EntityDef, id: &str, fields: Fields) -> Result<()> {
        self.record(def, id, Action::Put, fields)
    }

    /// Records a fact.
    pub fn fact(&mut self, def: &'static EntityDef, id: &str, fields: Fields) -> Result<()> {
        self.record(def, id, Action::Fact, fields)
    }

    /// Tombstones a register row.
    pub fn delete(&mut self, def: &'static EntityDef, id: &str) -> Result<()> {
        self.record(def, id, Action::Delete, Fields::new())
    }

    /// The next number of the sequence `key` (1, 2, ...). `recover` gives the last number
    /// already stored in rows when the sequence was not used since the store opened.
    pub fn next_in_sequence(
        &mut self,
        key: &str,
        recover: impl FnOnce(&Connection) -> Result<i64>,
    ) -> Result<i64> {
        next_in_sequence(self.sequences, self.conn, key, recover)
    }

    /// What the owner keeps after the commit.
    pub fn finish(self) -> Written {
        Written {
            touched: self.touched,
        }
    }

    fn record(
        &mut self,
        def: &'static EntityDef,
        id: &str,
        action: Action,
        fields: Fields,
    ) -> Result<()> {
        *self.hlc = self.hlc.tick(self.now_ms);
        let op = Op {
            id: new_id(),
            hlc: *self.hlc,
            device: self.device.to_string(),
            user: self.user.to_string(),
            entity: def.name.to_string(),
            entity_id: id.to_string(),
            action,
            fields,
        };
        apply_op(self.conn, self.schema, &op, true)?;
        self.touched.push((def.name, id.to_string()));
        Ok(())
    }
}

/// Applies an op received from elsewhere to a store that writes no ops of its own (a
/// replica of the server's ops, a test). Applying the same op again changes nothing.
pub fn apply(conn: &Connection, schema: Schema, op: &Op) -> Result<Applied> {
    apply_watching(conn, schema, op, "", None)
}

/// A field where two edits met and last-writer-wins kept one: both values are kept here
/// so a person can review the one that lost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldConflict {
    /// Entity name.
    pub entity: String,
    /// Row id.
    pub entity_id: String,
    /// Field name.
    pub field: String,
    /// The value the row holds now.
    pub kept: Value,
    /// Stamp and device of the kept value.
    pub kept_hlc: Hlc,
    pub kept_device: String,
    /// The value that lost.
    pub lost: Value,
    /// Stamp and device of the lost value.
    pub lost_hlc: Hlc,
    pub lost_device: String,
}

/// Watches remote puts for edits that lose to, or overwrite, a concurrent edit.
#[derive(Debug, Default)]
pub struct ConflictWatch {
    /// Conflicts found so far.
    pub found: Vec<FieldConflict>,
}

/// Applies an op received from the server or another device to the store of
/// `local_device`. That device's own ops are in its log already (a pull may send them
/// back): they are duplicates, as is any op applied before. With `watch`, also reports
/// each field where the op lost to a value it did not know of, or overwrote an edit of
/// `local_device` still waiting for the server.
pub fn apply_watching(
    conn: &Connection,
    schema: Schema,
    op: &Op,
    local_device: &str,
    watch: Option<&mut ConflictWatch>,
) -> Result<Applied> {
    // This device's op ids are not indexed, so the lookup below would not find them.
    if !local_device.is_empty() && op.device == local_device {
        return Ok(Applied::Duplicate);
    }
    let seen: Option<i64> = conn
        .prepare_cached("SELECT 1 FROM op_log WHERE op_id = ?1 AND local = 0")?
        .query_row([&op.id], |r| r.get(0))
        .optional()?;
    if seen.is_some() {
        return Ok(Applied::Duplicate);
    }
    apply_op_watching(conn, schema, op, false, local_device, watch)?;
    Ok(Applied::New)
}

fn apply_op(conn: &Connection, schema: Schema, op: &Op, local: bool) -> Result<()> {
    apply_op_watching(conn, schema, op, local, "", None)
}

fn apply_op_watching(
    conn: &Connection,
    schema: Schema,
    op: &Op,
    local: bool,
    local_device: &str,
    watch: Option<&mut ConflictWatch>,
) -> Result<()> {
    let def = check(schema, op)?;
    match (def.kind, op.action) {
        (EntityKind::Register, Action::Put) => put(conn, def, op, local_device, watch)?,
        (EntityKind::Register, Action::Delete) => {
            conn.prepare_cached(&format!(
                "INSERT INTO {t}(id, _deleted) VALUES (?1, 1)
                 ON CONFLICT(id) DO UPDATE SET _deleted = 1",
                t = def.table
            ))?
            .execute([&op.entity_id])?;
        }
        (EntityKind::Fact, Action::Fact) => {
            let cols: Vec<&str> = op.fields.keys().map(String::as_str).collect();
            let sql = format!(
                "INSERT OR IGNORE INTO {t}(id, {c}_hlc, _dev) VALUES (?1, {p}?{n}, ?{m})",
                t = def.table,
                c = cols.iter().map(|c| format!("{c}, ")).collect::<String>(),
                p = (0..cols.len())
                    .map(|i| format!("?{}, ", i + 2))
                    .collect::<String>(),
                n = cols.len() + 2,
                m = cols.len() + 3,
            );
            let values = std::iter::once(Bind::Text(&op.entity_id))
                .chain(op.fields.values().map(Bind::Field))
                .chain([Bind::Int(op.hlc.as_i64()), Bind::Text(&op.device)]);
            conn.prepare_cached(&sql)?
                .execute(rusqlite::params_from_iter(values))?;
        }
        (kind, action) => {
            return Err(Error::invalid(format!(
                "op {}: {} is a {kind:?}, which takes no {} op",
                op.id,
                def.name,
                action.as_str()
            )))
        }
    }
    conn.prepare_cached(
        "INSERT INTO op_log(op_id, hlc, device, user, entity, entity_id, action, fields, local)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        op.id,
        op.hlc.as_i64(),
        op.device,
        op.user,
        op.entity,
        op.entity_id,
        op.action.as_str(),
        serde_json::to_string(&op.fields)?,
        local,
    ])?;
    Ok(())
}

/// Checks an op without applying it: ids, names and strings within the wire limits
/// (`sync::protocol::MAX_*`) and free of NUL, a known entity and fields, no nested values,
/// an action its entity takes. The server runs it on every pushed op before any storage
/// sees it, so SQLite and PostgreSQL are handed the same ops.
pub fn validate(schema: Schema, op: &Op) -> Result<&'static EntityDef> {
    check_limits(op)?;
    let def = check(schema, op)?;
    match (def.kind, op.action) {
        (EntityKind::Register, Action::Put | Action::Delete) | (EntityKind::Fact, Action::Fact) => {
            Ok(def)
        }
        (kind, action) => Err(Error::invalid(format!(
            "op {}: {} is a {kind:?}, which takes no {} op",
            op.id,
            def.name,
            action.as_str()
        ))),
    }
}

/// Refuses ids that are too long or hold other than letters, digits and `-_.:`, names and
/// strings that are too long, and NUL anywhere (PostgreSQL's text cannot hold it).
fn check_limits(op: &Op) -> Result<()> {
    use crate::sync::protocol::{MAX_FIELD_BYTES, MAX_ID_BYTES, MAX_NAME_BYTES};
    // The op id itself may be what is wrong: name the op by a short, printable prefix.
    let name: String = op.id.chars().take(40).filter(|c| !c.is_control()).collect();
    for (what, id) in [
        ("id", &op.id),
        ("device", &op.device),
        ("entity_id", &op.entity_id),
    ] {
        if id.is_empty() || id.len() > MAX_ID_BYTES {
            return Err(Error::invalid(format!(
                "op {name:?}: {what} is {} bytes; ids are 1 to {MAX_ID_BYTES}",
                id.len()
            )));
        }
        if let Some(c) = id
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')))
        {
            return Err(Error::invalid(format!(
                "op {name:?}: {what} holds {c:?}; ids are ASCII letters, digits and -_.:"
            )));
        }
    }
    for (what, text) in [("user", &op.user), ("entity", &op.entity)] {
        if text.len() > MAX_NAME_BYTES {
            return Err(Error::invalid(format!(
                "op {name:?}: {what} is {} bytes; at most {MAX_NAME_BYTES}",
                text.len()
            )));
        }
        if text.contains('\0') {
            return Err(Error::invalid(format!("op {name:?}: {what} holds a NUL")));
        }
    }
    for (field, value) in &op.fields {
        if field.len() > MAX_NAME_BYTES || field.contains('\0') {
            return Err(Error::invalid(format!(
                "op {name:?}: a field name is over {MAX_NAME_BYTES} bytes or holds a NUL"
            )));
        }
        let mut strings = Vec::new();
        strings_in(value, &mut strings);
        for s in strings {
            if s.len() > MAX_FIELD_BYTES {
                return Err(Error::invalid(format!(
                    "op {name:?}: field {field:?} is {} bytes; at most {MAX_FIELD_BYTES}",
                    s.len()
                )));
            }
            if s.contains('\0') {
                return Err(Error::invalid(format!(
                    "op {name:?}: field {field:?} holds a NUL"
                )));
            }
        }
    }
    Ok(())
}

fn strings_in<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|v| strings_in(v, out)),
        _ => {}
    }
}

/// Refuses an op that names an unknown entity or field, or carries a nested value.
fn check(schema: Schema, op: &Op) -> Result<&'static EntityDef> {
    let def = schema.get(&op.entity).ok_or_else(|| {
        Error::invalid(format!("op {}: entity {:?} is unknown", op.id, op.entity))
    })?;
    if op.entity_id.is_empty() || op.id.is_empty() || op.device.is_empty() {
        return Err(Error::invalid(format!(
            "op {:?}: id, entity_id and device must not be empty",
            op.id
        )));
    }
    for (name, value) in &op.fields {
        if !def.fields.contains(&name.as_str()) {
            return Err(Error::invalid(format!(
                "op {}: {} has no field {name:?}",
                op.id, def.name
            )));
        }
        if value.is_object() {
            return Err(Error::invalid(format!(
                "op {}: field {name:?} holds an object",
                op.id
            )));
        }
    }
    Ok(def)
}

/// Last-writer-wins per field. A row's `_hlc/_dev` is the clock of every field that has
/// no `field_clock` row of its own: set when one op creates the row with all its fields,
/// which is what almost every create does, so the common case writes one row, not ten.
fn put(
    conn: &Connection,
    def: &EntityDef,
    op: &Op,
    local_device: &str,
    mut watch: Option<&mut ConflictWatch>,
) -> Result<()> {
    let full = def.fields.iter().all(|f| op.fields.contains_key(*f));
    let clock = if full {
        [Bind::Int(op.hlc.as_i64()), Bind::Text(&op.device)]
    } else {
        [Bind::Int(0), Bind::Text("")]
    };
    let values = std::iter::once(Bind::Text(&op.entity_id))
        .chain(op.fields.values().map(Bind::Field))
        .chain(clock);
    // Most puts create their row: one insert does it, and only an existing row needs
    // the per-field comparison below.
    let sql = if full {
        full_insert_sql(def)
    } else {
        insert_sql(def.table, op.fields.keys().map(String::as_str)).into()
    };
    let inserted = conn
        .prepare_cached(&sql)?
        .execute(rusqlite::params_from_iter(values))?;
    if inserted == 1 {
        if !full {
            for field in op.fields.keys() {
                set_field_clock(conn, def, op, field)?;
            }
        }
        return Ok(());
    }
    let (base_hlc, base_dev): (i64, String) = conn
        .prepare_cached(&format!(
            "SELECT _hlc, _dev FROM {} WHERE id = ?1",
            def.table
        ))?
        .query_row([&op.entity_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    for (field, value) in &op.fields {
        let current: (i64, String) = conn
            .prepare_cached(
                "SELECT hlc, device FROM field_clock WHERE entity = ?1 AND id = ?2 AND field = ?3",
            )?
            .query_row(params![def.name, op.entity_id, field], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?
            .unwrap_or_else(|| (base_hlc, base_dev.clone()));
        let wins = (op.hlc.as_i64(), op.device.as_str()) > (current.0, current.1.as_str());
        if let Some(watch) = watch.as_deref_mut() {
            watch_field(
                conn,
                def,
                op,
                field,
                value,
                wins,
                &current,
                local_device,
                watch,
            )?;
        }
        if wins {
            conn.prepare_cached(&format!(
                "UPDATE {} SET {field} = ?1 WHERE id = ?2",
                def.table
            ))?
            .execute(params![sql_value(value), op.entity_id])?;
            set_field_clock(conn, def, op, field)?;
        }
    }
    Ok(())
}

/// Records a conflict when a remote value lost to a different one, or overwrote a local
/// edit that had not reached the server (so its author could not have seen it).
#[allow(clippy::too_many_arguments)]
fn watch_field(
    conn: &Connection,
    def: &EntityDef,
    op: &Op,
    field: &str,
    value: &Value,
    wins: bool,
    current: &(i64, String),
    local_device: &str,
    watch: &mut ConflictWatch,
) -> Result<()> {
    if current.1.is_empty() || current.1 == op.device {
        return Ok(());
    }
    if wins {
        if current.1 != local_device {
            return Ok(());
        }
        // Only ops above the settled watermark can still wait for the server.
        let pending: Option<i64> = conn
            .prepare_cached(
                "SELECT 1 FROM op_log WHERE seq > ?4 AND local = 1 AND acked = 0
                 AND entity_id = ?1 AND hlc = ?2 AND entity = ?3",
            )?
            .query_row(
                params![op.entity_id, current.0, def.name, settled(conn)?],
                |r| r.get(0),
            )
            .optional()?;
        if pending.is_none() {
            return Ok(());
        }
    }
    let held: SqlValue = conn
        .prepare_cached(&format!("SELECT {field} FROM {} WHERE id = ?1", def.table))?
        .query_row([&op.entity_id], |r| r.get(0))?;
    let held = json_value(held);
    if held == json_value(sql_value(value)) {
        return Ok(());
    }
    let theirs = (value.clone(), op.hlc, op.device.clone());
    let ours = (held, Hlc::from_i64(current.0), current.1.clone());
    let (kept, lost) = if wins { (theirs, ours) } else { (ours, theirs) };
    watch.found.push(FieldConflict {
        entity: def.name.to_string(),
        entity_id: op.entity_id.clone(),
        field: field.to_string(),
        kept: kept.0,
        kept_hlc: kept.1,
        kept_device: kept.2,
        lost: lost.0,
        lost_hlc: lost.1,
        lost_device: lost.2,
    });
    Ok(())
}

fn json_value(v: SqlValue) -> Value {
    match v {
        SqlValue::Null => Value::Null,
        SqlValue::Integer(i) => Value::from(i),
        SqlValue::Real(f) => Value::from(f),
        SqlValue::Text(s) => Value::String(s),
        SqlValue::Blob(b) => Value::String(String::from_utf8_lossy(&b).into_owned()),
    }
}

/// `INSERT ... ON CONFLICT DO NOTHING` for the given columns, in the order given.
fn insert_sql<'a>(table: &str, cols: impl Iterator<Item = &'a str>) -> String {
    let cols: Vec<&str> = cols.collect();
    let marks: String = (0..cols.len()).map(|i| format!("?{}, ", i + 2)).collect();
    format!(
        "INSERT OR IGNORE INTO {table}(id, {c}_hlc, _dev) VALUES (?1, {marks}?{a}, ?{b}) ON CONFLICT(id) DO NOTHING",
        c = cols.iter().map(|c| format!("{c}, ")).collect::<String>(),
        a = cols.len() + 2,
        b = cols.len() + 3
    )
}

/// The insert of a row with every field, built once per table: it is the hot path of
/// bulk writes.
fn full_insert_sql(def: &EntityDef) -> std::sync::Arc<str> {
    static CACHE: std::sync::Mutex<Vec<(&'static str, std::sync::Arc<str>)>> =
        std::sync::Mutex::new(Vec::new());
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, sql)) = cache.iter().find(|(t, _)| *t == def.table) {
        return sql.clone();
    }
    let mut cols: Vec<&str> = def.fields.to_vec();
    // Op fields iterate in key order; the columns must follow it.
    cols.sort_unstable();
    let sql: std::sync::Arc<str> = insert_sql(def.table, cols.into_iter()).into();
    cache.push((def.table, sql.clone()));
    sql
}

fn set_field_clock(conn: &Connection, def: &EntityDef, op: &Op, field: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO field_clock(entity, id, field, hlc, device) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(entity, id, field) DO UPDATE SET hlc = excluded.hlc, device = excluded.device",
    )?
    .execute(params![
        def.name,
        op.entity_id,
        field,
        op.hlc.as_i64(),
        op.device
    ])?;
    Ok(())
}

/// A parameter bound without copying: the hot insert paths bind every field of every op.
enum Bind<'a> {
    Text(&'a str),
    Int(i64),
    Field(&'a Value),
}

impl rusqlite::ToSql for Bind<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(match self {
            Bind::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Bind::Field(Value::String(s)) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Bind::Int(i) => ToSqlOutput::Owned(SqlValue::Integer(*i)),
            Bind::Field(v) => ToSqlOutput::Owned(sql_value(v)),
        })
    }
}

fn sql_value(v: &Value) -> SqlValue {
    match v {
        Value::Null => SqlValue::Null,
        Value::Bool(b) => SqlValue::Integer(*b as i64),
        Value::Number(n) => match n.as_i64() {
            Some(i) => SqlValue::Integer(i),
            None => SqlValue::Real(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => SqlValue::Text(s.clone()),
        other => SqlValue::Text(other.to_string()),
    }
}

/// Ops written on this device and not yet acknowledged by the server, oldest first.
pub fn pending(conn: &Connection, limit: u32) -> Result<Vec<Op>> {
    Ok(pending_after(conn, 0, limit)?
        .into_iter()
        .map(|(_, op)| op)
        .collect())
}

/// The clock of the newest op in the log, which a local write leaves as its only record
/// of the clock.
pub fn newest_hlc(conn: &Connection) -> Result<Option<Hlc>> {
    Ok(conn
        .query_row(
            "SELECT hlc FROM op_log ORDER BY seq DESC LIMIT 1",
            [],
            |r| r.get::<_, i64>(0),
        )
        .optional()?
        .map(Hlc::from_i64))
}

/// Pending ops after log position `after`, oldest first, with their positions: a push
/// walks past ops the server deferred instead of sending them again in a loop.
pub fn pending_after(conn: &Connection, after: i64, limit: u32) -> Result<Vec<(i64, Op)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, op_id, hlc, device, user, entity, entity_id, action, fields FROM op_log
         WHERE seq > ?1 AND local = 1 AND acked = 0 AND rejected IS NULL ORDER BY seq LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![after.max(settled(conn)?), limit], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            (
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, String>(8)?,
            ),
        ))
    })?;
    let mut ops = Vec::new();
    for row in rows {
        let (seq, (id, hlc, device, user, entity, entity_id, action, fields)) = row?;
        ops.push((
            seq,
            Op {
                id,
                hlc: Hlc::from_i64(hlc),
                device,
                user,
                entity,
                entity_id,
                action: Action::parse(&action)?,
                fields: serde_json::from_str(&fields)?,
            },
        ));
    }
    Ok(ops)
}

/// How many local ops wait for the server.
pub fn pending_count(conn: &Connection) -> Result<u64> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM op_log
             WHERE seq > ?1 AND local = 1 AND acked = 0 AND rejected IS NULL",
        )?
        .query_row([settled(conn)?], |r| r.get::<_, i64>(0))? as u64)
}

const SETTLED: &str = "log.settled";

/// The watermark below which no local op waits for the server: every op at or below
/// this seq is remote, acknowledged or rejected. Pending ops are read from here on.
pub fn settled(conn: &Connection) -> Result<i64> {
    Ok(crate::store::meta_get(conn, SETTLED)?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

/// Moves the watermark up to just before the first op still waiting, after ops were
/// acknowledged or rejected (or remote ops applied).
pub fn settle(conn: &Connection) -> Result<()> {
    let from = settled(conn)?;
    let first_waiting: Option<i64> = conn
        .prepare_cached(
            "SELECT min(seq) FROM op_log
             WHERE seq > ?1 AND local = 1 AND acked = 0 AND rejected IS NULL",
        )?
        .query_row([from], |r| r.get(0))?;
    let to = match first_waiting {
        Some(seq) => seq - 1,
        None => conn
            .prepare_cached("SELECT coalesce(max(seq), 0) FROM op_log")?
            .query_row([], |r| r.get(0))?,
    };
    if to != from {
        crate::store::meta_set(conn, SETTLED, &to.to_string())?;
    }
    Ok(())
}

/// Puts the watermark below `seq`, when a settled op waits again (a rejected op queued
/// for another try).
pub fn unsettle(conn: &Connection, seq: i64) -> Result<()> {
    if seq <= settled(conn)? {
        crate::store::meta_set(conn, SETTLED, &(seq - 1).max(0).to_string())?;
    }
    Ok(())
}

/// Builds a `Fields` map from pairs.
#[macro_export]
macro_rules! fields {
    ($($k:expr => $v:expr),* $(,)?) => {{
        let mut f = $crate::log::Fields::new();
        $( f.insert(($k).to_string(), serde_json::json!($v)); )*
        f
    }};
}

/// The replicated state as comparable lines: every row of every replicated table with its
/// fields and tombstone, without clock bookkeeping. Two stores that converged give equal
/// snapshots.
pub fn snapshot(conn: &Connection, schema: Schema) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for def in schema.all() {
        let cols = def.fields.join(", ");
        let mut stmt = conn.prepare(&format!(
            "SELECT id, {cols}, _deleted FROM {} ORDER BY id",
            def.table
        ))?;
        let n = def.fields.len() + 2;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let mut line = def.name.to_string();
            for i in 0..n {
                let v: SqlValue = r.get(i)?;
                line.push_str(&format!("|{v:?}"));
            }
            out.push(line);
        }
    }
    Ok(out)
}
