package org.doorstep.sdk

import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import org.doorstep.core.Doorstep
import org.doorstep.core.DoorstepException
import java.io.File

/**
 * The phone's Doorstep as the screens use it: one store and a service per domain. Every
 * call runs on [io], never on the caller's thread, and fails only with [DoorstepFailure].
 */
class DoorstepServices internal constructor(
    private val core: Doorstep,
    private val io: CoroutineDispatcher,
) : AutoCloseable {
    val enrolment = EnrolmentService(this)
    val sync = SyncService(this)
    val registry = RegistryService(this)
    val visits = VisitService(this)
    val needs = NeedService(this)
    val checkin = CheckinService(this)
    val deliveries = DeliveryService(this)

    /** Runs [f] on the core off the caller's thread and turns its error into a failure. */
    internal suspend fun <T> call(enrolling: Boolean = false, f: suspend (Doorstep) -> T): T =
        withContext(io) {
            try {
                f(core)
            } catch (e: DoorstepException) {
                throw e.toFailure(enrolling)
            }
        }

    override fun close() = core.destroy()

    companion object {
        /** The store's file name in the app's folder. */
        const val STORE_FILE = "doorstep.db"

        /**
         * Opens (or creates) the store in [dir] with the key from [keys]. Runs on [io]: opening
         * may migrate the store.
         */
        suspend fun open(dir: File, keys: KeyProvider, io: CoroutineDispatcher = Dispatchers.IO): DoorstepServices =
            withContext(io) {
                try {
                    dir.mkdirs()
                    DoorstepServices(Doorstep.open(File(dir, STORE_FILE).path, keys.storeKey()), io)
                } catch (e: DoorstepException) {
                    throw e.toFailure()
                }
            }
    }
}
