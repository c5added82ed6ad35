package org.doorstep.desktop

import androidx.compose.runtime.Composable
import androidx.compose.runtime.CompositionLocalProvider
import org.doorstep.app.DoorstepTheme
import org.doorstep.app.Language
import org.doorstep.app.LocalStrings
import org.doorstep.app.FieldSamples
import org.doorstep.app.Samples
import org.doorstep.app.marshal.MarshalView
import org.doorstep.app.marshal.TubesView
import org.doorstep.app.runner.PackageView
import org.doorstep.app.runner.RunnerListView
import org.doorstep.app.duelist.DueListView
import org.doorstep.app.firstrun.FirstRunView
import org.doorstep.app.home.HomeView
import org.doorstep.app.household.HouseholdView
import org.doorstep.app.need.NeedView
import org.doorstep.app.stringsFor
import org.doorstep.app.syncbar.SyncBarState
import org.doorstep.app.syncbar.SyncBarView
import org.doorstep.app.visit.VisitView
import org.doorstep.sdk.Role

/** Every screen of the app in a sample state, by the name its screenshot file takes. */
object Screens {
    private fun home(bar: SyncBarState): @Composable () -> Unit = {
        HomeView(Samples.enrolment, Role.SOCIAL_WORKER, {}, {}, { SyncBarView(bar) {} }) { DueListView(Samples.dueList, {}) }
    }

    val all: List<Pair<String, @Composable () -> Unit>> = listOf<Pair<String, @Composable () -> Unit>>(
        "first-run" to { FirstRunView(Samples.firstRun, {}) },
        "first-run-refused" to { FirstRunView(Samples.firstRunRefused, {}) },
        "due-list" to home(Samples.syncBar),
        "due-list-syncing" to home(Samples.syncRunning),
        "due-list-offline" to home(Samples.syncOffline),
        "station-admin" to {
            HomeView(Samples.admin, Role.SOCIAL_WORKER, {}, {}, { SyncBarView(Samples.syncBar) {} }) { DueListView(Samples.dueList, {}) }
        },
        "household" to { HouseholdView(Samples.householdState, {}, {}, thisYear = 2026) },
        "resident-edit" to { HouseholdView(Samples.householdEdit, {}, {}, thisYear = 2026) },
        "visit" to { VisitView(Samples.visit, {}, {}) },
        "visit-finished" to { VisitView(Samples.visitFinished, {}, {}) },
        "need" to { NeedView(Samples.needState, {}, {}) },
        "marshal-setup" to role(Role.MARSHAL) { MarshalView(FieldSamples.marshalSetUp, {}) },
        "tubes" to { TubesView(FieldSamples.tubes, {}, {}) },
        "tubes-recall" to { TubesView(FieldSamples.tubesRecall, {}, {}) },
        "tubes-at-home" to { TubesView(FieldSamples.tubesAtHome, {}, {}) },
        "runner-list" to role(Role.RUNNER) { RunnerListView(FieldSamples.runnerList, {}) },
        "package" to { PackageView(FieldSamples.handoff, {}, {}, pickPhoto = {}) },
        "package-wrong-pin" to { PackageView(FieldSamples.handoffWrongPin, {}, {}) },
        "package-partly" to { PackageView(FieldSamples.handoffPartial, {}, {}) },
        "package-signature" to { PackageView(FieldSamples.handoffSignature, {}, {}) },
        "package-delivered" to { PackageView(FieldSamples.handoffDone, {}, {}) },
    ) + FieldSamples.outcomes.map { (name, o) ->
        val screen: @Composable () -> Unit = role(Role.MARSHAL) { MarshalView(FieldSamples.marshal(o), {}) }
        "scan-$name" to screen
    }

    /** The home screen of a phone enrolled as [r], showing [content]. */
    private fun role(r: Role, content: @Composable () -> Unit): @Composable () -> Unit = {
        HomeView(Samples.enrolment.copy(user = if (r == Role.MARSHAL) "zhou" else "liu", role = r), r, {}, {}, { SyncBarView(Samples.syncBar) {} }) { content() }
    }

    /** [content] in the theme and [language], as the app shows it. */
    @Composable
    fun Framed(language: Language, content: @Composable () -> Unit) {
        CompositionLocalProvider(LocalStrings provides stringsFor(language)) { DoorstepTheme(content) }
    }
}
