//! Check-in at a testing site: signed resident passes, the trust list and revocations
//! that let a marshal's phone verify them offline, one-step scans that verify and record,
//! queue numbers, pooled sample tubes (混管) and printable pass sheets.
//!
//! A station phone holds a signing key (local, never replicated) and issues passes;
//! marshal phones receive only the trust list (public keys) and revocations through
//! sync, so they can check a pass but not mint one. Every scan, admitted or not, is a
//! `CheckIn` fact. The pass bytes are described in `docs/pass-format.md`.

mod facade;
mod model;
pub mod park;
pub mod pass;
pub mod render;
pub mod store;
#[cfg(test)]
mod tests;

pub use model::*;
pub use pass::{decode, SignedPass, StationKey, Unreadable};

use std::sync::Mutex;

use ed25519_dalek::VerifyingKey;
use rusqlite::Connection;
use serde_json::Value;

use crate::cancel::Cancel;
use crate::clock::{new_id, stable_id};
use crate::error::{Error, Result};
use crate::fields;
use crate::log::{EntityDef, EntityKind, Writer};
use crate::registry::{self, Resident, Tag};
use pass::{KeyId, PassBody, PassId, ResidentRef};

/// The trust list: public keys and the window in which their passes are accepted.
pub static TRUSTED_KEY: EntityDef = EntityDef {
    name: "trusted_key",
    table: "trusted_key",
    kind: EntityKind::Register,
    fields: &["public_key", "valid_from", "retired_at"],
};

/// Which resident a pass reference stands for (kept where passes are issued).
pub static PASS_SUBJECT: EntityDef = EntityDef {
    name: "pass_subject",
    table: "pass_subject",
    kind: EntityKind::Fact,
    fields: &["resident_id", "at"],
};

/// Passes issued.
pub static PASS: EntityDef = EntityDef {
    name: "pass",
    table: "pass",
    kind: EntityKind::Fact,
    fields: &[
        "key_id",
        "resident_ref",
        "valid_from",
        "valid_until",
        "flags",
        "text",
        "issued_at",
    ],
};

/// Revoked passes; the id is the pass id.
pub static PASS_REVOCATION: EntityDef = EntityDef {
    name: "pass_revocation",
    table: "pass_revocation",
    kind: EntityKind::Fact,
    fields: &["reason", "at"],
};

/// Every scan: the audit trail.
pub static CHECK_IN: EntityDef = EntityDef {
    name: "check_in",
    table: "check_in",
    kind: EntityKind::Fact,
    fields: &[
        "site",
        "day",
        "lane",
        "household_id",
        "outcome",
        "queue_no",
        "pass_id",
        "resident_ref",
        "key_id",
        "flags",
        "ref_at",
        "detail",
        "tube_id",
        "at",
    ],
};

/// Pooled sample tubes.
pub static TUBE: EntityDef = EntityDef {
    name: "tube",
    table: "tube",
    kind: EntityKind::Register,
    fields: &[
        "code",
        "site",
        "capacity",
        "status",
        "result",
        "opened_at",
        "sealed_at",
        "result_at",
    ],
};

/// Residents sampled into a tube.
pub static TUBE_MEMBER: EntityDef = EntityDef {
    name: "tube_member",
    table: "tube_member",
    kind: EntityKind::Fact,
    fields: &[
        "tube_id",
        "resident_ref",
        "check_in_id",
        "site",
        "day",
        "at",
    ],
};

/// Check-in's entity definitions, for the schema.
pub const DEFS: &[&EntityDef] = &[
    &TRUSTED_KEY,
    &PASS_SUBJECT,
    &PASS,
    &PASS_REVOCATION,
    &CHECK_IN,
    &TUBE,
    &TUBE_MEMBER,
];

/// The lane a priority pass is sent to.
pub const PRIORITY_LANE: &str = "priority";
/// The lane name stored for door-to-door sampling.
pub const HOME_LANE: &str = "home";
/// Residents per tube unless the marshal says otherwise.
pub const DEFAULT_TUBE_CAPACITY: u32 = 10;
/// Most residents one tube may take (20-in-1 pooling is the largest in use).
pub const MAX_TUBE_CAPACITY: u32 = 20;
/// Default day boundary: China Standard Time, UTC+8.
pub const DEFAULT_UTC_OFFSET_MINUTES: i32 = 480;
/// Longest validity of one pass.
pub const MAX_VALIDITY_MS: i64 = pass::MAX_VALIDITY_S as i64 * 1000;
/// Most passes one printed sheet issues.
pub const MAX_SHEET_PASSES: usize = 5_000;

const META_PREFIX: &str = "checkin.queue_prefix";
const META_OFFSET: &str = "checkin.utc_offset_minutes";
const META_SETUP: &str = "checkin.site_setup";
/// The longest pause after a person a marshal may set.
pub const MAX_PAUSE_SECONDS: u32 = 60;
const MAX_SITE: usize = 64;
const MAX_LANE: usize = 32;
const MAX_CODE: usize = 64;
const MAX_REASON: usize = 200;

// Settings.

/// Sets the letters that start this phone's queue numbers ("A" gives, ...).
/// Give each marshal phone at a site its own, so numbers never collide.
pub fn set_queue_prefix(conn: &Connection, prefix: &str) -> Result<String> {
    let p = prefix.trim().to_ascii_uppercase();
    if p.is_empty() || p.len() > 3 || !p.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(Error::invalid(format!(
            "queue prefix {prefix:?} must be 1 to 3 letters or digits"
        )));
    }
    crate::store::meta_set(conn, META_PREFIX, &p)?;
    Ok(p)
}

/// Keeps the marshal's set-up (site, lane, pause) in the store, checked as a scan checks
/// them; returns it trimmed.
pub fn set_site_setup(conn: &Connection, setup: &SiteSetup) -> Result<SiteSetup> {
    let site = check_site(&setup.site)?;
    let lane = registry::check_text("lane", &setup.lane, MAX_LANE, true)?;
    if setup.pause_seconds > MAX_PAUSE_SECONDS {
        return Err(Error::invalid(format!(
            "pause_seconds {} is more than {MAX_PAUSE_SECONDS}",
            setup.pause_seconds
        )));
    }
    let kept = SiteSetup {
        site,
        lane,
        pause_seconds: setup.pause_seconds,
    };
    let json = serde_json::to_string(&kept).expect("a SiteSetup always serialises");
    crate::store::meta_set(conn, META_SETUP, &json)?;
    Ok(kept)
}

/// The marshal's set-up kept on this phone, if one was set. A value this build cannot
/// read (written by a newer one) counts as none: the marshal sets it up again.
pub fn site_setup(conn: &Connection) -> Result<Option<SiteSetup>> {
    Ok(crate::store::meta_get(conn, META_SETUP)?.and_then(|s| serde_json::from_str(&s).ok()))
}

/// This phone's queue prefix: the one set, or two letters derived from the device id.
pub fn queue_prefix(conn: &Connection, device: &str) -> Result<String> {
    if let Some(p) = crate::store::meta_get(conn, META_PREFIX)? {
        return Ok(p);
    }
    // Two letters (676 values) make a clash between two unconfigured phones unlikely;
    // setting a prefix per phone rules it out.
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(device.as_bytes());
    Ok([b'A' + h[0] % 26, b'A' + h[1] % 26]
        .iter()
        .map(|&b| b as char)
        .collect())
}

/// Sets the offset from UTC, in minutes, that decides where a site's day begins.
pub fn set_utc_offset(conn: &Connection, minutes: i32) -> Result<()> {
    check_offset(minutes)?;
    crate::store::meta_set(conn, META_OFFSET, &minutes.to_string())
}

/// The offset from UTC this phone counts days in (default +480, China).
pub fn utc_offset(conn: &Connection) -> Result<i32> {
    Ok(crate::store::meta_get(conn, META_OFFSET)?
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_UTC_OFFSET_MINUTES))
}

fn check_offset(minutes: i32) -> Result<()> {
    if !(-14 * 60..=14 * 60).contains(&minutes) {
        return Err(Error::invalid(format!(
            "utc_offset_minutes {minutes} is not between -840 and 840"
        )));
    }
    Ok(())
}

/// The local day `YYYY-MM-DD` of a moment at an offset from UTC.
pub fn local_day(at_ms: i64, utc_offset_minutes: i32) -> String {
    let local = at_ms.saturating_add(utc_offset_minutes as i64 * 60_000);
    chrono::DateTime::from_timestamp_millis(local)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| "0000-00-00".into())
}

// Keys.

/// Makes a new signing key on this phone and puts its public key on the trust list. It
/// signs every pass issued from now on; older keys stay trusted until retired.
pub fn new_signing_key(w: &mut Writer) -> Result<TrustedKey> {
    let key = StationKey::generate().map_err(Error::Invalid)?;
    let key_id = key.key_id();
    let now = w.now_ms();
    if store::trusted_key(w.conn(), &key_id.to_hex())?.is_some() {
        // 1 in 4 billion; refusing beats two keys sharing an id.
        return Err(Error::Conflict(format!(
            "key id {key_id} is taken; try again"
        )));
    }
    store::insert_signing_key(w.conn(), &key_id, &key.secret(), &key.public(), now)?;
    put_trusted(w, &key_id, &key.public(), now)
}

/// Puts another station's public key (64 hex digits) on the trust list, accepted from
/// `valid_from_ms`.
pub fn trust_key(w: &mut Writer, public_key: &str, valid_from_ms: i64) -> Result<TrustedKey> {
    let public = pass::key_from_hex(public_key)
        .ok_or_else(|| Error::invalid(format!("public key {public_key:?} is not 64 hex digits")))?;
    if VerifyingKey::from_bytes(&public).map_or(true, |k| k.is_weak()) {
        return Err(Error::invalid(format!(
            "public key {public_key} is not a usable Ed25519 key"
        )));
    }
    let key_id = pass::key_id_of(&public);
    if let Some(existing) = store::trusted_key(w.conn(), &key_id.to_hex())? {
        if existing.public != public {
            return Err(Error::Conflict(format!(
                "key id {key_id} already names another key"
            )));
        }
        // Retirement is final: trusting the key again would revive passes the station
        // meant to end.
        if existing.retired_at.is_some() {
            return Err(Error::Conflict(format!(
                "key {key_id} was retired; make a new key instead"
            )));
        }
        return trusted(w.conn(), &key_id.to_hex());
    }
    put_trusted(w, &key_id, &public, valid_from_ms)
}

fn put_trusted(
    w: &mut Writer,
    key_id: &KeyId,
    public: &[u8; 32],
    valid_from: i64,
) -> Result<TrustedKey> {
    let id = key_id.to_hex();
    w.put(
        &TRUSTED_KEY,
        &id,
        fields! {
            "public_key" => crate::hex::encode(public), "valid_from" => valid_from,
            "retired_at" => Value::Null,
        },
    )?;
    trusted(w.conn(), &id)
}

fn trusted(conn: &Connection, key_id: &str) -> Result<TrustedKey> {
    store::trusted_keys(conn)?
        .into_iter()
        .find(|k| k.key_id == key_id)
        .ok_or_else(|| Error::not_found("trusted key", key_id))
}

/// Retires a key: its passes are refused from now on and, if this phone holds its
/// secret, the secret is destroyed.
pub fn retire_key(w: &mut Writer, key_id: &str) -> Result<TrustedKey> {
    let key_id = key_id.trim().to_ascii_lowercase();
    let row = store::trusted_key(w.conn(), &key_id)?
        .ok_or_else(|| Error::not_found("trusted key", &key_id))?;
    if row.retired_at.is_none() {
        let now = w.now_ms();
        w.put(&TRUSTED_KEY, &key_id, fields! { "retired_at" => now })?;
    }
    store::delete_signing_key(w.conn(), &key_id)?;
    trusted(w.conn(), &key_id)
}

// Issuing.

/// Issues a pass to a resident, valid from `valid_from_ms` until just before
/// `valid_until_ms`, signed with this phone's current key.
pub fn issue_pass(
    w: &mut Writer,
    resident_id: &str,
    valid_from_ms: i64,
    valid_until_ms: i64,
) -> Result<IssuedPass> {
    let key = current_key(w.conn())?;
    let resident = registry::store::resident_or_404(w.conn(), resident_id)?;
    issue_with(w, &key, &resident, valid_from_ms, valid_until_ms)
}

fn current_key(conn: &Connection) -> Result<StationKey> {
    store::current_signing_key(conn)?
        .map(|s| StationKey::from_secret(&s))
        .ok_or_else(|| {
            Error::Conflict(
                "this phone holds no signing key that is in force: make one first".into(),
            )
        })
}

fn check_window(valid_from_ms: i64, valid_until_ms: i64) -> Result<(u32, u32)> {
    let from = valid_from_ms.div_euclid(1000);
    let until = valid_until_ms.div_euclid(1000);
    if from < 0 || until > u32::MAX as i64 {
        return Err(Error::invalid(format!(
            "validity {valid_from_ms}..{valid_until_ms} ms is outside 1970..2106"
        )));
    }
    if until <= from {
        return Err(Error::invalid(format!(
            "valid_until {valid_until_ms} is not after valid_from {valid_from_ms}"
        )));
    }
    if valid_until_ms - valid_from_ms > MAX_VALIDITY_MS {
        return Err(Error::invalid(format!(
            "a pass may be valid for at most 366 days, not {} days",
            (valid_until_ms - valid_from_ms) / 86_400_000
        )));
    }
    Ok((from as u32, until as u32))
}

fn issue_with(
    w: &mut Writer,
    key: &StationKey,
    resident: &Resident,
    valid_from_ms: i64,
    valid_until_ms: i64,
) -> Result<IssuedPass> {
    let now = w.now_ms();
    let made = make_pass(w.conn(), key, resident, valid_from_ms, valid_until_ms, now)?;
    store_pass(w, &made)?;
    Ok(made.issued)
}

/// A pass signed and not yet stored: what `store_pass` writes.
#[derive(Debug, Clone)]
pub struct MadePass {
    issued: IssuedPass,
    flags: u8,
    /// The resident had no reference yet; this pass brings a new one.
    new_ref: bool,
}

impl MadePass {
    /// The pass as it will be issued.
    pub fn pass(&self) -> &IssuedPass {
        &self.issued
    }
}

/// Signs a pass for `resident` reading only: the resident's reference (or a new one) and
/// a random pass id. Nothing is stored until `store_pass`.
fn make_pass(
    conn: &Connection,
    key: &StationKey,
    resident: &Resident,
    valid_from_ms: i64,
    valid_until_ms: i64,
    now: i64,
) -> Result<MadePass> {
    let (from, until) = check_window(valid_from_ms, valid_until_ms)?;
    let (resident_ref, new_ref) = match store::ref_of(conn, &resident.id)? {
        Some(r) => (
            ResidentRef::from_hex(&r)
                .ok_or_else(|| Error::invalid(format!("stored resident reference {r:?} is bad")))?,
            false,
        ),
        None => {
            let mut r = [0u8; 8];
            pass::fill_random(&mut r).map_err(Error::Invalid)?;
            (ResidentRef(r), true)
        }
    };
    let mut pass_id = [0u8; 8];
    pass::fill_random(&mut pass_id).map_err(Error::Invalid)?;
    let body = PassBody {
        key_id: key.key_id(),
        pass_id: PassId(pass_id),
        resident_ref,
        valid_from: from,
        valid_until: until,
        priority: priority_of(resident, now),
    };
    let signed = key.sign(body);
    Ok(MadePass {
        issued: IssuedPass {
            pass_id: body.pass_id.to_hex(),
            resident_id: Some(resident.id.clone()),
            resident_ref: resident_ref.to_hex(),
            key_id: body.key_id.to_hex(),
            valid_from_ms: from as i64 * 1000,
            valid_until_ms: until as i64 * 1000,
            priority: body.priority,
            text: signed.to_text(),
            issued_at_ms: now,
        },
        flags: body.priority.bits(),
        new_ref,
    })
}

/// Stores a pass `make_pass` signed. A new reference whose resident was given one
/// meanwhile is a conflict: two references would split the resident's scans.
fn store_pass(w: &mut Writer, made: &MadePass) -> Result<()> {
    let p = &made.issued;
    let resident_id = p.resident_id.as_deref().unwrap_or_default();
    if made.new_ref {
        if store::ref_of(w.conn(), resident_id)?.is_some() {
            return Err(Error::Conflict(
                "passes were issued to these residents meanwhile; make the sheet again".into(),
            ));
        }
        w.fact(
            &PASS_SUBJECT,
            &p.resident_ref,
            fields! { "resident_id" => resident_id, "at" => p.issued_at_ms },
        )?;
    }
    w.fact(
        &PASS,
        &p.pass_id,
        fields! {
            "key_id" => p.key_id, "resident_ref" => p.resident_ref,
            "valid_from" => p.valid_from_ms, "valid_until" => p.valid_until_ms,
            "flags" => made.flags, "text" => p.text, "issued_at" => p.issued_at_ms,
        },
    )?;
    Ok(())
}

/// The priority flags a resident's tags and age give: elderly (living alone, or 70 and
/// over), disability, pregnancy, child (in hardship, or under 14).
pub fn priority_of(r: &Resident, now_ms: i64) -> PriorityFlags {
    let year: i32 = local_day(now_ms, DEFAULT_UTC_OFFSET_MINUTES)[..4]
        .parse()
        .unwrap_or(1970);
    let age = r.birth_year.map(|b| year - b);
    PriorityFlags {
        elderly: r.tags.contains(&Tag::ElderlyAlone) || age.is_some_and(|a| a >= 70),
        disability: r.tags.contains(&Tag::Disability),
        pregnancy: r.tags.contains(&Tag::Pregnant),
        child: r.tags.contains(&Tag::ChildInHardship) || age.is_some_and(|a| a < 14),
    }
}

/// Passes issued to a resident, newest first.
pub fn passes_of(conn: &Connection, resident_id: &str) -> Result<Vec<IssuedPass>> {
    registry::store::resident_or_404(conn, resident_id)?;
    store::passes_of(conn, resident_id)
}

// Revocation.

/// Revokes a pass by its id (16 hex digits). Revoking it again changes nothing.
pub fn revoke_pass(w: &mut Writer, pass_id: &str, reason: &str) -> Result<()> {
    let id = PassId::from_hex(pass_id.trim())
        .ok_or_else(|| Error::invalid(format!("pass id {pass_id:?} is not 16 hex digits")))?
        .to_hex();
    let reason = registry::check_text("reason", reason, MAX_REASON, false)?;
    if store::is_revoked(w.conn(), &id)? {
        return Ok(());
    }
    let now = w.now_ms();
    w.fact(
        &PASS_REVOCATION,
        &id,
        fields! { "reason" => reason, "at" => now },
    )
}

/// Revokes every pass issued to a resident (lost phone, moved away); returns how many.
pub fn revoke_passes_of(w: &mut Writer, resident_id: &str, reason: &str) -> Result<u32> {
    let passes = passes_of(w.conn(), resident_id)?;
    let mut n = 0;
    for p in passes {
        if !store::is_revoked(w.conn(), &p.pass_id)? {
            revoke_pass(w, &p.pass_id, reason)?;
            n += 1;
        }
    }
    Ok(n)
}

// Scanning.

/// Verifying keys parsed from the trust list. Parsing decompresses a curve point, which
/// costs as much as a third of a verification; the map from bytes to key never changes,
/// so it needs no invalidation.
static KEYS: Mutex<Vec<([u8; 32], VerifyingKey)>> = Mutex::new(Vec::new());
const KEY_CACHE: usize = 64;

fn verifying_key(public: &[u8; 32]) -> Option<VerifyingKey> {
    let mut cache = KEYS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, k)) = cache.iter().find(|(p, _)| p == public) {
        return Some(*k);
    }
    let key = VerifyingKey::from_bytes(public).ok()?;
    if cache.len() >= KEY_CACHE {
        cache.remove(0);
    }
    cache.push((*public, key));
    Some(key)
}

/// What the checks before the duplicate rule say about a pass.
enum Checked {
    /// Refused, with the outcome to record.
    Refused(ScanOutcome),
    /// Genuine, in force and not revoked.
    Valid,
}

/// The checks that need no site: key, signature, revocation, validity window.
fn check_pass(conn: &Connection, p: &SignedPass, now_ms: i64) -> Result<Checked> {
    let b = &p.body;
    let key_id = b.key_id.to_hex();
    let trusted = store::trusted_key(conn, &key_id)?
        .filter(|t| t.valid_from <= now_ms && t.retired_at.is_none_or(|r| now_ms < r));
    let Some(trusted) = trusted else {
        return Ok(Checked::Refused(ScanOutcome::UnknownKey { key_id }));
    };
    // The trust list holds keys checked on entry; a key that no longer parses is as
    // good as unknown.
    let Some(key) = verifying_key(&trusted.public) else {
        return Ok(Checked::Refused(ScanOutcome::UnknownKey { key_id }));
    };
    if !p.verify(&key) {
        return Ok(Checked::Refused(ScanOutcome::Forged));
    }
    let pass_id = b.pass_id.to_hex();
    if store::is_revoked(conn, &pass_id)? {
        return Ok(Checked::Refused(ScanOutcome::Revoked { pass_id }));
    }
    let now_s = now_ms.div_euclid(1000);
    if now_s < b.valid_from as i64 {
        return Ok(Checked::Refused(ScanOutcome::NotYetValid {
            valid_from_ms: b.valid_from as i64 * 1000,
        }));
    }
    if now_s >= b.valid_until as i64 {
        return Ok(Checked::Refused(ScanOutcome::Expired {
            valid_until_ms: b.valid_until as i64 * 1000,
        }));
    }
    Ok(Checked::Valid)
}

/// A pass that passed every check that needs no site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedPass {
    /// The pass id, hex.
    pub pass_id: String,
    /// The resident reference it carries, hex.
    pub resident_ref: String,
    /// The resident that reference stands for, when this phone knows it.
    pub resident_id: Option<String>,
}

/// Verifies a pass text without recording a scan: key, signature, revocation and
/// validity window, as a scan checks them. Other domains use it when a scanned pass
/// proves who someone is (a delivery handed over); the refusal is the scan outcome.
pub fn verify_pass(
    conn: &Connection,
    text: &str,
    now_ms: i64,
) -> Result<std::result::Result<VerifiedPass, ScanOutcome>> {
    let signed = match pass::decode(text) {
        Ok(p) => p,
        Err(why) => {
            return Ok(Err(ScanOutcome::Unreadable {
                reason: why.to_string(),
            }))
        }
    };
    Ok(match check_pass(conn, &signed, now_ms)? {
        Checked::Refused(o) => Err(o),
        Checked::Valid => {
            let resident_ref = signed.body.resident_ref.to_hex();
            Ok(VerifiedPass {
                pass_id: signed.body.pass_id.to_hex(),
                resident_id: store::resident_of_ref(conn, &resident_ref)?,
                resident_ref,
            })
        }
    })
}

/// Where and how one scan happens.
struct Scene<'a> {
    site: &'a str,
    day: String,
    place: &'a Place,
    tube: Option<&'a Tube>,
}

/// What deciding a scan reads: the writer inside its transaction, or the read-only
/// connection while a long write holds the writer (a parked scan, see `park_scan`).
pub trait ScanSource {
    /// The connection the store is read through.
    fn conn(&self) -> &Connection;
    /// This phone's id.
    fn device(&self) -> &str;
    /// The scan's time, ms since the epoch.
    fn now_ms(&self) -> i64;
    /// The next number of the queue sequence `key`, recovered by `recover` the first time.
    fn next_number(
        &mut self,
        key: &str,
        recover: &dyn Fn(&Connection) -> Result<i64>,
    ) -> Result<i64>;
    /// An admission of `resident_ref` at `site` on `day` decided but not yet stored, as
    /// (when, queue number).
    fn parked_admission(&self, site: &str, day: &str, resident_ref: &str) -> Option<(i64, String)>;
}

impl ScanSource for Writer<'_> {
    fn conn(&self) -> &Connection {
        Writer::conn(self)
    }

    fn device(&self) -> &str {
        Writer::device(self)
    }

    fn now_ms(&self) -> i64 {
        Writer::now_ms(self)
    }

    fn next_number(
        &mut self,
        key: &str,
        recover: &dyn Fn(&Connection) -> Result<i64>,
    ) -> Result<i64> {
        self.next_in_sequence(key, recover)
    }

    fn parked_admission(&self, _: &str, _: &str, _: &str) -> Option<(i64, String)> {
        // A write stores every parked scan before its own work.
        None
    }
}

/// A scan decided: its outcome and the check-in fact that records it.
pub struct Decided {
    pub outcome: ScanOutcome,
    /// The `CheckIn` fact's id and fields.
    pub check_in_id: String,
    pub fields: crate::log::Fields,
    pub resident_ref: Option<String>,
    pub at: i64,
}

/// Verifies a pass text and decides the scan's outcome and check-in, storing nothing.
fn decide(src: &mut dyn ScanSource, input: &Scanned, scene: &Scene) -> Result<Decided> {
    let now = src.now_ms();
    let decoded = match input {
        Scanned::Text(text) => pass::decode(text).map_err(|why| why.to_string()),
        Scanned::NoCode(why) => Err(why.clone()),
    };
    let (outcome, body) = match decoded {
        Err(reason) => (ScanOutcome::Unreadable { reason }, None),
        Ok(signed) => {
            let outcome = match check_pass(src.conn(), &signed, now)? {
                Checked::Refused(o) => o,
                Checked::Valid => admit(src, &signed.body, scene)?,
            };
            (outcome, Some(signed.body))
        }
    };
    let fields = check_in_fields(now, scene, &outcome, body.as_ref());
    Ok(Decided {
        resident_ref: body.map(|b| b.resident_ref.to_hex()),
        outcome,
        check_in_id: new_id(),
        fields,
        at: now,
    })
}

/// Verifies a pass text and records the scan as a check-in.
fn scan_in(w: &mut Writer, input: &Scanned, scene: &Scene) -> Result<Decided> {
    let d = decide(w, input, scene)?;
    w.fact(&CHECK_IN, &d.check_in_id, d.fields.clone())?;
    Ok(d)
}

/// The duplicate rule, the tube rule and the queue number for a valid pass.
fn admit(src: &mut dyn ScanSource, b: &PassBody, scene: &Scene) -> Result<ScanOutcome> {
    let r = b.resident_ref.to_hex();
    let first = match store::first_admission(src.conn(), scene.site, &scene.day, &r)? {
        Some(f) => Some(f),
        None => src.parked_admission(scene.site, &scene.day, &r),
    };
    let queue_no = match (first, scene.tube) {
        (Some((first_at_ms, queue_no)), None) => {
            return Ok(ScanOutcome::Duplicate {
                first_at_ms,
                queue_no,
            })
        }
        (Some((first_at_ms, queue_no)), Some(_)) => {
            // Admitted at the entrance and now at the sampling table: one visit, so the
            // number given at the entrance stands, unless they were sampled already.
            if store::sampled_on(src.conn(), &r, scene.site, &scene.day)? {
                return Ok(ScanOutcome::Duplicate {
                    first_at_ms,
                    queue_no,
                });
            }
            queue_no
        }
        (None, _) => String::new(),
    };
    if let Some(t) = scene.tube {
        if let Some(code) = store::open_tube_holding(src.conn(), &r, &t.id)? {
            return Ok(ScanOutcome::InOpenTube { tube_code: code });
        }
    }
    let queue_no = if queue_no.is_empty() {
        let prefix = queue_prefix(src.conn(), src.device())?;
        // Counted in memory: a counter row would be one more page to write per scan.
        let key = format!("checkin.queue|{prefix}|{}|{}", scene.site, scene.day);
        let n = src.next_number(&key, &|conn| {
            store::last_queue_number(conn, scene.site, &scene.day, &prefix)
        })?;
        format!("{prefix}-{n:03}")
    } else {
        queue_no
    };
    let lane = match scene.place {
        Place::Home { .. } => HOME_LANE.to_string(),
        Place::Lane { .. } if b.priority.any() => PRIORITY_LANE.to_string(),
        Place::Lane { name } => name.clone(),
    };
    Ok(if b.priority.any() {
        ScanOutcome::Priority {
            queue_no,
            lane,
            priority: b.priority,
        }
    } else {
        ScanOutcome::Admitted { queue_no, lane }
    })
}

/// The fields of one scan's `CheckIn` fact. Only the fields that have a value go into
/// the op, which keeps the row and its log entry small: a scan's cost is the pages it
/// writes.
fn check_in_fields(
    now: i64,
    scene: &Scene,
    outcome: &ScanOutcome,
    body: Option<&PassBody>,
) -> crate::log::Fields {
    let mut f = fields! {
        "site" => scene.site, "day" => scene.day, "outcome" => outcome.code(), "at" => now,
        // The key has no nulls: "" stands for "no pass was read".
        "resident_ref" => body.map(|b| b.resident_ref.to_hex()).unwrap_or_default(),
    };
    let mut set = |k: &str, v: Value| {
        f.insert(k.to_string(), v);
    };
    match scene.place {
        Place::Lane { name } => set("lane", name.as_str().into()),
        Place::Home { household_id } => {
            set("lane", HOME_LANE.into());
            set("household_id", household_id.as_str().into());
        }
    }
    match outcome {
        ScanOutcome::Admitted { queue_no, .. } => set("queue_no", queue_no.as_str().into()),
        ScanOutcome::Priority { queue_no, lane, .. } => {
            set("queue_no", queue_no.as_str().into());
            set("lane", lane.as_str().into());
        }
        ScanOutcome::Duplicate {
            first_at_ms,
            queue_no,
        } => {
            set("queue_no", queue_no.as_str().into());
            set("ref_at", (*first_at_ms).into());
        }
        ScanOutcome::Expired { valid_until_ms } => set("ref_at", (*valid_until_ms).into()),
        ScanOutcome::NotYetValid { valid_from_ms } => set("ref_at", (*valid_from_ms).into()),
        ScanOutcome::Unreadable { reason } => set("detail", reason.as_str().into()),
        ScanOutcome::InOpenTube { tube_code } => set("detail", tube_code.as_str().into()),
        ScanOutcome::Revoked { .. } | ScanOutcome::UnknownKey { .. } | ScanOutcome::Forged => {}
    }
    if let Some(b) = body {
        set("pass_id", b.pass_id.to_hex().into());
        set("key_id", b.key_id.to_hex().into());
        if b.priority.any() {
            set("flags", b.priority.bits().into());
        }
    }
    if let Some(t) = scene.tube.filter(|_| outcome.is_admitted()) {
        set("tube_id", t.id.as_str().into());
    }
    f
}

fn check_site(site: &str) -> Result<String> {
    let s = registry::check_text("site", site, MAX_SITE, true)?;
    Ok(s)
}

fn check_place(conn: &Connection, place: &Place) -> Result<Place> {
    match place {
        Place::Lane { name } => Ok(Place::Lane {
            name: registry::check_text("lane", name, MAX_LANE, true)?,
        }),
        Place::Home { household_id } => {
            // The door-to-door team works from the registry of its grid, so the
            // household must be one this phone knows.
            let h = registry::store::household_or_404(conn, household_id.trim())?;
            Ok(Place::Home { household_id: h.id })
        }
    }
}

/// What the camera gave: a text, or why no text could be read from an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scanned<'a> {
    /// The text a scanner read.
    Text(&'a str),
    /// No QR code could be read from an image, for this reason.
    NoCode(String),
}

/// Verifies a scanned pass text and records the scan; returns the one outcome to show.
pub fn scan(w: &mut Writer, text: &str, site: &str, place: &Place) -> Result<ScanOutcome> {
    scan_input(w, &Scanned::Text(text), site, place)
}

/// Verifies what the camera gave and records the scan, readable or not.
pub fn scan_input(
    w: &mut Writer,
    input: &Scanned,
    site: &str,
    place: &Place,
) -> Result<ScanOutcome> {
    let d = decide_scan(w, input, site, place)?;
    w.fact(&CHECK_IN, &d.check_in_id, d.fields.clone())?;
    Ok(d.outcome)
}

/// Checks the site and place and decides a scan at them, storing nothing.
pub fn decide_scan(
    src: &mut dyn ScanSource,
    input: &Scanned,
    site: &str,
    place: &Place,
) -> Result<Decided> {
    let site = check_site(site)?;
    let place = check_place(src.conn(), place)?;
    let day = local_day(src.now_ms(), utc_offset(src.conn())?);
    let scene = Scene {
        site: &site,
        day,
        place: &place,
        tube: None,
    };
    decide(src, input, &scene)
}

/// Every scan at a site on a local day (`YYYY-MM-DD`), oldest first.
pub fn check_ins(conn: &Connection, site: &str, day: &str) -> Result<Vec<CheckIn>> {
    if chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").is_err() {
        return Err(Error::invalid(format!("day {day:?} is not YYYY-MM-DD")));
    }
    store::check_ins(conn, site.trim(), day)
}

// Tubes.

/// Opens a tube by its printed code at a site, taking up to `capacity` residents
/// (default 10). Opening an open tube's code again returns it, so a marshal can resume.
pub fn open_tube(w: &mut Writer, code: &str, site: &str, capacity: Option<u32>) -> Result<Tube> {
    let code = registry::check_text("tube code", code, MAX_CODE, true)?;
    let site = check_site(site)?;
    let capacity = capacity.unwrap_or(DEFAULT_TUBE_CAPACITY);
    if !(1..=MAX_TUBE_CAPACITY).contains(&capacity) {
        return Err(Error::invalid(format!(
            "tube capacity {capacity} is not between 1 and {MAX_TUBE_CAPACITY}"
        )));
    }
    let id = stable_id("tube", &code);
    if let Some(t) = store::tube(w.conn(), &id)? {
        if t.status != TubeStatus::Open {
            return Err(Error::Conflict(format!(
                "tube {code} was sealed; a tube is used once"
            )));
        }
        if t.site != site {
            return Err(Error::Conflict(format!(
                "tube {code} is open at site {}",
                t.site
            )));
        }
        return Ok(t);
    }
    let now = w.now_ms();
    w.put(
        &TUBE,
        &id,
        fields! {
            "code" => code, "site" => site, "capacity" => capacity,
            "status" => TubeStatus::Open.code(), "result" => TubeResult::Pending.code(),
            "opened_at" => now, "sealed_at" => Value::Null, "result_at" => Value::Null,
        },
    )?;
    tube(w.conn(), &id)
}

/// A tube by id.
pub fn tube(conn: &Connection, id: &str) -> Result<Tube> {
    store::tube(conn, id)?.ok_or_else(|| Error::not_found("tube", id))
}

/// Scans a resident's pass into an open tube: the scan is their check-in at the tube's
/// site, and an admitted resident goes into the tube. A sealed or full tube is refused
/// before the pass is read.
pub fn tube_scan(w: &mut Writer, tube_id: &str, text: &str, place: &Place) -> Result<TubeScan> {
    let t = tube(w.conn(), tube_id)?;
    if t.status != TubeStatus::Open {
        return Err(Error::Conflict(format!("tube {} is sealed", t.code)));
    }
    if t.members >= t.capacity {
        return Err(Error::Conflict(format!(
            "tube {} is full ({} of {}); seal it and open another",
            t.code, t.members, t.capacity
        )));
    }
    let place = check_place(w.conn(), place)?;
    let day = local_day(w.now_ms(), utc_offset(w.conn())?);
    let scene = Scene {
        site: &t.site,
        day,
        place: &place,
        tube: Some(&t),
    };
    let scanned = scan_in(w, &Scanned::Text(text), &scene)?;
    let added = scanned.outcome.is_admitted();
    if let Some(r) = scanned.resident_ref.filter(|_| added) {
        w.fact(
            &TUBE_MEMBER,
            &stable_id("tube_member", &format!("{}/{r}", t.id)),
            fields! {
                "tube_id" => t.id, "resident_ref" => r, "check_in_id" => scanned.check_in_id,
                "site" => t.site, "day" => scene.day, "at" => scanned.at,
            },
        )?;
    }
    Ok(TubeScan {
        outcome: scanned.outcome,
        added,
        tube: tube(w.conn(), &t.id)?,
    })
}

/// Seals a tube: it takes nobody more. An empty tube cannot be sealed.
pub fn seal_tube(w: &mut Writer, tube_id: &str) -> Result<Tube> {
    let t = tube(w.conn(), tube_id)?;
    if t.status == TubeStatus::Sealed {
        return Ok(t);
    }
    if t.members == 0 {
        return Err(Error::Conflict(format!(
            "tube {} is empty; there is nothing to seal",
            t.code
        )));
    }
    let now = w.now_ms();
    w.put(
        &TUBE,
        &t.id,
        fields! { "status" => TubeStatus::Sealed.code(), "sealed_at" => now },
    )?;
    tube(w.conn(), &t.id)
}

/// Records the lab's result for a sealed tube.
pub fn set_tube_result(w: &mut Writer, tube_id: &str, result: TubeResult) -> Result<Tube> {
    let t = tube(w.conn(), tube_id)?;
    if t.status != TubeStatus::Sealed {
        return Err(Error::Conflict(format!(
            "tube {} is still open; seal it before its result",
            t.code
        )));
    }
    if t.result == result {
        return Ok(t);
    }
    let now = w.now_ms();
    w.put(
        &TUBE,
        &t.id,
        fields! { "result" => result.code(), "result_at" => now },
    )?;
    tube(w.conn(), &t.id)
}

/// The residents of a positive tube, with their households, for door-to-door
/// resampling: exactly the tube's members, ordered by household.
pub fn recall(conn: &Connection, tube_id: &str) -> Result<Vec<Recall>> {
    let t = tube(conn, tube_id)?;
    if t.result != TubeResult::Positive {
        return Err(Error::Conflict(format!(
            "tube {} is {}, not positive; nobody is recalled",
            t.code,
            t.result.code()
        )));
    }
    let mut out = Vec::new();
    for (r, at, queue_no) in store::members(conn, &t.id)? {
        let resident = match store::resident_of_ref(conn, &r)? {
            Some(id) => registry::store::resident(conn, &id)?,
            None => None,
        };
        let household = match &resident {
            Some(res) => registry::store::household(conn, &res.household_id)?,
            None => None,
        };
        out.push(Recall {
            resident_ref: r,
            resident,
            household,
            sampled_at_ms: at,
            queue_no,
        });
    }
    out.sort_by(|a, b| {
        let key = |x: &Recall| {
            (
                x.household.is_none(),
                x.household.as_ref().map(|h| h.address.clone()),
                x.household.as_ref().and_then(|h| h.unit.clone()),
                x.household.as_ref().map(|h| h.id.clone()),
                x.sampled_at_ms,
            )
        };
        key(a).cmp(&key(b))
    });
    Ok(out)
}

// Sheets.

/// Signs a pass for every resident the filter selects, reading only, and returns them
/// with the lines to print beside each (building and unit, never a name); checks
/// `cancel` as it goes. `store_sheet` stores them.
pub fn plan_sheet(
    conn: &Connection,
    filter: &SheetFilter,
    valid_from_ms: i64,
    valid_until_ms: i64,
    now: i64,
    cancel: &Cancel,
) -> Result<(Vec<MadePass>, Vec<SheetEntry>)> {
    check_window(valid_from_ms, valid_until_ms)?;
    if let Some(tag) = &filter.tag {
        tag.checked()?;
    }
    let area_path = match &filter.area_id {
        Some(id) => Some(
            registry::store::area(conn, id)?
                .ok_or_else(|| Error::not_found("area", id))?
                .path,
        ),
        None => None,
    };
    if let Some(b) = &filter.building_id {
        registry::store::building(conn, b)?.ok_or_else(|| Error::not_found("building", b))?;
    }
    if area_path.is_none() && filter.building_id.is_none() {
        return Err(Error::invalid(
            "a sheet needs an area or a building, not the whole registry",
        ));
    }
    let rows: Vec<_> =
        registry::store::residents_in(conn, area_path.as_deref(), filter.building_id.as_deref())?
            .into_iter()
            .filter(|r| {
                filter
                    .tag
                    .as_ref()
                    .is_none_or(|t| r.resident.tags.contains(t))
            })
            .collect();
    if rows.len() > MAX_SHEET_PASSES {
        return Err(Error::invalid(format!(
            "{} residents is more than the {MAX_SHEET_PASSES} one sheet may print; narrow the filter",
            rows.len()
        )));
    }
    let key = current_key(conn)?;
    let offset = utc_offset(conn)?;
    let mut passes = Vec::with_capacity(rows.len());
    let mut entries = Vec::with_capacity(rows.len());
    let mut i = 0;
    while i < rows.len() {
        let household = &rows[i].household.id;
        let n = rows[i..]
            .iter()
            .take_while(|r| &r.household.id == household)
            .count();
        for (k, row) in rows[i..i + n].iter().enumerate() {
            if passes.len().is_multiple_of(256) {
                cancel.check()?;
            }
            let made = make_pass(
                conn,
                &key,
                &row.resident,
                valid_from_ms,
                valid_until_ms,
                now,
            )?;
            let p = &made.issued;
            entries.push(SheetEntry {
                text: p.text.clone(),
                label: label_of(&row.household, row.building.as_deref()),
                member: format!("{}/{n}", k + 1),
                priority: p.priority,
                // The last moment of validity is just before valid_until.
                valid_until: local_day(p.valid_until_ms - 1, offset),
            });
            passes.push(made);
        }
        i += n;
    }
    Ok((passes, entries))
}

/// Stores the passes `plan_sheet` signed, in one write.
pub fn store_sheet(w: &mut Writer, passes: &[MadePass]) -> Result<Vec<IssuedPass>> {
    for p in passes {
        store_pass(w, p)?;
    }
    Ok(passes.iter().map(|p| p.issued.clone()).collect())
}

/// The place printed beside a pass: the address with the building and unit, each added
/// only when the address does not already say it.
fn label_of(h: &registry::Household, building: Option<&str>) -> String {
    let mut label = h.address.clone();
    for part in [building, h.unit.as_deref()].into_iter().flatten() {
        if !part.is_empty() && !label.contains(part) {
            if !label.is_empty() {
                label.push(' ');
            }
            label.push_str(part);
        }
    }
    label
}
