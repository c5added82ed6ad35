import DoorstepCore
import Foundation

/// Every way a Doorstep call can fail, as the screens tell them apart. `detail` is the
/// core's message, for logs and developers; the app's string catalogs give each case words
/// a person can read (`DoorstepUI`), and `errorDescription` gives plain English ones.
public enum DoorstepFailure: Error, Equatable, Sendable, LocalizedError {
    /// An answer, a field or an argument was refused; `detail` names the field.
    case invalid(String)
    /// The record is gone (deleted on another phone, or never synced here).
    case notFound(String)
    /// The change does not fit the record's state (a finished visit, a sealed tube).
    case conflict(String)
    /// A proof of a handoff was refused, or stock would go below zero.
    case refused(String)
    /// The station could not be reached: no network, or the server is down.
    case unreachable(String)
    /// The one-time code was unknown, used, expired or cancelled.
    case codeRefused(String)
    /// This phone's token was revoked or expired: it must be enrolled again.
    case enrolAgain(String)
    /// The phone is not enrolled yet.
    case notEnrolled(String)
    /// The store cannot be opened with this key, or is damaged or too new.
    case storeUnusable(String)
    /// The phone's storage failed (full disk, I/O error).
    case storage(String)
    /// The call was cancelled; nothing was changed (a sync keeps what it had committed).
    case cancelled(String)
    /// A bug inside the library; the store is as it was before the call.
    case `internal`(String)

    /// The core's message.
    public var detail: String {
        switch self {
        case .invalid(let m), .notFound(let m), .conflict(let m), .refused(let m),
             .unreachable(let m), .codeRefused(let m), .enrolAgain(let m), .notEnrolled(let m),
             .storeUnusable(let m), .storage(let m), .cancelled(let m), .internal(let m):
            return m
        }
    }

    /// The case's name, which is also the key of its words in the string catalogs
    /// (`failure.<kind>`).
    public var kind: String {
        switch self {
        case .invalid: return "invalid"
        case .notFound: return "notFound"
        case .conflict: return "conflict"
        case .refused: return "refused"
        case .unreachable: return "unreachable"
        case .codeRefused: return "codeRefused"
        case .enrolAgain: return "enrolAgain"
        case .notEnrolled: return "notEnrolled"
        case .storeUnusable: return "storeUnusable"
        case .storage: return "storage"
        case .cancelled: return "cancelled"
        case .internal: return "internal"
        }
    }

    public var errorDescription: String? {
        let words: String
        switch self {
        case .invalid: words = "That was not accepted"
        case .notFound: words = "This record is no longer on the phone"
        case .conflict: words = "This cannot be done now"
        case .refused: words = "Refused"
        case .unreachable: words = "The station cannot be reached; your work is kept and will be sent later"
        case .codeRefused: words = "The code was not accepted. Ask your station admin for a new one"
        case .enrolAgain: words = "This phone must be enrolled again"
        case .notEnrolled: words = "This phone is not enrolled yet"
        case .storeUnusable: words = "The phone's data cannot be opened"
        case .storage: words = "The phone's storage failed"
        case .cancelled: words = "Cancelled; nothing was changed"
        case .internal: words = "Something went wrong inside the app"
        }
        return "\(words): \(detail)"
    }

    /// The failure for an error of the bindings; `enrolling` says whose code it was.
    static func from(_ error: Error, enrolling: Bool = false) -> DoorstepFailure {
        if let f = error as? DoorstepFailure { return f }
        guard let e = error as? DoorstepError else { return .internal(String(describing: error)) }
        switch e {
        case .Invalid(let m):
            return m.contains("not enrolled") ? .notEnrolled(m) : .invalid(m)
        case .NotFound(let m): return .notFound(m)
        case .Conflict(let m): return .conflict(m)
        case .ProofRefused(let m), .Shortfall(let m): return .refused(m)
        case .Network(let m): return .unreachable(m)
        case .Unauthorized(let m): return enrolling ? .codeRefused(m) : .enrolAgain(m)
        case .WrongKey(let m), .NotADatabase(let m), .Corrupt(let m), .TooNew(let m), .ReadOnly(let m):
            return .storeUnusable(m)
        case .Storage(let m): return .storage(m)
        case .Cancelled(let m): return .cancelled(m)
        case .Internal(let m): return .internal(m)
        }
    }
}
