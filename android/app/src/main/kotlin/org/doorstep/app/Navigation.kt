package org.doorstep.app

import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import org.doorstep.sdk.Enrolment

/** Where the app is. */
sealed interface Destination {
    /** Loading the store and the enrolment. */
    data object Starting : Destination
    data object FirstRun : Destination
    data class Home(val enrolment: Enrolment) : Destination
    data class Household(val householdId: String) : Destination
    data class Visit(val visitId: String) : Destination
    data class Need(val needId: String) : Destination
    /** The marshal's pooled tubes at a site. */
    data class Tubes(val site: String, val lane: String) : Destination
    /** A runner's package and its handoff. */
    data class Package(val packageId: String) : Destination
}

/**
 * The back stack. Presenters never hold it: they get callbacks, and the root wires the
 * callbacks to these calls.
 */
class Navigator(start: Destination = Destination.Starting) {
    private val stack = MutableStateFlow(listOf(start))

    val backStack: StateFlow<List<Destination>> = stack.asStateFlow()

    val current: Destination get() = stack.value.last()

    fun push(d: Destination) {
        stack.value = stack.value + d
    }

    /** Goes back one screen; false when there is nowhere to go. */
    fun pop(): Boolean {
        if (stack.value.size <= 1) return false
        stack.value = stack.value.dropLast(1)
        return true
    }

    /** Replaces the whole stack with [d] (after enrolment, or when enrolment is lost). */
    fun reset(d: Destination) {
        stack.value = listOf(d)
    }

    /** Replaces the top screen with [d] (a finished visit goes on to its household). */
    fun replace(d: Destination) {
        stack.value = stack.value.dropLast(1) + d
    }
}
