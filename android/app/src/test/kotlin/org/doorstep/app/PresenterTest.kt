package org.doorstep.app

import org.doorstep.app.duelist.DueListEvents
import org.doorstep.app.duelist.DueListPresenter
import org.doorstep.app.firstrun.FirstRunEvents
import org.doorstep.app.firstrun.FirstRunPresenter
import org.doorstep.app.household.HouseholdEvents
import org.doorstep.app.household.HouseholdPresenter
import org.doorstep.app.need.NeedEvents
import org.doorstep.app.need.NeedPresenter
import org.doorstep.app.visit.VisitEvents
import org.doorstep.app.visit.VisitPresenter
import org.doorstep.sdk.Answer
import org.doorstep.sdk.DoorstepFailure
import org.doorstep.sdk.DueReason
import org.doorstep.sdk.DueTier
import org.doorstep.sdk.NeedCategory
import org.doorstep.sdk.NeedStatus
import org.doorstep.sdk.ReferralTarget
import org.doorstep.sdk.Tag
import org.doorstep.sdk.Urgency
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Before
import org.junit.Rule
import org.junit.Test
import org.junit.rules.TemporaryFolder
import org.doorstep.core.model.NewHousehold
import org.doorstep.core.model.NewNeed
import org.doorstep.core.model.NewResident
import org.doorstep.core.model.Sex
import org.doorstep.core.model.Subject
import java.util.concurrent.CopyOnWriteArrayList
import org.doorstep.core.model.NeedCategory as FfiCategory
import org.doorstep.core.model.Tag as FfiTag
import org.doorstep.core.model.Urgency as FfiUrgency

/** Presenters against a real store in a temporary folder; no part of the core is faked. */
class PresenterTest {
    @get:Rule
    val tmp = TemporaryFolder()

    private lateinit var f: Fixture
    private lateinit var wang: String
    private lateinit var wangHome: String

    @Before
    fun seed() {
        f = Fixture(tmp.root)
        f.seed { d ->
            val grid = d.ensureArea(GRID)
            fun resident(address: String, name: String, tags: List<FfiTag>): Pair<String, String> {
                val h = d.createHousehold(NewHousehold(grid.id, null, address, null, null))
                return h.id to d.createResident(NewResident(h.id, name, Sex.FEMALE, 1940, null, tags, null)).id
            }
            resident("丽岛花园1栋 101", "赵磊", emptyList())
            val (home, id) = resident("丽岛花园3栋 201", "王秀英", listOf(FfiTag.ElderlyAlone))
            wang = id
            wangHome = home
            val (_, li) = resident("丽岛花园5栋 302", "李建国", emptyList())
            d.raiseNeed(NewNeed(Subject(residentId = li), FfiCategory.MEDICINE, FfiUrgency.CRITICAL, null, "胰岛素", 1u, null))
        }
    }

    @After
    fun close() = f.close()

    @Test
    fun theDueListKeepsTheCoresOrderWithItsReasons() {
        val opened = CopyOnWriteArrayList<String>()
        val p = DueListPresenter(f.services.visits, f.services.registry, f.services.sync, f.scope) { opened += it }
        val st = p.await { !it.loading && it.items.isNotEmpty() }
        // Nobody in 赵磊's household is tagged: the household itself is due, by its address.
        assertEquals(listOf("李建国", "王秀英", "丽岛花园1栋 101"), st.items.map { it.name ?: it.address })
        assertEquals(listOf(DueTier.LIFE, DueTier.VULNERABLE, DueTier.NEVER_VISITED), st.items.map { it.tier })
        val life = st.items[0].reasons.filterIsInstance<DueReason.LifeNeed>().single()
        assertEquals(NeedCategory.MEDICINE to Urgency.CRITICAL, life.category to life.urgency)
        assertEquals(listOf(Tag.ElderlyAlone), st.items[1].tags)

        // Search by initials finds her; opening goes to her household through the callback.
        p.onEvent(DueListEvents.QueryChanged("wxy"))
        val found = p.await { it.results?.isNotEmpty() == true }
        assertEquals(listOf("王秀英"), found.results!!.map { it.name })
        p.onEvent(DueListEvents.Open(found.results!![0].householdId))
        assertEquals(listOf(wangHome), opened)
    }

    private fun visitOfWang(): VisitPresenter {
        val form = kotlinx.coroutines.runBlocking { f.services.visits.start(wangHome, wang) }
        return VisitPresenter(form.visitId, f.services.visits, f.scope, onClose = {}, onNeed = {})
    }

    @Test
    fun aQuestionIsShownAndHiddenAsTheAnswersChange() {
        val p = visitOfWang()
        val start = p.await { it.form != null }
        val ids = { s: org.doorstep.app.visit.VisitState -> s.form!!.questions.map { it.question.id } }
        assertFalse("drug" in ids(start))
        p.onEvent(VisitEvents.Answered("chronic_meds", Answer.YesNo(true)))
        p.await { "drug" in ids(it) }
        p.onEvent(VisitEvents.Answered("chronic_meds", Answer.YesNo(false)))
        p.await { "drug" !in ids(it) && it.form!!.questions.any { q -> q.question.id == "chronic_meds" && q.answer == Answer.YesNo(false) } }
    }

    @Test
    fun aRefusedAnswerShowsTheCoresReasonInWords() {
        val p = visitOfWang()
        p.await { it.form != null }
        p.onEvent(VisitEvents.Answered("chronic_meds", Answer.YesNo(true)))
        p.await { s -> s.form!!.questions.any { it.question.id == "drug" } }
        val long = "药".repeat(101)
        p.onEvent(VisitEvents.Typed("drug", long, Answer.Text(long)))
        val st = p.await { "drug" in it.refused }
        val refusal = st.refused.getValue("drug")
        assertTrue(refusal is DoorstepFailure.Invalid)
        assertTrue(refusal.detail, refusal.detail.contains("more than the 100 allowed"))
        assertTrue(ZhCn.failure(refusal).startsWith("内容不符合要求"))
        assertEquals(long, st.typed["drug"])
        // A shorter answer is taken and the refusal goes away.
        p.onEvent(VisitEvents.Typed("drug", "胰岛素", Answer.Text("胰岛素")))
        p.await { "drug" !in it.refused && it.form!!.questions.any { q -> q.answer == Answer.Text("胰岛素") } }
    }

    @Test
    fun aDraftSurvivesARestartAndIsResumed() {
        val p = visitOfWang()
        val visitId = p.await { it.form != null }.form!!.visitId
        p.onEvent(VisitEvents.Answered("health", Answer.Single("fair")))
        p.await { s -> s.form!!.questions.any { it.answer == Answer.Single("fair") } }

        f.restart()
        val resumed = CopyOnWriteArrayList<String>()
        val h = HouseholdPresenter(wangHome, f.services.registry, f.services.visits, f.services.needs, f.scope, { resumed += it }, {})
        val hs = h.await { it.household != null }
        assertEquals(listOf(visitId), hs.drafts.map { it.visitId })
        h.onEvent(HouseholdEvents.StartVisit(wang))
        assertEquals(listOf(visitId), resumed)
        val again = VisitPresenter(visitId, f.services.visits, f.scope, {}, {}).await { it.form != null }
        assertTrue(again.form!!.questions.any { it.question.id == "health" && it.answer == Answer.Single("fair") })
    }

    @Test
    fun aFinishedVisitRaisesANeedThatIsReferredAndFollowedUp() {
        val p = visitOfWang()
        p.await { it.form != null }
        val answers = listOf(
            "seen_safe" to Answer.YesNo(true), "health" to Answer.Single("fair"), "self_care" to Answer.Single("partly"),
            "caregiver" to Answer.Single("none"), "chronic_meds" to Answer.YesNo(true), "supplies_ok" to Answer.YesNo(true),
            "mood" to Answer.Single("calm"),
        )
        answers.forEach { (q, a) -> p.onEvent(VisitEvents.Answered(q, a)) }
        p.await { s -> s.form!!.questions.any { it.question.id == "drug" } }
        p.onEvent(VisitEvents.Typed("drug", "硝苯地平", Answer.Text("硝苯地平")))
        p.onEvent(VisitEvents.Typed("drug_days_left", "5", Answer.Number(5.0)))
        p.onEvent(VisitEvents.Finish)
        val done = p.await { it.finished != null || it.failure != null }
        assertNull(done.failure)
        val needs = done.finished!!.needs
        assertEquals(setOf(NeedCategory.MEDICINE, NeedCategory.NO_CAREGIVER), needs.map { it.category }.toSet())

        val carer = needs.single { it.category == NeedCategory.NO_CAREGIVER }
        val n = NeedPresenter(carer.id, f.services.needs, f.scope)
        n.await { it.need != null }
        // Another station must be named: the core refuses, the screen says why.
        n.onEvent(NeedEvents.TargetChosen(ReferralTarget.STATION))
        n.onEvent(NeedEvents.Refer)
        val refused = n.await { it.failure != null }
        assertTrue(refused.failure is DoorstepFailure.Invalid)
        n.onEvent(NeedEvents.TargetNameChanged("同德街社工站"))
        n.onEvent(NeedEvents.NoteChanged("女儿住同德街"))
        n.onEvent(NeedEvents.Refer)
        val referred = n.await { it.referrals.isNotEmpty() }
        assertEquals(NeedStatus.REFERRED, referred.need!!.status)
        assertEquals("同德街社工站", referred.referrals.single().targetName)
        assertEquals("", referred.note)
        n.onEvent(NeedEvents.FollowUpIn(3))
        n.await { it.followUps.size == 1 }
    }

    @Test
    fun aResidentIsAddedWithTagsAndABadYearIsRefused() {
        val h = HouseholdPresenter(wangHome, f.services.registry, f.services.visits, f.services.needs, f.scope, {}, {})
        h.await { it.household != null }
        h.onEvent(HouseholdEvents.Edit(null))
        val e = h.await { it.edit != null }.edit!!
        h.onEvent(HouseholdEvents.EditChanged(e.copy(name = "王小明", birthYear = "2130")))
        h.onEvent(HouseholdEvents.ToggleTag(Tag.ChildInHardship))
        h.onEvent(HouseholdEvents.SaveResident)
        val bad = h.await { it.failure != null }
        assertTrue(bad.failure!!.detail, bad.failure!!.detail.contains("2130"))
        h.onEvent(HouseholdEvents.EditChanged(bad.edit!!.copy(birthYear = "2015")))
        h.onEvent(HouseholdEvents.SaveResident)
        val saved = h.await { it.edit == null && it.residents.size == 2 }
        assertEquals(listOf(Tag.ChildInHardship), saved.residents.single { it.name == "王小明" }.tags)
    }

    @Test
    fun anUnknownCodeIsRefusedInWords() {
        val server = System.getenv("DOORSTEP_TEST_SERVER") ?: error("run through tests/with-server.sh")
        val enrolled = CopyOnWriteArrayList<Any>()
        val p = FirstRunPresenter(f.services.enrolment, f.scope, server) { enrolled += it }
        p.onEvent(FirstRunEvents.CodeChanged("NOPEN-NOPEN"))
        p.onEvent(FirstRunEvents.Enrol)
        val st = p.await { !it.busy && it.failure != null }
        assertTrue(st.failure is DoorstepFailure.CodeRefused)
        assertTrue(En.failure(st.failure!!).contains("Ask your station admin"))
        assertTrue(enrolled.isEmpty())
    }
}
