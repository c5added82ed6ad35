package org.doorstep.desktop

import org.doorstep.app.Language
import org.junit.Assert.assertTrue
import org.junit.Test
import java.io.File

/**
 * Every screen renders headlessly at phone size, in both languages and at font scale 1.3,
 * without throwing and with something on it; and docs/app/ holds a screenshot of each
 * (scripts/app-screenshots.sh retakes them).
 */
class ScreenshotTest {
    private val out = File("target/screenshots").apply { mkdirs() }

    @Test
    fun everyScreenRendersInBothLanguagesAndLargeText() {
        for ((name, content) in Screens.all) {
            for (lang in Language.entries) {
                for (fontScale in listOf(1f, 1.3f)) {
                    val png = try {
                        Screenshots.render(lang, scale = 1f, fontScale = fontScale, content = content)
                    } catch (e: Throwable) {
                        throw AssertionError("$name ($lang, font ×$fontScale) threw", e)
                    }
                    File(out, "$name.$lang.$fontScale.png").writeBytes(png)
                    val ink = Screenshots.inkShare(png)
                    assertTrue("$name ($lang, font ×$fontScale) is blank: ${"%.4f".format(ink)} of its pixels drawn", ink > 0.01)
                }
            }
        }
    }

    @Test
    fun anEmptyScreenCountsAsBlank() {
        val ink = Screenshots.inkShare(Screenshots.render(Language.EN, scale = 1f) {})
        assertTrue("an empty screen reads as blank: $ink", ink <= 0.01)
    }

    @Test
    fun docsHoldEveryScreen() {
        val docs = File(System.getProperty("doorstep.docs") ?: error("doorstep.docs is set by the POM"))
        val missing = Screens.all.flatMap { (name, _) -> listOf("$name.zh-CN.png", "$name.en.png") }.filterNot { File(docs, it).isFile }
        assertTrue("not in docs/app (run scripts/app-screenshots.sh): $missing", missing.isEmpty())
    }
}
