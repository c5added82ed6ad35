package org.doorstep.platform.camera

import android.app.Activity
import android.content.Intent
import android.net.Uri
import android.os.Looper
import android.provider.MediaStore
import androidx.activity.result.ActivityResultRegistry
import androidx.activity.result.contract.ActivityResultContract
import androidx.core.app.ActivityOptionsCompat
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Deferred
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.cancel
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RuntimeEnvironment
import org.robolectric.RobolectricTestRunner
import org.robolectric.Shadows.shadowOf
import java.io.File

/**
 * The photo proof's round trip through the camera app's intent: the request, the picture
 * written where it was asked for, its bytes back and the plain file gone. A file uri stands in
 * for the FileProvider's, whose paths come from a resource only the Android build packs, and a
 * bare result registry for the activity's (ComponentActivity does not start on Robolectric
 * here: Compose Multiplatform's desktop savedstate shadows AndroidX's).
 */
@RunWith(RobolectricTestRunner::class)
class PhotoTakerTest {
    private val jpeg = byteArrayOf(0xFF.toByte(), 0xD8.toByte(), 0xFF.toByte(), 0xE0.toByte()) + ByteArray(2048) { it.toByte() } +
        byteArrayOf(0xFF.toByte(), 0xD9.toByte())

    private fun <T> Deferred<T>.awaitIdling(): T {
        val until = System.currentTimeMillis() + 10_000
        while (!isCompleted) {
            check(System.currentTimeMillis() < until) { "the photo never came back" }
            shadowOf(Looper.getMainLooper()).idle()
            Thread.sleep(5)
        }
        return getCompleted()
    }

    /** The activity's side of the result API: what was launched, and the answer sent back. */
    private class Registry : ActivityResultRegistry() {
        var launched: Intent? = null
        var code = -1

        override fun <I, O> onLaunch(requestCode: Int, contract: ActivityResultContract<I, O>, input: I, options: ActivityOptionsCompat?) {
            code = requestCode
            launched = contract.createIntent(RuntimeEnvironment.getApplication(), input)
        }
    }

    private fun withTaker(block: (Registry, PhotoTaker, File, CoroutineScope) -> Unit) {
        val context = RuntimeEnvironment.getApplication()
        val file = File(context.cacheDir, "photos/handoff.jpg")
        val registry = Registry()
        val taker = PhotoTaker(context, registry, file) { _, f -> Uri.fromFile(f) }
        val scope = CoroutineScope(Dispatchers.Main)
        try {
            block(registry, taker, file, scope)
        } finally {
            scope.cancel()
            taker.release()
        }
    }

    @Test
    fun aPhotoTakenComesBackAsItsBytes() = withTaker { registry, taker, file, scope ->
        val photo = scope.async { taker.take() }
        shadowOf(Looper.getMainLooper()).idle()
        val asked = registry.launched ?: throw AssertionError("the camera app was not asked")
        assertEquals(MediaStore.ACTION_IMAGE_CAPTURE, asked.action)
        @Suppress("DEPRECATION")
        val out = asked.getParcelableExtra<Uri>(MediaStore.EXTRA_OUTPUT)
        assertEquals(Uri.fromFile(file), out)
        // The camera app writes the still where it was told, then says it did.
        file.writeBytes(jpeg)
        registry.dispatchResult(registry.code, Activity.RESULT_OK, Intent())
        assertArrayEquals(jpeg, photo.awaitIdling())
        assertFalse("the unencrypted picture does not stay behind", file.exists())
    }

    @Test
    fun aCancelledCameraGivesNoPhoto() = withTaker { registry, taker, file, scope ->
        val photo = scope.async { taker.take() }
        shadowOf(Looper.getMainLooper()).idle()
        file.writeBytes(jpeg) // a half-written picture left by the camera app is not used
        registry.dispatchResult(registry.code, Activity.RESULT_CANCELED, null)
        assertNull(photo.awaitIdling())
        assertFalse(file.exists())
    }
}
