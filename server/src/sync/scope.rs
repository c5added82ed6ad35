//! Who may write and read what, and where each op lives. A role grants entities; areas
//! grant places. Every op is placed where its row already lives, by the placements the
//! server stored with earlier ops; a new row is placed where the parent it names lives
//! (a resident where its household does, a need update where its need does). What an op
//! claims is checked against that, so a phone cannot claim a place.

use doorstep_core::clock::stable_id;
use doorstep_core::log::{Op, Value};
use doorstep_core::sync::Role;

use crate::storage::{Device, PullFilter};

/// Registry rows a social worker keeps and a runner reads for addresses.
const REGISTRY: &[&str] = &["area", "building", "household", "resident"];
/// The social worker's case file: never for marshals or runners.
const CASEWORK: &[&str] = &[
    "resident_move",
    "visit",
    "need",
    "need_update",
    "referral",
    "referral_update",
    "follow_up",
];
/// Station-wide settings the station admin writes and social workers read.
const VISIT_SETTINGS: &[&str] = &["visit_template", "visit_frequency"];
/// What a marshal's phone needs to verify passes offline.
const TRUST: &[&str] = &["trusted_key", "pass", "pass_revocation"];
/// What marshals record at a testing site.
const SITE: &[&str] = &["check_in", "tube", "tube_member"];
/// Supply requests, packages and their handoffs (with photo and signature proofs).
const DELIVERIES: &[&str] = &[
    "delivery_request",
    "delivery_package",
    "handoff",
    "pin_attempt",
    "stock_move",
];
/// Which resident a pass stands for: stays with the station.
const PASS_SUBJECTS: &[&str] = &["pass_subject"];
/// The station's stock: the station's, not an area's.
const STOCK: &[&str] = &["stock_move"];

/// Entities that belong to the whole station rather than to an area.
pub fn station_wide(entity: &str) -> bool {
    VISIT_SETTINGS.contains(&entity)
        || TRUST.contains(&entity)
        || SITE.contains(&entity)
        || PASS_SUBJECTS.contains(&entity)
        || STOCK.contains(&entity)
}

/// Whether `role` may write `entity`.
pub fn can_write(role: Role, entity: &str) -> bool {
    match role {
        Role::StationAdmin => true,
        Role::SocialWorker => REGISTRY.contains(&entity) || CASEWORK.contains(&entity),
        Role::Marshal => SITE.contains(&entity),
        Role::Runner => DELIVERIES.contains(&entity),
    }
}

/// The entities `role` pulls.
pub fn readable(role: Role) -> Vec<String> {
    let groups: &[&[&str]] = match role {
        Role::StationAdmin => &[
            REGISTRY,
            CASEWORK,
            VISIT_SETTINGS,
            TRUST,
            SITE,
            PASS_SUBJECTS,
            DELIVERIES,
        ],
        Role::SocialWorker => &[REGISTRY, CASEWORK, VISIT_SETTINGS],
        Role::Marshal => &[TRUST, SITE],
        Role::Runner => &[REGISTRY, DELIVERIES],
    };
    groups
        .iter()
        .flat_map(|g| g.iter().map(|e| e.to_string()))
        .collect()
}

/// Strips what a role may not see from a pulled op (a runner gets no resident notes).
pub fn redact(role: Role, mut op: Op) -> Op {
    if role == Role::Runner && op.entity == "resident" {
        op.fields.remove("notes");
    }
    op
}

/// What `device` pulls.
pub fn pull_filter(device: &Device) -> PullFilter {
    let unrestricted = device.role == Role::StationAdmin;
    PullFilter {
        entities: readable(device.role),
        areas: (!unrestricted).then(|| device.areas.clone()),
        ancestors: ancestors(&device.areas),
        exclude_device: device.device_id.clone(),
    }
}

/// Every proper ancestor of the given paths (`a`, `a/b` for `a/b/c`), without repeats.
pub fn ancestors(paths: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in paths {
        let mut at = 0;
        while let Some(i) = p[at..].find('/') {
            let a = p[..at + i].to_string();
            if !out.contains(&a) {
                out.push(a);
            }
            at += i + 1;
        }
    }
    out
}

/// Whether `path` is one of `areas` or below one.
pub fn in_scope(path: &str, areas: &[String]) -> bool {
    areas.iter().any(|a| {
        path == a
            || (path.len() > a.len()
                && path.starts_with(a.as_str())
                && path.as_bytes()[a.len()] == b'/')
    })
}

/// Where an op says its row lives, before looking anything up. The server believes a
/// claim only as far as the rows it already stores bear it out (see `crate::sync::push`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The whole station.
    Station,
    /// An area path given by the op itself (an area row).
    Path(String),
    /// Wherever this parent row (entity, id) lives.
    Parent(&'static str, String),
    /// Nothing: the row lives where it already does.
    Unsaid,
}

fn text<'a>(op: &'a Op, field: &str) -> Option<&'a str> {
    match op.fields.get(field) {
        Some(Value::String(s)) if !s.is_empty() => Some(s),
        _ => None,
    }
}

/// Fields that name another row, per entity, with the entity each names. Of the first
/// `placing` fields, the first the op carries is the parent that places a new row; every
/// row named that the server knows must lie in the writer's areas, so no op reaches into
/// another area through a field.
const REFERENCES: &[(&str, &[(&str, &str)])] = &[
    ("building", &[("area_id", "area")]),
    (
        "household",
        &[("area_id", "area"), ("building_id", "building")],
    ),
    ("resident", &[("household_id", "household")]),
    (
        "resident_move",
        &[
            ("to_household", "household"),
            ("from_household", "household"),
            ("resident_id", "resident"),
        ],
    ),
    (
        "visit",
        &[
            ("area_id", "area"),
            ("household_id", "household"),
            ("resident_id", "resident"),
            ("supersedes", "visit"),
        ],
    ),
    (
        "need",
        &[
            ("area_id", "area"),
            ("household_id", "household"),
            ("resident_id", "resident"),
            ("visit_id", "visit"),
        ],
    ),
    ("need_update", &[("need_id", "need")]),
    (
        "referral",
        &[
            ("area_id", "area"),
            ("household_id", "household"),
            ("resident_id", "resident"),
            ("need_id", "need"),
        ],
    ),
    ("referral_update", &[("referral_id", "referral")]),
    (
        "follow_up",
        &[
            ("household_id", "household"),
            ("resident_id", "resident"),
            ("visit_id", "visit"),
            ("need_id", "need"),
        ],
    ),
    (
        "delivery_request",
        &[
            ("area_id", "area"),
            ("household_id", "household"),
            ("need_id", "need"),
            ("referral_id", "referral"),
        ],
    ),
    (
        "delivery_package",
        &[
            ("area_id", "area"),
            ("household_id", "household"),
            ("request_id", "delivery_request"),
            ("building_id", "building"),
        ],
    ),
    ("handoff", &[("package_id", "delivery_package")]),
    (
        "pin_attempt",
        &[
            ("request_id", "delivery_request"),
            ("package_id", "delivery_package"),
        ],
    ),
];

/// How many of an entity's reference fields can place a new row (the rest only have to
/// lie in the writer's areas).
fn placing(entity: &str) -> usize {
    match entity {
        "visit" | "need" | "referral" | "delivery_request" | "delivery_package" | "follow_up" => 2,
        _ => 1,
    }
}

fn fields_of(entity: &str) -> &'static [(&'static str, &'static str)] {
    REFERENCES
        .iter()
        .find(|(e, _)| *e == entity)
        .map_or(&[], |(_, f)| f)
}

/// Every row an op names in its fields, as (entity, id).
pub fn references(op: &Op) -> Vec<(&'static str, String)> {
    fields_of(&op.entity)
        .iter()
        .filter_map(|(field, entity)| text(op, field).map(|id| (*entity, id.to_string())))
        .collect()
}

/// Where an op says its row lives: an area's own path, the first parent it names, or
/// nothing (a delete, or a put that changes no parent).
pub fn claim(op: &Op) -> Claim {
    let e = op.entity.as_str();
    if station_wide(e) {
        return Claim::Station;
    }
    if e == "area" {
        return text(op, "path").map_or(Claim::Unsaid, |p| Claim::Path(p.to_string()));
    }
    fields_of(e)
        .iter()
        .take(placing(e))
        .find_map(|(field, entity)| text(op, field).map(|id| Claim::Parent(entity, id.to_string())))
        .unwrap_or(Claim::Unsaid)
}

/// The static name of a known entity (placement keys outlive the op).
pub fn static_name(entity: &str) -> &'static str {
    doorstep_core::SCHEMA
        .get(entity)
        .map(|d| d.name)
        .unwrap_or("unknown")
}

/// Whether `device` may write rows placed at `path` ('' is the station's own).
pub fn may_write(device: &Device, path: &str) -> bool {
    device.role == Role::StationAdmin || path.is_empty() || in_scope(path, &device.areas)
}

/// Whether an area op only creates, exactly as every phone would, an area above the
/// device's own: phones create the whole path when they first use an area.
pub fn is_canonical_ancestor(op: &Op, path: &str, areas: &[String]) -> bool {
    if op.entity != "area" || !ancestors(areas).iter().any(|a| a == path) {
        return false;
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    let parent = path.rfind('/').map(|i| stable_id("area", &path[..i]));
    let depth = path.split('/').count();
    let level = doorstep_core::registry::AreaLevel::ALL
        .get(depth - 1)
        .map(|l| l.code());
    op.entity_id == stable_id("area", path)
        && op.fields.len() == 4
        && text(op, "path") == Some(path)
        && text(op, "name") == Some(name)
        && text(op, "level") == level
        && op
            .fields
            .get("parent_id")
            .and_then(Value::as_str)
            .map(str::to_string)
            == parent
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_scope_paths_and_ancestors() {
        let areas = vec!["区/街道/社区/网格1".to_string()];
        assert!(in_scope("区/街道/社区/网格1", &areas));
        assert!(in_scope("区/街道/社区/网格1/楼", &areas));
        assert!(!in_scope("区/街道/社区/网格10", &areas));
        assert!(!in_scope("区/街道/社区", &areas));
        assert_eq!(ancestors(&areas), vec!["区", "区/街道", "区/街道/社区"]);
    }

    #[test]
    fn sync_roles_grant_the_right_entities() {
        assert!(!can_write(Role::Runner, "visit"));
        assert!(!can_write(Role::Marshal, "visit"));
        assert!(can_write(Role::Marshal, "check_in"));
        assert!(!can_write(Role::SocialWorker, "trusted_key"));
        let marshal = readable(Role::Marshal);
        assert!(marshal.contains(&"pass_revocation".to_string()));
        assert!(!marshal.iter().any(|e| e == "visit" || e == "resident"));
        let runner = readable(Role::Runner);
        assert!(runner.contains(&"household".to_string()));
        assert!(!runner.iter().any(|e| CASEWORK.contains(&e.as_str())));
        assert!(runner.contains(&"handoff".to_string()));
        assert!(can_write(Role::Runner, "handoff"));
        assert!(!can_write(Role::Runner, "need_update"));
    }
}
