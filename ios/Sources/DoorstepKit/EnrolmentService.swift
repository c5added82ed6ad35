import DoorstepCore
import Foundation

/// Enrolment: trading the station's one-time code for this phone's token.
public final class EnrolmentService: @unchecked Sendable {
    private let core: CoreQueue

    init(_ core: CoreQueue) {
        self.core = core
    }

    /// Enrols this phone at `server` with `code`; a refused code is `.codeRefused`.
    public func enrol(server: String, code: String) async throws -> Enrolment {
        let server = server.trimmingCharacters(in: .whitespacesAndNewlines)
        let code = code.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
        return Enrolment(try await core.runAsync("enrol", enrolling: true) {
            try await $0.enrol(server: server, code: code)
        })
    }

    /// This phone's enrolment, or nil before the first one.
    public func current() async throws -> Enrolment? {
        try await core.run("enrolment") { try $0.enrolment().map(Enrolment.init) }
    }
}
