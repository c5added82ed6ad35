package org.doorstep.desktop

import androidx.compose.foundation.lazy.LazyListState
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.ui.ImageComposeScene
import androidx.compose.ui.unit.Density
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import org.doorstep.app.Language
import org.doorstep.app.duelist.DueListPresenter
import org.doorstep.app.duelist.DueListView
import org.doorstep.app.marshal.MarshalEvents
import org.doorstep.app.marshal.MarshalPresenter
import org.doorstep.app.marshal.MarshalView
import org.doorstep.app.visit.VisitEvents
import org.doorstep.app.visit.VisitPresenter
import org.doorstep.app.visit.VisitView
import org.doorstep.sdk.DoorstepServices
import org.doorstep.sdk.DoorstepStore
import org.doorstep.sdk.KeyProvider
import java.io.File
import java.time.Duration
import java.time.Instant

/**
 * The app's own timings, printed: cold start to the due list's first frame, "finish
 * visit" to the next frame (presenter + core + one frame), and scrolling a 500-entry due
 * list; and a decoded code to the marshal's outcome card over 2,000 scans, with the heap
 * after GC before and after 1,000 scans more. Renders headlessly (ImageComposeScene) at
 * phone size over a real store of [RESIDENTS] residents. Run by scripts/app-bench.sh.
 */
object Bench {
    private const val RESIDENTS = 500
    private const val VISITS = 200
    private const val SCANS = 2_000
    private const val IN_A_ROW = 1_000
    private const val PASSES = "passes.txt"
    private val key = ByteArray(32) { 9 }

    /**
     * `seed DIR` writes the store; `run DIR` (a new process, so the start is cold) times
     * the app over it.
     */
    @JvmStatic
    fun main(args: Array<String>) {
        val processStart = ProcessHandle.current().info().startInstant().orElse(Instant.now())
        val dir = File(args.getOrNull(1) ?: error("usage: Bench seed|run DIR"))
        if (args[0] == "seed") {
            val t = System.nanoTime()
            seed(dir)
            println("seeded $RESIDENTS residents in ${(System.nanoTime() - t) / 1_000_000} ms")
            return
        }
        run {
            val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
            val sv = runBlocking { DoorstepServices.open(dir, KeyProvider { key }) }
            coldStart(sv, scope, processStart)
            scroll(sv, scope)
            finishVisit(sv, scope)
            scans(sv, scope, File(dir, PASSES).readLines())
            scope.cancel()
            sv.close()
        }
    }

    /** [RESIDENTS] residents in one grid, a third of them elderly living alone. */
    private fun seed(dir: File) {
        val csv = StringBuilder("区域,地址,门牌,姓名,性别,出生年份,标签\n")
        for (i in 0 until RESIDENTS) {
            val tag = if (i % 3 == 0) "独居老人" else ""
            csv.append("武昌区/中南路街道/丽岛社区/第1网格,丽岛花园${i / 40 + 1}栋,${i % 40 + 101},居民$i,女,${1930 + i % 60},$tag\n")
        }
        DoorstepStore.open(dir, key).use { d ->
            val r = d.importCsv(csv.toString().toByteArray())
            check(r.errors.isEmpty()) { "seed rows refused: ${r.errors.take(3)}" }
            // A pass for every resident, for the marshal's scans.
            d.newSigningKey()
            val now = System.currentTimeMillis()
            val everyone = d.search(org.doorstep.core.model.SearchQuery(text = "居民", areaId = null, tag = null, limit = RESIDENTS.toUInt()))
            val texts = everyone.map { d.issuePass(it.resident.id, now - 3_600_000, now + 7 * 86_400_000L).text }
            File(dir, PASSES).writeText(texts.joinToString("\n"))
        }
    }

    private fun scene(content: @androidx.compose.runtime.Composable () -> Unit) =
        ImageComposeScene(720, 1560, Density(2f)) { Screens.Framed(Language.ZH_CN, content) }

    private fun coldStart(sv: DoorstepServices, scope: CoroutineScope, processStart: Instant) {
        val p = DueListPresenter(sv.visits, sv.registry, sv.sync, scope) {}
        runBlocking { p.state.first { !it.loading && it.items.isNotEmpty() } }
        val s = scene {
            val st by p.state.collectAsState()
            DueListView(st, {})
        }
        s.render(0)
        val ms = Duration.between(processStart, Instant.now()).toMillis()
        s.close()
        println("cold start: process start to the due list's first frame: $ms ms (${p.state.value.items.size} entries)")
    }

    private fun scroll(sv: DoorstepServices, scope: CoroutineScope) {
        val p = DueListPresenter(sv.visits, sv.registry, sv.sync, scope) {}
        val items = runBlocking { p.state.first { !it.loading && it.items.isNotEmpty() } }.items.size
        val list = LazyListState()
        val s = scene { DueListView(p.state.value, {}, list) }
        var t = 0L
        s.render(t)
        val frames = ArrayList<Long>()
        // 40 px a frame at 60 Hz, to the end of the list.
        while (list.canScrollForward) {
            list.dispatchRawDelta(40f)
            t += 16_666_667
            val a = System.nanoTime()
            s.render(t)
            frames += System.nanoTime() - a
        }
        s.close()
        println("scroll: $items-entry due list, ${frames.size} frames: ${stats(frames)}")
    }

    private fun finishVisit(sv: DoorstepServices, scope: CoroutineScope) {
        val due = runBlocking { sv.visits.dueList(VISITS) }
        val times = ArrayList<Long>()
        val cores = ArrayList<Long>()
        for (e in due.take(VISITS)) {
            val form = runBlocking { sv.visits.start(e.householdId, e.residentId) }
            val p = VisitPresenter(form.visitId, sv.visits, scope, {}, {})
            runBlocking { p.state.first { it.form != null } }
            p.onEvent(VisitEvents.OutcomeChosen(org.doorstep.sdk.VisitOutcome.NOBODY_HOME))
            val s = scene {
                val st by p.state.collectAsState()
                VisitView(st, {}, {})
            }
            s.render(0)
            val a = System.nanoTime()
            p.onEvent(VisitEvents.Finish)
            runBlocking { p.state.first { it.finished != null || it.failure != null } }
            cores += System.nanoTime() - a
            s.render(16_666_667)
            times += System.nanoTime() - a
            check(p.state.value.failure == null) { "finish refused: ${p.state.value.failure}" }
            s.close()
        }
        println("finish visit to its state (presenter + core), ${cores.size} visits: ${stats(cores)}")
        println("finish visit to the next frame (presenter + core + a software-rendered frame): ${stats(times)}")
    }

    /**
     * [SCANS] decoded codes to the outcome card: presenter + core to the new state, and to
     * the card's next frame; then [IN_A_ROW] more scans in a row with the heap (after GC)
     * before and after, to see it does not grow. Each resident's pass is scanned at a few
     * sites, so most are admissions; the scanner pauses after each, as on a phone, and the
     * marshal's tap ("next") ends the pause before the next code.
     */
    private fun scans(sv: DoorstepServices, scope: CoroutineScope, passes: List<String>) {
        fun heapMb(): Long {
            repeat(3) { System.gc() }
            val r = Runtime.getRuntime()
            return (r.totalMemory() - r.freeMemory()) / 1_000_000
        }
        // Each site's presenter lives in a scope of its own, ended when the next site's
        // takes over, as a screen's presenter ends with its screen.
        var screen: CoroutineScope? = null
        fun marshal(site: String): MarshalPresenter {
            screen?.cancel()
            val own = CoroutineScope(scope.coroutineContext + SupervisorJob())
            screen = own
            val p = MarshalPresenter(sv.checkin, own, site = site, pauseSeconds = 0)
            p.onEvent(MarshalEvents.Begin)
            runBlocking { p.state.first { it.ready && it.today != null } }
            return p
        }
        // The scene draws whichever presenter is current, as the app's screen would.
        val current = mutableStateOf(marshal("bench-0"))
        val s = scene {
            val st by current.value.state.collectAsState()
            MarshalView(st, {})
        }
        var frameAt = 0L
        s.render(frameAt)
        var site = 0
        fun scanOnce(i: Int, cores: MutableList<Long>?, frames: MutableList<Long>?) {
            if (i > 0 && i % passes.size == 0) current.value = marshal("bench-${++site}")
            val p = current.value
            val before = p.state.value.card?.n ?: 0
            p.onEvent(MarshalEvents.Next)
            val a = System.nanoTime()
            p.onEvent(MarshalEvents.Scanned(passes[i % passes.size]))
            runBlocking { p.state.first { (it.card?.n ?: 0) > before && !it.busy } }
            cores?.add(System.nanoTime() - a)
            frameAt += 16_666_667L
            s.render(frameAt)
            frames?.add(System.nanoTime() - a)
        }
        val cores = ArrayList<Long>()
        val frames = ArrayList<Long>()
        for (i in 0 until SCANS) scanOnce(i, cores, frames)
        check(current.value.state.value.card != null) { "no card after $SCANS scans" }
        println("decoded code to its state (presenter + core), ${cores.size} scans: ${stats(cores)}")
        println("decoded code to the card's frame (presenter + core + a software-rendered frame): ${stats(frames)}")
        val before = heapMb()
        for (i in SCANS until SCANS + IN_A_ROW) scanOnce(i, null, null)
        val after = heapMb()
        s.close()
        println("$IN_A_ROW scans in a row after those: heap after GC $before MB before, $after MB after")
    }

    private fun stats(ns: List<Long>): String {
        val s = ns.sorted()
        fun ms(q: Double) = "%.2f".format(s[((s.size - 1) * q).toInt()] / 1e6)
        return "p50 ${ms(0.5)} ms, p99 ${ms(0.99)} ms, max ${ms(1.0)} ms"
    }
}

