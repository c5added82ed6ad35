package org.doorstep.sdk

import org.doorstep.core.DoorstepException

/**
 * Every way a Doorstep call can fail, as the screens tell them apart. [detail] is the
 * core's message for logs and developers; the app's strings give each case words a person
 * can read.
 */
sealed class DoorstepFailure(val detail: String) : Exception(detail) {
    /** An answer, a field or an argument was refused; [detail] names the field. */
    class Invalid(detail: String) : DoorstepFailure(detail)

    /** The record is gone (deleted on another phone, or never synced here). */
    class NotFound(detail: String) : DoorstepFailure(detail)

    /** The change does not fit the record's state (a finished visit, a closed need). */
    class Conflict(detail: String) : DoorstepFailure(detail)

    /** A proof of a handoff was refused, or stock would go below zero. */
    class Refused(detail: String) : DoorstepFailure(detail)

    /** The station could not be reached: no network, or the server is down. */
    class Unreachable(detail: String) : DoorstepFailure(detail)

    /** The one-time code was unknown, used, expired or cancelled. */
    class CodeRefused(detail: String) : DoorstepFailure(detail)

    /** This phone's token was revoked or expired: it must be enrolled again. */
    class EnrolAgain(detail: String) : DoorstepFailure(detail)

    /** The phone is not enrolled yet. */
    class NotEnrolled(detail: String) : DoorstepFailure(detail)

    /** The store cannot be opened with this key, or is damaged or too new. */
    class StoreUnusable(detail: String) : DoorstepFailure(detail)

    /** The phone's storage failed (full disk, I/O error). */
    class Storage(detail: String) : DoorstepFailure(detail)

    /** The call was cancelled (its screen or sync was stopped); nothing was changed. */
    class Cancelled(detail: String) : DoorstepFailure(detail)

    /** A bug inside the library; the store is as it was before the call. */
    class Internal(detail: String) : DoorstepFailure(detail)
}

/** Maps the bindings' exception to the app's failure; [enrolling] says whose code it was. */
internal fun DoorstepException.toFailure(enrolling: Boolean = false): DoorstepFailure {
    val m = message ?: javaClass.simpleName
    return when (this) {
        is DoorstepException.Invalid ->
            if (m.contains("not enrolled")) DoorstepFailure.NotEnrolled(m) else DoorstepFailure.Invalid(m)
        is DoorstepException.NotFound -> DoorstepFailure.NotFound(m)
        is DoorstepException.Conflict -> DoorstepFailure.Conflict(m)
        is DoorstepException.ProofRefused, is DoorstepException.Shortfall -> DoorstepFailure.Refused(m)
        is DoorstepException.Network -> DoorstepFailure.Unreachable(m)
        is DoorstepException.Unauthorized ->
            if (enrolling) DoorstepFailure.CodeRefused(m) else DoorstepFailure.EnrolAgain(m)
        is DoorstepException.WrongKey, is DoorstepException.NotADatabase, is DoorstepException.Corrupt,
        is DoorstepException.TooNew, is DoorstepException.ReadOnly -> DoorstepFailure.StoreUnusable(m)
        is DoorstepException.Storage -> DoorstepFailure.Storage(m)
        is DoorstepException.Cancelled -> DoorstepFailure.Cancelled(m)
        is DoorstepException.Internal -> DoorstepFailure.Internal(m)
    }
}
