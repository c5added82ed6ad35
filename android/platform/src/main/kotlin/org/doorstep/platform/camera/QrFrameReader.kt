package org.doorstep.platform.camera

import com.google.zxing.BarcodeFormat
import com.google.zxing.BinaryBitmap
import com.google.zxing.DecodeHintType
import com.google.zxing.NotFoundException
import com.google.zxing.PlanarYUVLuminanceSource
import com.google.zxing.ReaderException
import com.google.zxing.Result
import com.google.zxing.common.HybridBinarizer
import com.google.zxing.multi.qrcode.QRCodeMultiReader
import com.google.zxing.qrcode.QRCodeReader

/**
 * One camera frame's luminance: [height] rows of [width] pixels, each row starting
 * [rowStride] bytes after the one before (the Y plane of a YUV_420_888 image, whose rows
 * are often padded past the width).
 */
class LumaFrame(val width: Int, val height: Int, val rowStride: Int, val bytes: ByteArray) {
    init {
        require(width > 0 && height > 0) { "frame is ${width}x$height" }
        require(rowStride >= width) { "row stride $rowStride is less than the width $width" }
        // The camera's last row may stop at the width instead of the stride.
        require(bytes.size >= rowStride * (height - 1) + width) {
            "${bytes.size} bytes cannot hold $height rows of $width at stride $rowStride"
        }
    }
}

/**
 * Reads QR codes, and only QR codes, out of camera frames with zxing's core. With several
 * codes in view it gives the one whose centre is nearest the frame's centre: the pass the
 * marshal is pointing at, not the one on the next person's phone. Holds no Android types, so
 * it runs (and is tested) on the JVM. One reader per thread: zxing's readers keep state.
 */
class QrFrameReader(private val tryHarder: Boolean = false) {
    private val hints: Map<DecodeHintType, Any> = buildMap {
        put(DecodeHintType.POSSIBLE_FORMATS, listOf(BarcodeFormat.QR_CODE))
        put(DecodeHintType.CHARACTER_SET, "UTF-8")
        // Off by default: a marshal holds the pass still in front of the lens, and the
        // harder search costs a frame's time on every frame that has no code at all.
        if (tryHarder) put(DecodeHintType.TRY_HARDER, true)
    }
    private val multi = QRCodeMultiReader()
    private val single = QRCodeReader()

    /**
     * The text of the code nearest the frame's centre, or null when no code is read. The
     * middle of the frame is read first: it is where the marshal points, a quarter of the
     * pixels, and a code found there is nearer the centre than any code that is not. Only
     * when it holds no whole code is the whole frame read.
     */
    fun read(frame: LumaFrame): String? {
        val data = if (frame.bytes.size >= frame.rowStride * frame.height) {
            frame.bytes
        } else {
            frame.bytes.copyOf(frame.rowStride * frame.height)
        }
        val cx = frame.width / 2f
        val cy = frame.height / 2f
        val left = frame.width / 4
        val top = frame.height / 4
        val middle = PlanarYUVLuminanceSource(data, frame.rowStride, frame.height, left, top, frame.width / 2, frame.height / 2, false)
        nearest(decodeAll(middle), cx - left, cy - top)?.let { return it }
        val whole = PlanarYUVLuminanceSource(data, frame.rowStride, frame.height, 0, 0, frame.width, frame.height, false)
        return nearest(decodeAll(whole), cx, cy)
    }

    private fun nearest(results: List<Result>, cx: Float, cy: Float): String? = results
        .filter { it.text != null }
        .minByOrNull { r -> centreOf(r)?.let { (x, y) -> (x - cx) * (x - cx) + (y - cy) * (y - cy) } ?: Float.MAX_VALUE }
        ?.text

    private fun decodeAll(source: PlanarYUVLuminanceSource): List<Result> {
        val bitmap = BinaryBitmap(HybridBinarizer(source))
        val found: List<Result> = try {
            multi.decodeMultiple(bitmap, hints).toList()
        } catch (_: NotFoundException) {
            emptyList()
        }
        return found.ifEmpty {
            // The multi reader misses codes whose finder patterns it pairs up wrongly (two
            // codes one above the other, say); the plain reader still reads one of them.
            try {
                listOf(single.decode(bitmap, hints))
            } catch (_: ReaderException) {
                emptyList()
            } finally {
                single.reset()
            }
        }
    }

    companion object {
        /**
         * A code's centre from its finder patterns (bottom-left, top-left, top-right, then
         * maybe an alignment pattern): the middle of the bottom-left and top-right ones.
         */
        fun centreOf(r: Result): Pair<Float, Float>? {
            val p = r.resultPoints?.filterNotNull() ?: return null
            return when {
                p.size >= 3 -> (p[0].x + p[2].x) / 2 to (p[0].y + p[2].y) / 2
                p.isNotEmpty() -> p.map { it.x }.average().toFloat() to p.map { it.y }.average().toFloat()
                else -> null
            }
        }
    }
}
