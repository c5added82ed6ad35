package org.doorstep.app

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import org.doorstep.sdk.DoorstepFailure

/**
 * A screen's presenter: the only place its state changes. Views send events; work runs in
 * [scope] (the screen's lifetime) and its results land in [state].
 */
abstract class Presenter<S, E>(initial: S, protected val scope: CoroutineScope) {
    private val mutable = MutableStateFlow(initial)

    /** The screen's state now; views draw it. */
    val state: StateFlow<S> = mutable.asStateFlow()

    /** Handles one event from the view. */
    abstract fun onEvent(event: E)

    protected fun set(f: (S) -> S) = mutable.update(f)

    /** Runs [work] and hands a failure to [failed]; a bug that is not a failure still crashes. */
    protected fun run(failed: (DoorstepFailure) -> Unit, work: suspend () -> Unit) {
        scope.launch {
            try {
                work()
            } catch (f: DoorstepFailure) {
                failed(f)
            }
        }
    }
}
