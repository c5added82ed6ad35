package org.doorstep.app.syncbar

/**
 * The platform's choice of networks for background sync, where it offers one: on Android
 * `SyncSchedule`'s unmetered-only setting, which reschedules WorkManager's sync with it.
 */
interface SyncNetworkChoice {
    /** Whether background sync waits for an unmetered network (Wi-Fi). */
    fun unmeteredOnly(): Boolean

    /** Stores the choice and applies it to the background sync. */
    fun setUnmeteredOnly(on: Boolean)
}
