package org.doorstep.app.runner

import androidx.compose.foundation.Canvas
import androidx.compose.foundation.background
import androidx.compose.foundation.gestures.detectDragGestures
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.selection.toggleable
import androidx.compose.material3.Checkbox
import androidx.compose.ui.Alignment
import androidx.compose.ui.semantics.Role
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.height
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.FilterChip
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.mutableStateListOf
import androidx.compose.runtime.remember
import androidx.compose.ui.Modifier
import androidx.compose.ui.geometry.Offset
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.graphics.Path
import androidx.compose.ui.graphics.drawscope.Stroke
import androidx.compose.ui.input.pointer.pointerInput
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.text.font.FontWeight
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
import org.doorstep.sdk.FailWhy
import org.doorstep.sdk.ProofWay

/**
 * A package and its handoff. [pickPhoto] is the platform's camera (a file chooser on the
 * desktop); [scanPass] its scanner for the recipient's pass.
 */
@OptIn(ExperimentalLayoutApi::class)
@Composable
fun PackageView(
    state: HandoffState,
    onEvent: (HandoffEvents) -> Unit,
    onBack: () -> Unit,
    pickPhoto: (() -> Unit)? = null,
    scanPass: (() -> Unit)? = null,
) {
    val s = LocalStrings.current
    Column(Modifier.fillMaxSize()) {
        TitleBar(s.packageTitle, onBack)
        Column(Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(horizontal = 16.dp)) {
            FailureText(state.banner?.let(s::failure))
            val p = state.pkg ?: return@Column
            Panel {
                Text(listOfNotNull(p.address, p.unit).joinToString(" "), fontWeight = FontWeight.Bold, style = MaterialTheme.typography.titleMedium)
                Text(listOfNotNull(s.urgency(p.urgency), s.medicine.takeIf { p.medicine }).joinToString(" · "), color = urgencyColor(p.urgency))
                Text(itemsLine(p.items, s))
                p.notes?.let { Text(it, style = MaterialTheme.typography.bodyMedium) }
                Text(s.packageStatus(p.status) + (p.reason?.let { " · " + s.failWhy(it) } ?: ""), modifier = Modifier.testTag("package-status"))
            }
            if (state.pendingUploads > 0) Text(s.pendingUploads(state.pendingUploads), modifier = Modifier.testTag("pending-uploads"))
            if (!state.done) {
                SectionTitle(s.proofTitle)
                FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    ProofWay.entries.forEach { w ->
                        FilterChip(state.way == w, { onEvent(HandoffEvents.WayChosen(w)) }, label = { Text(s.proofWay(w)) }, modifier = Modifier.heightIn(min = MinTouch).testTag("way-$w"))
                    }
                }
                when (state.way) {
                    ProofWay.PIN -> OutlinedTextField(state.pin, { onEvent(HandoffEvents.PinChanged(it)) }, label = { Text(s.pinLabel) }, singleLine = true, enabled = !state.pinLocked, modifier = Modifier.fillMaxWidth().testTag("pin"))
                    ProofWay.PASS -> {
                        if (scanPass != null) SecondaryButton(s.scanRecipientPass, modifier = Modifier.testTag("scan-pass")) { scanPass() }
                        if (state.passText.isNotEmpty()) Text("✓ ${s.scanRecipientPass}")
                    }
                    ProofWay.SIGNATURE -> SignaturePad(state, onEvent)
                    ProofWay.PHOTO -> {
                        if (pickPhoto != null) SecondaryButton(s.pickPhoto, modifier = Modifier.testTag("pick-photo")) { pickPhoto() }
                        state.photo?.let { Text("✓ ${it.size / 1024} KB") }
                    }
                    ProofWay.NO_PROOF -> OutlinedTextField(state.reason, { onEvent(HandoffEvents.ReasonChanged(it)) }, label = { Text(s.noProofReason) }, modifier = Modifier.fillMaxWidth().testTag("no-proof-reason"))
                }
                state.triesLeft?.let { n ->
                    Text(if (n == 0) s.pinLocked else s.triesLeft(n), color = MaterialTheme.colorScheme.error, fontWeight = FontWeight.Bold, modifier = Modifier.testTag("tries-left"))
                }
                PartialDelivery(state, onEvent)
                PrimaryButton(
                    if (state.partial) s.deliverPart else s.deliver, enabled = !state.busy && !state.partEmpty,
                    modifier = Modifier.fillMaxWidth().padding(top = 8.dp).testTag("deliver"),
                ) { onEvent(HandoffEvents.Deliver) }
                OutlinedTextField(state.note, { onEvent(HandoffEvents.NoteChanged(it)) }, label = { Text(s.noteLabel) }, modifier = Modifier.fillMaxWidth().testTag("handoff-note"))
                SectionTitle(s.failedTitle)
                FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    FailWhy.entries.forEach { w -> SecondaryButton(s.failWhy(w), enabled = !state.busy, modifier = Modifier.testTag("fail-$w")) { onEvent(HandoffEvents.Fail(w)) } }
                }
            }
            if (state.canReturn) {
                DangerButton(s.returnToStation, modifier = Modifier.padding(top = 8.dp).testTag("return")) { onEvent(HandoffEvents.Return) }
            }
            SectionTitle(s.moves)
            state.moves.forEach { m ->
                Text(
                    listOfNotNull(Format.dayTime(m.atMs), s.packageStatus(m.status), m.proofKind?.let(s::proofWay), m.reason?.let(s::failWhy), m.note).joinToString(" · "),
                    style = MaterialTheme.typography.bodyMedium, modifier = Modifier.testTag("move"),
                )
            }
            Text("", Modifier.padding(bottom = 24.dp))
        }
    }
}

/** "Only part handed over": how much of each line, from none to all that was packed. */
@Composable
private fun PartialDelivery(state: HandoffState, onEvent: (HandoffEvents) -> Unit) {
    val s = LocalStrings.current
    val items = state.pkg?.items.orEmpty()
    Row(
        Modifier.fillMaxWidth().heightIn(min = MinTouch).toggleable(state.partial, role = Role.Checkbox) { onEvent(HandoffEvents.PartialChanged(it)) }.testTag("partial"),
        verticalAlignment = Alignment.CenterVertically,
    ) {
        Checkbox(state.partial, onCheckedChange = null)
        Text(s.partlyToggle, Modifier.padding(start = 8.dp))
    }
    if (!state.partial) return
    items.forEachIndexed { i, line ->
        val q = state.given.getOrElse(i) { line.quantity }
        Row(Modifier.fillMaxWidth(), verticalAlignment = Alignment.CenterVertically) {
            Text(s.handedOver(line), Modifier.weight(1f), style = MaterialTheme.typography.bodyMedium)
            SecondaryButton("−", enabled = q > 0, modifier = Modifier.testTag("less-$i")) { onEvent(HandoffEvents.GivenChanged(i, q - 1)) }
            Text("$q", Modifier.padding(horizontal = 12.dp).testTag("given-$i"), fontWeight = FontWeight.Bold, style = MaterialTheme.typography.titleMedium)
            SecondaryButton("+", enabled = q < line.quantity, modifier = Modifier.testTag("more-$i")) { onEvent(HandoffEvents.GivenChanged(i, q + 1)) }
        }
    }
    if (state.partEmpty) Text(s.partEmpty, color = MaterialTheme.colorScheme.error)
}

/** The signature pad: each finished stroke goes to the presenter, which the core renders. */
@Composable
private fun SignaturePad(state: HandoffState, onEvent: (HandoffEvents) -> Unit) {
    val s = LocalStrings.current
    val current = remember { mutableStateListOf<Offset>() }
    Text(s.signHere)
    Canvas(
        Modifier.fillMaxWidth().height(180.dp).background(Color.White).testTag("signature-pad").pointerInput(Unit) {
            detectDragGestures(
                onDragStart = { current.clear(); current.add(it) },
                onDrag = { change, _ -> current.add(change.position) },
                onDragEnd = {
                    onEvent(HandoffEvents.Stroke(current.map { it.x to it.y }, size.width, size.height))
                    current.clear()
                },
            )
        },
    ) {
        val ink = Stroke(width = 4f)
        (state.strokes.map { st -> st.map { (x, y) -> Offset(x, y) } } + listOf(current.toList())).filter { it.size > 1 }.forEach { pts ->
            val path = Path().apply { moveTo(pts[0].x, pts[0].y); pts.drop(1).forEach { lineTo(it.x, it.y) } }
            drawPath(path, Color.Black, style = ink)
        }
    }
    SecondaryButton(s.clearSignature, modifier = Modifier.testTag("clear-signature")) { onEvent(HandoffEvents.ClearSignature) }
}
