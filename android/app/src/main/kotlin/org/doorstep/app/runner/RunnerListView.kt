package org.doorstep.app.runner

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import org.doorstep.app.FailureText
import org.doorstep.app.LocalStrings
import org.doorstep.app.MinTouch
import org.doorstep.app.Panel
import org.doorstep.app.SecondaryButton
import org.doorstep.app.SectionTitle
import org.doorstep.app.Strings
import org.doorstep.app.urgencyColor
import org.doorstep.sdk.ItemCount
import org.doorstep.sdk.RunnerItem

/** Items in a line, named in the app's language: "大米 5公斤、胰岛素 300 IU 1盒". */
fun itemsLine(items: List<ItemCount>, s: Strings): String = items.joinToString(s.listSep) { s.itemLine(it) }

@Composable
fun RunnerListView(state: RunnerListState, onEvent: (RunnerListEvents) -> Unit) {
    val s = LocalStrings.current
    Column(Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(horizontal = 16.dp)) {
        FailureText(state.failure?.let(s::failure))
        SecondaryButton(s.retry, enabled = !state.loading, modifier = Modifier.testTag("runner-refresh")) { onEvent(RunnerListEvents.Refresh) }
        val day = state.day ?: return@Column
        if (day.stops.isEmpty() && day.toReturn.isEmpty()) Text(s.nothingToday, Modifier.padding(vertical = 8.dp))
        day.stops.forEach { stop ->
            SectionTitle(stop.building)
            stop.packages.forEach { PackageRow(it, onEvent) }
        }
        if (day.toReturn.isNotEmpty()) {
            SectionTitle(s.toReturn)
            day.toReturn.forEach { PackageRow(it, onEvent) }
        }
        if (day.itemsLeft.isNotEmpty()) {
            SectionTitle(s.itemsLeft)
            Text(itemsLine(day.itemsLeft, s), modifier = Modifier.testTag("items-left"))
        }
    }
}

@Composable
private fun PackageRow(p: RunnerItem, onEvent: (RunnerListEvents) -> Unit) {
    val s = LocalStrings.current
    Panel(Modifier.heightIn(min = MinTouch).clickable { onEvent(RunnerListEvents.Open(p.packageId)) }.testTag("package-${p.packageId}")) {
        Text(
            listOfNotNull(p.unit ?: p.address, s.urgency(p.urgency), s.medicine.takeIf { p.medicine }).joinToString(" · "),
            color = urgencyColor(p.urgency), fontWeight = FontWeight.Bold,
        )
        Text(itemsLine(p.items, s), style = MaterialTheme.typography.bodyMedium)
        Text(s.packageStatus(p.status), style = MaterialTheme.typography.bodySmall, modifier = Modifier.fillMaxWidth())
    }
}
