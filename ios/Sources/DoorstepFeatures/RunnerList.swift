import DoorstepKit
import Foundation
import Observation

public struct RunnerListState: Equatable {
    public var day: RunnerDay?
    public var loading: Bool
    public var failure: DoorstepFailure?
}

public enum RunnerListAction {
    case refresh
    case open(packageId: String)
}

/// The runner's day from the core's `runner_list`: by building and unit for a walking
/// route, urgent and medicine first; what to bring back and what is still held.
@MainActor @Observable
public final class RunnerListViewModel: ViewModel {
    public private(set) var state = RunnerListState(day: nil, loading: true, failure: nil)
    @ObservationIgnored private let runner: String
    @ObservationIgnored private let deliveries: DeliveryService
    @ObservationIgnored private let onOpen: @MainActor (String) -> Void
    @ObservationIgnored nonisolated(unsafe) private var listening: [Task<Void, Never>] = []
    /// The first read; tests await it.
    @ObservationIgnored public private(set) var loaded: Task<Void, Never>?

    /// `runner` is the user this phone is enrolled as.
    public init(
        runner: String, deliveries: DeliveryService, sync: SyncService, onOpen: @escaping @MainActor (String) -> Void
    ) {
        self.runner = runner
        self.deliveries = deliveries
        self.onOpen = onOpen
        // What a sync brings in, and each handoff made on this phone, change the list.
        let runs = sync.states()
        let writes = sync.writes()
        listening = [
            Task { [weak self] in
                for await run in runs {
                    guard case .finished = run else { continue }
                    await self?.load().value
                }
            },
            Task { [weak self] in
                for await _ in writes { await self?.load().value }
            },
        ]
        loaded = load()
    }

    deinit {
        for t in listening { t.cancel() }
    }

    @discardableResult
    private func load() -> Task<Void, Never> {
        state.loading = true
        return perform({ [weak self] f in
            self?.state.loading = false
            self?.state.failure = f
        }) { [weak self, deliveries, runner] in
            let day = try await deliveries.runnerDay(runner: runner)
            self?.state.day = day
            self?.state.loading = false
            self?.state.failure = nil
        }
    }

    @discardableResult
    public func send(_ action: RunnerListAction) -> Task<Void, Never> {
        switch action {
        case .refresh: return load()
        case .open(let id): onOpen(id)
        }
        return Task {}
    }
}
