package org.doorstep.app

import org.doorstep.app.marshal.MarshalEvents
import org.doorstep.app.marshal.MarshalPresenter
import org.doorstep.app.marshal.TubesEvents
import org.doorstep.app.marshal.TubesPresenter
import org.doorstep.app.runner.HandoffEvents
import org.doorstep.app.runner.PackagePresenter
import org.doorstep.app.runner.RunnerListPresenter
import org.doorstep.core.model.HandoffInput
import org.doorstep.core.model.ItemLine
import org.doorstep.core.model.NewHousehold
import org.doorstep.core.model.NewNeed
import org.doorstep.core.model.NewRequest
import org.doorstep.core.model.NewResident
import org.doorstep.core.model.PackageStatus
import org.doorstep.core.model.RequestSource
import org.doorstep.core.model.Sex
import org.doorstep.core.model.StockMoveKind
import org.doorstep.core.model.Subject
import org.doorstep.core.model.TubeResult
import org.doorstep.sdk.FailWhy
import org.doorstep.sdk.PackageState
import org.doorstep.sdk.ProofWay
import org.doorstep.sdk.ScanResult
import org.doorstep.sdk.DoorstepFailure
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Before
import org.junit.Rule
import org.junit.Test
import org.junit.rules.TemporaryFolder
import org.doorstep.core.model.NeedCategory as FfiCategory
import org.doorstep.core.model.NeedStatus as FfiNeedStatus
import org.doorstep.core.model.Tag as FfiTag
import org.doorstep.core.model.Urgency as FfiUrgency

/** The marshal's and the runner's presenters against a real store; nothing of the core is faked. */
class FieldPresenterTest {
    @get:Rule
    val tmp = TemporaryFolder()

    private lateinit var f: Fixture
    private val passes = mutableMapOf<String, String>()
    private val hour = 3_600_000L
    private val day = 24 * hour

    @Before
    fun seed() {
        f = Fixture(tmp.root)
        f.seed { d ->
            val grid = d.ensureArea(GRID)
            val b = d.createBuilding(grid.id, "丽岛花园3栋")
            val h = d.createHousehold(NewHousehold(grid.id, b.id, "丽岛花园3栋", "201", null))
            fun resident(name: String, year: Int, tags: List<FfiTag> = emptyList()) =
                d.createResident(NewResident(h.id, name, Sex.FEMALE, year, null, tags, null)).id
            d.newSigningKey()
            val now = System.currentTimeMillis()
            val people = (1..14).map { resident("居民$it", 1985) }
            people.forEachIndexed { i, id -> passes["p$i"] = d.issuePass(id, now - hour, now + day).text }
            passes["elder"] = d.issuePass(resident("王秀英", 1941, listOf(FfiTag.ElderlyAlone)), now - hour, now + day).text
            passes["expired"] = d.issuePass(resident("过期", 1980), now - 3 * day, now - day).text
            passes["future"] = d.issuePass(resident("未来", 1980), now + day, now + 2 * day).text
            val revoked = d.issuePass(resident("作废", 1980), now - hour, now + day)
            d.revokePass(revoked.passId, "遗失")
            passes["revoked"] = revoked.text
        }
    }

    @After
    fun close() = f.close()

    /** The pass with one bit of its payload's byte [byte] flipped. */
    private fun flipped(text: String, byte: Int): String {
        val b = Base45.decode(text.removePrefix("DS1:"))
        b[byte] = (b[byte].toInt() xor 0x10).toByte()
        return "DS1:" + Base45.encode(b)
    }

    private fun marshal(pause: Int = 0) = MarshalPresenter(f.services.checkin, f.scope, site = SITE, lane = "2", pauseSeconds = pause).also {
        it.onEvent(MarshalEvents.Begin)
        it.await { s -> s.ready && s.today != null }
    }

    private fun MarshalPresenter.scanned(text: String): ScanResult {
        val before = state.value.card?.n ?: 0
        onEvent(MarshalEvents.Next)
        onEvent(MarshalEvents.Scanned(text))
        return await { it.card != null && it.card!!.n > before && !it.busy }.card!!.outcome
    }

    @Test
    fun everyScanOutcomeReachesItsCard() {
        val m = marshal()
        val first = m.scanned(passes["p0"]!!)
        assertTrue(first is ScanResult.Admitted && first.lane == "2")
        assertTrue(m.scanned(passes["elder"]!!) is ScanResult.Priority)
        val dup = m.scanned(passes["p0"]!!) as ScanResult.Duplicate
        assertEquals((first as ScanResult.Admitted).queueNo, dup.queueNo)
        assertTrue(m.scanned(passes["expired"]!!) is ScanResult.Expired)
        assertTrue(m.scanned(passes["future"]!!) is ScanResult.NotYetValid)
        assertTrue(m.scanned(passes["revoked"]!!) is ScanResult.Revoked)
        assertTrue(m.scanned(flipped(passes["p1"]!!, 2)) is ScanResult.UnknownKey)
        assertTrue(m.scanned(flipped(passes["p1"]!!, 10)) is ScanResult.Forged)
        assertTrue(m.scanned("WIFI:S:guest;;") is ScanResult.Unreadable)
        // Typed in by hand: the same path as the camera's.
        m.onEvent(MarshalEvents.Next)
        m.onEvent(MarshalEvents.ManualChanged("  ${passes["p1"]}  "))
        m.onEvent(MarshalEvents.SubmitManual)
        val typed = m.await { it.card?.n == 10 && !it.busy }
        assertTrue(typed.card!!.outcome is ScanResult.Admitted)
        assertEquals("", typed.manual)
        val st = m.await { it.today?.scans == 10 }
        assertEquals(3, st.today!!.admitted)
        assertEquals(5, st.recent.size)
        // Each outcome has its words in both languages, and no two share a title.
        val outcomes = listOf(
            ScanResult.Admitted("A-001", "1"), ScanResult.Priority("A-002", "1"), ScanResult.Duplicate(0, "A-001"),
            ScanResult.Expired(0), ScanResult.NotYetValid(0), ScanResult.Revoked, ScanResult.UnknownKey, ScanResult.Forged,
            ScanResult.Unreadable("x"), ScanResult.InOpenTube("T1"),
        )
        listOf(ZhCn, En).forEach { s -> assertEquals(outcomes.size, outcomes.map { s.outcomeTitle(it) }.toSet().size) }
        assertEquals(outcomes.size, outcomes.map { org.doorstep.app.marshal.cueOf(it).colour }.toSet().size)
    }

    @Test
    fun thePauseHoldsUntilATapAndEndsByItselfAfterItsTime() {
        val m = marshal(pause = 0)
        m.onEvent(MarshalEvents.Scanned(passes["p0"]!!))
        val st = m.await { it.card != null && !it.busy }
        assertTrue(st.paused)
        // The same code still in view: dropped, nothing recorded.
        repeat(5) { m.onEvent(MarshalEvents.Scanned(passes["p0"]!!)) }
        Thread.sleep(300)
        assertEquals(1, m.state.value.card!!.n)
        assertEquals(1, kotlinx.coroutines.runBlocking { f.services.checkin.today(SITE) }.scans)
        m.onEvent(MarshalEvents.Next)
        m.onEvent(MarshalEvents.Scanned(passes["p1"]!!))
        assertEquals(2, m.await { it.card?.n == 2 }.card!!.n)

        val timed = marshal(pause = 1)
        timed.onEvent(MarshalEvents.Scanned(passes["p2"]!!))
        timed.await { it.card != null && it.paused }
        assertTrue(!timed.await { !it.paused && it.card != null }.paused)
    }

    @Test
    fun aTubeFillsToItsLimitAndSealsAndAPositiveOneListsWhomToRecall() {
        val t = TubesPresenter(SITE, "1", f.services.checkin, f.scope)
        t.await { !it.busy }
        t.onEvent(TubesEvents.CapacityChanged(3))
        t.onEvent(TubesEvents.CodeChanged("T-0001"))
        t.onEvent(TubesEvents.Open)
        t.await { it.current?.code == "T-0001" && !it.busy }
        listOf("p3", "p4", "p5").forEachIndexed { i, p ->
            t.onEvent(TubesEvents.Scanned(passes[p]!!))
            val st = t.await { it.current?.members == i + 1 && !it.busy }
            assertTrue(st.lastScan!!.added)
        }
        t.onEvent(TubesEvents.Scanned(passes["p6"]!!))
        val full = t.await { !it.busy && (it.failure != null || it.lastScan?.added == false) }
        assertEquals(3, full.current!!.members)
        t.onEvent(TubesEvents.Seal)
        val sealed = t.await { it.current?.sealed == true && !it.busy }
        assertEquals(listOf("T-0001"), sealed.tubes.map { it.code })

        // A second tube: someone still in an open tube is refused into a tube at another site.
        t.onEvent(TubesEvents.CodeChanged("T-0002"))
        t.onEvent(TubesEvents.Open)
        t.await { it.current?.code == "T-0002" && !it.busy }
        t.onEvent(TubesEvents.Scanned(passes["p7"]!!))
        t.await { it.current?.members == 1 && !it.busy }
        val other = TubesPresenter("紫阳公园核酸点", "1", f.services.checkin, f.scope)
        assertTrue(other.await { !it.busy }.tubes.isEmpty())
        other.onEvent(TubesEvents.CodeChanged("T-0003"))
        other.onEvent(TubesEvents.Open)
        other.await { it.current?.code == "T-0003" && !it.busy }
        other.onEvent(TubesEvents.Scanned(passes["p7"]!!))
        val inOpen = other.await { !it.busy && it.lastScan != null }
        assertEquals(ScanResult.InOpenTube("T-0002"), inOpen.lastScan!!.outcome)

        // The lab's answer arrives (by sync; here written the way it would land).
        f.restart()
        f.seed { d -> d.setTubeResult(sealed.current!!.id, TubeResult.POSITIVE) }
        val again = TubesPresenter(SITE, "1", f.services.checkin, f.scope)
        val pos = again.await { !it.busy && it.positive.isNotEmpty() }
        again.onEvent(TubesEvents.ShowRecall(pos.positive.single().id))
        val recall = again.await { it.recall.isNotEmpty() }
        assertEquals(3, recall.recall.size)
        assertTrue(recall.recall.all { it.unit == "201" && it.name!!.startsWith("居民") })
    }

    /** A package out for delivery to runner-1 in the household; its PIN and its id. */
    private fun outForDelivery(fromNeed: Boolean = false): Triple<String, String, String?> {
        var out: Triple<String, String, String?>? = null
        f.seed { d ->
            val grid = d.ensureArea(GRID)
            val h = d.createHousehold(NewHousehold(grid.id, null, "丽岛花园5栋", "1-${(100..999).random()}", null))
            d.receiveStock(ItemLine(item = "rice", quantity = 5L), StockMoveKind.DONATION, "红十字会", null)
            val needId = if (fromNeed) {
                d.raiseNeed(NewNeed(Subject(householdId = h.id), FfiCategory.VEGETABLES, FfiUrgency.NORMAL, null, null, null, null)).id
            } else null
            val req = d.createRequest(
                NewRequest(
                    householdId = if (fromNeed) null else h.id,
                    source = if (needId != null) RequestSource.Need(needId) else RequestSource.Manual,
                    items = listOf(ItemLine(item = "rice", quantity = 5L)), urgency = FfiUrgency.HIGH, notes = "放门口",
                ),
            )
            val pkg = d.newPackage(req.request.id, null)
            d.handoff(pkg.id, HandoffInput(toStatus = PackageStatus.PACKED))
            d.handoff(pkg.id, HandoffInput(toStatus = PackageStatus.OUT_FOR_DELIVERY, to = "runner-1"))
            out = Triple(req.pin, pkg.id, needId)
        }
        f.restart()
        return out!!
    }

    @Test
    fun aWrongPinShowsTriesLeftAndALockedPinRefusesEvenTheRightOne() {
        val (pin, pkgId, _) = outForDelivery()
        val list = RunnerListPresenter("runner-1", f.services.deliveries, f.scope) {}
        val day = list.await { !it.loading }.day!!
        assertEquals(listOf(pkgId), day.stops.flatMap { it.packages }.map { it.packageId })
        val p = PackagePresenter(pkgId, f.services.deliveries, f.scope)
        assertEquals("放门口", p.await { it.pkg != null }.pkg!!.notes)
        val wrong = if (pin == "000000") "111111" else "000000"
        for (left in 4 downTo 0) {
            p.onEvent(HandoffEvents.PinChanged(wrong))
            p.onEvent(HandoffEvents.Deliver)
            val st = p.await { it.triesLeft == left && !it.busy }
            assertTrue(st.failure is DoorstepFailure.Refused)
            // Only the line in the person's language with the tries left; the core's
            // message is for the logs.
            assertNull(st.banner)
        }
        assertTrue(p.state.value.pinLocked)
        p.onEvent(HandoffEvents.PinChanged(pin))
        p.onEvent(HandoffEvents.Deliver)
        val locked = p.await { !it.busy && it.failure != null }
        assertTrue(locked.failure is DoorstepFailure.Refused)
        assertEquals(PackageState.OUT_FOR_DELIVERY, kotlinx.coroutines.runBlocking { f.services.deliveries.pkg(pkgId) }.status)
        // Another proof still works.
        p.onEvent(HandoffEvents.WayChosen(ProofWay.NO_PROOF))
        p.onEvent(HandoffEvents.ReasonChanged("老人无手机，邻居代收"))
        p.onEvent(HandoffEvents.Deliver)
        val done = p.await { it.pkg?.status == PackageState.DELIVERED }
        assertEquals(ProofWay.NO_PROOF, done.moves.last().proofKind)
    }

    @Test
    fun theRightPinDeliversAndTheListEmpties() {
        val (pin, pkgId, _) = outForDelivery()
        val p = PackagePresenter(pkgId, f.services.deliveries, f.scope)
        p.await { it.pkg != null }
        p.onEvent(HandoffEvents.PinChanged(pin))
        p.onEvent(HandoffEvents.Deliver)
        val done = p.await { it.done }
        assertEquals(ProofWay.PIN, done.moves.last().proofKind)
        assertNull(done.failure)
        val list = RunnerListPresenter("runner-1", f.services.deliveries, f.scope) {}
        assertTrue(list.await { !it.loading }.day!!.stops.isEmpty())
    }

    @Test
    fun aSignaturesStrokesBecomeAStoredPngPendingUpload() {
        val (_, pkgId, _) = outForDelivery()
        val p = PackagePresenter(pkgId, f.services.deliveries, f.scope)
        p.await { it.pkg != null }
        p.onEvent(HandoffEvents.WayChosen(ProofWay.SIGNATURE))
        p.onEvent(HandoffEvents.Stroke(listOf(10f to 10f, 60f to 80f, 120f to 20f, 200f to 90f), 320, 160))
        p.onEvent(HandoffEvents.Stroke(listOf(30f to 120f, 250f to 110f), 320, 160))
        p.onEvent(HandoffEvents.Deliver)
        val done = p.await { it.done && !it.busy }
        val move = done.moves.last()
        assertEquals(ProofWay.SIGNATURE, move.proofKind)
        val (mime, bytes) = kotlinx.coroutines.runBlocking { f.services.deliveries.blob(move.proof!!) }
        assertEquals("image/png", mime)
        assertEquals(listOf(0x89, 'P'.code, 'N'.code, 'G'.code), bytes.take(4).map { it.toInt() and 0xFF })
        assertEquals(1, done.pendingUploads)
    }

    @Test
    fun aFailedDeliveryReopensItsNeed() {
        val (_, pkgId, needId) = outForDelivery(fromNeed = true)
        val before = kotlinx.coroutines.runBlocking { f.services.needs.need(needId!!) }
        assertEquals(FfiNeedStatus.IN_PROGRESS.name, before.status.name)
        val p = PackagePresenter(pkgId, f.services.deliveries, f.scope)
        p.await { it.pkg != null }
        p.onEvent(HandoffEvents.NoteChanged("敲门无人应"))
        p.onEvent(HandoffEvents.Fail(FailWhy.NOBODY_HOME))
        val st = p.await { it.pkg?.status == PackageState.FAILED }
        assertEquals(FailWhy.NOBODY_HOME, st.pkg!!.reason)
        assertEquals("敲门无人应", st.moves.last().note)
        val need = kotlinx.coroutines.runBlocking { f.services.needs.need(needId!!) }
        assertEquals(FfiNeedStatus.OPEN.name, need.status.name)
        val last = kotlinx.coroutines.runBlocking { f.services.needs.history(needId!!) }.last()
        assertEquals("delivery failed: nobody_home", last.note)
        val list = RunnerListPresenter("runner-1", f.services.deliveries, f.scope) {}
        assertEquals(listOf(pkgId), list.await { !it.loading }.day!!.toReturn.map { it.packageId })
    }

    @Test
    fun aPartialDeliveryRecordsWhatWasHandedOverAndTheRestGoesBack() {
        val (pin, pkgId, _) = outForDelivery()
        val p = PackagePresenter(pkgId, f.services.deliveries, f.scope)
        assertEquals(listOf(5L), p.await { it.pkg != null }.given)
        p.onEvent(HandoffEvents.PartialChanged(true))
        p.onEvent(HandoffEvents.GivenChanged(0, 9))
        assertEquals("no more than was packed", listOf(5L), p.state.value.given)
        p.onEvent(HandoffEvents.GivenChanged(0, 0))
        assertTrue(p.state.value.partEmpty)
        p.onEvent(HandoffEvents.PinChanged(pin))
        p.onEvent(HandoffEvents.Deliver)
        Thread.sleep(200)
        assertEquals(PackageState.OUT_FOR_DELIVERY, p.state.value.pkg!!.status)
        p.onEvent(HandoffEvents.GivenChanged(0, 3))
        p.onEvent(HandoffEvents.Deliver)
        val part = p.await { it.pkg?.status == PackageState.PARTLY_DELIVERED && !it.busy }
        assertNull(part.failure)
        assertEquals(ProofWay.PIN, part.moves.last().proofKind)
        val delivered = kotlinx.coroutines.runBlocking { f.services.deliveries.moves(pkgId) }.last()
        assertEquals(PackageState.PARTLY_DELIVERED, delivered.status)
        // The 2 kg not handed over go back to the station.
        assertTrue(part.canReturn)
        p.onEvent(HandoffEvents.Return)
        assertEquals(PackageState.RETURNED, p.await { it.pkg?.status == PackageState.RETURNED }.pkg!!.status)
        f.restart()
        f.seed { d -> assertEquals(listOf(org.doorstep.core.model.ItemLine(item = "rice", quantity = 3L)), d.`package`(pkgId).delivered) }
    }

    @Test
    fun itemsAreNamedFromTheCatalogueInEachLanguage() {
        val (_, pkgId, _) = outForDelivery()
        val list = RunnerListPresenter("runner-1", f.services.deliveries, f.scope) {}
        val line = list.await { !it.loading }.day!!.stops.single().packages.single().items.single()
        assertEquals("kg", line.unit)
        assertEquals("Rice 5 kg", En.itemLine(line))
        assertEquals("大米 5公斤", ZhCn.itemLine(line))
        val drug = org.doorstep.sdk.ItemCount("medicine", "二甲双胍", "500 mg", 2, "box")
        assertEquals("二甲双胍 500 mg 2 boxes", En.itemLine(drug))
        assertEquals("二甲双胍 500 mg 2盒", ZhCn.itemLine(drug))
        val p = PackagePresenter(pkgId, f.services.deliveries, f.scope)
        assertEquals("kg", p.await { it.pkg != null }.pkg!!.items.single().unit)
    }

    @Test
    fun aTubeGoesToABedriddenResidentsHomeAndItsScansAreRecordedThere() {
        val t = TubesPresenter(SITE, "1", f.services.checkin, f.scope, registry = f.services.registry)
        assertTrue(t.await { !it.busy }.canGoHome)
        t.onEvent(TubesEvents.CodeChanged("T-0100"))
        t.onEvent(TubesEvents.Open)
        t.await { it.current?.code == "T-0100" && !it.busy }
        t.onEvent(TubesEvents.HomeQueryChanged("居民9"))
        val hit = t.await { it.homeHits.isNotEmpty() }.homeHits.first { it.name == "居民9" }
        t.onEvent(TubesEvents.HomeChosen(hit))
        assertEquals(hit.householdId, t.state.value.home!!.householdId)
        t.onEvent(TubesEvents.Scanned(passes["p8"]!!))
        val st = t.await { it.current?.members == 1 && !it.busy }
        assertTrue(st.lastScan!!.added)
        // Back at the site, the next scan is at the lane.
        t.onEvent(TubesEvents.LeaveHome)
        t.onEvent(TubesEvents.Scanned(passes["p9"]!!))
        t.await { it.current?.members == 2 && !it.busy }
        // A household this phone does not hold is refused, and nothing is recorded.
        t.onEvent(TubesEvents.HomeChosen(hit.copy(householdId = "0190a6d2-0000-7000-8000-000000000000")))
        t.onEvent(TubesEvents.Scanned(passes["p10"]!!))
        assertTrue(t.await { !it.busy && it.failure != null }.failure is DoorstepFailure.NotFound)
        assertEquals(2, t.state.value.current!!.members)
        f.restart()
        f.seed { d ->
            val scans = d.checkIns(SITE, d.checkinDay())
            assertEquals(2, scans.size)
            assertEquals(org.doorstep.core.model.Place.Home(hit.householdId), scans[0].place)
            assertEquals(org.doorstep.core.model.Place.Lane("1"), scans[1].place)
        }
    }

    @Test
    fun theMarshalsSetUpIsKeptAcrossARestart() {
        val m = MarshalPresenter(f.services.checkin, f.scope)
        assertTrue(!m.state.value.ready)
        m.onEvent(MarshalEvents.SiteChanged(" $SITE "))
        m.onEvent(MarshalEvents.LaneChanged("3"))
        m.onEvent(MarshalEvents.PauseChanged(5))
        m.onEvent(MarshalEvents.Begin)
        m.await { it.ready && it.today != null }
        m.scanned(passes["p0"]!!)
        f.restart()
        // The app starts again: the scanner opens at the same site and lane, with its pause.
        val again = MarshalPresenter(f.services.checkin, f.scope)
        val st = again.await { it.ready && it.today != null }
        assertEquals(Triple(SITE, "3", 5), Triple(st.site, st.lane, st.pauseSeconds))
        assertEquals(1, st.today!!.scans)
    }

    private companion object {
        const val SITE = "丽岛社区核酸点"
    }
}

/** RFC 9285 base45, as the passes are written. */
private object Base45 {
    private const val A = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

    fun encode(b: ByteArray): String = buildString {
        var i = 0
        while (i + 1 < b.size) {
            var n = (b[i].toInt() and 0xFF) * 256 + (b[i + 1].toInt() and 0xFF)
            repeat(3) { append(A[n % 45]); n /= 45 }
            i += 2
        }
        if (i < b.size) {
            var n = b[i].toInt() and 0xFF
            repeat(2) { append(A[n % 45]); n /= 45 }
        }
    }

    fun decode(s: String): ByteArray {
        val out = java.io.ByteArrayOutputStream()
        var i = 0
        while (i < s.length) {
            val chunk = s.substring(i, minOf(i + 3, s.length))
            var n = 0
            chunk.reversed().forEach { n = n * 45 + A.indexOf(it) }
            if (chunk.length == 3) { out.write(n shr 8); out.write(n and 0xFF) } else out.write(n)
            i += 3
        }
        return out.toByteArray()
    }
}
