package org.doorstep.platform

import android.Manifest
import android.content.pm.PackageManager
import android.os.Bundle
import java.io.File
import androidx.activity.ComponentActivity
import androidx.activity.OnBackPressedCallback
import androidx.activity.compose.setContent
import androidx.activity.result.contract.ActivityResultContracts
import kotlinx.coroutines.MainScope
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch
import org.doorstep.app.AppGraph
import org.doorstep.app.DoorstepApp
import org.doorstep.app.syncbar.SyncNetworkChoice
import org.doorstep.app.visit.PhotoShelf
import org.doorstep.platform.camera.Camera2Scanner
import org.doorstep.platform.camera.CameraSlot
import org.doorstep.platform.camera.PhotoTaker
import org.doorstep.platform.camera.PreviewWindow

/**
 * The app's one activity: opens the store, then shows the Compose app with the phone's
 * parts plugged in: the marshal's camera scanner, the runner's photo, each outcome's cue.
 */
class MainActivity : ComponentActivity() {
    private val scope = MainScope()
    private lateinit var scanner: Camera2Scanner
    private lateinit var cues: CuePlayer

    // Registered before the activity starts, as the result API requires.
    private val cameraPermission = registerForActivityResult(ActivityResultContracts.RequestPermission()) { granted ->
        if (granted) scanner.retry()
    }
    private lateinit var photos: PhotoTaker

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        SyncSchedule.schedule(this)
        scanner = Camera2Scanner(applicationContext)
        cues = CuePlayer(applicationContext)
        photos = PhotoTaker(this, activityResultRegistry)
        val preview = PreviewWindow(this, scanner)
        scope.launch {
            val graph = AppGraph(
                DoorstepProcess.services(applicationContext),
                defaultServer = "",
                photos = PhotoShelf(File(filesDir, "photos")),
                syncNetwork = object : SyncNetworkChoice {
                    override fun unmeteredOnly() = SyncSchedule.unmeteredOnly(this@MainActivity)
                    override fun setUnmeteredOnly(on: Boolean) = SyncSchedule.setUnmeteredOnly(this@MainActivity, on)
                },
                camera = { onCode -> CameraSlot(scanner, preview, onCode, askPermission = ::askCamera) },
                takePhoto = photos::take,
                onOutcome = cues::play,
            )
            onBackPressedDispatcher.addCallback(
                this@MainActivity,
                object : OnBackPressedCallback(true) {
                    override fun handleOnBackPressed() {
                        if (!graph.navigator.pop()) finish()
                    }
                },
            )
            setContent { DoorstepApp(graph) }
        }
    }

    // Asked when the marshal's scanner first shows, not at start: a social worker's phone
    // never needs the camera. A refusal leaves manual entry; the scanner's place asks again.
    private fun askCamera() {
        if (checkSelfPermission(Manifest.permission.CAMERA) != PackageManager.PERMISSION_GRANTED) {
            cameraPermission.launch(Manifest.permission.CAMERA)
        }
    }

    override fun onStart() {
        super.onStart()
        // Back in front with the scanner on screen: open the camera again.
        scanner.retry()
    }

    override fun onStop() {
        // Another app may want the camera while this one is not seen.
        scanner.close()
        super.onStop()
    }

    override fun onDestroy() {
        scope.cancel()
        cues.release()
        scanner.release()
        photos.release()
        super.onDestroy()
    }
}
