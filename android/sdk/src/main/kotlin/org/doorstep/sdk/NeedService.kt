package org.doorstep.sdk

import org.doorstep.core.model.NewFollowUp
import org.doorstep.core.model.NewReferral
import org.doorstep.core.model.Subject

/** Needs, referrals and follow-ups. */
class NeedService internal constructor(private val s: DoorstepServices) {
    suspend fun need(id: String): NeedInfo = s.call { it.getNeed(id).toApp() }

    /** Needs of a household (every state), newest first. */
    suspend fun ofHousehold(householdId: String): List<NeedInfo> = s.call { d ->
        subjectsOf(d, householdId).flatMap { d.needsOf(it) }.distinctBy { it.id }.map { it.toApp() }
    }.sortedByDescending { it.raisedAtMs }

    suspend fun history(needId: String): List<NeedChange> = s.call { d ->
        d.needHistory(needId).map { u ->
            NeedChange(u.fromStatus?.let { NeedStatus.valueOf(it.name) }, NeedStatus.valueOf(u.toStatus.name), u.note, u.atMs, u.byUser)
        }
    }

    /** Moves a need to [status] with [note]; the core refuses a move its rules forbid. */
    suspend fun setStatus(needId: String, status: NeedStatus, note: String?): NeedInfo =
        s.call { d -> d.setNeedStatus(needId, org.doorstep.core.model.NeedStatus.valueOf(status.name), note).toApp() }.also { s.sync.wrote() }

    /** Refers a need; the core asks for a name where the target needs one (another station). */
    suspend fun refer(needId: String, target: ReferralTarget, targetName: String?, note: String?): ReferralInfo = s.call { d ->
        d.referNeed(needId, NewReferral(org.doorstep.core.model.ReferralTarget.valueOf(target.name), null, targetName, note)).toApp()
    }.also { s.sync.wrote() }

    suspend fun referrals(needId: String): List<ReferralInfo> = s.call { d ->
        d.referrals(org.doorstep.core.model.ReferralQuery()).filter { it.needId == needId }.map { it.toApp() }
    }

    /** Plans a visit back for a need at [dueAtMs]. */
    suspend fun followUp(needId: String, dueAtMs: Long, note: String?): FollowUpInfo = s.call { d ->
        val need = d.getNeed(needId)
        d.scheduleFollowUp(NewFollowUp(Subject(householdId = need.householdId.takeIf { need.residentId == null }, residentId = need.residentId), dueAtMs, note, need.visitId, needId)).toApp()
    }.also { s.sync.wrote() }

    /** Follow-ups of a household and of each of its residents, soonest first. */
    suspend fun followUps(householdId: String): List<FollowUpInfo> = s.call { d ->
        subjectsOf(d, householdId).flatMap { d.followUps(it) }.distinctBy { it.id }.map { it.toApp() }
    }.sortedBy { it.dueAtMs }
}

/** The household itself and each resident: the core lists each subject's records apart. */
internal fun subjectsOf(d: org.doorstep.core.Doorstep, householdId: String): List<Subject> =
    listOf(Subject(householdId = householdId)) + d.residentsOf(householdId).map { Subject(residentId = it.id) }

private fun org.doorstep.core.model.Referral.toApp() =
    ReferralInfo(id, needId, ReferralTarget.valueOf(target.name), targetName, note, ReferralStatus.valueOf(status.name), createdAtMs)

private fun org.doorstep.core.model.FollowUp.toApp() = FollowUpInfo(id, residentId, dueAtMs, note, done, cancelled)
