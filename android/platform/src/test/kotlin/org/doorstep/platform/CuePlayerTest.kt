package org.doorstep.platform

import android.content.Context
import android.os.Vibrator
import android.os.VibratorManager
import org.doorstep.app.marshal.cueOf
import org.doorstep.sdk.ScanResult
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotEquals
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import org.robolectric.shadows.ShadowToneGenerator

/** Each outcome's cue reaches the vibrator and the tone generator as `cueOf` gives it. */
@RunWith(RobolectricTestRunner::class)
class CuePlayerTest {
    private val context: Context get() = RuntimeEnvironment.getApplication()

    private val outcomes = listOf(
        ScanResult.Admitted("A-001", "1"),
        ScanResult.Priority("A-002", "P"),
        ScanResult.Duplicate(1_700_000_000_000, "A-001"),
        ScanResult.Expired(1_700_000_000_000),
        ScanResult.NotYetValid(1_700_000_000_000),
        ScanResult.Revoked,
        ScanResult.UnknownKey,
        ScanResult.Forged,
        ScanResult.Unreadable("not a pass"),
        ScanResult.InOpenTube("T-0001"),
    )

    @Test
    fun eachOutcomeVibratesItsOwnPatternAndPlaysItsTone() {
        val vibrator: Vibrator = (context.getSystemService(Context.VIBRATOR_MANAGER_SERVICE) as VibratorManager).defaultVibrator
        val player = CuePlayer(context)
        outcomes.forEachIndexed { i, o ->
            player.play(o)
            assertArrayEquals("vibration of $o", cueOf(o).vibration, shadowOf(vibrator).pattern)
            assertEquals("no repeat for $o", -1, shadowOf(vibrator).repeat)
            val tones = ShadowToneGenerator.getPlayedTones()
            assertEquals(i + 1, tones.size)
            assertEquals("tone of $o", CuePlayer.toneOf(cueOf(o).tone), tones.last().type())
        }
        player.release()
        // An admission and a forgery must not feel alike in the hand.
        assertNotEquals(cueOf(outcomes[0]).vibration.toList(), cueOf(ScanResult.Forged).vibration.toList())
    }

    @Test
    fun aPhoneWithoutAVibratorStillPlaysTheTone() {
        val vibrator: Vibrator = (context.getSystemService(Context.VIBRATOR_MANAGER_SERVICE) as VibratorManager).defaultVibrator
        shadowOf(vibrator).setHasVibrator(false)
        CuePlayer(context).play(ScanResult.Forged)
        assertEquals(null, shadowOf(vibrator).pattern)
        assertEquals(CuePlayer.toneOf(cueOf(ScanResult.Forged).tone), ShadowToneGenerator.getPlayedTones().last().type())
    }
}
