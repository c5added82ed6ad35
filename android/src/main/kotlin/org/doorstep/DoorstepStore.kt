package org.doorstep

import java.io.File
import org.doorstep.core.Doorstep

/**
 * Opens the phone's Doorstep store. The key comes from the Android Keystore; the core owns
 * every rule (a key of the wrong length is `DoorstepException.Invalid`, a different key on an
 * existing store `DoorstepException.WrongKey`), so this layer only names the file.
 */
object DoorstepStore {
    /** Bytes in a store key: what the app generates and keeps wrapped in the Keystore. */
    const val KEY_BYTES = 32

    /** Opens (or creates) the store `doorstep.db` in [dir] with [key]. */
    fun open(dir: File, key: ByteArray): Doorstep = Doorstep.open(File(dir, "doorstep.db").path, key)
}
