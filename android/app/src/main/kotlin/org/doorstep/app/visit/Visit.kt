package org.doorstep.app.visit

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import org.doorstep.app.Presenter
import org.doorstep.sdk.Answer
import org.doorstep.sdk.DoorstepFailure
import org.doorstep.sdk.FinishedVisit
import org.doorstep.sdk.VisitForm
import org.doorstep.sdk.VisitOutcome
import org.doorstep.sdk.VisitService

data class VisitState(
    val form: VisitForm?,
    /** Text typed into number, text and date fields, by question, until the core takes it. */
    val typed: Map<String, String>,
    /** The core's refusal of the last answer to a question, in its words. */
    val refused: Map<String, DoorstepFailure>,
    val outcome: VisitOutcome,
    val note: String,
    val finished: FinishedVisit?,
    val busy: Boolean,
    val failure: DoorstepFailure?,
)

sealed interface VisitEvents {
    data class Answered(val questionId: String, val answer: Answer) : VisitEvents
    /** A typed field changed; [answer] is what it reads as, or null while it reads as nothing. */
    data class Typed(val questionId: String, val text: String, val answer: Answer?) : VisitEvents
    data class OutcomeChosen(val outcome: VisitOutcome) : VisitEvents
    data class NoteChanged(val text: String) : VisitEvents
    data object Finish : VisitEvents
    data object Discard : VisitEvents
    data object Done : VisitEvents
    data class OpenNeed(val needId: String) : VisitEvents
    /** A picture for a photo question (the Android camera's, or a file on the desktop). */
    data class Photo(val questionId: String, val image: ByteArray) : VisitEvents {
        override fun equals(other: Any?) = other is Photo && questionId == other.questionId && image.contentEquals(other.image)
        override fun hashCode() = 31 * questionId.hashCode() + image.contentHashCode()
    }
}

/**
 * A visit's checklist: the core decides which questions show (`show_if`), refuses bad
 * answers, keeps the draft, and raises needs on finish.
 */
class VisitPresenter(
    private val visitId: String,
    private val visits: VisitService,
    scope: CoroutineScope,
    private val onClose: (householdId: String?) -> Unit,
    private val onNeed: (needId: String) -> Unit,
    /** Where photos are kept; null where this device cannot take or choose one. */
    private val photos: PhotoShelf? = null,
) : Presenter<VisitState, VisitEvents>(
    VisitState(null, emptyMap(), emptyMap(), VisitOutcome.MET, "", null, false, null),
    scope,
) {
    private val typing = HashMap<String, Job>()

    // Answers go to the core one at a time in the order given, so an older form never
    // lands after a newer one.
    private val writes = Channel<suspend () -> Unit>(Channel.UNLIMITED)

    init {
        scope.launch { for (w in writes) w() }
        run({ f -> set { it.copy(failure = f) } }) {
            val form = visits.form(visitId)
            set { it.copy(form = form) }
        }
    }

    private suspend fun store(questionId: String, answer: Answer) {
        try {
            val form = visits.answer(visitId, questionId, answer)
            set { it.copy(form = form, refused = it.refused - questionId, failure = null) }
        } catch (f: DoorstepFailure) {
            set { it.copy(refused = it.refused + (questionId to f)) }
        }
    }

    override fun onEvent(event: VisitEvents) {
        when (event) {
            is VisitEvents.Answered -> writes.trySend { store(event.questionId, event.answer) }
            is VisitEvents.Typed -> {
                set { it.copy(typed = it.typed + (event.questionId to event.text)) }
                // One answer per pause in typing, not one change-log entry per key.
                typing.remove(event.questionId)?.cancel()
                val a = event.answer ?: return
                typing[event.questionId] = scope.launch {
                    delay(TYPING_PAUSE_MS)
                    val stored = Job()
                    writes.send {
                        store(event.questionId, a)
                        stored.complete()
                    }
                    stored.join()
                }
            }
            is VisitEvents.OutcomeChosen -> set { it.copy(outcome = event.outcome) }
            is VisitEvents.NoteChanged -> set { it.copy(note = event.text) }
            VisitEvents.Finish -> {
                val pending = typing.values.toList()
                val s = state.value
                set { it.copy(busy = true, failure = null) }
                scope.launch {
                    // Answers still waiting for a pause in typing are stored first.
                    pending.forEach { it.join() }
                    writes.send {
                        try {
                            val done = visits.finish(visitId, s.outcome, s.note.trim().ifEmpty { null })
                            set { it.copy(finished = done, busy = false) }
                        } catch (f: DoorstepFailure) {
                            set { it.copy(busy = false, failure = f) }
                        }
                    }
                }
            }
            VisitEvents.Discard -> run({ f -> set { it.copy(failure = f) } }) {
                val household = state.value.form?.householdId
                visits.discard(visitId)
                onClose(household)
            }
            VisitEvents.Done -> onClose(state.value.form?.householdId)
            is VisitEvents.OpenNeed -> onNeed(event.needId)
            is VisitEvents.Photo -> {
                val shelf = photos ?: return
                writes.trySend {
                    try {
                        store(event.questionId, Answer.Photo(shelf.keep(event.image)))
                    } catch (e: java.io.IOException) {
                        set { it.copy(failure = DoorstepFailure.Storage(e.message ?: "photo")) }
                    }
                }
            }
        }
    }

    companion object {
        /** Typing pauses this long before a typed answer is stored. */
        const val TYPING_PAUSE_MS = 400L
    }
}
