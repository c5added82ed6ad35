package org.doorstep.app.visit

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.FilterChip
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp
import org.doorstep.app.DangerButton
import org.doorstep.app.FailureText
import org.doorstep.app.Format
import org.doorstep.app.LocalStrings
import org.doorstep.app.MinTouch
import org.doorstep.app.Panel
import org.doorstep.app.PrimaryButton
import org.doorstep.app.SecondaryButton
import org.doorstep.app.SectionTitle
import org.doorstep.app.TitleBar
import org.doorstep.app.urgencyColor
import org.doorstep.sdk.Answer
import org.doorstep.sdk.AnswerProblem
import org.doorstep.sdk.QuestionKind
import org.doorstep.sdk.ShownQuestion
import org.doorstep.sdk.VisitOutcome

@Composable
fun VisitView(state: VisitState, onEvent: (VisitEvents) -> Unit, onBack: () -> Unit, pickPhoto: ((questionId: String) -> Unit)? = null) {
    val s = LocalStrings.current
    val form = state.form
    Column(Modifier.fillMaxSize()) {
        TitleBar(form?.let { s.label(it.title) } ?: s.visitTitle, onBack)
        Column(Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(horizontal = 16.dp)) {
            FailureText(state.failure?.let(s::failure))
            val done = state.finished
            if (done != null) {
                Finished(state, onEvent)
                return@Column
            }
            form ?: return@Column
            form.questions.forEach { q ->
                QuestionCard(
                    q,
                    typed = state.typed[q.question.id],
                    problem = form.issues.firstOrNull { it.questionId == q.question.id && it.problem != AnswerProblem.MISSING }?.problem,
                    refused = state.refused[q.question.id]?.let(s::failure),
                    onEvent = onEvent,
                    pickPhoto = pickPhoto,
                )
            }
            SectionTitle(s.outcome)
            ChoiceRow(VisitOutcome.entries.map { it.name to s.outcome(it) }, listOf(state.outcome.name)) {
                onEvent(VisitEvents.OutcomeChosen(VisitOutcome.valueOf(it)))
            }
            OutlinedTextField(
                state.note, { onEvent(VisitEvents.NoteChanged(it)) }, label = { Text(s.note) },
                modifier = Modifier.fillMaxWidth().testTag("visit-note"),
            )
            val missing = form.issues.count { it.problem == AnswerProblem.MISSING }
            if (missing > 0 && state.outcome == VisitOutcome.MET) FailureText(s.missing(missing))
            PrimaryButton(s.finishVisit, enabled = !state.busy, modifier = Modifier.fillMaxWidth().padding(top = 8.dp).testTag("finish")) {
                onEvent(VisitEvents.Finish)
            }
            DangerButton(s.discard) { onEvent(VisitEvents.Discard) }
            Text("", Modifier.padding(bottom = 24.dp))
        }
    }
}

@Composable
private fun Finished(state: VisitState, onEvent: (VisitEvents) -> Unit) {
    val s = LocalStrings.current
    val done = state.finished ?: return
    Text(s.visitDone, style = MaterialTheme.typography.headlineSmall, modifier = Modifier.padding(vertical = 12.dp).testTag("visit-done"))
    SectionTitle(if (done.needs.isEmpty()) s.noNeedsRaised else s.needsRaised)
    done.needs.forEach { n ->
        Panel(Modifier.testTag("raised-${n.category}")) {
            Text("${s.category(n.category)} · ${s.urgency(n.urgency)}", color = urgencyColor(n.urgency), fontWeight = FontWeight.Bold)
            val more = listOfNotNull(n.drug, n.details, n.runsOutAtMs?.let { s.runsOut(Format.day(it)) })
            if (more.isNotEmpty()) Text(more.joinToString(" · "))
            PrimaryButton(s.needTitle + " ›") { onEvent(VisitEvents.OpenNeed(n.id)) }
        }
    }
    PrimaryButton(s.backToHousehold, modifier = Modifier.fillMaxWidth().padding(top = 12.dp).testTag("visit-close")) { onEvent(VisitEvents.Done) }
}

@Composable
private fun QuestionCard(
    q: ShownQuestion,
    typed: String?,
    problem: AnswerProblem?,
    refused: String?,
    onEvent: (VisitEvents) -> Unit,
    pickPhoto: ((questionId: String) -> Unit)?,
) {
    val s = LocalStrings.current
    val id = q.question.id
    Panel(Modifier.testTag("q-$id")) {
        Text(
            s.label(q.question.label) + if (q.question.required) " *" else "",
            style = MaterialTheme.typography.titleMedium,
        )
        when (val k = q.question.kind) {
            QuestionKind.YesNo -> ChoiceRow(listOf("yes" to s.yes, "no" to s.no), listOfNotNull((q.answer as? Answer.YesNo)?.let { if (it.value) "yes" else "no" }), id) {
                onEvent(VisitEvents.Answered(id, Answer.YesNo(it == "yes")))
            }
            is QuestionKind.Single -> ChoiceRow(k.options.map { it.id to s.label(it.label) }, listOfNotNull((q.answer as? Answer.Single)?.option), id) {
                onEvent(VisitEvents.Answered(id, Answer.Single(it)))
            }
            is QuestionKind.Multi -> {
                val now = (q.answer as? Answer.Multi)?.options.orEmpty()
                ChoiceRow(k.options.map { it.id to s.label(it.label) }, now, id) {
                    onEvent(VisitEvents.Answered(id, Answer.Multi(if (it in now) now - it else now + it)))
                }
            }
            is QuestionKind.Number -> {
                val shown = typed ?: (q.answer as? Answer.Number)?.value?.let(Format::number).orEmpty()
                val bounds = s.numberBounds(k.min?.let(Format::number), k.max?.let(Format::number))
                OutlinedTextField(
                    shown,
                    { t -> onEvent(VisitEvents.Typed(id, t, t.trim().toDoubleOrNull()?.let { Answer.Number(it) })) },
                    suffix = k.unit?.let { { Text(s.label(it)) } },
                    supportingText = if (bounds.isEmpty()) null else ({ Text(bounds) }),
                    singleLine = true,
                    keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Decimal),
                    modifier = Modifier.fillMaxWidth().testTag("input-$id"),
                )
            }
            is QuestionKind.Text -> {
                val shown = typed ?: (q.answer as? Answer.Text)?.value.orEmpty()
                OutlinedTextField(
                    shown,
                    { onEvent(VisitEvents.Typed(id, it, Answer.Text(it))) },
                    supportingText = { Text(s.textLimit(shown.length, k.maxLength)) },
                    isError = shown.length > k.maxLength,
                    modifier = Modifier.fillMaxWidth().testTag("input-$id"),
                )
            }
            QuestionKind.Date -> {
                val shown = typed ?: (q.answer as? Answer.Date)?.value.orEmpty()
                OutlinedTextField(
                    shown,
                    { t -> onEvent(VisitEvents.Typed(id, t, Answer.Date(t.trim()).takeIf { t.trim().length == 10 })) },
                    supportingText = { Text(s.dateHint) },
                    singleLine = true,
                    modifier = Modifier.fillMaxWidth().testTag("input-$id"),
                )
            }
            QuestionKind.Photo -> Row(verticalAlignment = Alignment.CenterVertically) {
                val taken = q.answer is Answer.Photo
                Text(
                    when {
                        taken -> s.photoTaken
                        pickPhoto == null -> s.photoNotOnThisDevice
                        else -> ""
                    },
                    style = MaterialTheme.typography.bodyMedium,
                    modifier = Modifier.weight(1f).testTag("photo-$id"),
                )
                if (pickPhoto != null) SecondaryButton(s.pickPhoto, modifier = Modifier.testTag("pick-$id")) { pickPhoto(id) }
            }
        }
        FailureText(refused ?: problem?.let(s::problem))
    }
}

@OptIn(ExperimentalLayoutApi::class)
@Composable
private fun ChoiceRow(options: List<Pair<String, String>>, selected: List<String>, tagPrefix: String = "o", onPick: (String) -> Unit) {
    FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
        options.forEach { (id, text) ->
            FilterChip(
                selected = id in selected,
                onClick = { onPick(id) },
                label = { Text(text) },
                modifier = Modifier.heightIn(min = MinTouch).testTag("$tagPrefix=$id"),
            )
        }
    }
}
