package org.doorstep.desktop

import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.SemanticsNodeInteraction
import androidx.compose.ui.test.hasTestTag
import androidx.compose.ui.test.hasText
import androidx.compose.ui.test.junit4.ComposeContentTestRule
import androidx.compose.ui.test.onNodeWithTag
import androidx.compose.ui.test.performClick
import androidx.compose.ui.test.performScrollTo
import androidx.compose.ui.test.performTextReplacement
import org.doorstep.sdk.DoorstepServices
import org.doorstep.sdk.SyncRun

/** The station and its codes as tests/with-server.sh gives them. */
object TestStation {
    val server: String = System.getenv("DOORSTEP_TEST_SERVER") ?: error("run through tests/with-server.sh")
    val codes: List<String> = System.getenv("DOORSTEP_TEST_CODES").orEmpty().split(",")

    /** The dashboard, logged in as the suite's admin. */
    fun dashboard(): Dashboard {
        val (name, password) = System.getenv("DOORSTEP_TEST_ADMIN").split(":")
        return Dashboard(server, name, password)
    }
}

/** Waits (20 s at most) for a node with [tag] and/or holding [text], and returns it. */
@OptIn(ExperimentalTestApi::class)
fun ComposeContentTestRule.waitFor(tag: String? = null, text: String? = null, ms: Long = 20_000): SemanticsNodeInteraction {
    val m = listOfNotNull(tag?.let { hasTestTag(it) }, text?.let { hasText(it, substring = true) }).reduce { a, b -> a and b }
    waitUntilAtLeastOneExists(m, ms)
    return onNode(m)
}

/** Clicks the node tagged [tag], scrolling it into view first where it sits in a scroll. */
fun ComposeContentTestRule.tap(tag: String) {
    val n = onNodeWithTag(tag)
    runCatching { n.performScrollTo() }
    n.performClick()
}

/** First run: types the station's address and [code], enrols, and waits for home. */
fun ComposeContentTestRule.enrolWith(code: String) {
    waitFor("server").performTextReplacement(TestStation.server)
    onNodeWithTag("code").performTextReplacement(code.lowercase())
    tap("enrol")
    waitFor("syncbar")
}

/**
 * Taps "sync now" (once a sync already running has ended) and waits for a sync that ended
 * after the tap, with nothing left to send.
 */
fun ComposeContentTestRule.syncAll(sv: DoorstepServices) {
    waitUntil(30_000) { sv.sync.state.value !is SyncRun.Running }
    waitForIdle()
    val tapped = System.currentTimeMillis()
    tap("syncnow")
    waitUntil(30_000) { (sv.sync.state.value as? SyncRun.Finished)?.let { it.atMs >= tapped } ?: false }
    waitFor("syncline", "All synced", 30_000)
}

/** Polls [read] (every 250 ms, 30 s at most) until [ok] holds; returns the last value. */
fun <T> pollUntil(read: () -> T, ok: (T) -> Boolean): T {
    val deadline = System.currentTimeMillis() + 30_000
    var v = read()
    while (!ok(v) && System.currentTimeMillis() < deadline) {
        Thread.sleep(250)
        v = read()
    }
    return v
}
