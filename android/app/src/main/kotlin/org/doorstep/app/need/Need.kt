package org.doorstep.app.need

import kotlinx.coroutines.CoroutineScope
import org.doorstep.app.Presenter
import org.doorstep.sdk.DoorstepFailure
import org.doorstep.sdk.FollowUpInfo
import org.doorstep.sdk.NeedChange
import org.doorstep.sdk.NeedInfo
import org.doorstep.sdk.NeedService
import org.doorstep.sdk.NeedStatus
import org.doorstep.sdk.ReferralInfo
import org.doorstep.sdk.ReferralTarget

data class NeedState(
    val need: NeedInfo?,
    val history: List<NeedChange>,
    val referrals: List<ReferralInfo>,
    val followUps: List<FollowUpInfo>,
    val note: String,
    val target: ReferralTarget,
    val targetName: String,
    val busy: Boolean,
    val failure: DoorstepFailure?,
)

sealed interface NeedEvents {
    data class NoteChanged(val text: String) : NeedEvents
    data class Move(val status: NeedStatus) : NeedEvents
    data class TargetChosen(val target: ReferralTarget) : NeedEvents
    data class TargetNameChanged(val text: String) : NeedEvents
    data object Refer : NeedEvents
    data class FollowUpIn(val days: Int) : NeedEvents
}

/** A need: move it through its states with a note, refer it, plan a follow-up. */
class NeedPresenter(
    private val needId: String,
    private val needs: NeedService,
    scope: CoroutineScope,
    private val now: () -> Long = System::currentTimeMillis,
) : Presenter<NeedState, NeedEvents>(
    NeedState(null, emptyList(), emptyList(), emptyList(), "", ReferralTarget.HOSPITAL, "", false, null),
    scope,
) {
    init {
        run(::failed) { load() }
    }

    private fun failed(f: DoorstepFailure) = set { it.copy(busy = false, failure = f) }

    private suspend fun load() {
        val n = needs.need(needId)
        val h = needs.history(needId)
        val r = needs.referrals(needId)
        val f = needs.followUps(n.householdId).filter { it.residentId == n.residentId && !it.done && !it.cancelled }
        set { it.copy(need = n, history = h, referrals = r, followUps = f, busy = false) }
    }

    private fun act(work: suspend () -> Unit) {
        set { it.copy(busy = true, failure = null) }
        run(::failed) {
            work()
            set { it.copy(note = "", targetName = "") }
            load()
        }
    }

    override fun onEvent(event: NeedEvents) {
        val s = state.value
        when (event) {
            is NeedEvents.NoteChanged -> set { it.copy(note = event.text, failure = null) }
            is NeedEvents.Move -> act { needs.setStatus(needId, event.status, s.note.trim().ifEmpty { null }) }
            is NeedEvents.TargetChosen -> set { it.copy(target = event.target, failure = null) }
            is NeedEvents.TargetNameChanged -> set { it.copy(targetName = event.text, failure = null) }
            NeedEvents.Refer -> act {
                needs.refer(needId, s.target, s.targetName.trim().ifEmpty { null }, s.note.trim().ifEmpty { null })
            }
            is NeedEvents.FollowUpIn -> act {
                needs.followUp(needId, now() + event.days * DAY_MS, s.note.trim().ifEmpty { null })
            }
        }
    }

    private companion object {
        const val DAY_MS = 86_400_000L
    }
}
