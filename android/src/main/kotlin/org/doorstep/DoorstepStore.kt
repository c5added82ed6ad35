package org.doorstep

import uniffi.doorstep_ffi.Doorstep
import java.io.File

/**
 * Opens the phone's Doorstep store. The key comes from the Android Keystore; this layer
 * only checks its length before handing it to the core, which owns every rule.
 */
object DoorstepStore {
    /** Bytes in a store key. */
    const val KEY_BYTES = 32

    /** Opens (or creates) the store `doorstep.db` in [dir] with [key]. */
    fun open(dir: File, key: ByteArray): Doorstep {
        require(key.size == KEY_BYTES) { "key must be $KEY_BYTES bytes, got ${key.size}" }
        return Doorstep.open(File(dir, "doorstep.db").path, key)
    }
}
