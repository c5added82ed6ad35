//! The sync service: enrolment, push and pull. `push` and `pull` are plain async
//! functions over a `Storage`, called by the HTTP handlers and, directly, by the
//! convergence property test.

pub mod blobs;
pub mod enrol;
pub mod routes;
pub mod scope;

use std::collections::{HashMap, HashSet};

use doorstep_core::clock::stable_id;
use doorstep_core::log::{self, Action, Op};
use doorstep_core::sync::protocol::{OpResult, OpVerdict, PullReply, MAX_PULL_OPS};
use doorstep_core::sync::Role;
use doorstep_core::SCHEMA;

use crate::storage::{Device, Storage, StoreResult, StoredOp};
use scope::Claim;

fn rejected(op: &Op, code: &str, reason: String) -> OpResult {
    OpResult {
        op_id: op.id.clone(),
        verdict: OpVerdict::Rejected {
            code: code.to_string(),
            reason,
        },
    }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::SocialWorker => "a social worker",
        Role::Marshal => "a marshal",
        Role::Runner => "a runner",
        Role::StationAdmin => "a station admin",
    }
}

/// How far ahead of the server's clock a pushed op may be stamped unless told otherwise.
pub const DEFAULT_MAX_CLOCK_SKEW_MS: i64 = 10 * 60_000;

/// Checks and stores a batch from `device` received at `now_ms`, with the default bound on
/// clocks ahead; one verdict per op, in order.
pub async fn push(
    store: &dyn Storage,
    device: &Device,
    ops: &[Op],
    now_ms: i64,
) -> StoreResult<Vec<OpResult>> {
    push_with(store, device, ops, now_ms, DEFAULT_MAX_CLOCK_SKEW_MS).await
}

/// Checks and stores a batch from `device`; one verdict per op, in order. An op stored
/// before (a retried batch) is accepted again and stored nothing twice. An op stamped more
/// than `max_ahead_ms` after `now_ms` is refused (`clock_ahead`), so no pushed op can move
/// the clocks of the devices that pull it further ahead than that.
pub async fn push_with(
    store: &dyn Storage,
    device: &Device,
    ops: &[Op],
    now_ms: i64,
    max_ahead_ms: i64,
) -> StoreResult<Vec<OpResult>> {
    // Every field is checked before any storage sees the op: one bad op gets its own
    // verdict and the rest of the batch goes on, on SQLite and PostgreSQL alike.
    let invalid: Vec<Option<String>> = ops
        .iter()
        .map(|o| log::validate(SCHEMA, o).err().map(|e| e.to_string()))
        .collect();
    let valid = || {
        ops.iter()
            .zip(&invalid)
            .filter(|(_, bad)| bad.is_none())
            .map(|(o, _)| o)
    };
    let ids: Vec<String> = valid().map(|o| o.id.clone()).collect();
    let known = store.known_ops(&ids).await?;
    let mut wanted: Vec<(String, String)> = Vec::new();
    for o in valid().filter(|o| !known.contains(&o.id)) {
        wanted.push((
            scope::static_name(&o.entity).to_string(),
            o.entity_id.clone(),
        ));
        wanted.extend(
            scope::references(o)
                .into_iter()
                .map(|(e, id)| (e.to_string(), id)),
        );
    }
    wanted.sort();
    wanted.dedup();
    let mut places = store.areas_of(&wanted).await?;
    let mut seen: HashSet<&str> = HashSet::new();
    let mut accept: Vec<StoredOp> = Vec::new();
    let mut results = Vec::with_capacity(ops.len());
    let mut refused_places = Vec::new();
    let bound = Bound {
        now_ms,
        max_ahead_ms,
    };
    for (op, bad) in ops.iter().zip(&invalid) {
        if let Some(reason) = bad {
            results.push(rejected(op, "invalid", reason.clone()));
            continue;
        }
        if known.contains(&op.id) || seen.contains(op.id.as_str()) {
            results.push(OpResult {
                op_id: op.id.clone(),
                verdict: OpVerdict::Accepted,
            });
            continue;
        }
        match check(device, op, &places, bound) {
            Ok(area) => {
                seen.insert(&op.id);
                places.insert((op.entity.clone(), op.entity_id.clone()), area.clone());
                accept.push(StoredOp {
                    op: op.clone(),
                    area,
                    blob: doorstep_core::deliveries::blob_of(op).map(str::to_string),
                });
                results.push(OpResult {
                    op_id: op.id.clone(),
                    verdict: OpVerdict::Accepted,
                });
            }
            // A row named but not known yet may be in a batch still on its way.
            Err(("unplaced", reason)) => results.push(OpResult {
                op_id: op.id.clone(),
                verdict: OpVerdict::Deferred {
                    code: "unplaced".into(),
                    reason,
                },
            }),
            Err((code, reason)) => {
                // An area is named by a hash of its path, so its placement is a fact
                // even when the op is refused; rows naming it are then refused too.
                if let Claim::Path(path) = scope::claim(op) {
                    let key = (op.entity.clone(), op.entity_id.clone());
                    if op.entity == "area"
                        && op.entity_id == stable_id("area", &path)
                        && !places.contains_key(&key)
                    {
                        places.insert(key, path.clone());
                        refused_places.push((op.entity.clone(), op.entity_id.clone(), path));
                    }
                }
                results.push(rejected(op, code, reason))
            }
        }
    }
    store.insert_ops(&accept, now_ms).await?;
    store.place_rows(&refused_places).await?;
    Ok(results)
}

/// The server's clock at a push and how far ahead of it an op may be stamped.
#[derive(Debug, Clone, Copy)]
struct Bound {
    now_ms: i64,
    max_ahead_ms: i64,
}

fn out_of_scope(device: &Device, what: String) -> (&'static str, String) {
    (
        "out_of_scope",
        format!("{what}, outside this device's areas {:?}", device.areas),
    )
}

/// The area a valid op is placed in, or why it is refused. The place is where the row already
/// lives; a new row goes where the parent it names lives. An op naming another place
/// than the stored one moves the row, which needs rights on both.
fn check(
    device: &Device,
    op: &Op,
    places: &HashMap<(String, String), String>,
    bound: Bound,
) -> Result<String, (&'static str, String)> {
    if op.device != device.device_id {
        return Err((
            "wrong_device",
            format!(
                "op {} was written by device {}, not by this device ({})",
                op.id, op.device, device.device_id
            ),
        ));
    }
    if !op.user.is_empty() && op.user != device.user {
        return Err((
            "wrong_user",
            format!(
                "op {} was written by user {:?}, but this device is enrolled for {:?}",
                op.id, op.user, device.user
            ),
        ));
    }
    let limit = bound.now_ms.saturating_add(bound.max_ahead_ms);
    if op.hlc.wall_ms() > limit {
        return Err((
            "clock_ahead",
            format!(
                "op {} is stamped {} ms after the server's clock ({} ms); at most {} ms \
                 ahead is accepted: set the phone's clock right",
                op.id,
                op.hlc.wall_ms().saturating_sub(bound.now_ms),
                bound.now_ms,
                bound.max_ahead_ms
            ),
        ));
    }
    if !scope::can_write(device.role, &op.entity) {
        return Err((
            "forbidden_entity",
            format!(
                "{} may not write {} records (op {})",
                role_name(device.role),
                op.entity,
                op.id
            ),
        ));
    }
    let own = (op.entity.clone(), op.entity_id.clone());
    let stored = places.get(&own);
    let unplaced = |what: String| {
        (
            "unplaced",
            format!("op {} cannot be placed in an area: {what}", op.id),
        )
    };
    let claimed = match scope::claim(op) {
        Claim::Station => return Ok(String::new()),
        Claim::Path(p) => Some(p),
        Claim::Parent(entity, id) => match places.get(&(entity.to_string(), id.clone())) {
            Some(p) => Some(p.clone()),
            None if stored.is_some_and(|s| !scope::may_write(device, s)) => None,
            None => {
                return Err(unplaced(format!(
                    "{entity} {id}, which {} {} names, is not known to the server",
                    op.entity, op.entity_id
                )))
            }
        },
        Claim::Unsaid => None,
    };
    let area = match (stored, claimed) {
        (Some(s), Some(c)) if *s != c => {
            if !(scope::may_write(device, s) && scope::may_write(device, &c)) {
                return Err(out_of_scope(
                    device,
                    format!(
                        "{} {} lives in area {s:?}; op {} would move it to {c:?}, and a \
                         move needs rights on both",
                        op.entity, op.entity_id, op.id
                    ),
                ));
            }
            c
        }
        (Some(s), _) => s.clone(),
        (None, Some(c)) => c,
        (None, None) => {
            return Err(unplaced(format!(
                "{} {} is new to the server and the op names no area",
                op.entity, op.entity_id
            )))
        }
    };
    let canonical = op.action == Action::Put
        && scope::is_canonical_ancestor(op, &area, &device.areas)
        && stored.is_none_or(|s| *s == area);
    if !scope::may_write(device, &area) && !canonical {
        return Err(out_of_scope(
            device,
            format!("{} {} is in area {area:?}", op.entity, op.entity_id),
        ));
    }
    for (entity, id) in scope::references(op) {
        if let Some(p) = places.get(&(entity.to_string(), id.clone())) {
            if !scope::may_write(device, p) {
                return Err(out_of_scope(
                    device,
                    format!(
                        "{} {} names {entity} {id}, which is in area {p:?}",
                        op.entity, op.entity_id
                    ),
                ));
            }
        }
    }
    Ok(area)
}

/// One page of ops after `after` for `device`, filtered and redacted for its role.
pub async fn pull(
    store: &dyn Storage,
    device: &Device,
    after: i64,
    limit: u32,
) -> StoreResult<PullReply> {
    let limit = limit.clamp(1, MAX_PULL_OPS);
    let page = store
        .pull(&scope::pull_filter(device), after, limit)
        .await?;
    // A cursor past the highest sequence was handed out by this storage before it was
    // restored from an older backup; echoing it back would skip what is stored next.
    if after > page.high_water {
        tracing::warn!(
            device = %device.device_id,
            after,
            high_water = page.high_water,
            "a pull cursor is past every stored op; the device is told to start over"
        );
        return Ok(PullReply {
            ops: vec![],
            cursor: 0,
            more: true,
            reset: true,
        });
    }
    let full = page.ops.len() as u32 == limit;
    let cursor = match page.ops.last() {
        Some((seq, _)) if full => *seq,
        _ => page.high_water.max(after),
    };
    Ok(PullReply {
        ops: page
            .ops
            .into_iter()
            .map(|(_, op)| scope::redact(device.role, op))
            .collect(),
        cursor,
        more: full,
        reset: false,
    })
}
