package org.doorstep.app.marshal

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import org.doorstep.app.Presenter
import org.doorstep.sdk.CheckinService
import org.doorstep.sdk.DoorstepFailure
import org.doorstep.sdk.ScanResult
import org.doorstep.sdk.SiteDay
import org.doorstep.sdk.SiteSetUp

/** One outcome as the big card shows it; [n] tells two equal outcomes apart. */
data class ScanCard(val n: Int, val outcome: ScanResult, val atMs: Long)

data class MarshalState(
    val site: String,
    val lane: String,
    /** The set-up is done and the scanner is on. */
    val ready: Boolean,
    val today: SiteDay?,
    /** The last outcome, large. */
    val card: ScanCard?,
    /** The outcomes before it, newest first (a few). */
    val recent: List<ScanCard>,
    /** After a result nothing is taken until the next person is in front. */
    val paused: Boolean,
    /** Seconds after which a pause ends by itself; 0 waits for a tap. */
    val pauseSeconds: Int,
    /** A damaged code typed by hand. */
    val manual: String,
    val busy: Boolean,
    val failure: DoorstepFailure?,
) {
    val canBegin: Boolean get() = site.isNotBlank() && lane.isNotBlank()
}

sealed interface MarshalEvents {
    data class SiteChanged(val text: String) : MarshalEvents
    data class LaneChanged(val text: String) : MarshalEvents
    data class PauseChanged(val seconds: Int) : MarshalEvents
    /** Set-up done: the scanner opens. */
    data object Begin : MarshalEvents
    /** Back to the set-up (another site or lane). */
    data object ChangeSetUp : MarshalEvents
    /** A code the camera read (the one nearest the centre). */
    data class Scanned(val text: String) : MarshalEvents
    /** A picture holding a pass's QR code (the desktop's camera, a screenshot sent by chat). */
    data class Image(val bytes: ByteArray) : MarshalEvents
    data class ManualChanged(val text: String) : MarshalEvents
    data object SubmitManual : MarshalEvents
    /** The next person is in front: codes are taken again. */
    data object Next : MarshalEvents
    data object OpenTubes : MarshalEvents
}

/**
 * The marshal's scanner: site and lane, one large card per outcome, a pause after each so a
 * code in view is never read twice in a row, manual entry, and the day's count. The set-up
 * is kept in the store when scanning begins; given no [site], the presenter resumes the kept
 * one (after a restart the scanner opens where the marshal left it).
 */
class MarshalPresenter(
    private val checkin: CheckinService,
    scope: CoroutineScope,
    site: String = "",
    lane: String = "1",
    pauseSeconds: Int = 3,
    private val onTubes: (site: String, lane: String) -> Unit = { _, _ -> },
    private val now: () -> Long = System::currentTimeMillis,
) : Presenter<MarshalState, MarshalEvents>(
    MarshalState(site, lane, false, null, null, emptyList(), false, pauseSeconds, "", false, null),
    scope,
) {
    private var cards = 0
    private var resume: Job? = null

    init {
        if (site.isBlank()) {
            run(::failed) {
                val kept = checkin.setUp() ?: return@run
                set { s ->
                    // Only into an untouched set-up: what the marshal typed meanwhile wins.
                    if (s.ready || s.site.isNotBlank()) s
                    else s.copy(site = kept.site, lane = kept.lane, pauseSeconds = kept.pauseSeconds, ready = true)
                }
                if (state.value.ready) refreshToday()
            }
        }
    }

    private fun failed(f: DoorstepFailure) = set { it.copy(busy = false, failure = f) }

    private suspend fun refreshToday() {
        val t = checkin.today(state.value.site)
        set { it.copy(today = t) }
    }

    private fun show(outcome: ScanResult) {
        val card = ScanCard(++cards, outcome, now())
        set { s ->
            s.copy(
                card = card,
                recent = (listOfNotNull(s.card) + s.recent).take(KEEP),
                paused = true,
                busy = false,
                failure = null,
            )
        }
        resume?.cancel()
        val seconds = state.value.pauseSeconds
        if (seconds > 0) {
            resume = scope.launch {
                delay(seconds * 1000L)
                set { if (it.card?.n == card.n) it.copy(paused = false) else it }
            }
        }
    }

    private fun scan(work: suspend (String, String) -> ScanResult) {
        set { it.copy(busy = true, failure = null) }
        val (site, lane) = state.value.let { it.site to it.lane }
        run(::failed) {
            show(work(site, lane))
            refreshToday()
        }
    }

    override fun onEvent(event: MarshalEvents) {
        val s = state.value
        when (event) {
            is MarshalEvents.SiteChanged -> set { it.copy(site = event.text) }
            is MarshalEvents.LaneChanged -> set { it.copy(lane = event.text) }
            is MarshalEvents.PauseChanged -> set { it.copy(pauseSeconds = event.seconds.coerceAtLeast(0)) }
            MarshalEvents.Begin -> if (s.canBegin) {
                set { it.copy(site = it.site.trim(), lane = it.lane.trim(), ready = true, paused = false, failure = null) }
                run(::failed) {
                    checkin.keepSetUp(SiteSetUp(s.site.trim(), s.lane.trim(), s.pauseSeconds))
                    refreshToday()
                }
            }
            MarshalEvents.ChangeSetUp -> set { it.copy(ready = false) }
            // While paused, or while the last code is being checked, the camera's reads are
            // dropped: the same code in view stays one scan.
            is MarshalEvents.Scanned -> if (s.ready && !s.paused && !s.busy) {
                scan { site, lane -> checkin.scan(event.text, site, lane) }
            }
            is MarshalEvents.Image -> if (s.ready && !s.busy) {
                scan { site, lane -> checkin.scanImage(event.bytes, site, lane) }
            }
            is MarshalEvents.ManualChanged -> set { it.copy(manual = event.text) }
            MarshalEvents.SubmitManual -> if (s.ready && !s.busy && s.manual.isNotBlank()) {
                val text = s.manual.trim()
                set { it.copy(manual = "") }
                scan { site, lane -> checkin.scan(text, site, lane) }
            }
            MarshalEvents.Next -> {
                resume?.cancel()
                set { it.copy(paused = false) }
            }
            MarshalEvents.OpenTubes -> onTubes(s.site, s.lane)
        }
    }

    private companion object {
        const val KEEP = 5
    }
}
