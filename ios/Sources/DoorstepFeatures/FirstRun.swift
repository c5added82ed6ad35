import DoorstepKit
import Foundation
import Observation

public struct FirstRunState: Equatable {
    public var server: String
    public var code: String
    public var busy: Bool
    public var failure: DoorstepFailure?

    public var canEnrol: Bool {
        !busy && server.trimmedOrNil != nil && code.trimmedOrNil != nil
    }
}

public enum FirstRunAction {
    case serverChanged(String)
    case codeChanged(String)
    /// The dashboard's enrolment QR, read by the camera: it carries the code.
    case codeScanned(String)
    case enrol
}

/// Enrols the phone with the server address and the one-time code; `onEnrolled` goes home.
@MainActor @Observable
public final class FirstRunViewModel: ViewModel {
    public private(set) var state: FirstRunState
    @ObservationIgnored private let enrolment: EnrolmentService
    @ObservationIgnored private let onEnrolled: @MainActor (Enrolment) -> Void

    public init(enrolment: EnrolmentService, server: String, onEnrolled: @escaping @MainActor (Enrolment) -> Void) {
        self.enrolment = enrolment
        self.onEnrolled = onEnrolled
        state = FirstRunState(server: server, code: "", busy: false, failure: nil)
    }

    @discardableResult
    public func send(_ action: FirstRunAction) -> Task<Void, Never> {
        switch action {
        case .serverChanged(let t):
            state.server = t
            state.failure = nil
        case .codeChanged(let t):
            state.code = t
            state.failure = nil
        case .codeScanned(let t):
            state.code = t.trimmingCharacters(in: .whitespacesAndNewlines)
            state.failure = nil
            return send(.enrol)
        case .enrol:
            guard state.canEnrol else { break }
            state.busy = true
            state.failure = nil
            let (server, code) = (state.server, state.code)
            return perform({ [weak self] f in
                self?.state.busy = false
                self?.state.failure = f
            }) { [weak self] in
                guard let self else { return }
                let e = try await self.enrolment.enrol(server: server, code: code)
                self.state.busy = false
                self.onEnrolled(e)
            }
        }
        return Task {}
    }
}
