package org.doorstep.platform

import android.util.Log
import org.doorstep.core.LogLevel
import org.doorstep.sdk.CoreLog

/** The core's log lines in Logcat, under the tag `Doorstep`, prefixed by their target. */
object LogcatLog {
    const val TAG = "Doorstep"

    /** Logcat's priority for a core level (trace is Logcat's verbose). */
    fun priority(level: LogLevel): Int = when (level) {
        LogLevel.ERROR -> Log.ERROR
        LogLevel.WARN -> Log.WARN
        LogLevel.INFO -> Log.INFO
        LogLevel.DEBUG -> Log.DEBUG
        LogLevel.TRACE -> Log.VERBOSE
    }

    /** Writes one core line to Logcat. */
    fun line(level: LogLevel, target: String, message: String) {
        Log.println(priority(level), TAG, "$target: $message")
    }

    /** Sends the core's lines at [level] and above to Logcat; once per process. */
    fun install(level: LogLevel = LogLevel.INFO) = CoreLog.install(level, ::line)
}
