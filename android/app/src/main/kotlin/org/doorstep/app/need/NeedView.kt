package org.doorstep.app.need

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.FilterChip
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
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
import org.doorstep.sdk.NeedStatus
import org.doorstep.sdk.ReferralTarget

@OptIn(ExperimentalLayoutApi::class)
@Composable
fun NeedView(state: NeedState, onEvent: (NeedEvents) -> Unit, onBack: () -> Unit) {
    val s = LocalStrings.current
    val n = state.need
    Column(Modifier.fillMaxSize()) {
        TitleBar(n?.let { s.category(it.category) } ?: s.needTitle, onBack)
        Column(Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(horizontal = 16.dp)) {
            FailureText(state.failure?.let(s::failure))
            n ?: return@Column
            Panel {
                Text(
                    "${s.urgency(n.urgency)} · ${s.status(n.status)}",
                    color = urgencyColor(n.urgency),
                    fontWeight = FontWeight.Bold,
                    style = MaterialTheme.typography.titleMedium,
                    modifier = Modifier.testTag("need-status"),
                )
                listOfNotNull(n.drug, n.details, n.runsOutAtMs?.let { s.runsOut(Format.day(it)) }).forEach { Text(it) }
            }
            OutlinedTextField(
                state.note, { onEvent(NeedEvents.NoteChanged(it)) }, label = { Text(s.note) },
                modifier = Modifier.fillMaxWidth().testTag("need-note"),
            )
            SectionTitle(s.moveTo)
            FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                listOf(NeedStatus.IN_PROGRESS, NeedStatus.RESOLVED, NeedStatus.CANNOT_RESOLVE).filter { it != n.status }.forEach { st ->
                    SecondaryButton(s.status(st), enabled = !state.busy, modifier = Modifier.testTag("move-$st")) { onEvent(NeedEvents.Move(st)) }
                }
            }
            SectionTitle(s.referTo)
            FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                ReferralTarget.entries.forEach { t ->
                    FilterChip(
                        selected = state.target == t, onClick = { onEvent(NeedEvents.TargetChosen(t)) },
                        label = { Text(s.target(t)) }, modifier = Modifier.heightIn(min = MinTouch).testTag("target-$t"),
                    )
                }
            }
            OutlinedTextField(
                state.targetName, { onEvent(NeedEvents.TargetNameChanged(it)) }, label = { Text(s.targetName) },
                singleLine = true, modifier = Modifier.fillMaxWidth().testTag("target-name"),
            )
            PrimaryButton(s.refer, enabled = !state.busy, modifier = Modifier.fillMaxWidth().padding(top = 4.dp).testTag("refer")) {
                onEvent(NeedEvents.Refer)
            }
            state.referrals.forEach { r ->
                Text(s.referralLine(r.target, r.targetName, r.status), modifier = Modifier.padding(top = 4.dp).testTag("referral"))
            }
            SectionTitle(s.scheduleFollowUp)
            FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                listOf(1, 3, 7).forEach { d ->
                    SecondaryButton(s.inDays(d), enabled = !state.busy, modifier = Modifier.testTag("followup-$d")) { onEvent(NeedEvents.FollowUpIn(d)) }
                }
            }
            state.followUps.forEach { Text(s.followUpLine(Format.dayTime(it.dueAtMs), it.note)) }
            SectionTitle(s.history)
            state.history.forEach { c ->
                Text(s.change(c.from, c.to, c.by, Format.dayTime(c.atMs)), style = MaterialTheme.typography.bodyMedium)
                c.note?.let { Text("  $it", style = MaterialTheme.typography.bodySmall) }
            }
            Text("", Modifier.padding(bottom = 24.dp))
        }
    }
}
