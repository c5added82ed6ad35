package org.doorstep.app.household

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.Row
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
import androidx.compose.ui.Alignment
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
import org.doorstep.sdk.Sex
import org.doorstep.sdk.Tag
import java.time.Year

@Composable
fun HouseholdView(state: HouseholdState, onEvent: (HouseholdEvents) -> Unit, onBack: () -> Unit, thisYear: Int = Year.now().value) {
    val s = LocalStrings.current
    val h = state.household
    Column(Modifier.fillMaxSize()) {
        TitleBar(h?.let { listOfNotNull(it.address, it.unit).joinToString(" ") } ?: s.householdTitle, onBack)
        Column(Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(horizontal = 16.dp)) {
            FailureText(state.failure?.let(s::failure))
            h?.phone?.let { Text("${s.phone}: $it", style = MaterialTheme.typography.bodyMedium) }
            val edit = state.edit
            if (edit != null) {
                ResidentEditor(edit, state.busy, onEvent)
                return@Column
            }
            SectionTitle(s.residents)
            state.residents.forEach { r ->
                Panel(Modifier.testTag("resident-${r.name}")) {
                    Row(verticalAlignment = Alignment.CenterVertically) {
                        Text(r.name, style = MaterialTheme.typography.titleMedium, fontWeight = FontWeight.Bold, modifier = Modifier.weight(1f))
                        Text(listOf(s.sex(r.sex), s.age(r.birthYear, thisYear)).filter { it.isNotEmpty() }.joinToString(" · "))
                    }
                    if (r.tags.isNotEmpty()) Text(r.tags.joinToString(s.listSep) { s.tag(it) }, color = MaterialTheme.colorScheme.secondary)
                    r.notes?.let { Text(it, style = MaterialTheme.typography.bodySmall) }
                    Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                        val draft = state.drafts.any { it.residentId == r.id }
                        PrimaryButton(s.startVisit + if (draft) " …" else "", enabled = !state.busy, modifier = Modifier.testTag("visit-${r.name}")) {
                            onEvent(HouseholdEvents.StartVisit(r.id))
                        }
                        SecondaryButton(s.editResident) { onEvent(HouseholdEvents.Edit(r.id)) }
                    }
                }
            }
            Row(horizontalArrangement = Arrangement.spacedBy(8.dp), modifier = Modifier.padding(vertical = 4.dp)) {
                SecondaryButton(s.addResident, modifier = Modifier.testTag("add-resident")) { onEvent(HouseholdEvents.Edit(null)) }
                SecondaryButton(s.visitHousehold, enabled = !state.busy) { onEvent(HouseholdEvents.StartVisit(null)) }
            }
            SectionTitle(s.openNeeds)
            if (state.needs.isEmpty()) Text(s.none)
            val open = state.needs.sortedBy { it.status != NeedStatus.OPEN && it.status != NeedStatus.IN_PROGRESS }
            open.forEach { n ->
                Column(
                    Modifier.fillMaxWidth().heightIn(min = MinTouch).clickable { onEvent(HouseholdEvents.OpenNeed(n.id)) }
                        .padding(vertical = 6.dp).testTag("need-${n.category}"),
                ) {
                    Text(
                        "${s.category(n.category)} · ${s.urgency(n.urgency)} · ${s.status(n.status)}",
                        color = urgencyColor(n.urgency),
                        style = MaterialTheme.typography.titleSmall,
                    )
                    val more = listOfNotNull(n.drug, n.details, n.runsOutAtMs?.let { s.runsOut(Format.day(it)) })
                    if (more.isNotEmpty()) Text(more.joinToString(" · "), style = MaterialTheme.typography.bodySmall)
                }
            }
            if (state.followUps.isNotEmpty()) {
                SectionTitle(s.followUps)
                state.followUps.forEach { Text(s.followUpLine(Format.dayTime(it.dueAtMs), it.note)) }
            }
            SectionTitle(s.visitHistory)
            if (state.visits.isEmpty()) Text(s.none)
            state.visits.forEach { v ->
                val who = state.residents.firstOrNull { it.id == v.residentId }?.name
                Text(s.visitLine(v.outcome, Format.dayTime(v.finishedAtMs), listOfNotNull(who, v.worker).joinToString(" · ")))
                v.note?.let { Text(it, style = MaterialTheme.typography.bodySmall) }
            }
            Text("", Modifier.padding(bottom = 24.dp))
        }
    }
}

@OptIn(ExperimentalLayoutApi::class)
@Composable
private fun ResidentEditor(e: ResidentEdit, busy: Boolean, onEvent: (HouseholdEvents) -> Unit) {
    val s = LocalStrings.current
    SectionTitle(if (e.residentId == null) s.addResident else s.editResident)
    Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
        OutlinedTextField(e.name, { onEvent(HouseholdEvents.EditChanged(e.copy(name = it))) }, label = { Text(s.name) },
            singleLine = true, modifier = Modifier.fillMaxWidth().testTag("edit-name"))
        FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            Sex.entries.forEach { x ->
                FilterChip(selected = e.sex == x, onClick = { onEvent(HouseholdEvents.EditChanged(e.copy(sex = x))) },
                    label = { Text(s.sex(x)) }, modifier = Modifier.heightIn(min = MinTouch))
            }
        }
        OutlinedTextField(e.birthYear, { onEvent(HouseholdEvents.EditChanged(e.copy(birthYear = it))) }, label = { Text(s.birthYear) },
            singleLine = true, modifier = Modifier.fillMaxWidth().testTag("edit-year"))
        OutlinedTextField(e.phone, { onEvent(HouseholdEvents.EditChanged(e.copy(phone = it))) }, label = { Text(s.phone) },
            singleLine = true, modifier = Modifier.fillMaxWidth())
        Text(s.tags, style = MaterialTheme.typography.titleSmall)
        FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            (Tag.builtin + e.tags.filterIsInstance<Tag.Custom>()).forEach { t ->
                FilterChip(selected = t in e.tags, onClick = { onEvent(HouseholdEvents.ToggleTag(t)) },
                    label = { Text(s.tag(t)) }, modifier = Modifier.heightIn(min = MinTouch).testTag("tag-$t"))
            }
        }
        OutlinedTextField(e.notes, { onEvent(HouseholdEvents.EditChanged(e.copy(notes = it))) }, label = { Text(s.notes) },
            modifier = Modifier.fillMaxWidth())
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            PrimaryButton(s.save, enabled = !busy && e.name.isNotBlank(), modifier = Modifier.testTag("save-resident")) { onEvent(HouseholdEvents.SaveResident) }
            SecondaryButton(s.cancel) { onEvent(HouseholdEvents.CancelEdit) }
        }
    }
}
