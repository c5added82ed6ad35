package org.doorstep.platform.camera

import android.app.Activity
import android.graphics.Matrix
import android.graphics.SurfaceTexture
import android.view.TextureView
import android.view.View
import android.widget.FrameLayout
import androidx.compose.foundation.background
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.height
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberUpdatedState
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.layout.boundsInWindow
import androidx.compose.ui.layout.onGloballyPositioned
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.text.style.TextAlign
import androidx.compose.ui.unit.dp
import org.doorstep.app.LocalStrings
import org.doorstep.app.SecondaryButton
import kotlin.math.max
import kotlin.math.roundToInt

/**
 * The camera's picture on a phone: a framework TextureView laid over the activity's Compose
 * content where [CameraSlot] is drawn. The screens are Compose Multiplatform code, which has
 * no Android view interop, so the slot reports where it is and this moves the view there.
 */
class PreviewWindow(private val activity: Activity, private val scanner: Camera2Scanner) : TextureView.SurfaceTextureListener {
    private val view = TextureView(activity).also {
        it.surfaceTextureListener = this
        it.visibility = View.INVISIBLE
    }
    private var added = false
    private var placed = IntArray(4)

    /** Shows the picture over the window's rectangle [left], [top], [width] x [height] (px). */
    fun place(left: Int, top: Int, width: Int, height: Int) {
        if (width <= 0 || height <= 0) return hide()
        val content = activity.findViewById<View>(android.R.id.content)
        val at = IntArray(2).also { content.getLocationInWindow(it) }
        val want = intArrayOf(left - at[0], top - at[1], width, height)
        if (!added) {
            activity.addContentView(view, FrameLayout.LayoutParams(width, height))
            added = true
        }
        if (!want.contentEquals(placed)) {
            placed = want
            view.layoutParams = (view.layoutParams as FrameLayout.LayoutParams).apply {
                leftMargin = want[0]
                topMargin = want[1]
                this.width = width
                this.height = height
            }
            fill(width, height)
        }
        view.visibility = View.VISIBLE
    }

    /** Hides the picture (a result's card is shown); the camera goes on. */
    fun hide() {
        view.visibility = View.INVISIBLE
    }

    // The frames are landscape on the sensor and the phone is held upright: the picture is
    // scaled to fill the slot without stretching, cropping what falls outside.
    private fun fill(width: Int, height: Int) {
        val (fw, fh) = scanner.frameSize ?: return
        val upright = scanner.sensorOrientation % 180 != 0
        val cw = (if (upright) fh else fw).toFloat()
        val ch = (if (upright) fw else fh).toFloat()
        val scale = max(width / cw, height / ch)
        view.setTransform(Matrix().apply { setScale(cw * scale / width, ch * scale / height, width / 2f, height / 2f) })
    }

    override fun onSurfaceTextureAvailable(surface: SurfaceTexture, width: Int, height: Int) {
        scanner.setPreview(surface)
        fill(width, height)
    }

    override fun onSurfaceTextureSizeChanged(surface: SurfaceTexture, width: Int, height: Int) = fill(width, height)

    override fun onSurfaceTextureDestroyed(surface: SurfaceTexture): Boolean {
        scanner.setPreview(null)
        return true
    }

    override fun onSurfaceTextureUpdated(surface: SurfaceTexture) = Unit
}

/**
 * The scanner's place on the marshal's screen: the camera's picture while it runs, or why
 * there is none (no permission, with a button to ask again; no back camera; an error). Codes
 * read go to [onCode] on the main thread, the way a typed code goes to the presenter.
 */
@Composable
fun CameraSlot(scanner: Camera2Scanner, window: PreviewWindow, onCode: (String) -> Unit, askPermission: () -> Unit) {
    val state by scanner.state.collectAsState()
    val latest by rememberUpdatedState(onCode)
    DisposableEffect(scanner) {
        scanner.start { latest(it) }
        onDispose {
            window.hide()
            scanner.stop()
        }
    }
    // The permission is asked the first time the scanner shows without it; after a refusal
    // the button below asks again.
    LaunchedEffect(Unit) { if (scanner.state.value == CameraState.NoPermission) askPermission() }
    // Where the slot last was: the camera may start running after the last layout pass.
    val at = remember { IntArray(4) }
    val showing = state == CameraState.Running || state == CameraState.Opening
    LaunchedEffect(showing) { if (showing) window.place(at[0], at[1], at[2], at[3]) else window.hide() }
    val words = cameraWords(LocalStrings.current)
    Box(
        Modifier.fillMaxWidth().height(260.dp).background(Color.Black).testTag("camera")
            .onGloballyPositioned { c ->
                // The bounds clipped by the scrolling column: the picture never covers the bar above.
                val b = c.boundsInWindow()
                at[0] = b.left.roundToInt()
                at[1] = b.top.roundToInt()
                at[2] = b.width.roundToInt()
                at[3] = b.height.roundToInt()
                val s = scanner.state.value
                if (s == CameraState.Running || s == CameraState.Opening) window.place(at[0], at[1], at[2], at[3])
            },
        contentAlignment = Alignment.Center,
    ) {
        val why = when (state) {
            CameraState.NoPermission -> words.noPermission
            CameraState.NoCamera -> words.noCamera
            is CameraState.Failed -> words.failed
            else -> null
        }
        if (why != null) {
            Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp), horizontalAlignment = Alignment.CenterHorizontally) {
                Text(why, color = Color.White, textAlign = TextAlign.Center)
                if (state == CameraState.NoPermission) SecondaryButton(words.allow) { askPermission() }
                if (state is CameraState.Failed) SecondaryButton(words.retry) { scanner.retry() }
            }
        }
    }
}
