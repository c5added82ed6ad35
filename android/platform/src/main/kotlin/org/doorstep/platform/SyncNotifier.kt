package org.doorstep.platform

import android.app.NotificationChannel
import android.app.NotificationManager
import android.content.Context
import android.os.Build
import androidx.core.app.NotificationCompat
import org.doorstep.app.Strings
import org.doorstep.sdk.DoorstepFailure

/** The notification that tells a worker a background sync needs them (enrol again, storage). */
class SyncNotifier(private val context: Context, private val strings: Strings) {
    private val manager = context.getSystemService(Context.NOTIFICATION_SERVICE) as NotificationManager

    /** Shows [failure] in words; one notification, replaced by the next. */
    fun syncFailed(failure: DoorstepFailure) {
        if (Build.VERSION.SDK_INT >= 26) {
            manager.createNotificationChannel(NotificationChannel(CHANNEL, strings.appName, NotificationManager.IMPORTANCE_DEFAULT))
        }
        val n = NotificationCompat.Builder(context, CHANNEL)
            .setSmallIcon(android.R.drawable.stat_notify_sync_noanim)
            .setContentTitle(strings.appName)
            .setContentText(strings.failure(failure))
            .setStyle(NotificationCompat.BigTextStyle().bigText(strings.failure(failure)))
            .setAutoCancel(true)
            .build()
        manager.notify(ID, n)
    }

    fun clear() = manager.cancel(ID)

    companion object {
        const val CHANNEL = "sync"
        const val ID = 1
    }
}
