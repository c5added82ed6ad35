package org.doorstep.platform

import android.app.NotificationManager
import android.content.Context
import org.robolectric.RuntimeEnvironment
import androidx.work.NetworkType
import org.doorstep.app.En
import org.doorstep.sdk.DoorstepFailure
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertThrows
import org.junit.Assert.assertTrue
import org.junit.Rule
import org.junit.Test
import org.junit.rules.TemporaryFolder
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.Shadows.shadowOf
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey

/** The Android layer on Robolectric: key wrapping, the sync schedule, the notification. */
@RunWith(RobolectricTestRunner::class)
class PlatformTest {
    @get:Rule
    val tmp = TemporaryFolder()

    private val context: Context get() = RuntimeEnvironment.getApplication()

    private fun aes(): SecretKey = KeyGenerator.getInstance("AES").apply { init(256) }.generateKey()

    // Robolectric has no AndroidKeyStore provider; a software AES key stands in for the
    // Keystore's, everything else is the provider as it runs on a phone.
    @Test
    fun theStoreKeyIsMadeOnceAndKeptOnlyWrapped() {
        val wrap = aes()
        val file = tmp.root.resolve("store.key.wrapped")
        val key = KeystoreKeyProvider(file) { wrap }.storeKey()
        assertEquals(32, key.size)
        assertArrayEquals(key, KeystoreKeyProvider(file) { wrap }.storeKey())
        val kept = file.readBytes()
        assertFalse("the plain key is not in the file", kept.toList().windowed(32).any { it == key.toList() })
        // Another wrapping key (a reset Keystore) cannot open it: refused, not a wrong key used.
        assertThrows(javax.crypto.AEADBadTagException::class.java) { KeystoreKeyProvider(file) { aes() }.storeKey() }
    }

    // WorkManager's own start-up reads resources that only the Android build (AGP) packs,
    // so the request is checked here and its enqueueing on a phone.
    @Test
    fun syncRunsEveryQuarterHourOnTheChosenNetwork() {
        var r = SyncSchedule.request(context)
        assertEquals(NetworkType.CONNECTED, r.workSpec.constraints.requiredNetworkType)
        assertEquals(15 * 60_000L, r.workSpec.intervalDuration)
        assertEquals(SyncWorker::class.java.name, r.workSpec.workerClassName)
        SyncSchedule.setUnmeteredOnly(context, true, reschedule = false)
        assertTrue(SyncSchedule.unmeteredOnly(context))
        r = SyncSchedule.request(context)
        assertEquals(NetworkType.UNMETERED, r.workSpec.constraints.requiredNetworkType)
    }

    @Test
    fun aRevokedTokenIsNotifiedInWords() {
        SyncNotifier(context, En).syncFailed(DoorstepFailure.EnrolAgain("token_revoked"))
        val nm = context.getSystemService(Context.NOTIFICATION_SERVICE) as NotificationManager
        val shown = shadowOf(nm).allNotifications.single()
        assertEquals(En.failure(DoorstepFailure.EnrolAgain("x")), shadowOf(shown).contentText.toString())
        SyncNotifier(context, En).clear()
        assertTrue(shadowOf(nm).allNotifications.isEmpty())
    }
}
