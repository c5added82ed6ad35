package org.doorstep.desktop

import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.SemanticsNodeInteraction
import androidx.compose.ui.test.hasTestTag
import androidx.compose.ui.test.hasText
import androidx.compose.ui.test.junit4.createComposeRule
import androidx.compose.ui.test.onNodeWithTag
import androidx.compose.ui.test.performClick
import androidx.compose.ui.test.performScrollTo
import androidx.compose.ui.test.performTextReplacement
import kotlinx.coroutines.runBlocking
import org.doorstep.app.AppGraph
import org.doorstep.app.DoorstepApp
import org.doorstep.app.Language
import org.doorstep.sdk.DoorstepServices
import org.doorstep.sdk.DoorstepStore
import org.doorstep.sdk.KeyProvider
import org.junit.After
import org.junit.Assert.assertTrue
import org.junit.Rule
import org.junit.Test
import org.junit.rules.TemporaryFolder
import org.doorstep.core.model.NewHousehold
import org.doorstep.core.model.NewResident
import org.doorstep.core.model.Sex
import org.doorstep.core.model.Tag
import java.io.File

/**
 * The social worker's day, end to end through the Compose UI against a real station
 * (tests/with-server.sh): the station's phone puts a resident in the grid; the worker's
 * phone enrols, syncs, sees her due, visits her, raises a need, refers it and syncs; then
 * the dashboard shows the visit, the need and the referral.
 */
@OptIn(ExperimentalTestApi::class)
class SocialWorkersDayTest {
    @get:Rule
    val compose = createComposeRule()

    @get:Rule
    val tmp = TemporaryFolder()

    private val server = System.getenv("DOORSTEP_TEST_SERVER") ?: error("run through tests/with-server.sh")
    private val codes = System.getenv("DOORSTEP_TEST_CODES").orEmpty().split(",")
    private val key = ByteArray(32) { 3 }
    private var services: DoorstepServices? = null

    @After
    fun close() {
        services?.close()
    }

    private fun waitFor(tag: String? = null, text: String? = null, ms: Long = 20_000): SemanticsNodeInteraction {
        val m = listOfNotNull(tag?.let { hasTestTag(it) }, text?.let { hasText(it, substring = true) }).reduce { a, b -> a and b }
        compose.waitUntilAtLeastOneExists(m, ms)
        return compose.onNode(m, useUnmergedTree = false)
    }

    /** Clicks the node tagged [tag], scrolling it into view first where it sits in a scroll. */
    private fun tap(tag: String) {
        val n = compose.onNodeWithTag(tag)
        runCatching { n.performScrollTo() }
        n.performClick()
    }

    @Test
    fun enrolVisitReferSyncAndTheDashboardShowsIt() {
        // The station (admin2's phone) puts an elderly resident living alone in grid 1.
        val grid = "武昌区/中南路街道/丽岛社区/第1网格"
        DoorstepStore.open(tmp.newFolder("station"), key).use { st ->
            runBlocking { st.enrol(server, codes[5]) }
            val area = st.ensureArea(grid)
            val h = st.createHousehold(NewHousehold(area.id, null, "丽岛花园8栋", "602", null))
            st.createResident(NewResident(h.id, "周桂兰", Sex.FEMALE, 1941, null, listOf(Tag.ElderlyAlone), null))
            runBlocking { st.sync(null) }
        }

        val sv = runBlocking { DoorstepServices.open(File(tmp.root, "phone"), KeyProvider { key }) }.also { services = it }
        val graph = AppGraph(sv, "", Language.EN)
        compose.setContent { DoorstepApp(graph) }

        // First run: the address and the code, typed.
        waitFor("server").performTextReplacement(server)
        compose.onNodeWithTag("code").performTextReplacement(codes[4].lowercase())
        tap("enrol")
        waitFor("syncbar")

        // The first sync brings her in; she is due as a vulnerable resident never visited.
        tap("syncnow")
        waitFor("syncline", "All synced")
        tap("refresh")
        waitFor(text = "周桂兰").performClick()

        // Her household, then a visit with her checklist.
        waitFor("visit-周桂兰").performClick()
        waitFor("q-seen_safe")
        for (tag in listOf("seen_safe=yes", "health=fair", "self_care=partly", "caregiver=none", "chronic_meds=yes")) tap(tag)
        waitFor("input-drug").performScrollTo().performTextReplacement("胰岛素")
        compose.onNodeWithTag("input-drug_days_left").performScrollTo().performTextReplacement("2")
        for (tag in listOf("supplies_ok=yes", "mood=calm")) {
            waitFor(tag)
            tap(tag)
        }
        tap("finish")

        // Two days of insulin and nobody to look after her: the core raises two needs. The
        // medicine need is referred to a hospital; the other stays open.
        waitFor("raised-NO_CAREGIVER")
        waitFor("raised-MEDICINE").performScrollTo()
        compose.onNode(hasTestTag("raised-MEDICINE")).assertExists()
        compose.onNode(hasText("Need ›") and hasAnyAncestorTag("raised-MEDICINE")).performScrollTo().performClick()
        waitFor("need-status")
        tap("target-HOSPITAL")
        compose.onNodeWithTag("target-name").performScrollTo().performTextReplacement("中南医院")
        tap("refer")
        waitFor("referral", "中南医院")
        waitFor("need-status", "Referred")

        // Back home and sync: nothing left to send.
        compose.onNode(hasText("‹ Back")).performClick()
        waitFor("resident-周桂兰")
        compose.onNode(hasText("‹ Back")).performClick()
        tap("syncnow")
        waitFor("syncline", "All synced")
        assertTrue(runBlocking { sv.sync.status() }.pending == 0L)

        // The station's dashboard shows the visit, the need and the referral.
        val (name, password) = System.getenv("DOORSTEP_TEST_ADMIN").split(":")
        val dash = Dashboard(server, name, password)
        // The station pulls what phones pushed every two seconds: give it a few rounds.
        val visitsToday = Regex("id=\"visits-today\">(\\d+)<")
        var visits: Int? = null
        val deadline = System.currentTimeMillis() + 30_000
        while ((visits ?: 0) < 1 && System.currentTimeMillis() < deadline) {
            if (visits != null) Thread.sleep(250)
            visits = visitsToday.find(dash.page("/"))?.groupValues?.get(1)?.toInt() ?: 0
        }
        assertTrue("visits today on the overview: $visits", (visits ?: 0) >= 1)
        val area = dash.page("/area")
        val board = area.substringAfter("id=\"needs\"").substringBefore("</table>")
        assertTrue("the open need is on the needs board: $board", board.contains("No caregiver"))
        val referrals = area.substringAfter("id=\"referrals\"").substringBefore("</table>")
        assertTrue("the referral is listed: $referrals", referrals.contains("中南医院") && referrals.contains("Medicine"))
    }
}

private fun hasAnyAncestorTag(tag: String) = androidx.compose.ui.test.hasAnyAncestor(hasTestTag(tag))
