package org.doorstep.platform.camera

import java.util.concurrent.Executor
import java.util.concurrent.atomic.AtomicBoolean
import java.util.concurrent.atomic.AtomicLong

/**
 * Takes camera frames to the QR reader one at a time: a frame that arrives while the one
 * before is still being read is dropped at once, so the camera never waits on the reader and
 * the code read is always from a recent frame. Holds one frame buffer, reused.
 */
class ScanLoop(
    private val decode: Executor,
    private val reader: QrFrameReader = QrFrameReader(),
    private val onCode: (String) -> Unit,
) {
    private val busy = AtomicBoolean(false)
    private var buffer = ByteArray(0)

    /** Frames read so far and frames dropped because one was being read. */
    val read = AtomicLong()
    val dropped = AtomicLong()

    /**
     * Offers a frame of [width] x [height] whose rows are [rowStride] bytes apart; [copy] fills
     * the loop's buffer with it (the camera's buffer goes back to the camera as soon as this
     * returns). False when the frame was dropped.
     */
    fun offer(width: Int, height: Int, rowStride: Int, copy: (ByteArray) -> Unit): Boolean {
        if (!busy.compareAndSet(false, true)) {
            dropped.incrementAndGet()
            return false
        }
        try {
            val size = rowStride * height
            if (buffer.size < size) buffer = ByteArray(size)
            copy(buffer)
            val frame = LumaFrame(width, height, rowStride, buffer)
            decode.execute {
                try {
                    read.incrementAndGet()
                    reader.read(frame)?.let(onCode)
                } finally {
                    busy.set(false)
                }
            }
        } catch (e: Throwable) {
            busy.set(false)
            throw e
        }
        return true
    }
}
