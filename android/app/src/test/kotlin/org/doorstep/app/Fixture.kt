package org.doorstep.app

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeoutOrNull
import org.doorstep.sdk.DoorstepServices
import org.doorstep.sdk.DoorstepStore
import org.doorstep.sdk.KeyProvider
import org.doorstep.core.Doorstep
import java.io.File

/**
 * A real store in a temporary folder. [seed] writes through the raw bindings (the way
 * synced data would arrive) before the services open the same file.
 */
class Fixture(val dir: File) : AutoCloseable {
    private val key = ByteArray(32) { (it * 7).toByte() }
    val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    private var opened: DoorstepServices? = null

    fun seed(block: (Doorstep) -> Unit) = DoorstepStore.open(dir, key).use(block)

    /** The services over the store, opened once (again after [restart]). */
    val services: DoorstepServices
        get() = opened ?: runBlocking { DoorstepServices.open(dir, KeyProvider { key }) }.also { opened = it }

    /** Closes the store as an app being killed would, so the next [services] opens it anew. */
    fun restart() {
        opened?.close()
        opened = null
    }

    override fun close() {
        scope.cancel()
        opened?.close()
    }
}

/** Waits until the presenter's state meets [ok] (10 s at most) and returns that state. */
fun <S> Presenter<S, *>.await(ok: (S) -> Boolean): S = runBlocking {
    withTimeoutOrNull(10_000) { state.first(ok) } ?: throw AssertionError("state never came; last: ${state.value}")
}

const val GRID = "武昌区/中南路街道/丽岛社区/第1网格"
