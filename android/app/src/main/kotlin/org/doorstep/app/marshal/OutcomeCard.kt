package org.doorstep.app.marshal

import androidx.compose.foundation.background
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.shape.RoundedCornerShape
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import androidx.compose.ui.unit.sp
import org.doorstep.app.Format
import org.doorstep.app.LocalStrings
import org.doorstep.sdk.ScanResult

/** What a phone does besides the card: a vibration pattern (ms on/off) and a tone. */
enum class Tone { OK, PRIORITY, WARN, ERROR }

/** An outcome's colour, vibration pattern and tone; the words come from the strings. */
data class OutcomeCue(val colour: Color, val vibration: LongArray, val tone: Tone)

/** The cue of each outcome: green goes in, amber is to be looked at, red is refused. */
fun cueOf(o: ScanResult): OutcomeCue = when (o) {
    is ScanResult.Admitted -> OutcomeCue(Color(0xFF0B6E4F), longArrayOf(0, 60), Tone.OK)
    is ScanResult.Priority -> OutcomeCue(Color(0xFF1F4E9E), longArrayOf(0, 60, 80, 60), Tone.PRIORITY)
    is ScanResult.Duplicate -> OutcomeCue(Color(0xFFB36B00), longArrayOf(0, 200), Tone.WARN)
    is ScanResult.Expired -> OutcomeCue(Color(0xFF8A4B00), longArrayOf(0, 200, 100, 200), Tone.WARN)
    is ScanResult.NotYetValid -> OutcomeCue(Color(0xFF6B5B00), longArrayOf(0, 200, 100, 200), Tone.WARN)
    ScanResult.Revoked -> OutcomeCue(Color(0xFFB3261E), longArrayOf(0, 400), Tone.ERROR)
    ScanResult.UnknownKey -> OutcomeCue(Color(0xFF7B1FA2), longArrayOf(0, 400), Tone.ERROR)
    ScanResult.Forged -> OutcomeCue(Color(0xFF7F0000), longArrayOf(0, 400, 100, 400), Tone.ERROR)
    is ScanResult.Unreadable -> OutcomeCue(Color(0xFF455A64), longArrayOf(0, 100, 60, 100), Tone.WARN)
    is ScanResult.InOpenTube -> OutcomeCue(Color(0xFF5D4037), longArrayOf(0, 200), Tone.WARN)
}

/** One outcome, large, white on its colour, read at arm's length in sunlight. */
@Composable
fun OutcomeCard(o: ScanResult, modifier: Modifier = Modifier) {
    val s = LocalStrings.current
    Column(
        modifier.fillMaxWidth().heightIn(min = 180.dp)
            .background(cueOf(o).colour, RoundedCornerShape(12.dp))
            .padding(20.dp)
            .semantics { liveRegion = LiveRegionMode.Assertive }
            .testTag("outcome-card"),
    ) {
        Text(s.outcomeTitle(o), color = Color.White, fontSize = 40.sp, lineHeight = 46.sp, fontWeight = FontWeight.Bold, modifier = Modifier.testTag("outcome-title"))
        s.outcomeDetail(o, Format::dayTime)?.let {
            Text(it, color = Color.White, fontSize = 22.sp, lineHeight = 28.sp, modifier = Modifier.padding(top = 8.dp))
        }
    }
}
