package org.doorstep.sdk

import org.doorstep.core.Doorstep
import java.io.File

/**
 * Opens the raw store, for the SDK's own tests of the bindings. Apps use
 * [DoorstepServices.open], which keeps the generated types out of the screens.
 */
object DoorstepStore {
    /** Opens (or creates) the store `doorstep.db` in [dir] with [key]. */
    fun open(dir: File, key: ByteArray): Doorstep = Doorstep.open(File(dir, DoorstepServices.STORE_FILE).path, key)
}
