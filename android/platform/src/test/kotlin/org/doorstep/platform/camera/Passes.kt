package org.doorstep.platform.camera

import org.doorstep.core.model.NewHousehold
import org.doorstep.core.model.NewResident
import org.doorstep.core.model.Sex
import org.doorstep.sdk.DoorstepStore
import java.awt.image.BufferedImage
import java.io.ByteArrayInputStream
import java.io.File
import javax.imageio.ImageIO

/** Real passes issued by a station store in [dir], and the core's PNG of each. */
class Passes(dir: File, count: Int) {
    val texts: List<String>
    val pngs: List<ByteArray>

    init {
        val station = DoorstepStore.open(dir, ByteArray(32) { it.toByte() })
        try {
            val grid = station.ensureArea("武昌区/中南路街道/丽岛社区/第1网格")
            val b = station.createBuilding(grid.id, "3栋")
            station.newSigningKey()
            val from = System.currentTimeMillis() - 3_600_000
            texts = (1..count).map { n ->
                val home = station.createHousehold(NewHousehold(grid.id, b.id, "丽岛花园", "20$n", null))
                val r = station.createResident(NewResident(home.id, "居民$n", Sex.FEMALE, 1950 + n, null, listOf(), null))
                station.issuePass(r.id, from, from + 86_400_000L).text
            }
            pngs = texts.map { station.passPng(it, 4u) }
        } finally {
            station.close()
        }
    }
}

/** The luminance of [png] as a camera would give it: one byte per pixel, rows [stride] apart. */
fun luma(png: ByteArray, stride: Int? = null): LumaFrame = luma(ImageIO.read(ByteArrayInputStream(png)), stride)

fun luma(img: BufferedImage, stride: Int? = null): LumaFrame {
    val s = stride ?: img.width
    val out = ByteArray(s * img.height) { 0x55 }
    for (y in 0 until img.height) for (x in 0 until img.width) {
        val rgb = img.getRGB(x, y)
        val l = (((rgb shr 16) and 0xFF) * 299 + ((rgb shr 8) and 0xFF) * 587 + (rgb and 0xFF) * 114) / 1000
        out[y * s + x] = l.toByte()
    }
    return LumaFrame(img.width, img.height, s, out)
}

/** [pngs] side by side on a white frame of [width] x [height], each centred at its x. */
fun scene(width: Int, height: Int, pngs: List<Pair<ByteArray, Int>>): BufferedImage {
    val img = BufferedImage(width, height, BufferedImage.TYPE_INT_RGB)
    val g = img.createGraphics()
    g.color = java.awt.Color.WHITE
    g.fillRect(0, 0, width, height)
    pngs.forEach { (png, cx) ->
        val code = ImageIO.read(ByteArrayInputStream(png))
        g.drawImage(code, cx - code.width / 2, (height - code.height) / 2, null)
    }
    g.dispose()
    return img
}
