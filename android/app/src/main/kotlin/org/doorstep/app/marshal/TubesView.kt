package org.doorstep.app.marshal

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.heightIn
import androidx.compose.ui.Alignment
import org.doorstep.app.MinTouch
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.LinearProgressIndicator
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
import org.doorstep.app.Panel
import org.doorstep.app.PrimaryButton
import org.doorstep.app.SecondaryButton
import org.doorstep.app.SectionTitle
import org.doorstep.app.TitleBar

/** Pooled tubes: the one being filled (as it fills), open and sealed ones, recall lists. */
@Composable
fun TubesView(state: TubesState, onEvent: (TubesEvents) -> Unit, onBack: () -> Unit, camera: @Composable () -> Unit = {}) {
    val s = LocalStrings.current
    Column(Modifier.fillMaxSize()) {
        TitleBar(s.tubesTitle, onBack)
        Column(Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(horizontal = 16.dp)) {
            FailureText(state.failure?.let(s::failure))
            val cur = state.current
            if (cur != null && !cur.sealed) {
                Panel {
                    Text(s.tubeFill(cur.code, cur.members, cur.capacity), style = MaterialTheme.typography.headlineMedium, fontWeight = FontWeight.Bold, modifier = Modifier.testTag("tube-fill"))
                    LinearProgressIndicator({ cur.members.toFloat() / cur.capacity.coerceAtLeast(1) }, Modifier.fillMaxWidth())
                    if (cur.members >= cur.capacity) Text(s.tubeFull, color = MaterialTheme.colorScheme.error)
                    state.lastScan?.let { r -> Text(s.outcomeTitle(r.outcome), color = cueOf(r.outcome).colour, fontWeight = FontWeight.Bold, modifier = Modifier.testTag("tube-last")) }
                }
                if (state.canGoHome) AtHome(state, onEvent)
                camera()
                Text(s.scanIntoTube)
                // A damaged pass, or the desktop, where no camera reads it.
                OutlinedTextField(state.code, { onEvent(TubesEvents.CodeChanged(it)) }, label = { Text(s.manualLabel) }, singleLine = true, modifier = Modifier.fillMaxWidth().testTag("tube-pass"))
                SecondaryButton(s.manualSubmit, enabled = !state.busy && state.code.isNotBlank(), modifier = Modifier.testTag("tube-pass-submit")) {
                    onEvent(TubesEvents.Scanned(state.code))
                    onEvent(TubesEvents.CodeChanged(""))
                }
                PrimaryButton(s.sealTube, enabled = !state.busy, modifier = Modifier.fillMaxWidth().testTag("seal")) { onEvent(TubesEvents.Seal) }
            } else {
                cur?.let { Text(s.tubeFill(it.code, it.members, it.capacity) + " · " + s.tubeSealed, modifier = Modifier.testTag("tube-sealed")) }
                OutlinedTextField(state.code, { onEvent(TubesEvents.CodeChanged(it)) }, label = { Text(s.tubeCodeLabel) }, singleLine = true, modifier = Modifier.fillMaxWidth().testTag("tube-code"))
                Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    listOf(5, 10, 20).forEach { n ->
                        SecondaryButton(s.capacityLabel(n), modifier = Modifier.testTag("capacity-$n")) { onEvent(TubesEvents.CapacityChanged(n)) }
                    }
                }
                PrimaryButton(s.openTube, enabled = !state.busy && state.code.isNotBlank(), modifier = Modifier.fillMaxWidth().testTag("open-tube")) { onEvent(TubesEvents.Open) }
            }
            if (state.positive.isNotEmpty()) {
                SectionTitle(s.positiveTubes)
                state.positive.forEach { t ->
                    SecondaryButton(s.recallTitle(t.code), modifier = Modifier.fillMaxWidth().testTag("recall-${t.code}")) { onEvent(TubesEvents.ShowRecall(t.id)) }
                }
            }
            state.recallOf?.let { t ->
                Panel {
                    Text(s.recallTitle(t.code), fontWeight = FontWeight.Bold)
                    state.recall.forEach { r ->
                        Text(listOfNotNull(r.name ?: r.residentRef, r.address, r.unit, r.queueNo, Format.dayTime(r.sampledAtMs)).joinToString(" · "), modifier = Modifier.testTag("recall-entry"))
                    }
                    SecondaryButton(s.closeRecall) { onEvent(TubesEvents.CloseRecall) }
                }
            }
            SectionTitle(s.tubesTitle)
            state.tubes.forEach { t ->
                Row(Modifier.fillMaxWidth(), horizontalArrangement = Arrangement.SpaceBetween) {
                    Text(s.tubeFill(t.code, t.members, t.capacity) + if (t.sealed) " · " + s.tubeSealed else "", Modifier.weight(1f).testTag("tube-row"))
                    if (!t.sealed && t.id != cur?.id) SecondaryButton(s.resume) { onEvent(TubesEvents.Resume(t.id)) }
                }
            }
        }
    }
}

/** Door-to-door sampling: find the bedridden resident's household, or go back to the site. */
@Composable
private fun AtHome(state: TubesState, onEvent: (TubesEvents) -> Unit) {
    val s = LocalStrings.current
    val home = state.home
    if (home != null) {
        Row(Modifier.fillMaxWidth().padding(vertical = 4.dp), verticalAlignment = Alignment.CenterVertically) {
            Text(s.atHome(home.address), Modifier.weight(1f).testTag("at-home"), fontWeight = FontWeight.Bold)
            SecondaryButton(s.backToSite, modifier = Modifier.testTag("leave-home")) { onEvent(TubesEvents.LeaveHome) }
        }
        return
    }
    SectionTitle(s.atHomeTitle)
    OutlinedTextField(state.homeQuery, { onEvent(TubesEvents.HomeQueryChanged(it)) }, label = { Text(s.homeSearchLabel) }, singleLine = true, modifier = Modifier.fillMaxWidth().testTag("home-search"))
    state.homeHits.forEach { h ->
        Text(
            "${h.name} · ${h.address}",
            Modifier.fillMaxWidth().heightIn(min = MinTouch).clickable { onEvent(TubesEvents.HomeChosen(h)) }.padding(vertical = 12.dp).testTag("home-hit"),
        )
    }
    if (state.homeQuery.isNotBlank() && state.homeHits.isEmpty()) Text(s.noHomeFound, style = MaterialTheme.typography.bodySmall)
}
