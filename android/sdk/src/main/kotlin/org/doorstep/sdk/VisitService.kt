package org.doorstep.sdk

import org.doorstep.core.Doorstep
import org.doorstep.core.model.DueQuery
import org.doorstep.core.model.FinishVisit
import org.doorstep.core.model.Subject
import org.doorstep.core.model.DueReason as FfiReason
import org.doorstep.core.model.Template as FfiTemplate

/** The due list, visits and their checklists. */
class VisitService internal constructor(private val s: DoorstepServices) {
    private val templates = HashMap<Pair<String, UInt>, FfiTemplate>()

    /**
     * The due list of this phone's areas (every area for a phone enrolled everywhere), in
     * the core's order: life first, then vulnerable, overdue and never visited. 500 is the
     * most the core gives at once.
     */
    suspend fun dueList(limit: Int = 500): List<DueItem> = s.call { d ->
        val ids = myAreaIds(d)
        if (ids.isEmpty()) emptyList() else d.dueList(DueQuery(ids, limit.toUInt())).map { e ->
            DueItem(
                e.rank.toInt(), DueTier.valueOf(e.tier.name), e.householdId, e.residentId, e.residentName, e.address,
                e.tags.map { it.toApp() }, e.lastContactAtMs, e.reasons.map { it.toApp() },
            )
        }
    }

    /** Starts a visit of a resident (or a whole household); the core picks the checklist. */
    suspend fun start(householdId: String, residentId: String?): VisitForm = s.call { d ->
        form(d, d.startVisit(Subject(householdId = householdId.takeIf { residentId == null }, residentId = residentId), null))
    }.also { s.sync.wrote() }

    /** Stores one answer; the core refuses a bad one with [DoorstepFailure.Invalid]. */
    suspend fun answer(visitId: String, questionId: String, answer: Answer): VisitForm =
        s.call { d -> form(d, d.answer(visitId, questionId, answer.toFfi())) }.also { s.sync.wrote() }

    /** A visit being filled in, as it was left (drafts survive a restart). */
    suspend fun form(visitId: String): VisitForm = s.call { d -> form(d, d.visitState(visitId)) }

    /** Visits started and not finished on this phone. */
    suspend fun drafts(): List<VisitForm> = s.call { d -> d.visitDrafts().map { form(d, it) } }

    suspend fun discard(visitId: String) = s.call { it.discardVisit(visitId) }.also { s.sync.wrote() }

    /** Finishes a visit; the result lists the needs the core raised from its answers. */
    suspend fun finish(visitId: String, outcome: VisitOutcome, note: String?): FinishedVisit = s.call { d ->
        val f = d.finishVisit(visitId, FinishVisit(org.doorstep.core.model.VisitOutcome.valueOf(outcome.name), note, null, null))
        FinishedVisit(f.visit.id, f.needs.map { it.toApp() }, f.followUp?.dueAtMs)
    }.also { s.sync.wrote() }

    /** Finished visits of a household, newest first. */
    suspend fun history(householdId: String): List<VisitSummary> = s.call { d ->
        subjectsOf(d, householdId).flatMap { d.visitHistory(it) }.distinctBy { it.id }.map {
            VisitSummary(it.id, it.residentId, VisitOutcome.valueOf(it.outcome.name), it.note, it.finishedAtMs, it.worker)
        }.sortedByDescending { it.finishedAtMs }
    }

    private fun form(d: Doorstep, st: org.doorstep.core.model.VisitState): VisitForm {
        val t = synchronized(templates) {
            templates.getOrPut(st.templateId to st.templateVersion) { d.getTemplate(st.templateId, st.templateVersion) }
        }
        return st.toApp(t)
    }
}

/** Ids of the areas this phone is enrolled for; every top-level area when enrolled everywhere. */
internal fun myAreaIds(d: Doorstep): List<String> {
    val paths = d.enrolment()?.areas.orEmpty()
    val all = d.areas()
    return if (paths.isEmpty()) all.filter { it.parentId == null }.map { it.id } else all.filter { it.path in paths }.map { it.id }
}

private fun FfiReason.toApp(): DueReason = when (this) {
    is FfiReason.LifeNeed -> DueReason.LifeNeed(NeedCategory.valueOf(category.name), Urgency.valueOf(urgency.name), runsOutAtMs)
    is FfiReason.OpenNeeds -> DueReason.OpenNeeds(count.toInt(), Urgency.valueOf(topUrgency.name))
    is FfiReason.NeverVisited -> DueReason.NeverVisited(attempts.toInt())
    is FfiReason.VisitOverdue -> DueReason.VisitOverdue(overdueMs)
    is FfiReason.FollowUpOverdue -> DueReason.FollowUpOverdue(overdueMs)
}
