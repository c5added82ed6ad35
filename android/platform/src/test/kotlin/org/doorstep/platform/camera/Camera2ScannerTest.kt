package org.doorstep.platform.camera

import android.Manifest
import android.app.Application
import android.content.Context
import android.hardware.camera2.CameraCharacteristics
import android.hardware.camera2.CameraManager
import android.os.Looper
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNull
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import org.robolectric.shadows.ShadowCameraCharacteristics
import java.time.Duration

/** The scanner's choices before any frame: permission, which camera. Frames need a phone. */
@RunWith(RobolectricTestRunner::class)
class Camera2ScannerTest {
    private val app: Application get() = RuntimeEnvironment.getApplication()
    private val cameras get() = app.getSystemService(Context.CAMERA_SERVICE) as CameraManager

    private fun addCamera(id: String, facing: Int) {
        val c = ShadowCameraCharacteristics.newCameraCharacteristics()
        shadowOf(c).set(CameraCharacteristics.LENS_FACING, facing)
        shadowOf(cameras).addCamera(id, c)
    }

    @Test
    fun withoutThePermissionTheCameraIsNotOpened() {
        addCamera("0", CameraCharacteristics.LENS_FACING_BACK)
        shadowOf(app).denyPermissions(Manifest.permission.CAMERA)
        val s = Camera2Scanner(app)
        s.start {}
        assertEquals(CameraState.NoPermission, s.state.value)
        assertNull("no frame size: nothing was opened", s.frameSize)
        // Allowed later (the person said yes): the next start opens it.
        shadowOf(app).grantPermissions(Manifest.permission.CAMERA)
        s.start {}
        assertEquals(1280 to 720, s.frameSize)
        awaitOpen(s)
        assertEquals(CameraState.Running, s.state.value)
        s.close()
        assertEquals(CameraState.Off, s.state.value)
    }

    @Test
    fun theCameraStaysOpenThroughAPauseAndClosesWhenTheScannerIsGone() {
        shadowOf(app).grantPermissions(Manifest.permission.CAMERA)
        addCamera("0", CameraCharacteristics.LENS_FACING_BACK)
        val s = Camera2Scanner(app, keepOpenMs = 15_000)
        s.start {}
        awaitOpen(s)
        // A result's card is up: the scanner leaves the screen for a few seconds.
        s.stop()
        shadowOf(Looper.getMainLooper()).idleFor(Duration.ofSeconds(5))
        assertEquals(CameraState.Running, s.state.value)
        s.start {}
        shadowOf(Looper.getMainLooper()).idleFor(Duration.ofSeconds(20))
        assertEquals("started again in time: still open", CameraState.Running, s.state.value)
        // The marshal went to another screen.
        s.stop()
        shadowOf(Looper.getMainLooper()).idleFor(Duration.ofSeconds(16))
        assertEquals(CameraState.Off, s.state.value)
    }

    private fun awaitOpen(s: Camera2Scanner) {
        val until = System.currentTimeMillis() + 5_000
        while (s.state.value == CameraState.Opening && System.currentTimeMillis() < until) {
            shadowOf(Looper.getMainLooper()).idle()
            Thread.sleep(10)
        }
    }

    @Test
    fun aPhoneWithOnlyAFrontCameraSaysSo() {
        shadowOf(app).grantPermissions(Manifest.permission.CAMERA)
        addCamera("1", CameraCharacteristics.LENS_FACING_FRONT)
        val s = Camera2Scanner(app)
        s.start {}
        assertEquals(CameraState.NoCamera, s.state.value)
    }

    @Test
    fun theBackCameraIsChosen() {
        addCamera("1", CameraCharacteristics.LENS_FACING_FRONT)
        addCamera("2", CameraCharacteristics.LENS_FACING_EXTERNAL)
        addCamera("3", CameraCharacteristics.LENS_FACING_BACK)
        assertEquals("3", Camera2Scanner.backCamera(cameras))
    }
}
