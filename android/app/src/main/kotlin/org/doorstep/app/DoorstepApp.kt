package org.doorstep.app

import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.CompositionLocalProvider
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.key
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.Job
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.isActive
import kotlinx.coroutines.launch
import org.doorstep.app.duelist.DueListPresenter
import org.doorstep.app.duelist.DueListView
import org.doorstep.app.firstrun.FirstRunEvents
import org.doorstep.app.firstrun.FirstRunPresenter
import org.doorstep.app.firstrun.FirstRunView
import org.doorstep.app.home.HomeView
import org.doorstep.app.home.RoleNotInThisBuild
import org.doorstep.app.home.rolesOf
import org.doorstep.app.household.HouseholdPresenter
import org.doorstep.app.household.HouseholdView
import org.doorstep.app.marshal.MarshalEvents
import org.doorstep.app.marshal.MarshalPresenter
import org.doorstep.app.marshal.MarshalView
import org.doorstep.app.marshal.TubesPresenter
import org.doorstep.app.marshal.TubesView
import org.doorstep.app.runner.HandoffEvents
import org.doorstep.app.runner.PackagePresenter
import org.doorstep.app.runner.PackageView
import org.doorstep.app.runner.RunnerListPresenter
import org.doorstep.app.runner.RunnerListView
import org.doorstep.app.need.NeedPresenter
import org.doorstep.app.need.NeedView
import org.doorstep.app.syncbar.SyncBarPresenter
import org.doorstep.app.syncbar.SyncNetworkChoice
import org.doorstep.app.syncbar.SyncBarView
import org.doorstep.app.visit.PhotoShelf
import org.doorstep.app.visit.VisitEvents
import org.doorstep.app.visit.VisitPresenter
import org.doorstep.app.visit.VisitView
import org.doorstep.sdk.DoorstepFailure
import org.doorstep.sdk.DoorstepServices
import org.doorstep.sdk.Enrolment
import org.doorstep.sdk.Role
import org.doorstep.sdk.ScanResult
import org.doorstep.sdk.SyncRun

/**
 * What the screens share: the services, the back stack and the language. Made once per
 * process by the platform (desktop `main`, Android `MainActivity`).
 */
class AppGraph(
    val services: DoorstepServices,
    val defaultServer: String,
    language: Language = Language.ZH_CN,
    /** The platform's picture source (a file chooser on the desktop; null: none). */
    val pickImage: (suspend () -> ByteArray?)? = null,
    /** Where a visit's photos are kept (a folder beside the store); null: photos cannot be added. */
    val photos: PhotoShelf? = null,
    /** The platform's "sync on Wi-Fi only" setting (Android's SyncSchedule); null on the desktop. */
    val syncNetwork: SyncNetworkChoice? = null,
    /** The platform's live scanner, handing each code it reads on (Android's camera; null: none). */
    val camera: (@Composable (onCode: (String) -> Unit) -> Unit)? = null,
    /** The platform's camera for a handoff's photo (null: [pickImage] stands in). */
    val takePhoto: (suspend () -> ByteArray?)? = null,
    /** Each scan outcome as its card appears, for the platform to vibrate and sound its cue. */
    val onOutcome: (ScanResult) -> Unit = {},
) {
    val navigator = Navigator()
    val language = MutableStateFlow(language)

    /** Work that outlives a screen (the first sync after enrolment). */
    val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)

    /** Goes home after enrolment and brings in the phone's areas at once. */
    fun enrolled(e: Enrolment) {
        navigator.reset(Destination.Home(e))
        scope.launch {
            try {
                services.sync.syncNow()
            } catch (_: DoorstepFailure) {
                // The sync bar shows it.
            }
        }
    }

    /** Reads the enrolment and opens the first screen: first run, or home. */
    suspend fun start() {
        val e = services.enrolment.current()
        navigator.reset(if (e == null) Destination.FirstRun else Destination.Home(e))
    }

    /**
     * Syncs by itself: every [everyMs] while there are changes to send or the last sync
     * failed, so work done offline goes up when the network returns. The desktop runs this;
     * Android leaves it to WorkManager with a network constraint.
     */
    fun autoSync(scope: CoroutineScope, everyMs: Long = 30_000): Job = scope.launch {
        while (isActive) {
            delay(everyMs)
            if (navigator.current !is Destination.Home) continue
            val failed = services.sync.state.value is SyncRun.Failed
            val pending = runCatching { services.sync.status().pending }.getOrDefault(0)
            if (pending > 0 || failed) {
                try {
                    services.sync.syncNow()
                } catch (_: DoorstepFailure) {
                    // The sync bar shows it; the next round tries again.
                }
            }
        }
    }
}

/** The whole app: the screen on top of the back stack, in the chosen language. */
@Composable
fun DoorstepApp(graph: AppGraph) {
    val language by graph.language.collectAsState()
    val stack by graph.navigator.backStack.collectAsState()
    LaunchedEffect(graph) {
        if (graph.navigator.current == Destination.Starting) graph.start()
    }
    CompositionLocalProvider(LocalStrings provides stringsFor(language)) {
        DoorstepTheme {
            val top = stack.last()
            key(top, stack.size) { Screen(top, graph) }
        }
    }
}

@Composable
private fun Screen(d: Destination, g: AppGraph) {
    val nav = g.navigator
    val sv = g.services
    val scope = rememberCoroutineScope()
    when (d) {
        Destination.Starting -> Box(Modifier.fillMaxSize(), contentAlignment = Alignment.Center) { Text(LocalStrings.current.appName) }
        Destination.FirstRun -> {
            val p = remember { FirstRunPresenter(sv.enrolment, scope, g.defaultServer, g::enrolled) }
            val st by p.state.collectAsState()
            FirstRunView(
                st, p::onEvent,
                readQrPicture = g.pickImage?.let { pick ->
                    { scope.launch { pick()?.let { p.onEvent(FirstRunEvents.Picture(it)) } } }
                },
                camera = { g.camera?.invoke { p.onEvent(FirstRunEvents.Scanned(it)) } },
            )
        }
        is Destination.Home -> {
            val bar = remember { SyncBarPresenter(sv.sync, scope, g.syncNetwork) { nav.reset(Destination.FirstRun) } }
            val barState by bar.state.collectAsState()
            var tab by remember { mutableStateOf(rolesOf(d.enrolment).first()) }
            HomeView(
                d.enrolment, tab, { tab = it },
                onLanguage = { g.language.value = if (g.language.value == Language.ZH_CN) Language.EN else Language.ZH_CN },
                syncBar = { SyncBarView(barState, bar::onEvent) },
            ) { role ->
                when (role) {
                    Role.SOCIAL_WORKER -> {
                        val due = remember {
                            DueListPresenter(sv.visits, sv.registry, sv.sync, scope) { nav.push(Destination.Household(it)) }
                        }
                        val st by due.state.collectAsState()
                        DueListView(st, due::onEvent)
                    }
                    Role.MARSHAL -> {
                        val m = remember {
                            MarshalPresenter(sv.checkin, scope, onTubes = { site, lane -> nav.push(Destination.Tubes(site, lane)) })
                        }
                        val st by m.state.collectAsState()
                        LaunchedEffect(st.card?.n) { st.card?.let { g.onOutcome(it.outcome) } }
                        MarshalView(
                            st, m::onEvent,
                            camera = { g.camera?.invoke { m.onEvent(MarshalEvents.Scanned(it)) } },
                            pickImage = g.pickImage?.let { pick ->
                                { scope.launch { pick()?.let { m.onEvent(MarshalEvents.Image(it)) } } }
                            },
                        )
                    }
                    Role.RUNNER -> {
                        val r = remember { RunnerListPresenter(d.enrolment.user, sv.deliveries, scope) { nav.push(Destination.Package(it)) } }
                        val st by r.state.collectAsState()
                        RunnerListView(st, r::onEvent)
                    }
                    else -> RoleNotInThisBuild()
                }
            }
        }
        is Destination.Household -> {
            val p = remember {
                HouseholdPresenter(
                    d.householdId, sv.registry, sv.visits, sv.needs, scope,
                    onVisit = { nav.push(Destination.Visit(it)) },
                    onNeed = { nav.push(Destination.Need(it)) },
                )
            }
            val st by p.state.collectAsState()
            HouseholdView(st, p::onEvent, onBack = { nav.pop() })
        }
        is Destination.Visit -> {
            val p = remember {
                VisitPresenter(
                    d.visitId, sv.visits, scope,
                    onClose = { nav.pop() },
                    onNeed = { nav.replace(Destination.Need(it)) },
                    photos = g.photos,
                )
            }
            val st by p.state.collectAsState()
            val pick = (g.takePhoto ?: g.pickImage).takeIf { g.photos != null }
            VisitView(st, p::onEvent, onBack = { nav.pop() }, pickPhoto = pick?.let {
                { question -> scope.launch { it()?.let { image -> p.onEvent(VisitEvents.Photo(question, image)) } } }
            })
        }
        is Destination.Need -> {
            val p = remember { NeedPresenter(d.needId, sv.needs, scope) }
            val st by p.state.collectAsState()
            NeedView(st, p::onEvent, onBack = { nav.pop() })
        }
        is Destination.Tubes -> {
            val p = remember { TubesPresenter(d.site, d.lane, sv.checkin, scope, registry = sv.registry) }
            val st by p.state.collectAsState()
            TubesView(st, p::onEvent, onBack = { nav.pop() })
        }
        is Destination.Package -> {
            val p = remember { PackagePresenter(d.packageId, sv.deliveries, scope) }
            val st by p.state.collectAsState()
            PackageView(st, p::onEvent, onBack = { nav.pop() }, pickPhoto = (g.takePhoto ?: g.pickImage)?.let { pick ->
                { scope.launch { pick()?.let { p.onEvent(HandoffEvents.Photo(it)) } } }
            })
        }
    }
}
