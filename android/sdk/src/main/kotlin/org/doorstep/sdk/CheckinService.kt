package org.doorstep.sdk

import org.doorstep.core.model.ScanOutcome as FfiOutcome
import org.doorstep.core.model.SiteSetup as FfiSetup
import org.doorstep.core.model.Tube as FfiTube

/** The marshal's scans and pooled tubes. The core decides every outcome. */
class CheckinService internal constructor(private val s: DoorstepServices) {
    /** Verifies and records a scanned pass text at [site]'s [lane]. */
    suspend fun scan(text: String, site: String, lane: String): ScanResult =
        s.call { it.scan(text, site, lane).toApp() }.also { s.sync.wrote() }

    /** Reads the QR code in a picture (PNG or JPEG) and scans it, as the desktop's camera. */
    suspend fun scanImage(image: ByteArray, site: String, lane: String): ScanResult =
        s.call { it.scanImage(image, site, lane).toApp() }.also { s.sync.wrote() }

    /** Today's scans at [site] and how many of them let someone in. */
    suspend fun today(site: String): SiteDay = s.call { d ->
        val day = d.checkinDay()
        val all = d.checkIns(site, day)
        SiteDay(day, all.size, all.count { it.outcome is FfiOutcome.Admitted || it.outcome is FfiOutcome.Priority })
    }

    /** The marshal's set-up kept on this phone, or null before the first. */
    suspend fun setUp(): SiteSetUp? = s.call { d -> d.siteSetup()?.let { SiteSetUp(it.site, it.lane, it.pauseSeconds.toInt()) } }

    /** Keeps the marshal's set-up on this phone (not synced); returns it trimmed. */
    suspend fun keepSetUp(setUp: SiteSetUp): SiteSetUp = s.call { d ->
        d.setSiteSetup(FfiSetup(setUp.site, setUp.lane, setUp.pauseSeconds.coerceAtLeast(0).toUInt()))
            .let { SiteSetUp(it.site, it.lane, it.pauseSeconds.toInt()) }
    }

    suspend fun openTube(code: String, site: String, capacity: Int?): TubeInfo =
        s.call { it.openTube(code, site, capacity?.toUInt()).toApp() }.also { s.sync.wrote() }

    /** Scans a pass into an open tube: the scan is the resident's check-in too. */
    suspend fun tubeScan(tubeId: String, text: String, lane: String): TubeScanResult = s.call { d ->
        val r = d.tubeScan(tubeId, text, lane)
        TubeScanResult(r.outcome.toApp(), r.added, r.tube.toApp())
    }.also { s.sync.wrote() }

    /**
     * Scans a bedridden resident's pass into an open tube at their home; the household must
     * be one this phone's registry holds.
     */
    suspend fun tubeScanAtHome(tubeId: String, text: String, householdId: String): TubeScanResult = s.call { d ->
        val r = d.tubeScanAtHome(tubeId, text, householdId)
        TubeScanResult(r.outcome.toApp(), r.added, r.tube.toApp())
    }.also { s.sync.wrote() }

    suspend fun seal(tubeId: String): TubeInfo = s.call { it.sealTube(tubeId).toApp() }.also { s.sync.wrote() }

    /** A site's tubes, open ones first, then the most recently opened. */
    suspend fun tubes(site: String, limit: Int = 50): List<TubeInfo> =
        s.call { d -> d.tubes(site, limit.toUInt()).map { it.toApp() } }

    /** Whom to recall from a positive tube, door to door. */
    suspend fun recall(tubeId: String): List<RecallEntry> = s.call { d ->
        d.tubeRecall(tubeId).map { r ->
            RecallEntry(r.residentRef, r.resident?.name, r.household?.address, r.household?.unit, r.sampledAtMs, r.queueNo)
        }
    }
}

internal fun FfiOutcome.toApp(): ScanResult = when (this) {
    is FfiOutcome.Admitted -> ScanResult.Admitted(queueNo, lane)
    is FfiOutcome.Priority -> ScanResult.Priority(queueNo, lane)
    is FfiOutcome.Duplicate -> ScanResult.Duplicate(firstAtMs, queueNo)
    is FfiOutcome.Expired -> ScanResult.Expired(validUntilMs)
    is FfiOutcome.NotYetValid -> ScanResult.NotYetValid(validFromMs)
    is FfiOutcome.Revoked -> ScanResult.Revoked
    is FfiOutcome.UnknownKey -> ScanResult.UnknownKey
    is FfiOutcome.Forged -> ScanResult.Forged
    is FfiOutcome.Unreadable -> ScanResult.Unreadable(reason)
    is FfiOutcome.InOpenTube -> ScanResult.InOpenTube(tubeCode)
}

internal fun FfiTube.toApp() = TubeInfo(
    id, code, site, capacity.toInt(), members.toInt(),
    status == org.doorstep.core.model.TubeStatus.SEALED,
    TubeOutcome.valueOf(result.name), openedAtMs,
)
