package org.doorstep.platform

import android.content.Context
import android.media.AudioManager
import android.media.ToneGenerator
import android.os.Build
import android.os.VibrationEffect
import android.os.Vibrator
import android.os.VibratorManager
import org.doorstep.app.marshal.Tone
import org.doorstep.app.marshal.cueOf
import org.doorstep.sdk.ScanResult

/**
 * Plays a scan outcome's cue (`cueOf`): its vibration pattern and its tone, so a marshal
 * whose eyes are on the next person still feels and hears a refusal. One per screen;
 * [release] frees the tone generator.
 */
class CuePlayer(context: Context) {
    private val vibrator: Vibrator? = if (Build.VERSION.SDK_INT >= 31) {
        (context.getSystemService(Context.VIBRATOR_MANAGER_SERVICE) as? VibratorManager)?.defaultVibrator
    } else {
        @Suppress("DEPRECATION")
        context.getSystemService(Context.VIBRATOR_SERVICE) as? Vibrator
    }

    // The notification stream: it follows the ringer switch, so a silenced phone only buzzes.
    private val tones: ToneGenerator? = try {
        ToneGenerator(AudioManager.STREAM_NOTIFICATION, VOLUME)
    } catch (_: RuntimeException) {
        null // no audio device free; the vibration and the card still tell
    }

    /** Vibrates [outcome]'s pattern once and plays its tone. */
    fun play(outcome: ScanResult) {
        val cue = cueOf(outcome)
        vibrator?.takeIf { it.hasVibrator() }?.let { v ->
            if (Build.VERSION.SDK_INT >= 26) {
                v.vibrate(VibrationEffect.createWaveform(cue.vibration, NO_REPEAT))
            } else {
                @Suppress("DEPRECATION")
                v.vibrate(cue.vibration, NO_REPEAT)
            }
        }
        tones?.startTone(toneOf(cue.tone), cue.vibration.sum().toInt().coerceIn(MIN_TONE_MS, MAX_TONE_MS))
    }

    /** Frees the audio resources; the player plays no more after this. */
    fun release() {
        tones?.release()
    }

    companion object {
        private const val NO_REPEAT = -1
        private const val VOLUME = 80
        private const val MIN_TONE_MS = 120
        private const val MAX_TONE_MS = 900

        /** The system tone for each of the app's tones: short and bright for in, low and long for refused. */
        fun toneOf(t: Tone): Int = when (t) {
            Tone.OK -> ToneGenerator.TONE_PROP_ACK
            Tone.PRIORITY -> ToneGenerator.TONE_PROP_BEEP2
            Tone.WARN -> ToneGenerator.TONE_SUP_CONGESTION_ABBREV
            Tone.ERROR -> ToneGenerator.TONE_SUP_ERROR
        }
    }
}
