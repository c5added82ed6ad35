package org.doorstep.platform.camera

import org.doorstep.app.En
import org.doorstep.app.Strings

/** What the phone's camera says, in the app's two languages; only Android has a camera. */
interface CameraWords {
    val noPermission: String
    val allow: String
    val noCamera: String
    val failed: String
    val retry: String
}

/** The words in the language [s] speaks. */
fun cameraWords(s: Strings): CameraWords = if (s === En) CameraEn else CameraZhCn

object CameraZhCn : CameraWords {
    override val noPermission = "没有相机权限：可以手动输入通行码"
    override val allow = "允许使用相机"
    override val noCamera = "这部手机没有后置相机：请手动输入"
    override val failed = "相机打不开（可能被别的应用占用）"
    override val retry = "重试"
}

object CameraEn : CameraWords {
    override val noPermission = "No camera permission: type the pass instead"
    override val allow = "Allow the camera"
    override val noCamera = "This phone has no back camera: type the pass instead"
    override val failed = "The camera could not be opened (another app may hold it)"
    override val retry = "Try again"
}
