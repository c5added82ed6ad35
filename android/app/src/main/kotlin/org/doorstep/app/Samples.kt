package org.doorstep.app

import org.doorstep.app.duelist.DueListState
import org.doorstep.app.firstrun.FirstRunState
import org.doorstep.app.household.HouseholdState
import org.doorstep.app.household.ResidentEdit
import org.doorstep.app.need.NeedState
import org.doorstep.app.syncbar.SyncBarState
import org.doorstep.app.visit.VisitState
import org.doorstep.sdk.Answer
import org.doorstep.sdk.AnswerIssue
import org.doorstep.sdk.AnswerProblem
import org.doorstep.sdk.Choice
import org.doorstep.sdk.DoorstepFailure
import org.doorstep.sdk.DueItem
import org.doorstep.sdk.DueReason
import org.doorstep.sdk.DueTier
import org.doorstep.sdk.Enrolment
import org.doorstep.sdk.FinishedVisit
import org.doorstep.sdk.FollowUpInfo
import org.doorstep.sdk.HouseholdInfo
import org.doorstep.sdk.Label
import org.doorstep.sdk.NeedCategory
import org.doorstep.sdk.NeedChange
import org.doorstep.sdk.NeedInfo
import org.doorstep.sdk.NeedStatus
import org.doorstep.sdk.Question
import org.doorstep.sdk.QuestionKind
import org.doorstep.sdk.ReferralInfo
import org.doorstep.sdk.ReferralStatus
import org.doorstep.sdk.ReferralTarget
import org.doorstep.sdk.RefusedChange
import org.doorstep.sdk.ResidentInfo
import org.doorstep.sdk.Role
import org.doorstep.sdk.Sex
import org.doorstep.sdk.ShownQuestion
import org.doorstep.sdk.SyncProgress
import org.doorstep.sdk.SyncStage
import org.doorstep.sdk.Tag
import org.doorstep.sdk.Urgency
import org.doorstep.sdk.VisitForm
import org.doorstep.sdk.VisitOutcome
import org.doorstep.sdk.VisitSummary

/** Sample states of every screen, for previews and the screenshots in docs/app/. */
object Samples {
    /** 2026-03-08 09:30 in Wuhan, the samples' "now". */
    const val NOW = 1_772_933_400_000L
    private const val DAY = 86_400_000L

    val enrolment = Enrolment("http://192.168.1.20:8080", "wang", Role.SOCIAL_WORKER, listOf("武昌区/中南路街道/丽岛社区/第1网格"))
    val admin = enrolment.copy(user = "admin", role = Role.STATION_ADMIN, areas = emptyList())

    val firstRun = FirstRunState("http://192.168.1.20:8080", "XZFST-9E66D", false, null)
    val firstRunRefused = firstRun.copy(failure = DoorstepFailure.CodeRefused("enrolment_code_used"))

    val syncBar = SyncBarState(3, NOW - 40 * 60_000, false, null, null, null, emptyList(), emptyList(), false)
    val syncRunning = syncBar.copy(running = true, progress = SyncProgress(SyncStage.PUSH, 2, 3))
    val syncOffline = syncBar.copy(
        failure = DoorstepFailure.Unreachable("error sending request"),
        refused = listOf(RefusedChange("op1", "visit", "out_of_scope", "第4网格 is not in this device's areas")),
        expanded = true,
    )

    val due = listOf(
        DueItem(1, DueTier.LIFE, "h1", "r1", "王秀英", "丽岛花园3栋 201", listOf(Tag.ElderlyAlone, Tag.ChronicIllness), NOW - 6 * DAY,
            listOf(DueReason.LifeNeed(NeedCategory.MEDICINE, Urgency.CRITICAL, NOW + DAY))),
        DueItem(2, DueTier.VULNERABLE, "h2", "r2", "李建国", "丽岛花园5栋 302", listOf(Tag.Disability), NOW - 9 * DAY,
            listOf(DueReason.OpenNeeds(2, Urgency.HIGH))),
        DueItem(3, DueTier.OVERDUE, "h3", "r3", "陈婷", "丽岛花园1栋 104", listOf(Tag.Pregnant), NOW - 15 * DAY,
            listOf(DueReason.VisitOverdue(8 * DAY))),
        DueItem(4, DueTier.NEVER_VISITED, "h4", "r4", "赵磊", "丽岛花园7栋 1202", listOf(Tag.Stranded), null,
            listOf(DueReason.NeverVisited(1))),
    )
    val dueList = DueListState(due, false, "", null, null)

    val household = HouseholdInfo("h1", "a1", "丽岛花园3栋", "201", "13800001234")
    val residents = listOf(
        ResidentInfo("r1", "h1", "王秀英", Sex.FEMALE, 1938, "13800001234", listOf(Tag.ElderlyAlone, Tag.ChronicIllness), "耳背，敲门要用力"),
    )
    val need = NeedInfo("n1", "h1", "r1", NeedCategory.MEDICINE, Urgency.CRITICAL, null, "硝苯地平", NOW + DAY, NeedStatus.OPEN, NOW - DAY)
    val householdState = HouseholdState(
        household, residents,
        listOf(need, NeedInfo("n2", "h1", "r1", NeedCategory.NO_CAREGIVER, Urgency.HIGH, "女儿在外地", null, null, NeedStatus.REFERRED, NOW - DAY)),
        listOf(VisitSummary("v1", "r1", VisitOutcome.MET, "腿脚不便", NOW - 6 * DAY, "wang")),
        listOf(FollowUpInfo("f1", "r1", NOW + 2 * DAY, "送药后回访", false, false)),
        emptyList(), null, false, null,
    )
    val householdEdit = householdState.copy(
        edit = ResidentEdit("r1", "王秀英", Sex.FEMALE, "1938", "13800001234", listOf(Tag.ElderlyAlone, Tag.ChronicIllness), "耳背，敲门要用力"),
    )

    private fun q(id: String, zh: String, en: String, kind: QuestionKind, required: Boolean = true) = Question(id, Label(zh, en), kind, required)
    private val visitForm = VisitForm(
        "v2", "h1", "r1", Label("独居老人走访", "Elderly living alone"), NOW - 10 * 60_000,
        listOf(
            ShownQuestion(q("seen_safe", "本人在家且安全", "Seen and safe", QuestionKind.YesNo), Answer.YesNo(true)),
            ShownQuestion(
                q("health", "健康状况", "Health", QuestionKind.Single(listOf(Choice("good", Label("好", "Good")), Choice("fair", Label("一般", "Fair")), Choice("poor", Label("差", "Poor"))))),
                Answer.Single("fair"),
            ),
            ShownQuestion(q("chronic_meds", "每天服药", "Takes daily medicine", QuestionKind.YesNo), Answer.YesNo(true)),
            ShownQuestion(q("drug", "药名", "Which medicine", QuestionKind.Text(100)), Answer.Text("硝苯地平")),
            ShownQuestion(q("drug_days_left", "药还够几天", "Days of medicine left", QuestionKind.Number(0.0, 365.0, true, Label("天", "days"))), Answer.Number(400.0)),
            ShownQuestion(
                q("needs", "缺少的物资", "Supplies lacking", QuestionKind.Multi(listOf(Choice("rice", Label("米面", "Rice, flour")), Choice("oil", Label("油", "Oil")), Choice("veg", Label("蔬菜", "Vegetables")))), false),
                Answer.Multi(listOf("veg")),
            ),
            ShownQuestion(q("mood", "情绪", "Mood", QuestionKind.Single(listOf(Choice("calm", Label("平稳", "Calm")), Choice("worried", Label("焦虑", "Worried"))))), null),
            ShownQuestion(q("next_date", "下次复诊日期", "Next check-up", QuestionKind.Date, false), null),
        ),
        listOf(
            AnswerIssue("drug_days_left", AnswerProblem.OUT_OF_RANGE, "drug_days_left 400 is above 365"),
            AnswerIssue("mood", AnswerProblem.MISSING, "mood is required"),
        ),
    )
    val visit = VisitState(visitForm, emptyMap(), emptyMap(), VisitOutcome.MET, "", null, false, null)
    val visitFinished = visit.copy(
        finished = FinishedVisit(
            "v2",
            listOf(need, NeedInfo("n3", "h1", "r1", NeedCategory.VEGETABLES, Urgency.NORMAL, null, null, null, NeedStatus.OPEN, NOW)),
            null,
        ),
    )

    val needState = NeedState(
        need.copy(status = NeedStatus.REFERRED),
        listOf(
            NeedChange(null, NeedStatus.OPEN, null, NOW - DAY, "wang"),
            NeedChange(NeedStatus.OPEN, NeedStatus.REFERRED, "社区医院可开药", NOW - 60 * 60_000, "wang"),
        ),
        listOf(ReferralInfo("x1", "n1", ReferralTarget.HOSPITAL, "武昌区中南医院", "社区医院可开药", ReferralStatus.SENT, NOW - 60 * 60_000)),
        listOf(FollowUpInfo("f1", "r1", NOW + 2 * DAY, "送药后回访", false, false)),
        "", ReferralTarget.HOSPITAL, "", false, null,
    )
}
