package org.doorstep.app.duelist

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.drop
import kotlinx.coroutines.flow.filter
import kotlinx.coroutines.launch
import org.doorstep.app.Presenter
import org.doorstep.sdk.DoorstepFailure
import org.doorstep.sdk.DueItem
import org.doorstep.sdk.RegistryService
import org.doorstep.sdk.SearchResult
import org.doorstep.sdk.SyncRun
import org.doorstep.sdk.SyncService
import org.doorstep.sdk.VisitService

data class DueListState(
    val items: List<DueItem>,
    val loading: Boolean,
    val query: String,
    val results: List<SearchResult>?,
    val failure: DoorstepFailure?,
)

sealed interface DueListEvents {
    data object Refresh : DueListEvents
    data class QueryChanged(val text: String) : DueListEvents
    data class Open(val householdId: String) : DueListEvents
}

/** The due list of my areas in the core's order, and resident search. */
class DueListPresenter(
    private val visits: VisitService,
    private val registry: RegistryService,
    sync: SyncService,
    scope: CoroutineScope,
    private val onOpen: (householdId: String) -> Unit,
) : Presenter<DueListState, DueListEvents>(DueListState(emptyList(), true, "", null, null), scope) {
    private var searching: Job? = null

    init {
        load()
        // What a sync brought in can change the list.
        scope.launch { sync.state.drop(1).filter { it is SyncRun.Finished }.collect { load() } }
    }

    private fun load() {
        set { it.copy(loading = true) }
        run({ f -> set { it.copy(loading = false, failure = f) } }) {
            val items = visits.dueList()
            set { it.copy(items = items, loading = false, failure = null) }
        }
    }

    override fun onEvent(event: DueListEvents) {
        when (event) {
            DueListEvents.Refresh -> load()
            is DueListEvents.QueryChanged -> {
                set { it.copy(query = event.text, results = if (event.text.isBlank()) null else it.results) }
                searching?.cancel()
                if (event.text.isBlank()) return
                searching = scope.launch {
                    delay(SEARCH_PAUSE_MS)
                    try {
                        val hits = registry.search(event.text)
                        set { if (it.query == event.text) it.copy(results = hits, failure = null) else it }
                    } catch (f: DoorstepFailure) {
                        set { it.copy(failure = f) }
                    }
                }
            }
            is DueListEvents.Open -> onOpen(event.householdId)
        }
    }

    companion object {
        /** Typing pauses this long before a search runs, so each key does not search. */
        const val SEARCH_PAUSE_MS = 150L
    }
}
