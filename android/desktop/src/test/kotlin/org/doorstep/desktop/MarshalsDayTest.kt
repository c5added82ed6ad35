package org.doorstep.desktop

import androidx.compose.ui.test.junit4.createComposeRule
import androidx.compose.ui.test.onNodeWithTag
import androidx.compose.ui.test.performTextReplacement
import kotlinx.coroutines.runBlocking
import org.doorstep.app.AppGraph
import org.doorstep.app.DoorstepApp
import org.doorstep.app.Language
import org.doorstep.core.model.NewHousehold
import org.doorstep.core.model.NewResident
import org.doorstep.core.model.Sex
import org.doorstep.core.model.Tag
import org.doorstep.sdk.DoorstepServices
import org.doorstep.sdk.DoorstepStore
import org.doorstep.sdk.KeyProvider
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Rule
import org.junit.Test
import org.junit.rules.TemporaryFolder
import java.io.File
import java.util.ArrayDeque

/**
 * The marshal's hour, end to end through the Compose UI against a real station
 * (tests/with-server.sh): the station's phone issues passes with its signing key; the
 * marshal's phone enrols, syncs the trust list, scans passes from pictures the core
 * rendered (the desktop's camera: `scan_image`) and passes typed in, and syncs; then the
 * dashboard's check-in page counts them per site and lane.
 */
class MarshalsDayTest {
    @get:Rule
    val compose = createComposeRule()

    @get:Rule
    val tmp = TemporaryFolder()

    private val key = ByteArray(32) { 5 }
    private var services: DoorstepServices? = null

    @After
    fun close() {
        services?.close()
    }

    @Test
    fun enrolScanPicturesAndTypedPassesSyncAndTheDashboardCountsThem() {
        val grid = "武昌区/中南路街道/丽岛社区/第1网格"
        val site = "丽岛社区核酸点（UI）"
        // The station (admin3's phone): six residents and an elder, a pass each, signed with
        // a key the marshal's phone learns by sync.
        val passes = ArrayList<String>()
        val pictures = ArrayDeque<ByteArray>()
        lateinit var elder: String
        DoorstepStore.open(tmp.newFolder("station"), key).use { st ->
            runBlocking { st.enrol(TestStation.server, TestStation.codes[8]) }
            st.newSigningKey()
            val area = st.ensureArea(grid)
            val h = st.createHousehold(NewHousehold(area.id, null, "丽岛花园9栋", "301", null))
            val now = System.currentTimeMillis()
            for (i in 1..6) {
                val r = st.createResident(NewResident(h.id, "核酸$i", Sex.MALE, 1990, null, emptyList(), null))
                passes += st.issuePass(r.id, now - 3_600_000, now + 86_400_000).text
            }
            val old = st.createResident(NewResident(h.id, "刘阿婆", Sex.FEMALE, 1938, null, listOf(Tag.ElderlyAlone), null))
            elder = st.issuePass(old.id, now - 3_600_000, now + 86_400_000).text
            // Four passes and the elder's as pictures; the same picture twice is a duplicate.
            (passes.take(4) + elder + passes[0]).forEach { pictures.add(st.passPng(it, 6u)) }
            runBlocking { st.sync(null) }
        }

        val sv = runBlocking { DoorstepServices.open(File(tmp.root, "marshal"), KeyProvider { key }) }.also { services = it }
        // The desktop's camera: the next picture in the batch, as the file chooser would give it.
        val graph = AppGraph(sv, "", Language.EN, pickImage = { synchronized(pictures) { pictures.poll() } })
        compose.setContent { DoorstepApp(graph) }

        compose.enrolWith(TestStation.codes[6])
        compose.syncAll(sv)

        // Set-up: site, lane, and a tap after each person.
        compose.waitFor("site").performTextReplacement(site)
        compose.onNodeWithTag("lane").performTextReplacement("2")
        compose.tap("pause-0")
        compose.tap("begin")
        compose.waitFor("today", "Today: 0 scans")

        // The pictures: four admitted, the elder to the priority lane, then a duplicate.
        val titles = listOf("Admitted", "Admitted", "Admitted", "Admitted", "Priority", "Already scanned")
        titles.forEachIndexed { i, title ->
            if (i > 0) compose.tap("next")
            compose.tap("pick-image")
            compose.waitFor("today", "Today: ${i + 1} scans")
            val shown = compose.outcomeTitle()
            assertTrue("picture ${i + 1}: $shown", shown.startsWith(title))
        }
        assertTrue("every picture was read", pictures.isEmpty())

        // Two passes typed in by hand (a damaged code), and one that is not a pass.
        for ((n, text) in listOf(7 to passes[4], 8 to passes[5], 9 to "HG-damaged")) {
            compose.tap("next")
            compose.waitFor("manual").performTextReplacement(text)
            compose.tap("manual-submit")
            compose.waitFor("today", "Today: $n scans")
        }
        assertEquals("Not a pass", compose.outcomeTitle())
        compose.waitFor("today", "Today: 9 scans, 7 admitted")
        assertEquals(9L, runBlocking { sv.sync.status() }.pending)

        compose.syncAll(sv)
        assertEquals(0L, runBlocking { sv.sync.status() }.pending)

        // The dashboard's check-in page: admissions per site and lane (the station pulls
        // what phones pushed every two seconds).
        val dash = TestStation.dashboard()
        val lanes = Regex("<tr><td>([^<]*)</td><td>([^<]*)</td><td class=\"num\">(\\d+)</td></tr>")
        fun counts(): Map<String, Int> {
            val table = dash.page("/checkin").substringAfter("id=\"lanes\"").substringBefore("</table>")
            return lanes.findAll(table).filter { it.groupValues[1] == site }.associate { it.groupValues[2] to it.groupValues[3].toInt() }
        }
        val seen = pollUntil(::counts) { it.values.sum() >= 7 }
        assertEquals(mapOf("2" to 6, "priority" to 1), seen)
    }

    /** The big words of the outcome card on screen. */
    private fun androidx.compose.ui.test.junit4.ComposeContentTestRule.outcomeTitle(): String =
        onNodeWithTag("outcome-title", useUnmergedTree = true).fetchSemanticsNode().config[androidx.compose.ui.semantics.SemanticsProperties.Text].joinToString()
}
