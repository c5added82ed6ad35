package org.doorstep.app.visit

import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import java.io.File
import java.security.MessageDigest

/**
 * Where a visit's photos are kept on this device. The core stores a photo answer as a
 * reference only, so the picture lives here under its SHA-256 and the answer names that.
 */
class PhotoShelf(private val dir: File) {
    /** Keeps [image] (written once, by content) and returns the reference its answer stores. */
    suspend fun keep(image: ByteArray): String = withContext(Dispatchers.IO) {
        val hex = MessageDigest.getInstance("SHA-256").digest(image).joinToString("") { "%02x".format(it) }
        val reference = "$PREFIX$hex"
        val file = checkNotNull(fileOf(reference)) { "a reference made here names a file" }
        if (!file.exists()) {
            dir.mkdirs()
            // Written aside and renamed, so a killed app never leaves half a picture under the name.
            val part = File(dir, "$hex.part")
            part.writeBytes(image)
            if (!part.renameTo(file)) throw java.io.IOException("cannot keep photo in $dir")
        }
        reference
    }

    /** The picture a reference names, when this device holds it. */
    fun fileOf(reference: String): File? =
        reference.removePrefix(PREFIX).takeIf { reference.startsWith(PREFIX) && it.length == 64 && it.all { c -> c in "0123456789abcdef" } }
            ?.let { File(dir, it) }

    companion object {
        private const val PREFIX = "sha256:"
    }
}
