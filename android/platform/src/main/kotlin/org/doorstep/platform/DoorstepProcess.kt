package org.doorstep.platform

import android.content.Context
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import org.doorstep.sdk.DoorstepServices
import org.doorstep.sdk.KeyProvider
import java.io.File

/** One store per process, shared by the activity and the sync worker. */
object DoorstepProcess {
    private val lock = Mutex()
    private var services: DoorstepServices? = null

    init {
        // Core's lines in Logcat, set before the first store opens (once per process).
        runCatching { LogcatLog.install() }
    }

    /** The services over the app's store, opened on first use with the Keystore-held key. */
    suspend fun services(context: Context, keys: KeyProvider = keyProvider(context)): DoorstepServices = lock.withLock {
        services ?: DoorstepServices.open(File(context.filesDir, "doorstep"), keys).also { services = it }
    }

    /** The key kept out of backups: a restored phone enrols again rather than reusing a key. */
    fun keyProvider(context: Context): KeyProvider = KeystoreKeyProvider(File(context.noBackupFilesDir, "store.key.wrapped"))
}
