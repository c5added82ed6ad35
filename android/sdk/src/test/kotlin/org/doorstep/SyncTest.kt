package org.doorstep

import java.io.File
import java.util.Collections
import kotlinx.coroutines.runBlocking
import org.doorstep.core.CancelHandle
import org.doorstep.core.Doorstep
import org.doorstep.core.DoorstepException
import org.doorstep.core.SyncProgress
import org.doorstep.core.model.HandoffInput
import org.doorstep.core.model.ItemLine
import org.doorstep.core.model.NewHousehold
import org.doorstep.core.model.NewRequest
import org.doorstep.core.model.NewResident
import org.doorstep.core.model.PackageStatus
import org.doorstep.core.model.Proof
import org.doorstep.core.model.RequestSource
import org.doorstep.core.model.Role
import org.doorstep.core.model.Sex
import org.doorstep.core.model.SignaturePoint
import org.doorstep.core.model.SignatureStroke
import org.doorstep.core.model.StockMoveKind
import org.doorstep.core.model.SyncStage
import org.doorstep.core.model.Urgency
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir

/**
 * Sync through the Kotlin bindings against a real station server (started by
 * tests/with-server.sh, which tests/kotlin/run.sh calls): phones enrol with one-time codes,
 * write, sync with `suspend fun sync`, and another phone sees what they wrote.
 */
class SyncTest {
    @TempDir
    lateinit var dir: File

    private val key = ByteArray(32) { it.toByte() }
    private val grid = "武昌区/中南路街道/丽岛社区/第1网格"

    private val server: String =
        System.getenv("DOORSTEP_TEST_SERVER")
            ?: error("DOORSTEP_TEST_SERVER is not set: run through tests/with-server.sh (tests/kotlin/run.sh does)")

    /** worker1, worker2, admin, runner1: see tests/with-server.sh. */
    private val codes: List<String> = System.getenv("DOORSTEP_TEST_CODES").orEmpty().split(",")

    private fun open(name: String) = Doorstep.open(File(dir, "$name.db").path, key)

    /** Every progress call, in order; called from the library's threads. */
    class Recorder : SyncProgress {
        val seen: MutableList<Triple<SyncStage, ULong, ULong>> = Collections.synchronizedList(mutableListOf())

        override fun progress(stage: SyncStage, done: ULong, total: ULong) {
            seen.add(Triple(stage, done, total))
        }
    }

    @Test
    fun twoPhonesSyncThroughTheServer() = runBlocking {
        val a = open("a")
        val b = open("b")
        val ea = a.enrol(server, codes[0])
        assertEquals(Role.SOCIAL_WORKER, ea.role)
        assertEquals(listOf(grid), ea.areas)
        assertEquals("worker1", ea.user)
        b.enrol(server, codes[1])

        val area = a.ensureArea(grid)
        val h = a.createHousehold(NewHousehold(area.id, null, "丽岛花园5栋", "302", null))
        a.createResident(NewResident(h.id, "李秀兰", Sex.FEMALE, 1946, null, listOf(), null))
        val pending = a.pendingOpCount()
        assertTrue(pending >= 6uL, "areas, household and resident: $pending")

        val progress = Recorder()
        val report = a.sync(progress)
        assertEquals(0uL, report.rejected)
        assertEquals(0uL, report.pending)
        assertEquals(pending, report.accepted)
        val pushes = progress.seen.filter { it.first == SyncStage.PUSH }
        assertEquals(Triple(SyncStage.PUSH, pending, pending), pushes.last())
        assertEquals(SyncStage.DONE, progress.seen.last().first)

        // Cancelled at its first progress report: Cancelled at its next request; the next
        // sync does the whole job.
        val cancel = CancelHandle()
        val cancelFirst = object : SyncProgress {
            override fun progress(stage: SyncStage, done: ULong, total: ULong) = cancel.cancel()
        }
        assertThrows<DoorstepException.Cancelled> { runBlocking { b.sync(cancelFirst, cancel) } }
        assertTrue(cancel.isCancelled())

        // What the cancelled sync had applied stays: together they hold all a wrote.
        assertEquals(0uL, b.sync(null).pending)
        assertEquals(listOf("李秀兰"), b.residentsOf(h.id).map { it.name })
        assertEquals(listOf<Any>(), b.conflicts(false))
    }

    @Test
    fun aSignatureGoesUpAndARunnerFetchesIt() = runBlocking {
        val station = open("station")
        assertEquals(Role.STATION_ADMIN, station.enrol(server, codes[2]).role)
        val runner = open("runner")
        assertEquals(Role.RUNNER, runner.enrol(server, codes[3]).role)

        val area = station.ensureArea(grid)
        val h = station.createHousehold(NewHousehold(area.id, null, "丽岛花园6栋", "101", null))
        val rice = ItemLine(item = "rice", name = null, dose = null, quantity = 2)
        station.receiveStock(rice, StockMoveKind.DONATION, "红十字会", null)
        val req = station.createRequest(
            NewRequest(householdId = h.id, source = RequestSource.Manual, items = listOf(rice), urgency = Urgency.NORMAL, notes = null)
        )
        val pkg = station.newPackage(req.request.id, null)
        station.handoff(pkg.id, HandoffInput(toStatus = PackageStatus.PACKED))
        station.handoff(pkg.id, HandoffInput(toStatus = PackageStatus.OUT_FOR_DELIVERY, to = "runner1"))
        val stroke = SignatureStroke(listOf(SignaturePoint(20f, 100f), SignaturePoint(380f, 120f)))
        val sig = Proof.Signature(400u, 200u, listOf(stroke))
        val done = station.handoff(pkg.id, HandoffInput(toStatus = PackageStatus.DELIVERED, proof = sig))
        val hash = done.proof!!
        assertEquals(listOf(hash), station.pendingBlobs(10u))

        val progress = Recorder()
        val up = station.sync(progress)
        assertEquals(0uL, up.rejected)
        assertEquals(1uL, up.blobsUploaded)
        assertTrue(Triple(SyncStage.BLOBS, 1uL, 1uL) in progress.seen, "${progress.seen}")
        assertEquals(listOf<String>(), station.pendingBlobs(10u))

        val down = runner.sync(null)
        assertEquals(1uL, down.blobsDownloaded)
        assertEquals(PackageStatus.DELIVERED, runner.`package`(pkg.id).status)
        assertArrayEquals(station.blob(hash).bytes, runner.blob(hash).bytes)
        assertEquals("image/png", runner.blob(hash).mime)
    }

    @Test
    fun anUnknownCodeIsRefused() = runBlocking {
        val c = open("c")
        val e = assertThrows<DoorstepException.Unauthorized> {
            runBlocking { c.enrol(server, "NOPEN-NOPEN") }
        }
        assertTrue(e.message!!.contains("enrolment_code_unknown"), e.message)
        assertEquals(null, c.enrolment())
        assertThrows<DoorstepException.Invalid> { runBlocking { c.sync(null) } }
        Unit
    }
}
