package org.doorstep

import java.io.File
import org.doorstep.core.Doorstep
import org.doorstep.sdk.DoorstepStore
import org.doorstep.core.DoorstepException
import org.doorstep.core.model.Answer
import org.doorstep.core.model.AnswerEntry
import org.doorstep.core.model.AnswerProblem
import org.doorstep.core.model.DueQuery
import org.doorstep.core.model.DueReason
import org.doorstep.core.model.DueTier
import org.doorstep.core.model.FinishVisit
import org.doorstep.core.model.NeedCategory
import org.doorstep.core.model.NeedStatus
import org.doorstep.core.model.NewHousehold
import org.doorstep.core.model.NewReferral
import org.doorstep.core.model.NewResident
import org.doorstep.core.model.ReferralQuery
import org.doorstep.core.model.ReferralStatus
import org.doorstep.core.model.ReferralTarget
import org.doorstep.core.model.Sex
import org.doorstep.core.model.Subject
import org.doorstep.core.model.Tag
import org.doorstep.core.model.Urgency
import org.doorstep.core.model.VisitOutcome
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir

/** A social worker's round: due list -> visit -> need -> referral. */
class VisitsTest {
    @TempDir
    lateinit var dir: File

    private val key = ByteArray(32) { it.toByte() }

    private fun open(): Doorstep = DoorstepStore.open(dir, key)

    @Test
    fun dueListVisitNeedReferral() {
        val d = open()
        val grid = d.ensureArea("武昌区/中南路街道/丽岛社区/第3网格")
        val home = d.createHousehold(NewHousehold(grid.id, null, "丽岛花园3栋", "201", null))
        val wang = d.createResident(
            NewResident(home.id, "王秀英", Sex.FEMALE, 1938, null, listOf(Tag.ElderlyAlone), "独居")
        )

        // Never visited and living alone: first on the list, with the reason.
        val due = d.dueList(DueQuery(listOf(grid.id), 20u))
        assertEquals(listOf(wang.id), due.map { it.residentId })
        assertEquals(DueTier.VULNERABLE, due[0].tier)
        assertEquals(listOf<DueReason>(DueReason.NeverVisited(0u)), due[0].reasons)
        assertEquals("丽岛花园3栋 201", due[0].address)

        // The checklist fitted to her; the drug questions appear once she takes medicine daily.
        var state = d.startVisit(Subject(residentId = wang.id), null)
        assertEquals("elderly_alone", state.templateId)
        assertFalse(state.visible.any { it.question.id == "drug" })
        state = d.answer(state.visitId, "chronic_meds", Answer.Bool(true))
        assertTrue(state.visible.any { it.question.id == "drug" })
        val tooLong = assertThrows<DoorstepException.Invalid> {
            d.answer(state.visitId, "drug", Answer.Text("药".repeat(101)))
        }
        assertTrue(tooLong.message!!.contains("more than the 100 allowed"))

        state = d.answerAll(
            state.visitId,
            listOf(
                AnswerEntry("seen_safe", Answer.Bool(true)),
                AnswerEntry("health", Answer.Choice("fair")),
                AnswerEntry("self_care", Answer.Choice("partly")),
                AnswerEntry("caregiver", Answer.Choice("none")),
                AnswerEntry("drug", Answer.Text("硝苯地平")),
                AnswerEntry("drug_days_left", Answer.Number(5.0)),
                AnswerEntry("supplies_ok", Answer.Bool(true)),
            ),
        )
        assertEquals(listOf("mood"), state.issues.map { it.questionId })
        assertEquals(AnswerProblem.MISSING, state.issues[0].problem)
        d.answer(state.visitId, "mood", Answer.Choice("calm"))
        val done = d.finishVisit(state.visitId, FinishVisit(VisitOutcome.MET, "腿脚不便"))
        assertThrows<DoorstepException.Conflict> {
            d.answer(state.visitId, "mood", Answer.Choice("worried"))
        }

        // Needs from her answers: five days of pills, and nobody to look after her.
        assertEquals(
            listOf(NeedCategory.MEDICINE to Urgency.HIGH, NeedCategory.NO_CAREGIVER to Urgency.HIGH),
            done.needs.map { it.category to it.urgency },
        )
        val carer = done.needs.single { it.category == NeedCategory.NO_CAREGIVER }
        val vulnerable = d.dueList(DueQuery(listOf(grid.id), 20u)).single()
        assertEquals(DueTier.VULNERABLE, vulnerable.tier)
        assertEquals(DueReason.OpenNeeds(2u, Urgency.HIGH), vulnerable.reasons[0])

        // Referred to another station: sent, accepted, then declined, and it comes back.
        assertThrows<DoorstepException.Invalid> {
            d.referNeed(carer.id, NewReferral(ReferralTarget.STATION))
        }
        val referral = d.referNeed(
            carer.id,
            NewReferral(ReferralTarget.STATION, targetName = "同德街社工站", note = "女儿住同德街"),
        )
        assertEquals(NeedStatus.REFERRED, d.getNeed(carer.id).status)
        assertEquals(
            listOf(referral.id),
            d.referrals(ReferralQuery(target = ReferralTarget.STATION, status = ReferralStatus.SENT)).map { it.id },
        )
        assertThrows<DoorstepException.Conflict> {
            d.setReferralStatus(referral.id, ReferralStatus.DONE, null)
        }
        d.setReferralStatus(referral.id, ReferralStatus.ACCEPTED, null)
        d.setReferralStatus(referral.id, ReferralStatus.DECLINED, "对方站点人手不足")
        assertEquals(NeedStatus.IN_PROGRESS, d.getNeed(carer.id).status)
        assertEquals(
            listOf(null, ReferralStatus.SENT, ReferralStatus.ACCEPTED),
            d.referralHistory(referral.id).map { it.fromStatus },
        )
        d.destroy()
    }
}
