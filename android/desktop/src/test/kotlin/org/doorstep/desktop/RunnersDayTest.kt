package org.doorstep.desktop

import androidx.compose.ui.geometry.Offset
import androidx.compose.ui.test.hasText
import androidx.compose.ui.test.junit4.createComposeRule
import androidx.compose.ui.test.onNodeWithTag
import androidx.compose.ui.test.performClick
import androidx.compose.ui.test.performScrollTo
import androidx.compose.ui.test.performTextReplacement
import androidx.compose.ui.test.performTouchInput
import kotlinx.coroutines.runBlocking
import org.doorstep.app.AppGraph
import org.doorstep.app.DoorstepApp
import org.doorstep.app.Language
import org.doorstep.core.model.HandoffInput
import org.doorstep.core.model.ItemLine
import org.doorstep.core.model.NewHousehold
import org.doorstep.core.model.NewRequest
import org.doorstep.core.model.PackageStatus
import org.doorstep.core.model.RequestSource
import org.doorstep.core.model.StockMoveKind
import org.doorstep.core.model.Urgency
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

/**
 * The runner's round, end to end through the Compose UI against a real station
 * (tests/with-server.sh): the station's phone packs three packages and sends them out with
 * runner2; the runner's phone enrols, syncs, delivers one with the household's PIN and one
 * with a signature drawn on the pad, finds nobody home at the third, and syncs; then the
 * dashboard's deliveries page shows the two delivered and the one failed.
 */
class RunnersDayTest {
    @get:Rule
    val compose = createComposeRule()

    @get:Rule
    val tmp = TemporaryFolder()

    private val key = ByteArray(32) { 6 }
    private var services: DoorstepServices? = null

    @After
    fun close() {
        services?.close()
    }

    private data class Out(val packageId: String, val pin: String)

    /** The deliveries page's figure with [id] (a card of today's counts). */
    private fun Dashboard.figure(id: String): Int =
        Regex("id=\"$id\">(\\d+)<").find(page("/deliveries"))?.groupValues?.get(1)?.toInt() ?: error("no #$id on the deliveries page")

    @Test
    fun enrolDeliverWithPinAndSignatureFailOneSyncAndTheDashboardShowsAllThree() {
        val grid = "武昌区/中南路街道/丽岛社区/第1网格"
        val dash = TestStation.dashboard()
        val deliveredBefore = dash.figure("delivered-today")
        val failedBefore = dash.figure("failed-today")

        // The station (admin4's phone): three households' packages, packed and out with runner2.
        val out = ArrayList<Out>()
        DoorstepStore.open(tmp.newFolder("station"), key).use { st ->
            runBlocking { st.enrol(TestStation.server, TestStation.codes[9]) }
            val area = st.ensureArea(grid)
            st.receiveStock(ItemLine(item = "rice", quantity = 30L), StockMoveKind.DONATION, "红十字会", null)
            st.receiveStock(ItemLine(item = "cooking_oil", quantity = 10L), StockMoveKind.DONATION, "红十字会", null)
            for (unit in listOf("1-101", "1-102", "1-103")) {
                val h = st.createHousehold(NewHousehold(area.id, null, "丽岛花园12栋", unit, null))
                val req = st.createRequest(
                    NewRequest(
                        householdId = h.id, source = RequestSource.Manual,
                        items = listOf(ItemLine(item = "rice", quantity = 5L), ItemLine(item = "cooking_oil", quantity = 1L)),
                        urgency = Urgency.NORMAL, notes = null,
                    ),
                )
                val pkg = st.newPackage(req.request.id, null)
                st.handoff(pkg.id, HandoffInput(toStatus = PackageStatus.PACKED))
                st.handoff(pkg.id, HandoffInput(toStatus = PackageStatus.OUT_FOR_DELIVERY, to = "runner2"))
                out += Out(pkg.id, req.pin)
            }
            runBlocking { st.sync(null) }
        }

        val sv = runBlocking { DoorstepServices.open(File(tmp.root, "runner"), KeyProvider { key }) }.also { services = it }
        compose.setContent { DoorstepApp(AppGraph(sv, "", Language.EN)) }
        compose.enrolWith(TestStation.codes[7])
        compose.syncAll(sv)
        compose.tap("runner-refresh")
        out.forEach { compose.waitFor("package-${it.packageId}") }

        // 1-101: the household's PIN.
        compose.tap("package-${out[0].packageId}")
        compose.waitFor("pin").performScrollTo().performTextReplacement(out[0].pin)
        compose.tap("deliver")
        compose.waitFor("package-status", "delivered")
        back()

        // 1-102: a signature, two strokes drawn on the pad.
        compose.waitFor("package-${out[1].packageId}")
        compose.tap("package-${out[1].packageId}")
        compose.waitFor("way-SIGNATURE")
        compose.tap("way-SIGNATURE")
        val pad = compose.waitFor("signature-pad").performScrollTo()
        pad.performTouchInput {
            down(Offset(40f, 60f))
            listOf(Offset(90f, 120f), Offset(150f, 50f), Offset(220f, 130f), Offset(300f, 70f)).forEach { moveTo(it) }
            up()
        }
        pad.performTouchInput {
            down(Offset(60f, 150f))
            listOf(Offset(160f, 145f), Offset(280f, 150f)).forEach { moveTo(it) }
            up()
        }
        compose.tap("deliver")
        compose.waitFor("package-status", "delivered")
        compose.waitFor("pending-uploads", "1 photos or signatures to upload")
        back()

        // 1-103: nobody home.
        compose.waitFor("package-${out[2].packageId}")
        compose.tap("package-${out[2].packageId}")
        compose.waitFor("handoff-note").performScrollTo().performTextReplacement("敲门无人应，电话未接")
        compose.tap("fail-NOBODY_HOME")
        compose.waitFor("package-status", "Nobody home")
        back()

        // The failed package is to go back to the station; the delivered ones are off the list.
        compose.tap("runner-refresh")
        compose.waitFor("package-${out[2].packageId}")
        compose.waitUntil(10_000) { compose.onAllNodes(androidx.compose.ui.test.hasTestTag("package-${out[0].packageId}")).fetchSemanticsNodes().isEmpty() }

        compose.syncAll(sv)
        val status = runBlocking { sv.sync.status() }
        assertEquals(0L, status.pending)
        assertTrue("the signature went up with the sync", runBlocking { sv.deliveries.pendingBlobs() }.isEmpty())

        // The dashboard: two delivered today and one failed, nobody home.
        pollUntil({ dash.figure("delivered-today") to dash.figure("failed-today") }) { (d, f) -> d >= deliveredBefore + 2 && f >= failedBefore + 1 }
        assertEquals(deliveredBefore + 2, dash.figure("delivered-today"))
        assertEquals(failedBefore + 1, dash.figure("failed-today"))
        val failures = dash.page("/deliveries").substringAfter("id=\"failures\"").substringBefore("</table>")
        assertTrue("nobody home is among today's failures: $failures", Regex("data-code=\"nobody_home\"><td>[^<]*</td><td class=\"num\">[1-9]").containsMatchIn(failures))
    }

    private fun back() {
        compose.onNode(hasText("‹ Back")).performClick()
        compose.waitFor("runner-refresh")
    }
}
