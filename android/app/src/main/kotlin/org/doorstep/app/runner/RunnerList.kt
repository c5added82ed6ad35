package org.doorstep.app.runner

import kotlinx.coroutines.CoroutineScope
import org.doorstep.app.Presenter
import org.doorstep.sdk.DeliveryService
import org.doorstep.sdk.DoorstepFailure
import org.doorstep.sdk.RunnerDay

data class RunnerListState(val day: RunnerDay?, val loading: Boolean, val failure: DoorstepFailure?)

sealed interface RunnerListEvents {
    data object Refresh : RunnerListEvents
    data class Open(val packageId: String) : RunnerListEvents
}

/**
 * The runner's day from the core's `runner_list`: by building and unit for a walking route,
 * urgent and medicine first, and what is still held.
 */
class RunnerListPresenter(
    private val runner: String,
    private val deliveries: DeliveryService,
    scope: CoroutineScope,
    private val onOpen: (String) -> Unit,
) : Presenter<RunnerListState, RunnerListEvents>(RunnerListState(null, true, null), scope) {
    init {
        load()
    }

    private fun load() {
        set { it.copy(loading = true, failure = null) }
        run({ f -> set { it.copy(loading = false, failure = f) } }) {
            val d = deliveries.runnerList(runner)
            set { it.copy(day = d, loading = false) }
        }
    }

    override fun onEvent(event: RunnerListEvents) = when (event) {
        RunnerListEvents.Refresh -> load()
        is RunnerListEvents.Open -> onOpen(event.packageId)
    }
}
