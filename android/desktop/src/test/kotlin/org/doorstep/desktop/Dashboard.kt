package org.doorstep.desktop

import java.net.URI
import java.net.URLEncoder
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse

/** The station dashboard over HTTP, logged in as an admin, for what a test checks there. */
class Dashboard(private val base: String, name: String, password: String) {
    private val http = HttpClient.newHttpClient()
    private val session: String

    init {
        val form = http.send(HttpRequest.newBuilder(URI("$base/login")).GET().build(), HttpResponse.BodyHandlers.ofString())
        val login = cookie(form, "ds_login")
        val csrf = Regex("name=\"csrf\" value=\"([^\"]+)\"").find(form.body())?.groupValues?.get(1)
            ?: error("no csrf field on the login page")
        val body = listOf("name" to name, "password" to password, "csrf" to csrf)
            .joinToString("&") { (k, v) -> k + "=" + URLEncoder.encode(v, Charsets.UTF_8) }
        val reply = http.send(
            HttpRequest.newBuilder(URI("$base/login"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Cookie", "ds_login=$login")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
            HttpResponse.BodyHandlers.ofString(),
        )
        session = cookie(reply, "ds_session")
    }

    private fun cookie(r: HttpResponse<*>, name: String): String =
        r.headers().allValues("set-cookie").firstNotNullOfOrNull { Regex("^$name=([^;]*)").find(it)?.groupValues?.get(1) }
            ?.takeIf { it.isNotEmpty() } ?: error("no $name cookie in the reply (status ${r.statusCode()})")

    /** The page at [path] as HTML, in English. */
    fun page(path: String): String {
        val r = http.send(
            HttpRequest.newBuilder(URI(base + path)).header("Cookie", "ds_session=$session; ds_lang=en").GET().build(),
            HttpResponse.BodyHandlers.ofString(),
        )
        check(r.statusCode() == 200) { "GET $path: ${r.statusCode()}" }
        return r.body()
    }
}
