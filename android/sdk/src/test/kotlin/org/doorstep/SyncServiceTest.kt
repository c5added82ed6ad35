package org.doorstep

import java.io.File
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.doorstep.sdk.DoorstepServices
import org.doorstep.sdk.FileKeyProvider
import org.doorstep.sdk.SyncRun
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir

/**
 * The sync service against a real station (tests/with-server.sh): a sync whose collector
 * goes away (a screen left mid-sync) is cancelled in the core and leaves no screen
 * showing it as running, and the next sync runs.
 */
class SyncServiceTest {
    @TempDir
    lateinit var dir: File

    private val server: String =
        System.getenv("DOORSTEP_TEST_SERVER")
            ?: error("DOORSTEP_TEST_SERVER is not set: run through tests/with-server.sh (tests/kotlin/run.sh does)")

    /** worker4: see tests/with-server.sh. */
    private val code: String = System.getenv("DOORSTEP_TEST_CODES").orEmpty().split(",")[10]

    @Test
    fun aSyncWhoseCollectorGoesAwayIsNotLeftRunning() = runBlocking {
        val services = DoorstepServices.open(dir, FileKeyProvider(File(dir, "store.key")))
        services.enrolment.enrol(server, code)
        val collecting = launch { services.sync.sync().collect {} }
        services.sync.state.first { it is SyncRun.Running }
        collecting.cancel()
        val after = withTimeout(10_000) { services.sync.state.first { it !is SyncRun.Running } }
        assertTrue(after is SyncRun.Idle || after is SyncRun.Finished, "$after")
        // The next sync runs to its end.
        val summary = services.sync.syncNow()
        assertEquals(0L, summary.pending)
        assertTrue(services.sync.state.value is SyncRun.Finished)
    }
}
