package org.doorstep.app.runner

import kotlinx.coroutines.CoroutineScope
import org.doorstep.app.Presenter
import org.doorstep.sdk.DeliveryService
import org.doorstep.sdk.DoorstepFailure
import org.doorstep.sdk.FailWhy
import org.doorstep.sdk.HandoffProof
import org.doorstep.sdk.PackageInfo
import org.doorstep.sdk.PackageMove
import org.doorstep.sdk.PackageState
import org.doorstep.sdk.ProofWay
import org.doorstep.sdk.Signature

data class HandoffState(
    val pkg: PackageInfo?,
    val moves: List<PackageMove>,
    /** The proof the runner is giving. */
    val way: ProofWay,
    val pin: String,
    val passText: String,
    /** The strokes drawn so far on a pad of [padW] x [padH]. */
    val strokes: List<List<Pair<Float, Float>>>,
    val padW: Int,
    val padH: Int,
    val photo: ByteArray?,
    val reason: String,
    val note: String,
    /** Wrong PINs left after a wrong one (null until then); 0 means locked. */
    val triesLeft: Int?,
    /** Photos and signatures of this package not yet uploaded. */
    val pendingUploads: Int,
    /** Only part of the package is handed over: [given] says how much of each line. */
    val partial: Boolean,
    /** How much of each of the package's lines is handed over, in the package's order. */
    val given: List<Long>,
    val busy: Boolean,
    val failure: DoorstepFailure?,
) {
    val done: Boolean
        get() = pkg?.status in setOf(PackageState.DELIVERED, PackageState.PARTLY_DELIVERED, PackageState.FAILED, PackageState.RETURNED)
    val pinLocked: Boolean get() = triesLeft == 0

    /** A partial delivery with nothing handed over: record it as not delivered instead. */
    val partEmpty: Boolean get() = partial && given.all { it == 0L }

    /** What goes back to the station from here: all of it, or what was not handed over. */
    val canReturn: Boolean
        get() = pkg?.status in setOf(PackageState.OUT_FOR_DELIVERY, PackageState.FAILED, PackageState.PARTLY_DELIVERED)

    /**
     * The failure for the banner. A wrong PIN has its own line with the tries left in the
     * person's language, so the core's message (for logs) is not shown for it.
     */
    val banner: DoorstepFailure?
        get() = failure.takeUnless { it is DoorstepFailure.Refused && way == ProofWay.PIN && triesLeft != null }
}

sealed interface HandoffEvents {
    data class WayChosen(val way: ProofWay) : HandoffEvents
    data class PinChanged(val text: String) : HandoffEvents
    data class PassScanned(val text: String) : HandoffEvents
    /** One finished stroke on the signature pad. */
    data class Stroke(val points: List<Pair<Float, Float>>, val padW: Int, val padH: Int) : HandoffEvents
    data object ClearSignature : HandoffEvents
    /** A photo from the camera (a file on the desktop). */
    data class Photo(val bytes: ByteArray) : HandoffEvents
    data class ReasonChanged(val text: String) : HandoffEvents
    data class NoteChanged(val text: String) : HandoffEvents
    /** Only part of the package is handed over (or, off, all of it). */
    data class PartialChanged(val on: Boolean) : HandoffEvents
    /** How much of the package's line [index] is handed over. */
    data class GivenChanged(val index: Int, val quantity: Long) : HandoffEvents
    data object Deliver : HandoffEvents
    data class Fail(val why: FailWhy) : HandoffEvents
    data object Return : HandoffEvents
}

/**
 * A package and its handoff: delivered with one proof (PIN with tries left, pass, signature
 * strokes the core renders, photo, or a stated reason), failed with its reason, or returned.
 * A refused proof shows why and nothing is recorded.
 */
class PackagePresenter(
    private val packageId: String,
    private val deliveries: DeliveryService,
    scope: CoroutineScope,
) : Presenter<HandoffState, HandoffEvents>(
    HandoffState(null, emptyList(), ProofWay.PIN, "", "", emptyList(), 0, 0, null, "", "", null, 0, false, emptyList(), false, null),
    scope,
) {
    init {
        run(::failed) { load() }
    }

    private fun failed(f: DoorstepFailure) = set { it.copy(busy = false, failure = f) }

    private suspend fun load() {
        val p = deliveries.pkg(packageId)
        val m = deliveries.moves(packageId)
        val pending = deliveries.pendingBlobs().toSet()
        set { s ->
            val given = if (s.given.size == p.items.size) s.given else p.items.map { it.quantity }
            s.copy(pkg = p, moves = m, pendingUploads = m.count { it.proof in pending }, given = given, busy = false)
        }
    }

    private fun act(work: suspend () -> Unit) {
        set { it.copy(busy = true, failure = null) }
        run({ f ->
            failed(f)
            // A wrong PIN: say how many tries are left (0: locked, another proof is needed).
            val requestId = state.value.pkg?.requestId
            if (f is DoorstepFailure.Refused && state.value.way == ProofWay.PIN && requestId != null) {
                run({}) {
                    val left = deliveries.pinTriesLeft(requestId)
                    set { it.copy(triesLeft = left) }
                }
            }
        }) {
            work()
            load()
        }
    }

    private fun proof(s: HandoffState): HandoffProof? = when (s.way) {
        ProofWay.PIN -> s.pin.trim().takeIf { it.isNotEmpty() }?.let { HandoffProof.Pin(it) }
        ProofWay.PASS -> s.passText.takeIf { it.isNotBlank() }?.let { HandoffProof.Pass(it) }
        ProofWay.SIGNATURE -> s.strokes.takeIf { it.isNotEmpty() }?.let { HandoffProof.Drawn(Signature(s.padW, s.padH, it)) }
        ProofWay.PHOTO -> s.photo?.let { HandoffProof.Photo(it) }
        ProofWay.NO_PROOF -> s.reason.trim().takeIf { it.isNotEmpty() }?.let { HandoffProof.NoProof(it) }
    }

    override fun onEvent(event: HandoffEvents) {
        val s = state.value
        when (event) {
            is HandoffEvents.WayChosen -> set { it.copy(way = event.way, failure = null) }
            is HandoffEvents.PinChanged -> set { it.copy(pin = event.text.filter(Char::isDigit).take(6), failure = null) }
            is HandoffEvents.PassScanned -> set { it.copy(passText = event.text, way = ProofWay.PASS, failure = null) }
            is HandoffEvents.Stroke -> if (event.points.isNotEmpty()) {
                set { it.copy(strokes = it.strokes + listOf(event.points), padW = event.padW, padH = event.padH, failure = null) }
            }
            HandoffEvents.ClearSignature -> set { it.copy(strokes = emptyList()) }
            is HandoffEvents.Photo -> set { it.copy(photo = event.bytes, way = ProofWay.PHOTO, failure = null) }
            is HandoffEvents.ReasonChanged -> set { it.copy(reason = event.text) }
            is HandoffEvents.NoteChanged -> set { it.copy(note = event.text) }
            is HandoffEvents.PartialChanged -> set { st ->
                st.copy(partial = event.on, given = st.pkg?.items?.map { it.quantity } ?: st.given, failure = null)
            }
            is HandoffEvents.GivenChanged -> set { st ->
                val most = st.pkg?.items?.getOrNull(event.index)?.quantity ?: return@set st
                st.copy(given = st.given.mapIndexed { i, q -> if (i == event.index) event.quantity.coerceIn(0, most) else q })
            }
            HandoffEvents.Deliver -> {
                val p = proof(s)
                val pkg = s.pkg
                if (p != null && pkg != null && !s.busy && !s.partEmpty) {
                    // A partial delivery lists what was handed over; the core checks it
                    // against what was packed.
                    val items = if (s.partial) pkg.items.zip(s.given) { line, q -> line.copy(quantity = q) }.filter { it.quantity > 0 } else null
                    act { deliveries.deliver(packageId, p, items) }
                }
            }
            is HandoffEvents.Fail -> if (!s.busy) act { deliveries.fail(packageId, event.why, s.note.trim().ifEmpty { null }) }
            HandoffEvents.Return -> if (!s.busy) act { deliveries.returned(packageId, s.note.trim().ifEmpty { null }) }
        }
    }
}
