package org.doorstep.app

import java.time.Instant
import java.time.ZoneId
import java.time.format.DateTimeFormatter

/** Times as a field worker reads them, in the phone's zone. */
object Format {
    private val dayTime = DateTimeFormatter.ofPattern("MM-dd HH:mm")
    private val day = DateTimeFormatter.ofPattern("yyyy-MM-dd")

    /** The zone times are shown in; tests and screenshots fix it. */
    @Volatile
    var zone: ZoneId = ZoneId.systemDefault()

    fun dayTime(ms: Long): String = dayTime.format(Instant.ofEpochMilli(ms).atZone(zone))

    fun day(ms: Long): String = day.format(Instant.ofEpochMilli(ms).atZone(zone))

    /** Whole days in [ms], at least 1 for anything over zero. */
    fun days(ms: Long): Long = if (ms <= 0) 0 else maxOf(1, ms / 86_400_000)

    /** A number without a needless ".0". */
    fun number(v: Double): String = if (v == Math.floor(v) && !v.isInfinite()) v.toLong().toString() else v.toString()
}
