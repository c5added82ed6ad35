package org.doorstep

import java.io.File
import java.security.MessageDigest
import java.util.Base64
import org.doorstep.core.Doorstep
import org.doorstep.sdk.DoorstepStore
import org.doorstep.core.DoorstepException
import org.doorstep.core.model.HandoffInput
import org.doorstep.core.model.Household
import org.doorstep.core.model.ItemLine
import org.doorstep.core.model.NewHousehold
import org.doorstep.core.model.NewRequest
import org.doorstep.core.model.Package
import org.doorstep.core.model.PackageStatus
import org.doorstep.core.model.Proof
import org.doorstep.core.model.ProofKind
import org.doorstep.core.model.RequestSource
import org.doorstep.core.model.RequestStatus
import org.doorstep.core.model.StockMoveKind
import org.doorstep.core.model.Urgency
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir

/** A runner's day: request -> pack -> out -> delivered, with a PIN and with a photo. */
class DeliveriesTest {
    @TempDir
    lateinit var dir: File

    private val key = ByteArray(32) { it.toByte() }

    /** A 64x48 JPEG as a phone camera writes it, with a GPS position in its EXIF. */
    private val cameraJpeg = Base64.getDecoder().decode("/9j/4QA4RXhpZgAATU0AKgAAAAgAAYglAAQAAAABAAAAGgAAAABHUFMgMzAuNTI4OE4gMTE0LjM1MDRF/+AAEEpGSUYAAQIAAAEAAQAA/8AAEQgAMABAAwERAAIRAQMRAf/bAEMADQkKCwoIDQsKCw4ODQ8TIBUTEhITJxweFyAuKTEwLiktLDM6Sj4zNkY3LC1AV0FGTE5SU1IyPlphWlBgSlFST//bAEMBDg4OExETJhUVJk81LTVPT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT//EAB8AAAEFAQEBAQEBAAAAAAAAAAABAgMEBQYHCAkKC//EALUQAAIBAwMCBAMFBQQEAAABfQECAwAEEQUSITFBBhNRYQcicRQygZGhCCNCscEVUtHwJDNicoIJChYXGBkaJSYnKCkqNDU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6g4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2drh4uPk5ebn6Onq8fLz9PX29/j5+v/EAB8BAAMBAQEBAQEBAQEAAAAAAAABAgMEBQYHCAkKC//EALURAAIBAgQEAwQHBQQEAAECdwABAgMRBAUhMQYSQVEHYXETIjKBCBRCkaGxwQkjM1LwFWJy0QoWJDThJfEXGBkaJicoKSo1Njc4OTpDREVGR0hJSlNUVVZXWFlaY2RlZmdoaWpzdHV2d3h5eoKDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uLj5OXm5+jp6vLz9PX29/j5+v/aAAwDAQACEQMRAD8A4JYq+gcjGEyZYqhyOmEyZYqhyOmEyZYqhyOmEyZYqhyOmEyZYqzcjqhMlWKocjphMmWKocjphMxVirucj81hMlWKocjphMmWKocjqhMmWKocjphMmWKocjphMmWKocjphMmWKocjphMmWKocjphMxFirucj82hMmWKocjphMmWKocjphMmWKocjphMmWKs3I6YTJViqHI6oTJliqHI6YTJliqHI6YTMRYq7nI/NYTJliqHI6YTJliqHI6YTJliqHI6oTJliqHI6YTJliqHI6YTJliqHI6YTJliqHI6YTMRYq7nI/NoTJliqHI6YTJlirNyOmEyZYqhyOmEyVYqhyOmEyZYqhyOmEyZYqhyOmEyZYqhyOqEzEWKu5yPzWEyZYqhyOmEyZYqhyOmEyZYqhyOmEyZYqhyOqEyZYqhyOmEyZYqhyOmEyZYqzcjphM//Z")
    private val gpsMark = "GPS 30.5288N 114.3504E".toByteArray()

    private fun contains(hay: ByteArray, needle: ByteArray): Boolean =
        (0..hay.size - needle.size).any { i -> needle.indices.all { hay[i + it] == needle[it] } }

    private fun household(d: Doorstep, unit: String): Household {
        val grid = d.ensureArea("武昌区/中南路街道/丽岛社区/第3网格")
        val building = d.createBuilding(grid.id, "丽岛花园3栋")
        return d.createHousehold(NewHousehold(grid.id, building.id, "丽岛花园3栋", unit, null))
    }

    private fun outForDelivery(d: Doorstep, h: Household, items: List<ItemLine>): Pair<String, Package> {
        items.forEach { d.receiveStock(it, StockMoveKind.DONATION, "红十字会", null) }
        val created = d.createRequest(
            NewRequest(householdId = h.id, source = RequestSource.Manual, items = items, urgency = Urgency.HIGH, notes = null)
        )
        val pkg = d.newPackage(created.request.id, null)
        assertEquals(PackageStatus.REQUESTED, pkg.status)
        val packed = d.handoff(pkg.id, HandoffInput(toStatus = PackageStatus.PACKED))
        assertEquals(1u, packed.seq)
        val out = d.handoff(pkg.id, HandoffInput(toStatus = PackageStatus.OUT_FOR_DELIVERY, to = "runner-1"))
        assertEquals(packed.hash, out.prevHash)
        return created.pin to pkg
    }

    @Test
    fun requestPackOutDeliveredWithPin() {
        val d = DoorstepStore.open(dir, key)
        val h = household(d, "2-101")
        val (pin, pkg) = outForDelivery(
            d, h,
            listOf(ItemLine(item = "rice", quantity = 5L), ItemLine(item = "medicine", name = "胰岛素", dose = "300 IU", quantity = 1L)),
        )
        assertEquals(6, pin.length)
        val stops = d.runnerList("runner-1").stops
        assertEquals(listOf("丽岛花园3栋"), stops.map { it.building })
        assertTrue(stops[0].packages[0].medicine)

        val wrong = if (pin == "000000") "111111" else "000000"
        val e = assertThrows<DoorstepException.ProofRefused> {
            d.handoff(pkg.id, HandoffInput(toStatus = PackageStatus.DELIVERED, proof = Proof.Pin(wrong)))
        }
        assertTrue(e.message!!.contains("4 tries left"), e.message)

        val done = d.handoff(pkg.id, HandoffInput(toStatus = PackageStatus.DELIVERED, proof = Proof.Pin(pin)))
        assertEquals(ProofKind.PIN, done.proofKind)
        assertEquals(PackageStatus.DELIVERED, d.`package`(pkg.id).status)
        assertEquals(RequestStatus.DELIVERED, d.deliveryRequest(pkg.requestId).status)
        assertThrows<DoorstepException.Conflict> {
            d.handoff(pkg.id, HandoffInput(toStatus = PackageStatus.DELIVERED, proof = Proof.Pin(pin)))
        }
        val report = d.verifyPackage(pkg.id)
        assertTrue(report.intact)
        assertEquals(3u, report.steps)
        assertTrue(d.runnerList("runner-1").itemsLeft.isEmpty())
    }

    @Test
    fun requestPackOutDeliveredWithPhoto() {
        val d = DoorstepStore.open(dir, key)
        val h = household(d, "2-102")
        val (_, pkg) = outForDelivery(d, h, listOf(ItemLine(item = "care_package", quantity = 1L)))
        assertTrue(contains(cameraJpeg, gpsMark))
        assertThrows<DoorstepException.Invalid> {
            d.handoff(pkg.id, HandoffInput(toStatus = PackageStatus.DELIVERED, proof = Proof.Photo("not an image".toByteArray())))
        }
        val done = d.handoff(
            pkg.id, HandoffInput(toStatus = PackageStatus.DELIVERED, proof = Proof.Photo(cameraJpeg), place = "门口")
        )
        assertEquals(ProofKind.PHOTO, done.proofKind)
        val blob = d.blob(done.proof!!)
        assertEquals("image/jpeg", blob.mime)
        assertArrayEquals(byteArrayOf(0xFF.toByte(), 0xD8.toByte(), 0xFF.toByte()), blob.bytes.copyOf(3))
        val sha = MessageDigest.getInstance("SHA-256").digest(blob.bytes).joinToString("") { "%02x".format(it) }
        assertEquals(done.proof, sha)
        assertFalse(contains(blob.bytes, gpsMark))
        assertFalse(contains(blob.bytes, "Exif".toByteArray()))
    }

    @Test
    fun stockShortfallIsTyped() {
        val d = DoorstepStore.open(dir, key)
        val h = household(d, "2-103")
        d.receiveStock(ItemLine(item = "flour", quantity = 1L), StockMoveKind.PURCHASE, null, null)
        val created = d.createRequest(
            NewRequest(householdId = h.id, source = RequestSource.Manual, items = listOf(ItemLine(item = "flour", quantity = 3L)), urgency = Urgency.NORMAL, notes = null)
        )
        val pkg = d.newPackage(created.request.id, null)
        val e = assertThrows<DoorstepException.Shortfall> {
            d.handoff(pkg.id, HandoffInput(toStatus = PackageStatus.PACKED))
        }
        assertTrue(e.message!!.contains("short by 2"), e.message)
    }
}
