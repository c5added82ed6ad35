package org.doorstep.sdk

import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.launch
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import org.doorstep.core.CancelHandle
import org.doorstep.core.SyncProgress as FfiProgress
import org.doorstep.core.model.SyncStage as FfiStage

/** Where the phone's sync is now, shared by every screen's sync bar. */
sealed interface SyncRun {
    data object Idle : SyncRun
    data class Running(val progress: SyncProgress?) : SyncRun
    data class Finished(val summary: SyncSummary, val atMs: Long) : SyncRun
    data class Failed(val failure: DoorstepFailure) : SyncRun
}

/** A step of one sync as a [Flow]: progress reports, then the summary. */
sealed interface SyncEvent {
    data class Progress(val progress: SyncProgress) : SyncEvent
    data class Done(val summary: SyncSummary) : SyncEvent
}

/** Sync with the station: one at a time, progress as a flow, state shared by all screens. */
class SyncService internal constructor(private val s: DoorstepServices) {
    private val one = Mutex()
    private val run = MutableStateFlow<SyncRun>(SyncRun.Idle)
    private val changed = MutableStateFlow(0L)

    /** The latest sync's state. */
    val state: StateFlow<SyncRun> = run.asStateFlow()

    /** Counts local writes, so a sync bar re-reads its pending count after each. */
    val writes: StateFlow<Long> = changed.asStateFlow()

    internal fun wrote() {
        changed.value++
    }

    /**
     * Runs one sync (waiting for one already running) and emits its progress, then
     * [SyncEvent.Done]. Progress arrives on the library's thread and is handed to the flow's
     * collector; a failure ends the flow with a [DoorstepFailure]. A collector that stops
     * collecting cancels the sync in the core too: it stops at its next request, keeping
     * what it had committed.
     */
    fun sync(): Flow<SyncEvent> = callbackFlow {
        val listener = object : FfiProgress {
            override fun progress(stage: FfiStage, done: ULong, total: ULong) {
                val p = SyncProgress(SyncStage.valueOf(stage.name), done.toLong(), total.toLong())
                run.value = SyncRun.Running(p)
                trySend(SyncEvent.Progress(p))
            }
        }
        val cancel = CancelHandle()
        val job = launch {
            one.withLock {
                run.value = SyncRun.Running(null)
                try {
                    val r = s.call { it.sync(listener, cancel) }
                    val summary = SyncSummary(
                        r.pulled.toLong(), r.pushed.toLong(), r.accepted.toLong(), r.rejected.toLong(),
                        r.conflicts.toLong(), r.pending.toLong(),
                    )
                    run.value = SyncRun.Finished(summary, System.currentTimeMillis())
                    send(SyncEvent.Done(summary))
                    close()
                } catch (f: DoorstepFailure) {
                    run.value = SyncRun.Failed(f)
                    close(f)
                } finally {
                    // Cancelled (the collector went away): the core's sync stops at its next
                    // request, and no screen may go on showing it as running.
                    if (run.value is SyncRun.Running) run.value = SyncRun.Idle
                }
            }
        }
        awaitClose {
            cancel.cancel()
            job.cancel()
        }
    }

    /** Runs one sync to its end and returns what it did. */
    suspend fun syncNow(): SyncSummary {
        var done: SyncSummary? = null
        sync().collect { if (it is SyncEvent.Done) done = it.summary }
        return checkNotNull(done) { "a sync flow ends with Done or a failure" }
    }

    /** Pending changes, last sync, refused changes and conflicts, read from the store. */
    suspend fun status(): SyncStatus = s.call { d ->
        SyncStatus(
            pending = d.pendingOpCount().toLong(),
            lastSyncAtMs = d.lastSyncAt(),
            refused = d.rejectedOps().map { RefusedChange(it.opId, it.entity, it.code, it.reason) },
            conflicts = d.conflicts(false).map { ConflictToReview(it.id, it.entity, it.field, it.kept, it.lost) },
        )
    }

    /** Sends every refused change again at the next sync. */
    suspend fun retryRefused() = s.call { d -> d.rejectedOps().forEach { d.retryRejected(it.opId) } }

    /** Marks a conflict as seen. */
    suspend fun reviewed(conflictId: Long) = s.call { it.markConflictReviewed(conflictId) }
}
