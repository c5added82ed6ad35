package org.doorstep

import java.io.File
import org.doorstep.core.Doorstep
import org.doorstep.sdk.DoorstepStore
import org.doorstep.core.DoorstepException
import org.doorstep.core.model.NewHousehold
import org.doorstep.core.model.NewResident
import org.doorstep.core.model.ScanOutcome
import org.doorstep.core.model.Sex
import org.doorstep.core.model.SheetFilter
import org.doorstep.core.model.Tag
import org.doorstep.core.model.TubeResult
import org.doorstep.core.model.TubeStatus
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir

/** A testing site's hour: issue -> render -> decode -> scan -> duplicate; a pooled tube. */
class CheckinTest {
    @TempDir
    lateinit var dir: File

    private val key = ByteArray(32) { it.toByte() }
    private val site = "丽岛社区核酸点"
    private val dayMs = 86_400_000L

    @Test
    fun issueRenderScanAndPool() {
        val station = DoorstepStore.open(dir, key)
        val grid = station.ensureArea("武昌区/中南路街道/丽岛社区/第1网格")
        val b3 = station.createBuilding(grid.id, "3栋")
        val home = station.createHousehold(NewHousehold(grid.id, b3.id, "丽岛花园", "201", null))
        val zhang = station.createResident(NewResident(home.id, "张伟", Sex.MALE, 1980, null, listOf(), null))
        val wang = station.createResident(
            NewResident(home.id, "王秀英", Sex.FEMALE, 1941, null, listOf(Tag.ElderlyAlone), null)
        )
        val signing = station.newSigningKey()
        val from = System.currentTimeMillis() - 3_600_000
        val pass = station.issuePass(zhang.id, from, from + 7 * dayMs)
        assertEquals(145, pass.text.length)

        // The marshal's phone holds only the public key.
        val marshalDir = File(dir, "marshal").apply { mkdirs() }
        val marshal = DoorstepStore.open(marshalDir, key)
        assertEquals("B", marshal.setQueuePrefix("B"))
        marshal.trustKey(signing.publicKey, signing.validFromMs)
        assertThrows<DoorstepException.Conflict> { marshal.issuePass(zhang.id, from, from + dayMs) }

        val png = station.passPng(pass.text, 8u)
        val read = marshal.decodeQrImage(png)
        assertEquals(pass.text, read)
        assertEquals(ScanOutcome.Admitted("B-001", "1"), marshal.scan(read, site, "1"))
        val again = marshal.scan(read, site, "1")
        assertTrue(again is ScanOutcome.Duplicate)
        assertEquals("B-001", (again as ScanOutcome.Duplicate).queueNo)
        val unreadable = marshal.scan("WIFI:S:guest;;", site, "1")
        assertTrue(unreadable is ScanOutcome.Unreadable)
        assertEquals(3, marshal.checkIns(site, marshal.checkinDay()).size)

        // A pooled tube of two: the elderly resident goes to the priority lane.
        val elder = station.issuePass(wang.id, from, from + 7 * dayMs)
        val tube = station.openTube("T-0001", site, 2u)
        assertTrue(station.tubeScan(tube.id, pass.text, "1").added)
        val priority = station.tubeScan(tube.id, elder.text, "1")
        assertTrue(priority.outcome is ScanOutcome.Priority)
        assertEquals(2u, priority.tube.members)
        assertThrows<DoorstepException.Conflict> { station.tubeScan(tube.id, elder.text, "1") }
        assertEquals(TubeStatus.SEALED, station.sealTube(tube.id).status)
        station.setTubeResult(tube.id, TubeResult.POSITIVE)
        val recall = station.tubeRecall(tube.id)
        assertEquals(setOf("张伟", "王秀英"), recall.map { it.resident?.name }.toSet())
        assertTrue(recall.all { it.household?.unit == "201" })

        val sheet = station.passSheet(SheetFilter(null, b3.id, null), from, from + dayMs)
        assertEquals(2, sheet.passes.size)
        assertEquals("%PDF-", String(sheet.pdf.copyOfRange(0, 5)))
        assertFalse(sheet.passes.any { it.text == pass.text })
        station.destroy()
        marshal.destroy()
    }
}
