package org.doorstep.app.syncbar

import androidx.compose.foundation.background
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.selection.toggleable
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Switch
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import org.doorstep.app.FailureText
import org.doorstep.app.Format
import org.doorstep.app.LocalStrings
import org.doorstep.app.MinTouch
import org.doorstep.app.PrimaryButton
import org.doorstep.app.SecondaryButton
import org.doorstep.sdk.DoorstepFailure

@Composable
fun SyncBarView(state: SyncBarState, onEvent: (SyncBarEvents) -> Unit) {
    val s = LocalStrings.current
    Column(Modifier.fillMaxWidth().background(Color(0xFFE8F0EC)).padding(horizontal = 12.dp, vertical = 6.dp).testTag("syncbar")) {
        Row(verticalAlignment = Alignment.CenterVertically) {
            Column(Modifier.weight(1f).semantics { liveRegion = LiveRegionMode.Polite }) {
                val line = when {
                    state.running -> s.syncing(state.progress?.stage, state.progress?.done ?: 0, state.progress?.total ?: 0)
                    else -> s.pending(state.pending)
                }
                Text(line, style = MaterialTheme.typography.bodyLarge, modifier = Modifier.testTag("syncline"))
                Text(
                    s.lastSync(state.lastSyncAtMs?.let(Format::dayTime)),
                    style = MaterialTheme.typography.bodySmall,
                )
            }
            PrimaryButton(s.syncNow, enabled = !state.running, modifier = Modifier.testTag("syncnow")) { onEvent(SyncBarEvents.SyncNow) }
        }
        state.wifiOnly?.let { on ->
            Row(
                Modifier.fillMaxWidth().heightIn(min = MinTouch)
                    .toggleable(value = on, role = Role.Switch) { onEvent(SyncBarEvents.WifiOnly(it)) }.testTag("wifi-only"),
                verticalAlignment = Alignment.CenterVertically,
            ) {
                Text(s.syncOnWifiOnly, style = MaterialTheme.typography.bodyMedium, modifier = Modifier.weight(1f))
                // The row toggles, so the switch itself takes no clicks of its own.
                Switch(checked = on, onCheckedChange = null)
            }
        }
        if (state.running) LinearProgressIndicator(Modifier.fillMaxWidth().padding(top = 4.dp))
        FailureText(state.failure?.let(s::failure))
        if (state.failure is DoorstepFailure.EnrolAgain) {
            SecondaryButton(s.enrolAgain) { onEvent(SyncBarEvents.EnrolAgain) }
        }
        if (state.refused.isNotEmpty() || state.conflicts.isNotEmpty()) {
            Row(
                Modifier.fillMaxWidth().heightIn(min = MinTouch).clickable { onEvent(SyncBarEvents.ToggleDetails) },
                verticalAlignment = Alignment.CenterVertically,
            ) {
                Text(
                    listOfNotNull(
                        s.refused(state.refused.size).takeIf { state.refused.isNotEmpty() },
                        s.conflicts(state.conflicts.size).takeIf { state.conflicts.isNotEmpty() },
                    ).joinToString(" · ") + if (state.expanded) "  ▲" else "  ▼",
                    color = MaterialTheme.colorScheme.error,
                )
            }
            if (state.expanded) {
                Column(verticalArrangement = Arrangement.spacedBy(4.dp)) {
                    state.refused.forEach { Text("• ${it.reason}", style = MaterialTheme.typography.bodySmall) }
                    if (state.refused.isNotEmpty()) SecondaryButton(s.retryRefused) { onEvent(SyncBarEvents.RetryRefused) }
                    state.conflicts.forEach { c ->
                        Row(verticalAlignment = Alignment.CenterVertically) {
                            Text("• ${c.field}: ${c.kept} / ${c.lost}", style = MaterialTheme.typography.bodySmall, modifier = Modifier.weight(1f))
                            SecondaryButton(s.markReviewed) { onEvent(SyncBarEvents.Reviewed(c.id)) }
                        }
                    }
                }
            }
        }
    }
}
