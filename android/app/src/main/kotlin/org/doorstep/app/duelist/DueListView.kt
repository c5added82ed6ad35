package org.doorstep.app.duelist

import androidx.compose.foundation.background
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.width
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.LazyListState
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.lazy.rememberLazyListState
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.pulltorefresh.PullToRefreshBox
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import org.doorstep.app.FailureText
import org.doorstep.app.Format
import org.doorstep.app.LocalStrings
import org.doorstep.app.MinTouch
import org.doorstep.app.SecondaryButton
import org.doorstep.app.tierColor
import org.doorstep.sdk.DueItem

@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun DueListView(state: DueListState, onEvent: (DueListEvents) -> Unit, listState: LazyListState = rememberLazyListState()) {
    val s = LocalStrings.current
    Column(Modifier.fillMaxSize()) {
        Row(Modifier.fillMaxWidth().padding(horizontal = 12.dp), verticalAlignment = Alignment.CenterVertically) {
            OutlinedTextField(
                value = state.query,
                onValueChange = { onEvent(DueListEvents.QueryChanged(it)) },
                placeholder = { Text(s.searchHint, maxLines = 1) },
                singleLine = true,
                modifier = Modifier.weight(1f).testTag("search"),
            )
            // The pull gesture cannot be reached by keyboard or a screen reader; the button can.
            SecondaryButton(s.refresh, modifier = Modifier.padding(start = 8.dp).testTag("refresh")) { onEvent(DueListEvents.Refresh) }
        }
        FailureText(state.failure?.let(s::failure))
        val results = state.results
        if (results != null) {
            if (results.isEmpty()) Text(s.noResults, Modifier.padding(16.dp))
            LazyColumn(Modifier.fillMaxSize().testTag("results")) {
                items(results, key = { it.residentId }) { r ->
                    Column(
                        Modifier.fillMaxWidth().heightIn(min = MinTouch).clickable { onEvent(DueListEvents.Open(r.householdId)) }
                            .padding(horizontal = 16.dp, vertical = 8.dp),
                    ) {
                        Text(r.name, style = MaterialTheme.typography.titleMedium)
                        Text(r.address + (if (r.tags.isEmpty()) "" else " · " + r.tags.joinToString(s.listSep) { s.tag(it) }), style = MaterialTheme.typography.bodyMedium)
                    }
                    HorizontalDivider()
                }
            }
        } else {
            PullToRefreshBox(
                isRefreshing = state.loading,
                onRefresh = { onEvent(DueListEvents.Refresh) },
                modifier = Modifier.fillMaxSize().testTag("pull-to-refresh"),
            ) {
                LazyColumn(Modifier.fillMaxSize().testTag("duelist"), state = listState) {
                    if (!state.loading && state.items.isEmpty()) item { Text(s.nothingDue, Modifier.padding(16.dp)) }
                    items(state.items, key = { it.householdId + "/" + it.residentId }) { DueRow(it) { onEvent(DueListEvents.Open(it.householdId)) } }
                }
            }
        }
    }
}

@Composable
private fun DueRow(item: DueItem, onClick: () -> Unit) {
    val s = LocalStrings.current
    val who = item.name ?: item.address
    Row(
        Modifier.fillMaxWidth().heightIn(min = MinTouch).clickable(onClick = onClick)
            .semantics { contentDescription = "${s.tier(item.tier)}: $who, ${item.reasons.joinToString("; ") { s.reason(it) }}" }
            .padding(horizontal = 12.dp, vertical = 8.dp),
        horizontalArrangement = Arrangement.spacedBy(10.dp),
    ) {
        Box(Modifier.width(6.dp).heightIn(min = 56.dp).background(tierColor(item.tier)))
        Column(Modifier.weight(1f)) {
            Row(verticalAlignment = Alignment.CenterVertically) {
                Text(who, style = MaterialTheme.typography.titleMedium, fontWeight = FontWeight.Bold, modifier = Modifier.weight(1f))
                Text(
                    s.tier(item.tier),
                    color = Color.White,
                    style = MaterialTheme.typography.labelMedium,
                    modifier = Modifier.background(tierColor(item.tier)).padding(horizontal = 6.dp, vertical = 2.dp),
                )
            }
            if (item.name != null) Text(item.address, style = MaterialTheme.typography.bodyMedium)
            if (item.tags.isNotEmpty()) Text(item.tags.joinToString(s.listSep) { s.tag(it) }, style = MaterialTheme.typography.bodySmall)
            item.reasons.forEach { Text("• " + s.reason(it), style = MaterialTheme.typography.bodyMedium, color = tierColor(item.tier)) }
            Text(s.lastContact(item.lastContactAtMs?.let(Format::dayTime)), style = MaterialTheme.typography.bodySmall)
        }
    }
    HorizontalDivider()
}
