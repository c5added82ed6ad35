package org.doorstep.app

import com.google.zxing.BarcodeFormat
import com.google.zxing.qrcode.QRCodeWriter
import kotlinx.coroutines.runBlocking
import org.doorstep.app.duelist.DueListEvents
import org.doorstep.app.duelist.DueListPresenter
import org.doorstep.app.firstrun.FirstRunEvents
import org.doorstep.app.firstrun.FirstRunPresenter
import org.doorstep.app.syncbar.SyncBarEvents
import org.doorstep.app.syncbar.SyncBarPresenter
import org.doorstep.app.syncbar.SyncNetworkChoice
import org.doorstep.app.visit.PhotoShelf
import org.doorstep.app.visit.VisitEvents
import org.doorstep.app.visit.VisitPresenter
import org.doorstep.core.model.NewHousehold
import org.doorstep.core.model.NewResident
import org.doorstep.core.model.Sex
import org.doorstep.sdk.Answer
import org.doorstep.sdk.ResidentInput
import org.doorstep.sdk.Tag
import org.junit.After
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Before
import org.junit.Rule
import org.junit.Test
import org.junit.rules.TemporaryFolder
import java.awt.image.BufferedImage
import java.io.ByteArrayOutputStream
import java.io.File
import javax.imageio.ImageIO
import org.doorstep.core.model.Tag as FfiTag

/** Pull to refresh, the enrolment QR, the visit's photo and the Wi-Fi-only switch, against a real store. */
class MorePresenterTest {
    @get:Rule
    val tmp = TemporaryFolder()

    private lateinit var f: Fixture
    private lateinit var wang: String
    private lateinit var wangHome: String
    private lateinit var zhaoHome: String

    @Before
    fun seed() {
        f = Fixture(tmp.newFolder("store"))
        f.seed { d ->
            val grid = d.ensureArea(GRID)
            zhaoHome = d.createHousehold(NewHousehold(grid.id, null, "丽岛花园1栋 101", null, null)).id
            d.createResident(NewResident(zhaoHome, "赵磊", Sex.MALE, 1980, null, emptyList(), null))
            wangHome = d.createHousehold(NewHousehold(grid.id, null, "丽岛花园3栋 201", null, null)).id
            wang = d.createResident(NewResident(wangHome, "王秀英", Sex.FEMALE, 1940, null, listOf(FfiTag.ElderlyAlone), null)).id
        }
    }

    @After
    fun close() = f.close()

    @Test
    fun refreshingTheDueListBringsInWhatChangedSince() {
        val p = DueListPresenter(f.services.visits, f.services.registry, f.services.sync, f.scope) {}
        val before = p.await { !it.loading && it.items.isNotEmpty() }
        assertFalse(before.items.any { it.name == "陈芳" })
        runBlocking { f.services.registry.addResident(zhaoHome, ResidentInput("陈芳", org.doorstep.sdk.Sex.FEMALE, 1938, null, listOf(Tag.ElderlyAlone), null)) }
        // A local write alone does not reload the list: the pull (or the button) does.
        Thread.sleep(300)
        assertFalse(p.state.value.items.any { it.name == "陈芳" })
        p.onEvent(DueListEvents.Refresh)
        val after = p.await { !it.loading && it.items.any { i -> i.name == "陈芳" } }
        assertEquals(setOf("王秀英", "陈芳"), after.items.mapNotNull { it.name }.toSet())
    }

    @Test
    fun aDashboardQrPictureFillsTheCodeAndAnythingElseIsRefusedInWords() {
        val p = FirstRunPresenter(f.services.enrolment, f.scope, "http://127.0.0.1:8080") {}
        // A code as the station makes them (ten of its letters and digits), drawn as the devices page draws it.
        p.onEvent(FirstRunEvents.Picture(qrPng("K7MZ4QWX9R")))
        val filled = p.await { it.code.isNotEmpty() }
        assertEquals("K7MZ4QWX9R", filled.code)
        assertEquals("http://127.0.0.1:8080", filled.server)
        assertFalse(filled.notACode)
        assertTrue(filled.canEnrol)

        // A pass, a web address: not an enrolment code, and the code typed so far stays.
        p.onEvent(FirstRunEvents.Picture(qrPng("https://example.org/not-a-code")))
        val refused = p.await { it.notACode }
        assertEquals("K7MZ4QWX9R", refused.code)
        assertTrue(ZhCn.notAnEnrolmentQr.contains("不是绑定码"))

        // The camera's hook: the same event with the text it read; spaces and dashes as a person might print them.
        p.onEvent(FirstRunEvents.Scanned("abcd-efgh 23"))
        val scanned = p.await { !it.notACode }
        assertEquals("ABCDEFGH23", scanned.code)

        // A picture with no QR code in it is the core's refusal, in words.
        p.onEvent(FirstRunEvents.Picture(blankPng()))
        val noCode = p.await { it.failure != null }
        assertTrue(En.failure(noCode.failure!!).isNotBlank())
        assertEquals("ABCDEFGH23", noCode.code)
    }

    @Test
    fun aPhotoIsKeptOnTheDeviceAndItsAnswerStoredInTheDraft() {
        val shelf = PhotoShelf(tmp.newFolder("photos"))
        val form = runBlocking { f.services.visits.start(wangHome, wang) }
        val p = VisitPresenter(form.visitId, f.services.visits, f.scope, onClose = {}, onNeed = {}, photos = shelf)
        p.await { it.form != null }
        val picture = qrPng("a picture standing in for a photo")
        p.onEvent(VisitEvents.Photo("photo", picture))
        val st = p.await { s -> s.form!!.questions.any { it.question.id == "photo" && it.answer is Answer.Photo } }
        val reference = (st.form!!.questions.single { it.question.id == "photo" }.answer as Answer.Photo).reference
        assertArrayEquals(picture, shelf.fileOf(reference)!!.readBytes())

        // The answer is in the store: a restarted app reads it back from the draft.
        f.restart()
        val again = runBlocking { f.services.visits.form(form.visitId) }
        assertEquals(Answer.Photo(reference), again.questions.single { it.question.id == "photo" }.answer)
        assertNull(shelf.fileOf("not-a-reference"))
    }

    @Test
    fun theWifiOnlySwitchIsThePlatformsSettingAndAbsentWithoutOne() {
        val none = SyncBarPresenter(f.services.sync, f.scope) {}
        assertNull(none.state.value.wifiOnly)

        val stored = mutableListOf<Boolean>()
        val choice = object : SyncNetworkChoice {
            override fun unmeteredOnly() = stored.lastOrNull() ?: false
            override fun setUnmeteredOnly(on: Boolean) { stored += on }
        }
        val p = SyncBarPresenter(f.services.sync, f.scope, choice) {}
        assertEquals(false, p.state.value.wifiOnly)
        p.onEvent(SyncBarEvents.WifiOnly(true))
        p.await { it.wifiOnly == true }
        p.onEvent(SyncBarEvents.WifiOnly(false))
        p.await { it.wifiOnly == false }
        assertEquals(listOf(true, false), stored)
    }

    private fun qrPng(text: String): ByteArray {
        val m = QRCodeWriter().encode(text, BarcodeFormat.QR_CODE, 300, 300)
        val img = BufferedImage(m.width, m.height, BufferedImage.TYPE_INT_RGB)
        for (y in 0 until m.height) for (x in 0 until m.width) img.setRGB(x, y, if (m[x, y]) 0x000000 else 0xFFFFFF)
        return ByteArrayOutputStream().also { ImageIO.write(img, "png", it) }.toByteArray()
    }

    private fun blankPng(): ByteArray {
        val img = BufferedImage(200, 200, BufferedImage.TYPE_INT_RGB)
        for (y in 0 until 200) for (x in 0 until 200) img.setRGB(x, y, 0xFFFFFF)
        return ByteArrayOutputStream().also { ImageIO.write(img, "png", it) }.toByteArray()
    }
}
