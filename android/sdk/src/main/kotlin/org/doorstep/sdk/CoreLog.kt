package org.doorstep.sdk

import org.doorstep.core.DoorstepException
import org.doorstep.core.LogLevel
import org.doorstep.core.LogSink
import org.doorstep.core.setLogSink

/**
 * The core's log lines for the app: counts, codes, ids and timings, never personal data.
 * Android sends them to Logcat (`LogcatLog` in platform/), the desktop to standard error.
 */
object CoreLog {
    /**
     * Hands each core line at [level] and above to [write] (level, target such as
     * `doorstep::sync`, message) for the rest of the process, on the thread that logged.
     * Once per process, before the store opens; a second call fails with
     * [DoorstepFailure.Invalid].
     */
    fun install(level: LogLevel = LogLevel.INFO, write: (LogLevel, String, String) -> Unit) {
        val sink = object : LogSink {
            override fun log(level: LogLevel, target: String, message: String) = write(level, target, message)
        }
        try {
            setLogSink(sink, level)
        } catch (e: DoorstepException) {
            throw e.toFailure()
        }
    }
}
