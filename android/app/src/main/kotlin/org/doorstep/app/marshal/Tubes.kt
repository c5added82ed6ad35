package org.doorstep.app.marshal

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.launch
import org.doorstep.app.Presenter
import org.doorstep.sdk.CheckinService
import org.doorstep.sdk.DoorstepFailure
import org.doorstep.sdk.RecallEntry
import org.doorstep.sdk.RegistryService
import org.doorstep.sdk.SearchResult
import org.doorstep.sdk.TubeInfo
import org.doorstep.sdk.TubeOutcome
import org.doorstep.sdk.TubeScanResult

data class TubesState(
    val site: String,
    val lane: String,
    /** The site's tubes, open first, then the newest. */
    val tubes: List<TubeInfo>,
    /** The tube being filled. */
    val current: TubeInfo?,
    /** A tube code typed by hand. */
    val code: String,
    /** How many residents a new tube takes (10 is the usual pool). */
    val capacity: Int,
    /** The last scan into the current tube. */
    val lastScan: TubeScanResult?,
    /** The tube whose recall list is open, and the list. */
    val recallOf: TubeInfo?,
    val recall: List<RecallEntry>,
    /** Whether this phone can sample at homes (it has a registry to find them in). */
    val canGoHome: Boolean,
    /** The bedridden resident's household the marshal samples at; null at the site. */
    val home: HomeStop?,
    /** What the marshal typed to find the household, and the residents found. */
    val homeQuery: String,
    val homeHits: List<SearchResult>,
    val busy: Boolean,
    val failure: DoorstepFailure?,
) {
    /** Tubes that came back positive: each has a recall list. */
    val positive: List<TubeInfo> get() = tubes.filter { it.result == TubeOutcome.POSITIVE }
}

/** A household the marshal samples at, and its address as shown. */
data class HomeStop(val householdId: String, val address: String)

sealed interface TubesEvents {
    data class CodeChanged(val text: String) : TubesEvents
    data class CapacityChanged(val n: Int) : TubesEvents
    /** Opens (or resumes) the tube with the typed code. */
    data object Open : TubesEvents
    /** A code the camera read: with no tube being filled the tube's code, else a pass. */
    data class Scanned(val text: String) : TubesEvents
    data object Seal : TubesEvents
    data class Resume(val tubeId: String) : TubesEvents
    data class ShowRecall(val tubeId: String) : TubesEvents
    data object CloseRecall : TubesEvents
    data object Refresh : TubesEvents
    /** Searching the registry for a bedridden resident's household. */
    data class HomeQueryChanged(val text: String) : TubesEvents
    /** At this resident's home: the tube's scans are recorded there. */
    data class HomeChosen(val hit: SearchResult) : TubesEvents
    /** Back at the site's lane. */
    data object LeaveHome : TubesEvents
}

/**
 * Pooled tubes at the marshal's site: open one, scan residents into it up to its capacity
 * (shown as it fills), seal it; a positive tube's recall list when its result arrives. With
 * a [registry], a tube also goes door to door: scans at a bedridden resident's home are
 * recorded there (the core checks the household is one this phone knows).
 */
class TubesPresenter(
    site: String,
    lane: String,
    private val checkin: CheckinService,
    scope: CoroutineScope,
    private val registry: RegistryService? = null,
) : Presenter<TubesState, TubesEvents>(
    TubesState(site, lane, emptyList(), null, "", 10, null, null, emptyList(), registry != null, null, "", emptyList(), false, null),
    scope,
) {
    private var searching: Job? = null

    init {
        run(::failed) { load() }
    }

    private fun failed(f: DoorstepFailure) = set { it.copy(busy = false, failure = f) }

    private suspend fun load() {
        val all = checkin.tubes(state.value.site)
        set { s -> s.copy(tubes = all, current = s.current?.let { c -> all.find { it.id == c.id } ?: c }, busy = false) }
    }

    private fun act(work: suspend () -> Unit) {
        set { it.copy(busy = true, failure = null) }
        run(::failed) {
            work()
            load()
        }
    }

    private fun open(code: String) = act {
        val t = checkin.openTube(code, state.value.site, state.value.capacity)
        set { it.copy(current = t, code = "", lastScan = null) }
    }

    override fun onEvent(event: TubesEvents) {
        val s = state.value
        when (event) {
            is TubesEvents.CodeChanged -> set { it.copy(code = event.text) }
            is TubesEvents.CapacityChanged -> set { it.copy(capacity = event.n.coerceIn(1, 20)) }
            TubesEvents.Open -> if (s.code.isNotBlank() && !s.busy) open(s.code.trim())
            is TubesEvents.Scanned -> if (!s.busy) {
                val cur = s.current
                if (cur == null || cur.sealed) {
                    open(event.text.trim())
                } else {
                    val home = s.home
                    act {
                        val r = if (home != null) checkin.tubeScanAtHome(cur.id, event.text, home.householdId) else checkin.tubeScan(cur.id, event.text, s.lane)
                        set { it.copy(lastScan = r, current = r.tube) }
                    }
                }
            }
            TubesEvents.Seal -> s.current?.let { cur ->
                act {
                    val t = checkin.seal(cur.id)
                    set { it.copy(current = t) }
                }
            }
            is TubesEvents.Resume -> set { st -> st.copy(current = st.tubes.find { it.id == event.tubeId }, lastScan = null) }
            is TubesEvents.ShowRecall -> act {
                val r = checkin.recall(event.tubeId)
                set { st -> st.copy(recallOf = st.tubes.find { it.id == event.tubeId }, recall = r) }
            }
            TubesEvents.CloseRecall -> set { it.copy(recallOf = null, recall = emptyList()) }
            TubesEvents.Refresh -> act { }
            is TubesEvents.HomeQueryChanged -> {
                set { it.copy(homeQuery = event.text) }
                val reg = registry ?: return
                searching?.cancel()
                searching = scope.launch {
                    try {
                        val hits = reg.search(event.text, 10)
                        set { if (it.homeQuery == event.text) it.copy(homeHits = hits) else it }
                    } catch (f: DoorstepFailure) {
                        failed(f)
                    }
                }
            }
            is TubesEvents.HomeChosen -> set {
                it.copy(home = HomeStop(event.hit.householdId, event.hit.address), homeQuery = "", homeHits = emptyList(), lastScan = null)
            }
            TubesEvents.LeaveHome -> set { it.copy(home = null, lastScan = null) }
        }
    }
}
