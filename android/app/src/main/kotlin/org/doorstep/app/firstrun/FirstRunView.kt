package org.doorstep.app.firstrun

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.text.input.KeyboardCapitalization
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp
import org.doorstep.app.FailureText
import org.doorstep.app.LocalStrings
import org.doorstep.app.PrimaryButton
import org.doorstep.app.SecondaryButton
import org.doorstep.app.TitleBar

/**
 * Enrolment: the address and the code, typed or read from the dashboard's QR by [camera]
 * (the platform's viewfinder; nothing on the desktop) or from a picture ([readQrPicture]).
 */
@Composable
fun FirstRunView(
    state: FirstRunState,
    onEvent: (FirstRunEvents) -> Unit,
    readQrPicture: (() -> Unit)? = null,
    camera: @Composable () -> Unit = {},
) {
    val s = LocalStrings.current
    Column(Modifier.fillMaxSize().verticalScroll(rememberScrollState())) {
        TitleBar(s.firstRunTitle, onBack = null)
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
            Text(s.appName, style = MaterialTheme.typography.headlineMedium)
            Text(s.firstRunHelp, style = MaterialTheme.typography.bodyLarge)
            OutlinedTextField(
                value = state.server,
                onValueChange = { onEvent(FirstRunEvents.ServerChanged(it)) },
                label = { Text(s.serverLabel) },
                singleLine = true,
                keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Uri),
                modifier = Modifier.fillMaxWidth().testTag("server"),
            )
            OutlinedTextField(
                value = state.code,
                onValueChange = { onEvent(FirstRunEvents.CodeChanged(it)) },
                label = { Text(s.codeLabel) },
                singleLine = true,
                keyboardOptions = KeyboardOptions(capitalization = KeyboardCapitalization.Characters),
                modifier = Modifier.fillMaxWidth().testTag("code"),
            )
            camera()
            if (readQrPicture != null) {
                SecondaryButton(s.readQrPicture, modifier = Modifier.fillMaxWidth().testTag("qr-picture")) { readQrPicture() }
            }
            FailureText(state.failure?.let(s::failure) ?: s.notAnEnrolmentQr.takeIf { state.notACode })
            PrimaryButton(
                if (state.busy) s.enrolling else s.enrol,
                enabled = state.canEnrol,
                modifier = Modifier.fillMaxWidth().testTag("enrol"),
            ) { onEvent(FirstRunEvents.Enrol) }
        }
    }
}
