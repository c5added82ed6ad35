package org.doorstep.platform.camera

import org.junit.AfterClass
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNull
import org.junit.BeforeClass
import org.junit.Test
import java.awt.image.BufferedImage
import java.nio.file.Files

/** The frame reader on the JVM, over passes the core issued and rendered as PNGs. */
class QrFrameReaderTest {
    private val reader = QrFrameReader()

    @Test
    fun aPassAloneIsRead() {
        assertEquals(passes.texts[0], reader.read(luma(passes.pngs[0])))
        // The same pass in a camera-sized frame, off to one side.
        assertEquals(passes.texts[0], reader.read(luma(scene(1280, 720, listOf(passes.pngs[0] to 300)))))
    }

    @Test
    fun ofThreePassesSideBySideTheMiddleOneIsTaken() {
        val frame = luma(scene(1280, 720, listOf(passes.pngs[0] to 220, passes.pngs[1] to 640, passes.pngs[2] to 1060)))
        assertEquals(passes.texts[1], reader.read(frame))
        // Moved so the first one is nearest the centre: that one is taken instead.
        val shifted = luma(scene(1280, 720, listOf(passes.pngs[1] to 160, passes.pngs[0] to 600, passes.pngs[2] to 1000)))
        assertEquals(passes.texts[0], reader.read(shifted))
    }

    @Test
    fun aBlankFrameGivesNothing() {
        assertNull(reader.read(luma(scene(1280, 720, emptyList()))))
        assertNull(reader.read(LumaFrame(640, 480, 640, ByteArray(640 * 480))))
    }

    @Test
    fun aSensorRotatedFrameWithPaddedRowsIsRead() {
        // A phone held upright sees the sensor's landscape frame turned a quarter; the Y
        // plane's rows are padded to 768 bytes and its last row stops at the width.
        val upright = rotate(scene(1280, 720, listOf(passes.pngs[0] to 220, passes.pngs[2] to 640)))
        val padded = luma(upright, stride = 768)
        assertEquals(720, padded.width)
        val short = LumaFrame(padded.width, padded.height, padded.rowStride, padded.bytes.copyOf(768 * (padded.height - 1) + 720))
        assertEquals(passes.texts[2], reader.read(short))
    }

    @Test
    fun aFrameTooSmallForItsStrideIsRefused() {
        val e = runCatching { LumaFrame(720, 10, 768, ByteArray(768 * 9)) }.exceptionOrNull()
        assertEquals(IllegalArgumentException::class.java, e?.javaClass)
    }

    private fun rotate(img: BufferedImage): BufferedImage {
        val out = BufferedImage(img.height, img.width, BufferedImage.TYPE_INT_RGB)
        for (y in 0 until img.height) for (x in 0 until img.width) out.setRGB(img.height - 1 - y, x, img.getRGB(x, y))
        return out
    }

    companion object {
        private val dir = Files.createTempDirectory("passes").toFile()
        private lateinit var passes: Passes

        @BeforeClass
        @JvmStatic
        fun issue() {
            passes = Passes(dir, 3)
        }

        @AfterClass
        @JvmStatic
        fun clean() {
            dir.deleteRecursively()
        }
    }
}
