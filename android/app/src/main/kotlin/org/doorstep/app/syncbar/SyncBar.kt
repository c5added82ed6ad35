package org.doorstep.app.syncbar

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.combine
import kotlinx.coroutines.launch
import org.doorstep.app.Presenter
import org.doorstep.sdk.ConflictToReview
import org.doorstep.sdk.DoorstepFailure
import org.doorstep.sdk.RefusedChange
import org.doorstep.sdk.SyncProgress
import org.doorstep.sdk.SyncRun
import org.doorstep.sdk.SyncService
import org.doorstep.sdk.SyncSummary

data class SyncBarState(
    val pending: Long,
    val lastSyncAtMs: Long?,
    val running: Boolean,
    val progress: SyncProgress?,
    val lastSummary: SyncSummary?,
    val failure: DoorstepFailure?,
    val refused: List<RefusedChange>,
    val conflicts: List<ConflictToReview>,
    val expanded: Boolean,
    /** Background sync on unmetered networks only; null where the platform offers no choice. */
    val wifiOnly: Boolean? = null,
)

sealed interface SyncBarEvents {
    data object SyncNow : SyncBarEvents
    data object RetryRefused : SyncBarEvents
    data class Reviewed(val conflictId: Long) : SyncBarEvents
    data object ToggleDetails : SyncBarEvents
    data object EnrolAgain : SyncBarEvents
    data class WifiOnly(val on: Boolean) : SyncBarEvents
}

/**
 * The sync bar on every home screen: pending changes, last sync, a running sync's stage and
 * counts, a failure in words, refused changes and conflicts. It re-reads the store after
 * each local write and each sync.
 */
class SyncBarPresenter(
    private val sync: SyncService,
    scope: CoroutineScope,
    private val network: SyncNetworkChoice? = null,
    private val onEnrolAgain: () -> Unit,
) : Presenter<SyncBarState, SyncBarEvents>(
    SyncBarState(0, null, false, null, null, null, emptyList(), emptyList(), false, network?.unmeteredOnly()),
    scope,
) {
    init {
        scope.launch {
            combine(sync.state, sync.writes) { run, _ -> run }.collect { run ->
                set {
                    when (run) {
                        SyncRun.Idle -> it.copy(running = false, progress = null)
                        is SyncRun.Running -> it.copy(running = true, progress = run.progress, failure = null)
                        is SyncRun.Finished -> it.copy(running = false, progress = null, lastSummary = run.summary, failure = null)
                        is SyncRun.Failed -> it.copy(running = false, progress = null, failure = run.failure)
                    }
                }
                if (run !is SyncRun.Running) reload()
            }
        }
    }

    private suspend fun reload() {
        try {
            val st = sync.status()
            set { it.copy(pending = st.pending, lastSyncAtMs = st.lastSyncAtMs, refused = st.refused, conflicts = st.conflicts) }
        } catch (f: DoorstepFailure) {
            set { it.copy(failure = f) }
        }
    }

    override fun onEvent(event: SyncBarEvents) {
        when (event) {
            SyncBarEvents.SyncNow -> if (!state.value.running) run({ /* the shared state shows it */ }) { sync.syncNow() }
            SyncBarEvents.RetryRefused -> run({ f -> set { it.copy(failure = f) } }) {
                sync.retryRefused()
                reload()
                sync.syncNow()
            }
            is SyncBarEvents.Reviewed -> run({ f -> set { it.copy(failure = f) } }) {
                sync.reviewed(event.conflictId)
                reload()
            }
            SyncBarEvents.ToggleDetails -> set { it.copy(expanded = !it.expanded) }
            SyncBarEvents.EnrolAgain -> onEnrolAgain()
            is SyncBarEvents.WifiOnly -> network?.let { n ->
                n.setUnmeteredOnly(event.on)
                set { it.copy(wifiOnly = n.unmeteredOnly()) }
            }
        }
    }
}
