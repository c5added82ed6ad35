package org.doorstep.app.home

import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.PrimaryTabRow
import androidx.compose.material3.Tab
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.unit.dp
import org.doorstep.app.LocalStrings
import org.doorstep.app.MinTouch
import org.doorstep.app.TitleBar
import org.doorstep.sdk.Enrolment
import org.doorstep.sdk.Role

/** The roles whose screens a phone shows: a station admin's phone gets all three. */
fun rolesOf(e: Enrolment): List<Role> =
    if (e.role == Role.STATION_ADMIN) listOf(Role.SOCIAL_WORKER, Role.MARSHAL, Role.RUNNER) else listOf(e.role)

/**
 * The home screen: title, sync bar, one tab per role and the chosen role's screen. Part 2's
 * marshal and runner screens go in [roleScreen].
 */
@Composable
fun HomeView(
    enrolment: Enrolment,
    tab: Role,
    onTab: (Role) -> Unit,
    onLanguage: () -> Unit,
    syncBar: @Composable () -> Unit,
    roleScreen: @Composable (Role) -> Unit,
) {
    val s = LocalStrings.current
    Column(Modifier.fillMaxSize()) {
        TitleBar(s.homeTitle(enrolment.user), onBack = null) {
            TextButton(onClick = onLanguage, modifier = Modifier.heightIn(min = MinTouch).testTag("language")) { Text(s.languageSwitch) }
        }
        syncBar()
        val roles = rolesOf(enrolment)
        if (roles.size > 1) {
            PrimaryTabRow(selectedTabIndex = roles.indexOf(tab).coerceAtLeast(0)) {
                roles.forEach { r ->
                    Tab(selected = r == tab, onClick = { onTab(r) }, text = { Text(s.role(r)) }, modifier = Modifier.heightIn(min = MinTouch))
                }
            }
        }
        roleScreen(tab)
    }
}

/** What a role without screens in this build shows. */
@Composable
fun RoleNotInThisBuild() {
    Text(LocalStrings.current.roleNotInThisBuild, Modifier.padding(16.dp))
}
