import DoorstepKit
import Foundation
import Observation

public struct DueListState: Equatable {
    public var items: [DueItem]
    public var loading: Bool
    public var query: String
    /// Search results while a query is typed; nil shows the due list.
    public var results: [SearchResult]?
    public var failure: DoorstepFailure?
}

public enum DueListAction {
    case refresh
    case queryChanged(String)
    case open(householdId: String)
}

/// The due list of my areas in the core's order, and resident search.
@MainActor @Observable
public final class DueListViewModel: ViewModel {
    /// Typing pauses this long before a search runs, so each key does not search.
    public static let searchPause: Duration = .milliseconds(150)

    public private(set) var state = DueListState(items: [], loading: true, query: "", results: nil, failure: nil)
    @ObservationIgnored private let visits: VisitService
    @ObservationIgnored private let registry: RegistryService
    @ObservationIgnored private let onOpen: @MainActor (String) -> Void
    @ObservationIgnored private var searching: Task<Void, Never>?
    @ObservationIgnored nonisolated(unsafe) private var listening: Task<Void, Never>?

    public init(
        visits: VisitService, registry: RegistryService, sync: SyncService,
        onOpen: @escaping @MainActor (String) -> Void
    ) {
        self.visits = visits
        self.registry = registry
        self.onOpen = onOpen
        // What a sync brought in can change the list.
        let runs = sync.states()
        listening = Task { [weak self] in
            for await run in runs {
                guard case .finished = run else { continue }
                await self?.load().value
            }
        }
        load()
    }

    deinit {
        listening?.cancel()
    }

    @discardableResult
    private func load() -> Task<Void, Never> {
        state.loading = true
        return perform({ [weak self] f in
            self?.state.loading = false
            self?.state.failure = f
        }) { [weak self, visits] in
            let items = try await visits.dueList()
            self?.state.items = items
            self?.state.loading = false
            self?.state.failure = nil
        }
    }

    @discardableResult
    public func send(_ action: DueListAction) -> Task<Void, Never> {
        switch action {
        case .refresh:
            return load()
        case .queryChanged(let text):
            state.query = text
            if text.trimmedOrNil == nil { state.results = nil }
            searching?.cancel()
            guard text.trimmedOrNil != nil else { return Task {} }
            let t = perform({ [weak self] f in self?.state.failure = f }) { [weak self, registry] in
                try await Task.sleep(for: Self.searchPause)
                let hits = try await registry.search(text)
                guard let self, self.state.query == text, !Task.isCancelled else { return }
                self.state.results = hits
                self.state.failure = nil
            }
            searching = t
            return t
        case .open(let householdId):
            onOpen(householdId)
        }
        return Task {}
    }
}
