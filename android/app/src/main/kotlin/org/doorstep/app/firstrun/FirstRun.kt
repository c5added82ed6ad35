package org.doorstep.app.firstrun

import kotlinx.coroutines.CoroutineScope
import org.doorstep.app.Presenter
import org.doorstep.sdk.DoorstepFailure
import org.doorstep.sdk.Enrolment
import org.doorstep.sdk.EnrolmentService

data class FirstRunState(
    val server: String,
    val code: String,
    val busy: Boolean,
    val failure: DoorstepFailure?,
    /** The last scanned QR held something other than an enrolment code. */
    val notACode: Boolean = false,
) {
    val canEnrol: Boolean get() = !busy && server.isNotBlank() && code.isNotBlank()
}

sealed interface FirstRunEvents {
    data class ServerChanged(val text: String) : FirstRunEvents
    data class CodeChanged(val text: String) : FirstRunEvents
    data object Enrol : FirstRunEvents
    /** A QR code's text, from the camera (Android) or a picture: fills the code if it is one. */
    data class Scanned(val text: String) : FirstRunEvents
    /** A picture (PNG or JPEG) holding the dashboard's QR code. */
    data class Picture(val image: ByteArray) : FirstRunEvents {
        override fun equals(other: Any?) = other is Picture && image.contentEquals(other.image)
        override fun hashCode() = image.contentHashCode()
    }
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
            is FirstRunEvents.ServerChanged -> set { it.copy(server = event.text, failure = null, notACode = false) }
            is FirstRunEvents.CodeChanged -> set { it.copy(code = event.text, failure = null, notACode = false) }
            is FirstRunEvents.Scanned -> scanned(event.text)
            is FirstRunEvents.Picture -> run({ f -> set { it.copy(failure = f, notACode = false) } }) {
                scanned(enrolment.readQr(event.image))
            }
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

    private fun scanned(text: String) {
        val code = enrolmentCode(text)
        set { if (code == null) it.copy(notACode = true, failure = null) else it.copy(code = code, notACode = false, failure = null) }
    }

    companion object {
        // The station's codes (server/src/sync/enrol.rs): ten of these, no look-alikes.
        private const val ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
        private const val CODE_LEN = 10

        /**
         * The enrolment code a dashboard QR's [text] holds (the code alone, as the station's
         * devices page draws it), or null when it holds something else, such as a pass.
         */
        fun enrolmentCode(text: String): String? {
            val code = text.trim().uppercase().filter { it != '-' && it != ' ' }
            return code.takeIf { it.length == CODE_LEN && it.all { c -> c in ALPHABET } }
        }
    }
}
