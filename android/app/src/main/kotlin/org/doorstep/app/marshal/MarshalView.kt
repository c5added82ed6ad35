package org.doorstep.app.marshal

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.unit.dp
import org.doorstep.app.FailureText
import org.doorstep.app.Format
import org.doorstep.app.LocalStrings
import org.doorstep.app.PrimaryButton
import org.doorstep.app.SecondaryButton
import org.doorstep.app.SectionTitle

/**
 * The marshal's screen: the set-up until it is done, then the camera's place, the last
 * outcome's card, the day's count and manual entry. [camera] is the platform's viewfinder
 * (the camera2 scanner on Android; nothing on the desktop); [pickImage] reads a picture.
 */
@Composable
fun MarshalView(
    state: MarshalState,
    onEvent: (MarshalEvents) -> Unit,
    camera: @Composable () -> Unit = {},
    pickImage: (() -> Unit)? = null,
) {
    val s = LocalStrings.current
    Column(Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(horizontal = 16.dp)) {
        FailureText(state.failure?.let(s::failure))
        if (!state.ready) {
            SectionTitle(s.marshalTitle)
            OutlinedTextField(state.site, { onEvent(MarshalEvents.SiteChanged(it)) }, label = { Text(s.siteLabel) }, singleLine = true, modifier = Modifier.fillMaxWidth().testTag("site"))
            OutlinedTextField(state.lane, { onEvent(MarshalEvents.LaneChanged(it)) }, label = { Text(s.laneLabel) }, singleLine = true, modifier = Modifier.fillMaxWidth().testTag("lane"))
            Text(s.pauseLabel(state.pauseSeconds), Modifier.padding(top = 8.dp))
            Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                listOf(0, 2, 3, 5).forEach { n ->
                    SecondaryButton(if (n == 0) "👆" else "${n}s", modifier = Modifier.testTag("pause-$n")) { onEvent(MarshalEvents.PauseChanged(n)) }
                }
            }
            PrimaryButton(s.beginScanning, enabled = state.canBegin, modifier = Modifier.fillMaxWidth().padding(top = 8.dp).testTag("begin")) { onEvent(MarshalEvents.Begin) }
            return@Column
        }
        Row(Modifier.fillMaxWidth(), horizontalArrangement = Arrangement.SpaceBetween) {
            Text("${state.site} · ${s.laneLabel} ${state.lane}", style = MaterialTheme.typography.titleMedium)
        }
        state.today?.let { Text(s.today(it.scans, it.admitted), modifier = Modifier.testTag("today")) }
        val card = state.card
        if (card != null && state.paused) {
            // A tap anywhere on the card: the next person is in front.
            OutcomeCard(card.outcome, Modifier.padding(vertical = 8.dp).clickable { onEvent(MarshalEvents.Next) })
            PrimaryButton(s.tapForNext, modifier = Modifier.fillMaxWidth().testTag("next")) { onEvent(MarshalEvents.Next) }
        } else {
            camera()
            Text(s.pointCamera, Modifier.padding(vertical = 8.dp))
            card?.let { OutcomeCard(it.outcome, Modifier.padding(vertical = 4.dp)) }
        }
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp), modifier = Modifier.padding(top = 4.dp)) {
            OutlinedTextField(state.manual, { onEvent(MarshalEvents.ManualChanged(it)) }, label = { Text(s.manualLabel) }, singleLine = true, modifier = Modifier.weight(1f).testTag("manual"))
        }
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            PrimaryButton(s.manualSubmit, enabled = !state.busy && state.manual.isNotBlank(), modifier = Modifier.testTag("manual-submit")) { onEvent(MarshalEvents.SubmitManual) }
            if (pickImage != null) SecondaryButton(s.pickImage, modifier = Modifier.testTag("pick-image")) { pickImage() }
            SecondaryButton(s.tubesButton, modifier = Modifier.testTag("tubes")) { onEvent(MarshalEvents.OpenTubes) }
        }
        if (state.recent.isNotEmpty()) {
            SectionTitle(s.recentOutcomes)
            state.recent.forEach { c ->
                Text("${Format.dayTime(c.atMs)}  ${s.outcomeTitle(c.outcome)}", color = cueOf(c.outcome).colour, modifier = Modifier.testTag("recent"))
            }
        }
        SecondaryButton(s.changeSetUp, modifier = Modifier.padding(vertical = 16.dp).testTag("change-setup")) { onEvent(MarshalEvents.ChangeSetUp) }
    }
}
