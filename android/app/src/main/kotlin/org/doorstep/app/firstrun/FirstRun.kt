package org.doorstep.app.firstrun

import kotlinx.coroutines.CoroutineScope
import org.doorstep.app.Presenter
import org.doorstep.sdk.DoorstepFailure
import org.doorstep.sdk.Enrolment
import org.doorstep.sdk.EnrolmentService

data class FirstRunState(val server: String, val code: String, val busy: Boolean, val failure: DoorstepFailure?) {
    val canEnrol: Boolean get() = !busy && server.isNotBlank() && code.isNotBlank()
}

sealed interface FirstRunEvents {
    data class ServerChanged(val text: String) : FirstRunEvents
    data class CodeChanged(val text: String) : FirstRunEvents
    data object Enrol : FirstRunEvents
}

/** Enrols the phone with the server address and one-time code; [onEnrolled] goes home. */
class FirstRunPresenter(
    private val enrolment: EnrolmentService,
    scope: CoroutineScope,
    server: String,
    private val onEnrolled: (Enrolment) -> Unit,
) : Presenter<FirstRunState, FirstRunEvents>(FirstRunState(server, "", false, null), scope) {
    override fun onEvent(event: FirstRunEvents) {
        when (event) {
            is FirstRunEvents.ServerChanged -> set { it.copy(server = event.text, failure = null) }
            is FirstRunEvents.CodeChanged -> set { it.copy(code = event.text, failure = null) }
            FirstRunEvents.Enrol -> {
                val s = state.value
                if (!s.canEnrol) return
                set { it.copy(busy = true, failure = null) }
                run({ f -> set { it.copy(busy = false, failure = f) } }) {
                    val e = enrolment.enrol(s.server, s.code)
                    set { it.copy(busy = false) }
                    onEnrolled(e)
                }
            }
        }
    }
}
