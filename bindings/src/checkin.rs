//! Check-in records and calls as the apps see them: keys, passes, scans, tubes and
//! printable sheets. Pictures and PDFs cross as bytes.

use doorstep_core::checkin as chk;

use crate::{call, Doorstep, Household, Resident, Result, Tag};

/// Why a pass holder goes to the priority lane (老、幼、孕、残).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, uniffi::Record)]
pub struct PriorityFlags {
    pub elderly: bool,
    pub disability: bool,
    pub pregnancy: bool,
    pub child: bool,
}

/// A pass as issued; `text` is what goes in the QR code.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct IssuedPass {
    pub pass_id: String,
    pub resident_id: Option<String>,
    pub resident_ref: String,
    pub key_id: String,
    pub valid_from_ms: i64,
    pub valid_until_ms: i64,
    pub priority: PriorityFlags,
    pub text: String,
    pub issued_at_ms: i64,
}

/// One public key on the trust list.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TrustedKey {
    pub key_id: String,
    pub public_key: String,
    pub valid_from_ms: i64,
    pub retired_at_ms: Option<i64>,
    /// True when this phone holds the secret and can issue passes with it.
    pub can_sign: bool,
}

/// The one answer a scan gives.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum ScanOutcome {
    /// Go to `lane` with this queue number.
    Admitted {
        queue_no: String,
        lane: String,
    },
    /// Go to the priority lane with this queue number.
    Priority {
        queue_no: String,
        lane: String,
        priority: PriorityFlags,
    },
    /// Already admitted here today, at `first_at_ms` with `queue_no`.
    Duplicate {
        first_at_ms: i64,
        queue_no: String,
    },
    Expired {
        valid_until_ms: i64,
    },
    NotYetValid {
        valid_from_ms: i64,
    },
    Revoked {
        pass_id: String,
    },
    UnknownKey {
        key_id: String,
    },
    Forged,
    Unreadable {
        reason: String,
    },
    /// Only in a tube scan: the resident is in another open tube.
    InOpenTube {
        tube_code: String,
    },
}

/// Where a check-in happened.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum CheckInPlace {
    Lane { name: String },
    Home { household_id: String },
}

/// One stored scan.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CheckIn {
    pub id: String,
    pub site: String,
    pub day: String,
    pub place: CheckInPlace,
    pub outcome: ScanOutcome,
    pub pass_id: Option<String>,
    pub resident_ref: Option<String>,
    pub tube_id: Option<String>,
    pub device: String,
    pub at_ms: i64,
}

/// Whether a tube takes more residents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum TubeStatus {
    Open,
    Sealed,
}

/// The lab's answer for a tube.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum TubeResult {
    Pending,
    Negative,
    Positive,
}

/// A pooled sample tube.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Tube {
    pub id: String,
    pub code: String,
    pub site: String,
    pub capacity: u32,
    pub members: u32,
    pub status: TubeStatus,
    pub result: TubeResult,
    pub opened_at_ms: i64,
    pub sealed_at_ms: Option<i64>,
    pub result_at_ms: Option<i64>,
}

/// What a scan into a tube did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TubeScan {
    pub outcome: ScanOutcome,
    pub added: bool,
    pub tube: Tube,
}

/// A resident to recall after a positive tube.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Recall {
    pub resident_ref: String,
    pub resident: Option<Resident>,
    pub household: Option<Household>,
    pub sampled_at_ms: i64,
    pub queue_no: Option<String>,
}

/// Which residents a printed sheet is for: an area (and below) and/or a building.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct SheetFilter {
    #[uniffi(default = None)]
    pub area_id: Option<String>,
    #[uniffi(default = None)]
    pub building_id: Option<String>,
    #[uniffi(default = None)]
    pub tag: Option<Tag>,
}

/// A printable A4 PDF and the passes issued for it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PassSheet {
    pub pdf: Vec<u8>,
    pub passes: Vec<IssuedPass>,
}

impl From<chk::Priority> for PriorityFlags {
    fn from(p: chk::Priority) -> Self {
        PriorityFlags {
            elderly: p.elderly,
            disability: p.disability,
            pregnancy: p.pregnancy,
            child: p.child,
        }
    }
}

impl From<chk::IssuedPass> for IssuedPass {
    fn from(p: chk::IssuedPass) -> Self {
        IssuedPass {
            pass_id: p.pass_id,
            resident_id: p.resident_id,
            resident_ref: p.resident_ref,
            key_id: p.key_id,
            valid_from_ms: p.valid_from_ms,
            valid_until_ms: p.valid_until_ms,
            priority: p.priority.into(),
            text: p.text,
            issued_at_ms: p.issued_at_ms,
        }
    }
}

impl From<chk::TrustedKey> for TrustedKey {
    fn from(k: chk::TrustedKey) -> Self {
        TrustedKey {
            key_id: k.key_id,
            public_key: k.public_key,
            valid_from_ms: k.valid_from_ms,
            retired_at_ms: k.retired_at_ms,
            can_sign: k.can_sign,
        }
    }
}

impl From<chk::ScanOutcome> for ScanOutcome {
    fn from(o: chk::ScanOutcome) -> Self {
        use chk::ScanOutcome as S;
        match o {
            S::Admitted { queue_no, lane } => ScanOutcome::Admitted { queue_no, lane },
            S::Priority {
                queue_no,
                lane,
                priority,
            } => ScanOutcome::Priority {
                queue_no,
                lane,
                priority: priority.into(),
            },
            S::Duplicate {
                first_at_ms,
                queue_no,
            } => ScanOutcome::Duplicate {
                first_at_ms,
                queue_no,
            },
            S::Expired { valid_until_ms } => ScanOutcome::Expired { valid_until_ms },
            S::NotYetValid { valid_from_ms } => ScanOutcome::NotYetValid { valid_from_ms },
            S::Revoked { pass_id } => ScanOutcome::Revoked { pass_id },
            S::UnknownKey { key_id } => ScanOutcome::UnknownKey { key_id },
            S::Forged => ScanOutcome::Forged,
            S::Unreadable { reason } => ScanOutcome::Unreadable { reason },
            S::InOpenTube { tube_code } => ScanOutcome::InOpenTube { tube_code },
        }
    }
}

impl From<chk::CheckIn> for CheckIn {
    fn from(c: chk::CheckIn) -> Self {
        CheckIn {
            id: c.id,
            site: c.site,
            day: c.day,
            place: match c.place {
                chk::Place::Lane(name) => CheckInPlace::Lane { name },
                chk::Place::Home { household_id } => CheckInPlace::Home { household_id },
            },
            outcome: c.outcome.into(),
            pass_id: c.pass_id,
            resident_ref: c.resident_ref,
            tube_id: c.tube_id,
            device: c.device,
            at_ms: c.at_ms,
        }
    }
}

impl From<chk::Tube> for Tube {
    fn from(t: chk::Tube) -> Self {
        Tube {
            id: t.id,
            code: t.code,
            site: t.site,
            capacity: t.capacity,
            members: t.members,
            status: match t.status {
                chk::TubeStatus::Open => TubeStatus::Open,
                chk::TubeStatus::Sealed => TubeStatus::Sealed,
            },
            result: match t.result {
                chk::TubeResult::Pending => TubeResult::Pending,
                chk::TubeResult::Negative => TubeResult::Negative,
                chk::TubeResult::Positive => TubeResult::Positive,
            },
            opened_at_ms: t.opened_at_ms,
            sealed_at_ms: t.sealed_at_ms,
            result_at_ms: t.result_at_ms,
        }
    }
}

impl From<TubeResult> for chk::TubeResult {
    fn from(r: TubeResult) -> Self {
        match r {
            TubeResult::Pending => chk::TubeResult::Pending,
            TubeResult::Negative => chk::TubeResult::Negative,
            TubeResult::Positive => chk::TubeResult::Positive,
        }
    }
}

impl From<chk::TubeScan> for TubeScan {
    fn from(s: chk::TubeScan) -> Self {
        TubeScan {
            outcome: s.outcome.into(),
            added: s.added,
            tube: s.tube.into(),
        }
    }
}

impl From<chk::Recall> for Recall {
    fn from(r: chk::Recall) -> Self {
        Recall {
            resident_ref: r.resident_ref,
            resident: r.resident.map(Into::into),
            household: r.household.map(Into::into),
            sampled_at_ms: r.sampled_at_ms,
            queue_no: r.queue_no,
        }
    }
}

fn list<T, U: From<T>>(v: Vec<T>) -> Vec<U> {
    v.into_iter().map(Into::into).collect()
}

#[uniffi::export]
impl Doorstep {
    /// Sets this phone's queue prefix (1 to 3 letters or digits); returns it normalised.
    pub fn set_queue_prefix(&self, prefix: String) -> Result<String> {
        call(|| self.core().set_queue_prefix(&prefix))
    }

    /// This phone's queue prefix.
    pub fn queue_prefix(&self) -> Result<String> {
        call(|| self.core().queue_prefix())
    }

    /// Sets where a site's day begins, in minutes from UTC (China: 480, the default).
    pub fn set_checkin_utc_offset(&self, minutes: i32) -> Result<()> {
        call(|| self.core().set_checkin_utc_offset(minutes))
    }

    /// The local day (`YYYY-MM-DD`) scans are counted in now.
    pub fn checkin_day(&self) -> Result<String> {
        call(|| self.core().checkin_day())
    }

    /// Makes a new signing key on this phone; it signs every pass from now on.
    pub fn new_signing_key(&self) -> Result<TrustedKey> {
        call(|| self.core().new_signing_key()).map(Into::into)
    }

    /// Puts another station's public key (64 hex digits) on the trust list.
    pub fn trust_key(&self, public_key: String, valid_from_ms: i64) -> Result<TrustedKey> {
        call(|| self.core().trust_key(&public_key, valid_from_ms)).map(Into::into)
    }

    /// Retires a key: its passes are refused from now on.
    pub fn retire_key(&self, key_id: String) -> Result<TrustedKey> {
        call(|| self.core().retire_key(&key_id)).map(Into::into)
    }

    /// The trust list, newest first.
    pub fn trusted_keys(&self) -> Result<Vec<TrustedKey>> {
        call(|| self.core().trusted_keys()).map(list)
    }

    /// Issues a pass to a resident for a validity window (ms since the epoch).
    pub fn issue_pass(
        &self,
        resident_id: String,
        valid_from_ms: i64,
        valid_until_ms: i64,
    ) -> Result<IssuedPass> {
        call(|| {
            self.core()
                .issue_pass(&resident_id, valid_from_ms, valid_until_ms)
        })
        .map(Into::into)
    }

    /// Passes issued to a resident, newest first.
    pub fn passes_of(&self, resident_id: String) -> Result<Vec<IssuedPass>> {
        call(|| self.core().passes_of(&resident_id)).map(list)
    }

    /// Revokes a pass by id.
    pub fn revoke_pass(&self, pass_id: String, reason: String) -> Result<()> {
        call(|| self.core().revoke_pass(&pass_id, &reason))
    }

    /// Revokes every pass of a resident; returns how many.
    pub fn revoke_passes_of(&self, resident_id: String, reason: String) -> Result<u32> {
        call(|| self.core().revoke_passes_of(&resident_id, &reason))
    }

    /// A pass's QR code as PNG, `module_px` pixels per module (8 gives 456 px).
    pub fn pass_png(&self, text: String, module_px: u32) -> Result<Vec<u8>> {
        call(|| self.core().pass_png(&text, module_px))
    }

    /// A pass's QR code as SVG.
    pub fn pass_svg(&self, text: String) -> Result<String> {
        call(|| self.core().pass_svg(&text))
    }

    /// Issues passes to the residents a filter selects and returns an A4 PDF to print.
    pub fn pass_sheet(
        &self,
        filter: SheetFilter,
        valid_from_ms: i64,
        valid_until_ms: i64,
    ) -> Result<PassSheet> {
        let f = chk::SheetFilter {
            area_id: filter.area_id,
            building_id: filter.building_id,
            tag: filter.tag.map(Into::into),
        };
        call(|| self.core().pass_sheet(&f, valid_from_ms, valid_until_ms)).map(|s| PassSheet {
            pdf: s.pdf,
            passes: list(s.passes),
        })
    }

    /// Verifies a scanned pass text at a lane of a site, records it, returns the outcome.
    pub fn scan(&self, text: String, site: String, lane: String) -> Result<ScanOutcome> {
        call(|| self.core().scan(&text, &site, &lane)).map(Into::into)
    }

    /// Scans a bedridden resident's pass at their home.
    pub fn scan_at_home(
        &self,
        text: String,
        site: String,
        household_id: String,
    ) -> Result<ScanOutcome> {
        call(|| self.core().scan_at_home(&text, &site, &household_id)).map(Into::into)
    }

    /// Reads the QR code in a PNG and scans it.
    pub fn scan_image(&self, image: Vec<u8>, site: String, lane: String) -> Result<ScanOutcome> {
        call(|| self.core().scan_image(&image, &site, &lane)).map(Into::into)
    }

    /// Reads the QR code in a PNG without scanning it.
    pub fn decode_qr_image(&self, image: Vec<u8>) -> Result<String> {
        call(|| self.core().decode_qr_image(&image))
    }

    /// Every scan at a site on a local day (`YYYY-MM-DD`), oldest first.
    pub fn check_ins(&self, site: String, day: String) -> Result<Vec<CheckIn>> {
        call(|| self.core().check_ins(&site, &day)).map(list)
    }

    /// Opens a pooled tube by its code (capacity: `None` for 10).
    pub fn open_tube(&self, code: String, site: String, capacity: Option<u32>) -> Result<Tube> {
        call(|| self.core().open_tube(&code, &site, capacity)).map(Into::into)
    }

    /// Scans a resident's pass into an open tube at a lane of its site.
    pub fn tube_scan(&self, tube_id: String, text: String, lane: String) -> Result<TubeScan> {
        call(|| self.core().tube_scan(&tube_id, &text, &lane)).map(Into::into)
    }

    /// Scans a bedridden resident's pass into an open tube at their home.
    pub fn tube_scan_at_home(
        &self,
        tube_id: String,
        text: String,
        household_id: String,
    ) -> Result<TubeScan> {
        call(|| {
            self.core()
                .tube_scan_at_home(&tube_id, &text, &household_id)
        })
        .map(Into::into)
    }

    /// Seals a tube.
    pub fn seal_tube(&self, tube_id: String) -> Result<Tube> {
        call(|| self.core().seal_tube(&tube_id)).map(Into::into)
    }

    /// Records a sealed tube's lab result.
    pub fn set_tube_result(&self, tube_id: String, result: TubeResult) -> Result<Tube> {
        call(|| self.core().set_tube_result(&tube_id, result.into())).map(Into::into)
    }

    /// A tube by id.
    pub fn get_tube(&self, tube_id: String) -> Result<Tube> {
        call(|| self.core().tube(&tube_id)).map(Into::into)
    }

    /// Who to recall from a positive tube, with their households.
    pub fn tube_recall(&self, tube_id: String) -> Result<Vec<Recall>> {
        call(|| self.core().tube_recall(&tube_id)).map(list)
    }
}
