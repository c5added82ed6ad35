package org.doorstep.platform

import android.util.Log
import org.doorstep.core.LogLevel
import org.junit.Assert.assertEquals
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.shadows.ShadowLog

/** Core's lines reach Logcat with their level and target. */
@RunWith(RobolectricTestRunner::class)
class LogcatLogTest {
    @Test
    fun eachLevelGoesToItsLogcatPriorityUnderTheDoorstepTag() {
        ShadowLog.clear()
        LogcatLog.line(LogLevel.WARN, "doorstep::sync", "request failed, retrying attempt=2")
        LogcatLog.line(LogLevel.TRACE, "doorstep::store", "page")
        val lines = ShadowLog.getLogsForTag(LogcatLog.TAG)
        assertEquals(listOf(Log.WARN, Log.VERBOSE), lines.map { it.type })
        assertEquals("doorstep::sync: request failed, retrying attempt=2", lines[0].msg)
    }
}
