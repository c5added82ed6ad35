package org.doorstep.platform

import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.OnBackPressedCallback
import androidx.activity.compose.setContent
import kotlinx.coroutines.MainScope
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch
import org.doorstep.app.AppGraph
import org.doorstep.app.DoorstepApp

/** The app's one activity: opens the store, then shows the Compose app. */
class MainActivity : ComponentActivity() {
    private val scope = MainScope()

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        SyncSchedule.schedule(this)
        scope.launch {
            val graph = AppGraph(DoorstepProcess.services(applicationContext), defaultServer = "")
            onBackPressedDispatcher.addCallback(
                this@MainActivity,
                object : OnBackPressedCallback(true) {
                    override fun handleOnBackPressed() {
                        if (!graph.navigator.pop()) finish()
                    }
                },
            )
            setContent { DoorstepApp(graph) }
        }
    }

    override fun onDestroy() {
        scope.cancel()
        super.onDestroy()
    }
}
