package org.doorstep.sdk

import org.doorstep.core.model.Answer as AnswerValue
import org.doorstep.core.model.Enrolment as FfiEnrolment
import org.doorstep.core.model.Need as FfiNeed
import org.doorstep.core.model.QuestionKind as FfiKind
import org.doorstep.core.model.Resident as FfiResident
import org.doorstep.core.model.Tag as FfiTag
import org.doorstep.core.model.Template as FfiTemplate
import org.doorstep.core.model.VisitState as FfiVisitState

// Conversions between the generated types and the app's. Enums with the same cases map
// by name; the rest field by field.

internal fun FfiEnrolment.toApp() = Enrolment(server, user, Role.valueOf(role.name), areas)

internal fun FfiTag.toApp(): Tag = when (this) {
    FfiTag.ElderlyAlone -> Tag.ElderlyAlone
    FfiTag.Disability -> Tag.Disability
    FfiTag.ChildInHardship -> Tag.ChildInHardship
    FfiTag.Stranded -> Tag.Stranded
    FfiTag.FrontlineFamily -> Tag.FrontlineFamily
    FfiTag.Pregnant -> Tag.Pregnant
    FfiTag.ChronicIllness -> Tag.ChronicIllness
    FfiTag.LowIncome -> Tag.LowIncome
    is FfiTag.Custom -> Tag.Custom(name)
}

internal fun Tag.toFfi(): FfiTag = when (this) {
    Tag.ElderlyAlone -> FfiTag.ElderlyAlone
    Tag.Disability -> FfiTag.Disability
    Tag.ChildInHardship -> FfiTag.ChildInHardship
    Tag.Stranded -> FfiTag.Stranded
    Tag.FrontlineFamily -> FfiTag.FrontlineFamily
    Tag.Pregnant -> FfiTag.Pregnant
    Tag.ChronicIllness -> FfiTag.ChronicIllness
    Tag.LowIncome -> FfiTag.LowIncome
    is Tag.Custom -> FfiTag.Custom(name)
}

internal fun FfiResident.toApp() =
    ResidentInfo(id, householdId, name, Sex.valueOf(sex.name), birthYear, phone, tags.map { it.toApp() }, notes)

internal fun FfiNeed.toApp() = NeedInfo(
    id, householdId, residentId, NeedCategory.valueOf(category.name), Urgency.valueOf(urgency.name),
    details, drug, runsOutAtMs, NeedStatus.valueOf(status.name), raisedAtMs,
)

internal fun org.doorstep.core.model.Label.toApp() = Label(zhCn, en)

internal fun FfiKind.toApp(): QuestionKind = when (this) {
    FfiKind.YesNo -> QuestionKind.YesNo
    is FfiKind.SingleChoice -> QuestionKind.Single(options.map { Choice(it.id, it.label.toApp()) })
    is FfiKind.MultiChoice -> QuestionKind.Multi(options.map { Choice(it.id, it.label.toApp()) })
    is FfiKind.Number -> QuestionKind.Number(min, max, integer, unit?.toApp())
    is FfiKind.Text -> QuestionKind.Text(maxLength.toInt())
    FfiKind.Date -> QuestionKind.Date
    FfiKind.Photo -> QuestionKind.Photo
}

internal fun AnswerValue.toApp(): Answer = when (this) {
    is AnswerValue.Bool -> Answer.YesNo(value)
    is AnswerValue.Choice -> Answer.Single(option)
    is AnswerValue.Choices -> Answer.Multi(options)
    is AnswerValue.Number -> Answer.Number(value)
    is AnswerValue.Text -> Answer.Text(value)
    is AnswerValue.Date -> Answer.Date(value)
    is AnswerValue.Photo -> Answer.Photo(reference)
}

internal fun Answer.toFfi(): AnswerValue = when (this) {
    is Answer.YesNo -> AnswerValue.Bool(value)
    is Answer.Single -> AnswerValue.Choice(option)
    is Answer.Multi -> AnswerValue.Choices(options)
    is Answer.Number -> AnswerValue.Number(value)
    is Answer.Text -> AnswerValue.Text(value)
    is Answer.Date -> AnswerValue.Date(value)
    is Answer.Photo -> AnswerValue.Photo(reference)
}

internal fun FfiVisitState.toApp(template: FfiTemplate) = VisitForm(
    visitId = visitId,
    householdId = householdId,
    residentId = residentId,
    title = template.title.toApp(),
    startedAtMs = startedAtMs,
    questions = visible.map { v ->
        ShownQuestion(
            Question(v.question.id, v.question.label.toApp(), v.question.kind.toApp(), v.question.required),
            v.answer?.toApp(),
        )
    },
    issues = issues.map { AnswerIssue(it.questionId, AnswerProblem.valueOf(it.problem.name), it.message) },
)
