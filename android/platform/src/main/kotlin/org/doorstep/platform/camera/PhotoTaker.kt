package org.doorstep.platform.camera

import android.content.Context
import android.net.Uri
import androidx.activity.result.ActivityResultRegistry
import androidx.activity.result.contract.ActivityResultContracts
import androidx.core.content.FileProvider
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import java.io.File

/**
 * The runner's photo proof: the phone's own camera app takes a JPEG still
 * (ACTION_IMAGE_CAPTURE) into a file of this app's, shared with it through a FileProvider
 * uri for that one picture, and [take] gives its bytes; the core downscales it when it is
 * stored. [registry] is the activity's; [release] when the activity is destroyed.
 */
class PhotoTaker(
    private val context: Context,
    registry: ActivityResultRegistry,
    private val file: File = File(context.cacheDir, "photos/handoff.jpg"),
    private val uriFor: (Context, File) -> Uri = { c, f -> FileProvider.getUriForFile(c, authority(c), f) },
) {
    private var pending: CompletableDeferred<Boolean>? = null
    private val launcher = registry.register(KEY, ActivityResultContracts.TakePicture()) { saved ->
        pending?.complete(saved)
    }

    /** Opens the camera app and waits; the photo's JPEG bytes, or null when none was taken. */
    suspend fun take(): ByteArray? {
        val saved = withContext(Dispatchers.Main) {
            pending?.cancel()
            file.parentFile?.mkdirs()
            file.delete()
            val wait = CompletableDeferred<Boolean>().also { pending = it }
            launcher.launch(uriFor(context, file))
            wait.await()
        }
        return withContext(Dispatchers.IO) {
            // The picture stays only in the store (encrypted); the plain file goes at once,
            // and so does whatever a cancelled camera app left half-written.
            file.takeIf { saved && it.length() > 0 }?.readBytes().also { file.delete() }
        }
    }

    /** Stops listening for the camera app's result. */
    fun release() {
        pending?.cancel()
        launcher.unregister()
    }

    companion object {
        private const val KEY = "doorstep.handoff-photo"

        /** The FileProvider's authority, as the manifest declares it (android/README.md). */
        fun authority(c: Context): String = c.packageName + ".photos"
    }
}
