package org.doorstep.platform.camera

import org.junit.AfterClass
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.BeforeClass
import org.junit.Test
import java.nio.file.Files
import java.util.concurrent.Executor

/** The loop between the camera and the reader: one frame at a time, the rest dropped. */
class ScanLoopTest {
    /** Runs what it is given only when told: a reader still busy with a frame. */
    private class HeldExecutor : Executor {
        val held = ArrayDeque<Runnable>()
        override fun execute(command: Runnable) {
            held.addLast(command)
        }
        fun runAll() {
            while (held.isNotEmpty()) held.removeFirst().run()
        }
    }

    private fun offer(loop: ScanLoop, f: LumaFrame) = loop.offer(f.width, f.height, f.rowStride) { dst -> f.bytes.copyInto(dst) }

    @Test
    fun framesThatComeWhileOneIsReadAreDropped() {
        val ex = HeldExecutor()
        val codes = mutableListOf<String>()
        val loop = ScanLoop(ex) { codes += it }
        val a = luma(passes.pngs[0])
        val b = luma(passes.pngs[1])
        assertTrue(offer(loop, a))
        // The camera keeps sending while the reader works on a: all dropped, none queued.
        repeat(5) { assertFalse(offer(loop, b)) }
        assertEquals(1, ex.held.size)
        assertEquals(5L, loop.dropped.get())
        ex.runAll()
        assertEquals(listOf(passes.texts[0]), codes)
        // Free again: the next frame is read, and it is b's code that comes out.
        assertTrue(offer(loop, b))
        ex.runAll()
        assertEquals(listOf(passes.texts[0], passes.texts[1]), codes)
        assertEquals(2L, loop.read.get())
    }

    @Test
    fun aFrameWithNoCodeFreesTheLoopAndSaysNothing() {
        val ex = HeldExecutor()
        val codes = mutableListOf<String>()
        val loop = ScanLoop(ex) { codes += it }
        assertTrue(offer(loop, LumaFrame(320, 240, 320, ByteArray(320 * 240) { 0x7F })))
        ex.runAll()
        assertTrue(codes.isEmpty())
        assertTrue(offer(loop, luma(passes.pngs[2])))
        ex.runAll()
        assertEquals(listOf(passes.texts[2]), codes)
    }

    @Test
    fun aCopyThatFailsDoesNotJamTheLoop() {
        val ex = HeldExecutor()
        val loop = ScanLoop(ex) {}
        val e = runCatching { loop.offer(320, 240, 320) { throw IllegalStateException("buffer gone") } }.exceptionOrNull()
        assertEquals("buffer gone", e?.message)
        assertTrue(offer(loop, luma(passes.pngs[0])))
    }

    @Test
    fun theFrameSizeIsTheNearestWideOneToHd() {
        assertEquals(1280 to 720, Camera2Scanner.chooseFrameSize(listOf(4032 to 3024, 1920 to 1080, 1280 to 720, 640 to 480)))
        assertEquals(1280 to 720, Camera2Scanner.chooseFrameSize(listOf(1920 to 1080, 1280 to 720, 1280 to 960)))
        assertEquals(1920 to 1080, Camera2Scanner.chooseFrameSize(listOf(3840 to 2160, 1920 to 1080, 640 to 480)))
        assertEquals(1280 to 960, Camera2Scanner.chooseFrameSize(listOf(1280 to 960, 640 to 480)))
        assertEquals(1280 to 720, Camera2Scanner.chooseFrameSize(emptyList()))
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
