//! Deliveries: supply requests from needs, referrals, the hotline or the station; the
//! station's stock; packages carried by runners; handoffs with proof, chained by hash;
//! the runner's list and the day's ledger.
//!
//! Requests and packages are registers (their current state); every handoff, stock
//! movement and PIN try is a fact, so two phones never overwrite each other's record of
//! what was handed to whom. A request's status follows its packages, and a request made
//! from a need or referral moves it: delivered resolves it, a failure reopens it.

mod facade;
mod model;
pub mod proof;
pub mod store;
#[cfg(test)]
mod tests;

pub use model::*;

use std::collections::BTreeMap;

use rusqlite::Connection;
use sha2::{Digest, Sha256};

use crate::checkin;
use crate::clock::new_id;
use crate::error::{Error, Result};
use crate::fields;
use crate::hex;
use crate::log::{EntityDef, EntityKind, Writer};
use crate::registry;
use crate::visits::{self, NeedStatus, ReferralStatus, ReferralTarget, Urgency};

/// Supply requests' current state.
pub static REQUEST: EntityDef = EntityDef {
    name: "delivery_request",
    table: "delivery_request",
    kind: EntityKind::Register,
    fields: &[
        "household_id",
        "area_id",
        "source",
        "need_id",
        "referral_id",
        "caller",
        "items",
        "urgency",
        "notes",
        "pin_salt",
        "pin_hash",
        "status",
        "created_at",
        "created_by",
        "status_at",
    ],
};

/// Packages' current state.
pub static PACKAGE: EntityDef = EntityDef {
    name: "delivery_package",
    table: "delivery_package",
    kind: EntityKind::Register,
    fields: &[
        "request_id",
        "household_id",
        "area_id",
        "building_id",
        "building",
        "unit",
        "address",
        "urgency",
        "medicine",
        "items",
        "delivered",
        "status",
        "runner",
        "reason",
        "head_hash",
        "steps",
        "created_at",
        "status_at",
    ],
};

/// Each move of a package.
pub static HANDOFF: EntityDef = EntityDef {
    name: "handoff",
    table: "handoff",
    kind: EntityKind::Fact,
    fields: &[
        "package_id",
        "seq",
        "status",
        "from_party",
        "to_party",
        "at",
        "place",
        "items",
        "proof_kind",
        "proof",
        "reason",
        "note",
        "prev_hash",
        "hash",
    ],
};

/// Stock in and out at the station.
pub static STOCK_MOVE: EntityDef = EntityDef {
    name: "stock_move",
    table: "stock_move",
    kind: EntityKind::Fact,
    fields: &[
        "item_key",
        "item",
        "name",
        "dose",
        "quantity",
        "kind",
        "package_id",
        "source",
        "note",
        "at",
        "by_user",
    ],
};

/// Each try of a delivery PIN.
pub static PIN_ATTEMPT: EntityDef = EntityDef {
    name: "pin_attempt",
    table: "pin_attempt",
    kind: EntityKind::Fact,
    fields: &["request_id", "package_id", "ok", "at"],
};

/// The deliveries module's entity definitions, for the schema.
pub const DEFS: &[&EntityDef] = &[&REQUEST, &PACKAGE, &HANDOFF, &STOCK_MOVE, &PIN_ATTEMPT];

/// Wrong PIN tries before a request's PIN stops being accepted (another proof is then
/// needed): six digits cannot be guessed in five.
pub const MAX_PIN_FAILURES: u32 = 5;

const MAX_LINES: usize = 50;
const MAX_QUANTITY: i64 = 10_000;
const MAX_NAME: usize = 100;
const MAX_NOTE: usize = 1000;
const MAX_PARTY: usize = 100;
const MAX_REASON: usize = 500;
const DAY_MS: i64 = 86_400_000;

/// Who holds goods that are not with a runner or a household.
pub const STATION: &str = "station";

// Items.

/// Checks an item list: known items, positive quantities, medicine with name and dose,
/// each item once. Returns the lines trimmed.
pub fn check_lines(field: &str, lines: &[ItemLine]) -> Result<Vec<ItemLine>> {
    if lines.is_empty() {
        return Err(Error::invalid(format!(
            "{field} must list at least one item"
        )));
    }
    if lines.len() > MAX_LINES {
        return Err(Error::invalid(format!(
            "{field} lists {} items, more than {MAX_LINES}",
            lines.len()
        )));
    }
    let mut out: Vec<ItemLine> = Vec::with_capacity(lines.len());
    for l in lines {
        let l = check_line(field, l)?;
        if out.iter().any(|o| o.key() == l.key()) {
            return Err(Error::invalid(format!(
                "{field}: {} is listed twice",
                l.key()
            )));
        }
        out.push(l);
    }
    Ok(out)
}

fn check_line(field: &str, l: &ItemLine) -> Result<ItemLine> {
    let code = l.item.trim();
    let item = CATALOGUE.iter().find(|c| c.code == code).ok_or_else(|| {
        Error::invalid(format!(
            "{field}: item {code:?} is not in the catalogue ({})",
            CATALOGUE
                .iter()
                .map(|c| c.code)
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    if l.quantity <= 0 || l.quantity > MAX_QUANTITY {
        return Err(Error::invalid(format!(
            "{field}: quantity of {code} is {}; it must be 1 to {MAX_QUANTITY}",
            l.quantity
        )));
    }
    let text = |what: &str, v: &Option<String>| -> Result<Option<String>> {
        match v {
            None => Ok(None),
            Some(v) => {
                let v = registry::check_text(&format!("{field}: {what}"), v, MAX_NAME, false)?;
                Ok((!v.is_empty()).then_some(v))
            }
        }
    };
    let (name, dose) = (text("name", &l.name)?, text("dose", &l.dose)?);
    if item.needs_name_and_dose && (name.is_none() || dose.is_none()) {
        return Err(Error::invalid(format!(
            "{field}: medicine needs its name and dose"
        )));
    }
    if !item.needs_name_and_dose && (name.is_some() || dose.is_some()) {
        return Err(Error::invalid(format!(
            "{field}: name and dose belong to medicine, not {code}"
        )));
    }
    Ok(ItemLine {
        item: code.to_string(),
        name,
        dose,
        quantity: l.quantity,
    })
}

/// Quantities per item key.
type Tally = BTreeMap<String, (ItemLine, i64)>;

fn tally<'a>(lines: impl IntoIterator<Item = &'a ItemLine>, sign: i64, into: &mut Tally) {
    for l in lines {
        into.entry(l.key())
            .or_insert_with(|| (l.with_quantity(0), 0))
            .1 += sign * l.quantity;
    }
}

fn positive(t: Tally) -> Vec<ItemLine> {
    t.into_values()
        .filter(|(_, q)| *q > 0)
        .map(|(l, q)| l.with_quantity(q))
        .collect()
}

/// Item lines summed per item (medicine per name and dose), in item-key order; items
/// that sum to nothing are left out.
pub fn sum_lines<'a>(lines: impl IntoIterator<Item = &'a ItemLine>) -> Vec<ItemLine> {
    let mut t = Tally::new();
    tally(lines, 1, &mut t);
    positive(t)
}

// Requests.

/// Makes a request and its delivery PIN. From a need, the need is taken up (in
/// progress); from a referral to the supplies team, the referral is accepted.
pub fn create_request(w: &mut Writer, input: &NewRequest) -> Result<CreatedRequest> {
    let items = check_lines("items", &input.items)?;
    let notes = optional_text("notes", input.notes.as_deref(), MAX_NOTE)?;
    let (household_id, need_id, referral_id, caller) = match &input.source {
        RequestSource::Need { need_id } => {
            let need = visits::need(w.conn(), need_id)?;
            if !need.status.is_open() {
                return Err(Error::Conflict(format!(
                    "need {need_id} is {}; only an open need can be delivered to",
                    need.status.code()
                )));
            }
            (need.household_id, Some(need.id), None, None)
        }
        RequestSource::Referral { referral_id } => {
            let r = visits::referral(w.conn(), referral_id)?;
            if r.target != ReferralTarget::SuppliesTeam {
                return Err(Error::invalid(format!(
                    "referral {referral_id} is to {}, not the supplies team",
                    r.target.code()
                )));
            }
            if !r.status.is_active() {
                return Err(Error::Conflict(format!(
                    "referral {referral_id} is {}; only a sent or accepted one can be delivered",
                    r.status.code()
                )));
            }
            (r.household_id, Some(r.need_id), Some(r.id), None)
        }
        RequestSource::Hotline { caller } => {
            let h = input
                .household_id
                .clone()
                .ok_or_else(|| Error::invalid("a hotline request needs its household_id"))?;
            let caller = match caller {
                Some(c) => registry::check_phone(c)?,
                None => None,
            };
            (h, None, None, caller)
        }
        RequestSource::Manual => {
            let h = input
                .household_id
                .clone()
                .ok_or_else(|| Error::invalid("a request made by hand needs its household_id"))?;
            (h, None, None, None)
        }
    };
    if let Some(h) = input.household_id.as_deref() {
        if h.trim() != household_id {
            return Err(Error::invalid(format!(
                "household_id {h} is not the household {household_id} of the {}",
                input.source.code()
            )));
        }
    }
    let household = registry::store::household_or_404(w.conn(), household_id.trim())?;
    if let Some(r) = &referral_id {
        let referral = visits::referral(w.conn(), r)?;
        if referral.status == ReferralStatus::Sent {
            visits::set_referral_status(
                w,
                r,
                ReferralStatus::Accepted,
                Some("delivery requested"),
            )?;
        }
    } else if let Some(n) = &need_id {
        take_up_need(w, n, "delivery requested")?;
    }
    let (pin, salt) = proof::new_pin()?;
    let id = new_id();
    let now = w.now_ms();
    let by = w.user().to_string();
    w.put(
        &REQUEST,
        &id,
        fields! {
            "household_id" => household.id, "area_id" => household.area_id,
            "source" => input.source.code(), "need_id" => need_id, "referral_id" => referral_id,
            "caller" => caller, "items" => store::lines_json(&items),
            "urgency" => input.urgency.code(), "notes" => notes,
            "pin_hash" => proof::pin_hash(&salt, &pin), "pin_salt" => salt,
            "status" => RequestStatus::Open.code(), "created_at" => now, "created_by" => by,
            "status_at" => now,
        },
    )?;
    Ok(CreatedRequest {
        request: store::request_or_404(w.conn(), &id)?,
        pin,
    })
}

/// Open needs are taken up; reopened ones again; resolved ones are left alone.
fn take_up_need(w: &mut Writer, need_id: &str, note: &str) -> Result<()> {
    let Ok(need) = visits::need(w.conn(), need_id) else {
        return Ok(());
    };
    if need.status == NeedStatus::Open {
        visits::set_need_status(w, need_id, NeedStatus::InProgress, Some(note))?;
    }
    Ok(())
}

/// The request's need is met: its referral is done, the need resolved.
fn resolve_need(w: &mut Writer, req: &DeliveryRequest, referral_id: Option<&str>) -> Result<()> {
    if let Some(r) = referral_id {
        let referral = visits::referral(w.conn(), r)?;
        if referral.status == ReferralStatus::Sent {
            visits::set_referral_status(w, r, ReferralStatus::Accepted, None)?;
        }
        if referral.status.is_active() {
            visits::set_referral_status(
                w,
                r,
                ReferralStatus::Done,
                Some(&format!("delivered (request {})", req.id)),
            )?;
        }
    }
    let Some(need_id) = need_of(w.conn(), req)? else {
        return Ok(());
    };
    let need = visits::need(w.conn(), &need_id)?;
    let note = format!("delivered (request {})", req.id);
    match need.status {
        NeedStatus::Open => {
            visits::set_need_status(w, &need_id, NeedStatus::InProgress, Some("delivering"))?;
            visits::set_need_status(w, &need_id, NeedStatus::Resolved, Some(&note))?;
        }
        NeedStatus::InProgress => {
            visits::set_need_status(w, &need_id, NeedStatus::Resolved, Some(&note))?;
        }
        // A referral that was done already resolved it, or someone else closed it.
        _ => {}
    }
    Ok(())
}

/// The delivery failed: the need is open again, with the reason.
fn reopen_need(w: &mut Writer, req: &DeliveryRequest, reason: FailReason) -> Result<()> {
    let Some(need_id) = need_of(w.conn(), req)? else {
        return Ok(());
    };
    let need = visits::need(w.conn(), &need_id)?;
    let note = format!("delivery failed: {}", reason.code());
    if need.status == NeedStatus::Referred {
        visits::set_need_status(w, &need_id, NeedStatus::InProgress, Some(&note))?;
        visits::set_need_status(w, &need_id, NeedStatus::Open, Some(&note))?;
    } else if need.status == NeedStatus::InProgress {
        visits::set_need_status(w, &need_id, NeedStatus::Open, Some(&note))?;
    }
    Ok(())
}

fn need_of(conn: &Connection, req: &DeliveryRequest) -> Result<Option<String>> {
    Ok(match &req.source {
        RequestSource::Need { need_id } => Some(need_id.clone()),
        RequestSource::Referral { referral_id } => {
            visits::referral(conn, referral_id).ok().map(|r| r.need_id)
        }
        _ => None,
    })
}

/// What of a request is neither delivered nor in an active package.
fn uncovered(conn: &Connection, req: &DeliveryRequest, except: Option<&str>) -> Result<Tally> {
    let mut t = Tally::new();
    tally(&req.items, 1, &mut t);
    for p in store::packages_of(conn, &req.id)? {
        if Some(p.id.as_str()) == except {
            continue;
        }
        if p.status.is_active() {
            tally(&p.items, -1, &mut t);
        } else {
            tally(&p.delivered, -1, &mut t);
        }
    }
    Ok(t)
}

/// Brings a request's status in line with its packages, after a handoff of `latest`.
fn update_request(
    w: &mut Writer,
    req: &DeliveryRequest,
    latest: &Package,
) -> Result<RequestStatus> {
    let packages = store::packages_of(w.conn(), &req.id)?;
    let mut left = Tally::new();
    tally(&req.items, 1, &mut left);
    let mut any_delivered = false;
    for p in &packages {
        any_delivered |= !p.delivered.is_empty();
        tally(&p.delivered, -1, &mut left);
    }
    let any_active = packages.iter().any(|p| {
        matches!(
            p.status,
            PackageStatus::Packed | PackageStatus::OutForDelivery
        )
    });
    let status = if left.values().all(|(_, q)| *q <= 0) {
        RequestStatus::Delivered
    } else if any_active {
        RequestStatus::InDelivery
    } else if any_delivered {
        RequestStatus::PartlyDelivered
    } else if latest.status == PackageStatus::Failed
        || (latest.status == PackageStatus::Returned && req.status == RequestStatus::Failed)
    {
        RequestStatus::Failed
    } else {
        RequestStatus::Open
    };
    if status != req.status {
        let now = w.now_ms();
        w.put(
            &REQUEST,
            &req.id,
            fields! { "status" => status.code(), "status_at" => now },
        )?;
        if status == RequestStatus::Delivered {
            let referral = match &req.source {
                RequestSource::Referral { referral_id } => Some(referral_id.as_str()),
                _ => None,
            };
            resolve_need(w, req, referral)?;
        }
    }
    Ok(status)
}

// Packages.

/// Plans a package for a request: `items` of it, or everything not yet covered by
/// another package.
pub fn new_package(
    w: &mut Writer,
    request_id: &str,
    items: Option<&[ItemLine]>,
) -> Result<Package> {
    let req = store::request_or_404(w.conn(), request_id)?;
    let left = uncovered(w.conn(), &req, None)?;
    let items = match items {
        Some(lines) => {
            let lines = check_lines("items", lines)?;
            for l in &lines {
                let room = left.get(&l.key()).map(|(_, q)| *q).unwrap_or(0);
                if l.quantity > room {
                    return Err(Error::invalid(format!(
                        "items: {} × {} is more than the {} of the request not yet packed",
                        l.key(),
                        l.quantity,
                        room.max(0)
                    )));
                }
            }
            lines
        }
        None => positive(left),
    };
    if items.is_empty() {
        return Err(Error::Conflict(format!(
            "request {request_id} is covered by its packages already"
        )));
    }
    let household = registry::store::household_or_404(w.conn(), &req.household_id)?;
    let building = match &household.building_id {
        Some(b) => registry::store::building(w.conn(), b)?.map(|b| b.name),
        None => None,
    };
    let id = new_id();
    let now = w.now_ms();
    let head = genesis(&id);
    w.put(
        &PACKAGE,
        &id,
        fields! {
            "request_id" => req.id, "household_id" => household.id,
            "area_id" => household.area_id, "building_id" => household.building_id,
            "building" => building, "unit" => household.unit, "address" => household.address,
            "urgency" => req.urgency.code(),
            "medicine" => items.iter().any(|l| l.item == "medicine"),
            "items" => store::lines_json(&items), "delivered" => "[]",
            "status" => PackageStatus::Requested.code(), "runner" => None::<String>,
            "reason" => None::<String>, "head_hash" => head, "steps" => 0,
            "created_at" => now, "status_at" => now,
        },
    )?;
    store::package_or_404(w.conn(), &id)
}

/// Moves a package one step and records the handoff with its proof. Everything is
/// checked before anything is written, so a refused handoff leaves no trace, except a
/// wrong PIN: that try is kept (the limit must hold) and comes back as the inner error.
pub fn handoff(
    w: &mut Writer,
    package_id: &str,
    input: &HandoffInput,
) -> Result<std::result::Result<Handoff, Error>> {
    let pkg = store::package_or_404(w.conn(), package_id)?;
    let req = store::request_or_404(w.conn(), &pkg.request_id)?;
    let to_status = input.to_status;
    if pkg.status == to_status && to_status == PackageStatus::Delivered {
        return Err(Error::Conflict(format!(
            "package {package_id} was delivered already"
        )));
    }
    if !pkg.status.can_become(to_status) {
        let next: Vec<&str> = PackageStatus::ALL
            .into_iter()
            .filter(|s| pkg.status.can_become(*s))
            .map(|s| s.code())
            .collect();
        return Err(Error::Conflict(format!(
            "package {package_id} is {}; it can become {}, not {}",
            pkg.status.code(),
            if next.is_empty() {
                "nothing else".to_string()
            } else {
                next.join(" or ")
            },
            to_status.code()
        )));
    }
    let place = optional_text("place", input.place.as_deref(), MAX_NOTE)?;
    let note = optional_text("note", input.note.as_deref(), MAX_NOTE)?;
    let from_in = optional_text("from", input.from.as_deref(), MAX_PARTY)?;
    let to_in = optional_text("to", input.to.as_deref(), MAX_PARTY)?;
    let holder = match pkg.status {
        PackageStatus::OutForDelivery | PackageStatus::Failed | PackageStatus::PartlyDelivered => {
            pkg.runner.clone().unwrap_or_else(|| STATION.to_string())
        }
        _ => STATION.to_string(),
    };
    let household = format!("household:{}", pkg.household_id);
    let from = from_in.unwrap_or(holder.clone());
    let (to, runner) = match to_status {
        PackageStatus::Packed => (to_in.unwrap_or_else(|| STATION.to_string()), None),
        PackageStatus::OutForDelivery => {
            let r = to_in.ok_or_else(|| {
                Error::invalid("an out-for-delivery handoff names the runner in `to`")
            })?;
            (r.clone(), Some(r))
        }
        PackageStatus::Delivered | PackageStatus::PartlyDelivered => {
            (to_in.unwrap_or(household), None)
        }
        PackageStatus::Failed => (to_in.unwrap_or(holder), None),
        PackageStatus::Returned | PackageStatus::Requested => {
            (to_in.unwrap_or_else(|| STATION.to_string()), None)
        }
    };
    if input.reason.is_some() && to_status != PackageStatus::Failed {
        return Err(Error::invalid("a reason belongs to a failed delivery"));
    }

    // What moves.
    let mut packed = pkg.items.clone();
    let mut delivered: Vec<ItemLine> = Vec::new();
    let moved: Vec<ItemLine> = match to_status {
        PackageStatus::Packed => {
            if let Some(lines) = &input.items {
                let lines = check_lines("items", lines)?;
                let mut planned = Tally::new();
                tally(&pkg.items, 1, &mut planned);
                for l in &lines {
                    let room = planned.get(&l.key()).map(|(_, q)| *q).unwrap_or(0);
                    if l.quantity > room {
                        return Err(Error::invalid(format!(
                            "items: packing {} × {} is more than the {room} planned",
                            l.key(),
                            l.quantity
                        )));
                    }
                }
                packed = lines;
            }
            packed.clone()
        }
        PackageStatus::Delivered | PackageStatus::PartlyDelivered => {
            let lines = match &input.items {
                Some(lines) => check_lines("items", lines)?,
                None if to_status == PackageStatus::Delivered => pkg.items.clone(),
                None => {
                    return Err(Error::invalid(
                        "a partial delivery lists the items handed over",
                    ))
                }
            };
            let mut room = Tally::new();
            tally(&pkg.items, 1, &mut room);
            tally(&lines, -1, &mut room);
            if let Some((l, q)) = room.values().find(|(_, q)| *q < 0) {
                return Err(Error::invalid(format!(
                    "delivering more than packed: {} exceeds the package by {}",
                    l.key(),
                    -q
                )));
            }
            let short = room.values().any(|(_, q)| *q > 0);
            if to_status == PackageStatus::Delivered && short {
                return Err(Error::invalid(
                    "not everything packed was handed over: record a partial delivery",
                ));
            }
            if to_status == PackageStatus::PartlyDelivered && !short {
                return Err(Error::invalid(
                    "everything packed was handed over: record a delivery",
                ));
            }
            delivered = lines.clone();
            lines
        }
        PackageStatus::Returned => {
            let mut back = Tally::new();
            tally(&pkg.items, 1, &mut back);
            tally(&pkg.delivered, -1, &mut back);
            positive(back)
        }
        PackageStatus::OutForDelivery => pkg.items.clone(),
        PackageStatus::Failed | PackageStatus::Requested => Vec::new(),
    };
    if input.items.is_some()
        && !matches!(
            to_status,
            PackageStatus::Packed | PackageStatus::Delivered | PackageStatus::PartlyDelivered
        )
    {
        return Err(Error::invalid(format!(
            "a {} handoff moves what the package holds; it takes no items",
            to_status.code()
        )));
    }
    let reason = match to_status {
        PackageStatus::Failed => Some(input.reason.ok_or_else(|| {
            Error::invalid(
                "a failed delivery needs its reason (nobody_home, refused, wrong_address)",
            )
        })?),
        _ => None,
    };
    let delivering = matches!(
        to_status,
        PackageStatus::Delivered | PackageStatus::PartlyDelivered
    );
    if delivering && input.proof.is_none() {
        return Err(Error::invalid(
            "a delivery needs its proof: the pass, the PIN, a signature, a photo, or why none",
        ));
    }

    // Stock leaves the shelf when packed; what comes back returns to it.
    if to_status == PackageStatus::Packed {
        for l in &packed {
            let available = store::balance(w.conn(), &l.key())?;
            if available < l.quantity {
                return Err(Error::Shortfall {
                    item: l.key(),
                    needed: l.quantity,
                    available,
                });
            }
        }
    }

    // Proof: checked last among the refusals, stored before the handoff that names it.
    let now = w.now_ms();
    let proof = match &input.proof {
        None => None,
        Some(p) => match check_proof(w, &pkg, &req, p, now)? {
            Ok(stored) => Some(stored),
            Err(refused) => return Ok(Err(refused)),
        },
    };

    // Writes.
    let seq = pkg.steps + 1;
    let items_json = store::lines_json(&moved);
    let (proof_kind, proof_text) = match &proof {
        Some((k, t)) => (Some(k.code()), t.clone()),
        None => (None, None),
    };
    let link = Link {
        package_id,
        status: to_status.code(),
        from: &from,
        to: &to,
        at: now,
        place: place.as_deref(),
        items: &items_json,
        proof_kind,
        proof: proof_text.as_deref(),
        reason: reason.map(|r| r.code()),
        note: note.as_deref(),
    };
    let hash = link.hash(&pkg.head_hash);
    let handoff_id = new_id();
    w.fact(
        &HANDOFF,
        &handoff_id,
        fields! {
            "package_id" => package_id, "seq" => seq, "status" => to_status.code(),
            "from_party" => from, "to_party" => to, "at" => now, "place" => place,
            "items" => items_json, "proof_kind" => proof_kind, "proof" => proof_text,
            "reason" => reason.map(|r| r.code()), "note" => note,
            "prev_hash" => pkg.head_hash, "hash" => hash,
        },
    )?;
    let mut f = fields! {
        "status" => to_status.code(), "status_at" => now, "head_hash" => hash, "steps" => seq,
    };
    match to_status {
        PackageStatus::Packed => {
            f.insert("items".into(), store::lines_json(&packed).into());
            f.insert(
                "medicine".into(),
                packed.iter().any(|l| l.item == "medicine").into(),
            );
        }
        PackageStatus::OutForDelivery => {
            f.insert("runner".into(), runner.clone().into());
            f.insert("reason".into(), serde_json::Value::Null);
        }
        PackageStatus::Delivered | PackageStatus::PartlyDelivered => {
            f.insert("delivered".into(), store::lines_json(&delivered).into());
        }
        PackageStatus::Failed => {
            f.insert("reason".into(), reason.map(|r| r.code()).into());
        }
        _ => {}
    }
    w.put(&PACKAGE, package_id, f)?;
    match to_status {
        PackageStatus::Packed => {
            for l in &packed {
                stock_move(
                    w,
                    l,
                    -l.quantity,
                    StockMoveKind::Issue,
                    Some(package_id),
                    None,
                    None,
                )?;
            }
        }
        PackageStatus::Returned => {
            for l in &moved {
                stock_move(
                    w,
                    l,
                    l.quantity,
                    StockMoveKind::Return,
                    Some(package_id),
                    None,
                    None,
                )?;
            }
        }
        _ => {}
    }
    let pkg_now = store::package_or_404(w.conn(), package_id)?;
    update_request(w, &req, &pkg_now)?;
    match to_status {
        PackageStatus::Failed => reopen_need(w, &req, reason.expect("a failure has its reason"))?,
        PackageStatus::Packed | PackageStatus::OutForDelivery => {
            if let Some(n) = need_of(w.conn(), &req)? {
                take_up_need(w, &n, "delivery under way")?;
            }
        }
        _ => {}
    }
    let stored = store::handoffs(w.conn(), package_id)?
        .into_iter()
        .find(|h| h.id == handoff_id)
        .expect("the handoff was just written");
    Ok(Ok(stored))
}

/// Checks a proof and stores what it leaves (a blob, a PIN try). `Ok(Err)` is a proof
/// refused after its try was recorded.
fn check_proof(
    w: &mut Writer,
    pkg: &Package,
    req: &DeliveryRequest,
    p: &Proof,
    now: i64,
) -> Result<std::result::Result<(ProofKind, Option<String>), Error>> {
    Ok(Ok(match p {
        Proof::Pass { text } => {
            let verified = match checkin::verify_pass(w.conn(), text.trim(), now)? {
                Ok(v) => v,
                Err(outcome) => {
                    return Err(Error::ProofRefused(format!(
                        "the pass was refused: {}",
                        outcome.code()
                    )))
                }
            };
            let resident = verified
                .resident_id
                .as_deref()
                .map(|r| registry::store::resident_or_404(w.conn(), r))
                .transpose()?;
            match resident {
                Some(r) if r.household_id == pkg.household_id => {}
                Some(_) => {
                    return Err(Error::ProofRefused(
                        "the pass belongs to a resident of another household".into(),
                    ))
                }
                None => {
                    return Err(Error::ProofRefused(
                        "the pass is genuine but this phone does not know whose it is".into(),
                    ))
                }
            }
            (ProofKind::Pass, Some(verified.pass_id))
        }
        Proof::Pin { pin } => {
            let (salt, hash) = store::pin_of(w.conn(), &req.id)?.ok_or_else(|| {
                Error::ProofRefused(format!("request {} has no delivery PIN", req.id))
            })?;
            let failures = store::pin_failures(w.conn(), &req.id)?;
            if failures >= MAX_PIN_FAILURES {
                return Err(Error::ProofRefused(format!(
                    "the PIN of request {} is locked after {failures} wrong tries; use another proof",
                    req.id
                )));
            }
            let ok = proof::same(&proof::pin_hash(&salt, pin.trim()), &hash);
            w.fact(
                &PIN_ATTEMPT,
                &new_id(),
                fields! { "request_id" => req.id, "package_id" => pkg.id, "ok" => ok, "at" => now },
            )?;
            if !ok {
                let left = MAX_PIN_FAILURES - failures - 1;
                return Ok(Err(Error::ProofRefused(format!(
                    "wrong PIN; {left} tries left"
                ))));
            }
            (ProofKind::Pin, None)
        }
        Proof::Signature {
            width,
            height,
            strokes,
        } => {
            let png = proof::signature_png(*width, *height, strokes)?;
            let hash = store_blob(w, "image/png", &png)?;
            (ProofKind::Signature, Some(hash))
        }
        Proof::Photo { bytes } => {
            let jpeg = proof::photo_to_jpeg(bytes)?;
            let hash = store_blob(w, "image/jpeg", &jpeg)?;
            (ProofKind::Photo, Some(hash))
        }
        Proof::NoProof { reason } => {
            let reason = registry::check_text("proof reason", reason, MAX_REASON, true)?;
            (ProofKind::NoProof, Some(reason))
        }
    }))
}

/// The blob a handoff op names as its proof (a photo or a signature), if any: what sync
/// uploads with the op and fetches for a phone that receives it.
pub fn blob_of(op: &crate::log::Op) -> Option<&str> {
    if op.entity != HANDOFF.name {
        return None;
    }
    let kind = op.fields.get("proof_kind")?.as_str()?;
    if kind != ProofKind::Photo.code() && kind != ProofKind::Signature.code() {
        return None;
    }
    op.fields
        .get("proof")?
        .as_str()
        .filter(|h| proof::is_sha256_hex(h))
}

/// Stores bytes as a blob in the write's transaction; returns their hash.
pub fn store_blob(w: &Writer, mime: &str, bytes: &[u8]) -> Result<String> {
    let hash = proof::sha256_hex(bytes);
    store::put_blob(w.conn(), &hash, mime, bytes, w.now_ms())?;
    Ok(hash)
}

// The hash chain.

/// The hash a package's chain starts from.
pub fn genesis(package_id: &str) -> String {
    hex::encode(&Sha256::digest(format!("doorstep-package\0{package_id}")))
}

/// What a handoff's hash covers: everything but its position, which the chain itself
/// gives, so a moved step shows as out of order rather than as altered.
struct Link<'a> {
    package_id: &'a str,
    status: &'a str,
    from: &'a str,
    to: &'a str,
    at: i64,
    place: Option<&'a str>,
    items: &'a str,
    proof_kind: Option<&'a str>,
    proof: Option<&'a str>,
    reason: Option<&'a str>,
    note: Option<&'a str>,
}

impl Link<'_> {
    fn hash(&self, prev: &str) -> String {
        let content = serde_json::json!([
            "doorstep-handoff-1",
            prev,
            self.package_id,
            self.status,
            self.from,
            self.to,
            self.at,
            self.place,
            self.items,
            self.proof_kind,
            self.proof,
            self.reason,
            self.note,
        ]);
        hex::encode(&Sha256::digest(content.to_string()))
    }
}

/// Checks a package's handoff chain against its hashes and its recorded end.
pub fn verify_package(conn: &Connection, package_id: &str) -> Result<ChainReport> {
    let pkg = store::package_or_404(conn, package_id)?;
    let steps = store::handoffs(conn, package_id)?;
    let mut problems = Vec::new();
    let mut expected = genesis(package_id);
    for (i, h) in steps.iter().enumerate() {
        let items = store::lines_json(&h.items);
        let link = Link {
            package_id,
            status: h.status.code(),
            from: &h.from,
            to: &h.to,
            at: h.at_ms,
            place: h.place.as_deref(),
            items: &items,
            proof_kind: h.proof_kind.map(|k| k.code()),
            proof: h.proof.as_deref(),
            reason: h.reason.map(|r| r.code()),
            note: h.note.as_deref(),
        };
        if link.hash(&h.prev_hash) != h.hash {
            problems.push(ChainProblem {
                seq: h.seq,
                kind: ChainProblemKind::Altered,
                detail: format!(
                    "step {} ({}) does not match its hash",
                    h.seq,
                    h.status.code()
                ),
            });
        }
        if h.prev_hash != expected {
            let elsewhere = steps
                .iter()
                .enumerate()
                .any(|(j, o)| j != i && o.hash == h.prev_hash)
                || (i > 0 && h.prev_hash == genesis(package_id));
            problems.push(if elsewhere {
                ChainProblem {
                    seq: h.seq,
                    kind: ChainProblemKind::Reordered,
                    detail: format!(
                        "step {} ({}) follows another step than the one before it",
                        h.seq,
                        h.status.code()
                    ),
                }
            } else {
                ChainProblem {
                    seq: h.seq,
                    kind: ChainProblemKind::Missing,
                    detail: format!(
                        "the step before step {} ({}) is missing or was rewritten",
                        h.seq,
                        h.status.code()
                    ),
                }
            });
        }
        expected = h.hash.clone();
    }
    let last_seq = steps.last().map(|h| h.seq).unwrap_or(0);
    if pkg.head_hash != expected && !steps.iter().any(|h| h.hash == pkg.head_hash) {
        problems.push(ChainProblem {
            seq: last_seq + 1,
            kind: ChainProblemKind::Missing,
            detail: format!(
                "the package records {} steps ending in another hash; its last steps are missing",
                pkg.steps
            ),
        });
    } else if (steps.len() as u32) < pkg.steps && problems.is_empty() {
        problems.push(ChainProblem {
            seq: last_seq + 1,
            kind: ChainProblemKind::Missing,
            detail: format!("{} steps recorded, {} found", pkg.steps, steps.len()),
        });
    }
    Ok(ChainReport {
        package_id: package_id.to_string(),
        steps: steps.len() as u32,
        intact: problems.is_empty(),
        problems,
    })
}

// Stock.

#[allow(clippy::too_many_arguments)]
fn stock_move(
    w: &mut Writer,
    line: &ItemLine,
    quantity: i64,
    kind: StockMoveKind,
    package_id: Option<&str>,
    source: Option<&str>,
    note: Option<&str>,
) -> Result<StockMove> {
    let id = new_id();
    let now = w.now_ms();
    let by = w.user().to_string();
    w.fact(
        &STOCK_MOVE,
        &id,
        fields! {
            "item_key" => line.key(), "item" => line.item, "name" => line.name,
            "dose" => line.dose, "quantity" => quantity, "kind" => kind.code(),
            "package_id" => package_id, "source" => source, "note" => note, "at" => now,
            "by_user" => by,
        },
    )?;
    Ok(StockMove {
        id,
        line: line.with_quantity(quantity),
        kind,
        package_id: package_id.map(str::to_string),
        source: source.map(str::to_string),
        note: note.map(str::to_string),
        at_ms: now,
        by,
    })
}

/// Records goods received at the station (a donation or a purchase).
pub fn receive_stock(
    w: &mut Writer,
    line: &ItemLine,
    kind: StockMoveKind,
    source: Option<&str>,
    note: Option<&str>,
) -> Result<StockMove> {
    if !matches!(kind, StockMoveKind::Donation | StockMoveKind::Purchase) {
        return Err(Error::invalid(format!(
            "goods are received as a donation or a purchase, not {}",
            kind.code()
        )));
    }
    let line = check_line("stock", line)?;
    let source = optional_text("source", source, MAX_PARTY)?;
    let note = optional_text("note", note, MAX_NOTE)?;
    stock_move(
        w,
        &line,
        line.quantity,
        kind,
        None,
        source.as_deref(),
        note.as_deref(),
    )
}

/// Issues goods from the station other than in a package (spoiled, given at the door);
/// the note says why. Never below zero.
pub fn issue_stock(w: &mut Writer, line: &ItemLine, note: &str) -> Result<StockMove> {
    let line = check_line("stock", line)?;
    let note = registry::check_text("note", note, MAX_NOTE, true)?;
    let available = store::balance(w.conn(), &line.key())?;
    if available < line.quantity {
        return Err(Error::Shortfall {
            item: line.key(),
            needed: line.quantity,
            available,
        });
    }
    stock_move(
        w,
        &line,
        -line.quantity,
        StockMoveKind::Issue,
        None,
        None,
        Some(&note),
    )
}

// The runner's list.

fn runner_package(p: &Package, items: Vec<ItemLine>) -> RunnerPackage {
    RunnerPackage {
        package_id: p.id.clone(),
        request_id: p.request_id.clone(),
        household_id: p.household_id.clone(),
        unit: p.unit.clone(),
        address: p.address.clone(),
        urgency: p.urgency,
        medicine: p.medicine,
        status: p.status,
        items,
    }
}

/// First the urgent (high, critical) and medicine, then by urgency.
fn priority(p: &RunnerPackage) -> (bool, bool, i64) {
    (p.urgency >= Urgency::High, p.medicine, p.urgency.rank())
}

/// A runner's packages out, by building for a walking route, urgent and medicine first;
/// and what they must bring back.
pub fn runner_list(conn: &Connection, runner: &str) -> Result<RunnerList> {
    let runner = registry::check_text("runner", runner, MAX_PARTY, true)?;
    let held = store::packages_of_runner(
        conn,
        &runner,
        &[
            PackageStatus::OutForDelivery,
            PackageStatus::Failed,
            PackageStatus::PartlyDelivered,
        ],
    )?;
    let mut stops: BTreeMap<(Option<String>, String), Vec<RunnerPackage>> = BTreeMap::new();
    let mut to_return = Vec::new();
    let mut left = Tally::new();
    for p in &held {
        let mut carrying = Tally::new();
        tally(&p.items, 1, &mut carrying);
        tally(&p.delivered, -1, &mut carrying);
        let carrying = positive(carrying);
        tally(&carrying, 1, &mut left);
        let rp = runner_package(p, carrying);
        if p.status == PackageStatus::OutForDelivery {
            let name = p.building.clone().unwrap_or_else(|| p.address.clone());
            stops
                .entry((p.building_id.clone(), name))
                .or_default()
                .push(rp);
        } else {
            to_return.push(rp);
        }
    }
    let mut stops: Vec<RunnerStop> = stops
        .into_iter()
        .map(|((building_id, building), mut packages)| {
            packages.sort_by(|a, b| {
                priority(b)
                    .cmp(&priority(a))
                    .then_with(|| natural(a.unit.as_deref()).cmp(&natural(b.unit.as_deref())))
                    .then_with(|| a.address.cmp(&b.address))
            });
            RunnerStop {
                building_id,
                building,
                packages,
            }
        })
        .collect();
    stops.sort_by(|a, b| {
        let top = |s: &RunnerStop| s.packages.first().map(priority);
        top(b)
            .cmp(&top(a))
            .then_with(|| natural(Some(&a.building)).cmp(&natural(Some(&b.building))))
    });
    to_return.sort_by(|a, b| a.address.cmp(&b.address));
    Ok(RunnerList {
        runner,
        stops,
        to_return,
        items_left: positive(left),
    })
}

/// Orders "2-101" before "10-101": digit runs compare as numbers.
fn natural(s: Option<&str>) -> Vec<(u64, String)> {
    let Some(s) = s else {
        return vec![(u64::MAX, String::new())];
    };
    let mut out = Vec::new();
    let mut num = String::new();
    let mut text = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            if !text.is_empty() {
                out.push((0, std::mem::take(&mut text)));
            }
            num.push(c);
        } else {
            if !num.is_empty() {
                out.push((num.parse().unwrap_or(u64::MAX), String::new()));
                num.clear();
            }
            text.push(c);
        }
    }
    if !num.is_empty() {
        out.push((num.parse().unwrap_or(u64::MAX), String::new()));
    }
    if !text.is_empty() {
        out.push((0, text));
    }
    out
}

// The ledger.

/// One area's deliveries on a day (`YYYY-MM-DD` at `utc_offset_minutes`), and the
/// station's stock that day.
pub fn ledger(
    conn: &Connection,
    area_id: &str,
    day: &str,
    utc_offset_minutes: i32,
) -> Result<DeliveryLedger> {
    let date = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .map_err(|_| Error::invalid(format!("day {day:?} is not YYYY-MM-DD")))?;
    if !(-14 * 60..=14 * 60).contains(&utc_offset_minutes) {
        return Err(Error::invalid(format!(
            "utc_offset_minutes {utc_offset_minutes} is not between -840 and 840"
        )));
    }
    let from = date
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
        .timestamp_millis()
        - utc_offset_minutes as i64 * 60_000;
    let until = from + DAY_MS;
    let areas = visits::store::area_ids_under(conn, &[area_id.to_string()])?;
    let mut requests_by_status: Vec<RequestStatusCount> =
        store::request_counts(conn, &areas, from, until)?
            .into_iter()
            .filter_map(|(s, n)| {
                RequestStatus::from_code(&s).map(|status| RequestStatusCount { status, count: n })
            })
            .collect();
    requests_by_status.sort_by_key(|c| c.status);
    let mut open_age = OpenAge::default();
    for created in store::open_request_times(conn, &areas, until)? {
        open_age.add(until - created);
    }
    let mut delivered = Tally::new();
    let mut failures: BTreeMap<FailReason, u32> = BTreeMap::new();
    for (status, items, reason) in store::day_handoffs(conn, &areas, from, until)? {
        if status == PackageStatus::Failed.code() {
            if let Some(r) = reason.and_then(|r| FailReason::from_code(&r)) {
                *failures.entry(r).or_default() += 1;
            }
        } else {
            tally(&store::lines(items), 1, &mut delivered);
        }
    }
    Ok(DeliveryLedger {
        area_id: area_id.to_string(),
        day: day.to_string(),
        requests_by_status,
        open_age,
        items_delivered: positive(delivered),
        failures: failures
            .into_iter()
            .map(|(reason, count)| FailureCount { reason, count })
            .collect(),
        stock: store::stock_day(conn, from, until)?,
    })
}

fn optional_text(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>> {
    match value {
        None => Ok(None),
        Some(v) => {
            let v = registry::check_text(field, v, max, false)?;
            Ok((!v.is_empty()).then_some(v))
        }
    }
}
