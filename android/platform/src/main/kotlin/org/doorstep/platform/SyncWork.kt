package org.doorstep.platform

import android.content.Context
import androidx.work.Constraints
import androidx.work.CoroutineWorker
import androidx.work.ExistingPeriodicWorkPolicy
import androidx.work.NetworkType
import androidx.work.PeriodicWorkRequest
import androidx.work.WorkManager
import androidx.work.WorkerParameters
import org.doorstep.app.ZhCn
import org.doorstep.sdk.DoorstepFailure
import java.util.concurrent.TimeUnit

/** Syncs in the background when WorkManager's network constraint is met. */
class SyncWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {
    override suspend fun doWork(): Result {
        val services = DoorstepProcess.services(applicationContext)
        if (services.enrolment.current() == null) return Result.success()
        return try {
            services.sync.syncNow()
            SyncNotifier(applicationContext, ZhCn).clear()
            Result.success()
        } catch (f: DoorstepFailure) {
            when (f) {
                // The network came and went: WorkManager tries again with backoff.
                is DoorstepFailure.Unreachable -> Result.retry()
                else -> {
                    SyncNotifier(applicationContext, ZhCn).syncFailed(f)
                    Result.failure()
                }
            }
        }
    }
}

/** Schedules the periodic background sync. */
object SyncSchedule {
    const val NAME = "doorstep-sync"
    private const val PREFS = "doorstep"
    private const val UNMETERED_ONLY = "sync_unmetered_only"

    /** Whether the user chose to sync only on unmetered networks (off by default). */
    fun unmeteredOnly(context: Context): Boolean =
        context.getSharedPreferences(PREFS, Context.MODE_PRIVATE).getBoolean(UNMETERED_ONLY, false)

    /** Stores the user's choice and reschedules with it. */
    fun setUnmeteredOnly(context: Context, on: Boolean, reschedule: Boolean = true) {
        context.getSharedPreferences(PREFS, Context.MODE_PRIVATE).edit().putBoolean(UNMETERED_ONLY, on).apply()
        if (reschedule) schedule(context)
    }

    /** Every 15 minutes (WorkManager's shortest period) whenever the chosen network is up. */
    fun request(context: Context): PeriodicWorkRequest {
        val constraints = Constraints.Builder()
            .setRequiredNetworkType(if (unmeteredOnly(context)) NetworkType.UNMETERED else NetworkType.CONNECTED)
            .build()
        return PeriodicWorkRequest.Builder(SyncWorker::class.java, 15, TimeUnit.MINUTES)
            .setConstraints(constraints)
            .build()
    }

    /** Schedules [request] once under [NAME], replacing an earlier schedule. */
    fun schedule(context: Context) {
        WorkManager.getInstance(context).enqueueUniquePeriodicWork(NAME, ExistingPeriodicWorkPolicy.UPDATE, request(context))
    }
}
