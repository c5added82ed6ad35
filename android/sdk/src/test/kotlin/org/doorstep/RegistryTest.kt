package org.doorstep

import java.io.File
import org.doorstep.core.Doorstep
import org.doorstep.sdk.DoorstepStore
import org.doorstep.core.DoorstepException
import org.doorstep.core.model.NewHousehold
import org.doorstep.core.model.NewResident
import org.doorstep.core.model.ResidentPatch
import org.doorstep.core.model.SearchQuery
import org.doorstep.core.model.Sex
import org.doorstep.core.model.Tag
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir

class RegistryTest {
    @TempDir
    lateinit var dir: File

    private val key = ByteArray(32) { it.toByte() }

    private fun open(): Doorstep = DoorstepStore.open(dir, key)

    private fun query(text: String, tag: Tag? = null) = SearchQuery(text, null, tag, 20u)

    @Test
    fun createSearchAndReopen() {
        val d = open()
        val area = d.ensureArea("武昌区/中南路街道/丽岛社区/第3网格")
        val building = d.createBuilding(area.id, "7栋")
        val h = d.createHousehold(NewHousehold(area.id, building.id, "紫阳路8号", "302", null))
        val r = d.createResident(
            NewResident(h.id, "张伟", Sex.MALE, 1946, "138 0000 1234", listOf(Tag.ElderlyAlone), "独居，腿脚不便")
        )
        assertEquals("13800001234", r.phone)
        assertEquals(listOf("张伟"), d.search(query("zw")).map { it.resident.name })
        assertEquals(listOf("张伟"), d.search(query("zhangwei")).map { it.resident.name })
        assertEquals(listOf("张伟"), d.search(query("1234")).map { it.resident.name })
        assertTrue(d.search(query("zhangwei")).first().address.contains("紫阳路8号"))
        assertEquals(7uL, d.pendingOpCount())
        d.destroy()

        val again = open()
        assertEquals(listOf(Tag.ElderlyAlone), again.getResident(r.id).tags)
        assertEquals(r.id, again.search(query("", Tag.ElderlyAlone)).single().resident.id)
    }

    @Test
    fun importCsvWithChineseHeader() {
        val d = open()
        val csv = """
            区域,楼栋,门牌,地址,姓名,性别,出生年份,手机,标签
            武昌区/中南路街道/丽岛社区/第1网格,3栋,201,丽岛花园,王秀英,女,1941,13900000001,独居老人、慢性病
            武昌区/中南路街道/丽岛社区/第1网格,3栋,202,丽岛花园,单丽,女,1990,,孕产妇
            武昌区/中南路街道/丽岛社区/第1网格,3栋,203,丽岛花园,赵强,未说,1980,,
        """.trimIndent() + "\n"
        val report = d.importCsv(csv.toByteArray(Charsets.UTF_8))
        assertEquals(2uL, report.residentsAdded)
        assertEquals(1, report.errors.size)
        assertEquals(4uL, report.errors[0].line)
        assertEquals("性别", report.errors[0].column)
        assertEquals(listOf("单丽"), d.search(query("shanli")).map { it.resident.name })
        val again = d.importCsv(csv.toByteArray(Charsets.UTF_8))
        assertEquals(0uL, again.residentsAdded)
        assertEquals(2uL, again.unchanged)
    }

    @Test
    fun wrongKeyIsTyped() {
        open().destroy()
        val e = assertThrows<DoorstepException.WrongKey> { DoorstepStore.open(dir, ByteArray(32)) }
        assertTrue(e.message!!.contains("key"))
    }

    @Test
    fun badArgumentsAreTyped() {
        assertThrows<DoorstepException.Invalid> { Doorstep.open(File(dir, "x.db").path, ByteArray(5)) }
        assertThrows<DoorstepException.Invalid> { DoorstepStore.open(dir, ByteArray(org.doorstep.sdk.STORE_KEY_BYTES - 1)) }
        val d = open()
        assertThrows<DoorstepException.NotFound> {
            d.createResident(NewResident("no-such-household", "李四", Sex.MALE, null, null, emptyList(), null))
        }
        val area = d.ensureArea("区/街道")
        val h = d.createHousehold(NewHousehold(area.id, null, "1号", null, null))
        val e = assertThrows<DoorstepException.Invalid> {
            d.createResident(NewResident(h.id, "李四", Sex.MALE, 2999, null, emptyList(), null))
        }
        assertTrue(e.message!!.contains("birth_year 2999 is in the future"))
        assertTrue(d.residentsOf(h.id).isEmpty())
    }

    @Test
    fun updateMoveDelete() {
        val d = open()
        val area = d.ensureArea("区/街道/社区/网格")
        val a = d.createHousehold(NewHousehold(area.id, null, "1号", null, null))
        val b = d.createHousehold(NewHousehold(area.id, null, "2号", null, null))
        var r = d.createResident(NewResident(a.id, "刘洋", Sex.MALE, null, null, emptyList(), null))
        r = d.updateResident(r.id, ResidentPatch(tags = listOf(Tag.Stranded, Tag.Custom("建筑工人"))))
        assertEquals(listOf(Tag.Stranded, Tag.Custom("建筑工人")), r.tags)
        d.moveResident(r.id, b.id)
        assertEquals(listOf(r.id), d.residentsOf(b.id).map { it.id })
        d.deleteResident(r.id)
        assertThrows<DoorstepException.NotFound> { d.getResident(r.id) }
    }
}
