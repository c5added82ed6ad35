//! Check-in on the `Doorstep` object: every call is one transaction through
//! `Doorstep::write` or one read through `Doorstep::read`.

use super::*;
use crate::Doorstep;

impl Doorstep {
    // Settings.

    /// Sets this phone's queue prefix (1 to 3 letters or digits, "A" gives A-001).
    pub fn set_queue_prefix(&self, prefix: &str) -> Result<String> {
        self.with_writer(|c| set_queue_prefix(c, prefix))
    }

    /// This phone's queue prefix.
    pub fn queue_prefix(&self) -> Result<String> {
        let device = self.device_id();
        self.read(|c| queue_prefix(c, &device))
    }

    /// Keeps the marshal's set-up (site, lane, pause) on this phone; returns it trimmed.
    pub fn set_site_setup(&self, setup: &SiteSetup) -> Result<SiteSetup> {
        self.with_writer(|c| set_site_setup(c, setup))
    }

    /// The marshal's set-up kept on this phone, if one was set.
    pub fn site_setup(&self) -> Result<Option<SiteSetup>> {
        self.read(site_setup)
    }

    /// Sets where a site's day begins, in minutes from UTC (China: 480, the default).
    pub fn set_checkin_utc_offset(&self, minutes: i32) -> Result<()> {
        self.with_writer(|c| set_utc_offset(c, minutes))
    }

    /// The local day (`YYYY-MM-DD`) scans are counted in now.
    pub fn checkin_day(&self) -> Result<String> {
        let now = self.clock.now_ms();
        self.read(|c| Ok(local_day(now, utc_offset(c)?)))
    }

    // Keys and passes.

    /// Makes a new signing key on this phone; it signs every pass from now on.
    pub fn new_signing_key(&self) -> Result<TrustedKey> {
        self.write(new_signing_key)
    }

    /// Puts another station's public key (64 hex digits) on the trust list.
    pub fn trust_key(&self, public_key: &str, valid_from_ms: i64) -> Result<TrustedKey> {
        self.write(|w| trust_key(w, public_key, valid_from_ms))
    }

    /// The secrets of the signing keys this device holds, (key id, secret): for a station
    /// whose nodes share their keys.
    pub fn signing_secrets(&self) -> Result<Vec<(String, [u8; 32])>> {
        self.read(store::signing_secrets)
    }

    /// Keeps the secret of a signing key made elsewhere (another node of this station) and
    /// returns its key id. A key already held, or retired on the trust list, is left
    /// alone: a retired key must never sign again.
    pub fn import_signing_key(&self, secret: &[u8; 32]) -> Result<String> {
        let key = pass::StationKey::from_secret(secret);
        let id = key.key_id();
        self.with_writer(|c| {
            let trusted = store::trusted_key(c, &id.to_hex())?;
            if trusted.as_ref().is_some_and(|t| t.retired_at.is_some())
                || store::signing_secrets(c)?
                    .iter()
                    .any(|(k, _)| *k == id.to_hex())
            {
                return Ok(());
            }
            // Ordered by when the key took effect, so a node's newest key stays newest.
            let since = trusted.map_or(0, |t| t.valid_from);
            store::insert_signing_key(c, &id, secret, &key.public(), since)
        })?;
        Ok(id.to_hex())
    }

    /// Retires a key: its passes are refused from now on, and its secret is destroyed.
    pub fn retire_key(&self, key_id: &str) -> Result<TrustedKey> {
        self.write(|w| retire_key(w, key_id))
    }

    /// The trust list, newest first.
    pub fn trusted_keys(&self) -> Result<Vec<TrustedKey>> {
        self.read(store::trusted_keys)
    }

    /// Issues a pass to a resident for a validity window (ms since the epoch).
    pub fn issue_pass(
        &self,
        resident_id: &str,
        valid_from_ms: i64,
        valid_until_ms: i64,
    ) -> Result<IssuedPass> {
        self.write(|w| issue_pass(w, resident_id, valid_from_ms, valid_until_ms))
    }

    /// Passes issued to a resident, newest first.
    pub fn passes_of(&self, resident_id: &str) -> Result<Vec<IssuedPass>> {
        self.read(|c| passes_of(c, resident_id))
    }

    /// Revokes a pass by id.
    pub fn revoke_pass(&self, pass_id: &str, reason: &str) -> Result<()> {
        self.write(|w| revoke_pass(w, pass_id, reason))
    }

    /// Revokes every pass of a resident; returns how many were revoked.
    pub fn revoke_passes_of(&self, resident_id: &str, reason: &str) -> Result<u32> {
        self.write(|w| revoke_passes_of(w, resident_id, reason))
    }

    // Rendering.

    /// A pass text's QR code as PNG, `module_px` pixels per module.
    pub fn pass_png(&self, text: &str, module_px: u32) -> Result<Vec<u8>> {
        check_pass_text(text)?;
        render::qr_png(text.trim(), module_px)
    }

    /// A pass text's QR code as SVG.
    pub fn pass_svg(&self, text: &str) -> Result<String> {
        check_pass_text(text)?;
        render::qr_svg(text.trim())
    }

    /// Issues passes to the residents a filter selects and lays them out on A4 pages to
    /// print and cut, 8 to a page.
    pub fn pass_sheet(
        &self,
        filter: &SheetFilter,
        valid_from_ms: i64,
        valid_until_ms: i64,
    ) -> Result<PassSheet> {
        self.pass_sheet_with(filter, valid_from_ms, valid_until_ms, &Cancel::new())
    }

    /// `pass_sheet` that stops with `Error::Cancelled` when `cancel` is cancelled before
    /// its passes are stored; then no pass is issued.
    pub fn pass_sheet_with(
        &self,
        filter: &SheetFilter,
        valid_from_ms: i64,
        valid_until_ms: i64,
        cancel: &Cancel,
    ) -> Result<PassSheet> {
        // Signed and drawn before anything is stored, the store free meanwhile: a cancel
        // while drawing (about 2 ms a pass) leaves no pass issued.
        let now = self.clock.now_ms();
        let (made, entries) =
            self.read(|c| plan_sheet(c, filter, valid_from_ms, valid_until_ms, now, cancel))?;
        let pdf = render::sheet_pdf(&entries, cancel)?;
        cancel.check()?;
        let passes = self.write(|w| store_sheet(w, &made))?;
        Ok(PassSheet { pdf, passes })
    }

    // Scanning.

    /// Verifies a scanned pass text at a site's lane, records the scan, and returns the
    /// one outcome to show. It never waits behind a long write: see `scan_or_park`.
    pub fn scan(&self, text: &str, site: &str, lane: &str) -> Result<ScanOutcome> {
        self.scan_or_park(&Scanned::Text(text), site, &Place::lane(lane))
    }

    /// Scans a bedridden resident's pass at their home (door-to-door sampling).
    pub fn scan_at_home(&self, text: &str, site: &str, household_id: &str) -> Result<ScanOutcome> {
        let place = Place::Home {
            household_id: household_id.to_string(),
        };
        self.scan_or_park(&Scanned::Text(text), site, &place)
    }

    /// Records a scan through the writer when it is free. When a long write holds it (an
    /// import, a pass sheet, a pulled page), the scan is decided on the read-only
    /// connection instead, with the queue numbers and the scans parked before it, and
    /// parked in the side file until the writer stores it (right after that write): the
    /// queue never waits, and a crash loses no scan.
    fn scan_or_park(&self, input: &Scanned, site: &str, place: &Place) -> Result<ScanOutcome> {
        if let Some(outcome) = self.try_write(|w| scan_input(w, input, site, place))? {
            return Ok(outcome);
        }
        let decided = {
            let conn = self.reader();
            let mut view = park::ParkView {
                conn: &conn,
                device: &self.device,
                now_ms: self.clock.now_ms(),
                sequences: &self.sequences,
                parked: self.parking.waiting(),
            };
            decide_scan(&mut view, input, site, place)?
        };
        self.parking.park(&decided)?;
        tracing::info!(target: "doorstep::checkin", "scan parked behind a long write");
        // The long write may have ended meanwhile; then the scan is stored now.
        let _ = self.try_write(|_| Ok(()));
        Ok(decided.outcome)
    }

    /// Reads the QR code in an image (PNG bytes) and scans it; an image with no
    /// readable code is recorded and returned as unreadable.
    pub fn scan_image(&self, image: &[u8], site: &str, lane: &str) -> Result<ScanOutcome> {
        // Decoding takes milliseconds; it happens before the transaction opens.
        let decoded = render::decode_image(image);
        let input = match &decoded {
            Ok(text) => Scanned::Text(text),
            Err(why) => Scanned::NoCode(why.clone()),
        };
        self.scan_or_park(&input, site, &Place::lane(lane))
    }

    /// Reads the QR code in an image (PNG bytes) without scanning it.
    pub fn decode_qr_image(&self, image: &[u8]) -> Result<String> {
        render::decode_image(image).map_err(Error::Invalid)
    }

    /// Every scan at a site on a local day, oldest first: the audit trail.
    pub fn check_ins(&self, site: &str, day: &str) -> Result<Vec<CheckIn>> {
        self.read(|c| check_ins(c, site, day))
    }

    // Tubes.

    /// Opens a pooled tube by its code at a site (capacity default 10).
    pub fn open_tube(&self, code: &str, site: &str, capacity: Option<u32>) -> Result<Tube> {
        self.write(|w| open_tube(w, code, site, capacity))
    }

    /// Scans a resident's pass into an open tube at a lane of its site.
    pub fn tube_scan(&self, tube_id: &str, text: &str, lane: &str) -> Result<TubeScan> {
        self.write(|w| tube_scan(w, tube_id, text, &Place::lane(lane)))
    }

    /// Scans a bedridden resident's pass into an open tube at their home.
    pub fn tube_scan_at_home(
        &self,
        tube_id: &str,
        text: &str,
        household_id: &str,
    ) -> Result<TubeScan> {
        let place = Place::Home {
            household_id: household_id.to_string(),
        };
        self.write(|w| tube_scan(w, tube_id, text, &place))
    }

    /// Seals a tube: it takes nobody more.
    pub fn seal_tube(&self, tube_id: &str) -> Result<Tube> {
        self.write(|w| seal_tube(w, tube_id))
    }

    /// Records a sealed tube's lab result.
    pub fn set_tube_result(&self, tube_id: &str, result: TubeResult) -> Result<Tube> {
        self.write(|w| set_tube_result(w, tube_id, result))
    }

    /// A tube by id.
    pub fn tube(&self, tube_id: &str) -> Result<Tube> {
        self.read(|c| tube(c, tube_id))
    }

    /// A site's tubes, open ones first, then the most recently opened; at most `limit`
    /// (a marshal's screen shows what it fills now and the results that came back).
    pub fn tubes(&self, site: &str, limit: u32) -> Result<Vec<Tube>> {
        self.read(|c| store::tubes_at(c, site, limit))
    }

    /// Who to recall from a positive tube, with their households.
    pub fn tube_recall(&self, tube_id: &str) -> Result<Vec<Recall>> {
        self.read(|c| recall(c, tube_id))
    }
}

/// Refuses to draw a text that is not a pass: a QR code of anything else would only
/// confuse a marshal.
fn check_pass_text(text: &str) -> Result<()> {
    pass::decode(text)
        .map(|_| ())
        .map_err(|why| Error::invalid(format!("not a pass: {why}")))
}
