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
use scope::Place;

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

/// Checks and stores a batch from `device`; one verdict per op, in order. An op stored
/// before (a retried batch) is accepted again and stored nothing twice.
pub async fn push(
    store: &dyn Storage,
    device: &Device,
    ops: &[Op],
    now_ms: i64,
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
    let mut wanted: Vec<(String, String)> = valid()
        .filter(|o| !known.contains(&o.id))
        .filter_map(|o| match scope::place(o) {
            Place::Of(e, id) => Some((e.to_string(), id)),
            _ => None,
        })
        .collect();
    wanted.sort();
    wanted.dedup();
    let mut places = store.areas_of(&wanted).await?;
    let mut seen: HashSet<&str> = HashSet::new();
    let mut accept: Vec<StoredOp> = Vec::new();
    let mut results = Vec::with_capacity(ops.len());
    let mut refused_places = Vec::new();
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
        match check(device, op, &places) {
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
                if let Place::Path(path) = scope::place(op) {
                    if op.entity == "area" && op.entity_id == stable_id("area", &path) {
                        places.insert((op.entity.clone(), op.entity_id.clone()), path.clone());
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

/// The area a valid op is placed in, or why it is refused.
fn check(
    device: &Device,
    op: &Op,
    places: &HashMap<(String, String), String>,
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
    let area = match scope::place(op) {
        Place::Station => String::new(),
        Place::Path(p) => p,
        Place::Of(entity, id) => places
            .get(&(entity.to_string(), id.clone()))
            .cloned()
            .ok_or_else(|| {
                let what = if entity == op.entity && id == op.entity_id {
                    format!(
                        "{} {id} is new to the server and the op names no area",
                        op.entity
                    )
                } else {
                    format!(
                        "{entity} {id}, which {} {} names, is not known to the server",
                        op.entity, op.entity_id
                    )
                };
                (
                    "unplaced",
                    format!("op {} cannot be placed in an area: {what}", op.id),
                )
            })?,
    };
    if device.role == Role::StationAdmin || area.is_empty() || scope::in_scope(&area, &device.areas)
    {
        return Ok(area);
    }
    if op.action == Action::Put && scope::is_canonical_ancestor(op, &area, &device.areas) {
        return Ok(area);
    }
    Err((
        "out_of_scope",
        format!(
            "{} {} is in area {area:?}, outside this device's areas {:?}",
            op.entity, op.entity_id, device.areas
        ),
    ))
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
