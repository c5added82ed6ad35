package org.doorstep.sdk

/** Enrolment: trading the station's one-time code for this phone's token. */
class EnrolmentService internal constructor(private val s: DoorstepServices) {
    /** Enrols this phone at [server] with [code]; a refused code is [DoorstepFailure.CodeRefused]. */
    suspend fun enrol(server: String, code: String): Enrolment =
        s.call(enrolling = true) { it.enrol(server.trim(), code.trim().uppercase()) }.toApp()

    /** The text of the QR code in a picture (PNG or JPEG): the dashboard's code, or anything else. */
    suspend fun readQr(image: ByteArray): String = s.call { it.decodeQrImage(image) }

    /** This phone's enrolment, or null before the first one. */
    suspend fun current(): Enrolment? = s.call { it.enrolment() }?.toApp()
}
