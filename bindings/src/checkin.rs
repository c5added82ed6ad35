//! Check-in calls: keys, passes, scans, tubes and printable sheets. Pictures and PDFs
//! cross as bytes.

use doorstep_core::checkin::*;

use std::sync::Arc;

use crate::cancel::{flag, CancelHandle};
use crate::{call, Doorstep, Result};

#[uniffi::export]
impl Doorstep {
    /// Sets this phone's queue prefix (1 to 3 letters or digits); returns it normalised.
    /// A write.
    pub fn set_queue_prefix(&self, prefix: String) -> Result<String> {
        call(|| self.core().set_queue_prefix(&prefix))
    }

    /// This phone's queue prefix. A read.
    pub fn queue_prefix(&self) -> Result<String> {
        call(|| self.core().queue_prefix())
    }

    /// Keeps the marshal's set-up (site, lane, pause seconds up to 60) on this phone, not
    /// synced; returns it trimmed. A write.
    pub fn set_site_setup(&self, setup: SiteSetup) -> Result<SiteSetup> {
        call(|| self.core().set_site_setup(&setup))
    }

    /// The marshal's set-up kept on this phone, if one was set. A read.
    pub fn site_setup(&self) -> Result<Option<SiteSetup>> {
        call(|| self.core().site_setup())
    }

    /// Sets where a site's day begins, in minutes from UTC (China: 480, the default).
    /// A write.
    pub fn set_checkin_utc_offset(&self, minutes: i32) -> Result<()> {
        call(|| self.core().set_checkin_utc_offset(minutes))
    }

    /// The local day (`YYYY-MM-DD`) scans are counted in now. A read.
    pub fn checkin_day(&self) -> Result<String> {
        call(|| self.core().checkin_day())
    }

    /// Makes a new signing key on this phone; it signs every pass from now on. A write.
    pub fn new_signing_key(&self) -> Result<TrustedKey> {
        call(|| self.core().new_signing_key())
    }

    /// Puts another station's public key (64 hex digits) on the trust list. A write.
    pub fn trust_key(&self, public_key: String, valid_from_ms: i64) -> Result<TrustedKey> {
        call(|| self.core().trust_key(&public_key, valid_from_ms))
    }

    /// Retires a key: its passes are refused from now on. A write.
    pub fn retire_key(&self, key_id: String) -> Result<TrustedKey> {
        call(|| self.core().retire_key(&key_id))
    }

    /// The trust list, newest first. A read.
    pub fn trusted_keys(&self) -> Result<Vec<TrustedKey>> {
        call(|| self.core().trusted_keys())
    }

    /// Issues a pass to a resident for a validity window (ms since the epoch). A write.
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
    }

    /// Passes issued to a resident, newest first. A read.
    pub fn passes_of(&self, resident_id: String) -> Result<Vec<IssuedPass>> {
        call(|| self.core().passes_of(&resident_id))
    }

    /// Revokes a pass by id. A write.
    pub fn revoke_pass(&self, pass_id: String, reason: String) -> Result<()> {
        call(|| self.core().revoke_pass(&pass_id, &reason))
    }

    /// Revokes every pass of a resident; returns how many. A write.
    pub fn revoke_passes_of(&self, resident_id: String, reason: String) -> Result<u32> {
        call(|| self.core().revoke_passes_of(&resident_id, &reason))
    }

    /// A pass's QR code as PNG, `module_px` pixels per module (8 gives 456 px). Touches
    /// no store; milliseconds.
    pub fn pass_png(&self, text: String, module_px: u32) -> Result<Vec<u8>> {
        call(|| self.core().pass_png(&text, module_px))
    }

    /// A pass's QR code as SVG. Touches no store; milliseconds.
    pub fn pass_svg(&self, text: String) -> Result<String> {
        call(|| self.core().pass_svg(&text))
    }

    /// Issues passes to the residents a filter selects and returns an A4 PDF to print.
    /// Long: about 2 ms a pass to sign and draw (reads meanwhile), then one short write.
    /// A `cancel` cancelled before that write makes it fail with `Cancelled`, no pass
    /// issued.
    #[uniffi::method(default(cancel = None))]
    pub fn pass_sheet(
        &self,
        filter: SheetFilter,
        valid_from_ms: i64,
        valid_until_ms: i64,
        cancel: Option<Arc<CancelHandle>>,
    ) -> Result<PassSheet> {
        let cancel = flag(cancel.as_ref());
        call(|| {
            self.core()
                .pass_sheet_with(&filter, valid_from_ms, valid_until_ms, &cancel)
        })
    }

    /// Verifies a scanned pass text at a lane of a site, records it, returns the outcome.
    /// A write of one row; milliseconds, and it never waits behind a long write: then the
    /// outcome is decided at once and the row is stored right after that write.
    pub fn scan(&self, text: String, site: String, lane: String) -> Result<ScanOutcome> {
        call(|| self.core().scan(&text, &site, &lane))
    }

    /// Scans a bedridden resident's pass at their home. A write of one row; never waits
    /// behind a long write, as `scan`.
    pub fn scan_at_home(
        &self,
        text: String,
        site: String,
        household_id: String,
    ) -> Result<ScanOutcome> {
        call(|| self.core().scan_at_home(&text, &site, &household_id))
    }

    /// Reads the QR code in a PNG and scans it. Decoding takes tens of milliseconds, then
    /// a write of one row.
    pub fn scan_image(&self, image: Vec<u8>, site: String, lane: String) -> Result<ScanOutcome> {
        call(|| self.core().scan_image(&image, &site, &lane))
    }

    /// Reads the QR code in a PNG without scanning it. Touches no store.
    pub fn decode_qr_image(&self, image: Vec<u8>) -> Result<String> {
        call(|| self.core().decode_qr_image(&image))
    }

    /// Every scan at a site on a local day (`YYYY-MM-DD`), oldest first. A read.
    pub fn check_ins(&self, site: String, day: String) -> Result<Vec<CheckIn>> {
        call(|| self.core().check_ins(&site, &day))
    }

    /// Opens a pooled tube by its code (capacity: `None` for 10). A write.
    pub fn open_tube(&self, code: String, site: String, capacity: Option<u32>) -> Result<Tube> {
        call(|| self.core().open_tube(&code, &site, capacity))
    }

    /// Scans a resident's pass into an open tube at a lane of its site. A write.
    pub fn tube_scan(&self, tube_id: String, text: String, lane: String) -> Result<TubeScan> {
        call(|| self.core().tube_scan(&tube_id, &text, &lane))
    }

    /// Scans a bedridden resident's pass into an open tube at their home. A write.
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
    }

    /// Seals a tube. A write.
    pub fn seal_tube(&self, tube_id: String) -> Result<Tube> {
        call(|| self.core().seal_tube(&tube_id))
    }

    /// Records a sealed tube's lab result. A write.
    pub fn set_tube_result(&self, tube_id: String, result: TubeResult) -> Result<Tube> {
        call(|| self.core().set_tube_result(&tube_id, result))
    }

    /// A tube by id. A read.
    pub fn get_tube(&self, tube_id: String) -> Result<Tube> {
        call(|| self.core().tube(&tube_id))
    }

    /// A site's tubes, open ones first, then the most recently opened; at most `limit`.
    /// A read.
    pub fn tubes(&self, site: String, limit: u32) -> Result<Vec<Tube>> {
        call(|| self.core().tubes(&site, limit))
    }

    /// Who to recall from a positive tube, with their households. A read.
    pub fn tube_recall(&self, tube_id: String) -> Result<Vec<Recall>> {
        call(|| self.core().tube_recall(&tube_id))
    }
}
