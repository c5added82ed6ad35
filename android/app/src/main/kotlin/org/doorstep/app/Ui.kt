package org.doorstep.app

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ColumnScope
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Button
import androidx.compose.material3.ButtonDefaults
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Surface
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.material3.lightColorScheme
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import org.doorstep.sdk.DueTier
import org.doorstep.sdk.Urgency

/** Touch targets are at least this tall, for gloved or hurried fingers. */
val MinTouch = 48.dp

private val Colors = lightColorScheme(
    primary = Color(0xFF0B6E4F),
    onPrimary = Color.White,
    secondary = Color(0xFF2D5D7B),
    // Chosen chips and tabs: a pale green of the primary, not Material's default lilac.
    secondaryContainer = Color(0xFFCDE8DA),
    onSecondaryContainer = Color(0xFF06311F),
    error = Color(0xFFB3261E),
    surface = Color(0xFFFDFCF8),
    background = Color(0xFFFDFCF8),
)

@Composable
fun DoorstepTheme(content: @Composable () -> Unit) {
    MaterialTheme(colorScheme = Colors) {
        Surface(color = MaterialTheme.colorScheme.background, content = content)
    }
}

/** The colour a due tier or an urgency is marked with; words always go with it. */
fun tierColor(t: DueTier): Color = when (t) {
    DueTier.LIFE -> Color(0xFFB3261E)
    DueTier.VULNERABLE -> Color(0xFFC25E00)
    DueTier.OVERDUE -> Color(0xFF7A5B00)
    DueTier.NEVER_VISITED -> Color(0xFF2D5D7B)
}

fun urgencyColor(u: Urgency): Color = when (u) {
    Urgency.CRITICAL -> Color(0xFFB3261E)
    Urgency.HIGH -> Color(0xFFC25E00)
    Urgency.NORMAL -> Color(0xFF2D5D7B)
    Urgency.LOW -> Color(0xFF5F6368)
}

/** A screen's title row with an optional back button. */
@Composable
fun TitleBar(title: String, onBack: (() -> Unit)?, actions: @Composable () -> Unit = {}) {
    val s = LocalStrings.current
    Row(
        Modifier.fillMaxWidth().padding(horizontal = 8.dp, vertical = 4.dp),
        verticalAlignment = Alignment.CenterVertically,
    ) {
        if (onBack != null) {
            TextButton(onClick = onBack, modifier = Modifier.heightIn(min = MinTouch)) { Text("‹ ${s.back}") }
        }
        Text(
            title,
            style = MaterialTheme.typography.titleLarge,
            modifier = Modifier.weight(1f).padding(horizontal = 8.dp).semantics { heading() },
        )
        actions()
    }
}

@Composable
fun SectionTitle(text: String) {
    Text(
        text,
        style = MaterialTheme.typography.titleMedium,
        fontWeight = FontWeight.Bold,
        modifier = Modifier.padding(top = 16.dp, bottom = 4.dp).semantics { heading() },
    )
}

@Composable
fun Panel(modifier: Modifier = Modifier, content: @Composable ColumnScope.() -> Unit) {
    Card(
        modifier.fillMaxWidth().padding(vertical = 4.dp),
        colors = CardDefaults.cardColors(containerColor = Color(0xFFF2F1EC)),
    ) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(4.dp), content = content)
    }
}

@Composable
fun PrimaryButton(text: String, enabled: Boolean = true, modifier: Modifier = Modifier, onClick: () -> Unit) {
    Button(onClick = onClick, enabled = enabled, modifier = modifier.heightIn(min = MinTouch)) { Text(text) }
}

@Composable
fun SecondaryButton(text: String, enabled: Boolean = true, modifier: Modifier = Modifier, onClick: () -> Unit) {
    OutlinedButton(onClick = onClick, enabled = enabled, modifier = modifier.heightIn(min = MinTouch)) { Text(text) }
}

@Composable
fun DangerButton(text: String, modifier: Modifier = Modifier, onClick: () -> Unit) {
    TextButton(
        onClick = onClick,
        modifier = modifier.heightIn(min = MinTouch),
        colors = ButtonDefaults.textButtonColors(contentColor = MaterialTheme.colorScheme.error),
    ) { Text(text) }
}

/** A failure in words, where the screen shows it. */
@Composable
fun FailureText(text: String?) {
    if (text == null) return
    Text(
        text,
        color = MaterialTheme.colorScheme.error,
        style = MaterialTheme.typography.bodyMedium,
        modifier = Modifier.fillMaxWidth().padding(vertical = 6.dp),
    )
}
