import DoorstepKit
import Foundation
import Observation

public struct SyncBarState: Equatable {
    public var pending: UInt64
    public var lastSyncAtMs: Int64?
    public var running: Bool
    public var progress: SyncProgress?
    public var lastSummary: SyncSummary?
    public var failure: DoorstepFailure?
    public var refused: [RefusedChange]
    public var conflicts: [ConflictToReview]
    public var expanded: Bool

    /// The token was refused: the only way on is to enrol again.
    public var mustEnrolAgain: Bool {
        if case .enrolAgain = failure { return true }
        return false
    }
}

public enum SyncBarAction {
    case syncNow
    case retryRefused
    case reviewed(conflictId: Int64)
    case toggleDetails
    case enrolAgain
    /// The network came back (or the app woke for a background sync): sync if anything
    /// waits to go up or the last sync failed.
    case networkReturned
}

/// The sync bar on every home screen: pending changes, last sync, a running sync's stage
/// and counts, a failure in words, refused changes and conflicts. It re-reads the store
/// after each local write and each sync.
@MainActor @Observable
public final class SyncBarViewModel: ViewModel {
    public private(set) var state = SyncBarState(
        pending: 0, lastSyncAtMs: nil, running: false, progress: nil, lastSummary: nil, failure: nil,
        refused: [], conflicts: [], expanded: false)
    @ObservationIgnored private let sync: SyncService
    @ObservationIgnored private let onEnrolAgain: @MainActor () -> Void
    @ObservationIgnored nonisolated(unsafe) private var listening: [Task<Void, Never>] = []

    public init(sync: SyncService, onEnrolAgain: @escaping @MainActor () -> Void) {
        self.sync = sync
        self.onEnrolAgain = onEnrolAgain
        apply(sync.state)
        let runs = sync.states()
        let writes = sync.writes()
        listening = [
            Task { [weak self] in
                for await run in runs {
                    guard let self else { return }
                    self.apply(run)
                    if case .running = run { continue }
                    await self.reload()
                }
            },
            Task { [weak self] in
                for await _ in writes {
                    guard let self else { return }
                    await self.reload()
                }
            },
        ]
        Task { [weak self] in await self?.reload() }
    }

    deinit {
        for t in listening { t.cancel() }
    }

    private func apply(_ run: SyncRun) {
        switch run {
        case .idle: break
        case .running(let p):
            state.running = true
            state.progress = p
            state.failure = nil
        case .finished(let summary, _):
            state.running = false
            state.progress = nil
            state.lastSummary = summary
            state.failure = nil
        case .failed(let f):
            state.running = false
            state.progress = nil
            state.failure = f
        }
    }

    /// Re-reads pending changes, last sync, refusals and conflicts.
    public func reload() async {
        do {
            let st = try await sync.status()
            state.pending = st.pending
            state.lastSyncAtMs = st.lastSyncAtMs
            state.refused = st.refused
            state.conflicts = st.conflicts
        } catch let f as DoorstepFailure {
            state.failure = f
        } catch {
            state.failure = .internal(String(describing: error))
        }
    }

    @discardableResult
    public func send(_ action: SyncBarAction) -> Task<Void, Never> {
        switch action {
        case .syncNow:
            // A failure lands in the shared state, which `apply` shows.
            return perform({ _ in }) { [sync] in _ = try await sync.syncNow() }
        case .networkReturned:
            let failed: Bool
            if case .failed = sync.state { failed = true } else { failed = false }
            return perform({ _ in }) { [weak self, sync] in
                let pending = try await sync.status().pending
                if pending > 0 || failed { _ = try await sync.syncNow() }
                await self?.reload()
            }
        case .retryRefused:
            return perform({ [weak self] f in self?.state.failure = f }) { [weak self, sync] in
                try await sync.retryRefused()
                await self?.reload()
                _ = try await sync.syncNow()
            }
        case .reviewed(let id):
            return perform({ [weak self] f in self?.state.failure = f }) { [weak self, sync] in
                try await sync.reviewed(conflictId: id)
                await self?.reload()
            }
        case .toggleDetails:
            state.expanded.toggle()
        case .enrolAgain:
            onEnrolAgain()
        }
        return Task {}
    }
}
