package org.doorstep.platform.camera

import android.Manifest
import android.annotation.SuppressLint
import android.content.Context
import android.content.pm.PackageManager
import android.graphics.ImageFormat
import android.graphics.SurfaceTexture
import android.hardware.camera2.CameraAccessException
import android.hardware.camera2.CameraCaptureSession
import android.hardware.camera2.CameraCharacteristics
import android.hardware.camera2.CameraDevice
import android.hardware.camera2.CameraManager
import android.hardware.camera2.CaptureRequest
import android.media.ImageReader
import android.os.Handler
import android.os.HandlerThread
import android.os.Looper
import android.view.Surface
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import java.util.concurrent.Executors

/** Where the marshal's camera is. */
sealed interface CameraState {
    data object Off : CameraState
    /** The person has not allowed the camera: manual entry only. */
    data object NoPermission : CameraState
    /** This phone has no back camera. */
    data object NoCamera : CameraState
    data object Opening : CameraState
    data object Running : CameraState
    /** The camera could not be opened or was taken away (another app, an error). */
    data class Failed(val why: String) : CameraState
}

/**
 * The marshal's scanner on the framework's camera2: opens the back camera with an ImageReader
 * of YUV_420_888 frames about [FRAME_W] x [FRAME_H], hands their Y plane to a [ScanLoop] on a
 * background thread, and posts each code read to the main thread. [start] and [stop] follow
 * the scanner's place on screen; the camera stays open for [keepOpenMs] after [stop], so the
 * pause after each person does not close and reopen it.
 */
class Camera2Scanner(
    private val context: Context,
    private val keepOpenMs: Long = 15_000,
) {
    private val manager = context.getSystemService(Context.CAMERA_SERVICE) as CameraManager
    private val main = Handler(Looper.getMainLooper())
    private val mutableState = MutableStateFlow<CameraState>(CameraState.Off)

    /** The camera's state, for the screen to say why there is no picture. */
    val state: StateFlow<CameraState> = mutableState.asStateFlow()

    private var thread: HandlerThread? = null
    @Volatile
    private var handler: Handler? = null
    private val decode = Executors.newSingleThreadExecutor { r -> Thread(r, "qr-reader").apply { isDaemon = true } }
    @Volatile
    private var device: CameraDevice? = null
    @Volatile
    private var session: CameraCaptureSession? = null
    private var reader: ImageReader? = null
    @Volatile
    private var previewTexture: SurfaceTexture? = null
    private var preview: Surface? = null

    @Volatile
    private var onCode: ((String) -> Unit)? = null
    private val closeLater = Runnable { close() }

    /** The loop frames go through; codes are dropped while no screen listens. */
    val loop = ScanLoop(decode) { text -> main.post { onCode?.invoke(text) } }

    /** The back camera's sensor orientation in degrees (0 until the camera is opened). */
    var sensorOrientation: Int = 0
        private set

    /** The frame size in use (width, height), null until opened. */
    var frameSize: Pair<Int, Int>? = null
        private set

    /** Starts (or resumes) reading codes; each one goes to [listener] on the main thread. */
    fun start(listener: (String) -> Unit) {
        main.removeCallbacks(closeLater)
        onCode = listener
        if (device != null || mutableState.value == CameraState.Opening) return
        if (context.checkSelfPermission(Manifest.permission.CAMERA) != PackageManager.PERMISSION_GRANTED) {
            mutableState.value = CameraState.NoPermission
            return
        }
        val id = backCamera(manager)
        if (id == null) {
            mutableState.value = CameraState.NoCamera
            return
        }
        open(id)
    }

    /** Stops handing codes on; the camera closes [keepOpenMs] later unless started again. */
    fun stop() {
        onCode = null
        main.removeCallbacks(closeLater)
        main.postDelayed(closeLater, keepOpenMs)
    }

    /** Shows the frames on [texture] too (a TextureView's), or on nothing when null. */
    fun setPreview(texture: SurfaceTexture?) {
        if (texture == previewTexture) return
        previewTexture = texture
        val d = device ?: return
        val r = reader ?: return
        val h = handler ?: return
        h.post { configure(d, r, h) }
    }

    /** Starts again with the last listener (after the camera permission was given). */
    fun retry() {
        val l = onCode ?: return
        if (mutableState.value is CameraState.NoPermission || mutableState.value is CameraState.Failed) {
            mutableState.value = CameraState.Off
        }
        start(l)
    }

    /** Closes the camera and its thread now. */
    fun close() {
        main.removeCallbacks(closeLater)
        session?.close()
        session = null
        device?.close()
        device = null
        reader?.close()
        reader = null
        preview?.release()
        preview = null
        thread?.quitSafely()
        thread = null
        handler = null
        if (mutableState.value !is CameraState.NoPermission && mutableState.value !is CameraState.NoCamera) {
            mutableState.value = CameraState.Off
        }
    }

    /** Closes the camera and stops the reader's thread; the scanner is not used after this. */
    fun release() {
        onCode = null
        close()
        decode.shutdown()
    }

    @SuppressLint("MissingPermission") // checked in start()
    private fun open(id: String) {
        mutableState.value = CameraState.Opening
        val t = HandlerThread("camera").also { it.start() }
        val h = Handler(t.looper)
        thread = t
        handler = h
        val chars = manager.getCameraCharacteristics(id)
        sensorOrientation = chars.get(CameraCharacteristics.SENSOR_ORIENTATION) ?: 90
        val sizes = chars.get(CameraCharacteristics.SCALER_STREAM_CONFIGURATION_MAP)
            ?.getOutputSizes(ImageFormat.YUV_420_888)?.map { it.width to it.height }.orEmpty()
        val (w, h2) = chooseFrameSize(sizes)
        frameSize = w to h2
        val r = ImageReader.newInstance(w, h2, ImageFormat.YUV_420_888, 2)
        r.setOnImageAvailableListener({ onImage(it) }, h)
        reader = r
        try {
            manager.openCamera(id, object : CameraDevice.StateCallback() {
                override fun onOpened(camera: CameraDevice) {
                    if (handler !== h) {
                        camera.close() // closed while it was opening
                        return
                    }
                    device = camera
                    configure(camera, r, h)
                }

                override fun onDisconnected(camera: CameraDevice) {
                    camera.close()
                    device = null
                    mutableState.value = CameraState.Failed("disconnected")
                }

                override fun onError(camera: CameraDevice, error: Int) {
                    camera.close()
                    device = null
                    mutableState.value = CameraState.Failed("camera error $error")
                }
            }, h)
        } catch (e: CameraAccessException) {
            mutableState.value = CameraState.Failed(e.message ?: "camera access")
        } catch (e: SecurityException) {
            mutableState.value = CameraState.NoPermission
        }
    }

    // Runs on the camera thread: one session with the reader and, when shown, the preview.
    @Suppress("DEPRECATION") // the list-of-surfaces session is the one API 24 to 34 all have
    private fun configure(camera: CameraDevice, r: ImageReader, h: Handler) {
        session?.close()
        preview?.release()
        // The preview's buffers take the frames' size, which the camera is known to give.
        preview = previewTexture?.let { t ->
            t.setDefaultBufferSize(r.width, r.height)
            Surface(t)
        }
        val targets = listOfNotNull(r.surface, preview)
        try {
            camera.createCaptureSession(targets, object : CameraCaptureSession.StateCallback() {
                override fun onConfigured(s: CameraCaptureSession) {
                    if (handler !== h) {
                        s.close() // the scanner was closed while the session was being made
                        return
                    }
                    session = s
                    val request = camera.createCaptureRequest(CameraDevice.TEMPLATE_PREVIEW).apply {
                        targets.forEach { addTarget(it) }
                        set(CaptureRequest.CONTROL_AF_MODE, CaptureRequest.CONTROL_AF_MODE_CONTINUOUS_PICTURE)
                    }.build()
                    try {
                        s.setRepeatingRequest(request, null, h)
                        mutableState.value = CameraState.Running
                    } catch (e: CameraAccessException) {
                        mutableState.value = CameraState.Failed(e.message ?: "repeating request")
                    } catch (e: IllegalStateException) {
                        // The session was closed while it was being set up: a newer one follows.
                    }
                }

                override fun onConfigureFailed(s: CameraCaptureSession) {
                    mutableState.value = CameraState.Failed("session not configured")
                }
            }, h)
        } catch (e: CameraAccessException) {
            mutableState.value = CameraState.Failed(e.message ?: "session")
        } catch (e: IllegalStateException) {
            // The camera was closed meanwhile.
        }
    }

    // Runs on the camera thread for every frame; the image goes back at once.
    private fun onImage(r: ImageReader) {
        val image = r.acquireLatestImage() ?: return
        try {
            if (onCode == null) return // paused or off screen: no reading, no battery spent
            val y = image.planes[0]
            loop.offer(image.width, image.height, y.rowStride) { dst ->
                val b = y.buffer
                b.rewind()
                b.get(dst, 0, minOf(b.remaining(), dst.size))
            }
        } finally {
            image.close()
        }
    }

    companion object {
        const val FRAME_W = 1280
        const val FRAME_H = 720

        /** The first back-facing camera's id, or null when the phone has none. */
        fun backCamera(manager: CameraManager): String? = manager.cameraIdList.firstOrNull { id ->
            manager.getCameraCharacteristics(id).get(CameraCharacteristics.LENS_FACING) == CameraCharacteristics.LENS_FACING_BACK
        }

        /**
         * Of the sizes the camera gives, the one nearest [FRAME_W] x [FRAME_H] in pixels among
         * those of its aspect; big enough to read a pass at arm's length, small enough to read
         * it in a frame's time. With no list (not reported), 1280 x 720.
         */
        fun chooseFrameSize(sizes: List<Pair<Int, Int>>): Pair<Int, Int> {
            if (sizes.isEmpty()) return FRAME_W to FRAME_H
            val want = FRAME_W.toLong() * FRAME_H
            val wide = sizes.filter { (w, h) -> w * 9 == h * 16 }.ifEmpty { sizes }
            return wide.minBy { (w, h) -> kotlin.math.abs(w.toLong() * h - want) }
        }
    }
}
