package org.doorstep

import java.io.File
import java.util.Collections
import org.doorstep.core.LogLevel
import org.doorstep.sdk.CoreLog
import org.doorstep.sdk.DoorstepFailure
import org.doorstep.sdk.DoorstepStore
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir

/** Core's log lines reach the app's sink, set once per process. */
class CoreLogTest {
    @TempDir
    lateinit var dir: File

    @Test
    fun coreLinesReachTheSinkAndASecondSinkIsRefused() {
        val lines = Collections.synchronizedList(mutableListOf<Triple<LogLevel, String, String>>())
        CoreLog.install(LogLevel.DEBUG) { level, target, message -> lines.add(Triple(level, target, message)) }
        assertThrows<DoorstepFailure.Invalid> { CoreLog.install { _, _, _ -> } }
        val d = DoorstepStore.open(dir, ByteArray(32) { 3 })
        d.ensureArea("武昌区/中南路街道/丽岛社区/第9网格")
        val seen = lines.toList()
        assertTrue(seen.any { it.second == "doorstep::store" }, "the store's open is logged: $seen")
        assertTrue(seen.all { it.second.startsWith("doorstep") })
        assertTrue(seen.none { it.third.contains("丽岛社区") }, "no place names in the log: $seen")
    }
}
