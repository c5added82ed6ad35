package org.doorstep.desktop

import androidx.compose.runtime.Composable
import androidx.compose.ui.ImageComposeScene
import androidx.compose.ui.unit.Density
import org.doorstep.app.Format
import org.doorstep.app.Language
import org.jetbrains.skia.EncodedImageFormat
import java.awt.image.BufferedImage
import java.io.ByteArrayInputStream
import java.io.File
import java.time.ZoneId
import javax.imageio.ImageIO

/** Renders screens headlessly at phone size into PNGs. */
object Screenshots {
    /** A small phone: 360 x 780 dp. */
    const val WIDTH_DP = 360
    const val HEIGHT_DP = 780

    /** Renders [content] at [scale] pixels per dp and [fontScale]; returns the PNG's bytes. */
    fun render(language: Language, scale: Float = 2f, fontScale: Float = 1f, content: @Composable () -> Unit): ByteArray {
        Format.zone = ZoneId.of("Asia/Shanghai")
        val scene = ImageComposeScene(
            (WIDTH_DP * scale).toInt(), (HEIGHT_DP * scale).toInt(), Density(scale, fontScale),
        ) { Screens.Framed(language, content) }
        try {
            // Two frames: the first lays out, the second draws what the first measured.
            scene.render(0)
            val image = scene.render(500_000_000)
            return checkNotNull(image.encodeToData(EncodedImageFormat.PNG)) { "skia could not encode the PNG" }.bytes
        } finally {
            scene.close()
        }
    }

    /** Share of pixels that differ from the top-left one: near 0 means a blank screen. */
    fun inkShare(png: ByteArray): Double {
        val img: BufferedImage = ImageIO.read(ByteArrayInputStream(png))
        val bg = img.getRGB(0, img.height - 1)
        var ink = 0
        for (y in 0 until img.height step 2) for (x in 0 until img.width step 2) if (img.getRGB(x, y) != bg) ink++
        return ink / ((img.width / 2.0) * (img.height / 2.0))
    }

    /** Writes every screen in both languages into [dir] as `<screen>.<lang>.png`. */
    fun writeAll(dir: File): List<File> {
        dir.mkdirs()
        return Screens.all.flatMap { (name, content) ->
            listOf(Language.ZH_CN to "zh-CN", Language.EN to "en").map { (lang, tag) ->
                File(dir, "$name.$tag.png").also { it.writeBytes(render(lang, content = content)) }
            }
        }
    }
}

/** Retakes docs/app/: `scripts/app-screenshots.sh` runs this. */
object RetakeScreenshots {
    @JvmStatic
    fun main(args: Array<String>) {
        val dir = File(args.getOrNull(0) ?: "docs/app")
        Screenshots.writeAll(dir).forEach { println(it.path) }
    }
}
