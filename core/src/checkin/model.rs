//! Check-in records: issued passes, the trust list, scan outcomes, check-ins and tubes.

pub use super::pass::PriorityFlags;
use crate::registry::{Household, Resident, Tag};

/// A marshal's set-up on this phone, kept across restarts; never synced.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct SiteSetup {
    /// The testing site scans are counted at.
    pub site: String,
    /// The lane at that site.
    pub lane: String,
    /// Seconds the scanner pauses after each person; 0 waits for a tap.
    pub pause_seconds: u32,
}

/// A pass as issued by this station.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct IssuedPass {
    /// Random pass id, 16 hex digits: what a revocation names.
    pub pass_id: String,
    /// The resident it was issued to (known on the issuing side only).
    pub resident_id: Option<String>,
    /// The random reference the pass carries instead of the resident's id.
    pub resident_ref: String,
    /// Key id of the signing key, 8 hex digits.
    pub key_id: String,
    /// Valid from this time (ms since the epoch, whole seconds).
    pub valid_from_ms: i64,
    /// Valid until just before this time (ms since the epoch, whole seconds).
    pub valid_until_ms: i64,
    pub priority: PriorityFlags,
    /// The text to put in a QR code: `DS1:` + Base45.
    pub text: String,
    pub issued_at_ms: i64,
}

/// One public key on the trust list, with the window in which its passes are accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct TrustedKey {
    /// 8 hex digits: the first 4 bytes of SHA-256 of the public key.
    pub key_id: String,
    /// 64 hex digits.
    pub public_key: String,
    pub valid_from_ms: i64,
    /// Passes of a retired key are refused from this time on.
    pub retired_at_ms: Option<i64>,
    /// True when this phone holds the secret key and can sign with it.
    pub can_sign: bool,
}

/// Where a check-in happens: a lane of the testing site, or a bedridden resident's home.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum Place {
    /// A lane at the site, as the marshal's phone names it ("1", "east").
    Lane { name: String },
    /// Door-to-door sampling at a household.
    Home { household_id: String },
}

impl Place {
    /// A lane of the site.
    pub fn lane(name: &str) -> Place {
        Place::Lane {
            name: name.to_string(),
        }
    }
}

/// The one answer a scan gives, in the order the checks run.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum ScanOutcome {
    /// Valid pass, first time today at this site: take this queue number to this lane.
    Admitted { queue_no: String, lane: String },
    /// Valid pass with a priority flag: to the priority lane with this number.
    Priority {
        queue_no: String,
        lane: String,
        priority: PriorityFlags,
    },
    /// Already admitted at this site today: when, and the number given then.
    Duplicate { first_at_ms: i64, queue_no: String },
    /// The pass's window has ended.
    Expired { valid_until_ms: i64 },
    /// The pass's window has not begun.
    NotYetValid { valid_from_ms: i64 },
    /// The pass was revoked.
    Revoked { pass_id: String },
    /// Signed by a key that is not on the trust list, or that was retired.
    UnknownKey { key_id: String },
    /// The signature does not match: the pass was altered or made up.
    Forged,
    /// Not a pass at all, with the reason.
    Unreadable { reason: String },
    /// Only in a tube scan: the resident is in another open tube.
    InOpenTube { tube_code: String },
}

impl ScanOutcome {
    /// Stored code.
    pub fn code(&self) -> &'static str {
        match self {
            ScanOutcome::Admitted { .. } => "admitted",
            ScanOutcome::Priority { .. } => "priority",
            ScanOutcome::Duplicate { .. } => "duplicate",
            ScanOutcome::Expired { .. } => "expired",
            ScanOutcome::NotYetValid { .. } => "not_yet_valid",
            ScanOutcome::Revoked { .. } => "revoked",
            ScanOutcome::UnknownKey { .. } => "unknown_key",
            ScanOutcome::Forged => "forged",
            ScanOutcome::Unreadable { .. } => "unreadable",
            ScanOutcome::InOpenTube { .. } => "in_open_tube",
        }
    }

    /// True for the two outcomes that let the resident in.
    pub fn is_admitted(&self) -> bool {
        matches!(
            self,
            ScanOutcome::Admitted { .. } | ScanOutcome::Priority { .. }
        )
    }
}

/// One stored scan: the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct CheckIn {
    pub id: String,
    pub site: String,
    /// The site's local day, `YYYY-MM-DD`.
    pub day: String,
    pub place: Place,
    pub outcome: ScanOutcome,
    /// Pass id, when the text was a readable pass.
    pub pass_id: Option<String>,
    pub resident_ref: Option<String>,
    /// The tube this scan sampled into, if any.
    pub tube_id: Option<String>,
    /// The phone that scanned.
    pub device: String,
    pub at_ms: i64,
}

/// Whether a tube takes more residents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum TubeStatus {
    Open,
    Sealed,
}

/// The lab's answer for a pooled tube.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum TubeResult {
    Pending,
    Negative,
    Positive,
}

impl TubeStatus {
    /// Stored code.
    pub fn code(self) -> &'static str {
        match self {
            TubeStatus::Open => "open",
            TubeStatus::Sealed => "sealed",
        }
    }

    /// Parses a stored code.
    pub fn from_code(s: &str) -> Option<TubeStatus> {
        [TubeStatus::Open, TubeStatus::Sealed]
            .into_iter()
            .find(|t| t.code() == s)
    }
}

impl TubeResult {
    /// Stored code.
    pub fn code(self) -> &'static str {
        match self {
            TubeResult::Pending => "pending",
            TubeResult::Negative => "negative",
            TubeResult::Positive => "positive",
        }
    }

    /// Parses a stored code.
    pub fn from_code(s: &str) -> Option<TubeResult> {
        [
            TubeResult::Pending,
            TubeResult::Negative,
            TubeResult::Positive,
        ]
        .into_iter()
        .find(|t| t.code() == s)
    }
}

/// A pooled sample tube (混管).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct Tube {
    pub id: String,
    /// The code printed on the tube.
    pub code: String,
    pub site: String,
    /// Most residents it takes.
    pub capacity: u32,
    /// Residents in it now.
    pub members: u32,
    pub status: TubeStatus,
    pub result: TubeResult,
    pub opened_at_ms: i64,
    pub sealed_at_ms: Option<i64>,
    pub result_at_ms: Option<i64>,
}

/// What a scan into a tube did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct TubeScan {
    pub outcome: ScanOutcome,
    /// True when the resident went into the tube.
    pub added: bool,
    /// The tube after the scan.
    pub tube: Tube,
}

/// One resident to recall for resampling after a positive tube.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct Recall {
    pub resident_ref: String,
    /// The resident, when this phone knows whom the reference belongs to.
    pub resident: Option<Resident>,
    /// Their household: where to go door to door.
    pub household: Option<Household>,
    /// When they were sampled into the tube.
    pub sampled_at_ms: i64,
    /// The queue number they had then.
    pub queue_no: Option<String>,
}

/// Which residents a printed sheet is for. At least one of area and building is needed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct SheetFilter {
    /// This area and every area below it.
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub area_id: Option<String>,
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub building_id: Option<String>,
    /// Only residents with this tag.
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub tag: Option<Tag>,
}

/// A printable sheet and the passes issued for it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct PassSheet {
    /// A4 PDF, 8 passes per page with cut lines.
    pub pdf: Vec<u8>,
    pub passes: Vec<IssuedPass>,
}

/// One pass on a printed sheet, with what is printed beside it (never a name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetEntry {
    /// The pass text.
    pub text: String,
    /// Building and unit ("丽岛花园 3栋 201").
    pub label: String,
    /// Which of the household's passes this is ("2/3").
    pub member: String,
    pub priority: PriorityFlags,
    /// Last local day of validity, `YYYY-MM-DD`.
    pub valid_until: String,
}
