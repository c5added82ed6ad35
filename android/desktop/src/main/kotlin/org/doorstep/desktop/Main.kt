package org.doorstep.desktop

import androidx.compose.ui.unit.DpSize
import androidx.compose.ui.unit.dp
import androidx.compose.ui.window.Window
import androidx.compose.ui.window.application
import androidx.compose.ui.window.rememberWindowState
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.runBlocking
import org.doorstep.app.AppGraph
import org.doorstep.app.DoorstepApp
import org.doorstep.app.Language
import org.doorstep.app.visit.PhotoShelf
import org.doorstep.sdk.CoreLog
import org.doorstep.sdk.DoorstepServices
import org.doorstep.sdk.FileKeyProvider
import java.io.File

/**
 * The app in a phone-sized desktop window over the host's cdylib, for trying it on a
 * laptop. Arguments: the data folder (default `~/.doorstep-desktop`), then optionally the
 * server address to offer on first run and `en` for English.
 */
fun main(args: Array<String>) {
    val dir = File(args.getOrNull(0) ?: (System.getProperty("user.home") + "/.doorstep-desktop"))
    val server = args.getOrNull(1) ?: "http://127.0.0.1:8080"
    val language = if (args.getOrNull(2) == "en") Language.EN else Language.ZH_CN
    CoreLog.install { level, target, message -> System.err.println("[$level] $target: $message") }
    val services = runBlocking { DoorstepServices.open(dir, FileKeyProvider(File(dir, "store.key"))) }
    // The desktop has no camera: a picture file (a pass's PNG, a photo) stands in for it.
    val graph = AppGraph(services, server, language, pickImage = ::chooseImage, photos = PhotoShelf(File(dir, "photos")))
    graph.autoSync(CoroutineScope(SupervisorJob() + Dispatchers.Default))
    application {
        Window(
            onCloseRequest = { services.close(); exitApplication() },
            title = "Doorstep",
            state = rememberWindowState(size = DpSize(400.dp, 820.dp)),
        ) {
            DoorstepApp(graph)
        }
    }
}

/** Asks for a picture file (PNG or JPEG) and reads it; null when none was chosen. */
suspend fun chooseImage(): ByteArray? = kotlinx.coroutines.withContext(Dispatchers.IO) {
    val dialog = java.awt.FileDialog(null as java.awt.Frame?, "Picture", java.awt.FileDialog.LOAD)
    dialog.setFilenameFilter { _, name -> name.lowercase().let { it.endsWith(".png") || it.endsWith(".jpg") || it.endsWith(".jpeg") } }
    dialog.isVisible = true
    val name = dialog.file ?: return@withContext null
    File(dialog.directory, name).readBytes()
}
