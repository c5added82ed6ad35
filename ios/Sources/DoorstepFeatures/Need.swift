import DoorstepKit
import Foundation
import Observation

public struct NeedState: Equatable {
    public var need: NeedInfo?
    public var history: [NeedChange]
    public var referrals: [ReferralInfo]
    public var followUps: [FollowUpInfo]
    public var note: String
    public var target: ReferralTarget
    public var targetName: String
    public var busy: Bool
    public var failure: DoorstepFailure?
}

public enum NeedAction {
    case noteChanged(String)
    case move(NeedStatus)
    case targetChosen(ReferralTarget)
    case targetNameChanged(String)
    case refer
    case followUpIn(days: Int)
}

/// A need: move it through its states with a note, refer it, plan a follow-up. The core
/// refuses a move its rules forbid; the screen says why.
@MainActor @Observable
public final class NeedViewModel: ViewModel {
    public private(set) var state = NeedState(
        need: nil, history: [], referrals: [], followUps: [], note: "", target: .hospital, targetName: "",
        busy: false, failure: nil)
    @ObservationIgnored private let needId: String
    @ObservationIgnored private let needs: NeedService
    @ObservationIgnored private let now: () -> Int64
    /// The first read; tests await it.
    @ObservationIgnored public private(set) var loaded: Task<Void, Never>?

    public init(needId: String, needs: NeedService, now: @escaping () -> Int64 = nowMs) {
        self.needId = needId
        self.needs = needs
        self.now = now
        loaded = perform({ [weak self] in self?.failed($0) }) { [weak self] in try await self?.load() }
    }

    private func failed(_ f: DoorstepFailure) {
        state.busy = false
        state.failure = f
    }

    private func load() async throws {
        let n = try await needs.need(needId)
        let h = try await needs.history(needId: needId)
        let r = try await needs.referrals(needId: needId)
        let f = try await needs.followUps(householdId: n.householdId)
            .filter { $0.residentId == n.residentId && !$0.done && !$0.cancelled }
        state.need = n
        state.history = h
        state.referrals = r
        state.followUps = f
        state.busy = false
    }

    private func act(_ work: @escaping @MainActor () async throws -> Void) -> Task<Void, Never> {
        state.busy = true
        state.failure = nil
        return perform({ [weak self] in self?.failed($0) }) { [weak self] in
            try await work()
            self?.state.note = ""
            self?.state.targetName = ""
            try await self?.load()
        }
    }

    @discardableResult
    public func send(_ action: NeedAction) -> Task<Void, Never> {
        let note = state.note.trimmedOrNil
        switch action {
        case .noteChanged(let t):
            state.note = t
            state.failure = nil
        case .move(let status):
            return act { [needs, needId] in _ = try await needs.setStatus(needId: needId, status, note: note) }
        case .targetChosen(let t):
            state.target = t
            state.failure = nil
        case .targetNameChanged(let t):
            state.targetName = t
            state.failure = nil
        case .refer:
            let (target, name) = (state.target, state.targetName.trimmedOrNil)
            return act { [needs, needId] in _ = try await needs.refer(needId: needId, to: target, name: name, note: note) }
        case .followUpIn(let days):
            let due = now() + Int64(days) * 86_400_000
            return act { [needs, needId] in _ = try await needs.followUp(needId: needId, dueAtMs: due, note: note) }
        }
        return Task {}
    }
}
